#!/usr/bin/env bash
# Recovery: an established incoming call (with a Record-Route) survives kill -9 + restart;
# hangup through the API then sends a BYE with the route set as Route and the dialog's next
# CSeq (SIPp checks the Route; the test checks the CSeq against the persisted local_cseq).
# The session variables set by an application event before the crash are recovered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/recovery_lib.sh"
sed 's/^transitions:$/vocabulary: {events: [Tag]}\n\ntransitions:\n  - {from: Active, event: Tag, actions: [{SetVar: {name: tagged, value: "yes"}}]}/' \
    "$SRC/tables/default.yaml" >"$TMP/tag.yaml"
rec_start --answer auto --table "$TMP/tag.yaml"
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/rec_uac_wait_bye.xml" -m 1 -l 1 -timeout 40s -timeout_error \
    -trace_err -trace_msg -message_file "$TMP/msgs.log" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
    "127.0.0.1:$SIP_PORT" >"$TMP/sipp.out" 2>&1) &
sipp_pid=$!
id=$(wait_any_session)
wait_state "$id" Active
route=$(rec_field "$id" route_set)
[ -n "$route" ] || fail "route_set not recorded before the crash"
http POST "/sessions/$id/events/Tag" '{"variables":{"crm":"ticket 42"}}'
[ "$HTTP_STATUS" = 200 ] || fail "POST events/Tag: $HTTP_STATUS $HTTP_BODY"
for _ in $(seq 1 40); do [ "$(metric sessioncore_store_queue_depth)" = 0 ] && break; sleep 0.05; done
sleep 0.1 # the batch taken off the queue commits
rec_crash_restart
wait_state "$id" Active
http GET "/sessions/$id"
python3 -c 'import json,sys; v=json.load(sys.stdin)["variables"]; sys.exit(v != {"crm": "ticket 42", "tagged": "yes"})' <<<"$HTTP_BODY" ||
    fail "variables not recovered: $HTTP_BODY"
[ "$(rec_field "$id" route_set)" = "$route" ] || fail "route set changed in recovery"
cseq=$(rec_field "$id" local_cseq)
http POST "/sessions/$id/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup after recovery: $HTTP_STATUS $HTTP_BODY"
wait "$sipp_pid" || fail "sipp failed: $(tail -n 5 "$TMP/sipp.out")"
wait_state "$id" Terminated
got=$(grep -a -o -E '^CSeq: *[0-9]+ BYE' "$TMP/msgs.log" | head -n 1 | grep -o -E '[0-9]+')
[ "$got" = $((cseq + 1)) ] || fail "BYE CSeq $got, expected $((cseq + 1)) (persisted local_cseq $cseq)"
expect_history "$id" IncomingCall AcceptCall DialogACK Tag Recovered HangupCall Dialog200OK
pass
