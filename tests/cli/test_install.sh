#!/bin/bash
# `cmake --install` puts the library, headers, pkg-config file, programs and default table in a
# prefix, and a program built with `pkg-config sessioncore` against the installed shared library
# (only exported symbols visible) loads the installed default table and runs a call through it.
set -u
BIN=${1:?usage: test_install.sh BIN_DIR}
BUILD=${SC_BINARY_DIR:-$(dirname "$BIN")}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; exit 1; }
P="$TMP/prefix"
for f in bin/sessiond bin/sessionctl include/session_core/engine.h share/session-core/tables/default.yaml; do
  [ -e "$P/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$P" -name sessioncore.pc | head -1)
[ -n "$pc" ] || { echo "FAIL: sessioncore.pc not installed"; exit 1; }
so=$(find "$P" -name 'libsessioncore.so*' | head -1)
[ -n "$so" ] || { echo "FAIL: shared library not installed"; exit 1; }
[ -n "$(find "$P" -name libsessioncore.a)" ] || { echo "FAIL: static library not installed"; exit 1; }
# internal symbols stay hidden in the shared library
if nm -D --defined-only "$so" | grep -q ' sc_engine__'; then echo "FAIL: internal symbols exported"; exit 1; fi

cat >"$TMP/app.c" <<'C'
#include <session_core/engine.h>
#include <stdio.h>
static int noop(const sc_exec *x) { (void)x; return 0; }
static bool no(const sc_exec *x) { (void)x; return false; }
int main(int argc, char **argv)
{
    sc_vocab *v; sc_store *st; sc_engine *e; sc_table *t; sc_session *s;
    if (argc < 2 || sc_vocab_new(&v) || sc_store_new(&st, NULL) || sc_engine_new(&e, v, st, NULL))
        return 1;
    if (sc_table_load_file(&t, argv[1], v, NULL)) return 2;
    for (size_t i = 0; i < sc_vocab_count(v, SC_VOCAB_ACTION); i++)
        sc_engine_bind_action(e, sc_vocab_name(v, SC_VOCAB_ACTION, (sc_id)i), noop, NULL);
    for (size_t i = 0; i < sc_vocab_count(v, SC_VOCAB_GUARD); i++)
        sc_engine_bind_guard(e, sc_vocab_name(v, SC_VOCAB_GUARD, (sc_id)i), no, NULL);
    if (sc_engine_set_table(e, t, NULL)) return 3;
    if (sc_engine_create_session(e, SC_ROLE_UAS, "demo", &s)) return 4;
    sc_id evs[] = {SC_EV_IncomingCall, SC_EV_AcceptCall, SC_EV_DialogACK, SC_EV_DialogBYE};
    for (size_t i = 0; i < 4; i++)
        if (sc_engine_dispatch_simple(e, s, evs[i], 0, NULL) != 0) return 5;
    printf("%s\n", sc_session_state_name(s));
    sc_table_unref(t);
    sc_engine_free(e);
    sc_store_free(st);
    sc_vocab_free(v);
    return 0;
}
C
extra=""
nm -D "$so" | grep -q __asan_init && extra="-fsanitize=address,undefined"
export PKG_CONFIG_PATH="$(dirname "$pc")"
# shellcheck disable=SC2046
cc -std=c11 $extra "$TMP/app.c" -o "$TMP/app" $(pkg-config --cflags --libs sessioncore) 2>"$TMP/cc.log" ||
  { echo "FAIL: compile against the installed library:"; cat "$TMP/cc.log"; exit 1; }
out=$(ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$(dirname "$so")" "$TMP/app" "$P/share/session-core/tables/default.yaml"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "Terminated" ] || { echo "FAIL: app rc=$rc out=$out"; exit 1; }
echo "install: ok ($out)"
