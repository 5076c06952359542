#!/usr/bin/env bash
# deps: installs the Debian packages session-core needs that are missing (idempotent, quiet when
# nothing is missing). Usage: scripts/deps.sh build|test|fuzz
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config
  libuv1-dev libosip2-dev libyaml-dev libjansson-dev libsqlite3-dev libhiredis-dev libpq-dev
  libmicrohttpd-dev libsndfile1-dev libcmocka-dev libssl-dev libc-ares-dev
  libsrtp2-dev libopus-dev libspandsp-dev)
test_pkgs=(sip-tester redis-server postgresql graphviz curl procps valgrind clang-format iproute2 dnsmasq-base kamailio
  baresip-core python3)
# sessiond's systemd integration (sd_notify, the journal); systemd-analyze checks the unit
build_pkgs+=(libsystemd-dev)
# man pages: help2man (sessiond(8), sessionctl(1) from --help), scdoc (the section 5 pages)
build_pkgs+=(help2man scdoc)
# webhooks (src/coord/curl_uv.c): libcurl's multi interface on the libuv loop
build_pkgs+=(libcurl4-openssl-dev)
test_pkgs+=(systemd)
# the web inspector's test (tests/sip/test_ui.sh): headless Chromium, driven by playwright-core from npm
test_pkgs+=(chromium)
# scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes (only recommended by clang)
fuzz_pkgs=(clang libclang-rt-dev)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
  want+=("${test_pkgs[@]}")
  # The JSON Schema check runs ajv on Node.js; take Debian's only when no node is installed.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
fi
if [ "${1:-build}" = fuzz ]; then
  want+=("${fuzz_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
