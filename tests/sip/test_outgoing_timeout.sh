#!/usr/bin/env bash
# Outgoing call to a UAS that never answers: the INVITE transaction times out (Timer B with a
# small T1) and the session ends Failed with outcome timeout.
. "$(dirname "$0")/lib.sh"
start_sessiond --sip-t1-ms 40
start_sipp_uas uas_noanswer
http POST /calls "{\"to\":\"sip:nobody@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Failed 15
expect_outcome "$id" timeout
expect_history "$id" MakeCall DialogTimeout
wait_sipp
pass
