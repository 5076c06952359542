#!/usr/bin/env bash
# sessiond under systemd, with the real protocols on sockets the test binds (tests/sip/sd_listen.py):
# - sd_notify (NOTIFY_SOCKET): READY=1 with MAINPID once it answers, a STATUS= line, WATCHDOG=1
#   at half of WATCHDOG_USEC from the event loop (a loop blocked for 1.5 s leaves a gap of as
#   long in the pings: a hung loop gets the daemon restarted), STOPPING=1 and a draining STATUS
#   on SIGTERM;
# - JSON log lines carry session_id, call_id, state and event as fields;
# - --log-target journald: entries in the journal's native protocol with MESSAGE, PRIORITY,
#   SYSLOG_IDENTIFIER and SESSION_ID, CALL_ID, STATE, EVENT (a mount namespace of the test puts
#   its listener at /run/systemd/journal/socket);
# - --log-target syslog: lines on /dev/log (the same, with a /dev of the test's own);
# - deploy/systemd/sessiond.service passes systemd-analyze verify.
. "$(dirname "$0")/lib.sh"
LISTENERS=
trap 'rc=$?; [ -n "$LISTENERS" ] && kill $LISTENERS 2>/dev/null; (exit $rc); cleanup' EXIT
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
LISTEN=$SRC/tests/sip/sd_listen.py

# listen MODE PATH OUT: a listener in the background, bound before this returns.
listen() {
    python3 "$LISTEN" "$1" "$2" "$3" &
    LISTENERS="$LISTENERS $!"
    for _ in $(seq 1 100); do [ -e "$2.ready" ] && return 0; sleep 0.05; done
    fail "listener on $2 not ready"
}
# notify_has LINE: a datagram of the notify log holds LINE exactly.
notify_has() { python3 -c 'import json,sys; sys.exit(0 if any(sys.argv[1] in json.loads(l)["lines"] for l in open(sys.argv[2])) else 1)' "$1" "$TMP/notify.jsonl"; }
wait_notify() {
    for _ in $(seq 1 100); do notify_has "$1" && return 0; sleep 0.05; done
    fail "no '$1' from sessiond: $(cat "$TMP/notify.jsonl")"
}

# ---- sd_notify and the watchdog ----
listen notify "$TMP/notify.sock" "$TMP/notify.jsonl"
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=200000 SESSIOND_TEST_HOOKS=1 start_sessiond --answer auto
wait_notify READY=1
wait_notify "MAINPID=$SD_PID"
wait_notify "STATUS=running: 0 active call(s)"
sleep 0.6
pings=$(grep -c '"WATCHDOG=1"' "$TMP/notify.jsonl")
[ "$pings" -ge 4 ] || fail "only $pings watchdog pings in 0.6 s at WATCHDOG_USEC=200000"
http POST "/debug/block-loop?ms=1500" ''
sleep 0.4
gap=$(python3 -c '
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if "WATCHDOG=1" in json.loads(l)["lines"]]
print("%.2f" % max(b - a for a, b in zip(t, t[1:])))' "$TMP/notify.jsonl")
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 1.3 else 1)' "$gap" ||
    fail "the watchdog kept pinging while the loop was blocked (longest gap ${gap} s)"
kill -TERM "$SD_PID"
wait_notify STOPPING=1
notify_has "STATUS=draining: 0 active call(s)" || wait_notify "STATUS=draining: 0 active call(s)"
wait "$SD_PID"; rc=$?; SD_PID=
[ "$rc" = 0 ] || fail "sessiond exited $rc after SIGTERM"

# ---- JSON lines: the session's fields ----
start_sessiond --answer auto --log-format json
run_sipp uac_bye
SID=$(session_ids | head -n 1)
[ -n "$SID" ] || fail "no session after the call"
grep -F "\"session_id\":\"$SID\"" "$SD_LOG" | grep -F '"call_id":"' | grep -F '"state":"' | grep -qF '"event":"' ||
    fail "no JSON line with session_id, call_id, state and event for $SID"
stop_sessiond

# ---- the journal and syslog, each in a mount namespace of its own ----
if ! unshare -m --propagation private true 2>/dev/null; then
    echo "note: no mount namespaces here: journald and syslog targets not checked"
else
    # ns_sessiond SETUP ARGS...: sessiond in a new mount namespace after SETUP (a shell snippet
    # that puts a listener where the target writes); SD_PID is sessiond itself (exec chain).
    ns_sessiond() {
        local setup=$1; shift
        cat >"$TMP/ns.sh" <<EOF
set -e
$setup
exec "$BIN/sessiond" --sip "udp:127.0.0.1:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --sip-t1-ms 100 --answer auto $*
EOF
        unshare -m --propagation private bash "$TMP/ns.sh" >"$TMP/sessiond.out" 2>"$SD_LOG" &
        SD_PID=$!
        wait_sessiond
    }
    # the listener runs inside the namespace: its pid goes to a file for the cleanup
    ns_listen() { echo "python3 '$LISTEN' $1 $2 '$3' & echo \$! >'$TMP/ns_listener.pid'; while [ ! -e $2.ready ]; do sleep 0.05; done"; }
    ns_stop() { stop_sessiond; kill "$(cat "$TMP/ns_listener.pid")" 2>/dev/null; }

    ns_sessiond "mount -t tmpfs tmpfs /run; mkdir -p /run/systemd/journal; $(ns_listen journal /run/systemd/journal/socket "$TMP/journal.jsonl")" \
        --log-target journald --log-level debug
    run_sipp uac_bye
    SID=$(session_ids | head -n 1)
    python3 - "$TMP/journal.jsonl" "$SID" <<'EOF' || fail "journal entries: $(head -c 600 "$TMP/journal.jsonl")"
import json, sys
entries = [json.loads(l)["fields"] for l in open(sys.argv[1])]
assert any(e.get("MESSAGE", "").startswith("sessiond") and e.get("PRIORITY") == "6" for e in entries), "no ready line"
assert all(e.get("SYSLOG_IDENTIFIER") == "sessiond" and "SESSIONCORE_MODULE" in e for e in entries), "identifier"
ours = [e for e in entries if e.get("SESSION_ID") == sys.argv[2]]
assert ours, "no entry with SESSION_ID " + sys.argv[2]
assert any(e.get("CALL_ID") and e.get("STATE") and e.get("EVENT") for e in ours), "no CALL_ID/STATE/EVENT"
EOF
    ns_stop

    D=$TMP/dev
    ns_sessiond "mkdir -p $D/pts $D/shm; for n in null zero full random urandom tty; do touch $D/\$n; mount --bind /dev/\$n $D/\$n; done; $(ns_listen syslog "$D/log" "$TMP/syslog.jsonl"); mount --rbind $D /dev" \
        --log-target syslog
    run_sipp uac_bye
    grep -q 'sessiond\[[0-9]*\]: sessiond: sessiond .* ready' "$TMP/syslog.jsonl" || fail "no ready line on syslog: $(head -c 400 "$TMP/syslog.jsonl")"
    grep -q '"line": "<30>' "$TMP/syslog.jsonl" || fail "syslog lines not facility daemon, priority info"
    ns_stop
fi

# ---- the unit file ----
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s|@CMAKE_INSTALL_FULL_BINDIR@|$BIN|g; s|@CMAKE_INSTALL_FULL_DOCDIR@|$SRC/docs|g; s|@CMAKE_INSTALL_PREFIX@|/usr/local|g; s|@CMAKE_INSTALL_FULL_SYSCONFDIR@|$TMP/etc|g" \
        "$SRC/deploy/systemd/sessiond.service.in" >"$TMP/sessiond.service"
    grep -q '@[A-Z_]*@' "$TMP/sessiond.service" && fail "unit: a placeholder left: $(grep '@[A-Z_]*@' "$TMP/sessiond.service")"
    SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$TMP/sessiond.service" >"$TMP/verify.txt" 2>&1 ||
        fail "systemd-analyze verify: $(cat "$TMP/verify.txt")"
    grep -v -i -E 'bpf|cgroup|proc|Failed to (open|connect)' "$TMP/verify.txt" | grep -q . &&
        fail "systemd-analyze verify remarks: $(cat "$TMP/verify.txt")"
else
    echo "note: systemd-analyze missing: the unit is not verified"
fi
pass
