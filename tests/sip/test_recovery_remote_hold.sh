#!/usr/bin/env bash
# Recovery: a call the caller put on hold (its re-INVITE a=sendonly, our answer a=recvonly, no
# RTP from it) survives kill -9 + restart as it was before: still OnHold, direction recvonly,
# and the recovered stream is inactive as in live negotiation, so the RTP timeout (1.5 s here)
# does not end a call whose holder sends nothing. The caller's BYE then ends it normally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer auto --rtp-timeout-ms 1500
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_remote_hold.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" -mp "$(free_media_port)" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" OnHold
[ "$(rec_field "$id" media_direction)" = recvonly ] || fail "direction before the crash: $(rec_field "$id" media_direction)"
rec_crash_restart
wait_state "$id" OnHold
[ "$(rec_field "$id" media_direction)" = recvonly ] || fail "direction after recovery: $(rec_field "$id" media_direction)"
sleep 3 # twice the RTP timeout, with no RTP from the holder
http GET "/sessions/$id"
[ "$(json_str state)" = OnHold ] || fail "the held call did not survive the RTP timeout after recovery: $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK DialogReINVITE Recovered DialogBYE
pass
