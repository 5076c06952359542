#!/usr/bin/env bash
# Blind transfer to a target that never answers: A (--transfer-timeout-ms 1500) gives up on the
# transfer call (CANCEL), NOTIFYs 408, B sees TransferFailed(408) and A and B stay connected.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C --answer manual
start_node A --transfer-timeout-ms 1500 --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
start_node B
read -r a1 b1 <<<"$(call_ab A B)"
on B POST "/sessions/$b1/transfer" "{\"target\":\"sip:carol@127.0.0.1:${NODE_SIP[C]}\"}"
[ "$HTTP_STATUS" = 200 ] || fail "transfer: $HTTP_STATUS $HTTP_BODY"
c1=$(wait_node_session C)
wait_on C "$c1" Cancelled 15
wait_on B "$b1" Active 15
wait_on A "$a1" Active
h=$(history_line B "$b1")
case "$h" in
    *"TransferProgress(180 Ringing)"*"TransferFailed(408 Failed)"*) ;;
    *) fail "B's history: $h" ;;
esac
on B POST "/sessions/$b1/hangup"
wait_on A "$a1" Terminated
all_ended
pass
