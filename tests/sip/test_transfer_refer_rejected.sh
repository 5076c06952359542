#!/usr/bin/env bash
# A REFER the transferee declines (A runs with --accept-refer no, the hard off that wins over
# --trust and --refer-allow): 603, counted as sessioncore_refer_refused_total{reason="disabled"};
# B sees TransferFailed(603) and keeps its call with A; no call to C is made.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C
start_node A --accept-refer no --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
start_node B
read -r a1 b1 <<<"$(call_ab A B)"
on B POST "/sessions/$b1/transfer" "{\"target\":\"sip:carol@127.0.0.1:${NODE_SIP[C]}\",\"mode\":\"blind\"}"
[ "$HTTP_STATUS" = 200 ] || fail "transfer: $HTTP_STATUS $HTTP_BODY"
for _ in $(seq 1 100); do
    case "$(history_line B "$b1")" in *"TransferFailed(603"*) break ;; esac
    sleep 0.1
done
wait_on B "$b1" Active
h=$(history_line B "$b1")
case "$h" in *"BlindTransfer("*"TransferFailed(603 Failed)"*) ;; *) fail "B's history: $h" ;; esac
h=$(history_line A "$a1")
case "$h" in *"DialogREFER("*) ;; *) fail "A's history: $h" ;; esac
wait_on A "$a1" Active
[ -z "$(node_ids C)" ] || fail "C got a call"
[ "$(node_ids A | grep -c .)" = 1 ] || fail "A made a transfer call"
on A GET /metrics
printf '%s\n' "$HTTP_BODY" | grep -q '^sessioncore_refer_refused_total{reason="disabled"} 1$' ||
    fail "refusal not counted as disabled: $(printf '%s\n' "$HTTP_BODY" | grep refer_refused)"
on A POST "/sessions/$a1/hangup"
wait_on B "$b1" Terminated
all_ended
pass
