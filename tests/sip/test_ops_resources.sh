#!/usr/bin/env bash
# Resource usage is real: two answered calls each show 2 RTP/RTCP sockets and armed timers in
# GET /sessions/{id} "resources"; DTMF adds history entries and the session's bytes grow with
# them; /healthz totals (sessions, bytes, history entries, timers, rtp sockets) are the sums over
# the sessions; hanging up closes the sockets, and once the ended sessions are removed
# (--retention-ms) every total is back to 0.
. "$(dirname "$0")/lib.sh"

# res ID KEY: a number of the session's "resources" object.
res() {
    http GET "/sessions/$1"
    [ "$HTTP_STATUS" = 200 ] || fail "GET /sessions/$1: $HTTP_STATUS"
    printf '%s' "$HTTP_BODY" | grep -o '"resources":{[^}]*}' | grep -o "\"$2\":[0-9]*" | sed 's/.*://'
}
# total KEY: an integer detail of /healthz (refreshed once a second by the loop).
total() {
    http GET /healthz
    local v; v=$(printf '%s' "$HTTP_BODY" | grep -o '"details":{[^}]*}' | grep -o "\"$1\":[0-9.]*" | sed 's/.*://')
    printf '%s' "${v%.*}"
}
# wait_total KEY OP VALUE: poll /healthz until the detail compares (-eq, -ge...) to VALUE.
wait_total() {
    local v=
    for _ in $(seq 1 100); do
        v=$(total "$1"); [ -n "$v" ] && [ "$v" "$2" "$3" ] && return 0; sleep 0.1
    done
    fail "/healthz details.$1 = '$v', expected $2 $3"
}

start_sessiond --answer auto --retention-ms 300
for k in sessions session_bytes history_entries timers rtp_sockets; do wait_total "$k" -eq 0; done
fds0=$(fd_count "$SD_PID")

# Two calls held up by sessiond (each SIPp waits for our BYE).
P2=$(free_port)
while [ "$P2" = "$SIP_PORT" ] || [ "$P2" = "$HTTP_PORT" ] || [ "$P2" = "$SIPP_PORT" ]; do P2=$(free_port); done
pids=
for port in "$SIPP_PORT" "$P2"; do
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/uac_wait_bye.xml" -m 1 -l 1 -timeout 30s -timeout_error \
        -trace_err -nostdin -i 127.0.0.1 -p "$port" "127.0.0.1:$SIP_PORT" >"$TMP/sipp-$port.out" 2>&1) &
    pids="$pids $!"
done
ids=
for _ in $(seq 1 200); do
    ids=$(session_ids); [ "$(printf '%s\n' "$ids" | grep -c .)" -eq 2 ] && break; sleep 0.05
done
[ "$(printf '%s\n' "$ids" | grep -c .)" -eq 2 ] || fail "expected 2 sessions, got: $ids"
a=$(printf '%s\n' "$ids" | sed -n 1p); b=$(printf '%s\n' "$ids" | sed -n 2p)
wait_state "$a" Active; wait_state "$b" Active

for id in $a $b; do
    [ "$(res "$id" sockets)" = 2 ] || fail "$id: sockets $(res "$id" sockets), expected 2 (RTP + RTCP)"
    [ "$(res "$id" timers)" -gt 0 ] || fail "$id: no armed timer in Active"
    [ "$(res "$id" bytes)" -gt "$(res "$id" record_bytes)" ] || fail "$id: bytes lack the SIP leg attachment"
done

# History grows with DTMF events, and the bytes with it (the ring doubles from 4 entries).
bytes0=$(res "$a" bytes); hist0=$(res "$a" history_entries)
for _ in 1 2 3 4 5 6 7 8; do
    http POST "/sessions/$a/dtmf" '{"digits":"5"}'
    [ "$HTTP_STATUS" = 200 ] || fail "dtmf: $HTTP_STATUS $HTTP_BODY"
done
hist1=$(res "$a" history_entries); bytes1=$(res "$a" bytes)
[ "$hist1" -ge $((hist0 + 8)) ] || fail "history entries $hist0 -> $hist1 after 8 DTMF"
[ "$bytes1" -gt "$bytes0" ] || fail "bytes $bytes0 -> $bytes1 while history grew $hist0 -> $hist1"

# Totals in /healthz are the sums over both sessions.
sum_bytes=$(( $(res "$a" bytes) + $(res "$b" bytes) ))
sum_hist=$(( $(res "$a" history_entries) + $(res "$b" history_entries) ))
sum_timers=$(( $(res "$a" timers) + $(res "$b" timers) ))
wait_total sessions -eq 2
wait_total rtp_sockets -eq 4
wait_total history_entries -eq "$sum_hist"
wait_total session_bytes -eq "$sum_bytes"
wait_total timers -eq "$sum_timers"
# the sockets are real: sessiond holds at least 4 more descriptors than at rest
fds=$(fd_count "$SD_PID")
[ "$fds" -ge $((fds0 + 4)) ] || fail "sessiond has $fds fds with 2 calls, $fds0 at rest"

# Hang up one: its sockets close at once, the other's stay.
http POST "/sessions/$a/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup $a: $HTTP_STATUS $HTTP_BODY"
wait_total rtp_sockets -eq 2
http POST "/sessions/$b/hangup"
[ "$HTTP_STATUS" = 200 ] || fail "hangup $b: $HTTP_STATUS $HTTP_BODY"
for p in $pids; do wait "$p" || fail "sipp failed: $(tail -n 5 "$TMP"/sipp-*.out)"; done

# Removed after the retention: every total is back to 0.
for k in sessions session_bytes history_entries timers rtp_sockets; do wait_total "$k" -eq 0; done
http GET "/sessions/$a"
[ "$HTTP_STATUS" = 404 ] || fail "$a still inspectable after removal: $HTTP_STATUS"
pass
