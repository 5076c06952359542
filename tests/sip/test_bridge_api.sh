#!/usr/bin/env bash
# POST /sessions/{a}/bridge {"with": b} joins two active outgoing calls: both are Bridged and
# linked, RTP sent to leg a reaches b's remote (rewritten to b's own SSRC); bad requests get
# 400/404; POST /unbridge splits them (Active, unlinked) and the relay stops.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
PA=$(free_port); PB=$(free_port); UAS2=$(free_port)
start_sessiond --rtp-timeout-ms 0
start_sipp_uas media_uas -set probe "$PA"; first=$SIPP_BG
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS2
start_sipp_uas media_uas -set probe "$PB"
SIPP_PORT=$SIPP_PORT_SAVE
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\"}"; a=$(json_str id)
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$UAS2\"}"; b=$(json_str id)
wait_state "$a" Active; wait_state "$b" Active
http POST "/sessions/$a/bridge" "{\"with\":\"$a\"}"
[ "$HTTP_STATUS" = 400 ] || fail "bridge with itself: $HTTP_STATUS"
http POST "/sessions/$a/bridge" '{"with":"nope"}'
[ "$HTTP_STATUS" = 404 ] || fail "bridge with unknown: $HTTP_STATUS"
http POST "/sessions/$a/bridge" "{\"with\":\"$b\"}"
[ "$HTTP_STATUS" = 200 ] || fail "bridge: $HTTP_STATUS $HTTP_BODY"
wait_state "$a" Bridged; wait_state "$b" Bridged
http GET "/sessions/$a"; [ "$(json_str peer_id)" = "$b" ] || fail "a not linked to b: $HTTP_BODY"
la=$(rtp_port "$a")
"$PROBE" --port "$PB" --seconds 2 >"$TMP/relay.json" &
rx=$!
"$PROBE" --port "$PA" --seconds 2 --to "127.0.0.1:$la" >/dev/null || fail "sender probe failed"
wait "$rx"
echo "relay: $(cat "$TMP/relay.json")"
[ "$(probe_json packets "$TMP/relay.json")" -ge 60 ] || fail "RTP not relayed: $(cat "$TMP/relay.json")"
ssrc=$(probe_json ssrcs "$TMP/relay.json" | tr -d '[]')
[ "$ssrc" != "$((0x5c0ffee5))" ] || fail "relayed SSRC not rewritten"
http POST "/sessions/$a/unbridge"
[ "$HTTP_STATUS" = 200 ] || fail "unbridge: $HTTP_STATUS $HTTP_BODY"
wait_state "$a" Active; wait_state "$b" Active
http GET "/sessions/$b"; [ -z "$(json_str peer_id)" ] || fail "b still linked: $HTTP_BODY"
"$PROBE" --port "$PB" --seconds 1 >"$TMP/split.json" &
rx=$!
"$PROBE" --port "$PA" --seconds 1 --to "127.0.0.1:$la" >/dev/null
wait "$rx"
[ "$(probe_json packets "$TMP/split.json")" -le 2 ] || fail "relay continues after unbridge: $(cat "$TMP/split.json")"
http POST "/sessions/$a/hangup"; http POST "/sessions/$b/hangup"
wait "$first" || fail "first sipp uas failed"
wait_sipp
wait_state "$a" Terminated; wait_state "$b" Terminated
expect_history "$a" BridgeSessions UnbridgeSessions HangupCall
# the bus told each side of the bridge once, naming its peer (BridgeCreated/BridgeEnded)
curl -sN --max-time 1 "http://127.0.0.1:$HTTP_PORT/events?since=0&type=BridgeCreated,BridgeEnded" >"$TMP/br.sse" 2>/dev/null
got=$(grep -o '"type":"Bridge[A-Za-z]*","[^}]*' "$TMP/br.sse" | sed 's/.*"type":"\([A-Za-z]*\)".*"session":"\([^"]*\)".*"peer":"\([^"]*\)".*/\1 \2 \3/' | sort | tr '\n' ' ')
want=$(printf '%s\n' "BridgeCreated $a $b" "BridgeCreated $b $a" "BridgeEnded $a $b" "BridgeEnded $b $a" | sort | tr '\n' ' ')
[ "$got" = "$want" ] || fail "bridge events: '$got', expected '$want': $(cat "$TMP/br.sse")"
pass
