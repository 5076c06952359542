#!/usr/bin/env bash
# obs_overhead.sh: cost of observability under SIP load (not a test). The same SIPp load
# (built-in UAC, calls of CALL_MS with SDP, against sessiond --answer auto) is run against a
# fresh sessiond in four variants, alternated round by round (a b c d a b c d ...) so that
# machine noise hits all of them alike:
#   a  plain (baseline)
#   b  a /metrics scraper (curl every second)
#   c  one SSE consumer (curl -N /events) reading everything
#   d  one SSE consumer that never reads (socket opened, request sent, never read)
# and, for the cost of persistence (VARIANTS="a s t n"), the plain load on other stores:
#   s  --store sqlite:sessiond.db --durability strict (sessiond's default)
#   t  --store sqlite:sessiond.db --durability batched
#   n  --store sqlite:sessiond.db --durability none
# Per step it records pass/fail (SIPp exit 0 = zero failed calls, and every session sessiond
# created has ended) and sessiond's CPU (utime+stime from /proc/PID/stat) over the step, as CPU
# seconds per 1,000 calls. Prints per variant the highest rate where every round passed, the
# median CPU per 1,000 calls and its ratio to variant a, SSE events received (c) and the drop
# counters from /metrics for the stalled consumer (d). Variant b also times 20 back-to-back
# scrapes after its step (sessiond CPU per scrape with that step's sessions still listed).
#
# usage: bench/load/obs_overhead.sh [BIN_DIR]     (default: build/bin)
# env:   RATES="150" ROUNDS=2 STEP_S=10 CALL_MS=2000 VARIANTS="a b c d" SIPP=sipp
#        STORE=memory: MEDIA_PORTS=40000-59999 (sessiond's --media-ports)
set -u
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
RATES=${RATES:-150}
ROUNDS=${ROUNDS:-2}
STEP_S=${STEP_S:-10}
CALL_MS=${CALL_MS:-2000}
STORE=${STORE:-memory:}
# sessiond's RTP range: every auto-answered call takes an RTP/RTCP pair, so the default range
# (16384-32767) is smaller than this range; 10,000 pairs here.
MEDIA_PORTS=${MEDIA_PORTS:-40000-59999}
VARIANTS=${VARIANTS:-"a b c d"}
SIPP=${SIPP:-sipp}
command -v "$SIPP" >/dev/null || { echo "sipp not installed"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed (stalled consumer)"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sc-obs-XXXXXX")
HZ=$(getconf CLK_TCK)
SD_PID= HELPER_PID=
stop_pid() { [ -n "$1" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
cleanup() {
    stop_pid "$HELPER_PID"; stop_pid "$SD_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT

port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); port_in_use "$p" || { echo "$p"; return; }; done; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# store_args VARIANT: sessiond's store options for the variant.
store_args() {
    case "$1" in
    s) echo "--store sqlite:sessiond.db --durability strict" ;;
    t) echo "--store sqlite:sessiond.db --durability batched" ;;
    n) echo "--store sqlite:sessiond.db --durability none" ;;
    *) echo "--store $STORE" ;;
    esac
}

# start_sd VARIANT: a fresh sessiond (own directory, the variant's store); sets SD_PID SD_SIP SD_HTTP.
start_sd() {
    SD_SIP=$(free_port); SD_HTTP=$(free_port)
    mkdir -p "$TMP/run"
    # shellcheck disable=SC2046
    (cd "$TMP/run" && exec "$BIN/sessiond" --sip "udp:127.0.0.1:$SD_SIP" --http "127.0.0.1:$SD_HTTP" \
        --answer auto --log-level warn --max-sessions 0 $(store_args "$1") --media-ports "$MEDIA_PORTS" \
        2> >(head -c 10000000 >>"$TMP/sessiond.log"; cat >/dev/null)) &
    SD_PID=$!
    local i
    for i in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$SD_HTTP/livez" && return 0
        sleep 0.1
    done
    echo "sessiond did not start: $(tail -5 "$TMP/sessiond.log")"; exit 1
}

# start_helper VARIANT: the observer of the variant, in the background (HELPER_PID).
start_helper() {
    HELPER_PID=
    case "$1" in
    b) (while :; do curl -s -o /dev/null "http://127.0.0.1:$SD_HTTP/metrics"; sleep 1; done) &
       HELPER_PID=$! ;;
    c) curl -s -N -o "$TMP/sse.out" "http://127.0.0.1:$SD_HTTP/events?name=bench" &
       HELPER_PID=$! ;;
    d) # A 4 KiB receive buffer so the kernel cannot absorb the stream for long.
       python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /events?name=stalled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
time.sleep(100000)' "$SD_HTTP" &
       HELPER_PID=$! ;;
    esac
    sleep 0.3
}

# step VARIANT RATE: one SIPp step; prints "RESULT CPU_S_PER_1000 EXTRA".
step() {
    local v=$1 rate=$2 calls=$(( $2 * STEP_S ))
    local limit=$(( rate * (CALL_MS / 1000 + 3) + 50 ))
    start_sd "$v"
    start_helper "$v"
    local t0; t0=$(cpu_ticks "$SD_PID")
    (cd "$TMP" && timeout $((STEP_S + 60)) "$SIPP" -sn uac -i 127.0.0.1 -p "$(free_port)" -r "$rate" \
        -m "$calls" -l "$limit" -d "$CALL_MS" -timeout $((STEP_S + 40))s -timeout_error -nostdin \
        "127.0.0.1:$SD_SIP" >"$TMP/uac.out" 2>&1)
    local rc=$?
    sleep 2
    local t1; t1=$(cpu_ticks "$SD_PID")
    local res=ok extra=-
    if [ "$rc" -ne 0 ]; then
        res="fail(sipp:$rc)"
    else
        local open
        open=$(curl -s "http://127.0.0.1:$SD_HTTP/sessions" | grep -o '"state":"[^"]*"' |
            grep -v -c -E '"(Terminated|Cancelled|Rejected|Failed)"')
        [ "${open:-0}" -ne 0 ] && res="fail(${open}_open)"
    fi
    case "$v" in
    b) # Direct cost of one scrape with this step's sessions still listed: 20 back to back.
       local s0 s1 i
       s0=$(cpu_ticks "$SD_PID")
       for i in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$SD_HTTP/metrics"; done
       s1=$(cpu_ticks "$SD_PID")
       extra="scrape_ms=$(awk -v d=$((s1 - s0)) -v hz="$HZ" 'BEGIN {printf "%.1f", d / hz / 20 * 1000}')" ;;
    c) extra="events=$(grep -c '^id:' "$TMP/sse.out" 2>/dev/null)" ;;
    d) extra="drops=$(curl -s "http://127.0.0.1:$SD_HTTP/metrics" |
           grep '^sessioncore_event_queue_drops_total{[^}]*stalled' |
           sed 's/.*reason="\([a-z]*\)".* \([0-9]*\)$/\1:\2/' | paste -sd, -)"
       extra="$extra;reaped=$(curl -s "http://127.0.0.1:$SD_HTTP/metrics" |
           awk '/^sessioncore_event_subscribers_reaped_total/ {n += $2} END {print n + 0}')" ;;
    esac
    kill -0 "$SD_PID" 2>/dev/null || res="fail(sessiond died)"
    stop_pid "$HELPER_PID"; HELPER_PID=
    stop_pid "$SD_PID"; SD_PID=
    rm -rf "$TMP/run" "$TMP/sse.out"
    echo "$res $(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$calls" 'BEGIN {printf "%.3f", d / hz / n * 1000}') $extra"
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "# $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), rates: $RATES, rounds: $ROUNDS, steps of ${STEP_S}s, calls of ${CALL_MS} ms, store $STORE"
printf '%-6s %-6s %-3s %-18s %-14s %s\n' rate round var result "cpu_s/1k" extra
declare -A best failed cpus
for r in $RATES; do
    for round in $(seq "$ROUNDS"); do
        for v in $VARIANTS; do
            [ -n "${failed[$v]:-}" ] && continue
            set -- $(step "$v" "$r")
            printf '%-6s %-6s %-3s %-18s %-14s %s\n' "$r" "$round" "$v" "$1" "$2" "$3"
            [ "$1" = ok ] || failed[$v]=$r
            cpus[$v,$r]="${cpus[$v,$r]:-} $2"
        done
    done
    for v in $VARIANTS; do [ -z "${failed[$v]:-}" ] && best[$v]=$r; done
done
echo
declare -A names=([a]="plain" [b]="/metrics every 1 s" [c]="SSE consumer reading all" [d]="SSE consumer never reading"
                 [s]="sqlite strict" [t]="sqlite batched" [n]="sqlite none")
top=${RATES##* }
base=$(printf '%s\n' ${cpus[a,$top]:-} | median)
printf '%-28s %-22s %-22s %s\n' variant "highest passing CPS" "cpu_s/1k calls @$top" "ratio to a"
for v in $VARIANTS; do
    m=$(printf '%s\n' ${cpus[$v,$top]:-} | median)
    ratio=$(awk -v m="$m" -v b="$base" 'BEGIN {if (b > 0 && m != "nan") printf "%.3f", m / b; else print "-"}')
    printf '%-28s %-22s %-22s %s\n' "${names[$v]}" "${best[$v]:-none}${failed[$v]:+ (failed at ${failed[$v]})}" "$m (${cpus[$v,$top]# })" "$ratio"
done
