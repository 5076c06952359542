#!/usr/bin/env bash
# sessiond as the transferee meeting SIPp as the transferor: SIPp calls node A and REFERs it to
# node C; SIPp checks the 202 and every NOTIFY (Event, Subscription-State, sipfrag 100, 180,
# 200) and sends the BYE itself; A's new call to C carries Referred-By and stays up. Then the
# same with Refer-Sub: false (RFC 4488): 202 with Refer-Sub: false and no NOTIFY at all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C
start_node A --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
sipp_transferor() { # sipp_transferor SCENARIO
    local p; p=$(free_port)
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/$1.xml" -m 1 -l 1 -timeout 20s -timeout_error -trace_err \
        -error_file "$TMP/$1.err" -nostdin -i 127.0.0.1 -p "$p" -set target "sip:carol@127.0.0.1:${NODE_SIP[C]}" \
        "127.0.0.1:${NODE_SIP[A]}" >"$TMP/$1.out" 2>&1) ||
        fail "sipp $1: $(grep -h -v '^$' "$TMP/$1.err" 2>/dev/null | head -c 800)"
}
check_round() { # check_round EXCEPT_IDS -> sets a1 (old call) a2 (transfer call)
    a1=; a2=
    for id in $(node_ids A); do
        case " $1 " in *" $id "*) continue ;; esac
        if [ -n "$(field_of A "$id" referred_by)" ]; then a2=$id; else a1=$id; fi
    done
    [ -n "$a1" ] && [ -n "$a2" ] || fail "A's sessions: $(node_ids A | tr '\n' ' ')"
    wait_on A "$a1" Terminated
    [ "$(field_of A "$a1" outcome)" = transferred ] || fail "A's old call outcome: $HTTP_BODY"
    [ "$(field_of A "$a1" transfer_id)" = "$a2" ] || fail "old call not linked: $HTTP_BODY"
    wait_on A "$a2" Active
    field_of A "$a2" referred_by | grep -q '<sip:bob@127.0.0.1' || fail "Referred-By not carried: $HTTP_BODY"
}
sipp_transferor xfer_transferor
check_round ""
h=$(history_line A "$a1")
case "$h" in
    *"DialogREFER("*"TransferProgress(100 Trying)"*"TransferProgress(180 Ringing)"*"TransferSucceeded(200 OK)"*"DialogBYE("*) ;;
    *) fail "A's old call history: $h" ;;
esac
on A POST "/sessions/$a2/hangup"
wait_on A "$a2" Terminated
seen="$a1 $a2"
sipp_transferor xfer_transferor_nosub
check_round "$seen"
on A GET "/sessions/$a1"
printf '%s' "$HTTP_BODY" | grep -q '"SendNotify"' && fail "a NOTIFY action ran without a subscription"
on A POST "/sessions/$a2/hangup"
all_ended
pass
