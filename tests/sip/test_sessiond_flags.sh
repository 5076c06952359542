#!/usr/bin/env bash
# sessiond's command line and config: bad flags and values exit 2 with one line naming the
# problem; a broken table exits 2 with file:line:col; a YAML config file works and flags
# override it; the http-token key protects every endpoint but the probes.
. "$(dirname "$0")/lib.sh"
expect_exit2() { # expected-substring args...
    local want=$1; shift
    local out rc
    out=$("$BIN/sessiond" "$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq 2 ] || fail "sessiond $*: exit $rc, expected 2 ($out)"
    [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "sessiond $*: expected one line, got: $out"
    case "$out" in *"$want"*) ;; *) fail "sessiond $*: '$out' does not mention '$want'" ;; esac
}
expect_exit2 "--answer: expected auto or manual, got 'sometimes'" --answer sometimes
expect_exit2 "--bogus" --bogus
expect_exit2 "--sip" --sip "sctp:127.0.0.1:5060"
expect_exit2 "--sip" --sip "udp:127.0.0.1"
expect_exit2 "--http" --http "nowhere"
expect_exit2 "--store: expected memory:, sqlite:PATH" --store mysql://x
expect_exit2 "--log-format" --log-format xml
expect_exit2 "--media-ports" --media-ports 30000-20000
expect_exit2 "--ring-delay-ms" --ring-delay-ms -5
expect_exit2 "--http-token is required" --http "0.0.0.0:$HTTP_PORT"
expect_exit2 "--sip-t1-ms: missing value" --sip-t1-ms
cat > "$TMP/broken.yaml" <<'YAML'
version: "1"
name: broken
initial: Idle
states:
  Idle: {}
transitions:
  - {role: uac, from: Idle, event: NoSuchEvent, to: Idle}
YAML
expect_exit2 "broken.yaml:" --table "$TMP/broken.yaml"
expect_exit2 "no such file" --table "$TMP/missing.yaml"
printf 'answer: manual\nlog_format: json\nbogus_key: 1\n' > "$TMP/bad.yaml"
expect_exit2 "bad.yaml:3:1: unknown option 'bogus_key'" --config "$TMP/bad.yaml"
printf 'answer: maybe\n' > "$TMP/bad2.yaml"
expect_exit2 "bad2.yaml:1:9: answer: expected auto or manual" --config "$TMP/bad2.yaml"

# A good config file; a flag overrides one of its keys.
cat > "$TMP/good.yaml" <<YAML
sip:
  - udp:127.0.0.1:$SIP_PORT
http: 127.0.0.1:$HTTP_PORT
answer: manual
log-format: json
http-token: secret-token-1
YAML
"$BIN/sessiond" --config "$TMP/good.yaml" --log-level info >"$TMP/sessiond.out" 2>"$SD_LOG" &
SD_PID=$!
for _ in $(seq 1 100); do http GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ] && break; sleep 0.05; done
[ "$HTTP_STATUS" = 200 ] || fail "sessiond with --config did not start"
head -n 1 "$SD_LOG" | grep -q '^{"time":' || fail "log is not JSON lines: $(head -n 1 "$SD_LOG")"
grep -q '"msg":"sessiond .* ready (answer manual' "$SD_LOG" || fail "answer: manual from the config not applied"
http POST /calls '{"to":"sip:x@127.0.0.1:9"}'
[ "$HTTP_STATUS" = 401 ] || fail "POST without the token: $HTTP_STATUS"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" --token secret-token-1 --json sessions) ||
    fail "sessionctl with token: $out"
[ "$out" = "[]" ] || fail "sessions: $out"
http GET /sessions
[ "$HTTP_STATUS" = 401 ] || fail "GET /sessions without the token: $HTTP_STATUS"
HTTP_TOKEN=secret-token-1 http GET /nope
[ "$HTTP_STATUS" = 404 ] || fail "GET /nope: $HTTP_STATUS"
kill -TERM "$SD_PID"; wait "$SD_PID"; rc=$?; SD_PID=
[ "$rc" -eq 0 ] || fail "sessiond exit $rc after SIGTERM"

# No arguments at all: the built-in table; runs from any directory (skipped if 5060/8080 are taken).
if ! port_in_use 5060 && ! port_in_use 8080; then
    # a fresh directory far from the source tree: no table file, and its own default store
    mkdir -p "$TMP/elsewhere"
    (cd "$TMP/elsewhere" && exec "$BIN/sessiond") >"$TMP/default.out" 2>"$TMP/default.log" &
    SD_PID=$!
    HTTP_PORT=8080
    for _ in $(seq 1 100); do http GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ] && break; sleep 0.05; done
    [ "$HTTP_STATUS" = 200 ] || fail "sessiond with no arguments did not start: $(cat "$TMP/default.log")"
    http GET /table.mmd
    [ "$HTTP_STATUS" = 200 ] || fail "GET /table.mmd: $HTTP_STATUS"
fi
pass
