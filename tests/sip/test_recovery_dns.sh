#!/usr/bin/env bash
# Recovery of an INVITE sent after a DNS lookup: the callee sip:bob@ring.example.test is found
# by SRV (dnsmasq) at a SIPp that rings; sessiond is killed meanwhile, and the DNS server too.
# The restarted sessiond CANCELs the INVITE where it went (invite_dest, recorded with invite_via
# when the INVITE left), without asking the DNS again: SIPp sees the CANCEL and the ACK of its
# 487 on the INVITE's branch, and the session ends Cancelled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
. "$(dirname "$0")/dns_lib.sh"
rec_store
dns_start --srv-host=_sip._udp.ring.example.test,phone.example.test,"$SIPP_PORT",10,10 \
    --host-record=phone.example.test,127.0.0.1
rec_start --dns-server "127.0.0.1:$DNS_PORT"
start_sipp_uas rec_uas_ring_cancel -trace_msg -message_file "$TMP/uas_msgs.log"
http POST /calls '{"to":"sip:bob@ring.example.test"}'
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Ringing
via=$(rec_field "$id" invite_via)
branch=$(printf '%s' "$via" | grep -o 'branch=z9hG4bK[^;]*' | sed 's/branch=//')
[ -n "$branch" ] || fail "no branch in the recorded invite_via: '$via'"
dest=$(rec_field "$id" invite_dest)
[ "$dest" = "udp:127.0.0.1:$SIPP_PORT" ] || fail "invite_dest is '$dest'"
dns_stop
rec_crash_restart
wait_state "$id" Cancelled 15
expect_history "$id" MakeCall Dialog180Ringing Recovered HangupCall Dialog487RequestTerminated
wait_sipp
reqs=$(awk '{sub(/\r$/, "")}
            /^(INVITE|CANCEL|ACK) sip:/ {m=$1; b=""; c=""}
            m != "" && /^Via:/ && b == "" {match($0, /branch=[^;[:space:]]*/); b=substr($0, RSTART + 7, RLENGTH - 7)}
            m != "" && /^CSeq:/ {c=$2 " " $3}
            m != "" && /^[[:space:]]*$/ {print m, b, c; m=""}' "$TMP/uas_msgs.log")
for want in "INVITE $branch 1 INVITE" "CANCEL $branch 1 CANCEL" "ACK $branch 1 ACK"; do
    printf '%s\n' "$reqs" | grep -qx "$want" || fail "SIPp did not receive '$want'; it received: $reqs"
done
grep -q "unanswered INVITE cancelled after recovery" "$SD_LOG" || fail "no recovery log line"
pass
