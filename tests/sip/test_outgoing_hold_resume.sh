#!/usr/bin/env bash
# Outgoing call via POST /calls to a SIPp UAS: answered, held (SIPp checks a=sendonly in the
# re-INVITE and answers recvonly), resumed (a=sendrecv), a refused command (409 naming the
# state and accepted events), hung up with sessionctl; state and history checked via the API.
. "$(dirname "$0")/lib.sh"
start_sessiond
start_sipp_uas uas_hold
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\",\"from\":\"sip:bob@127.0.0.1:$SIP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
[ -n "$id" ] || fail "no id in $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/resume"
[ "$HTTP_STATUS" = 409 ] || fail "resume while Active: expected 409, got $HTTP_STATUS"
[ "$(json_str state)" = Active ] || fail "409 body lacks the state: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"accepted_events":\[.*"HoldCall"' || fail "409 body lacks accepted events: $HTTP_BODY"
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"media_direction":"sendonly"' || fail "held media direction not sendonly: $HTTP_BODY"
http POST "/sessions/$id/resume"
[ "$HTTP_STATUS" = 200 ] || fail "resume: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" hangup "$id") || fail "sessionctl hangup: $out"
wait_sipp
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" MakeCall Dialog180Ringing Dialog200OK HoldCall DialogReINVITEAccepted ResumeCall \
    DialogReINVITEAccepted HangupCall Dialog200OK
"$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" show "$id" | grep -q '^state  *Terminated' ||
    fail "sessionctl show does not print the state"
pass
