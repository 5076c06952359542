#!/usr/bin/env bash
# B2BUA failure: the routed target rings then answers 486; the caller hears ringing (180) and
# then gets the same 486 (PeerRejected with the target's status); both legs end, linked.
. "$(dirname "$0")/lib.sh"
UAS_PORT=$(free_port)
start_sessiond --route "bob=sip:carol@127.0.0.1:$UAS_PORT,from=any"
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS_PORT
start_sipp_uas b2bua_uas_busy
SIPP_PORT=$SIPP_PORT_SAVE
run_sipp uac_rejected
wait_sipp
ids=$(session_ids)
a=; b=
for i in $ids; do
    http GET "/sessions/$i"
    [ "$(json_str role)" = uas ] && a=$i
    [ "$(json_str role)" = uac ] && b=$i
done
[ -n "$a" ] && [ -n "$b" ] || fail "expected a uas and a uac leg, got: $ids"
wait_state "$a" Rejected
wait_state "$b" Failed
expect_outcome "$a" rejected
expect_history "$a" IncomingCall PeerRejected
http GET "/sessions/$a/history"
printf '%s' "$HTTP_BODY" | grep -q '"event":"PeerRejected","event_code":486' || fail "PeerRejected without 486: $HTTP_BODY"
expect_history "$b" MakeCall Dialog180Ringing Dialog4xx
http GET "/sessions/$b"; [ "$(json_str peer_id)" = "$a" ] || fail "leg b does not link a: $HTTP_BODY"
pass
