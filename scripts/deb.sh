#!/usr/bin/env bash
# deb: builds the Debian packages (sessiond, libsessioncore0, libsessioncore-dev) from this tree
# (the committed tree) with dpkg-buildpackage, checks them with lintian (no errors allowed) and
# their contents, and unpacks them together into a scratch root where sessiond runs. Usage:
# scripts/deb.sh [OUTDIR] (default: ../session-core-debs). Installs debhelper, lintian and the
# build dependencies when missing (as root). Takes a few minutes: not part of scripts/test.sh.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/../session-core-debs}
"$SRC/scripts/deps.sh" build
for p in debhelper lintian fakeroot dpkg-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    { [ "$(id -u)" = 0 ] && apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# the committed tree (git archive: no build directories, nothing uncommitted)
mkdir -p "$WORK/pkg"
git -C "$SRC" archive --format=tar HEAD | tar -C "$WORK/pkg" -xf -
cd "$WORK/pkg"
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1 ||
  { tail -n 40 "$WORK/build.log"; echo "deb: dpkg-buildpackage failed"; exit 1; }
mkdir -p "$OUT"
cp "$WORK"/*.deb "$WORK"/*.changes "$OUT/"
echo "deb: built $(cd "$OUT" && ls ./*.deb | tr '\n' ' ')"
lintian --no-tag-display-limit "$WORK"/*.changes >"$WORK/lintian.log" 2>&1 || true
if grep -q '^E: ' "$WORK/lintian.log"; then
  grep "^E: " "$WORK/lintian.log"; echo "deb: lintian errors"; exit 1
fi
grep "^W: " "$WORK/lintian.log" || true
echo "deb: lintian: no error"
# contents: what each package must hold
want() {
  dpkg-deb -c "$OUT/$1"_*.deb >"$WORK/contents.txt"
  grep -q -- "$2" "$WORK/contents.txt" || { echo "deb: $1 lacks $2"; exit 1; }
}
want sessiond ./usr/bin/sessiond
want sessiond ./usr/bin/sessionctl
want sessiond ./lib/systemd/system/sessiond.service
want sessiond ./etc/sessiond/sessiond.yaml
want sessiond ./usr/share/man/man8/sessiond.8
want sessiond ./usr/share/bash-completion/completions/sessionctl
want libsessioncore0 'libsessioncore.so.0'
want libsessioncore-dev ./usr/include/session_core/coord.h
want libsessioncore-dev 'sessioncore.pc'
want libsessioncore-dev 'sessioncoreConfig.cmake'
# they unpack together into a scratch root, and the daemon there runs
ROOT="$WORK/root"
mkdir -p "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/info"
touch "$ROOT/var/lib/dpkg/status"
for d in "$OUT"/libsessioncore0_*.deb "$OUT"/sessiond_*.deb "$OUT"/libsessioncore-dev_*.deb; do
  dpkg-deb -x "$d" "$ROOT"
done
"$ROOT/usr/bin/sessiond" --version
echo "deb: ok ($OUT)"
