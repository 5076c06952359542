#!/usr/bin/env bash
# sipp_load.sh: SIP load benchmark (not a test). Drives SIPp's built-in UAC (calls of CALL_MS
# with SDP, hung up by the UAC) at increasing rates against sessiond (auto answer) and, in the
# same run, against SIPp's own built-in UAS as the baseline. A rate "passes" when every call of
# the step succeeds (SIPp exit status 0, zero failed calls) and, for sessiond, every session
# it created has ended (SIPp's built-in UAC does not check the CSeq of the BYE's 200, so a
# late retransmitted INVITE 200 can make it count a call whose ACK and BYE were lost as a
# success; sessiond's own view catches that). Prints the highest passing rate of each target
# and their ratio, and for each step the call-setup latency (INVITE sent to 200 received, as
# SIPp's UAC measures it: whole milliseconds) at the 50th and 99th percentiles.
#
# usage: bench/load/sipp_load.sh [BIN_DIR]     (default: build/bin)
# env:   RATES="50 100 200 ..." STEP_S=10 CALL_MS=2000 SIPP=sipp
#        STORE=memory: (sessiond's --store; e.g. STORE=sqlite:load.db to include persistence;
#        the store lives in the run's temporary directory)
#        MEDIA_PORTS=50000-59999 (sessiond's --media-ports: every call holds an RTP/RTCP pair, so
#        the default range of 500 pairs would cap 2 s calls near 250 CPS and measure ports, not SIP)
#        SD_ARGS="..." (more sessiond options)
#        SD_NOFILE=1048576 (sessiond's descriptor limit, as its systemd unit's; the hard limit if lower)
#        UAS_MAX=40000 (past RATES, SIPp's UAS steps on alone, a quarter more each step, until it
#        fails or passes this rate: the ratio is taken at its ceiling)
# sessiond runs with --sip-tx-per-source 10000000: all the load comes from one source (SIPp),
# whose finished transactions each stay 64*T1 (32 s); the default per-source limit (8,192)
# would answer 503 past ~128 CPS and measure the flood guard, not the SIP path. SIPp's sockets
# get 4 MiB buffers (-buff_size, as sessiond's): with the default 208 KiB, a strict commit's
# released answers (a burst) overflowed the UAC's socket at 3,000 CPS (1,163 datagrams dropped
# in 10 s, 1 % of the calls retransmitted: p99 500 ms) and measured SIPp, not the SIP path.
set -u
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
RATES=${RATES:-"25 50 100 150 200 300 400 600 800"}
STEP_S=${STEP_S:-10}
CALL_MS=${CALL_MS:-2000}
MEDIA_PORTS=${MEDIA_PORTS:-50000-59999}
STORE=${STORE:-memory:}
SIPP=${SIPP:-sipp}
command -v "$SIPP" >/dev/null || { echo "sipp not installed"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sc-load-XXXXXX")
SD_PID= UAS_PID=
cleanup() {
    [ -n "$SD_PID" ] && kill -TERM "$SD_PID" 2>/dev/null && wait "$SD_PID" 2>/dev/null
    [ -n "$UAS_PID" ] && kill -TERM "$UAS_PID" 2>/dev/null && wait "$UAS_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000)); port_in_use "$p" || { echo "$p"; return; }; done; }

SD_SIP=$(free_port); SD_HTTP=$(free_port); UAS_SIP=$(free_port)
# sessiond gets the descriptor limit of its systemd unit (LimitNOFILE=1048576, deploy/): with a
# shell's 20,000 its admission budget (a quarter kept back, two descriptors an RTP pair) caps
# 1-second calls near 7,000 CPS and answers 503, which would measure the limit, not the path.
(cd "$TMP" && { ulimit -n "${SD_NOFILE:-1048576}" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; } && exec "$BIN/sessiond" --sip "udp:127.0.0.1:$SD_SIP" --http "127.0.0.1:$SD_HTTP" --answer auto \
    --log-level warn --max-sessions 0 --store "$STORE" --media-ports "$MEDIA_PORTS" \
    --sip-tx-per-source 10000000 ${SD_ARGS:-} 2>"$TMP/sessiond.log") &
SD_PID=$!
(cd "$TMP" && exec "$SIPP" -sn uas -i 127.0.0.1 -p "$UAS_SIP" -nostdin -buff_size 4194304 >/dev/null 2>&1) &
UAS_PID=$!
sleep 1
kill -0 "$SD_PID" || { echo "sessiond did not start: $(cat "$TMP/sessiond.log")"; exit 1; }

# step TARGET_PORT RATE: one step of STEP_S seconds; prints "ok" or "fail (N failed)".
step() {
    local port=$1 rate=$2 calls=$(( $2 * STEP_S ))
    local limit=$(( rate * (CALL_MS / 1000 + 3) + 50 ))
    local dir="$TMP/step-$port-$rate"
    mkdir -p "$dir"
    (cd "$dir" && timeout $((STEP_S + 60)) "$SIPP" -sn uac -i 127.0.0.1 -p "$(free_port)" -r "$rate" \
        -m "$calls" -l "$limit" -d "$CALL_MS" -timeout $((STEP_S + 40))s -timeout_error -nostdin \
        -trace_rtt -rtt_freq 1 -buff_size 4194304 \
        "127.0.0.1:$port" >"$TMP/uac-$port-$rate.out" 2>&1)
    local rc=$?
    local lat
    lat=$(latency "$dir"/uac_*_rtt.csv)
    if [ "$rc" -ne 0 ]; then echo "fail (sipp exit $rc) $lat"; return; fi
    if [ "$port" = "$SD_SIP" ]; then
        sleep 2
        local open
        open=$(curl -s "http://127.0.0.1:$SD_HTTP/sessions?live=true&limit=1000" | grep -o '"state":"[^"]*"' |
            grep -v -c -E '"(Terminated|Cancelled|Rejected|Failed)"')
        if [ "${open:-0}" -ne 0 ]; then echo "fail ($open sessions not ended) $lat"; return; fi
    fi
    echo "ok $lat"
}

# latency FILE: "p50/p99 ms" of SIPp's response times (INVITE to 200) in an -trace_rtt file.
latency() {
    [ -s "$1" ] || { echo "-"; return; }
    awk -F';' 'NR > 1 && $3 == 1 { print $2 }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
              i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
              printf "p50/p99 %d/%d ms", v[i50], v[i99] }'
}

best_sd=0 best_uas=0
printf '%-8s %-40s %-40s\n' "CPS" "sessiond" "sipp -sn uas (baseline)"
for r in $RATES; do
    s_sd=skip; s_uas=skip
    if [ "$best_sd" -ge 0 ]; then s_sd=$(step "$SD_SIP" "$r"); fi
    if [ "$best_uas" -ge 0 ]; then s_uas=$(step "$UAS_SIP" "$r"); fi
    printf '%-8s %-40s %-40s\n' "$r" "$s_sd" "$s_uas"
    case "$s_sd" in ok*) best_sd=$r ;; esac
    case "$s_uas" in ok*) best_uas=$r ;; esac
    case "$s_sd" in fail*) best_sd=$(( -best_sd - 1 )) ;; esac   # stop stepping this target
    case "$s_uas" in fail*) best_uas=$(( -best_uas - 1 )) ;; esac
    [ "$best_sd" -lt 0 ] && [ "$best_uas" -lt 0 ] && break
done
# The baseline's ceiling: while SIPp's UAS passes, it goes on alone past RATES (a quarter more
# each step, up to UAS_MAX), so that the ratio is taken at the highest rate it sustains, not at
# the highest rate tried (a ratio against a passing last step would flatter sessiond).
UAS_MAX=${UAS_MAX:-40000}
r=${r:-0}
uas_open=false
while [ "$best_uas" -gt 0 ]; do
    r=$(( r + (r + 3) / 4 ))
    if [ "$r" -gt "$UAS_MAX" ]; then uas_open=true; break; fi
    s_uas=$(step "$UAS_SIP" "$r")
    printf '%-8s %-40s %-40s\n' "$r" "-" "$s_uas"
    case "$s_uas" in ok*) best_uas=$r ;; *) best_uas=$(( -best_uas - 1 )) ;; esac
done
[ "$best_sd" -lt 0 ] && best_sd=$(( -best_sd - 1 ))
[ "$best_uas" -lt 0 ] && best_uas=$(( -best_uas - 1 ))
echo
echo "sessiond (--store $STORE): $best_sd CPS sustained with zero failed calls (steps of ${STEP_S}s, calls of ${CALL_MS} ms)"
echo "baseline (sipp -sn uas): $best_uas CPS$($uas_open && echo " (passed every step up to UAS_MAX: its ceiling is higher)")"
if [ "$best_uas" -gt 0 ]; then
    echo "ratio: $(awk -v a="$best_sd" -v b="$best_uas" 'BEGIN {printf "%.0f%%", 100 * a / b}')"
fi
kill -0 "$SD_PID" 2>/dev/null || echo "WARNING: sessiond died during the run"
