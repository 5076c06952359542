#!/usr/bin/env bash
# Incoming call answered, then hung up by sessiond through the API: SIPp receives the BYE and
# answers 200; the session ends Terminated with the path in its history.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer auto
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 20s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
http POST "/sessions/$id/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
expect_outcome "$id" normal
expect_history "$id" IncomingCall AcceptCall DialogACK HangupCall Dialog200OK
http POST "/sessions/$id/hangup"
[ "$HTTP_STATUS" = 409 ] || fail "hangup of an ended call: expected 409, got $HTTP_STATUS"
http GET /sessions/nosuchsession
[ "$HTTP_STATUS" = 404 ] || fail "unknown session: expected 404, got $HTTP_STATUS"
pass
