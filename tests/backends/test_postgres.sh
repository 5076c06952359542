#!/usr/bin/env bash
# test_postgres: runs the persist contract suite against a real PostgreSQL 15 started on
# loopback in a temporary directory as an unprivileged user, plus the backend-down and
# reconnect cases (a copy of the cluster is started mid-test on a port that was closed).
# $1 = the build's bin directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${SC_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${SC_BINARY_DIR:-${1:-$src/build/bin}/..}
exe=$bin/tests/unit_persist_contract
source "$src/scripts/backends.sh"
trap sc_backends_cleanup EXIT
if ! sc_have_pg; then
    echo "PostgreSQL 15 ($SC_PG_BIN) is not installed: skipped"
    exit 77
fi
[ -x "$exe" ] || { echo "missing $exe (build target unit_persist_contract)"; exit 1; }

main=$(sc_pg_init main) || exit 1
later="$SC_BK_DIR/pg-later"
cp -a "$main" "$later" # a second, identical cluster, started by the reconnect case
port=$(sc_free_port)
sc_pg_start "$main" "$port" || exit 1
down=$(sc_free_port)
sc_pg_expect "$later"
if [ "$(id -u)" = 0 ]; then as="runuser -u $(sc_pg_user) --"; else as=""; fi
echo "$as bash -c \"$(sc_pg_cmd "$later" "$down")\" >/dev/null" >"$SC_BK_DIR/revive.sh"

SC_PERSIST_DOWN_URL="postgresql://sc@127.0.0.1:$down/postgres" SC_PERSIST_REVIVE_CMD="bash $SC_BK_DIR/revive.sh" \
    "$exe" "postgresql://sc@127.0.0.1:$port/postgres"
