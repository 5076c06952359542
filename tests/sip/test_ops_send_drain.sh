#!/usr/bin/env bash
# Operator commands over the API, through sessionctl: `send` dispatches one of the table's own
# events (its vocabulary) to a session (POST /sessions/{id}/events/{name}: the history records
# it with its code and text; its variables are set first and a VarEquals guard routes by them;
# a built-in or undeclared event is 422, an unknown session 404, an event the state does not
# take 409 with the accepted events and no variable changed, bad variables 400);
# `drain` does what the first SIGTERM does: readiness false, new calls refused, the call that is
# up goes on, and sessiond exits 0 once it ended.
. "$(dirname "$0")/lib.sh"
# the default table with an event of its own, taken while a call is up
sed 's/^transitions:$/vocabulary: {events: [Escalate, Route, Park]}\n\ntransitions:\n  - {from: Active, event: Escalate, to: Active, publish: [Escalated]}\n  - {from: Active, event: Route, guards: [{VarEquals: {name: queue, value: sales}}], actions: [{SetVar: {name: routed, value: sales}}]}\n  - {from: Active, event: Route, actions: [{SetVar: {name: routed, value: other}}]}\n  - {from: Idle, event: Park, to: Idle}/' \
    "$SRC/tables/default.yaml" >"$TMP/escalate.yaml"
start_sessiond --answer auto --table "$TMP/escalate.yaml" --drain-timeout-ms 20000
CTL=("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT")
(cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_pause_bye.xml" -m 1 -l 1 -timeout 30s -timeout_error -nostdin \
    -i 127.0.0.1 -p "$SIPP_PORT" -d 3000 "127.0.0.1:$SIP_PORT" >"$TMP/call.out" 2>&1) &
CALL=$!
id=$(wait_any_session)
wait_state "$id" Active

"${CTL[@]}" send "$id" Escalate --code 7 --text vip >"$TMP/send.out" 2>&1 || fail "send: $(cat "$TMP/send.out")"
expect_history "$id" Escalate
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" | grep -o '"event":"Escalate"[^}]*' | grep -q '"event_code":7' || fail "no code 7: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -o '"event":"Escalate"[^}]*' | grep -q '"event_text":"vip"' || fail "no text vip: $HTTP_BODY"
"${CTL[@]}" send "$id" DialogBYE >"$TMP/bye.out" 2>&1 && fail "a built-in event was sent"
grep -q "built-in" "$TMP/bye.out" || fail "no reason for the built-in refusal: $(cat "$TMP/bye.out")"
"${CTL[@]}" send "$id" Nope >"$TMP/nope.out" 2>&1 && fail "an undeclared event was sent"
http POST "/sessions/$id/send" '{"event":"Escalate","code":"x"}'
[ "$HTTP_STATUS" = 400 ] || fail "a non-integer code: $HTTP_STATUS"
http GET "/sessions/$id"; [ "$(json_str state)" = Active ] || fail "the refusals moved the call: $HTTP_BODY"

# application events with variables: the guard routes by them
var() { python3 -c 'import json,sys; print(json.load(sys.stdin)["variables"].get(sys.argv[1], ""))' "$1" <<<"$HTTP_BODY"; }
"${CTL[@]}" send "$id" Route queue=sales >"$TMP/route.out" 2>&1 || fail "send Route: $(cat "$TMP/route.out")"
http GET "/sessions/$id"; [ "$(var routed)" = sales ] && [ "$(var queue)" = sales ] || fail "sales route: $HTTP_BODY"
http POST "/sessions/$id/events/Route" '{"variables":{"queue":"support"}}'
[ "$HTTP_STATUS" = 200 ] || fail "POST events/Route: $HTTP_STATUS $HTTP_BODY"
http GET "/sessions/$id"; [ "$(var routed)" = other ] && [ "$(var queue)" = support ] || fail "other route: $HTTP_BODY"
http POST "/sessions/nope/events/Route" '{}'; [ "$HTTP_STATUS" = 404 ] || fail "unknown session: $HTTP_STATUS"
http POST "/sessions/$id/events/Nope" '{}'; [ "$HTTP_STATUS" = 422 ] || fail "undeclared event: $HTTP_STATUS"
http POST "/sessions/$id/events/DialogBYE" '{}'; [ "$HTTP_STATUS" = 422 ] || fail "built-in event: $HTTP_STATUS"
http POST "/sessions/$id/events/Park" '{"variables":{"queue":"parked"}}'
[ "$HTTP_STATUS" = 409 ] || fail "Park in Active: $HTTP_STATUS $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"accepted_events":\[[^]]*"Route"' || fail "409 without the accepted events: $HTTP_BODY"
http POST "/sessions/$id/events/Route" '{"variables":{"bad name":"x"}}'; [ "$HTTP_STATUS" = 400 ] || fail "bad name: $HTTP_STATUS"
http POST "/sessions/$id/events/Route" '{"variables":{"n":7}}'; [ "$HTTP_STATUS" = 400 ] || fail "non-string value: $HTTP_STATUS"
http GET "/sessions/$id"; [ "$(var queue)" = support ] || fail "a refused event changed the variables: $HTTP_BODY"

"${CTL[@]}" drain >"$TMP/drain.out" 2>&1 || fail "drain: $(cat "$TMP/drain.out")"
grep -q "draining (1 active call(s))" "$TMP/drain.out" || fail "drain said: $(cat "$TMP/drain.out")"
http GET /readyz; [ "$HTTP_STATUS" = 503 ] || fail "/readyz while draining: $HTTP_STATUS"
http POST /calls "{\"to\":\"sip:x@127.0.0.1:$SIPP_PORT\"}"; [ "$HTTP_STATUS" = 503 ] || fail "POST /calls while draining: $HTTP_STATUS"
"${CTL[@]}" send "$id" Escalate >/dev/null 2>&1 || fail "the call did not go on during the drain"
wait "$CALL" || fail "the call was cut by the drain: $(tail -n 5 "$TMP/call.out")"
wait "$SD_PID"; rc=$?; SD_PID=
[ "$rc" = 0 ] || fail "sessiond exited $rc after the drain"
grep -q "POST /drain received: draining" "$SD_LOG" || fail "no drain in the log"
pass
