#!/usr/bin/env bash
# Validates the metrics exposition (both formats) with `promtool check metrics` and the example
# alert rules with `promtool check rules` and their unit tests (`promtool test rules`); the states
# the rules name must be the default table's. Installs Debian's prometheus package if promtool is
# missing and apt is usable; skips (77) otherwise.
set -u
BIN_DIR="${1:-${SC_BINARY_DIR:-build}/bin}"
BUILD_DIR="${SC_BINARY_DIR:-$(dirname "$BIN_DIR")}"
SRC_DIR="${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
DUMPER="$BUILD_DIR/tests/unit_obs_expose"

if ! command -v promtool >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        timeout 600 apt-get install -y -q prometheus >/dev/null 2>&1 || true
    fi
fi
if ! command -v promtool >/dev/null 2>&1; then
    echo "SKIP: promtool not available"
    exit 77
fi
if [ ! -x "$DUMPER" ]; then
    echo "SKIP: $DUMPER not built"
    exit 77
fi

fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$DUMPER" --dump-prom >"$tmp/prom.txt" || fail=1
if ! promtool check metrics <"$tmp/prom.txt" >"$tmp/out.txt" 2>&1; then
    # promtool exits non-zero for lint warnings too; real parse errors say "error while linting"
    if grep -q "error while linting" "$tmp/out.txt"; then
        echo "FAIL: Prometheus text rejected by promtool"; cat "$tmp/out.txt"; fail=1
    else
        echo "note: promtool lint remarks:"; cat "$tmp/out.txt"
    fi
fi
if [ "$(wc -l <"$tmp/prom.txt")" -lt 20 ]; then
    echo "FAIL: exposition too short"; fail=1
fi

"$DUMPER" --dump-om >"$tmp/om.txt" || fail=1
tail -n1 "$tmp/om.txt" | grep -qx '# EOF' || { echo "FAIL: OpenMetrics text does not end with # EOF"; fail=1; }

if ! promtool check rules "$SRC_DIR/docs/monitoring/alerts.yml"; then
    echo "FAIL: alert rules rejected"; fail=1
fi
# the rules' own unit tests (which alerts fire on which series, and which must not)
if ! (cd "$SRC_DIR/docs/monitoring" && promtool test rules alerts_test.yml); then
    echo "FAIL: alert rule tests"; fail=1
fi
# every state an alert names is a state of the default table (an alert written against a state
# the table does not have silently fires, or never does)
states=$(sed -n '/^states:/,/^[a-z]/p' "$SRC_DIR/tables/default.yaml" | sed -n 's/^  \([A-Za-z][A-Za-z0-9_]*\):.*/\1/p')
for s in $(grep -o 'state[!=]~*"[^"]*"' "$SRC_DIR/docs/monitoring/alerts.yml" | sed 's/^[^"]*"//; s/"$//' | tr '|' ' '); do
    printf '%s\n' "$states" | grep -qx "$s" || { echo "FAIL: alerts.yml names state $s, not in tables/default.yaml"; fail=1; }
done
exit $fail
