#!/usr/bin/env bash
# Outbound proxy (RFC 3261 8.1.2, 12.1.2, 16.12): a SIPp UAS plays the proxy. A call with a
# per-call "proxy" to a hostname callee leaves with Route <sip:proxy;lr> and the callee's URI
# as Request-URI; a Record-Route in the answer becomes the dialog's route set (ACK and BYE carry
# it). The default --outbound-proxy (given without ";lr") without Record-Route: the BYE goes to
# the Contact with no Route. A ringing call hung up: CANCEL and the 487's ACK go to the proxy
# with the same Route and Request-URI. A B2BUA route with ",proxy=URI" sends its outgoing leg
# through that proxy. A bad proxy is refused with 400 (API) or exit 2 (flags).
. "$(dirname "$0")/lib.sh"
start_sessiond --store memory:
start_sipp_uas proxy_uas_rr
http POST /calls "{\"to\":\"sip:bob@far.example.test\",\"proxy\":\"sip:127.0.0.1:$SIPP_PORT\"}"
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls with a proxy: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
wait_sipp
wait_state "$id" Terminated
# a ringing call through the proxy, hung up: CANCEL with the same Route
start_sipp_uas proxy_uas_cancel
http POST /calls "{\"to\":\"sip:carol@far.example.test\",\"proxy\":\"<sip:127.0.0.1:$SIPP_PORT;lr>\"}"
id=$(json_str id)
[ -n "$id" ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Ringing
http POST "/sessions/$id/hangup"
wait_sipp
expect_history "$id" MakeCall Dialog180Ringing HangupCall
# bad proxies
http POST /calls '{"to":"sip:bob@far.example.test","proxy":"mailto:x@y"}'
[ "$HTTP_STATUS" = 400 ] || fail "a mailto: proxy: $HTTP_STATUS $HTTP_BODY"
http POST /calls '{"to":"sip:bob@far.example.test","proxy":7}'
[ "$HTTP_STATUS" = 400 ] || fail "a numeric proxy: $HTTP_STATUS $HTTP_BODY"
stop_sessiond
# the default proxy (no ;lr given), no Record-Route
start_sessiond --store memory: --outbound-proxy "sip:127.0.0.1:$SIPP_PORT"
start_sipp_uas proxy_uas_norr
http POST /calls '{"to":"sip:alice@pbx.example.test:5080"}'
id=$(json_str id)
[ "$HTTP_STATUS" = 201 ] && [ -n "$id" ] || fail "POST /calls with the default proxy: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
wait_sipp
wait_state "$id" Terminated
stop_sessiond
# a B2BUA route through a proxy (--route PATTERN=TARGET,proxy=URI): the outgoing leg goes to it
UAS_PORT=$(free_port)
start_sessiond --store memory: --rtp-timeout-ms 0 --route "bo*=sip:bob@far.example.test,proxy=sip:127.0.0.1:$UAS_PORT,from=any"
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas proxy_uas_rr
uas=$SIPP_BG; SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/b2bua_uac_wait_bye.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -error_file "$TMP/b2bua_uac.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -set probe "$(free_port)" "127.0.0.1:$SIP_PORT" >"$TMP/b2bua_uac.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
http POST "/sessions/$a/hangup"
wait "$uac" || fail "the B2BUA caller failed: $(tail -n 5 "$TMP/b2bua_uac.out")"
SIPP_BG=$uas; wait_sipp
wait_state "$b" Terminated
grep -q "route bo\* -> sip:bob@far.example.test via sip:127.0.0.1:$UAS_PORT" "$SD_LOG" || fail "route not logged with its proxy"
stop_sessiond
# flag and route syntax errors: exit 2 with one line
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --outbound-proxy "127.0.0.1:5060" >"$TMP/bad.out" 2>&1
[ $? = 2 ] && grep -q -- "--outbound-proxy: expected a sip: URI" "$TMP/bad.out" || fail "bad proxy flag: $(cat "$TMP/bad.out")"
timeout 5 "$BIN/sessiond" --store memory: --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" \
    --route "x*=sip:x@127.0.0.1,proxy=127.0.0.1" >"$TMP/bad.out" 2>&1
[ $? = 2 ] && grep -q -- "--route: the proxy must be a sip: URI" "$TMP/bad.out" || fail "bad route proxy: $(cat "$TMP/bad.out")"
pass
