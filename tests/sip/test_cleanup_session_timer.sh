#!/usr/bin/env bash
# RFC 4028 on the wire (short test-only intervals: SESSIOND_TEST_SHORT_TIMERS=1, Min-SE 2 s):
#  1. an INVITE with Session-Expires below our Min-SE gets 422 with Min-SE;
#  2. sessiond is the refresher (refresher=uas): it refreshes with UPDATE, the peer answers
#     once and vanishes: sessiond ends the call with BYE (SessionExpired in the history);
#  3. the peer is the refresher (refresher=uac): it refreshes once and vanishes: sessiond
#     sends BYE before the interval ends.
. "$(dirname "$0")/lib.sh"
export SESSIOND_TEST_SHORT_TIMERS=1
start_sessiond --answer auto --sip-t1-ms 50 --session-expires 4 --min-se 2
run_sipp cleanup_st_422
[ -z "$(session_ids)" ] || fail "the 422'd INVITE created a session"

t0=$(date +%s%N)
run_sipp cleanup_st_uas_refresher
t1=$(date +%s%N)
echo "sessiond as refresher: call ended $(( (t1 - t0) / 1000000 )) ms after the INVITE"
id=$(only_session)
wait_state "$id" Terminated 10
expect_outcome "$id" timeout
expect_history "$id" IncomingCall DialogACK SessionExpired
http DELETE "/sessions/$id" >/dev/null 2>&1 || true

SIPP_PORT=$(free_port)
t0=$(date +%s%N)
run_sipp cleanup_st_uac_refresher
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "peer as refresher: BYE $ms ms after the INVITE (refresh at ~1.5 s, expiry 2.67 s later)"
[ "$ms" -lt 9000 ] || fail "BYE came too late: $ms ms"
id2=$(session_ids | grep -v "^$id\$" | head -n 1)
[ -n "$id2" ] || fail "no second session"
wait_state "$id2" Terminated 10
expect_history "$id2" IncomingCall DialogACK SessionExpired
http GET /metrics
printf '%s' "$HTTP_BODY" | grep -q 'sessioncore_sip_messages_total{direction="out",method="UPDATE"' || \
    printf '%s' "$HTTP_BODY" | grep -q 'method="UPDATE"' || fail "no UPDATE counted in the metrics"
pass
