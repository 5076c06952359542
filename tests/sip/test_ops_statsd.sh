#!/usr/bin/env bash
# StatsD push on the wire: sessiond --statsd to a real UDP listener (tests/udp_listen) with a
# 200 ms period; after 3 SIPp calls the received counter lines (`|c`) are deltas that add up to
# exactly 3 for sessions created and sessions ended normal (and stay at 3 in later pushes),
# histograms push their count as a counter and their sum as a gauge, and gauges (`|g`) are sent
# at every push.
. "$(dirname "$0")/lib.sh"
LISTEN=${SC_BINARY_DIR:-$BIN/..}/tests/udp_listen
[ -x "$LISTEN" ] || { echo "SKIP: $LISTEN not built"; exit 77; }
N=3
UPORT=$(free_port)
while [ "$UPORT" = "$SIP_PORT" ] || [ "$UPORT" = "$HTTP_PORT" ] || [ "$UPORT" = "$SIPP_PORT" ]; do UPORT=$(free_port); done
OUT=$TMP/statsd.txt
"$LISTEN" "$UPORT" 90 >"$OUT" 2>"$TMP/udp_listen.err" &
LPID=$!
for _ in $(seq 1 100); do port_in_use "$UPORT" && break; sleep 0.05; done
port_in_use "$UPORT" || fail "udp_listen did not bind $UPORT: $(cat "$TMP/udp_listen.err")"

start_sessiond --answer auto --statsd "127.0.0.1:$UPORT" --statsd-interval-ms 200

# sum_c SERIES: the sum of the values of SERIES's counter lines received so far.
sum_c() { awk -F'[:|]' -v k="$1" '$1 == k && $3 == "c" {s += $2} END {print s + 0}' "$OUT"; }
# wait_sum SERIES VALUE: poll until the counter deltas add up to VALUE.
wait_sum() {
    local v=
    for _ in $(seq 1 150); do v=$(sum_c "$1"); [ "$v" = "$2" ] && return 0; sleep 0.1; done
    fail "statsd: $1 deltas add up to '$v', expected $2 ($(grep -c . "$OUT") lines received)"
}

# pushes arrive with gauges before any call
for _ in $(seq 1 100); do grep -q '^sessioncore_uptime_seconds:[0-9.e+-]*|g$' "$OUT" && break; sleep 0.1; done
grep -q '^sessioncore_uptime_seconds:[0-9.e+-]*|g$' "$OUT" || fail "no uptime gauge pushed: $(head -n 5 "$OUT")"
[ "$(sum_c sessioncore_sessions_total.uas)" = 0 ] || fail "sessions counted before any call"

run_sipp_load uac_bye "$N" 10 "$N"
wait_sum sessioncore_sessions_total.uas "$N"
wait_sum sessioncore_sessions_ended_total.uas.normal "$N"
wait_sum sessioncore_session_duration_seconds_count.uas "$N"
wait_sum 'sessioncore_sip_messages_total.in.INVITE.request' "$N"
# deltas, not running totals: later pushes add nothing
sleep 1
[ "$(sum_c sessioncore_sessions_total.uas)" = "$N" ] || fail "sessions_total deltas grew without calls: $(sum_c sessioncore_sessions_total.uas)"

# every line is NAME:VALUE|c or NAME:VALUE|g, counter deltas are positive
bad=$(grep -v -E '^[A-Za-z_][A-Za-z0-9_.-]*:[-+0-9.eE]+\|(c|g)$' "$OUT" | grep -v '^$' | head -n 3)
[ -z "$bad" ] || fail "malformed statsd lines: $bad"
awk -F'[:|]' '$3 == "c" && $2 <= 0 {print; exit 1}' "$OUT" >/dev/null || fail "a counter line is not a positive delta"
grep -q '^sessioncore_session_duration_seconds_sum\.uas:[0-9.e+-]*|g$' "$OUT" || fail "no histogram sum gauge"
grep -q '^sessioncore_sessions_active\.[A-Za-z]*\.uas:[0-9.]*|g$' "$OUT" || fail "no sessions_active gauge"
grep -q '^process_open_fds:[0-9.]*|g$' "$OUT" || fail "no process gauge"
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
pass
