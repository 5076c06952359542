#!/usr/bin/env bash
# RTP really flows between the transferee and the target after a transfer: blind (A calls B, B
# transfers A to C) then attended with a bridged call at the target (C has a call with D
# bridged to the consultation B-C; A's INVITE with Replaces takes it over, so the relay now
# joins A's new call and D). A sessiond sends RTP only from a source, so the proof is DTMF
# (RFC 4733) sent with POST /sessions/{id}/dtmf on one node and seen as DtmfReceived and in
# the media counters on the other, both ways.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer_lib.sh"

# media_num NODE ID KEY: a number of the session's "media" object (0 if absent).
media_num() {
    on "$1" GET "/sessions/$2"
    local v
    v=$(printf '%s' "$HTTP_BODY" | grep -o "\"$3\":[0-9]*" | head -n 1 | sed 's/.*://')
    printf '%s' "${v:-0}"
}

# new_on NODE "KNOWN IDS": the first session of NODE not among the known ones (waits for it).
new_on() {
    local id
    for _ in $(seq 1 200); do
        for id in $(node_ids "$1"); do
            case " $2 " in *" $id "*) ;; *) printf '%s' "$id"; return 0 ;; esac
        done
        sleep 0.05
    done
    fail "no new session on $1"
}

# dtmf_reaches FROM_NODE FROM_ID TO_NODE TO_ID DIGIT: the digit sent on FROM arrives at TO.
dtmf_reaches() {
    local fn=$1 fid=$2 tn=$3 tid=$4 d=$5 out0 h
    out0=$(media_num "$fn" "$fid" packets_out)
    on "$fn" POST "/sessions/$fid/dtmf" "{\"digits\":\"$d\"}"
    [ "$HTTP_STATUS" = 200 ] || fail "dtmf on $fn $fid: $HTTP_STATUS $HTTP_BODY"
    for _ in $(seq 1 100); do
        h=$(history_line "$tn" "$tid")
        case "$h" in *"DtmfReceived("*" $d)"*) break ;; esac
        sleep 0.1
    done
    case "$h" in *"DtmfReceived("*" $d)"*) ;; *) fail "digit $d from $fn:$fid not received on $tn:$tid: $h" ;; esac
    [ "$(media_num "$fn" "$fid" packets_out)" -gt "$out0" ] || fail "$fn:$fid sent no RTP: $HTTP_BODY"
    [ "$(media_num "$tn" "$tid" packets_in)" -gt 0 ] || fail "$tn:$tid received no RTP: $HTTP_BODY"
    [ "$(media_num "$tn" "$tid" dtmf_in)" -gt 0 ] || fail "$tn:$tid counted no DTMF: $HTTP_BODY"
}

for n in C B D; do start_node "$n" --rtp-timeout-ms 0; done
# A, the transferee, takes REFERs from loopback to C only (blind: carol@C; attended: C's Contact)
start_node A --rtp-timeout-ms 0 --trust 127.0.0.1/32 --refer-allow "carol@127.0.0.1:${NODE_SIP[C]}" \
    --refer-allow "127.0.0.1:${NODE_SIP[C]}"

# ---- blind: A <-> C after B's transfer ----
read -r a1 b1 <<<"$(call_ab A B)"
on B POST "/sessions/$b1/transfer" "{\"target\":\"sip:carol@127.0.0.1:${NODE_SIP[C]}\",\"mode\":\"blind\"}"
[ "$HTTP_STATUS" = 200 ] || fail "transfer: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b1" Terminated 15
wait_on A "$a1" Terminated
a2=$(wait_node_session A "$a1")
wait_on A "$a2" Active
c1=$(wait_node_session C)
wait_on C "$c1" Active
dtmf_reaches A "$a2" C "$c1" 5
dtmf_reaches C "$c1" A "$a2" 7
on A POST "/sessions/$a2/hangup"
wait_on C "$c1" Terminated
all_ended

# ---- attended: C's consultation call is bridged to a call with D; A takes it over ----
read -r c3 d1 <<<"$(call_ab C D)"
read -r a3 b2 <<<"$(call_ab A B)"
on B POST "/sessions/$b2/hold"
[ "$HTTP_STATUS" = 200 ] || fail "hold: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b2" OnHold
read -r k c4 <<<"$(call_ab B C)"
on C POST "/sessions/$c4/bridge" "{\"with\":\"$c3\"}"
[ "$HTTP_STATUS" = 200 ] || fail "bridge on C: $HTTP_STATUS $HTTP_BODY"
wait_on C "$c4" Bridged
wait_on C "$c3" Bridged
on B POST "/sessions/$b2/transfer" "{\"mode\":\"attended\",\"consult\":\"$k\"}"
[ "$HTTP_STATUS" = 200 ] || fail "attended transfer: $HTTP_STATUS $HTTP_BODY"
wait_on B "$b2" Terminated 15
wait_on B "$k" Terminated
wait_on C "$c4" Terminated
wait_on A "$a3" Terminated
a4=$(new_on A "$a1 $a2 $a3")
wait_on A "$a4" Active
c5=$(new_on C "$c1 $c3 $c4")
wait_on C "$c5" Bridged
[ "$(field_of C "$c5" replaces_id)" = "$c4" ] || fail "C's new call does not replace $c4: $HTTP_BODY"
[ "$(field_of C "$c5" peer_id)" = "$c3" ] || fail "C's new call not linked to $c3: $HTTP_BODY"
[ "$(field_of C "$c3" peer_id)" = "$c5" ] || fail "$c3 not linked to the new call: $HTTP_BODY"
wait_on C "$c3" Bridged
on C GET "/sessions/$c5"
printf '%s' "$HTTP_BODY" | grep -q '"bridged":true' || fail "C's new call's stream is not bridged: $HTTP_BODY"
on C GET "/sessions/$c4"
printf '%s' "$HTTP_BODY" | grep -q '"media":{"open":false}' || fail "replaced call's stream still open: $HTTP_BODY"
# A's new call reaches D through C's relay, both ways
dtmf_reaches A "$a4" D "$d1" 3
dtmf_reaches D "$d1" A "$a4" 9
[ "$(media_num C "$c5" packets_in)" -gt 0 ] || fail "C's new call received no RTP: $HTTP_BODY"
[ "$(media_num C "$c5" packets_out)" -gt 0 ] || fail "C's new call relayed no RTP: $HTTP_BODY"
on A POST "/sessions/$a4/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup: $HTTP_STATUS"
wait_on C "$c5" Terminated
wait_on D "$d1" Terminated
all_ended
pass
