#!/usr/bin/env bash
# The REFER policy against toll fraud (transfer.md, "Who may transfer us"): a caller that
# sessiond auto-answered sends REFER to sip:+19005550100@<node C> and gets 403 Forbidden; no
# INVITE leaves sessiond (C sees no call, the transferee has no new session, its call stays up
# until the caller's BYE), the refusal is counted in sessioncore_refer_refused_total{reason}
# and logged once with its transport source:
#   A: default flags                                        -> untrusted
#   B: --trust 127.0.0.1/32, a --refer-allow that does not match the target  -> target
#   D: --trust 127.0.0.2/32 --refer-allow '*'; the REFER comes from 127.0.0.1 but its Via
#      claims 127.0.0.2                                     -> untrusted (the source counts)
#   E: --trust ::1/128 and the target allowed; SIPp over IPv6 REFERs it to carol@C -> 202, the
#      transfer call reaches C (the accepted case over IPv4: test_transfer_sipp_transferor.sh
#      and the other transfer tests).
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"
start_node C
start_node A
start_node B --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
start_node D --trust 127.0.0.2/32 --refer-allow '*'
FRAUD="sip:+19005550100@127.0.0.1:${NODE_SIP[C]}"

# refer_refused NODE VIA: SIPp (from 127.0.0.1, port SIPP_SRC) calls NODE and REFERs it to
# $FRAUD with a top Via naming VIA; SIPp fails unless the REFER gets 403.
refer_refused() {
    local name=$1 via=$2
    SIPP_SRC=$(free_port)
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/xfer_refer_refused.xml" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/refused_$name.err" -nostdin -i 127.0.0.1 -p "$SIPP_SRC" \
        -set target "$FRAUD" -set via "$via" "127.0.0.1:${NODE_SIP[$name]}" >"$TMP/refused_$name.out" 2>&1) ||
        fail "sipp against $name: $(grep -h -v '^$' "$TMP/refused_$name.err" 2>/dev/null | tr '\n' ' ' | head -c 1500)"
}

# refused NODE REASON: the value of sessioncore_refer_refused_total{reason="REASON"} on NODE.
refused() {
    on "$1" GET /metrics
    [ "$HTTP_STATUS" = 200 ] || fail "GET /metrics on $1: $HTTP_STATUS"
    printf '%s\n' "$HTTP_BODY" | awk -v k="sessioncore_refer_refused_total{reason=\"$2\"}" '$1 == k {print $2 + 0}'
}

# check_refused NODE REASON: what a refused REFER leaves behind on NODE (and on C).
check_refused() {
    local name=$1 reason=$2 ids id h r
    ids=$(node_ids "$name")
    [ "$(printf '%s\n' "$ids" | grep -c .)" = 1 ] || fail "$name: sessions $(printf '%s' "$ids" | tr '\n' ' '), expected only the caller's"
    id=$ids
    wait_on "$name" "$id" Terminated
    [ "$(field_of "$name" "$id" role)" = uas ] || fail "$name: the only session is not the incoming call: $HTTP_BODY"
    [ -z "$(field_of "$name" "$id" transfer_id)" ] || fail "$name: a transfer call was linked: $HTTP_BODY"
    h=$(history_line "$name" "$id")
    case "$h" in *"DialogREFER(403"*"DialogBYE("*) ;; *) fail "$name's history: $h" ;; esac
    case "$h" in *TransferProgress*) fail "$name started a transfer: $h" ;; esac
    [ -z "$(node_ids C)" ] || fail "C got a call from $name"
    for r in untrusted target disabled; do
        local want=0
        [ "$r" = "$reason" ] && want=1
        [ "$(refused "$name" "$r")" = "$want" ] || fail "$name: refer_refused_total{reason=$r} = '$(refused "$name" "$r")', expected $want"
    done
    [ "$(grep -c "REFER from 127.0.0.1:$SIPP_SRC refused ($reason): target sip:+19005550100@127.0.0.1:" "$TMP/$name.log")" = 1 ] ||
        fail "$name: no single refusal line for 127.0.0.1:$SIPP_SRC ($reason): $(grep -i refer "$TMP/$name.log" | grep -v debug | tail -n 5)"
    grep 'refused (' "$TMP/$name.log" | grep -qiE 'Referred-By|Call-ID|Via:' && fail "$name logged the REFER's headers"
    return 0
}

# ---- A: defaults: nobody is trusted ----
refer_refused A 127.0.0.1
check_refused A untrusted

# ---- B: trusted source, but the target is not one the operator allowed ----
refer_refused B 127.0.0.1
check_refused B target

# ---- D: the Via claims the trusted 127.0.0.2; the datagram came from 127.0.0.1 ----
refer_refused D 127.0.0.2
check_refused D untrusted

# ---- E: a trusted IPv6 source and an allowed target: accepted, the transfer happens ----
if [ -f /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
    p6=$(free_port)
    start_node E --sip "udp:[::1]:$p6" --trust ::1/128 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}"
    p=$(free_port)
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/xfer_transferor.xml" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/v6.err" -nostdin -i ::1 -p "$p" -set target "sip:carol@127.0.0.1:${NODE_SIP[C]}" \
        "[::1]:$p6" >"$TMP/v6.out" 2>&1) || fail "sipp over IPv6: $(grep -h -v '^$' "$TMP/v6.err" 2>/dev/null | head -c 800)"
    e1=; e2=
    for id in $(node_ids E); do
        if [ -n "$(field_of E "$id" referred_by)" ]; then e2=$id; else e1=$id; fi
    done
    [ -n "$e1" ] && [ -n "$e2" ] || fail "E's sessions: $(node_ids E | tr '\n' ' ')"
    wait_on E "$e1" Terminated
    [ "$(field_of E "$e1" outcome)" = transferred ] || fail "E's old call: $HTTP_BODY"
    wait_on E "$e2" Active
    c1=$(wait_node_session C)
    wait_on C "$c1" Active
    for r in untrusted target disabled; do [ "$(refused E "$r")" = 0 ] || fail "E counted a refusal ($r)"; done
    on E POST "/sessions/$e2/hangup"
else
    echo "note: no ::1, the IPv6 round is skipped"
fi

all_ended
pass
