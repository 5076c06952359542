#!/usr/bin/env bash
# B2BUA legs negotiate SRTP each on its own: sessiond --srtp off with a route whose outgoing leg
# is srtp=mandatory. A plain SIPp caller (answered RTP/AVP, no a=crypto) is routed to a SIPp
# callee offered RTP/SAVP with a=crypto (it answers with its key); once bridged, the caller's
# RTP reaches the callee's probe protected (leg b's SRTP counters and the metric), the caller's
# leg has no SRTP; a bad route option is refused at start. A trunk with `srtp: mandatory`
# makes its calls offer SRTP too.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
"$BIN/sessiond" --route 'x=sip:a@127.0.0.1:5,srtp=sometimes' >/dev/null 2>"$TMP/bad.err" && fail "a bad srtp= accepted"
grep -q "srtp= is off, optional or mandatory" "$TMP/bad.err" || fail "no error for a bad srtp=: $(cat "$TMP/bad.err")"
KEY=PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR
UAS_PORT=$(free_port); PA=$(free_port); PB=$(free_port)
TRUNK_PORT=$(free_port)
cat >"$TMP/trunks.yaml" <<EOF
trunks:
  - {name: carrier, uri: "sip:127.0.0.1:$TRUNK_PORT", username: sessiond, register: no, srtp: mandatory}
EOF
start_sessiond --rtp-timeout-ms 0 --route "bo*=sip:carol@127.0.0.1:$UAS_PORT,srtp=mandatory" --trust 127.0.0.1 \
    --config "$TMP/trunks.yaml"
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas srtp_b2bua_uas -set probe "$PB" -key key "$KEY"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/srtp_b2bua_uac.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/srtp_b2bua_uac.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -set probe "$PA" "127.0.0.1:$SIP_PORT" >"$TMP/srtp_b2bua_uac.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
wait_state "$b" Bridged
http GET "/sessions/$a"
printf '%s' "$HTTP_BODY" | grep -q '"srtp"' && fail "the plain caller's leg has SRTP: $HTTP_BODY"
http GET "/sessions/$b"
printf '%s' "$HTTP_BODY" | grep -q '"srtp":{"active":true,"suite":"AES_CM_128_HMAC_SHA1_80"' ||
    fail "the callee's leg has no SRTP: $HTTP_BODY"
la=$(rtp_port "$a")
"$PROBE" --port "$PB" --seconds 1.5 >"$TMP/relay.json" &
rx=$!
"$PROBE" --port "$PA" --seconds 1.5 --to "127.0.0.1:$la" >/dev/null || fail "sender probe failed"
wait "$rx"
echo "callee's probe: $(cat "$TMP/relay.json")"
[ "$(probe_json packets "$TMP/relay.json")" -ge 40 ] || fail "RTP not relayed to the callee: $(cat "$TMP/relay.json")"
http GET "/sessions/$b"
p=$(printf '%s' "$HTTP_BODY" | grep -o '"protected":[0-9]*' | head -n 1 | sed 's/.*://')
[ "${p:-0}" -ge 40 ] || fail "the relayed RTP was not protected on leg b: $HTTP_BODY"
[ "$(metric 'sessioncore_srtp_packets_total{op="protect"}')" -ge 40 ] || fail "protect metric"
[ "$(metric 'sessioncore_srtp_packets_total{op="unprotect"}')" -eq 0 ] || fail "unprotected packets with no SRTP sender"
http POST "/sessions/$a/hangup"
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/srtp_b2bua_uac.out")"
wait_sipp
wait_state "$a" Terminated
wait_state "$b" Terminated

# a trunk's own policy: calls through `carrier` (srtp: mandatory) offer RTP/SAVP with a=crypto
# although --srtp is off (the SIPp callee checks the offer and answers with its key)
http GET /trunks/carrier
printf '%s' "$HTTP_BODY" | grep -q '"srtp":"mandatory"' || fail "GET /trunks/carrier: $HTTP_BODY"
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$TRUNK_PORT
start_sipp_uas srtp_b2bua_uas -set probe "$PB" -key key "$KEY"
SIPP_PORT=$SIPP_PORT_SAVE
http POST /calls '{"to":"carol","trunk":"carrier"}'
t=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$t" ] || fail "POST /calls through the trunk: $HTTP_STATUS $HTTP_BODY"
wait_state "$t" Active
http GET "/sessions/$t"
printf '%s' "$HTTP_BODY" | grep -q '"srtp":{"active":true' || fail "the trunk call has no SRTP: $HTTP_BODY"
http POST "/sessions/$t/hangup"
wait_sipp
wait_state "$t" Terminated
pass
