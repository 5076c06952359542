#!/bin/bash
# sessionctl diff: identical tables exit 0, a changed table exits 1 and names the changed
# transition and state, --json is well formed, an invalid table exits 2 with file:line:col.
set -u
BIN=${1:?usage: test_diff.sh BIN_DIR}
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL="$BIN/sessionctl"
[ -x "$CTL" ] || { echo "skip: $CTL not built"; exit 77; }
if "$CTL" diff 2>&1 | grep -q "unknown command"; then
  echo "skip: sessionctl has no diff command yet"; exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
DEF="$SRC/tables/default.yaml"

# identical: exit 0, "0 differences"
out=$("$CTL" diff "$DEF" "$DEF" 2>"$TMP/err"); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^0 differences" && [ ! -s "$TMP/err" ] && ok || bad "identical: rc=$rc $out"

# comments only: still identical in behaviour
{ echo "# reviewed"; cat "$DEF"; } >"$TMP/commented.yaml"
"$CTL" diff "$DEF" "$TMP/commented.yaml" >/dev/null 2>&1; [ $? -eq 0 ] && ok || bad "comment-only change"

# a changed response code and a shorter timer: exit 1, both named
sed 's/code: 486/code: 603/; s/after_ms: 30000/after_ms: 5000/' "$DEF" >"$TMP/new.yaml"
out=$("$CTL" diff "$DEF" "$TMP/new.yaml"); rc=$?
[ $rc -eq 1 ] && ok || bad "changed: rc=$rc"
echo "$out" | grep -q '^~ uas Ringing --RejectCall: actions: .*code=486.* -> .*code=603' && ok || bad "changed row not shown: $out"
echo "$out" | grep -q '^~ state Initiating: timer_ms: 30000 -> 5000' && ok || bad "changed state not shown: $out"
echo "$out" | grep -q '^2 differences' && ok || bad "difference count: $out"

# a removed row and an added one
grep -v 'event: DialogINFO' "$DEF" >"$TMP/noinfo.yaml"
if ! cmp -s "$DEF" "$TMP/noinfo.yaml"; then
  out=$("$CTL" diff "$DEF" "$TMP/noinfo.yaml" 2>&1); rc=$?
  if [ $rc -eq 2 ]; then
    ok # removing the row made the table invalid: refused with a reason
  else
    [ $rc -eq 1 ] && echo "$out" | grep -q '^- .*--DialogINFO' && ok || bad "removed row: rc=$rc $out"
    out=$("$CTL" diff "$TMP/noinfo.yaml" "$DEF"); echo "$out" | grep -q '^+ .*--DialogINFO' && ok || bad "added row: $out"
  fi
fi

# --json: parseable, with the sections
"$CTL" diff "$DEF" "$TMP/new.yaml" --json >"$TMP/d.json"; rc=$?
[ $rc -eq 1 ] && ok || bad "--json rc=$rc"
if command -v python3 >/dev/null; then
  python3 - "$TMP/d.json" <<'PY' && ok || bad "--json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is False and d["differences"] == 2
ch = d["transitions"]["changed"]
assert len(ch) == 1 and ch[0]["event"] == "RejectCall" and ch[0]["role"] == "uas"
assert "actions" in ch[0]["changes"]
assert d["states"]["changed"][0]["state"] == "Initiating"
assert d["old"]["hash"] != d["new"]["hash"]
PY
fi

# an invalid table: exit 2, file:line:col on stderr
INV="$SRC/tests/data/tables/invalid/05-unknown-event.yaml"
"$CTL" diff "$DEF" "$INV" >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] && grep -qE "^$INV:[0-9]+:[0-9]+: error: " "$TMP/err" && ok || bad "invalid: rc=$rc $(cat "$TMP/err")"
"$CTL" diff "$DEF" "$TMP/missing.yaml" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "missing file"
"$CTL" diff "$DEF" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "one file only"

echo "diff: $pass passed, $fail failed"
[ $fail -eq 0 ]
