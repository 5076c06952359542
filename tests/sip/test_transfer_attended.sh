#!/usr/bin/env bash
# Attended transfer (RFC 5589 section 7, RFC 3891) between three sessiond nodes: A calls B, B
# holds A, B calls C (consultation), B completes with `sessionctl transfer ID --attended --consult ID`: B's
# REFER carries Refer-To <C?Replaces=...> (escaped), A's INVITE to C carries Replaces, C takes
# it over (answers, BYEs the B-C dialog), B ends its call with A after the NOTIFYs (in order),
# A and C are connected and linked; at the end nothing is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C
start_node A --trust 127.0.0.1/32 --refer-allow "127.0.0.1:${NODE_SIP[C]}"
start_node B
read -r a1 b1 <<<"$(call_ab A B)"
on B POST "/sessions/$b1/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b1" OnHold
read -r k c1 <<<"$(call_ab B C)"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:${NODE_HTTP[B]}" transfer "$b1" --attended --consult "$k" 2>&1) ||
    fail "sessionctl transfer --attended: $out"
wait_on B "$b1" Terminated 15
wait_on B "$k" Terminated
wait_on C "$c1" Terminated
wait_on A "$a1" Terminated
a2=$(wait_node_session A "$a1")
wait_on A "$a2" Active
c2=$(wait_node_session C "$c1")
wait_on C "$c2" Active
# the REFER's Refer-To named the consultation dialog, escaped
rt=$(field_of B "$b1" refer_to)
cid=$(field_of B "$k" call_id); ltag=$(field_of B "$k" local_tag); rtag=$(field_of B "$k" remote_tag)
cid_esc=${cid//@/%40}
case "$rt" in
    *"?Replaces=$cid_esc%3Bto-tag%3D$rtag%3Bfrom-tag%3D$ltag") ;;
    *) fail "Refer-To '$rt' does not carry Replaces for $cid;to-tag=$rtag;from-tag=$ltag" ;;
esac
# NOTIFYs in order, then success
h=$(history_line B "$b1")
case "$h" in
    *"HoldCall("*"CompleteAttendedTransfer("*"TransferAccepted(202"*"TransferProgress(100 Trying)"*"TransferSucceeded(200 Success)"*) ;;
    *) fail "B's history: $h" ;;
esac
[ "$(field_of B "$b1" outcome)" = transferred ] || fail "B's call outcome: $HTTP_BODY"
# C: the new call replaced the consultation, which C ended with BYE
[ "$(field_of C "$c2" replaces_id)" = "$c1" ] || fail "C's new call does not replace $c1: $HTTP_BODY"
[ "$(field_of C "$c1" outcome)" = transferred ] || fail "C's replaced call outcome: $HTTP_BODY"
case "$(history_line C "$c1")" in *"ReplacesReceived("*) ;; *) fail "C's old call: $(history_line C "$c1")" ;; esac
case "$(history_line B "$k")" in *"DialogBYE("*) ;; *) fail "B's consultation: $(history_line B "$k")" ;; esac
[ "$(field_of C "$c2" call_id)" = "$(field_of A "$a2" call_id)" ] || fail "A's and C's new calls differ"
[ "$(field_of A "$a2" transfer_id)" = "$a1" ] || fail "A's new call not linked: $HTTP_BODY"
field_of C "$c2" referred_by | grep -q "sip:B@" || fail "no Referred-By at C: $HTTP_BODY"
on C POST "/sessions/$c2/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS"
wait_on A "$a2" Terminated
all_ended
pass
