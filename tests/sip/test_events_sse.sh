#!/usr/bin/env bash
# Events over SSE during a SIPp run: a consumer filtered to one session (session=ID, since=0)
# sees exactly that session's state changes, in the order of its history, with increasing
# ids; an unfiltered consumer that "reconnects" with Last-Event-ID K receives exactly the
# events after K, none twice (ids are "<epoch>-<seq>"); after a restart, the old Last-Event-ID
# gets a StreamReset first, then the new run's events from its first; ?app= keeps only the App
# events of those names; sessionctl events prints the same as JSON Lines.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
start_sessiond --answer auto
URL="http://127.0.0.1:$HTTP_PORT"
(cd "$TMP" && timeout 120 "$SIPP" -sf "$SCEN/uac_overload.xml" -m 8 -r 4 -l 8 -timeout 60s -timeout_error -nostdin \
    -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/load.out" 2>&1) &
LOAD=$!
id=$(wait_any_session 10)
timeout 30 curl -sN "$URL/events?session=$id&since=0" >"$TMP/one.sse" &
ONE=$!
wait "$LOAD" || fail "SIPp had failed calls: $(tail -n 5 "$TMP/load.out")"
wait_state "$id" Terminated 20
sleep 0.5
kill "$ONE" 2>/dev/null; wait "$ONE" 2>/dev/null
http GET "/sessions/$id/history"
printf '%s' "$HTTP_BODY" >"$TMP/history.json"
python3 - "$TMP/one.sse" "$TMP/history.json" "$id" <<'PY' || fail "filtered stream does not match the history"
import json, sys
sse, hist, sid = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
evs = [json.loads(l[6:]) for l in sse.splitlines() if l.startswith("data: ")]
ids = [int(l[4:].split("-")[1]) for l in sse.splitlines() if l.startswith("id: ")]
assert len({l[4:].split("-")[0] for l in sse.splitlines() if l.startswith("id: ")}) == 1, "one epoch"
assert ids == sorted(set(ids)), "ids not strictly increasing"
assert [e["seq"] for e in evs] == ids
assert all(e.get("session") == sid for e in evs), "foreign session in the filtered stream"
recs = hist if isinstance(hist, list) else hist.get("history", hist.get("records"))
want = [(r["from"], r["event"], r["to"]) for r in recs if r.get("outcome") == "taken" and r["from"] != r["to"]]
got = [(e["from"], e["event"], e["to"]) for e in evs if e["type"] == "StateChanged"]
assert got == want, "state changes %s != history %s" % (got, want)
types = [e["type"] for e in evs]
assert types[0] == "SessionCreated" and "SessionEnded" in types and "CallEstablished" in types, types
print("ok", len(evs), "events")
PY
# resume: everything, then from K (the middle) by Last-Event-ID and by sessionctl --since
timeout 10 curl -sN "$URL/events?since=0" >"$TMP/all.sse" & A=$!; sleep 1.5; kill $A 2>/dev/null; wait $A 2>/dev/null
# App events by name (?app= globs): only those named Call*, and other types not at all with type=App
timeout 10 curl -sN "$URL/events?since=0&type=App&app=Call*" >"$TMP/app.sse" & P=$!; sleep 1.5; kill $P 2>/dev/null; wait $P 2>/dev/null
python3 - "$TMP/all.sse" "$TMP/app.sse" <<'PY' || fail "the app= filter"
import json, sys
def evs(f): return [json.loads(l[6:]) for l in open(f).read().splitlines() if l.startswith("data: ")]
every = [e.get("name") for e in evs(sys.argv[1]) if e["type"] == "App"]
got = evs(sys.argv[2])
assert any(not n.startswith("Call") for n in every), "no App event outside Call*: %s" % set(every)
assert got and all(e["type"] == "App" and e["name"].startswith("Call") for e in got), [e.get("name") for e in got]
assert len(got) == sum(1 for n in every if n.startswith("Call")), "%d of %d" % (len(got), len(every))
PY
epoch=$(grep '^id: ' "$TMP/all.sse" | tail -n 1 | cut -c5- | cut -d- -f1)
last=$(grep '^id: ' "$TMP/all.sse" | tail -n 1 | cut -d- -f2)
K=$((last / 2))
timeout 10 curl -sN -H "Last-Event-ID: $epoch-$K" "$URL/events" >"$TMP/resumed.sse" & B=$!; sleep 1.5; kill $B 2>/dev/null; wait $B 2>/dev/null
want=$(grep '^id: ' "$TMP/all.sse" | cut -d- -f2 | awk -v k="$K" '$1 > k')
got=$(grep '^id: ' "$TMP/resumed.sse" | cut -d- -f2)
[ -n "$want" ] && [ "$got" = "$want" ] || fail "resume after $K: got $(echo $got | wc -w) ids, want $(echo $want | wc -w)"
"$BIN/sessionctl" events --server "$URL" --since "$K" >"$TMP/ctl.jsonl" || fail "sessionctl events failed"
gotc=$(python3 -c 'import json,sys; [print(json.loads(l)["seq"]) for l in open(sys.argv[1])]' "$TMP/ctl.jsonl")
[ "$gotc" = "$want" ] || fail "sessionctl events --since $K differs from the stream"
http GET "/events?type=Bogus"; [ "$HTTP_STATUS" = 400 ] || fail "bad filter: $HTTP_STATUS"
# a restart: the old resume point is another run's, so it is reset, not silently resumed
kill -TERM "$SD_PID"; wait "$SD_PID" 2>/dev/null; SD_PID=
start_sessiond --answer auto
run_sipp uac_bye
timeout 10 curl -sN -H "Last-Event-ID: $epoch-$last" "$URL/events" >"$TMP/after.sse" & C=$!; sleep 1.5; kill $C 2>/dev/null; wait $C 2>/dev/null
python3 - "$TMP/after.sse" "$epoch" <<'PY' || fail "resume across a restart: $(head -c 600 "$TMP/after.sse")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ids = [l[4:] for l in lines if l.startswith("id: ")]
evs = [json.loads(l[6:]) for l in lines if l.startswith("data: ")]
assert evs and evs[0]["type"] == "StreamReset", [e["type"] for e in evs[:3]]
new_epoch = ids[0].split("-")[0]
assert new_epoch != sys.argv[2] and str(evs[0]["epoch"]) == new_epoch, (new_epoch, evs[0])
assert evs[1]["type"] == "SessionCreated" and evs[1]["seq"] == 1, evs[1]  # the new run from its first event
assert all(i.split("-")[0] == new_epoch for i in ids)
print("reset ok")
PY
pass
