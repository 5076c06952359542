#!/bin/bash
# sessionctl validate / graph / transitions against the shipped table and the broken-table corpus.
set -u
BIN=${1:?usage: test_table_cli.sh BIN_DIR}
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL="$BIN/sessionctl"
[ -x "$CTL" ] || { echo "skip: $CTL not built"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# the shipped table is valid, with no warning at all
out=$("$CTL" validate "$SRC/tables/default.yaml" 2>"$TMP/err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$SRC/tables/default.yaml: ok" ] && [ ! -s "$TMP/err" ] && ok || bad "default.yaml: rc=$rc out=$out $(cat "$TMP/err")"
for f in "$SRC"/tests/data/tables/valid/*.yaml; do
  "$CTL" validate "$f" >/dev/null 2>&1 && ok || bad "valid $f"
done

# each broken table exits 1 with its announced file:line:col message on stderr
n=0
for f in "$SRC"/tests/data/tables/invalid/*.yaml; do
  n=$((n + 1))
  expect=$(head -1 "$f" | sed -n 's/^# expect: //p')
  loc=${expect%%: *}; msg=${expect#*: }
  "$CTL" validate "$f" >"$TMP/out" 2>"$TMP/err"; rc=$?
  if [ $rc -eq 1 ] && grep -F -- "$f:$loc: error: " "$TMP/err" | grep -qF -- "$msg" && [ ! -s "$TMP/out" ]; then ok
  else bad "$f: rc=$rc want '$loc: $msg' got: $(cat "$TMP/err")"; fi
done
[ $n -ge 22 ] && ok || bad "only $n invalid tables"

# several files: 1 if any is invalid, each valid one still says ok
"$CTL" validate "$SRC/tables/default.yaml" "$SRC/tests/data/tables/invalid/05-unknown-event.yaml" >"$TMP/out" 2>/dev/null
[ $? -eq 1 ] && grep -q "default.yaml: ok" "$TMP/out" && ok || bad "mixed validate"

# usage errors exit 2
"$CTL" validate >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "validate without files"
"$CTL" graph "$SRC/tables/default.yaml" --format png >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "graph --format png"
"$CTL" transitions "$SRC/tables/default.yaml" --role uac >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "transitions without --state"
"$CTL" validate "$TMP/missing.yaml" >/dev/null 2>&1; [ $? -eq 1 ] && ok || bad "missing file"

# graphs: dot renders with graphviz; mermaid and json are well formed
if command -v dot >/dev/null; then
  "$CTL" graph "$SRC/tables/default.yaml" --format dot | dot -Tsvg >"$TMP/g.svg" && grep -q "<svg" "$TMP/g.svg" && ok || bad "dot -Tsvg"
  "$CTL" graph "$SRC/tables/default.yaml" --role uas | dot -Tsvg >/dev/null && ok || bad "dot -Tsvg uas"
else
  echo "note: graphviz not installed, dot rendering not checked"
fi
"$CTL" graph "$SRC/tables/default.yaml" --format mermaid | head -1 | grep -qx "stateDiagram-v2" && ok || bad "mermaid"
"$CTL" graph "$SRC/tables/default.yaml" --format json --role uac >"$TMP/g.json" && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['role']=='uac' and d['transitions']" "$TMP/g.json" && ok || bad "json"
"$CTL" graph "$SRC/tests/data/tables/invalid/05-unknown-event.yaml" >/dev/null 2>&1; [ $? -eq 1 ] && ok || bad "graph of a broken table"

# transitions: what a state accepts and where each event leads
"$CTL" transitions "$SRC/tables/default.yaml" --role uac --state Ringing >"$TMP/out"; rc=$?
[ $rc -eq 0 ] && grep -q "^Ringing (uac) accepts" "$TMP/out" && grep -Eq "Dialog200OK +do SendAck, StartMedia .*-> Active" "$TMP/out" \
  && grep -Eq "HangupCall +do SendCancel.*-> Cancelling" "$TMP/out" && ok || bad "transitions uac Ringing: $(cat "$TMP/out")"
"$CTL" transitions "$SRC/tables/default.yaml" --role uas --state Ringing >"$TMP/out"
grep -Eq "RejectCall +if CodeInRange\(min=300 max=699\) do SendResponse\(code=0\)" "$TMP/out" && ! grep -q MakeCall "$TMP/out" && ok || bad "transitions uas Ringing"
"$CTL" transitions "$SRC/tables/default.yaml" --role uas --state Terminated | grep -q "accepts 0 events" && ok || bad "terminal state accepts nothing"
"$CTL" transitions "$SRC/tables/default.yaml" --role uas --state Nowhere >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown state"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
