#!/usr/bin/env bash
# Blind transfer between three sessiond nodes (RFC 5589 section 6): A calls B, B transfers A
# to C with POST /sessions/{id}/transfer; A's new call (with Referred-By) reaches C, B's NOTIFY
# progress is Trying, Ringing, Success; B ends its call, A's old call ends with B's BYE; the
# sessions are linked; everything ends when A hangs up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C
start_node A --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
start_node B
read -r a1 b1 <<<"$(call_ab A B)"
on B POST "/sessions/$b1/transfer" "{\"target\":\"sip:carol@127.0.0.1:${NODE_SIP[C]}\",\"mode\":\"blind\"}"
[ "$HTTP_STATUS" = 200 ] || fail "transfer: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b1" Terminated 15
a2=$(wait_node_session A "$a1")
wait_on A "$a2" Active
wait_on A "$a1" Terminated
c1=$(wait_node_session C)
wait_on C "$c1" Active
# B saw the whole progress, in order, with the sipfrag codes
h=$(history_line B "$b1")
case "$h" in
    *"BlindTransfer("*"TransferAccepted(202"*"TransferProgress(100 Trying)"*"TransferProgress(180 Ringing)"*"TransferSucceeded(200 Success)"*) ;;
    *) fail "B's history lacks the progress: $h" ;;
esac
# ... and published it as typed TransferProgress events (status, sipfrag code, percentage)
curl -sN --max-time 1 "http://127.0.0.1:${NODE_HTTP[B]}/events?since=0&session=$b1&type=TransferProgress" \
    >"$TMP/xfer.sse" 2>/dev/null
prog=$(grep -o '"status":"[a-z]*","sip_code":[0-9]*,"percent":[0-9]*' "$TMP/xfer.sse" | tr -d '"' | tr '\n' ' ')
[ "$prog" = "status:accepted,sip_code:202,percent:10 status:trying,sip_code:100,percent:25 \
status:ringing,sip_code:180,percent:50 status:succeeded,sip_code:200,percent:100 " ] ||
    fail "B's TransferProgress events: '$prog': $(cat "$TMP/xfer.sse")"
on B GET "/sessions/$b1"; [ "$(json_str outcome)" = transferred ] || fail "B outcome: $HTTP_BODY"
# A: the old call was transferred and linked to the new one
h=$(history_line A "$a1")
case "$h" in
    *"DialogREFER("*"TransferProgress(100 Trying)"*"TransferProgress(180 Ringing)"*"TransferSucceeded(200 OK)"*"DialogBYE("*) ;;
    *) fail "A's old call history: $h" ;;
esac
curl -sN --max-time 1 "http://127.0.0.1:${NODE_HTTP[A]}/events?since=0&session=$a1&type=TransferProgress" \
    >"$TMP/xfer_a.sse" 2>/dev/null
prog=$(grep -o '"status":"[a-z]*","sip_code":[0-9]*,"percent":[0-9]*' "$TMP/xfer_a.sse" | tr -d '"' | tr '\n' ' ')
[ "$prog" = "status:trying,sip_code:100,percent:25 status:ringing,sip_code:180,percent:50 \
status:succeeded,sip_code:200,percent:100 " ] || fail "A's TransferProgress events: '$prog'"
[ "$(field_of A "$a1" transfer_id)" = "$a2" ] || fail "A's old call not linked to the new one: $HTTP_BODY"
[ "$(field_of A "$a1" outcome)" = transferred ] || fail "A's old call outcome: $HTTP_BODY"
[ "$(field_of A "$a2" transfer_id)" = "$a1" ] || fail "A's new call not linked back: $HTTP_BODY"
field_of A "$a2" referred_by | grep -q "sip:B@127.0.0.1:${NODE_SIP[B]}" || fail "no Referred-By on A's new call: $HTTP_BODY"
# C got the call with Referred-By, same dialog as A's new call
field_of C "$c1" referred_by | grep -q "sip:B@" || fail "C's call lacks Referred-By: $HTTP_BODY"
[ "$(field_of C "$c1" call_id)" = "$(field_of A "$a2" call_id)" ] || fail "A's new call and C's call differ"
on A POST "/sessions/$a2/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS"
wait_on C "$c1" Terminated
all_ended
pass
