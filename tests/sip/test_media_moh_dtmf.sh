#!/usr/bin/env bash
# Real RTP on an outgoing call to a SIPp UAS whose SDP points at rtp_probe: nothing is sent
# while the call is active (no source), a local hold plays music on hold (PCMU at ~50 packets/s,
# the decoded audio correlates with media/moh-default.wav), resume stops it; DTMF sent with
# POST /dtmf arrives as RFC 4733 events; RFC 4733 digits sent by the probe become DtmfReceived.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
PROBE_PORT=$(free_port)
start_sessiond --rtp-timeout-ms 0
start_sipp_uas media_uas_hold -set probe "$PROBE_PORT"
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q "\"remote_rtp\":\"127.0.0.1:$PROBE_PORT\"" || fail "remote RTP not the probe: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"media":{[^}]*"open":true' || fail "no open media in inspection: $HTTP_BODY"
lport=$(rtp_port "$id")
[ -n "$lport" ] || fail "no local RTP port"

# Active, no source: silence on the wire.
"$PROBE" --port "$PROBE_PORT" --seconds 1 >"$TMP/active.json" || fail "probe failed"
[ "$(probe_json packets "$TMP/active.json")" -le 2 ] || fail "RTP sent with no source: $(cat "$TMP/active.json")"

# DTMF out: the probe (as the callee's RTP) sees the events; it also sends digits to us.
"$PROBE" --port "$PROBE_PORT" --seconds 3 --to "127.0.0.1:$lport" --dtmf 47 --dtmf-at-ms 300 >"$TMP/dtmf.json" &
probe_pid=$!
sleep 0.3
http POST "/sessions/$id/dtmf" '{"digits":"12#"}'
[ "$HTTP_STATUS" = 200 ] || fail "dtmf: $HTTP_STATUS $HTTP_BODY"
wait "$probe_pid" || fail "probe failed"
[ "$(probe_json dtmf "$TMP/dtmf.json")" = "12#" ] || fail "DTMF events at the probe: $(cat "$TMP/dtmf.json")"
http GET "/sessions/$id/history"
got=$(printf '%s' "$HTTP_BODY" | grep -o '"event":"DtmfReceived"[^}]*' | grep -o '"event_text":"[^"]*"' | sed 's/"event_text":"\(.*\)"/\1/' | tr -d '\n')
[ "$got" = 47 ] || fail "DtmfReceived digits '$got', expected 47: $HTTP_BODY"

# Hold: music on hold at ~50 pps that matches the shipped default tune.
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
"$PROBE" --port "$PROBE_PORT" --seconds 3 --wav "$SRC/media/moh-default.wav" >"$TMP/moh.json" || fail "probe failed"
pk=$(probe_json packets "$TMP/moh.json"); pps=$(probe_json pps "$TMP/moh.json")
corr=$(probe_json correlation "$TMP/moh.json"); pt0=$(probe_json '"0"' "$TMP/moh.json" 2>/dev/null)
echo "moh: $(cat "$TMP/moh.json" | cut -c1-200)"
[ "$pk" -ge 120 ] || fail "too few MOH packets: $(cat "$TMP/moh.json")"
awk -v p="$pps" 'BEGIN { exit !(p >= 45 && p <= 55) }' || fail "MOH rate $pps pps, expected ~50"
grep -q '"payload_types":{"0":' "$TMP/moh.json" || fail "MOH not PCMU: $(cat "$TMP/moh.json")"
awk -v c="$corr" 'BEGIN { exit !(c >= 0.9) }' || fail "MOH audio does not match the default tune (corr $corr)"
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"moh":true' || fail "inspection does not show MOH: $HTTP_BODY"

# Resume: the music stops.
http POST "/sessions/$id/resume"
[ "$HTTP_STATUS" = 200 ] || fail "resume: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
"$PROBE" --port "$PROBE_PORT" --seconds 1.5 >"$TMP/resumed.json" || fail "probe failed"
[ "$(probe_json packets "$TMP/resumed.json")" -le 2 ] || fail "MOH still playing after resume: $(cat "$TMP/resumed.json")"
http POST "/sessions/$id/hangup"
wait_sipp
wait_state "$id" Terminated
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"media":{"open":false}' || fail "stream not closed at the end: $HTTP_BODY"

# The typed bus events of the call, replayed from the ring over SSE with a type filter: each
# received digit with its duration, the media's start (codec, the probe as remote) and stop.
curl -sN --max-time 1 "http://127.0.0.1:$HTTP_PORT/events?since=0&session=$id&type=DtmfReceived,MediaStarted,MediaStopped" \
    >"$TMP/typed.sse" 2>/dev/null
digits=$(grep -o '"type":"DtmfReceived"[^}]*' "$TMP/typed.sse" | grep -o '"digit":"[^"]*"' | cut -d'"' -f4 | tr -d '\n')
[ "$digits" = 47 ] || fail "bus DtmfReceived digits '$digits', expected 47: $(cat "$TMP/typed.sse")"
grep -q '"type":"DtmfReceived".*"duration_ms":[1-9]' "$TMP/typed.sse" || fail "DtmfReceived without a duration"
grep -q "\"type\":\"MediaStarted\".*\"codec\":\"PCMU/8000\",\"remote\":\"127.0.0.1:$PROBE_PORT\",\"reason\":\"Dialog200OK\"" \
    "$TMP/typed.sse" || fail "no MediaStarted toward the probe: $(cat "$TMP/typed.sse")"
[ "$(grep -c '"type":"MediaStopped".*"reason":"stopped"' "$TMP/typed.sse")" = 1 ] ||
    fail "not one MediaStopped (stopped): $(cat "$TMP/typed.sse")"
grep -q '"type":"\(StateChanged\|App\)"' "$TMP/typed.sse" && fail "the type filter let other events through"
pass
