#!/usr/bin/env bash
# media_load.sh: media load benchmark (not a test). Two parts, each against a fresh sessiond:
#
# 1. Bridged calls with RTP both ways. sessiond is a B2BUA (--route bob* -> a SIPp UAS): a SIPp
#    UAC (bench/load/media_uac.xml) places N calls at RAMP_CPS and streams PCMU at 50 packets/s
#    on each (rtp_stream); each call's outgoing leg goes to `sipp -sn uas -rtp_echo`, which echoes
#    every packet back. So per call sessiond receives 50 pps on each leg and relays 50 pps out of
#    each leg (100 pps in, 100 pps out). Once all 2N legs are Bridged, sessiond's media counters
#    (GET /sessions/{id}: packets_in, lost = expected from sequence numbers - received) and its
#    CPU (utime+stime from /proc/PID/stat) are sampled MEASURE_S apart. Pass: every call
#    bridged, loss < 0.1 % over the window, and every SIPp call ends successfully after the API
#    hangs them up.
# 2. Music on hold to N held calls: a SIPp UAC (bench/load/moh_uac.xml) places N calls that
#    sessiond answers (--answer auto) with SDP pointing at one rtp_probe port; each is put on
#    hold with POST /sessions/{id}/hold; the probe receives the MOH packets for MEASURE_S
#    (rate = packets between its first and last, expected N x 50/s) while sessiond's CPU is
#    sampled.
#
# usage: bench/load/media_load.sh [BIN_DIR]        (default: build/bin; rtp_probe is looked up
#        in BIN_DIR/../tests)
# env:   NS="50 100 200" MOH_NS="200" MEASURE_S=8 RAMP_CPS=40 SIPP=sipp
#        MEDIA_PORTS=40000-43999 (sessiond's RTP range; SIPp uses 44000+ for its streams)
set -u
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
SRC=$(cd "$(dirname "$0")" && pwd)
PROBE=${PROBE:-$BIN/../tests/rtp_probe}
NS=${NS-"50 100 200"}
MOH_NS=${MOH_NS-200}
MEASURE_S=${MEASURE_S:-8}
RAMP_CPS=${RAMP_CPS:-40}
MEDIA_PORTS=${MEDIA_PORTS:-40000-43999}
SIPP=${SIPP:-sipp}
command -v "$SIPP" >/dev/null || { echo "sipp not installed"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sc-media-XXXXXX")
HZ=$(getconf CLK_TCK)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 19000)); port_in_use "$p" || { echo "$p"; return; }; done; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
# Datagrams the kernel dropped because a UDP socket's receive buffer was full (all sockets).
udp_rcvbuf_errors() { udp_counter RcvbufErrors; }
# ... and the datagrams a send dropped because the socket's send buffer was full.
udp_sndbuf_errors() { udp_counter SndbufErrors; }
udp_counter() { awk -v k="$1" '/^Udp:/ {if (!h) {for (i = 1; i <= NF; i++) c[$i] = i; h = 1} else print $c[k]}' /proc/net/snmp; }

# 10 s of a 440 Hz tone as G.711 mu-law WAV: SIPp's rtp_stream sends its data 160 octets per
# 20 ms packet (payload type 0), looped.
python3 - "$TMP/load.wav" <<'EOF'
import math, struct, sys
def ulaw(x):
    s = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 132
    e = 7
    while e > 0 and not (x & (0x4000 >> (7 - e))):
        e -= 1
    return ~(s | (e << 4) | ((x >> (e + 3)) & 0x0F)) & 0xFF
data = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(80000))
fmt = struct.pack('<HHIIHH', 7, 1, 8000, 8000, 1, 8) + struct.pack('<H', 0)
out = b'WAVE' + b'fmt ' + struct.pack('<I', len(fmt)) + fmt + b'data' + struct.pack('<I', len(data)) + data
open(sys.argv[1], 'wb').write(b'RIFF' + struct.pack('<I', len(out)) + out)
EOF

# sd_start ARGS...: a fresh sessiond (memory store, own directory); sets SD_PID SD_SIP SD_HTTP.
sd_start() {
    SD_SIP=$(free_port); SD_HTTP=$(free_port)
    mkdir -p "$TMP/run"
    (cd "$TMP/run" && exec "$BIN/sessiond" --sip "udp:127.0.0.1:$SD_SIP" --http "127.0.0.1:$SD_HTTP" \
        --log-level warn --max-sessions 0 --store memory: --rtp-timeout-ms 0 \
        --media-ports "$MEDIA_PORTS" "$@" 2>>"$TMP/sessiond.log") &
    SD_PID=$!; PIDS+=("$SD_PID")
    local i
    for i in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$SD_HTTP/livez" && return 0
        sleep 0.1
    done
    echo "sessiond did not start: $(tail -5 "$TMP/sessiond.log")"; exit 1
}
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# sessions_py CMD: the session list and media counters through one Python process.
#   count STATE       -> number of sessions in STATE
#   ids ROLE STATE    -> ids of sessions with ROLE in STATE
#   media             -> "packets_in lost packets_out lost_uas lost_uac" summed over all sessions
sessions_py() {
    python3 - "http://127.0.0.1:$SD_HTTP" "$@" <<'EOF'
import json, sys, urllib.request
base, cmd = sys.argv[1], sys.argv[2]
def get(p):
    with urllib.request.urlopen(base + p, timeout=30) as r:
        return json.load(r)
ss = get('/sessions')
if cmd == 'count':
    print(sum(1 for s in ss if s['state'] == sys.argv[3]))
elif cmd == 'ids':
    print(' '.join(s['id'] for s in ss if s['role'] == sys.argv[3] and s['state'] == sys.argv[4]))
elif cmd == 'media':
    t = [0, 0, 0, 0, 0]   # in, lost, out, lost on uas legs (from the caller), lost on uac legs
    for s in ss:
        m = get('/sessions/' + s['id']).get('media') or {}
        if m.get('open'):
            lost = max(m['lost'], 0)
            t[0] += m['packets_in']; t[1] += lost; t[2] += m['packets_out']
            t[3 if s['role'] == 'uas' else 4] += lost
    print(*t)
EOF
}
# wait_count STATE N TIMEOUT_S: poll until N sessions are in STATE.
wait_count() {
    local end=$(( $(date +%s) + $3 )) c=0
    while [ "$(date +%s)" -lt "$end" ]; do
        c=$(sessions_py count "$1"); [ "$c" -ge "$2" ] && return 0
        sleep 0.5
    done
    echo "only $c of $2 sessions reached $1" >&2; return 1
}
# post_all PATH_SUFFIX IDS...: POST /sessions/{id}/SUFFIX for each id (one curl).
post_all() {
    local suf=$1 u=() i; shift
    for i in "$@"; do u+=("http://127.0.0.1:$SD_HTTP/sessions/$i/$suf"); done
    [ ${#u[@]} -gt 0 ] && curl -s -X POST "${u[@]}" >/dev/null
}

bridge_run() {
    local n=$1 uas_sip echo_port=44000 uac_port
    uas_sip=$(free_port); uac_port=$(free_port)
    sd_start --route "bob*=sip:carol@127.0.0.1:$uas_sip"
    (cd "$TMP" && exec "$SIPP" -sn uas -i 127.0.0.1 -mi 127.0.0.1 -p "$uas_sip" -rtp_echo -mp "$echo_port" \
        -nostdin >"$TMP/uas.out" 2>&1) &
    local uas=$!; PIDS+=("$uas")
    (cd "$TMP" && exec timeout 600 "$SIPP" -sf "$SRC/media_uac.xml" -i 127.0.0.1 -mi 127.0.0.1 -p "$uac_port" \
        -mp 46000 -r "$RAMP_CPS" -m "$n" -l "$n" -timeout 500s -timeout_error -nostdin \
        "127.0.0.1:$SD_SIP" >"$TMP/uac.out" 2>&1) &
    local uac=$!; PIDS+=("$uac")
    local res=ok
    wait_count Bridged $((2 * n)) $(( n / RAMP_CPS + 40 )) || res="fail(not all bridged)"
    sleep 1
    local m0 m1 t0 t1 w0 w1 b0 b1
    # Packet rates use the midpoints of the two snapshots (each reads every session in turn);
    # the CPU window excludes the snapshots themselves.
    local a0 a1 c0 c1
    a0=$(now); m0=$(sessions_py media); a1=$(now)
    c0=$(now); t0=$(cpu_ticks "$SD_PID"); local e0 e1 f0 f1; e0=$(udp_rcvbuf_errors); f0=$(udp_sndbuf_errors)
    sleep "$MEASURE_S"
    t1=$(cpu_ticks "$SD_PID"); c1=$(now); e1=$(udp_rcvbuf_errors); f1=$(udp_sndbuf_errors)
    b0=$(now); m1=$(sessions_py media); b1=$(now)
    w0=$(awk -v x="$a0" -v y="$a1" 'BEGIN {printf "%.6f", (x + y) / 2}')
    w1=$(awk -v x="$b0" -v y="$b1" 'BEGIN {printf "%.6f", (x + y) / 2}')
    local cw; cw=$(awk -v x="$c0" -v y="$c1" 'BEGIN {printf "%.6f", y - x}')
    # shellcheck disable=SC2046
    post_all hangup $(sessions_py ids uas Bridged)
    wait "$uac"; local rc=$?
    [ "$rc" -ne 0 ] && [ "$res" = ok ] && res="fail(sipp uac exit $rc)"
    stop "$uas"; stop "$SD_PID"; rm -rf "$TMP/run"
    awk -v n="$n" -v res="$res" -v a="$m0" -v b="$m1" -v t="$(( t1 - t0 ))" -v hz="$HZ" -v cw="$cw" -v rbe=$((e1 - e0)) -v sbe=$((f1 - f0)) \
        -v w="$(awk -v x="$w0" -v y="$w1" 'BEGIN {printf "%.6f", y - x}')" '
        BEGIN {
            split(a, x, " "); split(b, y, " ")
            rin = y[1] - x[1]; lost = y[2] - x[2]; rout = y[3] - x[3]
            loss = (rin + lost) > 0 ? 100 * lost / (rin + lost) : 100
            cpu = t / hz / cw
            if (res == "ok" && loss >= 0.1) res = "fail(loss)"
            printf "%-6d %-22s %10.1f %9.1f%% %10.1f %9.3f%% %9.1f%% %12.3f   lost from caller %d, via echo %d; kernel rcvbuf drops %d/s (SIPp UAC unread: %d/s), sndbuf drops %d/s\n",
                n, res, rin / w, 100 * rin / w / (100 * n), rout / w, loss, 100 * cpu, 1000 * cpu / n,
                y[4] - x[4], y[5] - x[5], rbe / cw, 50 * n, sbe / cw
        }'
}

moh_run() {
    local n=$1 uac_port sink
    uac_port=$(free_port); sink=$(free_port)
    sd_start --answer auto
    (cd "$TMP" && exec timeout 600 "$SIPP" -sf "$SRC/moh_uac.xml" -i 127.0.0.1 -p "$uac_port" -set sink "$sink" \
        -r "$RAMP_CPS" -m "$n" -l "$n" -timeout 500s -timeout_error -nostdin \
        "127.0.0.1:$SD_SIP" >"$TMP/moh.out" 2>&1) &
    local uac=$!; PIDS+=("$uac")
    local res=ok
    wait_count Active "$n" $(( n / RAMP_CPS + 40 )) || res="fail(not all active)"
    # shellcheck disable=SC2046
    post_all hold $(sessions_py ids uas Active)
    wait_count OnHold "$n" 40 || res="fail(not all on hold)"
    sleep 1
    local t0 t1 w0 w1
    "$PROBE" --port "$sink" --seconds "$MEASURE_S" >"$TMP/probe.json" &
    local pr=$!
    local e0 e1
    w0=$(now); t0=$(cpu_ticks "$SD_PID"); e0=$(udp_rcvbuf_errors)
    wait "$pr"
    t1=$(cpu_ticks "$SD_PID"); w1=$(now); e1=$(udp_rcvbuf_errors)
    # shellcheck disable=SC2046
    post_all hangup $(sessions_py ids uas OnHold)
    wait "$uac"; local rc=$?
    [ "$rc" -ne 0 ] && [ "$res" = ok ] && res="fail(sipp uac exit $rc)"
    stop "$SD_PID"; rm -rf "$TMP/run"
    local pps
    pps=$(grep -o '"pps":[0-9.]*' "$TMP/probe.json" | head -n 1 | cut -d: -f2)
    awk -v n="$n" -v res="$res" -v pps="${pps:-0}" -v t="$(( t1 - t0 ))" -v hz="$HZ" -v rbe=$((e1 - e0)) \
        -v w="$(awk -v x="$w0" -v y="$w1" 'BEGIN {printf "%.6f", y - x}')" '
        BEGIN {
            want = n * 50; cpu = t / hz / w
            printf "%-6d %-22s %10.1f %10d %9.2f%% %9.1f%% %12.3f   kernel rcvbuf drops %d/s\n", n, res, pps, want,
                100 * pps / want, 100 * cpu, 1000 * cpu / n, rbe / w
        }'
}

echo "# $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), window ${MEASURE_S}s, ramp ${RAMP_CPS} calls/s"
echo "## bridged calls (B2BUA), RTP 50 pps each way on each leg"
printf '%-6s %-22s %10s %10s %10s %10s %10s %12s\n' N result "rx pps" "rx/100N" "tx pps" loss "cpu %core" "ms cpu/s/call"
for n in $NS; do bridge_run "$n"; done
if [ -x "$PROBE" ]; then
    echo "## music on hold to N held calls (probe counts packets at one sink)"
    printf '%-6s %-22s %10s %10s %10s %10s %12s\n' N result "rx pps" "expected" delivered "cpu %core" "ms cpu/s/call"
    for n in $MOH_NS; do moh_run "$n"; done
else
    echo "## music on hold skipped: $PROBE not built (cmake --build ... --target rtp_probe)"
fi
