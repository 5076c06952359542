#!/usr/bin/env bash
# Recovery of a bridged B2BUA call: a SIPp caller dials bob@sessiond, a --route sends it to a
# SIPp callee; once both legs are Bridged sessiond is killed (-9) and restarted. Both legs come
# back Bridged and linked (peer_id), on the same RTP ports, and the caller's RTP is relayed to
# the callee again (rtp_probe counts the packets); the caller's BYE then ends both legs (the
# callee gets a BYE). History of each leg: before the crash, Recovered, then the hangup.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
UAS_PORT=$(free_port); PA=$(free_port); PB=$(free_port)
rec_start --rtp-timeout-ms 0 --route "bo*=sip:carol@127.0.0.1:$UAS_PORT,from=any"
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas rec_b2bua_uas -set probe "$PB"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_b2bua_uac.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -error_file "$TMP/rec_b2bua_uac.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -set probe "$PA" "127.0.0.1:$SIP_PORT" >"$TMP/rec_b2bua_uac.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
wait_state "$b" Bridged
la=$(rtp_port "$a"); lb=$(rtp_port "$b")
rec_crash_restart
wait_state "$a" Bridged
wait_state "$b" Bridged
http GET "/sessions/$a"; [ "$(json_str peer_id)" = "$b" ] || fail "recovered leg a does not link b: $HTTP_BODY"
http GET "/sessions/$b"; [ "$(json_str peer_id)" = "$a" ] || fail "recovered leg b does not link a: $HTTP_BODY"
for _ in $(seq 1 100); do
    http GET "/sessions/$b"; printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' && break; sleep 0.05
done
printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' || fail "recovered leg b media not bridged: $HTTP_BODY"
[ "$(rtp_port "$a")" = "$la" ] || fail "leg a RTP port changed: $la -> $(rtp_port "$a")"
[ "$(rtp_port "$b")" = "$lb" ] || fail "leg b RTP port changed: $lb -> $(rtp_port "$b")"
# Caller -> callee through the recovered relay.
"$PROBE" --port "$PB" --seconds 2 >"$TMP/relay.json" &
rx=$!
"$PROBE" --port "$PA" --seconds 2 --to "127.0.0.1:$la" >/dev/null || fail "sender probe failed"
wait "$rx"
echo "relay after recovery: $(cat "$TMP/relay.json")"
[ "$(probe_json packets "$TMP/relay.json")" -ge 60 ] || fail "RTP not relayed after recovery: $(cat "$TMP/relay.json")"
wait "$uac" || fail "sipp caller failed (BYE after recovery): $(tail -n 5 "$TMP/rec_b2bua_uac.out")"
wait_sipp
wait_state "$a" Terminated
wait_state "$b" Terminated
expect_history "$a" IncomingCall PeerAnswered DialogACK Recovered DialogBYE
expect_history "$b" MakeCall Dialog200OK BridgeSessions Recovered HangupCall Dialog200OK
pass
