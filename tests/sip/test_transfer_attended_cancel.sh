#!/usr/bin/env bash
# Attended transfer started with {"mode":"attended","target":URI} (StartAttendedTransfer: B
# holds A and calls C itself), then: (1) cancelled with `sessionctl transfer ID --cancel`: the
# consultation is hung up and A resumed; (2) started again and the consulted party hangs up:
# A is resumed; (3) started again and completed with {"mode":"attended"} (the consultation
# started before): A and C end up connected. Nothing is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C
start_node A --trust 127.0.0.1/32 --refer-allow "127.0.0.1:${NODE_SIP[C]}"
start_node B
read -r a1 b1 <<<"$(call_ab A B)"
start_consult() {
    local before; before=$(node_ids C | tr '\n' ' ')
    on B POST "/sessions/$b1/transfer" "{\"mode\":\"attended\",\"target\":\"sip:carol@127.0.0.1:${NODE_SIP[C]}\"}"
    [ "$HTTP_STATUS" = 200 ] || fail "start attended: $HTTP_STATUS $HTTP_BODY"
    wait_on B "$b1" ConsultationCall
    k=$(field_of B "$b1" transfer_id)
    [ -n "$k" ] || fail "no consultation linked: $HTTP_BODY"
    wait_on B "$k" Active
    [ "$(field_of B "$k" transfer_id)" = "$b1" ] || fail "consultation not linked back"
    for _ in $(seq 1 100); do
        for c in $(node_ids C); do case " $before " in *" $c "*) ;; *) wait_on C "$c" Active; return 0 ;; esac; done
        sleep 0.05
    done
    fail "no consultation call on C"
}
# (1) cancel
start_consult
out=$("$BIN/sessionctl" --server "http://127.0.0.1:${NODE_HTTP[B]}" transfer "$b1" --cancel 2>&1) ||
    fail "sessionctl transfer --cancel: $out"
wait_on B "$k" Terminated
wait_on C "$c" Terminated
wait_on B "$b1" Active
wait_on A "$a1" Active
on B POST "/sessions/$b1/transfer/cancel"
[ "$HTTP_STATUS" = 409 ] || fail "cancel without a consultation: expected 409, got $HTTP_STATUS"
# (2) the consulted party hangs up
start_consult
on C POST "/sessions/$c/hangup"
wait_on B "$k" Terminated
wait_on B "$b1" Active
case "$(history_line B "$b1")" in *"PeerHangup("*) ;; *) fail "B's history lacks PeerHangup: $(history_line B "$b1")" ;; esac
# (3) complete with the consultation started before
start_consult
c_old=$c
on B POST "/sessions/$b1/transfer" '{"mode":"attended"}'
[ "$HTTP_STATUS" = 200 ] || fail "complete: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b1" Terminated 15
wait_on B "$k" Terminated
wait_on A "$a1" Terminated
wait_on C "$c_old" Terminated
a2=$(wait_node_session A "$a1")
wait_on A "$a2" Active
h=$(history_line B "$b1")
case "$h" in
    *"StartAttendedTransfer("*"CancelAttendedTransfer("*"StartAttendedTransfer("*"PeerHangup("*"StartAttendedTransfer("*"CompleteAttendedTransfer("*"TransferSucceeded(200"*) ;;
    *) fail "B's history: $h" ;;
esac
on A POST "/sessions/$a2/hangup"
all_ended
pass
