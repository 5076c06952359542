#!/usr/bin/env bash
# A caller that never sends ACK: sessiond retransmits its 200 (T1 50 ms), gives up after 64*T1
# (DialogTimeout), sends BYE (once, unretransmitted: no request of the dialog came from the
# Contact; see test_cleanup_no_ack_contact.sh), the session ends (outcome timeout) and a short --retention-ms
# reaps it: GET /sessions no longer lists it and sessioncore_sessions_reaped_total moves.
. "$(dirname "$0")/lib.sh"
start_sessiond --answer auto --sip-t1-ms 50 --retention-ms 1500
reaped0=$(metric 'sessioncore_sessions_reaped_total{reason="retention"}')
t0=$(date +%s%N)
run_sipp cleanup_uac_no_ack
t1=$(date +%s%N)
echo "BYE after no ACK: $(( (t1 - t0) / 1000000 )) ms (64*T1 = 3200 ms)"
retx=$(metric 'sessioncore_sip_retransmissions_total{direction="out",method="any"}')
[ "${retx%.*}" -ge 3 ] || fail "expected the 200 to be retransmitted, retransmissions: $retx"
id=$(only_session)
wait_state "$id" Terminated 10
expect_outcome "$id" timeout
expect_history "$id" IncomingCall AcceptCall DialogTimeout Dialog200OK
# reaped after the retention (the sweep runs every second)
for _ in $(seq 1 100); do
    [ -z "$(session_ids)" ] && break; sleep 0.1
done
[ -z "$(session_ids)" ] || fail "session $id still listed after --retention-ms 1500"
t2=$(date +%s%N)
echo "reaped $(( (t2 - t1) / 1000000 )) ms after the call ended"
http GET "/sessions/$id"
[ "$HTTP_STATUS" = 404 ] || fail "GET /sessions/$id: $HTTP_STATUS after reaping"
reaped1=$(metric 'sessioncore_sessions_reaped_total{reason="retention"}')
[ "${reaped1%.*}" -gt "${reaped0%.*}" ] || fail "reaped_total did not move: $reaped0 -> $reaped1"
pass
