#!/bin/bash
# `cmake --install` puts the library, headers, pkg-config file, programs and default table in a
# prefix, and two programs built with `pkg-config sessioncore` flags only against the installed
# shared library (only exported symbols visible) run: one loads the installed default table and
# runs a call through the engine; one starts the coordinator (session_core/coord.h, which includes
# <uv.h> and <jansson.h>, so the .pc file must give their flags and libraries) on a libuv loop.
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
# man pages (cmake/man.cmake) and the bash completion of sessionctl
for f in share/man/man8/sessiond.8 share/man/man1/sessionctl.1 share/man/man5/sessiond.conf.5 \
  share/man/man5/sessioncore-table.5 share/bash-completion/completions/sessionctl; do
  [ -s "$P/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
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
cat >"$TMP/coord_app.c" <<'C'
#include <session_core/coord.h>
#include <arpa/inet.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    uv_loop_t loop;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    sc_coord *c = NULL;
    json_t *list = NULL;
    struct sockaddr_storage ss;
    if (argc < 2 || uv_loop_init(&loop) != 0 || sc_vocab_new(&v) != 0) { puts("setup failed"); return 1; }
    int rc = sc_table_load_file(&t, argv[1], v, NULL);
    if (rc) { printf("table %s: %s\n", argv[1], sc_strerror(rc)); return 2; }
    sc_coord_config cfg;
    sc_coord_config_default(&cfg);
    cfg.loop = &loop;
    cfg.table = t;
    cfg.listen[0] = "udp:127.0.0.1:0";
    cfg.nlisten = 1;
    rc = sc_coord_new(&c, &cfg);
    if (rc) { printf("sc_coord_new: %d (%s)\n", rc, sc_strerror(rc)); return 3; }
    if (sc_coord_session_count(c) != 0) { printf("sc_coord_session_count: %zu\n", sc_coord_session_count(c)); return 4; }
    if (sc_coord_sessions(c, &list) != 0 || json_array_size(list) != 0) { puts("sc_coord_sessions: not an empty array"); return 5; }
    json_decref(list);
    if (sc_coord_listener_addr(c, 0, &ss) != 0 || ss.ss_family != AF_INET) { puts("no udp listener"); return 6; }
    unsigned port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    sc_coord_free(c);
    sc_table_unref(t);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) { puts("uv_loop_close: handles left open"); return 7; }
    sc_vocab_free(v);
    printf("sessions=0 port=%u\n", port);
    return port ? 0 : 8;
}
C

extra=""
nm -D "$so" | grep -q __asan_init && extra="-fsanitize=address,undefined"
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --cflags --libs sessioncore) || { echo "FAIL: pkg-config --cflags --libs sessioncore"; exit 1; }
for mod in libuv jansson; do
  pkg-config --print-requires sessioncore | grep -qw "$mod" ||
    { echo "FAIL: sessioncore.pc: Requires lacks $mod (a public header includes it)"; exit 1; }
done
table="$P/share/session-core/tables/default.yaml"
# build NAME: compile $TMP/NAME.c with the pkg-config flags only (no path into the source tree)
# and the options in $2 (<uv.h> declares POSIX types, so strict ISO C needs POSIX asked for).
build() {
  # shellcheck disable=SC2086
  cc -std=c11 ${2:-} $extra "$TMP/$1.c" -o "$TMP/$1" $flags 2>"$TMP/$1.cc.log" ||
    { echo "FAIL: $1.c does not build against the installed library with: $flags"; cat "$TMP/$1.cc.log"; exit 1; }
}
run() { ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$(dirname "$so")" "$TMP/$1" "$table"; }

build app
out=$(run app); rc=$?
[ $rc -eq 0 ] && [ "$out" = "Terminated" ] || { echo "FAIL: app (engine) rc=$rc out=$out"; exit 1; }

build coord_app -D_POSIX_C_SOURCE=200809L
cout=$(run coord_app); rc=$?
[ $rc -eq 0 ] || { echo "FAIL: coord_app (coordinator) rc=$rc: $cout"; exit 1; }
# the coordinator came from the installed library, not from a copy linked into the program
LD_LIBRARY_PATH="$(dirname "$so")" ldd "$TMP/coord_app" >"$TMP/ldd.log" 2>&1
grep -q "=> $(dirname "$so")/libsessioncore.so" "$TMP/ldd.log" ||
  { echo "FAIL: coord_app is not linked against the installed libsessioncore.so"; cat "$TMP/ldd.log"; exit 1; }

# every installed header compiles alone in strict ISO C (POSIX asked for: <uv.h> needs it)
for h in "$P"/include/session_core/*.h; do
  # shellcheck disable=SC2046
  printf '#include <session_core/%s>\nint main(void) { return 0; }\n' "$(basename "$h")" |
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -pedantic -Werror -fsyntax-only -x c - \
      $(pkg-config --cflags sessioncore) 2>"$TMP/hdr.log" ||
    { echo "FAIL: $(basename "$h") does not compile alone with -std=c11 -pedantic"; cat "$TMP/hdr.log"; exit 1; }
done
# version.h: the project's version
ver=$(printf '#include <session_core/version.h>\nSC_VERSION_STRING SC_VERSION_MAJOR SC_VERSION_MINOR SC_VERSION_PATCH\n' |
  cc -E -P -x c - $(pkg-config --cflags sessioncore) | tail -n 1)
pcver=$(pkg-config --modversion sessioncore)
[ "$ver" = "\"$pcver\" $(echo "$pcver" | tr . ' ')" ] ||
  { echo "FAIL: version.h says $ver, sessioncore.pc $pcver"; exit 1; }

# find_package(sessioncore): a CMake project builds the coordinator program against the
# installed shared library's imported target
mkdir -p "$TMP/cmk"
cp "$TMP/coord_app.c" "$TMP/cmk/"
cat >"$TMP/cmk/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(sessioncore 0.1 REQUIRED)
add_executable(coord_app coord_app.c)
target_compile_definitions(coord_app PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(coord_app PRIVATE sessioncore::sessioncore)
CM
if [ -z "$extra" ]; then
  cmake -S "$TMP/cmk" -B "$TMP/cmk/build" -DCMAKE_PREFIX_PATH="$P" >"$TMP/cmk.log" 2>&1 &&
    cmake --build "$TMP/cmk/build" >>"$TMP/cmk.log" 2>&1 ||
    { echo "FAIL: find_package(sessioncore) project does not build"; tail -n 30 "$TMP/cmk.log"; exit 1; }
  kout=$(LD_LIBRARY_PATH="$(dirname "$so")" "$TMP/cmk/build/coord_app" "$table") ||
    { echo "FAIL: the find_package build of coord_app: $kout"; exit 1; }
fi
echo "install: ok (engine: $out; coordinator: $cout; headers alone; version $ver; find_package)"
