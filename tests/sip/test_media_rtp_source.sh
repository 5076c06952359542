#!/usr/bin/env bash
# RTP from anyone but the SDP's address is dropped: on an answered call whose SDP points at the
# callee's probe, a second probe on another port of the same IP sends audio and an RFC 4733
# digit to our RTP port while the callee's probe does too. Inspection counts the intruder's
# packets as rejected and only the callee's as received; only the callee's digits become
# DtmfReceived. Then the intruder alone keeps sending: the call still ends on the RTP timeout.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
PA=$(free_port)
PX=$(free_port)
while [ "$PX" = "$PA" ]; do PX=$(free_port); done
start_sessiond --rtp-timeout-ms 1500
start_sipp_uas media_uas -set probe "$PA"
http POST /calls "{\"to\":\"sip:alice@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Active
lport=$(rtp_port "$id")
[ -n "$lport" ] || fail "no local RTP port"

# media_field KEY: a field of the session's "media" object (numbers, booleans, strings).
media_field() {
    http GET "/sessions/$id"
    printf '%s' "$HTTP_BODY" | grep -o '"media":{[^}]*}' | grep -o "\"$1\":[^,}]*" | head -n 1 | sed 's/^[^:]*://; s/"//g'
}

# The callee (the SDP's address) and the intruder send at once, each with its digits.
"$PROBE" --port "$PX" --seconds 2 --to "127.0.0.1:$lport" --dtmf 9 --dtmf-at-ms 300 >"$TMP/intruder.json" &
intruder=$!
"$PROBE" --port "$PA" --seconds 2 --to "127.0.0.1:$lport" --dtmf 47 --dtmf-at-ms 300 >"$TMP/callee.json" ||
    fail "callee probe failed"
wait "$intruder" || fail "intruder probe failed"
http GET "/sessions/$id"
[ "$(json_str state)" = Active ] || fail "call not active: $HTTP_BODY"
echo "media: $(printf '%s' "$HTTP_BODY" | grep -o '"media":{[^}]*}')"
rejected=$(media_field rejected)
packets_in=$(media_field packets_in)
[ -n "$rejected" ] && [ "$rejected" -ge 80 ] || fail "intruder's packets not counted as rejected ($rejected)"
[ "$packets_in" -ge 80 ] && [ "$packets_in" -le 110 ] || fail "packets_in $packets_in: not just the callee's ~100"
[ "$(media_field source)" = "127.0.0.1:$PA" ] || fail "accepted source '$(media_field source)', expected 127.0.0.1:$PA"
[ "$(media_field latched)" = false ] || fail "latched without --rtp-latch"
http GET "/sessions/$id/history"
got=$(printf '%s' "$HTTP_BODY" | grep -o '"event":"DtmfReceived"[^}]*' | grep -o '"event_text":"[^"]*"' | sed 's/"event_text":"\(.*\)"/\1/' | tr -d '\n')
[ "$got" = 47 ] || fail "DtmfReceived digits '$got', expected the callee's 47 only"

# The intruder alone: its packets do not keep the call alive, the RTP timeout ends it.
"$PROBE" --port "$PX" --seconds 5 --to "127.0.0.1:$lport" >/dev/null &
intruder=$!
wait_state "$id" Terminated 5
kill -0 "$intruder" 2>/dev/null || fail "the call ended only after the intruder stopped"
wait "$intruder"
wait_sipp
expect_outcome "$id" timeout
expect_history "$id" MakeCall Dialog200OK RtpTimeout
pass
