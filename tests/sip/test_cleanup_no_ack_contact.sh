#!/usr/bin/env bash
# An unACKed 200 must not turn sessiond into a reflector: a caller sends an INVITE whose Contact
# names another address (a UDP sink, tests/udp_listen, on another loopback port) and never ACKs.
# sessiond retransmits its 200 to the caller, gives up after 64*T1 (DialogTimeout) and sends
# the BYE of RFC 3261 13.3.1.4 to that Contact once, without retransmissions (the target was
# never confirmed by a request from it): the sink receives exactly one datagram, the BYE, where
# it used to receive 7 (T1 50 ms); the BYE's transaction then times out and the session ends
# Terminated with outcome timeout.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
LISTEN=${SC_BINARY_DIR:-$BIN/..}/tests/udp_listen
[ -x "$LISTEN" ] || { echo "SKIP: $LISTEN not built"; exit 77; }
VPORT=$(free_port)
while [ "$VPORT" = "$SIP_PORT" ] || [ "$VPORT" = "$HTTP_PORT" ] || [ "$VPORT" = "$SIPP_PORT" ]; do VPORT=$(free_port); done
VICTIM=$TMP/victim.txt
"$LISTEN" "$VPORT" 40 >"$VICTIM" 2>"$TMP/udp_listen.err" &
LPID=$!
trap 'rc=$?; kill "$LPID" 2>/dev/null; (exit $rc); cleanup' EXIT
for _ in $(seq 1 100); do port_in_use "$VPORT" && break; sleep 0.05; done
port_in_use "$VPORT" || fail "udp_listen did not bind $VPORT: $(cat "$TMP/udp_listen.err")"

start_sessiond --answer auto --sip-t1-ms 50
sends0=$(metric 'sessioncore_sip_unconfirmed_sends_total')
run_sipp uac_no_ack_contact -nd -key victim_port "$VPORT"
id=$(only_session)
wait_state "$id" Terminated 15
expect_outcome "$id" timeout
expect_history "$id" IncomingCall AcceptCall DialogTimeout
# the BYE's transaction lasted 64*T1 (3.2 s): every retransmission it could have made is out
sleep 0.5
requests=$(grep -c -E '^[A-Z]+ sip:[^ ]+ SIP/2\.0' "$VICTIM")
byes=$(grep -c -E '^BYE sip:victim@127\.0\.0\.1:'"$VPORT"' SIP/2\.0' "$VICTIM")
responses=$(grep -c -E '^SIP/2\.0 [0-9]{3} ' "$VICTIM")
echo "datagrams to the unconfirmed Contact: $requests request(s) ($byes BYE), $responses response(s)"
[ "$byes" -eq 1 ] || fail "expected exactly one BYE to the Contact, got $byes"
[ "$requests" -eq 1 ] && [ "$responses" -eq 0 ] || fail "expected nothing but the BYE at the Contact: $(grep -E '^(SIP/2\.0|[A-Z]+ sip:)' "$VICTIM")"
grep -q 'not retransmitted' "$SD_LOG" || fail "no log line for the BYE sent once"
sends1=$(metric 'sessioncore_sip_unconfirmed_sends_total')
[ "${sends1%.*}" -eq $(( ${sends0%.*} + 1 )) ] || fail "unconfirmed_sends_total: $sends0 -> $sends1"
kill -0 "$SD_PID" || fail "sessiond died"
pass
