#!/bin/bash
# examples/embed (docs/embedding.md) built as a user would: `cmake --install` into a temporary
# prefix, the example compiled with `pkg-config --cflags --libs sessioncore` only (no path into
# the source tree), then run. It must exit 0 and show that the table's own names worked: the
# IsVip guard and the NotifyCrm action ran with the user data the host bound (the action
# suspended its run and the host's timer resumed it, setting a session variable), the engine
# observer and the bus subscription saw the call both ways (MediaStarted, the typed
# DtmfReceived with its digit, SessionEnded), and the host's CrmDone event ended the call.
set -u
BIN=${1:?usage: test_embed_example.sh BIN_DIR}
BUILD=${SC_BINARY_DIR:-$(dirname "$BIN")}
SRC=${SC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/out" ] && cat "$TMP/out"; exit 1; }
cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "cmake --install"; }
pc=$(find "$TMP/prefix" -name sessioncore.pc | head -1)
so=$(find "$TMP/prefix" -name 'libsessioncore.so' | head -1)
[ -n "$pc" ] && [ -n "$so" ] || fail "sessioncore.pc or libsessioncore.so not installed"
export PKG_CONFIG_PATH="$(dirname "$pc")"
extra=""
nm -D "$so" | grep -q __asan_init && extra="-fsanitize=address,undefined"
# shellcheck disable=SC2046,SC2086
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $extra "$SRC/examples/embed/host.c" -o "$TMP/host" \
  $(pkg-config --cflags --libs sessioncore) 2>"$TMP/cc.log" || { cat "$TMP/cc.log"; fail "host.c does not build against the installed library"; }

ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$(dirname "$so")" timeout 30 "$TMP/host" "$SRC/examples/embed/host.yaml" \
  >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/err" >>"$TMP/out"
[ $rc -eq 0 ] || fail "the example exited $rc"
expect() { grep -Eq "$1" "$TMP/out" || fail "no line matching: $1"; }
expect '^guard IsVip: caller sip:vip@127\.0\.0\.1, vip user .vip. -> true$'
expect '^action NotifyCrm: crm=demo-crm session=[0-9a-f]+ role=uac state=Calling \(run 1\)$'
[ "$(grep -c '^action NotifyCrm' "$TMP/out")" = 1 ] || fail "NotifyCrm did not run exactly once"
expect '^crm demo-crm answered for [0-9a-f]+: resume ok, state now Active$'
expect '^variable crm_ticket of [0-9a-f]+: T-1001$'
expect '^bus: MediaStarted uac codec=PCMU/8000 remote=127\.0\.0\.1:[0-9]+$'
expect '^bus: MediaStarted uas codec=PCMU/8000 remote=127\.0\.0\.1:[0-9]+$'
expect '^bus: DtmfReceived uas digit=7 duration_ms=[0-9]+$'
expect '"type":"CallEstablished"'
expect '^run: uac [0-9a-f]+ Active --CrmDone--> Terminating \(taken\)$'
expect '^run: uas [0-9a-f]+ Active --DialogBYE--> Terminated \(taken\)$'
expect '^bus: SessionEnded uac outcome=normal state=Terminated$'
expect '^bus: SessionEnded uas outcome=normal state=Terminated$'
expect '^summary: NotifyCrm ran 1 time\(s\) with crm=demo-crm, MediaStarted 2, DtmfReceived 1, sessions ended normally 2 of 2, runs observed [0-9]+: ok$'
grep -q '^FAILED' "$TMP/out" && fail "the example reported a failure"
echo "embed example: ok ($(grep -c '^run:' "$TMP/out") runs observed)"
