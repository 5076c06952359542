#!/usr/bin/env bash
# 1,000 short incoming calls (SIPp -m 1000 -r 100, each with an RTP stream) leave no RTP
# socket or fd behind: sessiond's fd count returns to its baseline and no call stays active.
# The baseline is taken after one warm-up call, which opens what the store opens on its first
# write (the SQLite checkpointer's connection).
. "$(dirname "$0")/lib.sh"
start_sessiond --log-level warn --media-ports 30000-30999
run_sipp uac_bye
sleep 0.5
base=$(fd_count "$SD_PID")
(cd "$TMP" && timeout 200 "$SIPP" -sf "$SCEN/uac_bye.xml" -m 1000 -r 100 -l 200 -timeout 150s -timeout_error \
    -trace_err -error_file "$TMP/leak.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    "127.0.0.1:$SIP_PORT" >"$TMP/leak.out" 2>&1) || fail "sipp: $(grep -h -i -m 3 -E 'error|unexpected' "$TMP/leak.out" "$TMP/leak.err" 2>/dev/null)"
for _ in $(seq 1 100); do
    [ "$(fd_count "$SD_PID")" -le "$base" ] && break; sleep 0.1
done
now=$(fd_count "$SD_PID")
echo "fds: baseline $base, after 1000 calls $now"
[ "$now" -le "$base" ] || fail "fd leak: $base before, $now after 1000 calls"
sessions_all # 1001 sessions: two pages of GET /sessions
total=$(printf '%s' "$SESSIONS_BODY" | grep -o '"state":"[A-Za-z]*"' | wc -l)
ended=$(printf '%s' "$SESSIONS_BODY" | grep -o '"state":"Terminated"' | wc -l)
echo "sessions: $total, terminated: $ended, in $SESSIONS_PAGES pages"
[ "$SESSIONS_PAGES" -eq 2 ] || fail "1001 sessions in $SESSIONS_PAGES pages of at most 1000"
[ "$total" -eq 1001 ] && [ "$ended" -eq 1001 ] || fail "expected 1001 terminated sessions, got $ended of $total"
pass
