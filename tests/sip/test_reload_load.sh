#!/usr/bin/env bash
# Hot reload under SIPp load (0 failed calls): calls started before the reload answer at once
# (old table), calls after it ring 1.5 s first (new table: ScheduleAutoAnswer delay_ms); after
# the old calls are removed, version 1 is gone from GET /table. Broken candidates (YAML syntax,
# unknown event, unknown action, duplicate row) answer 422 with file:line:col and change
# nothing. --watch: a rename-over of the table file causes exactly one reload.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
sed -e 's/max_ms: 300000/max_ms: 1500/' "$SRC/tables/default.yaml" >"$TMP/table.yaml"
sed -e 's/actions: \[{SendResponse: {code: 180}}, ScheduleAutoAnswer\]/actions: [{SendResponse: {code: 180}}, {ScheduleAutoAnswer: {delay_ms: 1500}}]/' \
    "$TMP/table.yaml" >"$TMP/new.yaml"
cmp -s "$TMP/table.yaml" "$TMP/new.yaml" && fail "could not derive the new table"
start_sessiond --answer auto --table "$TMP/table.yaml" --watch
URL="http://127.0.0.1:$HTTP_PORT"
timeout 60 curl -sN "$URL/events?type=SessionCreated,StateChanged,TableReloaded" >"$TMP/ev.sse" & EV=$!
(cd "$TMP" && timeout 120 "$SIPP" -sf "$SCEN/uac_bye.xml" -m 16 -r 4 -l 16 -timeout 60s -timeout_error -nostdin \
    -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/load.out" 2>&1) & LOAD=$!
sleep 2
cp "$TMP/new.yaml" "$TMP/new.tmp" && mv "$TMP/new.tmp" "$TMP/table.yaml"   # editor-style save
wait "$LOAD" || fail "SIPp had failed calls during the reload: $(tail -n 5 "$TMP/load.out")"
wait_metric 'sessioncore_table_reloads_total{result="ok"}' 1 10
sleep 1
[ "$(metric 'sessioncore_table_reloads_total{result="ok"}')" = 1 ] || fail "rename-over caused more than one reload"
kill "$EV" 2>/dev/null; wait "$EV" 2>/dev/null
python3 - "$TMP/ev.sse" <<'PY' || fail "old/new behaviour split is wrong"
import json, sys
evs = [json.loads(l[6:]) for l in open(sys.argv[1]).read().splitlines() if l.startswith("data: ")]
rel = [e["seq"] for e in evs if e["type"] == "TableReloaded" and e["ok"]]
assert len(rel) == 1, rel
born, ring, ans = {}, {}, {}
for e in evs:
    s = e.get("session")
    if e["type"] == "SessionCreated": born[s] = e["seq"]
    if e["type"] == "StateChanged" and e["to"] == "Ringing": ring[s] = e["time_us"]
    if e["type"] == "StateChanged" and e["to"] == "Answering": ans[s] = e["time_us"]
old = [s for s in born if born[s] < rel[0]]; new = [s for s in born if born[s] > rel[0]]
assert old and new, (len(old), len(new))
for s in old: assert ans[s] - ring[s] < 1000000, ("old", s, ans[s] - ring[s])
for s in new: assert ans[s] - ring[s] >= 1400000, ("new", s, ans[s] - ring[s])
print("old", len(old), "new", len(new))
PY
# the old version goes once its sessions are removed (Terminated max_ms 1500)
gone=
for _ in $(seq 1 100); do
    http GET /table/versions
    printf '%s' "$HTTP_BODY" | grep -q '"version":1,' || { gone=1; break; }
    sleep 0.2
done
[ -n "$gone" ] || fail "version 1 still listed: $HTTP_BODY"
http GET /table; printf '%s' "$HTTP_BODY" | grep -q '"versions":\[{"version":2,' || fail "GET /table versions: $HTTP_BODY"
# broken candidates
# (the versions without their live session counts: the calls of the load are still being removed)
versions() { http GET /table/versions; printf '%s' "$HTTP_BODY" | sed -E 's/"sessions":[0-9]+,?//g'; }
before=$(versions)
bad_yaml=$(printf 'name: x\nstates: {\n')
bad_event=$(sed -e '0,/event: DialogBYE/s//event: DialogByeBye/' "$TMP/new.yaml")
bad_action=$(sed -e '0,/SendInvite/s//SendInviteTwice/' "$TMP/new.yaml")
dup=$(sed -e 's/^  - {role: uac, from: Idle, event: MakeCall, actions: \[SendInvite\], to: Initiating}$/&\n&/' "$TMP/new.yaml")
n=0
for body in "$bad_yaml" "$bad_event" "$bad_action" "$dup"; do
    n=$((n + 1))
    http POST /table/reload "$body"
    [ "$HTTP_STATUS" = 422 ] || fail "broken table $n: HTTP $HTTP_STATUS $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -Eq '"file":"POST /table/reload","line":[1-9][0-9]*,"column":[1-9]' || fail "broken table $n: no file:line:col: $HTTP_BODY"
    http POST /table/validate "$body"
    [ "$HTTP_STATUS" = 422 ] || fail "validate broken table $n: HTTP $HTTP_STATUS"
done
[ "$(metric 'sessioncore_table_reloads_total{result="failed"}')" = 4 ] || fail "failed reloads not counted"
after=$(versions); [ "$after" = "$before" ] || fail "a refused reload changed the versions: $before -> $after"
http POST /table/validate "$(cat "$SRC/tables/default.yaml")"; [ "$HTTP_STATUS" = 200 ] || fail "validate good table: $HTTP_STATUS"
pass
