#!/usr/bin/env bash
# Never hang: with the event loop stuck (test hook blocks it for 20 s), SIGTERM still ends
# sessiond within the hard deadline (--shutdown-timeout-ms + 3 s with --on-sigterm hangup; a
# drain adds --drain-timeout-ms), exit status 1, one log line.
. "$(dirname "$0")/lib.sh"
export SESSIOND_TEST_HOOKS=1
start_sessiond --shutdown-timeout-ms 1000 --on-sigterm hangup
( HTTP_TIMEOUT=2 http POST "/debug/block-loop?ms=20000" ) &
blocker=$!
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$SD_PID"
wait "$SD_PID"
rc=$?
SD_PID=
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$blocker" 2>/dev/null
[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (forced)"
[ "$dt" -lt 6000 ] || fail "took $dt ms to exit (hard deadline 4000 ms)"
[ "$dt" -ge 3500 ] || fail "exited after $dt ms, before the hard deadline"
grep -q "did not finish within the hard deadline" "$SD_LOG" || fail "no deadline line in the log"
pass
