#!/usr/bin/env bash
# Recovery: an incoming call ringing with auto answer after a ring delay (8 s) at kill -9. The
# scheduled AcceptCall died with the process; the restarted sessiond resumes the INVITE
# transaction and schedules the auto answer again for the rest of the delay: SIPp gets the
# 200, ACKs it and hangs up with BYE (rec_uac_ring.xml).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer auto --ring-delay-ms 8000
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_ring.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Ringing
rec_crash_restart
wait "$sipp_pid" || fail "sipp failed (no auto answer after restart?): $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall Recovered AcceptCall DialogACK DialogBYE
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q "auto-answer" || fail "the answer after the restart is not the auto answer: $HTTP_BODY"
pass
