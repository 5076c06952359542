#!/usr/bin/env bash
# lib.sh: shared helpers of the SIPp wire tests: free ports, a real sessiond on loopback
# (always killed on exit), HTTP requests to its API over bash's /dev/tcp, JSON field checks,
# and SIPp runs with strict options. Source it with the build's bin directory as $1.

set -u
BIN=${1:?usage: test_x.sh BIN_DIR}
BIN=$(cd "$BIN" && pwd)
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SCEN=$SRC/tests/sip
SIPP=${SIPP:-sipp}
command -v "$SIPP" >/dev/null 2>&1 || { echo "SKIP: sipp not installed"; exit 77; }
[ -x "$BIN/sessiond" ] || { echo "FAIL: $BIN/sessiond missing"; exit 1; }

# Scratch space under the build directory when CTest gives one (a shared /tmp gets cleaned).
TMP_BASE=${TMPDIR:-/tmp}
[ -n "${SC_BINARY_DIR:-}" ] && mkdir -p "$SC_BINARY_DIR/Testing/sip-tmp" 2>/dev/null && TMP_BASE=$SC_BINARY_DIR/Testing/sip-tmp
TMP=$(mktemp -d "$TMP_BASE/sc-sip-XXXXXX")
# Every sessiond of this test runs here, so its default store (sqlite:sessiond.db in the working
# directory) is the test's own and never shared with a test running beside it.
cd "$TMP" || exit 1
SD_PID=
SD_LOG=$TMP/sessiond.log
TEST_NAME=$(basename "$0" .sh)

cleanup() {
    local rc=$?
    if [ -n "$SD_PID" ] && kill -0 "$SD_PID" 2>/dev/null; then
        # the first SIGTERM drains (calls go on), the second ends the calls still up
        kill -TERM "$SD_PID" 2>/dev/null; sleep 0.1; kill -TERM "$SD_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$SD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SD_PID" 2>/dev/null
    fi
    # Sanitizer builds: any report (leaks at exit included) fails the test.
    if [ "$rc" -eq 0 ] && grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP"/*.log >/dev/null 2>&1; then
        echo "FAIL: $TEST_NAME: sanitizer report in sessiond's log"
        grep -h -A 30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP"/*.log | head -n 60
        rc=1
    fi
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        echo "---- sessiond log ($SD_LOG) ----"; tail -n 80 "$SD_LOG" 2>/dev/null
        for f in "$TMP"/*errors.log "$TMP"/*.err; do [ -s "$f" ] && { echo "---- $f ----"; tail -n 40 "$f"; }; done
    fi
    release_ports
    [ -z "${KEEP_TMP:-}" ] && rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $TEST_NAME: $*"; exit 1; }
pass() { echo "PASS: $TEST_NAME"; exit 0; }

# A port that no socket of this machine uses (TCP or UDP, v4 or v6). Picked outside sessiond's
# default RTP range (16384-32767), whose pairs streams take at random: a port chosen here and
# bound later (a probe's) must not be taken by a stream meanwhile.
port_in_use() {
    local hex; hex=$(printf ':%04X ' "$1")
    cat /proc/net/udp /proc/net/tcp /proc/net/udp6 /proc/net/tcp6 2>/dev/null | grep -q "$hex"
}
# A port nothing listens on, outside the kernel's ephemeral range (32768-60999 by default: a port
# picked there could be handed to a client socket, every curl or store connection, between this
# check and the bind, and the test would fail with "address already in use") and outside
# sessiond's default RTP range (16384-32767, where parallel tests' calls bind): 10000-16383 or
# 61000-65534.
PORT_CLAIMS=$TMP_BASE/.ports
# claim_ports N: the first of N consecutive such ports, each claimed.
claim_ports() {
    local n=$1 p r i ok
    mkdir -p "$PORT_CLAIMS" 2>/dev/null
    find "$PORT_CLAIMS" -mindepth 1 -maxdepth 1 -mmin +60 -exec rmdir {} + 2>/dev/null # killed tests'
    for _ in $(seq 1 200); do
        r=$(( (RANDOM * 32768 + RANDOM) % (10921 - 2 * n) ))
        p=$(( r < 6385 - n ? 10000 + r : 61000 + r - (6385 - n) ))
        ok=1
        for i in $(seq 0 "$n"); do port_in_use $((p + i)) && { ok=0; break; }; done
        [ "$ok" = 1 ] || continue
        # nothing listens yet on a port handed out a moment ago (here, or to a test running
        # beside this one): a claim keeps it from being handed out twice
        for i in $(seq 0 $((n - 1))); do
            if ! mkdir "$PORT_CLAIMS/$((p + i))" 2>/dev/null; then
                while [ "$i" -gt 0 ]; do i=$((i - 1)); rmdir "$PORT_CLAIMS/$((p + i))" 2>/dev/null; done
                ok=0
                break
            fi
        done
        [ "$ok" = 1 ] || continue
        for i in $(seq 0 $((n - 1))); do echo $((p + i)) >>"$TMP/.ports"; done
        echo "$p"
        return 0
    done
    return 1
}
free_port() { claim_ports 1; }
# SIPp's -mp: its audio RTP and RTCP, then its video RTP and RTCP (bound too, at p+2 and p+3).
free_media_port() { claim_ports 4; }
# The claims of this test's ports, given up when it ends (cleanup).
release_ports() {
    [ -f "$TMP/.ports" ] || return 0
    while read -r p; do rmdir "$PORT_CLAIMS/$p" 2>/dev/null; done <"$TMP/.ports"
}

SIP_PORT=$(free_port)
HTTP_PORT=$(free_port)
SIPP_PORT=$(free_port)

# http METHOD PATH [BODY]: sets HTTP_STATUS and HTTP_BODY. Pure bash (/dev/tcp). With HTTP_TOKEN
# set, the request carries "Authorization: Bearer $HTTP_TOKEN"; HTTP_HOST: another address than
# 127.0.0.1 (a cluster's nodes).
http() {
    local method=$1 path=$2 body=${3:-} resp auth=
    [ -n "${HTTP_TOKEN:-}" ] && auth="Authorization: Bearer $HTTP_TOKEN"$'\r\n'
    HTTP_STATUS=000 HTTP_BODY=
    exec 3<>"/dev/tcp/${HTTP_HOST:-127.0.0.1}/$HTTP_PORT" || return 1
    printf '%s %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
        "$method" "$path" "${HTTP_HOST:-127.0.0.1}" "$auth" "${#body}" "$body" >&3
    resp=$(timeout "${HTTP_TIMEOUT:-10}" cat <&3)
    exec 3<&-
    HTTP_STATUS=$(printf '%s' "$resp" | head -n 1 | awk '{print $2}')
    HTTP_HEAD=${resp%%$'\r\n\r\n'*}
    HTTP_BODY=${resp#*$'\r\n\r\n'}
}

# sessions_all [QUERY]: every page of GET /sessions?QUERY, following the Link headers
# (rel="next"); SESSIONS_BODY gets the pages' arrays one a line, SESSIONS_PAGES their count.
sessions_all() {
    local path="/sessions?limit=1000${1:+&$1}" next
    SESSIONS_BODY= SESSIONS_PAGES=0
    while [ -n "$path" ]; do
        http GET "$path"
        [ "$HTTP_STATUS" = 200 ] || fail "GET $path: $HTTP_STATUS $HTTP_BODY"
        SESSIONS_BODY+="$HTTP_BODY"$'\n'
        SESSIONS_PAGES=$((SESSIONS_PAGES + 1))
        next=$(printf '%s' "$HTTP_HEAD" | tr -d '\r' | sed -n 's/^[Ll]ink: *<\([^>]*\)>; *rel="next".*/\1/p')
        path=$next
    done
}

# http_req METHOD PATH BODY [HEADER...]: a request with exactly these header lines (no Host or
# Content-Type unless given) plus Connection: close and Content-Length; sets HTTP_STATUS,
# HTTP_HEAD (the response's status line and headers) and HTTP_BODY.
http_req() {
    local method=$1 path=$2 body=$3 h hdrs= resp; shift 3
    for h in "$@"; do hdrs+="$h"$'\r\n'; done
    HTTP_STATUS=000 HTTP_HEAD= HTTP_BODY=
    exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT" || return 1
    printf '%s %s HTTP/1.1\r\n%sConnection: close\r\nContent-Length: %d\r\n\r\n%s' \
        "$method" "$path" "$hdrs" "${#body}" "$body" >&3
    resp=$(timeout "${HTTP_TIMEOUT:-10}" cat <&3)
    exec 3<&-
    HTTP_STATUS=$(printf '%s' "$resp" | head -n 1 | awk '{print $2}')
    HTTP_HEAD=${resp%%$'\r\n\r\n'*}
    HTTP_BODY=${resp#*$'\r\n\r\n'}
}

# json_str KEY: the first "KEY":"value" of HTTP_BODY (enough for our flat checks).
json_str() { printf '%s' "$HTTP_BODY" | grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | sed 's/.*:"\(.*\)"/\1/'; }

# start_sessiond [extra flags...]: start it on the chosen ports and wait for /livez.
start_sessiond() {
    "$BIN/sessiond" --sip "udp:127.0.0.1:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --sip-t1-ms 100 \
        --log-level debug "$@" >"$TMP/sessiond.out" 2>"$SD_LOG" &
    SD_PID=$!
    wait_sessiond
}

# wait_sessiond: the sessiond started in the background (SD_PID) answers /livez, or the test fails.
wait_sessiond() {
    for _ in $(seq 1 100); do
        kill -0 "$SD_PID" 2>/dev/null || fail "sessiond exited at start: $(tail -n 3 "$SD_LOG")"
        if http GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ]; then return 0; fi
        sleep 0.05
    done
    fail "sessiond did not answer /livez"
}

# stop_sessiond: SIGTERM and wait; fails the test unless it exits 0.
stop_sessiond() {
    [ -n "$SD_PID" ] || return 0
    kill -TERM "$SD_PID" 2>/dev/null; wait "$SD_PID"; local rc=$?; SD_PID=
    [ "$rc" -eq 0 ] || fail "sessiond exited $rc after SIGTERM"
}

# run_sipp NAME [sipp args...]: run a scenario (tests/sip/NAME.xml) against sessiond; fails
# the test on a non-zero exit. Extra args go before the target.
run_sipp() {
    local name=$1; shift
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m 1 -l 1 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/$name.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
        "$@" "127.0.0.1:$SIP_PORT" >"$TMP/$name.out" 2>&1)
    local rc=$?
    [ "$rc" -eq 0 ] || fail "sipp $name exited with $rc: $(grep -h -i -m 3 -E 'error|unexpected|aborted' "$TMP/$name.out" "$TMP"/*errors.log 2>/dev/null)"
}

# start_sipp_uas NAME [args]: a SIPp UAS in the background on SIPP_PORT; wait_sipp checks it.
SIPP_BG=
start_sipp_uas() {
    local name=$1; shift
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -error_file "$TMP/$name.err" -nostdin -i 127.0.0.1 -p "$SIPP_PORT" "$@" \
        >"$TMP/$name.out" 2>&1) &
    SIPP_BG=$!
    for _ in $(seq 1 100); do port_in_use "$SIPP_PORT" && return 0; sleep 0.05; done
    fail "sipp UAS did not bind $SIPP_PORT"
}
wait_sipp() {
    wait "$SIPP_BG"; local rc=$?
    [ "$rc" -eq 0 ] || fail "sipp uas exited with $rc: $(grep -h -i -m 3 -E 'error|unexpected|aborted' "$TMP"/*.out "$TMP"/*errors.log 2>/dev/null)"
}

# The only session's id (fails unless exactly n sessions exist).
session_ids() { sessions_all; HTTP_BODY=$SESSIONS_BODY; printf '%s' "$HTTP_BODY" | grep -o '"id":"[^"]*"' | sed 's/"id":"\(.*\)"/\1/'; }
only_session() {
    local ids; ids=$(session_ids)
    [ "$(printf '%s\n' "$ids" | grep -c .)" -eq 1 ] || fail "expected exactly one session, got: $ids"
    printf '%s' "$ids"
}

# wait_state ID STATE [seconds]: poll until the session is in STATE.
wait_state() {
    local id=$1 want=$2 secs=${3:-10} st=
    for _ in $(seq 1 $((secs * 20))); do
        http GET "/sessions/$id"
        st=$(json_str state)
        [ "$st" = "$want" ] && return 0
        sleep 0.05
    done
    fail "session $id: state '$st', expected '$want'"
}

# wait_any_session [seconds]: poll until a session exists; prints its id.
wait_any_session() {
    local secs=${1:-10} ids
    for _ in $(seq 1 $((secs * 20))); do
        ids=$(session_ids)
        [ -n "$ids" ] && { printf '%s' "$ids" | head -n 1; return 0; }
        sleep 0.05
    done
    fail "no session appeared"
}

# expect_history ID EVENT...: the history (JSON) contains these events, in this order.
expect_history() {
    local id=$1; shift
    http GET "/sessions/$id/history"
    [ "$HTTP_STATUS" = 200 ] || fail "history of $id: HTTP $HTTP_STATUS"
    local evs; evs=$(printf '%s' "$HTTP_BODY" | grep -o '"event":"[^"]*"' | sed 's/"event":"\(.*\)"/\1/' | tr '\n' ' ')
    local rest=" $evs"
    for e in "$@"; do
        case "$rest" in
            *" $e "*) rest=${rest#*" $e "}; rest=" $rest" ;;
            *) fail "history of $id lacks '$e' (in order): $evs" ;;
        esac
    done
}

expect_outcome() {
    http GET "/sessions/$1"
    local o; o=$(json_str outcome)
    [ "$o" = "$2" ] || fail "session $1: outcome '$o', expected '$2'"
}

# ---- media helpers (test_media_*, test_b2bua_*, test_bridge_*) ----------------------------------
PROBE=${SC_BINARY_DIR:-$BIN/..}/tests/rtp_probe
# probe_json KEY FILE: a number or string field of rtp_probe's JSON output.
probe_json() { grep -o "\"$1\":[^,}]*" "$2" | head -n 1 | sed 's/^[^:]*://; s/"//g'; }
# rtp_port ID: the session's local RTP port (from local_rtp "127.0.0.1:PORT").
rtp_port() { http GET "/sessions/$1"; json_str local_rtp | sed 's/.*://'; }
# fd_count PID: open file descriptors of a process.
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# ---- operations helpers (metrics, events, reload, limits tests) ------------------------------

# run_sipp_load NAME CALLS RATE LIMIT [sipp args...]: CALLS calls at RATE per second with at
# most LIMIT at once; fails the test unless SIPp passes (0 failed calls).
run_sipp_load() {
    local name=$1 calls=$2 rate=$3 limit=$4; shift 4
    (cd "$TMP" && timeout 180 "$SIPP" -sf "$SCEN/$name.xml" -m "$calls" -r "$rate" -l "$limit" -timeout 120s \
        -timeout_error -trace_err -error_file "$TMP/$name.err" -trace_stat -stf "$TMP/$name.csv" -nostdin \
        -i 127.0.0.1 -p "$SIPP_PORT" "$@" "127.0.0.1:$SIP_PORT" >"$TMP/$name.out" 2>&1)
    local rc=$?
    [ "$rc" -eq 0 ] || fail "sipp $name ($calls calls) exited with $rc: $(grep -h -i -m 5 -E 'error|unexpected|aborted|failed' "$TMP/$name.out" "$TMP"/*errors.log 2>/dev/null)"
}

# metric 'NAME{labels}': the value of that exact series in GET /metrics (0 when absent).
metric() {
    http GET /metrics
    local v; v=$(printf '%s\n' "$HTTP_BODY" | awk -v k="$1" '$1 == k {print $2; exit}')
    printf '%s' "${v:-0}"
}

# wait_metric 'SERIES' VALUE [seconds]: poll until the series equals VALUE.
wait_metric() {
    local v=
    for _ in $(seq 1 $(( ${3:-20} * 10 ))); do
        v=$(metric "$1"); [ "$v" = "$2" ] && return 0; sleep 0.1
    done
    fail "metric $1 = '$v', expected $2"
}

# b2bua_legs: wait for a B2BUA call's two sessions and set a (the incoming leg, role uas) and
# b (the outgoing leg, role uac); fails the test if they do not appear.
b2bua_legs() {
    local ids= i
    for _ in $(seq 1 200); do
        ids=$(session_ids); [ "$(printf '%s\n' "$ids" | grep -c .)" -ge 2 ] && break; sleep 0.05
    done
    a=; b=
    for i in $ids; do
        http GET "/sessions/$i"
        [ "$(json_str role)" = uas ] && a=$i
        [ "$(json_str role)" = uac ] && b=$i
    done
    [ -n "$a" ] && [ -n "$b" ] || fail "expected a uas and a uac leg, got: $ids"
}
