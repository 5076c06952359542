#!/usr/bin/env bash
# sip.cluster: three sessiond nodes (127.0.0.2, .3, .4) with --cluster on one shared store
# (CLUSTER_BACKEND: redis (default) or postgres, started on loopback), Kamailio in front on
# 127.0.0.1 (deploy/kamailio/start.sh), SIPp calling through it (docs/scale-out.md).
#  1. kill -9 a node during long calls: the others take its calls over (re-INVITE with their
#     Contact and media; the caller's RTP reaches the new node; its BYE through the front gets
#     200 from the new owner); the takeover window is measured and reported; any node's API
#     answers for any session (307 to the owner);
#  2. new calls after it all succeed;
#  3. (redis) split brain: a node cut off its store (each node reaches it through a relay the
#     test can pause) fences itself before the others take its calls, and exits 75;
#  4. (redis) drain with handover: SIGTERM a node with calls up: new calls go elsewhere, its
#     calls move to the others (one of them restarted meanwhile: a new incarnation), none fails.
# The front spreads calls by Call-ID hash, so each step picks the node that got the most calls.
. "$(dirname "$0")/lib.sh"
. "$SRC/scripts/backends.sh"
trap 'rc=$?; cluster_cleanup; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] || { echo "SKIP: kamailio not installed"; exit 77; }
BACKEND=${CLUSTER_BACKEND:-redis}

NSIP=$(free_port)
NHTTP=$(free_port)
KPORT=$(free_port)
declare -A NODE_PID
declare -A PROXY_PID
KAM_PID=

cluster_cleanup() {
    local p
    for p in "${NODE_PID[@]}" $KAM_PID "${PROXY_PID[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for p in "${NODE_PID[@]}" $KAM_PID "${PROXY_PID[@]}"; do wait "$p" 2>/dev/null; done
    if grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP"/n*.log >/dev/null 2>&1; then
        grep -h -A 30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP"/n*.log | head -n 60
    fi
}

declare -A NODE_STORE
# ---- the store ---------------------------------------------------------------------------------
sport=$(sc_free_port)
if [ "$BACKEND" = redis ]; then
    sc_have_redis || { echo "SKIP: redis-server not installed"; exit 77; }
    sc_redis_start "$sport" >/dev/null || fail "redis did not start"
    STORE="redis://127.0.0.1:$sport/0"
    for n in 2 3 4; do # each node reaches the store through a relay the test can pause
        pport=$(free_port)
        python3 "$SCEN/tcp_pause.py" "$pport" "$sport" >"$TMP/relay$n.out" 2>&1 &
        PROXY_PID[$n]=$!
        for _ in $(seq 1 100); do grep -q ready "$TMP/relay$n.out" 2>/dev/null && break; sleep 0.05; done
        NODE_STORE[$n]="redis://127.0.0.1:$pport/0"
    done
else
    sc_have_pg || { echo "SKIP: PostgreSQL not installed"; exit 77; }
    dir=$(sc_pg_init cluster) || fail "initdb failed"
    sc_pg_start "$dir" "$sport" || fail "postgres did not start"
    STORE="postgresql://sc@127.0.0.1:$sport/postgres"
    for n in 2 3 4; do NODE_STORE[$n]=$STORE; done
fi

# ---- nodes and the front -----------------------------------------------------------------------

# node_start N: sessiond on 127.0.0.N in the cluster; waits for /livez.
node_start() {
    local n=$1
    "$BIN/sessiond" --sip "udp:127.0.0.$n:$NSIP" --http "127.0.0.$n:$NHTTP" --store "${NODE_STORE[$n]}" --cluster \
        --node-id "n$n" --lease-ms 2000 --sip-t1-ms 100 --log-level info >>"$TMP/n$n.log" 2>&1 &
    NODE_PID[$n]=$!
    for _ in $(seq 1 100); do
        kill -0 "${NODE_PID[$n]}" 2>/dev/null || fail "node $n exited at start: $(tail -n 3 "$TMP/n$n.log")"
        on "$n" GET /livez 2>/dev/null && [ "$HTTP_STATUS" = 200 ] && return 0
        sleep 0.05
    done
    fail "node $n did not answer /livez"
}

# on N METHOD PATH [BODY]: the API of node N.
on() {
    local n=$1; shift
    HTTP_HOST=127.0.0.$n HTTP_PORT=$NHTTP http "$@"
}

# active N: node N's sessions in state Active (0 when it does not answer).
active() {
    on "$1" GET "/sessions?state=Active&limit=1000" 2>/dev/null || { echo 0; return; }
    [ "$HTTP_STATUS" = 200 ] || { echo 0; return; }
    printf '%s' "$HTTP_BODY" | grep -o '"id":"[^"]*"' | wc -l
}
active_ids() { on "$1" GET "/sessions?state=Active&limit=1000"; printf '%s' "$HTTP_BODY" | grep -o '"id":"[^"]*"' | sed 's/"id":"\(.*\)"/\1/'; }

# wait_active COUNT NODE...: the nodes hold COUNT Active sessions between them (10 s at most).
wait_active() {
    local want=$1 n sum; shift
    for _ in $(seq 1 200); do
        sum=0
        for n in "$@"; do sum=$((sum + $(active "$n"))); done
        [ "$sum" -eq "$want" ] && return 0
        sleep 0.05
    done
    fail "expected $want Active sessions on nodes $*, found $sum"
}

# busiest NODE...: the node of those with the most Active sessions.
busiest() {
    local n best= max=-1 c
    for n in "$@"; do c=$(active "$n"); [ "$c" -gt "$max" ] && { max=$c; best=$n; }; done
    echo "$best"
}
others() { local n; for n in 2 3 4; do [ "$n" = "$1" ] || printf '%s ' "$n"; done; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# sipp_front NAME CALLS [args]: SIPp calls through the front in the background (SIPP_PID).
sipp_front() {
    local name=$1 calls=$2; shift 2
    (cd "$TMP" && exec timeout 60 "$SIPP" -sf "$SCEN/$name.xml" -m "$calls" -r "$calls" -l "$calls" \
        -timeout 40s -timeout_error -trace_err -trace_logs -error_file "$TMP/$name.err" -nostdin \
        -i 127.0.0.1 -p "$(free_port)" -mi 127.0.0.1 -mp "$(free_media_port)" "$@" "127.0.0.1:$KPORT" >"$TMP/$name.out" 2>&1) &
    SIPP_PID=$!
}
sipp_wait() {
    wait "$SIPP_PID"; local rc=$?
    [ "$rc" -eq 0 ] || fail "sipp ($1) exited with $rc: $(grep -h -m 5 -E 'Failed call|Unexpected|timeout|aborted' "$TMP"/*.out "$TMP"/*errors.log 2>/dev/null | head -n 5)"
}

for n in 2 3 4; do node_start "$n"; done
# one UDP worker: with two, a node's 180 and 200 (sent back to back) can be relayed by two
# processes and overtake each other, and SIPp aborts a call on a 180 after its 200
KAMAILIO_ARGS="-n 1" bash "$SRC/deploy/kamailio/start.sh" "127.0.0.1:$KPORT" "127.0.0.2:$NSIP" "127.0.0.3:$NSIP" "127.0.0.4:$NSIP" \
    >"$TMP/kamailio.log" 2>&1 &
KAM_PID=$!
# the front answers (a short call goes through and ends)
for _ in $(seq 1 100); do grep -q "listening on" "$TMP/kamailio.log" && break; sleep 0.05; done
sipp_front cluster_short 3
sipp_wait "first calls through the front"
on 2 GET /cluster
[ "$HTTP_STATUS" = 200 ] || fail "GET /cluster: $HTTP_STATUS $HTTP_BODY"
[ "$(printf '%s' "$HTTP_BODY" | grep -o '"incarnation"' | wc -l)" -eq 3 ] || fail "GET /cluster: not 3 nodes: $HTTP_BODY"

# ---- 1. kill -9 a node during long calls -------------------------------------------------------
sipp_front cluster_uac 12
wait_active 12 2 3 4
V=$(busiest 2 3 4)
victim_ids=$(active_ids "$V")
moved=$(printf '%s\n' "$victim_ids" | grep -c .)
t_kill=$(now)
kill -KILL "${NODE_PID[$V]}"; wait "${NODE_PID[$V]}" 2>/dev/null; unset "NODE_PID[$V]"
wait_active 12 $(others "$V")
t_taken=$(now)
echo "takeover: node $V's $moved call(s) restored on the other nodes $(secs "$t_kill" "$t_taken") s after kill -9 (lease 2 s)"
sipp_wait "long calls across the kill"
reinvites=$(cat "$TMP"/cluster_uac_*_logs.log 2>/dev/null | grep -c "reinvite ")
[ "$reinvites" -eq "$moved" ] || fail "$moved call(s) moved but $reinvites re-INVITE(s) reached the caller"
grep -h "reinvite " "$TMP"/cluster_uac_*_logs.log | grep -q "127.0.0.$V" && fail "a re-INVITE pointed at the dead node"
# every moved call: any node answers for it (307 to its owner); its history there shows the
# takeover and the caller's digit heard after the re-INVITE (RTP reached the new node)
read -r A B <<<"$(others "$V")"
for id in $victim_ids; do
    on "$A" GET "/sessions/$id/history"
    if [ "$HTTP_STATUS" = 307 ]; then
        loc=$(printf '%s' "$HTTP_HEAD" | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
        [ "$loc" = "http://127.0.0.$B:$NHTTP/sessions/$id/history" ] || fail "307 to $loc for $id"
        on "$B" GET "/sessions/$id/history"
    fi
    [ "$HTTP_STATUS" = 200 ] || fail "history of moved call $id: $HTTP_STATUS $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -q "\"taken over from n$V/" || fail "$id: no takeover in its history: $HTTP_BODY"
    printf '%s' "$HTTP_BODY" | grep -q 'DtmfReceived' || fail "$id: the caller's RTP after the re-INVITE was not heard: $HTTP_BODY"
done
# sessionctl follows the redirect: ask the node that does not own the first moved call
id=$(printf '%s\n' $victim_ids | head -n 1)
on "$A" GET "/sessions/$id"
other=$A; [ "$HTTP_STATUS" = 200 ] && other=$B
"$BIN/sessionctl" --server "http://127.0.0.$other:$NHTTP" show "$id" >"$TMP/show.out" 2>&1 ||
    fail "sessionctl show $id on node $other: $(head -n 3 "$TMP/show.out")"
grep -q "$id" "$TMP/show.out" || fail "sessionctl show $id: $(head -n 3 "$TMP/show.out")"
on "$A" GET /sessions/no-such-session
[ "$HTTP_STATUS" = 404 ] || fail "an unknown session: $HTTP_STATUS"

# ---- 2. new calls after the takeover -----------------------------------------------------------
sipp_front cluster_short 9
sipp_wait "new calls after the takeover"

if [ "$BACKEND" = redis ]; then
    # ---- 3. split brain: node 4 cut off its store ----------------------------------------------
    node_start "$V" # a new incarnation of the killed node joins
    sipp_front cluster_uac 9
    wait_active 9 2 3 4
    C=$(busiest 2 3 4)
    on "$C" GET /cluster
    inc=$(json_str self)
    kill -USR1 "${PROXY_PID[$C]}"
    wait "${NODE_PID[$C]}"; rc=$?; unset "NODE_PID[$C]"
    [ "$rc" -eq 75 ] || fail "the cut-off node $C exited $rc, not 75 (fenced): $(tail -n 5 "$TMP/n$C.log")"
    wait_active 9 $(others "$C")
    fence_line=$(grep -m 1 'cluster: fenced' "$TMP/n$C.log") || fail "no fencing line in node $C's log"
    take_line=$(cat "$TMP"/n*.log | grep "took over .* of $inc ") || fail "nobody took node $C's calls"
    t_fence=$(printf '%s' "$fence_line" | cut -c1-23)
    t_take=$(printf '%s\n' "$take_line" | sort | head -n 1 | cut -c1-23)
    [[ "$t_fence" < "$t_take" ]] || fail "node $C fenced at $t_fence, after its calls were taken at $t_take"
    echo "split brain: node $C fenced at $t_fence, its calls taken over at $t_take"
    kill -USR2 "${PROXY_PID[$C]}"
    sipp_wait "long calls across the split brain"

    # ---- 4. drain with handover under load ---------------------------------------------------
    node_start "$C"
    sipp_front cluster_uac 9
    wait_active 9 2 3 4
    D=$(busiest 2 3 4)
    kill -TERM "${NODE_PID[$D]}"
    sleep 0.5 # the front's next probes see 503
    on "$D" GET /readyz
    [ "$HTTP_STATUS" = 503 ] || fail "a draining node is ready: $HTTP_STATUS"
    (cd "$TMP" && timeout 30 "$SIPP" -sf "$SCEN/cluster_short.xml" -m 4 -r 4 -l 4 -timeout 20s -timeout_error \
        -trace_err -error_file "$TMP/drain_short.err" -nostdin -i 127.0.0.1 -p "$(free_port)" -mp "$(free_media_port)" \
        "127.0.0.1:$KPORT" >"$TMP/drain_short.out" 2>&1) || fail "new calls during the drain failed: $(tail -n 5 "$TMP/drain_short.out")"
    wait "${NODE_PID[$D]}"; rc=$?; unset "NODE_PID[$D]"
    [ "$rc" -eq 0 ] || fail "the drained node $D exited $rc"
    grep -q 'handover: .* session(s) left to the other nodes' "$TMP/n$D.log" || fail "no handover in node $D's log"
    wait_active 9 $(others "$D")
    sipp_wait "long calls across the drain"
fi
pass
