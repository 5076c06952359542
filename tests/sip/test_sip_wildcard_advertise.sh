#!/usr/bin/env bash
# Addresses on the wire. Bound to 0.0.0.0 with nothing advertised, sessiond never puts 0.0.0.0
# in Via, Contact, From or SDP: it uses the address of the interface the route to the peer goes
# out of (here 127.0.0.1). With --advertise / --media-advertise (and ",advertise=" on a
# listener) it announces those instead, and in-dialog requests reach it there. Runs in a network
# namespace of its own (only loopback, plus 127.0.0.2), so a wildcard bind faces nothing else.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/lib.sh"
start_wild() { # like start_sessiond, with the first SIP listener on 0.0.0.0
    "$BIN/sessiond" --sip "udp:0.0.0.0:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --sip-t1-ms 100 --store memory: \
        --answer auto --log-level debug "$@" >"$TMP/sessiond.out" 2>"$SD_LOG" &
    SD_PID=$!
    wait_sessiond
}
stop_sd() { kill -TERM "$SD_PID"; sleep 0.1; kill -TERM "$SD_PID" 2>/dev/null; wait "$SD_PID"; SD_PID=; }
# what sessiond sent SIPp (the 200 to the INVITE, then the rest), from SIPp's message trace
sent_to_sipp() { cat "$TMP"/*_messages.log; }

# 1. wildcard, nothing advertised: the route's source
start_wild
run_sipp uac_bye -trace_msg
id=$(only_session)
wait_state "$id" Terminated
http GET "/sessions/$id"
printf '%s' "$HTTP_BODY" | grep -q '"local_rtp":"127.0.0.1:' || fail "SDP address: $HTTP_BODY"
sent_to_sipp | grep -q 'Contact: <sip:127.0.0.1:' || fail "no Contact with 127.0.0.1: $(sent_to_sipp | grep -i contact)"
sent_to_sipp | grep -q '^c=IN IP4 127.0.0.1' || fail "no c=127.0.0.1 in our SDP"
sent_to_sipp | grep -q '0\.0\.0\.0' && fail "0.0.0.0 on the wire: $(sent_to_sipp | grep -n '0\.0\.0\.0' | head -3)"
# an outgoing call: Via, Contact and From by route as well
rm -f "$TMP"/*_messages.log
start_sipp_uas uas_answer -trace_msg
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || [ "$HTTP_STATUS" = 200 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
out=$(json_str id)
wait_state "$out" Active
http POST "/sessions/$out/hangup"
wait "$SIPP_BG" || fail "the outgoing call failed"
grep -q 'Via: SIP/2.0/UDP 127.0.0.1:' "$TMP"/*_messages.log || fail "outgoing Via: $(grep -i '^Via' "$TMP"/*_messages.log | head -2)"
grep -q '^From: <sip:sessiond@127.0.0.1:' "$TMP"/*_messages.log || fail "outgoing From: $(grep -i '^From' "$TMP"/*_messages.log | head -1)"
grep -q '0\.0\.0\.0' "$TMP"/*_messages.log && fail "0.0.0.0 in the outgoing call"
stop_sd

# 2. advertised: Contact, Via and SDP carry 127.0.0.2; SIPp's ACK and BYE go there and arrive
rm -f "$TMP"/*_messages.log
start_wild --advertise 127.0.0.2 --media-advertise 127.0.0.2
run_sipp uac_bye -trace_msg
id=$(only_session)
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE
sent_to_sipp | grep -q 'Contact: <sip:127.0.0.2:' || fail "Contact not advertised"
sent_to_sipp | grep -q '^c=IN IP4 127.0.0.2' || fail "SDP not advertised"
stop_sd

# 3. per listener: ",advertise=" wins for that listener
rm -f "$TMP"/*_messages.log
"$BIN/sessiond" --sip "udp:0.0.0.0:$SIP_PORT,advertise=127.0.0.2" --http "127.0.0.1:$HTTP_PORT" --store memory: \
    --answer auto >"$TMP/sessiond.out" 2>"$SD_LOG" &
SD_PID=$!
wait_sessiond
run_sipp uac_bye -trace_msg
sent_to_sipp | grep -q 'Contact: <sip:127.0.0.2:' || fail "listener advertise not used"
# a bad advertise is refused at start with one line
timeout 5 "$BIN/sessiond" --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" --advertise not-an-ip >"$TMP/bad.out" 2>&1
[ $? = 2 ] && grep -q -- '--advertise' "$TMP/bad.out" || fail "bad --advertise: $(cat "$TMP/bad.out")"
pass
