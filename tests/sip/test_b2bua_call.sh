#!/usr/bin/env bash
# B2BUA: a SIPp caller dials bob@sessiond, a --route sends it to a SIPp callee; both legs are
# linked (peer_id), the caller is answered when the callee answers, RTP from the caller's probe
# is relayed to the callee's probe, the caller's hold plays music on hold to the callee (and
# stops on resume), and the caller's BYE ends the callee's leg too.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
UAS_PORT=$(free_port); PA=$(free_port); PB=$(free_port)
start_sessiond --rtp-timeout-ms 0 --route "bo*=sip:carol@127.0.0.1:$UAS_PORT" --trust 127.0.0.1
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas media_uas -set probe "$PB"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/b2bua_uac.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -error_file "$TMP/b2bua_uac.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -set probe "$PA" "127.0.0.1:$SIP_PORT" >"$TMP/b2bua_uac.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
wait_state "$b" Bridged
http GET "/sessions/$a"; [ "$(json_str peer_id)" = "$b" ] || fail "leg a does not link b: $HTTP_BODY"
http GET "/sessions/$b"; [ "$(json_str peer_id)" = "$a" ] || fail "leg b does not link a: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' || fail "leg b media not bridged: $HTTP_BODY"
la=$(rtp_port "$a")
# Caller -> callee: the caller's probe sends a tone to leg a, the callee's probe receives it.
"$PROBE" --port "$PB" --seconds 2 >"$TMP/relay.json" &
rx=$!
"$PROBE" --port "$PA" --seconds 2 --to "127.0.0.1:$la" >/dev/null || fail "sender probe failed"
wait "$rx"
echo "relay: $(cat "$TMP/relay.json")"
[ "$(probe_json packets "$TMP/relay.json")" -ge 60 ] || fail "RTP not relayed to the callee: $(cat "$TMP/relay.json")"
# The caller holds: the callee hears music on hold.
for _ in $(seq 1 200); do
    http GET "/sessions/$b"; printf '%s' "$HTTP_BODY" | grep -q '"moh":true' && break; sleep 0.05
done
printf '%s' "$HTTP_BODY" | grep -q '"moh":true' || fail "callee leg not on music on hold: $HTTP_BODY"
"$PROBE" --port "$PB" --seconds 2 --wav "$SRC/media/moh-default.wav" >"$TMP/moh.json" || fail "probe failed"
echo "moh: $(cat "$TMP/moh.json")"
[ "$(probe_json packets "$TMP/moh.json")" -ge 80 ] || fail "callee got no MOH: $(cat "$TMP/moh.json")"
awk -v c="$(probe_json correlation "$TMP/moh.json")" 'BEGIN { exit !(c >= 0.9) }' || fail "MOH audio mismatch"
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/b2bua_uac.out")"
wait_sipp
wait_state "$a" Terminated
wait_state "$b" Terminated
expect_history "$a" IncomingCall PeerAnswered DialogACK DialogReINVITE DialogReINVITE DialogBYE
expect_history "$b" MakeCall Dialog200OK BridgeSessions PeerHold PeerResume HangupCall Dialog200OK
http GET "/sessions/$b"
printf '%s' "$HTTP_BODY" | grep -q '"media":{"open":false}' || fail "callee stream not closed: $HTTP_BODY"
pass
