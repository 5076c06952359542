#!/usr/bin/env bash
# Early media through the B2BUA (RFC 3960): the routed callee answers 183 with SDP and plays
# RTP (SIPp's g711a pcap) for 2.5 s before its 200. The caller gets a 183 with our SDP at once
# (PeerEarlyMedia -> BridgeEarlyMedia) and the callee's RTP while its leg is still Ringing:
# sessiond's relayed packets on the caller's leg rise before the answer and the caller's
# rtp_probe receives them; then the 200 is relayed and the call ends normally. Then the table
# answers early itself (a copy of the default table whose IncomingCall sends 183 and plays
# music on hold as the announcement): a direct caller that supports 100rel gets that 183
# reliably (PRACK), hears it before it is accepted, and its UPDATE with a new offer in the
# early dialog (RFC 3311) is answered with our SDP and moves the media.
. "$(dirname "$0")/lib.sh"
[ -x "$PROBE" ] || { echo "SKIP: rtp_probe not built"; exit 77; }
[ -r /usr/share/sip-tester/g711a.pcap ] || { echo "SKIP: SIPp's g711a.pcap missing"; exit 77; }
UAS_PORT=$(free_port); PA=$(free_port)
sed -e 's/actions: \[{SendResponse: {code: 180}}\]$/actions: [{SendResponse: {code: 183}}, PlayMusicOnHold]/' \
    -e 's/actions: \[{SendResponse: {code: 200}}, StartMedia\]$/actions: [StopMusicOnHold, {SendResponse: {code: 200}}, StartMedia]/' \
    "$SRC/tables/default.yaml" >"$TMP/early.yaml"
grep -q 'code: 183}}, PlayMusicOnHold' "$TMP/early.yaml" || fail "table copy not changed"
start_sessiond --answer manual --table "$TMP/early.yaml" --rtp-timeout-ms 0 \
    --route "bo*=sip:carol@127.0.0.1:$UAS_PORT" --trust 127.0.0.1
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas early_media_uas -mp "$(free_media_port)"
SIPP_PORT=$SIPP_PORT_SAVE
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/early_media_uac.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/early_media_uac.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" -mp "$(free_media_port)" \
    -s bob -set probe "$PA" "127.0.0.1:$SIP_PORT" >"$TMP/early_media_uac.out" 2>&1) &
uac=$!
b2bua_legs
"$PROBE" --port "$PA" --seconds 1.2 >"$TMP/early.json" & # the callee answers 183 at once
rx=$!
# The caller's leg relays the callee's RTP while it has not been answered yet.
early=0
for _ in $(seq 1 100); do
    http GET "/sessions/$a"
    st=$(json_str state)
    out=$(printf '%s' "$HTTP_BODY" | grep -o '"packets_out":[0-9]*' | head -n 1 | sed 's/.*://')
    [ "$st" = Ringing ] || fail "caller leg left Ringing ($st) before relaying 25 early packets: $HTTP_BODY"
    [ "${out:-0}" -ge 25 ] && { early=$out; break; }
    sleep 0.05
done
[ "$early" -ge 25 ] || fail "no early media relayed to the caller: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' || fail "caller leg not bridged early: $HTTP_BODY"
echo "early packets relayed to the caller before the answer: $early"
wait "$rx"
echo "caller probe: $(cat "$TMP/early.json")"
[ "$(probe_json packets "$TMP/early.json")" -ge 15 ] || fail "the caller received no early RTP: $(cat "$TMP/early.json")"
wait "$uac" || fail "sipp caller failed: $(tail -n 5 "$TMP/early_media_uac.out")"
wait_sipp
wait_state "$a" Terminated
wait_state "$b" Terminated
expect_history "$a" IncomingCall PeerEarlyMedia PeerAnswered DialogACK DialogBYE
expect_history "$b" MakeCall Dialog183SessionProgress Dialog200OK BridgeSessions HangupCall

# The table's own early answer: 183 with our SDP (reliable: the caller supports 100rel, and
# PRACKs it) and music on hold before AcceptCall; the caller's UPDATE with a new offer in the
# early dialog is answered with our SDP and moves the announcement to its new port.
PC=$(free_port); PU=$(free_port)
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/early_update_uac.xml" -m 1 -l 1 -timeout 30s -timeout_error \
    -trace_err -error_file "$TMP/early_update_uac.err" -nostdin -i 127.0.0.1 -p "$(free_port)" -mp "$(free_media_port)" \
    -s alice -set probe "$PC" -set up "$PU" "127.0.0.1:$SIP_PORT" >"$TMP/early_update_uac.out" 2>&1) &
uac=$!
for _ in $(seq 1 100); do
    c=$(session_ids | grep -v -e "$a" -e "$b" | head -n 1); [ -n "$c" ] && break; sleep 0.05
done
[ -n "$c" ] || fail "no session for the direct call"
"$PROBE" --port "$PC" --seconds 0.6 >"$TMP/announce.json" # the 183 and the music go out at once
"$PROBE" --port "$PU" --seconds 1.6 >"$TMP/moved.json" & # the UPDATE comes 1.5 s after the PRACK
rx=$!
echo "announcement probe: $(cat "$TMP/announce.json")"
[ "$(probe_json packets "$TMP/announce.json")" -ge 10 ] || fail "no early announcement: $(cat "$TMP/announce.json")"
wait "$rx"
echo "after the UPDATE: $(cat "$TMP/moved.json")"
http GET "/sessions/$c"; [ "$(json_str state)" = Ringing ] || fail "direct call not Ringing: $HTTP_BODY"
[ "$(json_str remote_rtp)" = "127.0.0.1:$PU" ] || fail "the UPDATE did not move the media: $HTTP_BODY"
[ "$(probe_json packets "$TMP/moved.json")" -ge 20 ] || fail "no announcement at the UPDATE's port: $(cat "$TMP/moved.json")"
http POST "/sessions/$c/accept"
[ "$HTTP_STATUS" = 200 ] || fail "accept: $HTTP_STATUS $HTTP_BODY"
wait "$uac" || fail "sipp direct caller failed: $(tail -n 5 "$TMP/early_update_uac.out")"
wait_state "$c" Terminated
expect_history "$c" IncomingCall DialogUPDATE AcceptCall DialogACK DialogBYE
pass
