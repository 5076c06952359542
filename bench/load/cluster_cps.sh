#!/usr/bin/env bash
# cluster_cps.sh: the cost of clustering on call handling (not a test). Two sessiond nodes on one
# Redis, the same flags but one with --cluster (node lease, takeover scans, owner-checked
# writes), take the same SIPp load in turns (calls of CALL_MS with SDP, hung up by the UAC) at
# each rate of RATES; for each node and rate: failed calls, the sessiond process's CPU time per
# call (process_cpu_seconds_total before and after) and, at the end, the ratio clustered / plain.
# The node without --cluster is the baseline of the same run.
#
# usage: bench/load/cluster_cps.sh [BIN_DIR]     (default: build/bin)
# env:   RATES="100 200 400" STEP_S=10 CALL_MS=1000 SIPP=sipp
set -u
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
RATES=${RATES:-"100 200 400"}
STEP_S=${STEP_S:-10}
CALL_MS=${CALL_MS:-1000}
SIPP=${SIPP:-sipp}
command -v "$SIPP" >/dev/null || { echo "sipp not installed"; exit 77; }
command -v redis-server >/dev/null || { echo "redis-server not installed"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sc-cluster-cps-XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000)); port_in_use "$p" || { echo "$p"; return; }; done; }

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
sleep 0.5
declare -A SIP HTTP
for name in plain cluster; do
    SIP[$name]=$(free_port); HTTP[$name]=$(free_port)
    extra=(); [ "$name" = cluster ] && extra=(--cluster --lease-ms 2000)
    (cd "$TMP" && exec "$BIN/sessiond" --sip "udp:127.0.0.1:${SIP[$name]}" --http "127.0.0.1:${HTTP[$name]}" \
        --answer auto --log-level warn --max-sessions 0 --store "redis://127.0.0.1:$RPORT/0" --node-id "$name" \
        --media-ports 50000-59999 "${extra[@]}" 2>"$TMP/$name.log") &
    PIDS+=($!)
done
sleep 1

cpu() { curl -s "http://127.0.0.1:${HTTP[$1]}/metrics" | awk '/^process_cpu_seconds_total/ {print $2}'; }

# step NAME RATE: STEP_S seconds of load; prints "SUCCEEDED/FAILED CPU_US_PER_CALL" (SIPp's
# cumulative counts from its last statistics line, written when it ends).
step() {
    local name=$1 rate=$2 calls=$(( $2 * STEP_S )) before after failed
    before=$(cpu "$name")
    (cd "$TMP" && timeout $((STEP_S + 60)) "$SIPP" -sn uac -i 127.0.0.1 -p "$(free_port)" -r "$rate" -m "$calls" \
        -l $(( rate * (CALL_MS / 1000 + 3) + 50 )) -d "$CALL_MS" -timeout $((STEP_S + 40))s -nostdin \
        -trace_stat -stf "$TMP/$name-$rate.csv" "127.0.0.1:${SIP[$name]}" >/dev/null 2>&1)
    sleep 1
    after=$(cpu "$name")
    failed=$(tail -n 1 "$TMP/$name-$rate.csv" | awk -F';' '{print $16 "/" $18}')
    echo "${failed:-?} $(awk -v a="$before" -v b="$after" -v n="$calls" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')"
}

printf '%-6s %-34s %-34s %s\n' CPS "plain: ok/failed, CPU us/call" "cluster: ok/failed, CPU us/call" "CPU ratio"
for r in $RATES; do
    read -r fp up <<<"$(step plain "$r")"
    read -r fc uc <<<"$(step cluster "$r")"
    printf '%-6s %-34s %-34s %s\n' "$r" "$fp, $up" "$fc, $uc" \
        "$(awk -v a="$uc" -v b="$up" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
done
for p in "${PIDS[@]:1:2}"; do kill -0 "$p" 2>/dev/null || echo "WARNING: a sessiond died during the run"; done
