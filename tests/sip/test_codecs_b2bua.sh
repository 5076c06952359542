#!/usr/bin/env bash
# B2BUA codec choice: with --codecs opus,g722,pcmu,pcma a SIPp caller offering PCMU and G.722 is
# routed to a SIPp callee; the callee is offered G.722 first (the codec our answer to the caller
# carries, ahead of Opus which leads our list: codecs_uas_g722.xml checks the m= line), answers
# G.722, and the caller gets G.722 alone: both legs show G722/8000 and are bridged, so the
# bridge relays without transcoding (RTP from the caller's probe reaches the callee's, payload
# type 9, transcoded 0). The caller's BYE ends both legs.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
UAS_PORT=$(free_port); PA=$(free_port); PB=$(free_port)
start_sessiond --rtp-timeout-ms 0 --codecs opus,g722,pcmu,pcma --route "bo*=sip:carol@127.0.0.1:$UAS_PORT" \
    --trust 127.0.0.1
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas codecs_uas_g722 -set probe "$PB"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/codecs_uac_g722.xml" -m 1 -l 1 -timeout 20s -timeout_error \
    -trace_err -error_file "$TMP/codecs_uac_g722.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -set probe "$PA" "127.0.0.1:$SIP_PORT" >"$TMP/codecs_uac_g722.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
wait_state "$b" Bridged
for leg in "$a" "$b"; do
    http GET "/sessions/$leg"
    printf '%s' "$HTTP_BODY" | grep -q '"codec":"G722/8000"' || fail "leg $leg is not G.722: $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' || fail "leg $leg not bridged: $HTTP_BODY"
done
# RTP from the caller's probe (payload type 9) reaches the callee's probe through the bridge,
# relayed: payload type 9, nothing transcoded.
la=$(rtp_port "$a")
"$PROBE" --port "$PB" --seconds 1.2 >"$TMP/relay.json" &
rx=$!
"$PROBE" --port "$PA" --seconds 1 --pt 9 --to "127.0.0.1:$la" >/dev/null || fail "sender probe failed"
wait "$rx"
echo "relay: $(cat "$TMP/relay.json")"
[ "$(probe_json packets "$TMP/relay.json")" -ge 30 ] || fail "RTP not relayed to the callee: $(cat "$TMP/relay.json")"
grep -q '"payload_types":{"9":' "$TMP/relay.json" || fail "relayed RTP is not G.722: $(cat "$TMP/relay.json")"
http GET "/sessions/$b"
printf '%s' "$HTTP_BODY" | grep -q '"transcoded":0' || fail "the callee leg transcodes: $HTTP_BODY"
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/codecs_uac_g722.out")"
wait_sipp
wait_state "$a" Terminated
wait_state "$b" Terminated
pass
