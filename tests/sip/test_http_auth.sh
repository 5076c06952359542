#!/usr/bin/env bash
# With a token every endpoint needs "Authorization: Bearer TOKEN" (scheme in any case) but the
# probes: /livez, /readyz and /healthz without its details; --metrics-public opens /metrics.
# The token comes from --http-token-file (a file others may read gets a warning), the
# SESSIOND_HTTP_TOKEN environment variable, or --http-token (accepted with a warning that it
# shows in /proc/PID/cmdline, where sessiond masks it). The token never appears in the log.
. "$(dirname "$0")/lib.sh"
TOKEN=tok-$RANDOM$RANDOM-s3cr3t
WRONG=tok-$RANDOM$RANDOM-wrong
umask 077
printf '%s\n' "$TOKEN" > "$TMP/token"
dead=$(free_port)

# needs_token METHOD PATH [BODY]: 401 with WWW-Authenticate without a token and with a wrong one.
needs_token() {
    local m=$1 p=$2 b=${3:-}
    http_req "$m" "$p" "$b" "Host: 127.0.0.1" "Content-Type: application/json"
    [ "$HTTP_STATUS" = 401 ] || fail "$m $p without a token: $HTTP_STATUS $HTTP_BODY"
    printf '%s' "$HTTP_HEAD" | grep -qi '^WWW-Authenticate: Bearer' || fail "$m $p: 401 without WWW-Authenticate: $HTTP_HEAD"
    http_req "$m" "$p" "$b" "Host: 127.0.0.1" "Content-Type: application/json" "Authorization: Bearer $WRONG"
    [ "$HTTP_STATUS" = 401 ] || fail "$m $p with a wrong token: $HTTP_STATUS"
    http_req "$m" "$p" "$b" "Host: 127.0.0.1" "Content-Type: application/json" "Authorization: Bearer ${TOKEN}x"
    [ "$HTTP_STATUS" = 401 ] || fail "$m $p with the token plus a character: $HTTP_STATUS"
    http_req "$m" "$p" "$b" "Host: 127.0.0.1" "Content-Type: application/json" "Authorization: Basic $TOKEN"
    [ "$HTTP_STATUS" = 401 ] || fail "$m $p with the Basic scheme: $HTTP_STATUS"
}
# public PATH: 200 with no token (within 5 s: /readyz waits for the store).
public() {
    for _ in $(seq 1 50); do
        http_req GET "$1" "" "Host: 127.0.0.1"
        [ "$HTTP_STATUS" = 200 ] && return 0
        sleep 0.1
    done
    fail "GET $1 without a token: $HTTP_STATUS $HTTP_BODY"
}

# 1. --http-token on the command line: every endpoint but the probes needs it; accepted with a
# warning, and masked in /proc/PID/cmdline.
start_sessiond --http-token "$TOKEN"
needs_token GET /sessions
needs_token GET /metrics
public /livez
HTTP_TOKEN=$TOKEN http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions with the --http-token token: $HTTP_STATUS"
grep -q 'http-token given on the command line.*/proc/PID/cmdline' "$SD_LOG" || fail "no warning for --http-token"
tr '\0' ' ' < "/proc/$SD_PID/cmdline" | grep -qF -- "$TOKEN" && fail "the token is readable in /proc/PID/cmdline"
stop_sessiond
grep -qF -- "$TOKEN" "$SD_LOG" "$TMP/sessiond.out" && fail "the token is in the log"

# 2. --http-token-file, mode 600: no warning.
start_sessiond --answer manual --shutdown-timeout-ms 500 --http-token-file "$TMP/token"
grep -q 'group or others' "$SD_LOG" && fail "warning for a 600 token file: $(grep 'group or others' "$SD_LOG")"
HTTP_TOKEN=$TOKEN http POST /calls "{\"to\":\"sip:nobody@127.0.0.1:$dead\"}"
[ "$HTTP_STATUS" = 201 ] || fail "POST /calls with the token: $HTTP_STATUS $HTTP_BODY"
sid=$(json_str id)
for p in /sessions "/sessions/$sid" "/sessions/$sid/history" "/sessions/$sid/history?format=csv" /events \
    /metrics /table /table.json /table.dot /table.mmd "/table?session=$sid" /table/versions /nope; do
    needs_token GET "$p"
done
needs_token POST /calls "{\"to\":\"sip:nobody@127.0.0.1:$dead\"}"
needs_token POST "/sessions/$sid/hangup"
needs_token POST /table/validate "x: 1"
HTTP_TOKEN=$TOKEN http GET /sessions
[ "$(printf '%s' "$HTTP_BODY" | grep -o '"id":' | wc -l)" -eq 1 ] || fail "a refused POST /calls made a call: $HTTP_BODY"
# the probes answer anyone; /healthz keeps its details for the token's holder
public /livez
public /readyz
public /healthz
printf '%s' "$HTTP_BODY" | grep -q '"checks":' || fail "/healthz without a token lacks the checks: $HTTP_BODY"
printf '%s' "$HTTP_BODY" | grep -q '"details"' && fail "/healthz without a token shows details: $HTTP_BODY"
http_req GET /healthz "" "Host: 127.0.0.1" "Authorization: Bearer $WRONG"
printf '%s' "$HTTP_BODY" | grep -q '"details"' && fail "/healthz with a wrong token shows details: $HTTP_BODY"
for scheme in Bearer bearer BEARER bEaReR; do
    http_req GET /healthz "" "Host: 127.0.0.1" "Authorization: $scheme $TOKEN"
    printf '%s' "$HTTP_BODY" | grep -q '"details":{"sessions"' || fail "/healthz with '$scheme TOKEN' lacks details: $HTTP_BODY"
    http_req GET "/sessions/$sid/history" "" "Host: 127.0.0.1" "Authorization: $scheme $TOKEN"
    [ "$HTTP_STATUS" = 200 ] || fail "history with '$scheme TOKEN': $HTTP_STATUS"
done
HTTP_TOKEN=$TOKEN http GET /metrics
[ "$HTTP_STATUS" = 200 ] || fail "GET /metrics with the token: $HTTP_STATUS"
HTTP_TIMEOUT=1 http_req GET /events "" "Host: 127.0.0.1" "Authorization: Bearer $TOKEN"
[ "$HTTP_STATUS" = 200 ] || fail "GET /events with the token: $HTTP_STATUS"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" --token "$TOKEN" --json history "$sid") ||
    fail "sessionctl history with the token: $out"
out=$("$BIN/sessionctl" --server "http://127.0.0.1:$HTTP_PORT" --json sessions 2>&1) &&
    fail "sessionctl sessions without the token succeeded: $out"
HTTP_TOKEN=$TOKEN http POST "/sessions/$sid/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup with the token: $HTTP_STATUS $HTTP_BODY"
stop_sessiond
grep -qF -- "$TOKEN" "$SD_LOG" "$TMP/sessiond.out" && fail "the token is in the log"

# 3. SESSIOND_HTTP_TOKEN and --metrics-public; a token file others may read gets a warning.
chmod 644 "$TMP/token"
SESSIOND_HTTP_TOKEN=$TOKEN start_sessiond --metrics-public
public /metrics
printf '%s' "$HTTP_BODY" | grep -q '^sessioncore_' || fail "public /metrics: $HTTP_BODY"
needs_token GET /sessions
HTTP_TOKEN=$TOKEN http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions with the token from SESSIOND_HTTP_TOKEN: $HTTP_STATUS"
stop_sessiond
start_sessiond --http-token-file "$TMP/token"
grep -q "http-token-file $TMP/token: group or others may read" "$SD_LOG" || fail "no warning for a 644 token file"
stop_sessiond

# 4. An unusable token file: exit 2, one line, without the file's content.
printf 'short\n' > "$TMP/bad-token"
out=$("$BIN/sessiond" --http-token-file "$TMP/bad-token" 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "bad token file: exit $rc ($out)"
[ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "bad token file: expected one line: $out"
case "$out" in *--http-token-file*bad-token*) ;; *) fail "bad token file: '$out'" ;; esac
case "$out" in *short*) fail "the error shows the file's content: $out" ;; esac
pass
