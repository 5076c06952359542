#!/usr/bin/env bash
# SIGTERM with a call up and --on-sigterm hangup: sessiond ends it with a BYE (SIPp receives
# it), then exits 0 well within its shutdown bound (the default, a drain: test_shutdown_drain).
. "$(dirname "$0")/lib.sh"
start_sessiond --shutdown-timeout-ms 3000 --on-sigterm hangup
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 20s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
start=$(date +%s%N)
kill -TERM "$SD_PID"
wait "$sipp_pid" || fail "sipp did not get a BYE: $(tail -n 5 "$TMP/sipp.out")"
wait "$SD_PID"
rc=$?
SD_PID=
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 0 ] || fail "sessiond exited with $rc"
[ "$elapsed" -lt 3000 ] || fail "shutdown took $elapsed ms"
grep -q "all calls ended" "$SD_LOG" || fail "no 'all calls ended' in the log"
grep -q "Active --Shutdown--> Terminating" "$SD_LOG" || fail "the call was not ended through the table"
pass
