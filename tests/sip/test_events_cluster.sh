#!/usr/bin/env bash
# The cluster-wide event stream (GET /events/cluster): two sessiond nodes (node ids a and b,
# their own SIP and HTTP ports) on one Redis store; SIPp calls on both. A client on node A
# that started before the calls sees every record of both nodes' sessions, ids strictly
# increasing (the store's gseq) and equal to the whole log read from the start (?after=0); a
# client resuming with Last-Event-ID K (the middle) gets exactly the records after K, as does
# sessionctl events --cluster --since K; session= keeps one session's records; after node B
# is killed (-9) and started again, its recovery's records and its new calls reach the first
# client with ids still increasing and none twice; a client that stops reading is ended with
# an overflow line after a gap-free prefix and resumes exactly; the metrics count the
# clients, records and overflows; a node with a memory store answers 404; a stream open when
# its node stops ends with a closing line. CL_BACKEND=postgres
# runs it on PostgreSQL.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
. "$SRC/scripts/backends.sh"
sc_have_redis || { echo "SKIP: redis-server not installed"; exit 77; }
B_PID= C_PID= CLIENT=
SLOW=
stop_extra() {
    for p in $CLIENT $SLOW; do kill "$p" 2>/dev/null; done
    for p in $B_PID $C_PID; do kill -KILL "$p" 2>/dev/null; done
}
trap 'rc=$?; stop_extra; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
port=$(sc_free_port)
if [ "${CL_BACKEND:-redis}" = postgres ]; then # by hand: CL_BACKEND=postgres
    sc_have_pg || { echo "SKIP: PostgreSQL not installed"; exit 77; }
    dir=$(sc_pg_init cl) || fail "initdb failed"
    sc_pg_start "$dir" "$port" || fail "postgres did not start"
    STORE="postgresql://sc@127.0.0.1:$port/postgres"
else
    sc_redis_start "$port" >/dev/null || fail "redis did not start"
    STORE="redis://127.0.0.1:$port/0"
fi

A_SIP=$SIP_PORT A_HTTP=$HTTP_PORT
B_SIP=$(free_port) B_HTTP=$(free_port)
A="http://127.0.0.1:$A_HTTP" B="http://127.0.0.1:$B_HTTP"
start_sessiond --answer auto --store "$STORE" --node-id a
# start_b: node B in the background on its own ports and log (kept across restarts)
B_RUN=0
start_b() {
    B_RUN=$((B_RUN + 1))
    "$BIN/sessiond" --sip "udp:127.0.0.1:$B_SIP" --http "127.0.0.1:$B_HTTP" --sip-t1-ms 100 --log-level debug \
        --answer auto --store "$STORE" --node-id b >"$TMP/b.out" 2>"$TMP/sessiond-b-$B_RUN.log" &
    B_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "$B/livez" >/dev/null 2>&1 && return 0
        kill -0 "$B_PID" 2>/dev/null || fail "node b exited at start: $(tail -n 3 "$TMP/sessiond-b-$B_RUN.log")"
        sleep 0.05
    done
    fail "node b did not answer /livez"
}
start_b

# calls NODE_SIP_PORT N TAG: N calls (answer, 0.5 s, BYE) placed on that node
calls() {
    (cd "$TMP" && timeout 60 "$SIPP" -sf "$SCEN/uac_bye.xml" -m "$2" -r 50 -l "$2" -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/calls-$3.err" -nostdin -i 127.0.0.1 -p "$(free_port)" \
        "127.0.0.1:$1" >"$TMP/calls-$3.out" 2>&1) || fail "sipp calls $3 failed: $(tail -n 5 "$TMP/calls-$3.out")"
}
# sse URL FILE SECONDS [curl args]: read a stream for a while
sse() { timeout "$3" curl -sN "${@:4}" "$1" >"$2"; true; }
# wait_line FILE PATTERN: until the stream file has such a line
wait_line() {
    for _ in $(seq 1 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    fail "no '$2' in $1: $(head -c 300 "$1")"
}

# 1. a client on A from the current end (no Last-Event-ID: new records only)
curl -sN "$A/events/cluster" >"$TMP/live.sse" &
CLIENT=$!
wait_line "$TMP/live.sse" '^: after '
calls "$A_SIP" 3 a1 &
CA=$!
calls "$B_SIP" 3 b1 || fail "calls on b"
wait "$CA" || fail "calls on a"
sleep 0.6 # the reader's poll (150 ms) and the last records' commits
sse "$A/events/cluster?after=0" "$TMP/all.sse" 1
python3 - "$TMP/live.sse" "$TMP/all.sse" <<'PY' || fail "live stream vs the log"
import json, sys
def recs(f):
    out = []
    lines = open(f).read().splitlines()
    for i, l in enumerate(lines):
        if l.startswith("id: "):
            assert lines[i + 1] == "event: record", lines[i + 1]
            d = json.loads(lines[i + 2][6:])
            assert d["gseq"] == int(l[4:]), (l, d["gseq"])
            out.append(d)
    return out
live, every = recs(sys.argv[1]), recs(sys.argv[2])
ids = [r["gseq"] for r in every]
assert ids == sorted(set(ids)) and len(ids) >= 6 * 5, ids
assert [r["gseq"] for r in live] == ids, ("live", [r["gseq"] for r in live], ids)
sessions = {r["session"] for r in every}
assert len(sessions) == 6, sessions
kinds = [r["record"]["kind"] for r in every]
assert kinds.count("created") == 6, kinds
ends = [r for r in every if r["record"].get("to") == "Terminated"]
assert len(ends) == 6, len(ends)
for r in every:
    assert r["record"]["session_id"] == r["session"] and r["time"].endswith("Z") and r["time_us"] > 0
print("ok", len(ids), "records of", len(sessions), "sessions")
PY
# the sessions of both nodes are in it
http GET /sessions; a_sess=$(printf '%s' "$HTTP_BODY" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
b_sess=$(curl -s "$B/sessions" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
[ -n "$a_sess" ] && [ -n "$b_sess" ] || fail "no session on a ($a_sess) or b ($b_sess)"
grep -q "\"session\":\"$a_sess\"" "$TMP/live.sse" || fail "a's session $a_sess not in the stream"
grep -q "\"session\":\"$b_sess\"" "$TMP/live.sse" || fail "b's session $b_sess not in the stream"

# 2. resume from the middle: by Last-Event-ID, by ?after= with a session filter, by sessionctl
ids=$(grep '^id: ' "$TMP/all.sse" | cut -c5-)
n=$(printf '%s\n' "$ids" | wc -l)
K=$(printf '%s\n' "$ids" | sed -n "$((n / 2))p")
sse "$B/events/cluster" "$TMP/resumed.sse" 1 -H "Last-Event-ID: $K" &
R1=$!
sse "$A/events/cluster?after=0&session=$b_sess" "$TMP/one.sse" 1 &
R2=$!
"$BIN/sessionctl" events --cluster --server "$A" --since "$K" >"$TMP/ctl.jsonl" || fail "sessionctl events --cluster"
wait "$R1" "$R2"
want=$(printf '%s\n' "$ids" | awk -v k="$K" '$1 > k')
got=$(grep '^id: ' "$TMP/resumed.sse" | cut -c5-)
[ -n "$want" ] && [ "$got" = "$want" ] || fail "resume after $K on b: got $(echo $got | wc -w) ids, want $(echo $want | wc -w)"
gotc=$(python3 -c 'import json,sys; [print(json.loads(l)["gseq"]) for l in open(sys.argv[1])]' "$TMP/ctl.jsonl")
[ "$gotc" = "$want" ] || fail "sessionctl events --cluster --since $K differs: $(echo $gotc | wc -w) vs $(echo $want | wc -w)"
one_want=$(grep -B2 "\"session\":\"$b_sess\"" "$TMP/all.sse" | grep '^id: ' | cut -c5-)
one_got=$(grep '^id: ' "$TMP/one.sse" | cut -c5-)
[ -n "$one_want" ] && [ "$one_got" = "$one_want" ] || fail "session=$b_sess: $(echo $one_got) vs $(echo $one_want)"

# 3. node B killed and started again: new records go on with higher ids, none twice. Beside
# the first client, one that stops reading (a 4 KiB receive buffer, ?buffer=16 KiB) is ended
# with the overflow line after a gap-free prefix, and resumes from its last id.
last=$(printf '%s\n' "$ids" | tail -n 1)
python3 - "$A_HTTP" "$TMP/slow" <<'PY' &
import os, socket, sys, time
port, base = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(b"GET /events/cluster?buffer=16 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
data = b""
while b": after " not in data:
    data += s.recv(4096)
open(base + ".attached", "w").close()
while not os.path.exists(base + ".go"):
    time.sleep(0.05)
s.settimeout(5)
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
open(base + ".sse", "wb").write(data)
PY
SLOW=$!
for _ in $(seq 1 100); do [ -f "$TMP/slow.attached" ] && break; sleep 0.05; done
[ -f "$TMP/slow.attached" ] || fail "the slow client did not start"
kill -KILL "$B_PID"; wait "$B_PID" 2>/dev/null; B_PID=
start_b
calls "$B_SIP" 15 b2 &
CB=$!
calls "$A_SIP" 15 a2 || fail "calls on a"
wait "$CB" || fail "calls on b"
sleep 0.6
touch "$TMP/slow.go"
wait "$SLOW" || fail "the slow client"
kill "$CLIENT" 2>/dev/null; wait "$CLIENT" 2>/dev/null; CLIENT=
python3 - "$TMP/live.sse" "$last" <<'PY' || fail "after b's restart"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ids = [int(l[4:]) for l in lines if l.startswith("id: ")]
recs = [json.loads(l[6:]) for l in lines if l.startswith("data: ")]
last = int(sys.argv[2])
assert ids == sorted(set(ids)), "ids not strictly increasing or repeated"
new = [r["record"] for r in recs if r["gseq"] > last]
# b's recovery records its three (ended, retained) sessions again, then the new calls
assert sum(1 for r in new if r.get("event") == "Recovered") == 3, [r.get("event") for r in new]
assert sum(1 for r in new if r["kind"] == "created") == 30
assert sum(1 for r in new if r.get("event") == "DialogBYE" and r["to"] == "Terminated") == 30
print("ok", len(new), "records after the restart")
PY
slow_last=$(grep -a '^id: ' "$TMP/slow.sse" | tail -n 1 | cut -c5-)
[ -n "$slow_last" ] || fail "the slow client got no record: $(head -c 300 "$TMP/slow.sse")"
sse "$A/events/cluster" "$TMP/slow2.sse" 1 -H "Last-Event-ID: $slow_last"
python3 - "$TMP/live.sse" "$TMP/slow.sse" "$TMP/slow2.sse" <<'PY' || fail "the slow client"
import sys
def ids(f):
    return [int(l[4:]) for l in open(f, errors="replace").read().splitlines() if l.startswith("id: ")]
ref, slow = ids(sys.argv[1]), ids(sys.argv[2])
text = open(sys.argv[2], errors="replace").read()
start = int(text.split(": after ", 1)[1].split("\n", 1)[0])
assert text.rstrip("\n").endswith(": overflow: this client fell behind; resume with Last-Event-ID"), text[-200:]
want = [i for i in ref if i > start]
assert slow == want[: len(slow)] and len(slow) < len(want), (len(slow), len(want))
assert ids(sys.argv[3]) == [i for i in ref if i > slow[-1]], "resume after the overflow"
print("ok: the slow client got", len(slow), "of", len(want), "then the rest on resume")
PY
# the metrics of A: records sent (to every client of A) and no overflow
sent=$(metric sessioncore_cluster_stream_records_total)
[ "${sent%.*}" -ge "$n" ] || fail "sessioncore_cluster_stream_records_total = $sent, < $n"
[ "$(metric sessioncore_cluster_stream_overflows_total)" = 1 ] || fail "overflows on a: not 1"
wait_metric sessioncore_cluster_stream_clients 0 5

# 4. a node with no shared store: 404 with a clear error
C_HTTP=$(free_port)
"$BIN/sessiond" --sip "udp:127.0.0.1:$(free_port)" --http "127.0.0.1:$C_HTTP" --store memory: \
    >"$TMP/c.out" 2>"$TMP/sessiond-c.log" &
C_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$C_HTTP/livez" >/dev/null 2>&1 && break; sleep 0.05; done
body=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$C_HTTP/events/cluster")
case "$body" in
    *"no shared store"*" 404") ;;
    *) fail "memory store: $body" ;;
esac
http GET "/events/cluster?after=x"; [ "$HTTP_STATUS" = 400 ] || fail "bad after: $HTTP_STATUS"

# 5. A stops (SIGTERM) with a client connected: its stream ends with the closing line
timeout 10 curl -sN "$A/events/cluster" >"$TMP/closing.sse" &
CLIENT=$!
wait_line "$TMP/closing.sse" '^: after '
end=$(grep '^id: ' "$TMP/live.sse" | tail -n 1 | cut -c5-) # no record since: it starts at the log's end
grep -qx ": after $end" "$TMP/closing.sse" || fail "a new client starts at $(grep '^: after' "$TMP/closing.sse"), not $end"
stop_sessiond
wait "$CLIENT"; CLIENT=
tail -n 2 "$TMP/closing.sse" | grep -q '^: closing: the server is shutting down' || fail "no closing line: $(tail -c 200 "$TMP/closing.sse")"
pass
