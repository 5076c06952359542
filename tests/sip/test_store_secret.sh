#!/usr/bin/env bash
# A store password stays secret: given in --store on the command line it works, with a warning,
# and is masked in /proc/PID/cmdline; --store-file FILE (a file others may read gets a warning)
# and the SESSIOND_STORE environment variable keep it off the command line; a store that refuses
# the password stops sessiond with an error line that does not show it; never in the log. Runs
# against a real redis-server started with requirepass on loopback.
. "$(dirname "$0")/lib.sh"
. "$SRC/scripts/backends.sh"
sc_have_redis || { echo "SKIP: redis-server not installed"; exit 77; }
trap 'rc=$?; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
PW=pw-$RANDOM$RANDOM-s3cr3t
port=$(sc_free_port)
SC_BK_REDIS_PIDFILES+=("$SC_BK_DIR/redis-$port.pid")
eval "$(sc_redis_cmd "$port") --requirepass $PW"
sc_wait_port "$port" || fail "redis did not start"
URL="redis://:$PW@127.0.0.1:$port/0"
umask 077

no_secret() { grep -qF -- "$PW" "$SD_LOG" "$TMP/sessiond.out" && fail "$1: the password is in the log"; true; }
ready() {
    for _ in $(seq 1 100); do
        http GET /readyz; [ "$HTTP_STATUS" = 200 ] && return 0; sleep 0.05
    done
    fail "$1: not ready on the store: $(tail -n 3 "$SD_LOG")"
}

# 1. On the command line: works, warned about, masked in /proc/PID/cmdline.
start_sessiond --store "$URL"
ready argv
grep -q 'store given on the command line with a password.*/proc/PID/cmdline' "$SD_LOG" || fail "no warning for --store"
tr '\0' ' ' < "/proc/$SD_PID/cmdline" | grep -qF -- "$PW" && fail "the password is readable in /proc/PID/cmdline"
tr '\0' ' ' < "/proc/$SD_PID/cmdline" | grep -qF -- "redis://:***" || fail "cmdline not masked as expected"
stop_sessiond
no_secret argv

# 2. --store-file, mode 600: no warning; mode 644: a warning.
printf '%s\n' "$URL" > "$TMP/store.url"
start_sessiond --store-file "$TMP/store.url"
ready file
grep -q 'chmod 600' "$SD_LOG" && fail "warning for a 600 store file"
grep -q 'with a password' "$SD_LOG" && fail "argv warning without a --store flag"
stop_sessiond
chmod 644 "$TMP/store.url"
start_sessiond --store-file "$TMP/store.url"
grep -q "store-file $TMP/store.url: group or others may read it" "$SD_LOG" || fail "no warning for a 644 store file"
stop_sessiond
no_secret file

# 3. SESSIOND_STORE: used when no flag gives a store, no warning.
SESSIOND_STORE=$URL start_sessiond
ready env
grep -q 'with a password' "$SD_LOG" && fail "argv warning for SESSIOND_STORE"
stop_sessiond
no_secret env

# 4. A wrong password: sessiond stops with one line naming the store, without the password.
BAD="redis://:wrong-$PW@127.0.0.1:$port/0"
"$BIN/sessiond" --sip "udp:127.0.0.1:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --store "$BAD" \
    >"$TMP/bad.out" 2>"$TMP/bad.err" &
bad=$!
rc=0
for _ in $(seq 1 100); do kill -0 "$bad" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$bad" 2>/dev/null; then
    # the writer retries a store it cannot reach: readiness stays false, the password unseen
    http GET /readyz
    [ "$HTTP_STATUS" = 200 ] && fail "ready on a store that refuses the password"
    kill -TERM "$bad"; wait "$bad" || true
else
    wait "$bad" || rc=$?
    [ "$rc" -ne 0 ] || fail "sessiond started on a store that refuses the password"
    grep -q 'redis://:\*\*\*@127.0.0.1' "$TMP/bad.err" || fail "the error does not name the store: $(cat "$TMP/bad.err")"
fi
grep -qF -- "wrong-$PW" "$TMP/bad.err" "$TMP/bad.out" && fail "the wrong password is in the output"
echo "ok"
