#!/usr/bin/env bash
# No client can take the HTTP API: hundreds of idle TCP connections do not keep /livez (or any
# request) from being answered, since a newcomer past --http-max-connections or
# --http-max-per-client closes the oldest idle connection; a request's headers and its body
# each have a deadline (--http-read-timeout-ms: slow clients are cut off); event streams have
# their own limit (--http-max-streams); requests past the limits while the others are busy get
# 503 at once, the probes never.
. "$(dirname "$0")/netns.sh" # hostile input: only loopback in reach
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

# idle N: N connections that send nothing, held open until $TMP/stop exists; prints how many
# the server closed meanwhile (into $TMP/idle.out).
idle() {
    rm -f "$TMP/stop" "$TMP/idle.ready"
    python3 - "$HTTP_PORT" "$1" "$TMP" >"$TMP/idle.out" 2>&1 <<'PY' &
import os, select, socket, sys, time
port, n, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(n):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        continue
    s.setblocking(False)
    socks.append(s)
open(os.path.join(tmp, "idle.ready"), "w").close()
closed = set()
deadline = time.monotonic() + 60
while not os.path.exists(os.path.join(tmp, "stop")) and time.monotonic() < deadline:
    r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.1)
    for s in r:
        try:
            if not s.recv(1024):
                closed.add(s)
        except OSError:
            closed.add(s)
print("opened %d closed %d" % (len(socks), len(closed)))
PY
    IDLE_PID=$!
    for _ in $(seq 1 200); do [ -e "$TMP/idle.ready" ] && return 0; sleep 0.05; done
    fail "the idle connections were not opened"
}
idle_done() { touch "$TMP/stop"; wait "$IDLE_PID"; }

# 1. Defaults: 400 idle connections (the old server took 64 and then refused everyone).
start_sessiond --store memory:
idle 400
t0=$(date +%s%N)
HTTP_TIMEOUT=5 http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "/livez with 400 idle connections open: '$HTTP_STATUS'"
HTTP_TIMEOUT=5 http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions with 400 idle connections open: '$HTTP_STATUS' $HTTP_BODY"
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$dt" -lt 3000 ] || fail "the two requests took $dt ms"
idle_done
out=$(cat "$TMP/idle.out")
echo "defaults: $out; /livez and /sessions in $dt ms"
closed=$(printf '%s' "$out" | sed -n 's/.*closed \([0-9]*\).*/\1/p')
[ "${closed:-0}" -ge 100 ] || fail "idle connections were not closed to make room: $out"
stop_sessiond

# 2. Small limits, short deadline, test hooks.
export SESSIOND_TEST_HOOKS=1
start_sessiond --store memory: --http-max-connections 8 --http-max-per-client 6 --http-max-streams 2 \
    --http-read-timeout-ms 800 --http-timeout-ms 4000
# a. slow clients: headers a byte at a time, a body that stalls: closed after the deadline
python3 - "$HTTP_PORT" >"$TMP/slow.out" 2>&1 <<'PY' || fail "slow clients: $(cat "$TMP/slow.out")"
import socket, sys, threading, time
port = int(sys.argv[1])
res = {}
def client(name, first, trickle):
    s = socket.socket(); s.connect(("127.0.0.1", port)); s.settimeout(0.2)
    t0 = time.monotonic(); s.sendall(first); got = b""
    while time.monotonic() - t0 < 6:
        try:
            d = s.recv(4096)
            if not d:
                break
            got += d
        except socket.timeout:
            pass
        except OSError:
            break
        if trickle:
            try:
                s.sendall(trickle)
            except OSError:
                break
    res[name] = (time.monotonic() - t0, got)
ts = [threading.Thread(target=client, args=a) for a in [
    ("headers1", b"GET /sessions HTTP/1.1\r\nHo", b"x"),
    ("headers2", b"GET /sessions HTTP/1.1\r\n", b"X-Slow: y\r\n"),
    ("body", b"POST /calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100\r\n\r\n{\"to\":", None)]]
for t in ts: t.start()
for t in ts: t.join()
bad = 0
for k, (dt, got) in sorted(res.items()):
    print("%s: closed after %.0f ms, got %r" % (k, dt * 1000, got[:60]))
    if not (0.6 <= dt <= 3.0) or b"201" in got:
        bad = 1
sys.exit(bad)
PY
cat "$TMP/slow.out"
http GET /sessions
[ "$HTTP_STATUS" = 200 ] && [ "$HTTP_BODY" = '[]' ] || fail "the slow body made a call: $HTTP_STATUS $HTTP_BODY"

# b. event streams have their own limit
timeout 20 curl -sN "http://127.0.0.1:$HTTP_PORT/events?name=s1" >/dev/null & S1=$!
timeout 20 curl -sN "http://127.0.0.1:$HTTP_PORT/events?name=s2" >/dev/null & S2=$!
sleep 0.5
HTTP_TIMEOUT=1 http GET /events
[ "$HTTP_STATUS" = 503 ] || fail "a third stream with --http-max-streams 2: $HTTP_STATUS"
printf '%s' "$HTTP_BODY" | grep -q 'http-max-streams' || fail "third stream: $HTTP_BODY"
http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "a request beside two streams: $HTTP_STATUS"
kill "$S1" "$S2" 2>/dev/null; wait "$S1" "$S2" 2>/dev/null
# a stream whose client went away frees its slot when the server next writes (heartbeat: 5 s)
for _ in $(seq 1 16); do
    HTTP_TIMEOUT=1 http GET /events
    [ "$HTTP_STATUS" = 200 ] && break
    sleep 0.5
done
[ "$HTTP_STATUS" = 200 ] || fail "a stream once the others ended: $HTTP_STATUS"

# c. while the loop is blocked, requests hold their connections: past the limits 503 at once,
# the probes still answered
( http POST "/debug/block-loop?ms=2000"; echo "$HTTP_STATUS" > "$TMP/block.status" ) &
BLOCK=$!
sleep 0.2
pids=
for i in $(seq 1 10); do
    ( t0=$(date +%s%N); http GET /sessions
      printf '%s %d %s\n' "$HTTP_STATUS" $(( ($(date +%s%N) - t0) / 1000000 )) "$(json_str error)" > "$TMP/busy.$i" ) &
    pids="$pids $!"
    sleep 0.02
done
sleep 0.3
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "/livez while every slot is busy: $HTTP_STATUS $HTTP_BODY"
http GET /readyz
printf '%s' "$HTTP_BODY" | grep -q '"status"' || fail "/readyz while every slot is busy: $HTTP_STATUS $HTTP_BODY"
wait $pids "$BLOCK"
cat "$TMP"/busy.* | sort | uniq -c
n503=$(grep -c '^503 .*too many connections' "$TMP"/busy.* | awk -F: '{s += $2} END {print s}')
n200=$(grep -c '^200 ' "$TMP"/busy.* | awk -F: '{s += $2} END {print s}')
[ "$n503" -ge 4 ] || fail "expected requests past the limits to get 503: $(cat "$TMP"/busy.*)"
[ "$n200" -ge 3 ] || fail "expected the requests within the limits to be answered: $(cat "$TMP"/busy.*)"
awk '$1 == 503 && $2 > 1000 {exit 1}' "$TMP"/busy.* || fail "a 503 past the limits was not immediate: $(cat "$TMP"/busy.*)"
# afterwards everything is back
http GET /sessions
[ "$HTTP_STATUS" = 200 ] || fail "after the block: $HTTP_STATUS"

# d. bodies that never come: the first ones wait for their deadline, the others get 503 at once
# without the server reading a body, and the probes are still answered meanwhile
rm -f "$TMP/stalled.ready"
python3 - "$HTTP_PORT" "$TMP" >"$TMP/stalled.out" 2>&1 <<'PY' &
import os, socket, sys, time
port, tmp = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(20):
    s = socket.socket(); s.connect(("127.0.0.1", port))
    s.sendall(b"POST /calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    socks.append(s)
    time.sleep(0.01)
open(os.path.join(tmp, "stalled.ready"), "w").close()
early = 0
for s in socks:
    s.settimeout(0.3)
    try:
        if b" 503 " in s.recv(4096):
            early += 1
    except OSError:
        pass
print("early 503: %d of %d" % (early, len(socks)))
time.sleep(1.5)
PY
STALLED=$!
for _ in $(seq 1 100); do [ -e "$TMP/stalled.ready" ] && break; sleep 0.05; done
http GET /livez
[ "$HTTP_STATUS" = 200 ] || fail "/livez beside 20 stalled bodies: $HTTP_STATUS"
wait "$STALLED"
cat "$TMP/stalled.out"
early=$(sed -n 's/early 503: \([0-9]*\).*/\1/p' "$TMP/stalled.out")
[ "${early:-0}" -ge 10 ] || fail "stalled bodies past the limits did not get 503 at once: $(cat "$TMP/stalled.out")"
pass
