#!/usr/bin/env bash
# recovery_lib.sh: helpers of the crash-recovery wire tests (test_recovery_*.sh), sourced
# after lib.sh: a store per backend (REC_BACKEND=sqlite (default), redis or postgres; the
# servers are started on loopback by scripts/backends.sh), sessiond started on it, and
# kill -9 + restart with the same flags.

REC_BACKEND=${REC_BACKEND:-sqlite}
REC_FLAGS=()
REC_URL=

# rec_store: set REC_URL for REC_BACKEND (starting its server); exit 77 if not installed.
rec_store() {
    case "$REC_BACKEND" in
    sqlite) REC_URL="sqlite:$TMP/store.db" ;;
    redis|postgres)
        . "$SRC/scripts/backends.sh"
        trap 'rc=$?; sc_backends_cleanup >/dev/null 2>&1; (exit $rc); cleanup' EXIT
        local port; port=$(sc_free_port)
        if [ "$REC_BACKEND" = redis ]; then
            sc_have_redis || { echo "SKIP: redis-server not installed"; exit 77; }
            sc_redis_start "$port" >/dev/null || fail "redis did not start"
            REC_URL="redis://127.0.0.1:$port/0"
        else
            sc_have_pg || { echo "SKIP: PostgreSQL not installed"; exit 77; }
            local dir; dir=$(sc_pg_init rec) || fail "initdb failed"
            sc_pg_start "$dir" "$port" || fail "postgres did not start"
            REC_URL="postgresql://sc@127.0.0.1:$port/postgres"
        fi ;;
    *) fail "unknown REC_BACKEND $REC_BACKEND" ;;
    esac
}

# rec_start [flags...]: sessiond on the store (node id fixed so that a restart owns the
# same sessions); the flags are kept for rec_crash_restart.
rec_start() {
    [ -n "$REC_URL" ] || rec_store
    REC_FLAGS=(--store "$REC_URL" --node-id rec-test "$@")
    start_sessiond "${REC_FLAGS[@]}"
}

# rec_crash_restart: kill -9 sessiond, keep its log, start it again with the same flags and
# wait until its recovery is reported.
REC_RUN=0
rec_crash_restart() {
    kill -KILL "$SD_PID" 2>/dev/null
    wait "$SD_PID" 2>/dev/null
    REC_RUN=$((REC_RUN + 1))
    cp "$SD_LOG" "$TMP/sessiond-before-crash-$REC_RUN.log"
    SD_PID=
    start_sessiond "${REC_FLAGS[@]}"
    grep -q "session(s) recovered" "$SD_LOG" || fail "no recovery line in the log of the restarted sessiond"
}

# rec_field ID NAME: a string field of the session's record.
rec_field() { http GET "/sessions/$1"; json_str "$2"; }
