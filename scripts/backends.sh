# backends.sh: starts and stops throwaway redis-server and PostgreSQL 15 instances on
# 127.0.0.1, each on a free port with its data in one temporary directory; sourced by the
# backend tests (tests/backends/test_*.sh) and usable by hand:
#
#   source scripts/backends.sh
#   trap sc_backends_cleanup EXIT
#   port=$(sc_free_port); sc_redis_start "$port"            # redis://127.0.0.1:$port/0
#   pgdir=$(sc_pg_init main); sc_pg_start "$pgdir" "$port2" # postgresql://sc@127.0.0.1:$port2/postgres
#
# PostgreSQL refuses to run as root: as root, the server runs as an unprivileged user
# (SC_PG_USER, default sessioncore-test, created with useradd -r -M if missing; nobody if
# that fails). Everything is stopped and removed by sc_backends_cleanup.

SC_PG_BIN=${SC_PG_BIN:-/usr/lib/postgresql/15/bin}
SC_BK_DIR=${SC_BK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sc-backends-XXXXXX")}
chmod 755 "$SC_BK_DIR"
SC_BK_PG_DIRS=()
SC_BK_REDIS_PIDFILES=()

sc_have_redis() { command -v redis-server >/dev/null 2>&1; }
sc_have_pg() { [ -x "$SC_PG_BIN/initdb" ] && [ -x "$SC_PG_BIN/pg_ctl" ]; }

# Prints a TCP port on 127.0.0.1 that nothing listens on now.
sc_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

# Waits until a TCP port accepts connections (up to ~10 s).
sc_wait_port() {
    local port=$1 i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "backends.sh: nothing listens on 127.0.0.1:$port" >&2
    return 1
}

# The command line that starts redis on a port (daemonised, no persistence, in SC_BK_DIR).
sc_redis_cmd() {
    local port=$1
    echo "redis-server --port $port --bind 127.0.0.1 --dir $SC_BK_DIR --save '' --appendonly no" \
        "--daemonize yes --pidfile $SC_BK_DIR/redis-$port.pid --logfile $SC_BK_DIR/redis-$port.log"
}

# Starts redis-server on 127.0.0.1:PORT and waits for it.
sc_redis_start() {
    local port=$1
    SC_BK_REDIS_PIDFILES+=("$SC_BK_DIR/redis-$port.pid")
    eval "$(sc_redis_cmd "$port")"
    sc_wait_port "$port"
}

# Registers a redis pid file that someone else (e.g. a revive script) will create.
sc_redis_expect() { SC_BK_REDIS_PIDFILES+=("$SC_BK_DIR/redis-$1.pid"); }

# The unprivileged user that runs PostgreSQL when we are root.
sc_pg_user() {
    if [ "$(id -u)" != 0 ]; then
        id -un
        return
    fi
    local u=${SC_PG_USER:-sessioncore-test}
    if ! id "$u" >/dev/null 2>&1; then
        useradd -r -M -s /usr/sbin/nologin "$u" >/dev/null 2>&1 || u=nobody
    fi
    echo "$u"
}

# Runs a command as the PostgreSQL user.
sc_as_pg() {
    local u
    u=$(sc_pg_user)
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$u" -- "$@"
    else
        "$@"
    fi
}

# Creates a cluster in $SC_BK_DIR/pg-NAME (superuser "sc", trust auth); prints its path.
sc_pg_init() {
    local dir=$SC_BK_DIR/pg-$1 u
    u=$(sc_pg_user)
    mkdir -p "$dir"
    chown "$u" "$dir" 2>/dev/null || true
    chmod 700 "$dir"
    sc_as_pg "$SC_PG_BIN/initdb" -D "$dir/data" -U sc --auth=trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    echo "$dir"
}

# The command line that starts the cluster in DIR on PORT (socket dir of its own, loopback
# only, fsync off for speed).
sc_pg_cmd() {
    local dir=$1 port=$2
    echo "$SC_PG_BIN/pg_ctl -D $dir/data -l $dir/server.log -w -t 20 -o" \
        "'-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off'" start
}

# Starts the cluster in DIR on 127.0.0.1:PORT and waits for it.
sc_pg_start() {
    local dir=$1 port=$2
    SC_BK_PG_DIRS+=("$dir")
    sc_as_pg bash -c "$(sc_pg_cmd "$dir" "$port")" >/dev/null || { cat "$dir/server.log" >&2; return 1; }
}

# Registers a cluster that someone else (e.g. a revive script) will start.
sc_pg_expect() { SC_BK_PG_DIRS+=("$1"); }

# Stops every server started here and removes the temporary directory.
sc_backends_cleanup() {
    local d f
    for d in "${SC_BK_PG_DIRS[@]}"; do
        [ -f "$d/data/postmaster.pid" ] && sc_as_pg "$SC_PG_BIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
    done
    for f in "${SC_BK_REDIS_PIDFILES[@]}"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 0.1
    for f in "${SC_BK_REDIS_PIDFILES[@]}"; do
        [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$SC_BK_DIR"
    return 0
}
