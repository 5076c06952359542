#!/usr/bin/env bash
# The history of a compacted session is read from the store off the loop (history_reader.c):
#  a. Redis behind a relay the test pauses: a GET /sessions/{id}/history waits for the store
#     while the loop goes on serving (a SIPp OPTIONS is answered, GET /sessions too, /healthz);
#     once the relay passes traffic again the history arrives, whole;
#  b. PostgreSQL: the same calls give the same records (times aside), as JSON and as CSV, and
#     the graph highlights the path read back; after kill -9 and a restart the ended session (its
#     snapshot without history: the log has it) gives the same records;
#  c. a store that does not answer: 503 once --http-timeout-ms is up, with the reason, and past
#     the reader's queue (16) 503 at once; a store that is gone (the relay stopped): 503 at once,
#     with the reason.
. "$(dirname "$0")/lib.sh"
. "$SRC/scripts/backends.sh"
sc_have_redis || { echo "SKIP: redis-server not installed"; exit 77; }
sc_have_pg || { echo "SKIP: PostgreSQL not installed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not installed"; exit 77; }
RELAY_PID=
trap 'rc=$?; [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT

# PostgreSQL starts in the background while the Redis part runs
pgport=$(sc_free_port)
pgdir=$SC_BK_DIR/pg-hist
sc_pg_expect "$pgdir"
(sc_pg_init hist >/dev/null && sc_pg_start "$pgdir" "$pgport") >"$TMP/pg.out" 2>&1 &
pg_boot=$!

rport=$(sc_free_port)
sc_redis_start "$rport" || fail "redis did not start"
relay_port=$(free_port)
start_relay() {
    python3 "$SCEN/tcp_pause.py" "$relay_port" "$rport" >"$TMP/relay.out" 2>&1 &
    RELAY_PID=$!
    for _ in $(seq 1 100); do grep -q ready "$TMP/relay.out" 2>/dev/null && return 0; sleep 0.05; done
    fail "the relay did not start"
}
start_relay

TIMEOUT_MS=2000
# calls N: N short calls (SIPp's built-in UAC, answered at once); ids (newest last) in IDS once
# every one ended and was compacted (its ring released: the history is the store's)
calls() {
    (cd "$TMP" && timeout 30 "$SIPP" -sn uac -m "$1" -r 20 -l "$1" -d 0 -timeout 20s -timeout_error -nostdin \
        -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/uac.out" 2>&1) || fail "sipp uac: $(tail -n 3 "$TMP/uac.out")"
    local id n
    for _ in $(seq 1 100); do
        IDS=$(session_ids); n=0
        for id in $IDS; do
            http GET "/sessions/$id"
            printf '%s' "$HTTP_BODY" | grep -q '"history_entries":0' && n=$((n + 1))
        done
        [ "$n" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "$n of $1 sessions compacted: $IDS"
}
# hist.py: the checks on histories, in one python run each (its start is the slow part)
cat >"$TMP/hist.py" <<'PY'
import csv, json, sys
def records(path):  # a history's records, without what differs from run to run
    return [(r["seq"], r["from"], r["event"], r["event_code"], r["event_text"], r["transition"], r["to"],
             r["outcome"], [(g["name"], g["negate"], g["passed"]) for g in r["guards"]],
             [(a["name"], a["result"]) for a in r["actions"]]) for r in json.load(open(path))]
def same(a, b):
    ra, rb = records(a), records(b)
    if ra != rb:
        sys.exit("%s and %s differ:\n%s\n%s" % (a, b, "\n".join(map(str, ra)), "\n".join(map(str, rb))))
    return ra
mode, args = sys.argv[1], sys.argv[2:]
if mode == "count":  # count FILE
    print(len(records(args[0])))
elif mode == "same":  # same A B: the same records; their count
    print(len(same(args[0], args[1])))
elif mode == "recovered":  # recovered A B: B is A's records then the restart's Recovered record
    ra, rb = records(args[0]), records(args[1])
    if rb[:len(ra)] != ra or [r[2] for r in rb[len(ra):]] != ["Recovered"]:
        sys.exit("%s is not %s and Recovered:\n%s\n%s" % (args[1], args[0], "\n".join(map(str, ra)), "\n".join(map(str, rb))))
    print(len(ra))
elif mode == "csv":  # csv REF JSON CSV: JSON has REF's records, CSV the same rows as JSON
    recs = same(args[0], args[1])
    rows = list(csv.reader(open(args[2])))
    if rows[0][:5] != ["seq", "time", "mono_us", "from", "event"]:
        sys.exit("CSV header: %s" % rows[0])
    want = [[str(r["seq"]), r["time"], str(r["mono_us"]), r["from"], r["event"]] for r in json.load(open(args[1]))]
    if [r[:5] for r in rows[1:]] != want:
        sys.exit("CSV rows differ from the JSON records:\n%s\n%s" % (rows[1:], want))
    print(len(recs))
PY
hist() { python3 "$TMP/hist.py" "$@"; }
get() { # get PATH FILE: the body of a 200 into FILE
    curl -s -o "$2" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$HTTP_PORT$1" >"$2.code"
    [ "$(cat "$2.code")" = 200 ] || fail "GET $1: $(cat "$2.code") $(cat "$2")"
}

# ---- a. Redis, paused under a read -------------------------------------------------------------
SD_LOG=$TMP/sessiond-redis.log
start_sessiond --store "redis://127.0.0.1:$relay_port/0" --answer auto --retention-ms 600000 --sip-t1-ms 20 \
    --rtp-timeout-ms 0 --http-timeout-ms "$TIMEOUT_MS"
calls 3
set -- $IDS
id1=$1 id2=$2 id3=$3
get "/sessions/$id1/history" "$TMP/redis1.json"
[ "$(hist count "$TMP/redis1.json")" -ge 3 ] || fail "history of $id1: $(cat "$TMP/redis1.json")"
kill -USR1 "$RELAY_PID"
t0=$(date +%s%N)
curl -s -o "$TMP/paused.json" -w '%{http_code}' --max-time 15 "http://127.0.0.1:$HTTP_PORT/sessions/$id2/history" \
    >"$TMP/paused.code" &
reader=$!
sleep 0.3
kill -0 "$reader" 2>/dev/null || fail "the history answered while the store was paused: $(cat "$TMP/paused.code")"
# the loop serves meanwhile
(cd "$TMP" && timeout 10 "$SIPP" -sf "$SCEN/options.xml" -m 1 -l 1 -timeout 2s -timeout_error -nostdin \
    -i 127.0.0.1 -p "$SIPP_PORT" "127.0.0.1:$SIP_PORT" >"$TMP/options.out" 2>&1) ||
    fail "no answer to OPTIONS while a history read waits for the store"
HTTP_TIMEOUT=2 http GET '/sessions?limit=1'
[ "$HTTP_STATUS" = 200 ] || fail "GET /sessions while a history read waits: '$HTTP_STATUS'"
HTTP_TIMEOUT=2 http GET /healthz
[ -n "$HTTP_STATUS" ] && [ "$HTTP_STATUS" != 000 ] || fail "GET /healthz while a history read waits: no answer"
kill -0 "$reader" 2>/dev/null || fail "the history read did not wait for the paused store: $(cat "$TMP/paused.code")"
served_ms=$((($(date +%s%N) - t0) / 1000000))
kill -USR2 "$RELAY_PID"
wait "$reader"
[ "$(cat "$TMP/paused.code")" = 200 ] || fail "history after the pause: $(cat "$TMP/paused.code") $(cat "$TMP/paused.json")"
get "/sessions/$id2/history" "$TMP/redis2.json"
cmp -s "$TMP/paused.json" "$TMP/redis2.json" || fail "the history read under the pause differs: $(cat "$TMP/paused.json")"
n=$(hist same "$TMP/redis1.json" "$TMP/redis2.json") || fail "the history read under the pause is not whole"
echo "a. loop served within ${served_ms} ms while the history read waited; $n records after the pause"

# ---- c. a store that does not answer, then one that is gone ------------------------------------
# 21 reads while the store is paused: one is read (and waits), 16 queue behind it, 4 get 503 at
# once; the 17 get 503 when --http-timeout-ms is up
kill -USR1 "$RELAY_PID"
hget() { curl -s -o "$TMP/$1.body" -w '%{http_code} %{time_total}' --max-time 15 \
    "http://127.0.0.1:$HTTP_PORT/sessions/$id3/history" >"$TMP/$1.code"; }
reads=()
for i in $(seq 1 21); do hget "read$i" & reads+=($!); done
wait "${reads[@]}"
kill -USR2 "$RELAY_PID"
waited=0 refused=0
for i in $(seq 1 21); do
    read -r code secs <"$TMP/read$i.code"
    ms=$(awk -v s="$secs" 'BEGIN {printf "%d", s * 1000}')
    if [ "$code" = 503 ] && grep -q "too many history reads" "$TMP/read$i.body"; then
        [ "$ms" -lt 1500 ] || fail "a read refused after $ms ms"
        refused=$((refused + 1))
    elif [ "$code" = 503 ] && grep -q "did not answer within $TIMEOUT_MS ms" "$TMP/read$i.body"; then
        [ "$ms" -ge $((TIMEOUT_MS - 100)) ] && [ "$ms" -le $((TIMEOUT_MS + 2500)) ] ||
            fail "503 after $ms ms (timeout $TIMEOUT_MS)"
        waited=$((waited + 1)) body=$(cat "$TMP/read$i.body")
    else
        fail "read $i from a paused store: $code $(cat "$TMP/read$i.body")"
    fi
done
[ "$waited" = 17 ] && [ "$refused" = 4 ] || fail "21 reads from a paused store: $waited waited, $refused refused (expected 17 and 4)"
echo "c. paused store: 21 reads, 17 answered 503 at the timeout ($body), 4 refused at once"
kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; RELAY_PID=
t0=$(date +%s%N)
HTTP_TIMEOUT=10 http GET "/sessions/$id3/history"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$HTTP_STATUS" = 503 ] || fail "history from a store that is gone: $HTTP_STATUS $HTTP_BODY (expected 503)"
printf '%s' "$HTTP_BODY" | grep -q -i "store" || fail "503 without its reason: $HTTP_BODY"
[ "$ms" -lt "$TIMEOUT_MS" ] || fail "503 from a store that is gone after $ms ms"
echo "c. store gone: 503 after $ms ms: $HTTP_BODY"
start_relay # back, for an orderly stop
for _ in $(seq 1 50); do
    http GET "/sessions/$id3/history"; [ "$HTTP_STATUS" = 200 ] && break; sleep 0.1
done
[ "$HTTP_STATUS" = 200 ] || fail "history once the store is back: $HTTP_STATUS $HTTP_BODY"
stop_sessiond

# ---- b. PostgreSQL: the same records, as JSON and CSV ------------------------------------------
wait "$pg_boot" || fail "postgres did not start: $(cat "$TMP/pg.out")"
SD_LOG=$TMP/sessiond-pg.log
start_sessiond --store "postgresql://sc@127.0.0.1:$pgport/postgres" --answer auto --retention-ms 600000 \
    --sip-t1-ms 20 --rtp-timeout-ms 0 --http-timeout-ms "$TIMEOUT_MS"
calls 1
id=$IDS
get "/sessions/$id/history" "$TMP/pg.json"
get "/sessions/$id/history?format=csv" "$TMP/pg.csv"
n=$(hist csv "$TMP/redis1.json" "$TMP/pg.json" "$TMP/pg.csv") || fail "PostgreSQL's history (JSON, CSV) is not Redis's"
get "/table?session=$id&format=json" "$TMP/pg-graph.json"
[ "$(grep -o '"on_path": *true' "$TMP/pg-graph.json" | wc -l)" -ge 3 ] || fail "no path of $id in the graph"
http GET "/sessions/no-such-session/history"
[ "$HTTP_STATUS" = 404 ] || fail "history of an unknown session: $HTTP_STATUS $HTTP_BODY"
echo "b. PostgreSQL: $n records, as in Redis; CSV the same"
# an ended session's snapshot leaves its history to the log (history_in_log): after a crash and
# a restart the session is back (for its retention) and its history, read from the store, is the same
kill -KILL "$SD_PID"; wait "$SD_PID" 2>/dev/null; SD_PID=
start_sessiond --store "postgresql://sc@127.0.0.1:$pgport/postgres" --answer auto --retention-ms 600000 \
    --sip-t1-ms 20 --rtp-timeout-ms 0 --http-timeout-ms "$TIMEOUT_MS"
http GET "/sessions/$id"
[ "$HTTP_STATUS" = 200 ] || fail "the ended session after a restart: $HTTP_STATUS $HTTP_BODY"
# its ring holds none of the records from before the crash (at most the restart's Recovered)
printf '%s' "$HTTP_BODY" | grep -q '"seq":1,' && fail "a recovered ended session holds its old records in its ring: $HTTP_BODY"
get "/sessions/$id/history" "$TMP/pg-after.json"
n=$(hist recovered "$TMP/pg.json" "$TMP/pg-after.json") || fail "the history after a restart differs: $(cat "$TMP/pg-after.json")"
echo "   after kill -9 and a restart: the ended session's $n records from the log, then Recovered"
stop_sessiond
pass
