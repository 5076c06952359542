#!/usr/bin/env bash
# Recovery: a call we put on hold survives kill -9 + restart: still OnHold, direction
# sendonly kept, the RTP port re-bound and music on hold playing again; the caller's BYE
# then ends it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer auto
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_hold.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" -mp "$(free_media_port)" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
rtp=$(rec_field "$id" local_rtp)
[ "$(rec_field "$id" media_direction)" = sendonly ] || fail "direction before the crash: $(rec_field "$id" media_direction)"
rec_crash_restart
wait_state "$id" OnHold
[ "$(rec_field "$id" media_direction)" = sendonly ] || fail "direction after recovery: $(rec_field "$id" media_direction)"
[ "$(rec_field "$id" local_rtp)" = "$rtp" ] || fail "RTP address changed: $rtp -> $(rec_field "$id" local_rtp)"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"moh": *true' || fail "music on hold not playing after recovery: $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK HoldCall DialogReINVITEAccepted Recovered DialogBYE
pass
