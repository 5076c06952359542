#!/usr/bin/env bash
# Recovery: an incoming call still ringing (manual answer) at kill -9. The INVITE's Vias were
# recorded (invite_vias) before our 180 left, so the restarted sessiond rebuilds the INVITE
# server transaction: the API accept after the restart sends the 200 (with the INVITE's Via,
# checked by SIPp's matching), SIPp ACKs it, the call is Active and SIPp's BYE ends it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start --answer manual
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_ring.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Ringing
vias=$(rec_field "$id" invite_vias)
case "$vias" in *"127.0.0.1:$SIPP_PORT;branch=z9hG4bK"*) ;; *) fail "no SIPp Via in the recorded invite_vias: '$vias'" ;; esac
rec_crash_restart
wait_state "$id" Ringing
grep -q "recovery: INVITE transaction resumed" "$SD_LOG" || fail "no resume line in the log"
http POST "/sessions/$id/accept" '{}'
[ "$HTTP_STATUS" = 200 ] || [ "$HTTP_STATUS" = 202 ] || fail "accept after restart: HTTP $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
wait "$sipp_pid" || fail "sipp failed (200/BYE after restart): $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall Recovered AcceptCall DialogACK DialogBYE
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q "recovery: INVITE transaction resumed" || fail "the resume is not in the history: $HTTP_BODY"
pass
