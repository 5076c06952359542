#!/usr/bin/env bash
# Blind transfer (with sessionctl transfer) to a busy target: C answers manually and rejects the transfer call with 486
# via the API; A's NOTIFY reports the failure, B sees TransferFailed(486) and resumes its call
# with A (both stay connected); then the call ends normally and nothing is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C --answer manual
start_node A --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
start_node B
read -r a1 b1 <<<"$(call_ab A B)"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:${NODE_HTTP[B]}" transfer "$b1" "sip:carol@127.0.0.1:${NODE_SIP[C]}" 2>&1) ||
    fail "sessionctl transfer: $out"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:${NODE_HTTP[B]}" transfer "$b1" 2>&1); [ $? = 2 ] || fail "usage error not 2: $out"
c1=$(wait_node_session C)
wait_on C "$c1" Ringing
on C POST "/sessions/$c1/reject" '{"code":486}'
[ "$HTTP_STATUS" = 200 ] || fail "reject on C: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b1" Active 15
wait_on A "$a1" Active
a2=$(wait_node_session A "$a1")
wait_on A "$a2" Failed
h=$(history_line B "$b1")
case "$h" in
    *"TransferAccepted(202"*"TransferProgress(100 Trying)"*"TransferProgress(180 Ringing)"*"TransferFailed(486 Failed)"*"DialogReINVITEAccepted("*) ;;
    *) fail "B's history: $h" ;;
esac
h=$(history_line A "$a1")
case "$h" in
    *"DialogREFER("*"TransferFailed(486 Busy Here)"*) ;;
    *) fail "A's history: $h" ;;
esac
# still connected: A hangs up, B sees the BYE
on A POST "/sessions/$a1/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS"
wait_on B "$b1" Terminated
all_ended
pass
