#!/usr/bin/env bash
# test_store_cli: `sessionctl simulate --store sqlite:PATH` records runs through the recorder;
# `history`, `events` and `replay` read the log back with no server running.
set -u
BIN=${1:?usage: test_store_cli.sh BIN_DIR}
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=$BIN/sessionctl
TABLE=$SRC/tables/default.yaml
fail() { echo "FAIL: $*" >&2; exit 1; }

if ! "$CTL" replay 2>&1 | grep -q "usage: sessionctl replay"; then
    echo "skip: sessionctl has no replay command registered" >&2
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
URL=sqlite:$tmp/audit.db
t0=$(($(date +%s) - 1))

"$CTL" simulate "$TABLE" --role uas --guard AutoAnswer=false --store "$URL" --id call-1 \
    IncomingCall AcceptCall DialogACK MediaReady HoldCall ResumeCall > "$tmp/sim1.txt"
# (exit 1: ResumeCall is refused in Holding, on purpose, so the log has a refused event)
grep -q "^final Holding" "$tmp/sim1.txt" || fail "simulate call-1: $(cat "$tmp/sim1.txt")"
"$CTL" simulate "$TABLE" --role uac --store "$URL" --id call-2 MakeCall HangupCall > "$tmp/sim2.txt" ||
    true # the run may end with an event its state does not accept; the log still has it
t1=$(($(date +%s) + 1))

# history: JSON Lines, one record per seq from the creation record on
"$CTL" history call-1 --store "$URL" > "$tmp/h1.jsonl" || fail "history call-1"
n=$(wc -l < "$tmp/h1.jsonl")
[ "$n" -eq 8 ] || fail "history call-1: want 8 records (created + 7 runs), got $n"
head -1 "$tmp/h1.jsonl" | grep -q '"kind":"created"' || fail "first record is not the creation"
sed -n 2p "$tmp/h1.jsonl" | grep -q '"event":"IncomingCall"' || fail "second record is not IncomingCall"
sed -n 2p "$tmp/h1.jsonl" | grep -q '"state_after":"Ringing"' || fail "IncomingCall record lacks state_after"
grep -q '"outcome":"not_accepted"' "$tmp/h1.jsonl" || fail "the refused ResumeCall is not in the log"
while read -r line; do
    node -e 'JSON.parse(process.argv[1])' "$line" 2>/dev/null || fail "not JSON: $line"
done < "$tmp/h1.jsonl"
"$CTL" history nosuch --store "$URL" > /dev/null 2>&1 && fail "history of an unknown session succeeded"

# events: both sessions inside the window, none outside it
"$CTL" events --store "$URL" --since "$t0"000000 --until "$t1"000000 > "$tmp/ev.jsonl" || fail "events"
grep -q '"session_id":"call-1"' "$tmp/ev.jsonl" || fail "events: call-1 missing"
grep -q '"session_id":"call-2"' "$tmp/ev.jsonl" || fail "events: call-2 missing"
iso=$(date -u -d "@$t1" +%Y-%m-%dT%H:%M:%SZ)
"$CTL" events --store "$URL" --since "$iso" > "$tmp/late.jsonl" || fail "events --since ISO"
[ ! -s "$tmp/late.jsonl" ] || fail "events after the runs: want none"
"$CTL" events --store "$URL" --since yesterday > /dev/null 2>&1 && fail "a bad --since was accepted"

# replay: the path, and the snapshot check
"$CTL" replay call-1 --store "$URL" --table "$TABLE" > "$tmp/r1.txt" || fail "replay call-1: $(cat "$tmp/r1.txt")"
grep -q "Idle --IncomingCall--> Ringing" "$tmp/r1.txt" || fail "replay: no Idle --IncomingCall--> Ringing"
grep -q "Answering --DialogACK--> Active" "$tmp/r1.txt" || fail "replay: no DialogACK step"
grep -q "Holding --ResumeCall--x (not_accepted)" "$tmp/r1.txt" || fail "replay: refused event not shown"
grep -q "^snapshot: matches" "$tmp/r1.txt" || fail "replay: snapshot does not match: $(cat "$tmp/r1.txt")"
grep -q "^final state: Holding" "$tmp/r1.txt" || fail "replay: final state"
"$CTL" replay call-2 --store "$URL" --table "$TABLE" > "$tmp/r2.txt" || fail "replay call-2: $(cat "$tmp/r2.txt")"
grep -q "Idle --MakeCall--> " "$tmp/r2.txt" || fail "replay call-2: no MakeCall step"

# a tampered snapshot is reported (needs the sqlite3 shell; the schema is src/persist/persist_sqlite.c)
if command -v sqlite3 > /dev/null; then
    sqlite3 "$tmp/audit.db" "UPDATE sc_sessions SET data = replace(data, '\"outcome\":null', '\"outcome\":\"forged\"') WHERE id = 'call-1'" ||
        fail "sqlite3 update"
    "$CTL" replay call-1 --store "$URL" --table "$TABLE" > "$tmp/r3.txt"
    [ $? -eq 1 ] || fail "replay of a tampered snapshot: want exit 1"
    grep -q "^snapshot: DIFFERS" "$tmp/r3.txt" || fail "replay: tampering not reported"
fi
echo "ok"
