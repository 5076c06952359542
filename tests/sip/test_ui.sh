#!/usr/bin/env bash
# The web inspector (/ui, docs/ui.md) in headless Chromium, against a sessiond with a token
# and three SIPp calls up: tests/ui/ui_test.js (playwright-core driving Debian's chromium) goes
# through every view: the token dialog, the graph (every state of the table, live counts, a
# state's rows), one session (path, timeline = GET /sessions/{id}/history, only the accepted
# commands), Hang up (SIPp must receive the BYE of that call: its message log is checked
# here), the events view (pause and resume without a gap; a restart of sessiond done here on
# its request: StreamReset, then the new run from seq 1), the reload view (a broken table's
# error at its line and column, a changed one's diff, applied). The static files' headers (CSP,
# ETag, 304, no token needed for them, Host still checked) are checked with curl. Screenshots
# go to $SC_BINARY_DIR/Testing/ui-shots (docs/ui.md shows them).
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm not installed"; exit 77; }
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM missing (apt-get install chromium)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

# playwright-core (no browser download: it drives the system's chromium) in a cache directory of
# the build, installed from tests/ui/package-lock.json once, again when the lock changes. This
# runs before the test enters its network namespace (npm needs the registry); inside, the
# installed copy is found and nothing is fetched.
UI_SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UI_NODE=${SC_UI_NODE_DIR:-${SC_BINARY_DIR:-${TMPDIR:-/tmp}}/ui-node}
if ! cmp -s "$UI_SRC/tests/ui/package-lock.json" "$UI_NODE/package-lock.json" || [ ! -d "$UI_NODE/node_modules/playwright-core" ]; then
  [ -z "${SC_IN_NETNS:-}" ] && mkdir -p "$UI_NODE" && cp "$UI_SRC/tests/ui/package.json" "$UI_SRC/tests/ui/package-lock.json" "$UI_NODE/" &&
    (cd "$UI_NODE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund --prefer-offline >/dev/null 2>&1) ||
    { rm -f "$UI_NODE/package-lock.json"; echo "FAIL: npm ci of playwright-core in $UI_NODE failed"; exit 1; }
fi
. "$(dirname "$0")/netns.sh" # hostile input (a foreign Host, a token-less API call): only loopback in reach
. "$(dirname "$0")/lib.sh"
SHOTS=${UI_SHOTS:-${SC_BINARY_DIR:-$TMP}/Testing/ui-shots}
mkdir -p "$SHOTS" "$TMP/ui"

TOKEN=ui-test-token-$$-$RANDOM
printf '%s\n' "$TOKEN" >"$TMP/token"
chmod 600 "$TMP/token"
export HTTP_TOKEN=$TOKEN
SD_ARGS=(--answer auto --http-token-file "$TMP/token" --on-sigterm hangup --rtp-timeout-ms 0)
start_sessiond "${SD_ARGS[@]}"
URL="http://127.0.0.1:$HTTP_PORT"

# The files: no token needed, Host checked, CSP and ETag, 304 on revalidation, 404 and 405
curl -sS -D "$TMP/h1" -o "$TMP/index.html" "$URL/ui" || fail "GET /ui"
head -n 1 "$TMP/h1" | grep -q ' 200' || fail "GET /ui without the token: $(head -n 1 "$TMP/h1")"
grep -qi "^Content-Type: text/html" "$TMP/h1" || fail "GET /ui: $(grep -i content-type "$TMP/h1")"
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'" "$TMP/h1" || fail "GET /ui: no CSP"
grep -q '<script' "$TMP/index.html" && ! grep -q '<script[^>]*src=' "$TMP/index.html" && fail "an inline script in index.html"
etag=$(grep -i '^ETag:' "$TMP/h1" | cut -d' ' -f2 | tr -d '\r')
[ -n "$etag" ] || fail "GET /ui: no ETag"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/ui/")" = 304 ] || fail "If-None-Match: no 304"
[ "$(curl -s -o /dev/null -w '%{content_type}' "$URL/ui/app.js")" = "text/javascript; charset=utf-8" ] || fail "app.js type"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/ui/nope.js")" = 404 ] || fail "an unknown file: not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$URL/ui/")" = 421 ] || fail "a foreign Host got the page"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/ui/")" = 401 ] || fail "POST /ui without the token: not 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/sessions")" = 401 ] || fail "the API answers without the token"

# Three incoming calls that stay up until sessiond sends BYE
UAC= NODE=
stop_bg() {
  local rc=$?
  for p in $NODE $UAC; do kill "$p" 2>/dev/null; done
  (exit "$rc"); cleanup
}
trap stop_bg EXIT
(cd "$TMP" && exec timeout 90 "$SIPP" -sf "$SCEN/ui_uac_wait_bye.xml" -m 3 -l 3 -r 10 -timeout 80s -timeout_error \
  -trace_msg -message_file "$TMP/uac.msg" -trace_err -error_file "$TMP/uac.err" -nostdin -i 127.0.0.1 \
  -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/uac.out" 2>&1) &
UAC=$!
for _ in $(seq 1 100); do [ "$(session_ids | grep -c .)" -eq 3 ] && break; sleep 0.05; done
for id in $(session_ids); do wait_state "$id" Active 10; done

(cd "$UI_NODE" && NODE_PATH=$UI_NODE/node_modules SD_URL=$URL SD_TOKEN=$TOKEN SRC=$SRC OUT=$TMP/ui CHROMIUM=$CHROMIUM \
  timeout 90 node "$SRC/tests/ui/ui_test.js" >"$TMP/ui.out" 2>&1) &
NODE=$!
# ui_test.js asks for the restart (restart.req); it goes on when restart.done names the session
# of the call made afterwards
while kill -0 "$NODE" 2>/dev/null; do
  if [ -f "$TMP/ui/restart.req" ] && [ ! -f "$TMP/ui/restart.done" ]; then
    kill -TERM "$SD_PID"; wait "$SD_PID" 2>/dev/null; SD_PID=
    # the third call ended with the shutdown: SIPp is done and frees its port
    wait "$UAC" || fail "SIPp's calls failed: $(tail -n 5 "$TMP/uac.out")"
    UAC=
    start_sessiond "${SD_ARGS[@]}"
    run_sipp uac_bye
    only_session >"$TMP/ui/restart.tmp" && mv "$TMP/ui/restart.tmp" "$TMP/ui/restart.done"
  fi
  sleep 0.1
done
wait "$NODE"; rc=$?
cat "$TMP/ui.out"
[ "$rc" -eq 0 ] || fail "ui_test.js failed (screenshots so far in $SHOTS)"
cp "$TMP"/ui/*.png "$SHOTS/" 2>/dev/null

# SIPp: every call got its BYE (the first from the page, the second from the API, the third at
# the restart), and the message log has the BYE of the call hung up from the page
[ -z "$UAC" ] || fail "ui_test.js never asked for the restart"
cid=$(cat "$TMP/ui/hungup-call-id")
awk -v cid="$cid" '/^BYE sip:/ {bye=1} bye && /^[Cc]all-ID:/ {if (index($0, cid)) found=1; bye=0} END {exit !found}' "$TMP/uac.msg" ||
  fail "SIPp received no BYE for Call-ID $cid"
pass
