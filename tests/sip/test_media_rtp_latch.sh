#!/usr/bin/env bash
# Symmetric RTP (--rtp-latch): the callee's SDP names one port but its RTP comes from another
# (as from behind a NAT). The first packets latch the stream to that source: they count, the
# inspection shows it latched with that source; afterwards an intruder and even the SDP's own
# address are rejected (no re-latch), and music on hold on our hold goes to the latched source,
# not to the SDP's address (the hold re-INVITE keeps the SDP's address, so the latch stays).
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
PA=$(free_port)
PN=$(free_port)
while [ "$PN" = "$PA" ]; do PN=$(free_port); done
PX=$(free_port)
while [ "$PX" = "$PA" ] || [ "$PX" = "$PN" ]; do PX=$(free_port); done
start_sessiond --rtp-timeout-ms 0 --rtp-latch
start_sipp_uas media_uas_hold -set probe "$PA"
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
lport=$(rtp_port "$id")
[ -n "$lport" ] || fail "no local RTP port"

media_field() {
    http GET "/sessions/$id"
    printf '%s' "$HTTP_BODY" | grep -o '"media":{[^}]*}' | grep -o "\"$1\":[^,}]*" | head -n 1 | sed 's/^[^:]*://; s/"//g'
}
[ "$(media_field latched)" = false ] || fail "latched before any packet"

# The callee's real source (PN, not the SDP's PA) latches the stream.
"$PROBE" --port "$PN" --seconds 1.5 --to "127.0.0.1:$lport" >/dev/null || fail "probe failed"
[ "$(media_field latched)" = true ] || fail "not latched: $HTTP_BODY"
[ "$(media_field source)" = "127.0.0.1:$PN" ] || fail "latched to '$(media_field source)', expected 127.0.0.1:$PN"
in1=$(media_field packets_in)
[ "$in1" -ge 50 ] || fail "latched source's packets not counted ($in1)"

# No re-latch: the intruder and the SDP's own address are both rejected.
"$PROBE" --port "$PX" --seconds 1 --to "127.0.0.1:$lport" >/dev/null &
intruder=$!
"$PROBE" --port "$PA" --seconds 1 --to "127.0.0.1:$lport" >/dev/null || fail "probe failed"
wait "$intruder"
rejected=$(media_field rejected)
[ "$rejected" -ge 70 ] || fail "intruder and SDP address not rejected ($rejected)"
[ "$(media_field packets_in)" = "$in1" ] || fail "packets accepted after the latch from another source"
[ "$(media_field source)" = "127.0.0.1:$PN" ] || fail "re-latched to '$(media_field source)'"

# Our hold plays music to the latched source, not to the SDP's address.
http POST "/sessions/$id/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" OnHold
"$PROBE" --port "$PA" --seconds 2 >"$TMP/sdp.json" &
sdp=$!
"$PROBE" --port "$PN" --seconds 2 >"$TMP/nat.json" || fail "probe failed"
wait "$sdp"
[ "$(probe_json packets "$TMP/nat.json")" -ge 60 ] || fail "no MOH at the latched source: $(cat "$TMP/nat.json")"
[ "$(probe_json packets "$TMP/sdp.json")" -le 2 ] || fail "MOH sent to the SDP's address: $(cat "$TMP/sdp.json")"
[ "$(media_field source)" = "127.0.0.1:$PN" ] || fail "the hold re-INVITE moved the latch"
http POST "/sessions/$id/resume"
[ "$HTTP_STATUS" = 200 ] || fail "resume: $HTTP_STATUS $HTTP_BODY"
wait_state "$id" Active
http POST "/sessions/$id/hangup"
wait_sipp
wait_state "$id" Terminated
pass
