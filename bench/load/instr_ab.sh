#!/usr/bin/env bash
# instr_ab.sh: deterministic A/B of observability's cost on sessiond (not a test): instead of
# CPU time (too noisy on a shared machine), the instructions sessiond executes (Ir, counted by
# valgrind --tool=callgrind, cache and branch simulation off) for the same fixed SIPp load
# (`sipp -sn uac`: INVITE with SDP, CALL_MS call, BYE; CALLS calls at RATE per second), in
# variants run one after the other against a fresh sessiond each:
#   a  --metrics off (no registry, no metrics observer)
#   b  metrics on (the default)
#   c  metrics on + one SSE consumer reading every event (curl -N /events)
#   d  metrics on + a scraper (curl /metrics every second)
# Variant a runs twice (first and last) to show the run-to-run variation of one variant.
# sessiond runs as `valgrind --tool=callgrind --collect-atstart=yes` and three parts are cut
# with callgrind_control dumps: start (startup and idle until SIPp starts), load (SIPp start to
# SETTLE_S after SIPp ends: every call of the step) and stop (SIGTERM to exit); threads are
# counted apart (--separate-threads=yes). Ir per call is the load part over CALLS, all threads
# but the store writer's (its wake-ups follow the timing of batches, so its Ir vary run to run
# whatever the variant; printed apart as writer/call); the total (all parts, all threads) is
# printed too. Idle work (loop probe, cleanup timer, heartbeat) adds Ir in proportion to wall
# time, alike in every variant as the load part lasts CALLS / RATE + CALL_MS + SETTLE_S in each.
# A step passes when SIPp exits 0 (no failed call) and every session sessiond made has ended.
#
# usage: bench/load/instr_ab.sh [BIN_DIR]     (default: build/bin; a Release build)
# env:   CALLS=200 RATE=20 CALL_MS=1000 SETTLE_S=3 VARIANTS="a b c d a" SIPP=sipp
#        MEDIA_PORTS=50000-59999 KEEP=dir (keep the callgrind files there, for callgrind_annotate)
set -u
BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
CALLS=${CALLS:-200}
RATE=${RATE:-20}
CALL_MS=${CALL_MS:-1000}
SETTLE_S=${SETTLE_S:-3}
VARIANTS=${VARIANTS:-"a b c d a"}
MEDIA_PORTS=${MEDIA_PORTS:-50000-59999}
SIPP=${SIPP:-sipp}
KEEP=${KEEP:-}
for t in "$SIPP" curl valgrind callgrind_control; do
    command -v "$t" >/dev/null || { echo "$t not installed"; exit 77; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sc-instr-XXXXXX")
SD_PID= HELPER_PID=
stop_pid() { [ -n "$1" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
cleanup() {
    stop_pid "$HELPER_PID"; stop_pid "$SD_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT

port_in_use() { cat /proc/net/udp /proc/net/tcp 2>/dev/null | grep -q "$(printf ':%04X ' "$1")"; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); port_in_use "$p" || { echo "$p"; return; }; done; }
# Ir of one callgrind output file (its "summary:" or "totals:" line).
ir_of() { awk '/^(summary|totals):/ {print $2; exit}' "$1" 2>/dev/null; }
# Ir of the thread files of one part (PREFIX-NN): "OTHERS WRITER", the store writer's thread
# (writer_main, src/persist/writer.c) apart: it wakes per batch of writes, a number that
# depends on timing, so its Ir vary from run to run of the same variant (see docs).
ir_part() {
    local f o=0 w=0 x
    for f in "$1"-[0-9]*; do
        [ -f "$f" ] || continue
        x=$(ir_of "$f"); x=${x:-0}
        if grep -q 'writer_main' "$f"; then w=$((w + x)); else o=$((o + x)); fi
    done
    echo "$o $w"
}
# The valgrind process's pid is sessiond's (valgrind runs the program in its own process).
dump() { callgrind_control --dump="$1" "$SD_PID" >/dev/null 2>&1; }

# start_sd VARIANT: a fresh sessiond under callgrind; sets SD_PID SD_SIP SD_HTTP CG.
start_sd() {
    SD_SIP=$(free_port); SD_HTTP=$(free_port)
    CG=$TMP/cg.$1.$2
    local metrics=on
    [ "$1" = a ] && metrics=off
    mkdir -p "$TMP/run"
    (cd "$TMP/run" && exec valgrind --tool=callgrind --collect-atstart=yes --cache-sim=no --branch-sim=no \
        --separate-threads=yes \
        --callgrind-out-file="$CG" "$BIN/sessiond" --sip "udp:127.0.0.1:$SD_SIP" \
        --http "127.0.0.1:$SD_HTTP" --answer auto --log-level warn --max-sessions 0 --store memory: \
        --media-ports "$MEDIA_PORTS" --metrics "$metrics" 2>>"$TMP/sessiond.log") &
    SD_PID=$!
    local i
    for i in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$SD_HTTP/livez" && return 0
        sleep 0.2
    done
    echo "sessiond did not start: $(tail -5 "$TMP/sessiond.log")"; exit 1
}

start_helper() {
    HELPER_PID=
    case "$1" in
    c) curl -s -N -o "$TMP/sse.out" "http://127.0.0.1:$SD_HTTP/events?name=bench" &
       HELPER_PID=$! ;;
    d) (while :; do curl -s -o /dev/null "http://127.0.0.1:$SD_HTTP/metrics"; sleep 1; done) &
       HELPER_PID=$! ;;
    esac
    sleep 1
}

# step VARIANT N: one run; prints "RESULT LOAD_IR LOAD_WRITER_IR TOTAL_IR SECONDS EXTRA".
step() {
    local v=$1 n=$2
    start_sd "$v" "$n"
    start_helper "$v"
    dump start
    local t0=$SECONDS
    (cd "$TMP" && timeout $((CALLS / RATE + 300)) "$SIPP" -sn uac -i 127.0.0.1 -p "$(free_port)" \
        -r "$RATE" -m "$CALLS" -l $((RATE * (CALL_MS / 1000 + 4) + 20)) -d "$CALL_MS" \
        -timeout $((CALLS / RATE + 240))s -timeout_error -nostdin -trace_stat -stf "$TMP/stat.csv" \
        "127.0.0.1:$SD_SIP" >"$TMP/uac.out" 2>&1)
    local rc=$?
    sleep "$SETTLE_S"
    dump load
    local secs=$((SECONDS - t0))
    local res=ok extra=-
    if [ "$rc" -ne 0 ]; then
        res="fail(sipp:$rc)"
    else
        local body open total
        body=$(curl -s "http://127.0.0.1:$SD_HTTP/sessions")
        total=$(printf '%s' "$body" | grep -o '"state":"[^"]*"' | grep -c .)
        open=$(printf '%s' "$body" | grep -o '"state":"[^"]*"' |
            grep -v -c -E '"(Terminated|Cancelled|Rejected|Failed)"')
        [ "${open:-0}" -ne 0 ] && res="fail(${open}_open)"
        [ "${total:-0}" -ne "$CALLS" ] && res="fail(${total}_of_${CALLS}_sessions)"
    fi
    # SIPp's retransmissions (a slow sessiond would make SIPp resend, adding work).
    local retr
    retr=$(awk -F';' 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "Retransmissions(C)") c = i}
                      NR > 1 && c {v = $c} END {print v + 0}' "$TMP/stat.csv" 2>/dev/null)
    extra="retrans=${retr:-?}"
    [ "$v" = c ] && extra="$extra;events=$(grep -c '^id:' "$TMP/sse.out" 2>/dev/null)"
    stop_pid "$HELPER_PID"; HELPER_PID=
    kill -0 "$SD_PID" 2>/dev/null || res="fail(sessiond died)"
    stop_pid "$SD_PID"; SD_PID=
    local load total=0 p
    load=$(ir_part "$CG.2")
    for p in "$CG" "$CG.1" "$CG.2"; do set -- $(ir_part "$p"); total=$((total + $1 + $2)); done
    [ -n "$KEEP" ] && { mkdir -p "$KEEP"; cp "$CG"* "$KEEP"/; }
    rm -rf "$TMP/run" "$TMP/sse.out" "$TMP/stat.csv" "$CG"*
    echo "$res $load $total $secs $extra"
}

echo "# $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $CALLS calls at $RATE/s, calls of ${CALL_MS} ms, settle ${SETTLE_S}s; sessiond under callgrind"
printf '%-4s %-3s %-18s %-12s %-12s %-12s %-5s %s\n' run var result "Ir/call" "writer/call" "total/call" secs extra
declare -A per list
i=0
fails=0
noisy=
for v in $VARIANTS; do
    i=$((i + 1))
    set -- $(step "$v" "$i")
    lc=$(awk -v x="$2" -v n="$CALLS" 'BEGIN {printf "%.0f", x / n}')
    wc=$(awk -v x="$3" -v n="$CALLS" 'BEGIN {printf "%.0f", x / n}')
    tc=$(awk -v x="$4" -v n="$CALLS" 'BEGIN {printf "%.0f", x / n}')
    printf '%-4s %-3s %-18s %-12s %-12s %-12s %-5s %s\n' "$i" "$v" "$1" "$lc" "$wc" "$tc" "$5" "$6"
    [ "$1" = ok ] || fails=$((fails + 1))
    case "$6" in retrans=0*) ;; *) noisy="$noisy $i" ;; esac
    list[$v]="${list[$v]:-} $lc"
done
echo
declare -A names=([a]="a metrics off" [b]="b metrics on" [c]="c on + SSE consumer" [d]="d on + /metrics 1 s")
mean() { printf '%s\n' $1 | awk '{s += $1; n++} END {if (n) printf "%.0f", s / n; else print 0}'; }
for v in a b c d; do [ -n "${list[$v]:-}" ] && per[$v]=$(mean "${list[$v]}"); done
printf '%-24s %s\n' variant "Ir per call (load part, store writer thread apart; mean of its runs)"
for v in a b c d; do [ -n "${per[$v]:-}" ] && printf '%-24s %s  (%s)\n' "${names[$v]}" "${per[$v]}" "${list[$v]# }"; done
ratio() { awk -v x="${per[$1]:-0}" -v y="${per[$2]:-0}" 'BEGIN {if (x > 0 && y > 0) printf "%.4f (%+.2f %%)", x / y, (x / y - 1) * 100; else print "-"}'; }
echo "b/a metrics on vs off      $(ratio b a)"
echo "c/b one SSE consumer       $(ratio c b)"
echo "d/b /metrics every second  $(ratio d b)"
set -- ${list[a]:-}
if [ $# -ge 2 ]; then
    awk -v x="$1" -v y="$2" 'BEGIN {d = x - y; if (d < 0) d = -d; printf "run-to-run (a twice)      %.2f %% (%s vs %s)\n", d / ((x + y) / 2) * 100, x, y}'
fi
[ -z "$noisy" ] || echo "note: SIPp retransmitted in run(s)$noisy: their Ir include the resent messages (lower RATE)"
[ "$fails" -eq 0 ] || { echo "$fails step(s) failed"; exit 1; }
