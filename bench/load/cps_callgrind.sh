#!/usr/bin/env bash
# cps_callgrind.sh: instructions per call of sessiond (all its threads), a figure that does
# not depend on the machine's load, for profiling the CPS path (docs/benchmarks.md, "CPS
# profile"). sessiond runs under valgrind's callgrind with --answer auto and the given store;
# SIPp's built-in UAC places CALLS short calls at a low rate (callgrind slows sessiond ~50x);
# the same is done with no call (start-up and shutdown only) and the difference divided by
# CALLS is the cost of one call. Prints the figure, the store's transactions per call (the
# writer's commits: their count moves the figure) and the top functions (inclusive of
# nothing: self cost) of the run with calls.
# Usage: bench/load/cps_callgrind.sh [BIN_DIR] [CALLS]
#   env: STORE (default sqlite:<tmp>/sd.db: sessiond's default, strict durability),
#        RATE=20, CALL_MS=200, MEDIA_PORTS=50000-51999, TOP=30, OUT=<dir to keep the profiles>
set -u
BIN=${1:-build/bin}
CALLS=${2:-300}
RATE=${RATE:-20}
CALL_MS=${CALL_MS:-200}
MEDIA_PORTS=${MEDIA_PORTS:-50000-51999}
TOP=${TOP:-30}
SIPP=${SIPP:-sipp}
command -v "$SIPP" >/dev/null || { echo "sipp not installed"; exit 77; }
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
BIN=$(cd "$BIN" && pwd)
TMP=$(mktemp -d)
OUT=${OUT:-$TMP}
mkdir -p "$OUT"
SD_PID=
cleanup() { [ -n "$SD_PID" ] && kill "$SD_PID" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || [ "$OUT" = "$TMP" ] || rm -rf "$TMP"; }
trap cleanup EXIT

port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000)); port_in_use "$p" || { echo "$p"; return; }; done; }

# run NAME NCALLS: sessiond under callgrind for NCALLS calls; prints its total instructions.
run() {
    local name=$1 n=$2 sip http store
    sip=$(free_port); http=$(free_port)
    rm -f "$TMP"/sd.db*
    store=${STORE:-sqlite:$TMP/sd.db}
    (cd "$TMP" && exec valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$name" \
        "$BIN/sessiond" --sip "udp:127.0.0.1:$sip" --http "127.0.0.1:$http" --answer auto \
        --log-level warn --max-sessions 0 --store "$store" --media-ports "$MEDIA_PORTS" \
        2>"$TMP/sessiond-$name.log") &
    SD_PID=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$http/livez" >/dev/null && break; sleep 0.1; done
    if [ "$n" -gt 0 ]; then
        (cd "$TMP" && timeout 600 "$SIPP" -sn uac -i 127.0.0.1 -p "$(free_port)" -r "$RATE" -m "$n" \
            -d "$CALL_MS" -nostdin "127.0.0.1:$sip" >"$TMP/uac-$name.out" 2>&1) ||
            echo "sipp: exit $? (see $TMP/uac-$name.out)" >&2
        for _ in $(seq 1 300); do
            local open
            open=$(curl -s "http://127.0.0.1:$http/metrics" |
                awk '/^sessioncore_sessions_active[{ ]/ { s += $NF } END { print s + 0 }')
            [ "${open:-0}" -eq 0 ] && break
            sleep 0.2
        done
    fi
    kill -TERM "$SD_PID"
    wait "$SD_PID" 2>/dev/null
    SD_PID=
    callgrind_annotate "$OUT/callgrind.$name" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

base=$(run idle 0)
with=$(run calls "$CALLS")
echo "instructions, start-up and shutdown only: $base"
echo "instructions with $CALLS calls:             $with"
awk -v a="$base" -v b="$with" -v n="$CALLS" 'BEGIN { printf "instructions per call: %.0f\n", (b - a) / n }'
# the writer's transactions per call: the per-call figure depends on how many calls share one
# (a store commit has a fixed cost), so compare runs with similar counts
commits=$(callgrind_annotate --tree=calling --inclusive=yes "$OUT/callgrind.calls" 2>/dev/null |
    awk '/> .*:sc_persist__commit \(/ { if (match($0, /\(([0-9,]+)x\)/)) { c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); print c; exit } }')
[ -n "$commits" ] && awk -v c="$commits" -v n="$CALLS" 'BEGIN { printf "store transactions per call: %.2f\n", c / n }'
echo "top functions (self) of the run with calls:"
callgrind_annotate --threshold=99 "$OUT/callgrind.calls" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n "3,$((TOP + 2))p"
echo "profiles: $OUT/callgrind.idle $OUT/callgrind.calls"
