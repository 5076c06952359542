#!/usr/bin/env bash
# The persisted event log stays flat under churn: on a real Redis and a real PostgreSQL
# (started on loopback by scripts/backends.sh), sessiond takes two rounds of short SIPp calls
# (uac_bye) with a short session retention (--retention-ms 300: reaped within about a second)
# and a short event log retention (--event-log-retention-ms 2000, pruned every second with
# SESSIOND_TEST_SHORT_TIMERS=1). After each round, once every session is reaped, the store
# holds no event at all: Redis' stream (XLEN sc:log) and time index are empty and the number
# of keys is the same after N and 2N calls; PostgreSQL's sc_events has no row. The log did
# grow in between: sessioncore_store_events_pruned_total rose by at least 3 records a call
# each round (without pruning they would all still be there). A backend whose server is not
# installed is skipped (exit 77 if none is).
. "$(dirname "$0")/lib.sh"
. "$SRC/scripts/backends.sh"
trap 'rc=$?; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
CALLS=${PRUNE_CALLS:-300}
RATE=${PRUNE_RATE:-100}
MIN_PER_CALL=3 # event records a uac_bye call logs at least (created, answered, ended...)

wait_empty() {
    for _ in $(seq 1 150); do [ -z "$(session_ids)" ] && return 0; sleep 0.2; done
    fail "sessions still listed: $(session_ids | wc -l)"
}

# store_events: the events in the store now; store_keys: Redis' keys (PostgreSQL: sessions rows)
store_events() {
    case "$BACKEND" in
    redis) redis-cli -p "$BK_PORT" XLEN sc:log ;;
    postgres) psql -X -tA "$URL" -c "SELECT count(*) FROM sc_events" ;;
    esac
}
store_keys() {
    case "$BACKEND" in
    redis) redis-cli -p "$BK_PORT" DBSIZE ;;
    postgres) psql -X -tA "$URL" -c "SELECT count(*) FROM sc_sessions" ;;
    esac
}

# wait_log_empty: until the store holds no event (prunes run every second).
wait_log_empty() {
    local n=
    for _ in $(seq 1 100); do
        n=$(store_events); [ "$n" = 0 ] && return 0; sleep 0.2
    done
    fail "$BACKEND: $n events still stored"
}

# round N: CALLS calls, every session reaped, the log pruned; sets KEYS and PRUNED.
round() {
    SIPP_PORT=$(free_port)
    run_sipp_load uac_bye "$CALLS" "$RATE" 200
    local peak; peak=$(store_events)
    wait_empty
    wait_log_empty
    KEYS=$(store_keys)
    PRUNED=$(metric sessioncore_store_events_pruned_total); PRUNED=${PRUNED%.*}
    echo "$BACKEND round $1: $CALLS calls, $peak events stored right after them, 0 after pruning;" \
        "keys/rows $KEYS; pruned in total $PRUNED"
}

run_backend() {
    BACKEND=$1
    BK_PORT=$(sc_free_port)
    if [ "$BACKEND" = redis ]; then
        sc_have_redis || { echo "redis-server not installed: redis skipped"; return 1; }
        sc_redis_start "$BK_PORT" >/dev/null || fail "redis did not start"
        URL="redis://127.0.0.1:$BK_PORT/0"
    else
        sc_have_pg || { echo "PostgreSQL not installed: postgres skipped"; return 1; }
        local dir; dir=$(sc_pg_init prune) || fail "initdb failed"
        sc_pg_start "$dir" "$BK_PORT" || fail "postgres did not start"
        URL="postgresql://sc@127.0.0.1:$BK_PORT/postgres"
    fi
    SESSIOND_TEST_SHORT_TIMERS=1 start_sessiond --store "$URL" --answer auto --log-level warn \
        --retention-ms 300 --failed-retention-ms 300 --event-log-retention-ms 2000 --media-ports 31000-31999
    round 1
    local keys1=$KEYS pruned1=$PRUNED
    [ "$pruned1" -ge $((CALLS * MIN_PER_CALL)) ] || fail "$BACKEND: $pruned1 events pruned after $CALLS calls"
    round 2
    [ "$KEYS" = "$keys1" ] || fail "$BACKEND: the store grew: $keys1 keys/rows after $CALLS calls, $KEYS after $((2 * CALLS))"
    [ $((PRUNED - pruned1)) -ge $((CALLS * MIN_PER_CALL)) ] ||
        fail "$BACKEND: $((PRUNED - pruned1)) events pruned in round 2"
    if [ "$BACKEND" = redis ]; then
        local left; left=$(redis-cli -p "$BK_PORT" --scan --pattern 'sc:ev:*' | wc -l)
        [ "$left" = 0 ] || fail "redis: $left per-session event sets left"
        [ "$(redis-cli -p "$BK_PORT" ZCARD sc:bytime)" = 0 ] || fail "redis: the time index is not empty"
        [ "$(redis-cli -p "$BK_PORT" SCARD sc:sessions)" = 0 ] || fail "redis: sessions still listed in sc:sessions"
    fi
    stop_sessiond
}

ran=0
run_backend redis && ran=$((ran + 1))
run_backend postgres && ran=$((ran + 1))
[ "$ran" -gt 0 ] || { echo "SKIP: neither redis-server nor PostgreSQL installed"; exit 77; }
pass
