#!/usr/bin/env bash
# test_redis: runs the persist contract suite against a real redis-server started on
# loopback in a temporary directory, plus the backend-down and reconnect cases (a second
# server is started mid-test on a port that was closed). $1 = the build's bin directory.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${SC_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${SC_BINARY_DIR:-${1:-$src/build/bin}/..}
exe=$bin/tests/unit_persist_contract
source "$src/scripts/backends.sh"
trap sc_backends_cleanup EXIT
if ! sc_have_redis; then
    echo "redis-server is not installed: skipped"
    exit 77
fi
[ -x "$exe" ] || { echo "missing $exe (build target unit_persist_contract)"; exit 1; }

port=$(sc_free_port)
sc_redis_start "$port" || exit 1
down=$(sc_free_port)
sc_redis_expect "$down"
echo "$(sc_redis_cmd "$down") && for i in \$(seq 100); do redis-cli -p $down ping >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1" \
    >"$SC_BK_DIR/revive.sh"

SC_PERSIST_DOWN_URL="redis://127.0.0.1:$down/0" SC_PERSIST_REVIVE_CMD="bash $SC_BK_DIR/revive.sh" \
    "$exe" "redis://127.0.0.1:$port/0"
