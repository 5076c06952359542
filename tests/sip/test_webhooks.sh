#!/usr/bin/env bash
# Webhooks: a table whose guard and actions are an HTTP application's (tests/sip/webhook_app.py,
# python3's http.server on loopback). A VIP guard chooses the path of each call (the VIP caller
# is answered, the other gets 486, its second evaluation answered from the guard's session
# cache); an action tells the app about the call (session id and variables in the JSON, bearer
# token and HMAC signature checked by the app) and its answer sets a variable; an event sent
# over the API makes the app raise another event that ends the call; the app's 500 (retried
# once) and a timeout each take ActionFailed; a call completes while another waits on a 2 s
# webhook. Metrics count the calls and the cache hit.
. "$(dirname "$0")/lib.sh"

APP_LOG=$TMP/app.log
VIP_PORT=$(free_port)
printf 'tok-%s\n' "$RANDOM$RANDOM" >"$TMP/token"
printf 'key-%s\n' "$RANDOM$RANDOM" >"$TMP/key"
python3 "$SCEN/webhook_app.py" "$TMP/app.port" "$APP_LOG" "$VIP_PORT" "$TMP/token" "$TMP/key" 2>"$TMP/app.err" &
APP_PID=$!
trap 'rc=$?; kill "$APP_PID" 2>/dev/null; wait "$APP_PID" 2>/dev/null; (exit $rc); cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/app.port" ] && break; sleep 0.05; done
[ -s "$TMP/app.port" ] || fail "the app did not start: $(cat "$TMP/app.err")"
APP="http://127.0.0.1:$(cat "$TMP/app.port")"

# The default table with the app's guard and actions, the rows that use them first.
cat >"$TMP/rows.yaml" <<EOF
vocabulary:
  guards:
    IsVip: {webhook: "$APP/vip", timeout_ms: 2000, cache: session}
  actions:
    NotifyCRM: {webhook: "$APP/crm", timeout_ms: 2000, token_file: "$TMP/token", hmac_key_file: "$TMP/key"}
    AskAgent: {webhook: "$APP/agent"}
    Break: {webhook: "$APP/fail", retries: 1}
    Stall: {webhook: "$APP/stall", timeout_ms: 400}
    Slow: {webhook: "$APP/slow", timeout_ms: 5000}
  events: [Escalate, AgentReady, Fail, Hang, Work]

transitions:
  - role: uas
    from: Idle
    event: IncomingCall
    guards: [IsVip]
    actions: [{SetVar: {name: tier, value: gold}}, NotifyCRM, {SendResponse: {code: 180}}, ScheduleAutoAnswer]
    to: Ringing
  - role: uas
    from: Idle
    event: IncomingCall
    guards: ["!IsVip"]
    actions: [{SendResponse: {code: 180}}, {SendResponse: {code: 486}}, {SetOutcome: {outcome: rejected}}]
    to: Rejected
  - {from: Active, event: Escalate, actions: [AskAgent]}
  - {from: Active, event: AgentReady, actions: [SendBye, StopMedia, {SetOutcome: {outcome: normal}}], to: Terminating}
  - {from: Active, event: Fail, actions: [Break]}
  - {from: Active, event: Hang, actions: [Stall]}
  - {from: Active, event: Work, actions: [Slow, SendBye, StopMedia, {SetOutcome: {outcome: normal}}], to: Terminating}
EOF
awk -v rows="$TMP/rows.yaml" '/^transitions:$/ { while ((getline l < rows) > 0) print l; next } { print }' \
    "$SRC/tables/default.yaml" >"$TMP/hooks.yaml"
"$BIN/sessionctl" validate "$TMP/hooks.yaml" >"$TMP/validate.out" 2>&1 || fail "validate: $(cat "$TMP/validate.out")"
start_sessiond --answer auto --ring-delay-ms 0 --table "$TMP/hooks.yaml"

KNOWN=" "
# new_session: NEW_ID, the id of a session not seen before (waits for it).
new_session() {
    local id
    for _ in $(seq 1 200); do
        for id in $(session_ids); do
            case "$KNOWN" in *" $id "*) ;; *) KNOWN="$KNOWN$id "; NEW_ID=$id; return 0 ;; esac
        done
        sleep 0.05
    done
    fail "no new session"
}
# vip_call NAME: a call from the VIP caller's port, answered; waits for it to be Active.
vip_call() {
    (cd "$TMP" && exec timeout 30 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/$1.err" -nostdin -i 127.0.0.1 -p "$VIP_PORT" "127.0.0.1:$SIP_PORT" \
        >"$TMP/$1.out" 2>&1) &
    VIP_SIPP=$!
    new_session; VIP_ID=$NEW_ID
    wait_state "$VIP_ID" Active
}
wait_vip() { wait "$VIP_SIPP" || fail "sipp $1 failed: $(tail -n 5 "$TMP/$1.out")"; }
# app_requests PATH: the app's log lines for PATH.
app_requests() { grep -c "\"path\": \"$1\"" "$APP_LOG"; }
# record EVENT: the first history record of that event in HTTP_BODY (GET .../history).
record() { printf '%s' "$HTTP_BODY" | grep -o "\"event\":\"$1\"[^}]*" | head -n 1; }
# send ID EVENT [BODY]: the table's own event through POST /sessions/{id}/events/{name}.
send() {
    local body='{}'
    [ $# -ge 3 ] && body=$3
    http POST "/sessions/$1/events/$2" "$body"
    [ "$HTTP_STATUS" = 200 ] || fail "events/$2: $HTTP_STATUS $HTTP_BODY"
}

# 1. The VIP caller: IsVip true; NotifyCRM got the session and its variables, signed.
vip_call vip
id1=$VIP_ID
python3 - "$APP_LOG" "$id1" <<'EOF' || fail "the app's /crm request: $(grep crm "$APP_LOG")"
import json, sys
crm = [json.loads(l) for l in open(sys.argv[1]) if '"/crm"' in l]
b = crm[0]["body"]
assert len(crm) == 1 and b["session"] == sys.argv[2] and b["kind"] == "action" and b["hook"] == "NotifyCRM", b
assert b["variables"] == {"tier": "gold"} and b["event"] == "IncomingCall" and b["role"] == "uas", b
assert b["transition"]["from"] == "Idle" and b["transition"]["to"] == "Ringing" and b["fields"]["call_id"], b
assert crm[0]["auth_ok"] and crm[0]["sig_ok"], crm[0]
EOF
http GET "/sessions/$id1"
printf '%s' "$HTTP_BODY" | grep -q '"crm_ticket":"T-[0-9]' || fail "the /crm answer's variable is not set: $HTTP_BODY"

# 2. Another caller: IsVip false (486), and !IsVip of the next row answered from the cache.
run_sipp uac_rejected
new_session; id2=$NEW_ID
wait_state "$id2" Rejected
http GET "/sessions/$id2/history"
printf '%s' "$HTTP_BODY" | grep -q '"cached":true' || fail "no cached guard in the history: $HTTP_BODY"
[ "$(app_requests /vip)" = 2 ] || fail "the guard was asked $(app_requests /vip) times, expected 2"
[ "$(metric 'sessioncore_guard_cache_hits_total{name="IsVip"}')" = 1 ] || fail "no cache hit counted"

# 3. An event from the API (with a variable): the app answers AskAgent with AgentReady, which
#    ends the call.
send "$id1" Escalate '{"variables":{"reason":"vip-escalation"}}'
wait_vip vip
python3 - "$APP_LOG" "$id1" <<'EOF' || fail "the app's /agent request: $(grep agent "$APP_LOG")"
import json, sys
b = [json.loads(l) for l in open(sys.argv[1]) if '"/agent"' in l][0]["body"]
assert b["session"] == sys.argv[2] and b["event"] == "Escalate", b
assert b["variables"]["reason"] == "vip-escalation" and b["variables"]["crm_ticket"].startswith("T-"), b
EOF
wait_state "$id1" Terminated
expect_history "$id1" Escalate AgentReady
http GET "/sessions/$id1"
printf '%s' "$HTTP_BODY" | grep -q '"agent":"alice"' || fail "AskAgent's variable is not set: $HTTP_BODY"

# 4. The app's 500 (asked twice: one retry) and a timeout each take ActionFailed (BYE).
vip_call vip500
id3=$VIP_ID
send "$id3" Fail
wait_vip vip500
expect_history "$id3" Fail ActionFailed
record ActionFailed | grep -q '"event_code":-71' || fail "500: ActionFailed $(record ActionFailed)"
[ "$(app_requests /fail)" = 2 ] || fail "/fail asked $(app_requests /fail) times, expected 2"
python3 - "$APP_LOG" <<'EOF' || fail "the retry did not wait 100 ms"
import json, sys
at = [json.loads(l)["at"] for l in open(sys.argv[1]) if '"/fail"' in l]
assert at[1] - at[0] >= 0.09, at
EOF
vip_call viptimeout
id4=$VIP_ID
send "$id4" Hang
wait_vip viptimeout
expect_history "$id4" Hang ActionFailed
record ActionFailed | grep -q '"event_code":-110' || fail "timeout: ActionFailed $(record ActionFailed)"

# 5. A reload moves NotifyCRM to another URL: the next call uses it. While that call waits on
#    the app's 2 s answer, another call is taken and completes.
sed -i "s|$APP/crm\"|$APP/crm2\"|" "$TMP/hooks.yaml"
http POST /table/reload
[ "$HTTP_STATUS" = 200 ] && printf '%s' "$HTTP_BODY" | grep -q '"result":"applied"' || fail "reload: $HTTP_STATUS $HTTP_BODY"
vip_call vipslow
id5=$VIP_ID
grep '"/crm2"' "$APP_LOG" | grep -q "\"session\": \"$id5\"" || fail "the reloaded URL was not called"
send "$id5" Work
for _ in $(seq 1 40); do [ "$(app_requests /slow)" = 1 ] && break; sleep 0.05; done
t0=$(date +%s%N)
run_sipp uac_rejected
new_session; id6=$NEW_ID
wait_state "$id6" Rejected
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] || fail "the second call took $(( (t1 - t0) / 1000000 )) ms"
http GET "/sessions/$id5"; [ "$(json_str state)" = Active ] || fail "the waiting call moved on early: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"webhook":{[^}]*"name":"Slow"' || fail "the wait is not in the inspection: $HTTP_BODY"
wait_vip vipslow
wait_state "$id5" Terminated
expect_history "$id5" Work

# A declared action that neither a webhook nor anything else binds still stops sessiond at start.
sed 's|Stall: {webhook: "[^"]*", timeout_ms: 400}|Stall:|' "$TMP/hooks.yaml" >"$TMP/unbound.yaml"
"$BIN/sessiond" --table "$TMP/unbound.yaml" --sip "udp:127.0.0.1:$(free_port)" --http off >"$TMP/unbound.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "action 'Stall' is used by the table but has no binding" "$TMP/unbound.out" ||
    fail "an unbound declared action: exit $rc, $(tail -n 3 "$TMP/unbound.out")"

[ "$(metric 'sessioncore_webhook_requests_total{name="IsVip",result="ok"}')" = 6 ] ||
    fail "IsVip ok: $(metric 'sessioncore_webhook_requests_total{name="IsVip",result="ok"}')"
[ "$(metric 'sessioncore_webhook_requests_total{name="Break",result="http_error"}')" = 2 ] || fail "Break http_error"
[ "$(metric 'sessioncore_webhook_requests_total{name="Stall",result="timeout"}')" = 1 ] || fail "Stall timeout"
pass
