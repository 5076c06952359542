#!/usr/bin/env bash
# B2BUA, callee's side: a SIPp caller dials bob@sessiond, a --route sends it to a SIPp callee
# that answers and then itself holds (re-INVITE a=sendonly): the caller's leg gets music on
# hold (and it stops on the callee's resume); the callee's BYE ends the caller's leg too (the
# caller receives a BYE from sessiond). Both legs end Terminated with the matching history.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
UAS_PORT=$(free_port); PA=$(free_port); PB=$(free_port)
start_sessiond --rtp-timeout-ms 0 --route "bo*=sip:carol@127.0.0.1:$UAS_PORT,from=any"
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas b2bua_uas_hold_bye -set probe "$PB"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/b2bua_uac_wait_bye.xml" -m 1 -l 1 -timeout 45s -timeout_error \
    -trace_err -error_file "$TMP/b2bua_uac_wait_bye.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    -set probe "$PA" "127.0.0.1:$SIP_PORT" >"$TMP/b2bua_uac_wait_bye.out" 2>&1) &
uac=$!
b2bua_legs
wait_state "$a" Bridged
wait_state "$b" Bridged
http GET "/sessions/$a"; [ "$(json_str peer_id)" = "$b" ] || fail "leg a does not link b: $HTTP_BODY"
# The callee holds (about 1.5 s after its answer): the caller hears music on hold.
for _ in $(seq 1 200); do
    http GET "/sessions/$a"; printf '%s' "$HTTP_BODY" | grep -q '"moh":true' && break; sleep 0.05
done
printf '%s' "$HTTP_BODY" | grep -q '"moh":true' || fail "caller leg not on music on hold: $HTTP_BODY"
"$PROBE" --port "$PA" --seconds 2 --wav "$SRC/media/moh-default.wav" >"$TMP/moh.json" || fail "probe failed"
echo "moh: $(cat "$TMP/moh.json")"
[ "$(probe_json packets "$TMP/moh.json")" -ge 80 ] || fail "caller got no MOH: $(cat "$TMP/moh.json")"
awk -v c="$(probe_json correlation "$TMP/moh.json")" 'BEGIN { exit !(c >= 0.9) }' || fail "MOH audio mismatch"
# The callee resumes (6 s after the hold): MOH stops, the call is still up (4 s until the BYE).
for _ in $(seq 1 200); do
    http GET "/sessions/$a"; printf '%s' "$HTTP_BODY" | grep -q '"moh":false' && break; sleep 0.05
done
printf '%s' "$HTTP_BODY" | grep -q '"moh":false' || fail "caller leg still on music on hold: $HTTP_BODY"
[ "$(json_str state)" = Bridged ] || fail "caller leg not Bridged after resume: $HTTP_BODY"
# The callee hangs up: sessiond answers its BYE and sends one to the caller.
wait_sipp
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/b2bua_uac_wait_bye.out")"
wait_state "$a" Terminated
wait_state "$b" Terminated
expect_outcome "$a" normal
expect_outcome "$b" normal
expect_history "$b" MakeCall Dialog200OK BridgeSessions DialogReINVITE DialogReINVITE DialogBYE
expect_history "$a" IncomingCall PeerAnswered DialogACK PeerHold PeerResume HangupCall Dialog200OK
for i in "$a" "$b"; do
    http GET "/sessions/$i"
    printf '%s' "$HTTP_BODY" | grep -q '"media":{"open":false}' || fail "stream of $i not closed: $HTTP_BODY"
done
pass
