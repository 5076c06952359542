#!/usr/bin/env bash
# 100rel (RFC 3262) both ways and DTMF by SIP INFO. A SIPp caller requiring 100rel gets a
# reliable 180, PRACKs it (200), is answered once the PRACK came, sends a digit by INFO
# (dtmf-relay: DtmfReceived in the history) and receives POST /dtmf's digit as INFO (it
# offered no telephone-event; 70 digits at once overflow the queue: 409, the call goes on).
# Then sessiond calls a SIPp callee that answers 183 reliably:
# sessiond PRACKs it before the 200; that callee has neither telephone-event nor INFO in its
# Allow: POST /dtmf answers 409 and the call stays up. Meanwhile a caller requiring 100rel that
# never PRACKs gets 500 after 64*T1 and its session fails.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer manual --rtp-timeout-ms 0
# Meanwhile a caller that requires 100rel never PRACKs: 500 after 64*T1 (6.4 s at T1 100 ms).
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/prack_uac_noprack.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/prack_uac_noprack.err" -nostdin -i 127.0.0.1 -p "$(free_port)" -mp "$(free_media_port)" \
    "127.0.0.1:$SIP_PORT" >"$TMP/prack_uac_noprack.out" 2>&1) &
noprack=$!
for _ in $(seq 1 100); do np=$(session_ids | head -n 1); [ -n "$np" ] && break; sleep 0.05; done
[ -n "$np" ] || fail "no session for the caller that never PRACKs"
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/prack_uac_info.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/prack_uac_info.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" -mp "$(free_media_port)" \
    "127.0.0.1:$SIP_PORT" >"$TMP/prack_uac_info.out" 2>&1) &
uac=$!
for _ in $(seq 1 100); do id=$(session_ids | grep -v "$np" | head -n 1); [ -n "$id" ] && break; sleep 0.05; done
[ -n "$id" ] || fail "no session for the 100rel caller"
wait_state "$id" Ringing
# at least 1: SIPp sends its PRACK again when our 200 is slow (a loaded machine)
metric_at_least() {
    for _ in $(seq 1 100); do [ "$(metric "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    fail "metric $1 = '$(metric "$1")', expected at least $2"
}
metric_at_least 'sessioncore_sip_messages_total{direction="in",method="PRACK",class="request"}' 1
http POST "/sessions/$id/accept"
[ "$HTTP_STATUS" = 200 ] || fail "accept: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
for _ in $(seq 1 100); do
    http GET "/sessions/$id/history"; printf '%s' "$HTTP_BODY" | grep -q '"event":"DtmfReceived"' && break; sleep 0.05
done
expect_history "$id" IncomingCall AcceptCall DialogACK DtmfReceived
printf '%s' "$HTTP_BODY" | grep -q '"event":"DtmfReceived","event_code":160,"event_text":"5"' ||
    fail "INFO digit not in the history as DtmfReceived 5 (160 ms): $HTTP_BODY"
# more digits than the INFO queue holds (64): 409 action_failed, nothing sent, the call goes on
many=$(printf '1%.0s' $(seq 1 70))
http POST "/sessions/$id/dtmf" "{\"digits\":\"$many\"}"
[ "$HTTP_STATUS" = 409 ] || fail "POST /dtmf of 70 digits: $HTTP_STATUS $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q action_failed || fail "409 body: $HTTP_BODY"
http GET "/sessions/$id"; [ "$(json_str state)" = Active ] || fail "call not up after a failed SendDtmf: $HTTP_BODY"
http POST "/sessions/$id/dtmf" '{"digits":"7"}'
[ "$HTTP_STATUS" = 200 ] || fail "POST /dtmf (INFO fallback): $HTTP_STATUS $HTTP_BODY"
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/prack_uac_info.out")"
wait_state "$id" Terminated
grep -q 'by SIP INFO' "$SD_LOG" || fail "no INFO fallback logged"

# sessiond as the caller of a callee answering 183 reliably, without any DTMF method
UAS_PORT=$(free_port)
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas prack_uas_noinfo -mp "$(free_media_port)"
SIPP_PORT=$SIPP_PORT_SAVE
http POST /calls "{\"to\":\"sip:carol@127.0.0.1:$UAS_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
out=$(json_str id)
wait_state "$out" Active
metric_at_least 'sessioncore_sip_messages_total{direction="out",method="PRACK",class="request"}' 1
http POST "/sessions/$out/dtmf" '{"digits":"1"}'
[ "$HTTP_STATUS" = 409 ] || fail "POST /dtmf without a method: $HTTP_STATUS $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q no_dtmf_method || fail "409 body: $HTTP_BODY"
http GET "/sessions/$out"; [ "$(json_str state)" = Active ] || fail "call not up after the 409: $HTTP_BODY"
expect_history "$out" MakeCall Dialog183SessionProgress Dialog200OK
http POST "/sessions/$out/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS $HTTP_BODY"
wait_sipp
wait_state "$out" Terminated
wait "$noprack" || fail "sipp caller without PRACK failed: $(tail -n 5 "$TMP/prack_uac_noprack.out")"
wait_state "$np" Failed
expect_history "$np" IncomingCall DialogError
expect_outcome "$np" failed
pass
