#!/usr/bin/env bash
# A consumer that reads nothing while SIPp runs calls: no call fails, the bus reaps it after
# --events-idle-ms (sessioncore_event_subscribers_reaped_total{reason="idle"}) and its drops
# show in sessioncore_event_queue_drops_total{subscriber="lazy"}. With --events-ring 16, a
# resume from an id older than the ring starts with a Gap event.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
start_sessiond --answer auto --events-idle-ms 1500 --events-ring 16 --log-level info
python3 - "$HTTP_PORT" >"$TMP/lazy.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /events?name=lazy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
time.sleep(40)  # never reads
PY
LAZY=$!
sleep 0.5
run_sipp_load uac_bye 150 50 50
reaped=
for _ in $(seq 1 100); do
    [ "$(metric 'sessioncore_event_subscribers_reaped_total{reason="idle"}')" -ge 1 ] && { reaped=1; break; }
    sleep 0.1
done
[ -n "$reaped" ] || fail "the idle consumer was not reaped"
drops=$(metric 'sessioncore_event_queue_drops_total{subscriber="lazy",reason="overflow"}')
echo "lazy consumer: dropped $drops (overflow), reaped"
[ "$(metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}')" = 150 ] || fail "calls affected"
kill "$LAZY" 2>/dev/null
# gap: the ring holds 16 events, far fewer than 150 calls produced
timeout 5 curl -sN "http://127.0.0.1:$HTTP_PORT/events?since=1" >"$TMP/gap.sse" & G=$!; sleep 1; kill $G 2>/dev/null; wait $G 2>/dev/null
first=$(grep -m 1 '^data: ' "$TMP/gap.sse")
printf '%s' "$first" | grep -q '"type":"Gap","time".*"from_seq":2' || fail "no Gap first: $first"
pass
