#!/usr/bin/env bash
# Recovery: an incoming call still ringing (manual answer) at kill -9. Its INVITE server
# transaction died with the process, so it can be neither answered nor declined: recovery
# ends the session (DialogError -> Failed, recorded), and the caller's CANCEL gets 481.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer manual
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_ring.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Ringing
rec_crash_restart
wait_state "$id" Failed
expect_outcome "$id" failed
expect_history "$id" IncomingCall Recovered DialogError
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q "INVITE transaction lost" || fail "the resolution is not explained in the history: $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
pass
