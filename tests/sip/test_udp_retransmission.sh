#!/usr/bin/env bash
# UDP retransmissions absorbed: the same INVITE (same branch) arrives twice; there is one
# session with one IncomingCall, and the call completes normally.
. "$(dirname "$0")/lib.sh"
start_sessiond --ring-delay-ms 200
run_sipp uac_retrans
id=$(only_session)
wait_state "$id" Terminated
expect_history "$id" IncomingCall AcceptCall DialogACK DialogBYE
http GET "/sessions/$id/history"
n=$(printf '%s' "$HTTP_BODY" | grep -o '"event":"IncomingCall"' | wc -l)
[ "$n" -eq 1 ] || fail "IncomingCall seen $n times"
pass
