#!/usr/bin/env bash
# Exact drop accounting on the wire: three SSE consumers (small SO_RCVBUF) stall while SIPp runs
# N calls, then read up to a marker event (a refused table reload), beside a reference consumer
# that reads everything. Calls are unaffected (SIPp exit 0, N ended normally), and each staller
# loses exactly what its policy says:
#   drop-oldest: received + drops{reason="overflow"} == the reference's events; the missing ones
#     are one contiguous run (the oldest queued at each overflow), every other event arrives
#     intact (what sat in the socket and connection buffers included);
#   coalesce: missing == drops{coalesced} + drops{overflow}, no SessionEnded or critical event
#     missing (all N SessionEnded arrive: its queue, 512, is larger than N; a full queue of
#     critical events would lose the oldest, see docs/events.md);
#   disconnect: the stream is a gap-free prefix of the reference, ended by the server (EOF);
#     the one event that overflowed is counted as drops{reason="closed"}, the subscription as
#     reaped{reason="overflow"}, and the reference sees its SubscriberReaped (dropped 1);
#   a fourth staller (drop-oldest, queue=48) hangs up without reading: the 48 events left in
#     its queue are counted as drops{reason="closed"}.
# The reference also matches sessioncore_events_published_total type by type; the stallers'
# sessioncore_event_subscriber_lag_* are above 0 while they stall, and 0 once gone. Idle reaping is
# test_events_idle_gap.sh's job (the idle limit here is longer than the test).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
N=200
start_sessiond --answer auto --events-idle-ms 60000 --log-level info

python3 - "$HTTP_PORT" "$TMP/go" "$TMP/streams.json" \
    "ref::name=bp_ref" \
    "oldest:stall:name=bp_oldest&overflow=drop-oldest&queue=64" \
    "coalesce:stall:name=bp_coalesce&overflow=coalesce&queue=512" \
    "disconnect:stall:name=bp_disconnect&overflow=disconnect&queue=32" \
    "quitter:quit:name=bp_quitter&queue=48" \
    >"$TMP/consumers.log" 2>&1 <<'PY' &
# One thread per consumer: connect, subscribe, (stall until the go file exists), then read and
# parse SSE until the marker (TableReloaded) or EOF, or ("quit") hang up without reading; all
# streams are written to one JSON file.
import json, os, socket, sys, threading, time
port, go, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
deadline = time.monotonic() + 55
results = {}

def consume(label, stall, query):
    r = {"events": [], "eof": False, "marker": False, "status": None}
    results[label] = r
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /events?%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % query.encode())
    while stall != "" and not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.05)  # reads nothing meanwhile
    if stall == "quit":
        s.close()
        return
    s.settimeout(0.5)
    buf, head = b"", None
    while time.monotonic() < deadline:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        if not data:
            r["eof"] = True
            break
        buf += data
        if head is None:
            if b"\r\n\r\n" not in buf:
                continue
            head, buf = buf.split(b"\r\n\r\n", 1)
            r["status"] = int(head.split()[1])
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            f = dict(l.split(": ", 1) for l in block.decode().split("\n") if ": " in l and not l.startswith(":"))
            if "data" not in f:
                continue
            ev = json.loads(f["data"])
            assert int(f["id"].split("-")[1]) == ev["seq"] and f["event"] == ev["type"], block
            r["events"].append(ev)
            if ev["type"] == "TableReloaded":
                r["marker"] = True
        if r["marker"]:
            break
    s.close()

ts = []
for spec in sys.argv[4:]:
    label, stall, query = spec.split(":", 2)
    t = threading.Thread(target=consume, args=(label, stall, query))
    t.start()
    ts.append(t)
for t in ts:
    t.join()
json.dump(results, open(out, "w"))
print("done", {k: len(v["events"]) for k, v in results.items()})
PY
CONS=$!
wait_metric sessioncore_event_subscribers 5 10
http GET /metrics; printf '%s\n' "$HTTP_BODY" >"$TMP/metrics.before"

run_sipp_load uac_bye "$N" 50 50
wait_metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}' "$N" 20
# The marker: a refused reload publishes TableReloaded (critical) after every call's events.
http POST /table/reload 'not: [a table'
[ "$HTTP_STATUS" = 422 ] || fail "marker reload: HTTP $HTTP_STATUS"
http GET /metrics; printf '%s\n' "$HTTP_BODY" >"$TMP/metrics.marker"
touch "$TMP/go"
wait "$CONS" || fail "consumers failed: $(tail -n 5 "$TMP/consumers.log")"
wait_metric 'sessioncore_event_queue_drops_total{subscriber="bp_quitter",reason="closed"}' 48 10
wait_metric sessioncore_event_subscribers 0 10
http GET /metrics; printf '%s\n' "$HTTP_BODY" >"$TMP/metrics.after"

python3 - "$TMP" "$N" <<'PY' || fail "drop accounting does not agree (above)"
import json, re, sys
tmp, n = sys.argv[1], int(sys.argv[2])
st = json.load(open(tmp + "/streams.json"))

def metrics(name):
    m = {}
    for line in open("%s/metrics.%s" % (tmp, name)):
        if line and line[0] != "#" and " " in line:
            k, v = line.split()[:2]
            m[k] = float(v)
    return m

before, marker, after = metrics("before"), metrics("marker"), metrics("after")
def drops(sub, reason):
    return int(after.get('sessioncore_event_queue_drops_total{subscriber="%s",reason="%s"}' % (sub, reason), 0))
def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)

# per-subscriber lag: the stalled ones are behind while they stall, no one once they are gone
lag = lambda m, sub, u: m.get('sessioncore_event_subscriber_lag_%s{subscriber="%s"}' % (u, sub), 0)
for sub in ("bp_coalesce", "bp_oldest"):
    check(lag(marker, sub, "events") > 0 and lag(marker, sub, "seconds") > 0,
          "%s stalled but its lag is %s events, %s s" % (sub, lag(marker, sub, "events"), lag(marker, sub, "seconds")))
check(all(lag(after, s, "events") == 0 for s in ("bp_ref", "bp_coalesce", "bp_oldest")), "lag left after the consumers")
st.pop("quitter")
for label, r in st.items():
    check(r["status"] == 200, "%s: HTTP %s" % (label, r["status"]))
    seqs = [e["seq"] for e in r["events"]]
    check(all(a < b for a, b in zip(seqs, seqs[1:])), "%s: seq not strictly increasing" % label)

ref = st["ref"]["events"]
check(st["ref"]["marker"], "reference consumer did not reach the marker")
for reason in ("overflow", "coalesced", "paused", "closed"):
    check(drops("bp_ref", reason) == 0, "reference consumer dropped (%s)" % reason)
seqs = [e["seq"] for e in ref]
check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "reference (unfiltered) skips a seq")
by_seq = {e["seq"]: e for e in ref}
# The reference against the bus's own count, type by type.
types = {}
for e in ref:
    types[e["type"]] = types.get(e["type"], 0) + 1
pub = re.compile(r'sessioncore_events_published_total\{type="([A-Za-z]+)"\}')
for k in marker:
    m = pub.fullmatch(k)
    if m:
        d = int(marker[k] - before.get(k, 0))
        check(d == types.get(m.group(1), 0), "published %s: %d, reference got %d" % (m.group(1), d, types.get(m.group(1), 0)))
check(types.get("SessionEnded") == n, "reference: %s SessionEnded, want %d" % (types.get("SessionEnded"), n))
print("reference: %d events (seq %d..%d)" % (len(ref), seqs[0], seqs[-1]))

def missing_of(label):
    r = st[label]
    got = {e["seq"] for e in r["events"]}
    check(got <= set(by_seq), "%s: events the reference does not have" % label)
    for e in r["events"]:
        check(e == by_seq[e["seq"]], "%s: seq %d differs from the reference" % (label, e["seq"]))
    return [s for s in seqs if s not in got]

# drop-oldest
r = st["oldest"]
check(r["marker"], "drop-oldest: marker not received")
miss, ov = missing_of("oldest"), drops("bp_oldest", "overflow")
print("drop-oldest: received %d, missing %d, drops{overflow} %d" % (len(r["events"]), len(miss), ov))
check(ov > 0, "drop-oldest: no overflow (the stall did not fill the queue)")
check(len(r["events"]) + ov == len(ref), "drop-oldest: received + drops != published")
check(len(miss) == ov, "drop-oldest: %d missing, %d counted" % (len(miss), ov))
check(miss == list(range(miss[0], miss[0] + len(miss))), "drop-oldest: the missing events are not one run")
for reason in ("coalesced", "paused", "closed"):
    check(drops("bp_oldest", reason) == 0, "drop-oldest: drops{%s}" % reason)

# coalesce
r = st["coalesce"]
check(r["marker"], "coalesce: marker not received")
miss = missing_of("coalesce")
co, ov = drops("bp_coalesce", "coalesced"), drops("bp_coalesce", "overflow")
print("coalesce: received %d, missing %d, drops{coalesced} %d, drops{overflow} %d" % (len(r["events"]), len(miss), co, ov))
check(co > 0, "coalesce: nothing coalesced")
check(len(miss) == co + ov, "coalesce: %d missing, %d counted" % (len(miss), co + ov))
check(all(by_seq[s]["type"] != "SessionEnded" and by_seq[s]["priority"] != "critical" for s in miss),
      "coalesce: a SessionEnded or critical event is missing")
ended = sum(1 for e in r["events"] if e["type"] == "SessionEnded")
check(ended == n, "coalesce: %d SessionEnded, want %d" % (ended, n))
check(sum(1 for s in miss if by_seq[s]["type"] == "StateChanged") >= co, "coalesce: coalesced more than StateChanged")

# disconnect
r = st["disconnect"]
got = [e["seq"] for e in r["events"]]
closed = drops("bp_disconnect", "closed")
print("disconnect: received %d, then EOF=%s, drops{closed} %d" % (len(got), r["eof"], closed))
check(r["eof"] and not r["marker"], "disconnect: the server did not end the stream")
check(got == seqs[:len(got)], "disconnect: not a gap-free prefix of the reference")
check(closed == 1 and drops("bp_disconnect", "overflow") == 0, "disconnect: drops{closed} %d" % closed)
rp = [e for e in ref if e["type"] == "SubscriberReaped" and e["subscriber"] == "bp_disconnect"]
check(len(rp) == 1 and rp[0]["reason"] == "overflow" and rp[0]["dropped"] == 1, "disconnect: SubscriberReaped %s" % rp)
check(rp[0]["seq"] > seqs[len(got)], "disconnect: reaped before the overflowing event")
check(int(after.get('sessioncore_event_subscribers_reaped_total{reason="overflow"}', 0)) == 1, "disconnect: reaped_total")
check(int(after.get('sessioncore_event_subscribers_reaped_total{reason="idle"}', 0)) == 0, "a consumer was reaped as idle")
print("quitter: drops{overflow} %d, drops{closed} %d" % (drops("bp_quitter", "overflow"), drops("bp_quitter", "closed")))
check(drops("bp_quitter", "overflow") > 0 and drops("bp_quitter", "closed") == 48, "quitter: queue not full or not counted")
PY
[ "$(metric 'sessioncore_sessions_ended_total{role="uas",outcome="normal"}')" = "$N" ] || fail "calls affected"
for q in 0 8193 x; do http GET "/events?queue=$q"; [ "$HTTP_STATUS" = 400 ] || fail "queue=$q: HTTP $HTTP_STATUS"; done
pass
