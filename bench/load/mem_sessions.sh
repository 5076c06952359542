#!/usr/bin/env bash
# mem_sessions: what one session costs in memory, from one sessiond under SIPp's built-in UAC.
#
#   bench/load/mem_sessions.sh BIN_DIR ended N [sessiond args...]
#       N short calls (-d 0) end and stay retained (--retention-ms 600000); once their SIP
#       transactions are over (64*T1 after the load) and the ended sessions compacted, prints
#       the resident memory (VmRSS), the main arena's heap in use (/healthz
#       details.heap_in_use_bytes, mallinfo2) and the records' bytes (details.session_bytes),
#       each as growth over the idle daemon divided by N.
#   bench/load/mem_sessions.sh BIN_DIR live N [sessiond args...]
#       N calls held up (-d 3600000) at once, the same figures per live session. SIPp's UAC
#       offers SDP, so each call has an RTP stream (2 sockets): N is bounded by the RTP port
#       range (--media-ports) and the descriptor limit; pass --media off for signalling-only
#       sessions (no socket: 100,000 and more), and --rtp-timeout-ms 0 with media (SIPp's UAC
#       sends no RTP: the calls would end after 30 s).
#
# Environment: RATE (calls/s, default 500), SIP_PORT (15977), HTTP_PORT (18977),
# SIPP_PORT (15978), T1 (--sip-t1-ms, default 500), SETTLE (seconds after the load, default
# 64*T1 + 3 s).
set -u
BIN=${1:?BIN_DIR}
MODE=${2:?ended|live}
N=${3:?N}
shift 3
RATE=${RATE:-500}
SIP_PORT=${SIP_PORT:-15977}
HTTP_PORT=${HTTP_PORT:-18977}
SIPP_PORT=${SIPP_PORT:-15978}
T1=${T1:-500}
SETTLE=${SETTLE:-$((64 * T1 / 1000 + 3))}
D=$(mktemp -d)
# SIGKILL: a benchmark's sessiond need not drain its calls (its store is thrown away)
cleanup() { [ -n "$SP" ] && kill "$SP" 2>/dev/null; [ -n "$P" ] && kill -9 "$P" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
P=
SP=

details() { # prints: heap_in_use_bytes sessions session_bytes
    curl -s "http://127.0.0.1:$HTTP_PORT/healthz" | python3 -c '
import json, sys
d = json.load(sys.stdin)["details"]
print(int(d.get("heap_in_use_bytes", 0)), int(d.get("sessions", 0)), int(d.get("session_bytes", 0)))'
}
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$P/status"; }

ulimit -n 65536 2>/dev/null || true
(cd "$D" && exec "$BIN/sessiond" --sip "udp:127.0.0.1:$SIP_PORT" --http "127.0.0.1:$HTTP_PORT" --answer auto \
    --log-level warn --retention-ms 600000 --sip-t1-ms "$T1" --store "sqlite:$D/s.db" "$@" >/dev/null 2>"$D/log") &
P=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$HTTP_PORT/livez" >/dev/null && break; sleep 0.1; done
kill -0 "$P" 2>/dev/null || { echo "sessiond did not start: $(tail -3 "$D/log")" >&2; exit 1; }
sleep 1.5 # /healthz details are refreshed once a second
read -r h0 _ b0 < <(details)
r0=$(rss_kb)

if [ "$MODE" = ended ]; then
    timeout 600 sipp -sn uac -m "$N" -r "$RATE" -l 2000 -d 0 -nostdin -i 127.0.0.1 -p "$SIPP_PORT" \
        "127.0.0.1:$SIP_PORT" >"$D/sipp.out" 2>&1
else
    (cd "$D" && exec timeout 3600 sipp -sn uac -m "$N" -r "$RATE" -l "$N" -d 3600000 -nostdin -i 127.0.0.1 \
        -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$D/sipp.out" 2>&1) &
    SP=$!
    for _ in $(seq 1 $((N / RATE * 10 + 600))); do
        read -r _ n _ < <(details)
        [ "$n" -ge "$N" ] && break
        sleep 0.1
    done
fi
sleep "$SETTLE"
read -r h1 n b1 < <(details)
r1=$(rss_kb)
ok=$(grep -E "Successful call" "$D/sipp.out" | awk '{print $NF}' | tail -1)
echo "mode=$MODE calls=$N sessions=$n successful=${ok:-?} (SIPp's count is printed at its end)"
echo "rss_kb $r0 -> $r1: $(((r1 - r0) * 1024 / n)) B/session"
echo "heap_in_use $h0 -> $h1: $(((h1 - h0) / n)) B/session"
echo "session_bytes $b0 -> $b1: $(((b1 - b0) / n)) B/session"
