#!/usr/bin/env bash
# Manual answer: the incoming call rings until the API rejects it; SIPp expects 486.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer manual
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_rejected.xml" -m 1 -l 1 -timeout 20s -timeout_error \
    -trace_err -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Ringing
sleep 0.3
wait_state "$id" Ringing # manual: nobody answers by itself
http POST "/sessions/$id/reject" '{"code":"busy"}'
[ "$HTTP_STATUS" = 400 ] || fail "reject with a bad code: expected 400, got $HTTP_STATUS"
http POST "/sessions/$id/reject" '{"code":486}'
[ "$HTTP_STATUS" = 200 ] || fail "reject: $HTTP_STATUS $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Rejected
expect_outcome "$id" rejected
expect_history "$id" IncomingCall RejectCall
pass
