#!/usr/bin/env bash
# Live sessions are small (docs/benchmarks.md, "Live sessions"): calls held up by SIPp's
# built-in UAC, once their INVITE transactions are over (64*T1 = 1.3 s), each cost at most a
# ceiling of heap (the main arena's bytes in use, /healthz heap_in_use_bytes) and, outside
# ASan, of resident memory. The cost is the growth from a first batch of calls to a second of
# the same size, divided by that size: what one more live session costs, without the fixed
# growth of the first calls (the store's caches, the index maps). The ceilings are about twice
# what is measured, so noise passes and a regression that doubles the cost fails:
#   signalling only (--media off), 2 x 1,000 calls: heap <= 6 KiB, RSS <= 12 KiB per session
#   (measured ~2.9 KB and ~4 KB);
#   with media (an RTP stream of 2 sockets each), 2 x 300 calls: heap <= 24 KiB, RSS <= 32 KiB
#   (measured ~10.6 KB and ~15 KB).
# And a call that just ended: its INVITE and BYE transactions linger 64*T1 to absorb
# retransmissions, holding only their key and last message (not the parsed request, not
# osip's whole output buffer): 2,000 short calls, measured while their transactions are
# alive: heap <= 12 KiB per call (measured ~5.8 KB; ~30 KB when transactions kept osip's whole
# output buffer and the parsed request).
. "$(dirname "$0")/lib.sh"

# detail KEY: an integer detail of /healthz (refreshed once a second by the loop).
detail() {
    http GET /healthz
    local v; v=$(printf '%s' "$HTTP_BODY" | grep -o '"details":{[^}]*}' | grep -o "\"$1\":[0-9.]*" | sed 's/.*://')
    printf '%s' "${v%.*}"
}
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$SD_PID/status"; }
UACS=
trap 'rc=$?; for p in $UACS; do kill "$p" 2>/dev/null; done; (exit $rc); cleanup' EXIT

# batch N RATE PORT: N more calls held up by a SIPp UAC on PORT; waits until sessiond holds
# them and their INVITE transactions are over, then sets H (heap) and R (RSS, KiB).
batch() {
    local n=$1 rate=$2 port=$3 want live
    want=$(($(detail sessions) + n))
    (cd "$TMP" && exec timeout 120 "$SIPP" -sn uac -m "$n" -r "$rate" -l "$n" -d 600000 -nostdin \
        -i 127.0.0.1 -p "$port" "127.0.0.1:$SIP_PORT" >"$TMP/uac-$port.out" 2>&1) &
    UACS="$UACS $!"
    for _ in $(seq 1 300); do
        live=$(detail sessions)
        [ "${live:-0}" -ge "$want" ] && break
        sleep 0.1
    done
    [ "${live:-0}" -ge "$want" ] || fail "$live of $want calls up"
    for _ in $(seq 1 60); do
        [ "$(metric sessioncore_sip_transactions_active)" = 0 ] && break
        sleep 0.1
    done
    sleep 1.2 # the /healthz details are refreshed once a second
    H=$(detail heap_in_use_bytes); R=$(rss_kb)
}

# held N RATE HEAP_MAX RSS_MAX LABEL [sessiond args...]: two batches of N calls; the second's
# growth per session against the ceilings.
held() {
    local n=$1 rate=$2 heap_max=$3 rss_max=$4 label=$5 asan=0 h1 r1
    shift 5
    start_sessiond --answer auto --sip-t1-ms 20 --log-level warn --store "sqlite:$TMP/$label.db" \
        --sip-tx-per-source 100000 "$@"
    grep -q asan "/proc/$SD_PID/maps" 2>/dev/null && asan=1
    batch "$n" "$rate" "$SIPP_PORT"; h1=$H; r1=$R
    batch "$n" "$rate" "$(free_port)"
    local heap=$(((H - h1) / n)) rss=$(((R - r1) * 1024 / n))
    echo "$label: $n -> $((2 * n)) live sessions: heap $((h1 / 1024)) -> $((H / 1024)) KiB ($heap B each), RSS $r1 -> $R KiB ($rss B each) (asan=$asan)"
    if [ "$asan" = 0 ]; then
        [ "$heap" -le "$heap_max" ] || fail "$label: heap grew $heap B per live session (ceiling $heap_max)"
        [ "$rss" -le "$rss_max" ] || fail "$label: resident memory grew $rss B per live session (ceiling $rss_max)"
    fi
    for p in $UACS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    UACS=
    kill -9 "$SD_PID"; wait "$SD_PID" 2>/dev/null; SD_PID=
}

# recent N: N short calls at 1,000/s (T1 500 ms: transactions linger 32 s), the heap per call
# while their transactions are alive
recent() {
    local n=$1 h0 h1 tx
    start_sessiond --answer auto --log-level warn --store "sqlite:$TMP/recent.db" --sip-tx-per-source 100000 \
        --retention-ms 600000 --sip-t1-ms 500
    sleep 1.1
    h0=$(detail heap_in_use_bytes)
    (cd "$TMP" && timeout 60 "$SIPP" -sn uac -m "$n" -r 1000 -l "$n" -d 0 -timeout 30s -nostdin -i 127.0.0.1 \
        -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/uac-recent.out" 2>&1)
    sleep 1.1
    h1=$(detail heap_in_use_bytes); tx=$(metric sessioncore_sip_transactions_active)
    [ "${tx%.*}" -ge "$n" ] || fail "recent: only $tx transactions alive after $n calls: measured too late"
    local heap=$(((h1 - h0) / n))
    echo "recent: $n ended calls, $tx transactions alive: heap $((h0 / 1024)) -> $((h1 / 1024)) KiB ($heap B each)"
    if ! grep -q asan "/proc/$SD_PID/maps" 2>/dev/null; then
        [ "$heap" -le "$RECENT_MAX" ] || fail "recent: heap grew $heap B per call (ceiling $RECENT_MAX)"
    fi
    kill -9 "$SD_PID"; wait "$SD_PID" 2>/dev/null; SD_PID=
}

RECENT_MAX=12288
recent 2000
held 1000 1000 6144 12288 signalling --media off
held 300 500 24576 32768 media --rtp-timeout-ms 0
pass
