#!/usr/bin/env bash
# Churn: 3,000 short incoming calls (SIPp uac_bye, -r 200) through a sessiond with a short
# --retention-ms; afterwards every session is reaped, and the open fds, the RTP sockets and the
# heap in use are back at their level before the run. Right after the run the ended calls' RTP
# pairs are parked (bound, counted in /healthz), and closed once idle. A 2,000-call warm-up run at the same rate
# first brings pools and caches to their working size. The heap compared is the bytes in use in
# the loop thread's arena (/healthz detail heap_in_use_bytes, glibc mallinfo2): sessions, SIP
# calls, store records, RTP streams all live there, while the store writer's SQLite page caches
# (other threads' arenas) and the allocator's free lists do not count, so the figure is
# deterministic (measured: +15 kB after 3,000 calls). RSS, which moves with those, is printed
# only. Tolerance 512 kB: a leak of 200 bytes a call would exceed it.
. "$(dirname "$0")/lib.sh"
CALLS=${CHURN_CALLS:-3000}
RATE=${CHURN_RATE:-200}
HEAP_TOL_KB=${CHURN_HEAP_TOL_KB:-512}
start_sessiond --answer auto --log-level warn --retention-ms 500 --failed-retention-ms 500 --media-ports 31000-31999
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SD_PID/status"; }
detail() { # a /healthz detail, as an integer
    http GET /healthz
    printf '%s' "$HTTP_BODY" | grep -o "\"$1\":[0-9.e+]*" | cut -d: -f2 | awk '{printf "%d", $1}'
}
heap() { echo $(( $(detail heap_in_use_bytes) / 1024 )); } # kB in use in the loop thread's heap arena: no allocator caching
rtp_socks() { # sessiond's own UDP sockets bound in the media range 31000-31999
    local inodes n=0 p ino
    inodes=" $(ls -l "/proc/$SD_PID/fd" 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9\n' | tr '\n' ' ') "
    while read -r p ino; do
        p=$((16#$p))
        [ "$p" -ge 31000 ] && [ "$p" -le 31999 ] && case "$inodes" in *" $ino "*) n=$((n + 1)) ;; esac
    done < <(awk 'FNR > 1 { split($2, a, ":"); print a[2], $10 }' /proc/net/udp /proc/net/udp6 2>/dev/null)
    echo "$n"
}
settle() { # reaped sessions, then SIP transactions and released calls linger 64*T1 (6.4 s)
    wait_empty; sleep 8
}
wait_empty() {
    for _ in $(seq 1 300); do [ -z "$(session_ids)" ] && return 0; sleep 0.2; done
    fail "sessions still listed: $(session_ids | wc -l)"
}
run_sipp_load uac_bye "${CHURN_WARMUP:-2000}" "$RATE" 400
settle
fd0=$(fd_count "$SD_PID"); rss0=$(rss); rtp0=$(rtp_socks); heap0=$(heap)
reaped0=$(metric 'sessioncore_sessions_reaped_total{reason="retention"}')
t0=$(date +%s%N)
SIPP_PORT=$(free_port)
run_sipp_load uac_bye "$CALLS" "$RATE" 400
t1=$(date +%s%N)
# every call has ended: its RTP pair is parked (--rtp-park), bound and ours, until 5 s idle
sleep 1.5 # (the details refresh each second)
parked=$(detail media_pairs_parked); rtp_parked=$(rtp_socks)
echo "parked RTP pairs after the run: $parked ($rtp_parked sockets in the range)"
[ "${parked:-0}" -gt 0 ] || fail "no RTP pair parked after $CALLS calls"
[ "$rtp_parked" -eq $(( 2 * parked )) ] || fail "$parked pairs parked but $rtp_parked RTP sockets bound"
wait_empty
t2=$(date +%s%N)
settle
fd1=$(fd_count "$SD_PID"); rss1=$(rss); rtp1=$(rtp_socks); heap1=$(heap)
reaped1=$(metric 'sessioncore_sessions_reaped_total{reason="retention"}')
echo "churn: $CALLS calls in $(( (t1 - t0) / 1000000 )) ms, all reaped $(( (t2 - t1) / 1000000 )) ms later"
echo "fds: $fd0 -> $fd1; RTP sockets: $rtp0 -> $rtp1; VmRSS: ${rss0} kB -> ${rss1} kB ($(( rss1 - rss0 )) kB)"
echo "reaped (retention): $reaped0 -> $reaped1; heap in use: ${heap0} kB -> ${heap1} kB ($(( heap1 - heap0 )) kB)"
[ "$fd1" -le "$fd0" ] || fail "fd leak: $fd0 -> $fd1"
[ "$rtp1" -le "$rtp0" ] || fail "RTP sockets left: $rtp0 -> $rtp1"
[ "$(detail media_pairs_parked)" -eq 0 ] || fail "parked pairs not closed when idle: $(detail media_pairs_parked)"
if grep -q -a __asan_init "$BIN/sessiond" 2>/dev/null; then
    echo "sanitizer build: ASan's allocator has no mallinfo2 arena; heap not compared (LeakSanitizer checks at exit)"
else
    [ "$heap0" -gt 0 ] || fail "no heap_in_use_bytes in /healthz"
    [ $(( heap1 - heap0 )) -le "$HEAP_TOL_KB" ] || fail "heap in use grew by $(( heap1 - heap0 )) kB (tolerance $HEAP_TOL_KB kB)"
fi
[ $(( ${reaped1%.*} - ${reaped0%.*} )) -eq "$CALLS" ] || fail "reaped $(( ${reaped1%.*} - ${reaped0%.*} )) sessions, expected $CALLS"
pass
