#!/usr/bin/env bash
# test_cli_grammar: sessionctl's one grammar (every command's --help exits 0 with its usage,
# unknown options exit 2 with one line, global options before or after, `validate F --json`),
# yes|no booleans with warnings for the old spellings (sessionctl and sessiond), `sessiond -h`;
# the man pages and docs/operations.md name every flag of `sessiond --help` and every command;
# the bash completion completes commands and options; and against a real sessiond with two
# SIPp callees: call, dtmf, bridge, unbridge, reload, trunks, registrations, hangup, kill, and
# `events` stopping at the end of the backlog under traffic (with --follow it goes on).
. "$(dirname "$0")/../sip/lib.sh"
CTL=$BIN/sessionctl
MAN=${SC_BINARY_DIR:-$BIN/..}/man

# ---- offline: the grammar ----------------------------------------------------------------------
cmds=$("$CTL" __complete | grep -v '^-' | grep -vx help)
[ "$(printf '%s\n' "$cmds" | grep -c .)" -ge 20 ] || fail "too few commands: $cmds"
for c in $cmds; do
    out=$("$CTL" "$c" --help 2>"$TMP/err") || fail "$c --help: exit $?"
    case "$out" in "usage: sessionctl $c"*) ;; *) fail "$c --help: no usage on stdout: $out" ;; esac
    [ -s "$TMP/err" ] && fail "$c --help wrote to stderr: $(cat "$TMP/err")"
    "$CTL" help "$c" >/dev/null || fail "help $c: exit $?"
    "$CTL" "$c" --no-such-option >/dev/null 2>"$TMP/err"; rc=$?
    [ "$rc" -eq 2 ] || fail "$c --no-such-option: exit $rc, expected 2"
    [ "$(grep -c . "$TMP/err")" -eq 1 ] || fail "$c --no-such-option: not one line: $(cat "$TMP/err")"
    grep -q "unknown option '--no-such-option'" "$TMP/err" || fail "$c: $(cat "$TMP/err")"
done
for h in --help -h; do "$CTL" $h | grep -q '^usage: sessionctl' || fail "sessionctl $h"; done
"$CTL" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "sessionctl --bogus: not exit 2"
"$CTL" nosuchcommand >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: not exit 2"
"$CTL" show >/dev/null 2>&1; [ $? -eq 2 ] || fail "show without ID: not exit 2"

T=$SRC/tables/default.yaml
for args in "validate $T --json" "--json validate $T" "validate --json $T"; do
    "$CTL" $args >"$TMP/v.json" || fail "sessionctl $args: exit $?"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["ok"] and d[0]["file"]==sys.argv[2], d' \
        "$TMP/v.json" "$T" || fail "sessionctl $args: $(head -c 300 "$TMP/v.json")"
done
"$CTL" validate "$T" --json -- --json >/dev/null 2>&1 && fail "validate -- --json: the file --json must not exist"
"$CTL" transitions "$T" --role=uac --state Active --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["transitions"], d' || fail "transitions --json"
"$CTL" graph "$T" --json | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "graph --json"
"$CTL" simulate "$T" --role uas IncomingCall AcceptCall --json | python3 -c '
import json,sys; l=[json.loads(x) for x in sys.stdin]; assert l[0]["type"]=="start" and l[-1]=={"type":"final","state":"Answering"}, l' ||
    fail "simulate --json"

# booleans: yes|no; the old spellings work with a warning
"$CTL" simulate "$T" --role uas --guard AutoAnswer=no IncomingCall >/dev/null 2>"$TMP/err"
grep -q warning "$TMP/err" && fail "--guard =no warned: $(cat "$TMP/err")"
"$CTL" simulate "$T" --role uas --guard AutoAnswer=false IncomingCall >/dev/null 2>"$TMP/err"
grep -q "warning: --guard: 'false' is spelled no" "$TMP/err" || fail "--guard =false: $(cat "$TMP/err")"
"$BIN/sessiond" -h >"$TMP/sd_help" || fail "sessiond -h: exit $?"
grep -q -- '--rtp-latch' "$TMP/sd_help" || fail "sessiond -h: no usage"
"$BIN/sessiond" --metrics on --rtp-latch=no --version >/dev/null 2>"$TMP/err" || fail "sessiond old spellings: $(cat "$TMP/err")"
grep -q "warning: --metrics: 'on' is spelled yes" "$TMP/err" || fail "sessiond --metrics on: $(cat "$TMP/err")"
"$BIN/sessiond" --rtp-latch=maybe --version >/dev/null 2>"$TMP/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "expected yes or no" "$TMP/err" || fail "--rtp-latch=maybe: exit $rc $(cat "$TMP/err")"
printf 'accept_refer: "no"\nrtp_latch: yes\nwatch: true\n' >"$TMP/b.yaml"
"$BIN/sessiond" --config "$TMP/b.yaml" --version >/dev/null 2>"$TMP/err" || fail "config booleans: $(cat "$TMP/err")"
[ "$(grep -c warning "$TMP/err")" -eq 1 ] || fail "config booleans: one warning (watch: true) expected: $(cat "$TMP/err")"

# ---- man pages, docs and completion name every flag and command ------------------------------
[ -s "$MAN/sessiond.8" ] && [ -s "$MAN/sessionctl.1" ] && [ -s "$MAN/sessiond.conf.5" ] &&
    [ -s "$MAN/sessioncore-table.5" ] || fail "man pages not built in $MAN (help2man and scdoc: scripts/deps.sh build)"
plain() { sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1"; }
plain "$MAN/sessiond.8" >"$TMP/sessiond.8.txt"
plain "$MAN/sessionctl.1" >"$TMP/sessionctl.1.txt"
flags=$(grep -o '^  \(-h, \)\?--[a-z0-9-]*' "$TMP/sd_help" | grep -o -- '--[a-z0-9-]*')
[ "$(printf '%s\n' "$flags" | grep -c .)" -ge 60 ] || fail "too few sessiond flags: $flags"
for f in $flags; do
    grep -q -- "$f\b" "$TMP/sessiond.8.txt" || fail "sessiond(8) lacks $f"
    grep -q -- "\`$f[\` =\[]" "$SRC/docs/operations.md" || fail "docs/operations.md's flags table lacks $f"
done
for c in $cmds; do
    grep -q "^$c\b" "$TMP/sessionctl.1.txt" || fail "sessionctl(1) lacks the command $c"
done
grep -q -- '--follow' "$TMP/sessionctl.1.txt" || fail "sessionctl(1) lacks the command options"
for p in sessiond.conf.5 sessioncore-table.5; do
    head -c 2000 "$MAN/$p" | grep -q '^\.TH' || fail "$p is not a man page"
done
COMP=$SRC/tools/sessionctl/sessionctl.bash-completion
complete_words() { # words...: COMPREPLY for the last word
    PATH=$BIN:$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sessionctl; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$COMP" "$@"
}
complete_words sessionctl dt | grep -qx dtmf || fail "completion of 'dt': $(complete_words sessionctl dt)"
complete_words sessionctl events --fo | grep -qx -- --follow || fail "completion of 'events --fo'"
complete_words sessionctl --json unbridge --s | grep -qx -- --server || fail "completion of globals after a command"

# ---- against a running sessiond ------------------------------------------------------------------
UAS2=$(free_port)
cp "$T" "$TMP/table.yaml"
start_sessiond --rtp-timeout-ms 0 --table "$TMP/table.yaml" --store memory:
S=(--server "http://127.0.0.1:$HTTP_PORT")
start_sipp_uas media_uas -set probe "$(free_port)"; first=$SIPP_BG
SIPP_PORT_SAVE=$SIPP_PORT; SIPP_PORT=$UAS2
start_sipp_uas media_uas -set probe "$(free_port)"
SIPP_PORT=$SIPP_PORT_SAVE
a=$("$CTL" call "sip:alice@127.0.0.1:$SIPP_PORT" "${S[@]}") || fail "call a"
b=$("$CTL" "${S[@]}" call --json "sip:bob@127.0.0.1:$UAS2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
    fail "call b --json"
wait_state "$a" Active; wait_state "$b" Active
"$CTL" dtmf "$a" '12#' "${S[@]}" | grep -q "$a dtmf: ok" || fail "dtmf"
"$CTL" dtmf "$a" 'x1' "${S[@]}" 2>/dev/null; [ $? -eq 2 ] || fail "dtmf x1: not a usage error"
"$CTL" bridge "$a" nope "${S[@]}" 2>"$TMP/err"; [ $? -eq 1 ] && grep -q 404 "$TMP/err" || fail "bridge nope: $(cat "$TMP/err")"
"$CTL" bridge "$a" "$b" "${S[@]}" | grep -q "$a bridge: ok" || fail "bridge"
wait_state "$a" Bridged; wait_state "$b" Bridged
"$CTL" unbridge "$a" "${S[@]}" --json | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "unbridge --json"
wait_state "$a" Active; wait_state "$b" Active
expect_history "$a" SendDTMF BridgeSessions UnbridgeSessions
"$CTL" reload "${S[@]}" | grep -q '^reload: \(unchanged\|applied\)' || fail "reload: $("$CTL" reload "${S[@]}" 2>&1)"
printf 'states: [\n' >"$TMP/bad.yaml"
"$CTL" reload --file "$TMP/bad.yaml" "${S[@]}" >/dev/null 2>"$TMP/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "refused" "$TMP/err" || fail "reload of a bad table: exit $rc $(cat "$TMP/err")"
"$CTL" trunks --json "${S[@]}" | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "trunks --json"
"$CTL" registrations "${S[@]}" --json >"$TMP/reg.json" 2>/dev/null; rc=$?
[ "$rc" -le 1 ] || fail "registrations: exit $rc"
"$CTL" sessions "${S[@]}" | grep -q "^2 session(s)" || fail "sessions"

# events: under traffic (every 20 ms an `accept` the outgoing call refuses: a TransitionFailed
# event) the backlog ends and the command exits; --follow stays.
( for _ in $(seq 1 250); do "$CTL" accept "$a" "${S[@]}" >/dev/null 2>&1; sleep 0.02; done ) &
traffic=$!
sleep 0.3
t0=$(date +%s%N)
timeout 5 "$CTL" events "${S[@]}" >"$TMP/ev.jsonl"; rc=$?
t1=$(date +%s%N)
[ "$rc" -eq 0 ] || fail "events without --follow did not end under traffic (exit $rc)"
# (quiet, it would end after a second without events; under traffic it ends at the backlog's end)
echo "events: $(grep -c . "$TMP/ev.jsonl") lines in $(((t1 - t0) / 1000000)) ms"
[ $(((t1 - t0) / 1000000)) -lt 900 ] || fail "events took $(((t1 - t0) / 1000000)) ms"
[ "$(grep -c '"seq"' "$TMP/ev.jsonl")" -ge 5 ] || fail "events backlog: $(head -c 300 "$TMP/ev.jsonl")"
timeout 1 "$CTL" events --follow "${S[@]}" >/dev/null; rc=$?
[ "$rc" -eq 124 ] || fail "events --follow ended by itself (exit $rc)"
kill "$traffic" 2>/dev/null; wait "$traffic" 2>/dev/null

"$CTL" hangup "$a" "${S[@]}" >/dev/null || fail "hangup a"
# kill: DELETE /sessions/{id} (a server without that route answers 405)
"$CTL" kill "$b" "${S[@]}" >"$TMP/kill.out" 2>"$TMP/err"; rc=$?
if grep -q "answered 405" "$TMP/err"; then
    echo "kill: this sessiond has no DELETE /sessions/{id}"
    "$CTL" "${S[@]}" hangup "$b" >/dev/null || fail "hangup b"
else
    [ "$rc" -eq 0 ] && grep -q "^$b killed (was in Active)" "$TMP/kill.out" || fail "kill: exit $rc $(cat "$TMP/kill.out" "$TMP/err")"
    "$CTL" show "$b" "${S[@]}" >/dev/null 2>&1; [ $? -eq 1 ] || fail "killed session still there"
fi
wait "$first" || fail "first sipp uas failed"
wait_sipp
pass
