#!/usr/bin/env bash
# Recovery: an outgoing call still ringing at kill -9. The INVITE's top Via was recorded when it
# was sent (invite_via), so the restarted sessiond rebuilds the INVITE client transaction and
# CANCELs it (RFC 3261 9.1): the CANCEL and the ACK for the 487 carry the INVITE's branch, the
# callee's SIPp sees both, and the session ends Cancelled (outcome cancelled) with the
# pre-crash transitions, Recovered and the cancel in its history.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
rec_start
start_sipp_uas rec_uas_ring_cancel -trace_msg -message_file "$TMP/uas_msgs.log"
http POST /calls "{\"to\":\"sip:bob@127.0.0.1:$SIPP_PORT\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls: $HTTP_STATUS $HTTP_BODY"
id=$(json_str id)
wait_state "$id" Ringing
via=$(rec_field "$id" invite_via)
branch=$(printf '%s' "$via" | grep -o 'branch=z9hG4bK[^;]*' | sed 's/branch=//')
[ -n "$branch" ] || fail "no branch in the recorded invite_via: '$via'"
rec_crash_restart
wait_state "$id" Cancelled 15
expect_outcome "$id" cancelled
expect_history "$id" MakeCall Dialog180Ringing Recovered HangupCall Dialog487RequestTerminated
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -q "recovery: INVITE cancelled" || fail "the cancel is not explained in the history: $HTTP_BODY"
wait_sipp
# What SIPp received: method, top Via branch and CSeq of each request.
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
