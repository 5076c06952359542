#!/usr/bin/env bash
# soak.sh: a bounded soak of sessiond (not a test): MINUTES of steady traffic mixing the features
# that keep state, sampled each minute, failing when something keeps growing.
#
# Traffic, all from SIPp on loopback inside a network namespace of its own (nothing can leave the
# machine), against one sessiond (--answer auto, a store, the cleanup reaper):
#   - plain calls with remote hold and resume (tests/sip/uac_remote_hold.xml): CPS * 0.6
#   - calls that transfer sessiond elsewhere (tests/sip/xfer_transferor.xml with SIPp's default
#     T1: REFER from a trusted source to a SIPp UAS; the transferred call is ended by
#     --max-session-age-ms): CPS * 0.2
#   - calls held for CALL_MS with DTMF sent by the API to each (POST /sessions/{id}/dtmf, RFC
#     4733 out) and hung up by SIPp (tests/sip/uac_pause_bye.xml): CPS * 0.2
# Each minute: sessiond's RSS (VmRSS), open fds, sessions in memory, RTP ports in use (UDP
# sockets of the process minus the SIP ones), what the store holds (rows; Redis: keys and log
# entries) and its size (SQLite: database + WAL; Redis: used_memory), and the failed SIPp calls.
# The event log is pruned after a minute (--event-log-retention-ms 60000) so that it can be flat. The samples go to OUT (CSV) and stdout.
#
# Verdict (after the run): every figure of the last sample is compared with the one at minute
# WARMUP (the first minutes fill caches, pools and the store's working set): RSS may not grow by
# more than RSS_SLACK_PCT %, fds and sockets by more than 16, and the store's rows by more than
# STORE_SLACK_PCT %; SIPp must report no failed call. (The SQLite WAL is not judged: the
# checkpointer bounds it by design, 64-256 MiB, docs/persistence.md.) Exit 0 when flat, 1 otherwise.
#
# usage: bench/load/soak.sh [BIN_DIR]        (default: build/bin; a Release build)
# env:   MINUTES=30 CPS=200 CALL_MS=3000 WARMUP=3 STORE=sqlite (or redis) OUT=soak.csv
#        RSS_SLACK_PCT=10 STORE_SLACK_PCT=20 SIPP=sipp MEDIA_PORTS=30000-39999 KEEP=1 (keep the run's
#        directory: sessiond's log, the store, SIPp's output)
set -u
if [ -z "${SC_IN_NETNS:-}" ]; then
    command -v unshare >/dev/null && unshare -n true 2>/dev/null || { echo "soak: needs unshare -n (root)"; exit 77; }
    exec unshare -n env SC_IN_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SCEN=$SRC/tests/sip
MINUTES=${MINUTES:-30}
CPS=${CPS:-200}
CALL_MS=${CALL_MS:-3000}
WARMUP=${WARMUP:-3}
STORE=${STORE:-sqlite}
OUT=${OUT:-soak.csv}
RSS_SLACK_PCT=${RSS_SLACK_PCT:-10}
STORE_SLACK_PCT=${STORE_SLACK_PCT:-20}
SIPP=${SIPP:-sipp}
MEDIA_PORTS=${MEDIA_PORTS:-30000-39999}
command -v "$SIPP" >/dev/null || { echo "sipp not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sc-soak-XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${REDIS_PORT:-}" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
    if [ -n "${KEEP:-}" ]; then echo "soak: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 9000)); port_in_use "$p" || { echo "$p"; return; }; done; }
SIP=$(free_port); HTTP=$(free_port); UAS=$(free_port)

case "$STORE" in
sqlite) STORE_URL="sqlite:$TMP/soak.db" ;;
redis)
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no --daemonize yes \
        --logfile "$TMP/redis.log" >/dev/null || exit 1
    sleep 0.5
    STORE_URL="redis://127.0.0.1:$REDIS_PORT/0" ;;
*) echo "STORE is sqlite or redis"; exit 2 ;;
esac
store_rows() { # what the store holds: rows (SQLite) or keys + log entries (Redis)
    case "$STORE" in
    sqlite) sqlite3 "file:$TMP/soak.db?mode=ro" \
        "select (select count(*) from sc_events) + (select count(*) from sc_sessions) + (select count(*) from sc_kv)" ;;
    redis) echo $(($(redis-cli -p "$REDIS_PORT" dbsize) + $(redis-cli -p "$REDIS_PORT" xlen sc:log))) ;;
    esac
}
store_bytes() { # its size on disk (SQLite: database + WAL, bounded by the checkpointer) or in memory
    case "$STORE" in
    sqlite) du -cb "$TMP"/soak.db* 2>/dev/null | tail -n 1 | cut -f1 ;;
    redis) redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' ;;
    esac
}

"$BIN/sessiond" --sip "udp:127.0.0.1:$SIP" --http "127.0.0.1:$HTTP" --store "$STORE_URL" --answer auto \
    --media-ports "$MEDIA_PORTS" --rtp-timeout-ms 0 --max-session-age-ms 15000 --retention-ms 5000 \
    --event-log-retention-ms 60000 \
    --trust 127.0.0.1 --refer-allow "*@127.0.0.1:$UAS" --log-level warn >"$TMP/sessiond.log" 2>&1 &
SD=$!
PIDS+=("$SD")
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null || { echo "sessiond did not start"; cat "$TMP/sessiond.log"; exit 1; }

total=$((MINUTES * 60))
rate() { awk -v c="$CPS" -v f="$1" 'BEGIN { r = c * f; printf "%.2f", (r < 0.1 ? 0.1 : r) }'; }
sipp_bg() { # NAME RATE SCENARIO [args]: SIPp placing calls at RATE for the whole run
    local name=$1 r=$2 sc=$3
    shift 3
    local calls
    calls=$(awk -v r="$r" -v t="$total" 'BEGIN { printf "%d", r * t }')
    (cd "$TMP" && exec "$SIPP" -sf "${SCEN_XFER:-$SCEN}/$sc.xml" -r "$r" -m "$calls" -l 100000 -timeout $((total + 120))s \
        -nostdin -i 127.0.0.1 -p "$(free_port)" -trace_stat -stf "$TMP/$name.stat" -fd 60 -trace_err \
        -error_file "$TMP/$name.err" "$@" \
        "127.0.0.1:$SIP" >"$TMP/$name.out" 2>&1) &
    PIDS+=("$!")
}
(cd "$TMP" && exec "$SIPP" -sn uas -i 127.0.0.1 -p "$UAS" -nostdin -l 100000 >"$TMP/uas.out" 2>&1) &
PIDS+=("$!")
sipp_bg hold "$(rate 0.6)" uac_remote_hold
# the transferor with SIPp's default T1 (500 ms) instead of the wire test's 100 ms: a REFER
# retransmitted while its 202 waits for a commit gets a second 202 after the first NOTIFY, which
# a UA's transaction layer absorbs but SIPp's scenario takes as an unexpected message
sed 's/<send retrans="100">/<send>/' "$SCEN/xfer_transferor.xml" > "$TMP/soak_xfer.xml"
SCEN_XFER=$TMP sipp_bg xfer "$(rate 0.2)" soak_xfer -set target "sip:carol@127.0.0.1:$UAS"
sipp_bg dtmf "$(rate 0.2)" uac_pause_bye -d "$CALL_MS"

# DTMF to the calls that are up, from the API, a few times a second
(while kill -0 "$SD" 2>/dev/null; do
    for id in $(curl -s "http://127.0.0.1:$HTTP/sessions" | python3 -c \
        'import json,sys; print(" ".join([s["id"] for s in json.load(sys.stdin) if s["state"] == "Active"][:20]))' 2>/dev/null); do
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"digits":"12#"}' \
            "http://127.0.0.1:$HTTP/sessions/$id/dtmf"
    done
    sleep 0.5
done) &
PIDS+=("$!")

sip_udp_socks=2 # the SIP listener (and its IPv4 twin, if any) is not an RTP port
sample() { # minute: one CSV line
    local rss fds socks sessions failed
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SD/status")
    fds=$(ls "/proc/$SD/fd" | wc -l)
    socks=$(for f in /proc/"$SD"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c socket)
    sessions=$(curl -s "http://127.0.0.1:$HTTP/healthz" | grep -o '"sessions":[0-9]*' | head -1 | cut -d: -f2)
    failed=$(for s in hold xfer dtmf; do tail -n 1 "$TMP/$s.stat" 2>/dev/null | awk -F';' '{print $18}'; done |
        awk '{s += $1} END {print s + 0}')
    echo "$1,$rss,$fds,$((socks > sip_udp_socks ? socks - sip_udp_socks : 0)),${sessions:-0},$(store_rows),$(store_bytes),$failed"
}
echo "minute,rss_kb,fds,sockets,sessions,store_rows,store_bytes,sipp_failed" | tee "$OUT"
for m in $(seq 1 "$MINUTES"); do
    sleep 60
    kill -0 "$SD" 2>/dev/null || { echo "sessiond died"; tail -n 20 "$TMP/sessiond.log"; exit 1; }
    sample "$m" | tee -a "$OUT"
done

# verdict: last minute against minute WARMUP
base=$(sed -n "$((WARMUP + 1))p" "$OUT")
last=$(tail -n 1 "$OUT")
awk -F, -v b="$base" -v rs="$RSS_SLACK_PCT" -v ss="$STORE_SLACK_PCT" '
    BEGIN { split(b, B, ","); bad = 0 }
    {
        if ($2 > B[2] * (1 + rs / 100)) { print "RSS grew: " B[2] " -> " $2 " kB"; bad = 1 }
        if ($3 > B[3] + 16) { print "fds grew: " B[3] " -> " $3; bad = 1 }
        if ($4 > B[4] + 16) { print "sockets grew: " B[4] " -> " $4; bad = 1 }
        if ($6 > B[6] * (1 + ss / 100) + 1000) { print "store grew: " B[6] " -> " $6 " rows"; bad = 1 }
        if ($8 > 0) { print "SIPp failed calls: " $8; bad = 1 }
        print (bad ? "soak: FAILED" : "soak: flat") " (minute " B[1] " -> minute " $1 ")"
        exit bad
    }' <<<"$last"
