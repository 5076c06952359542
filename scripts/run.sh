#!/usr/bin/env bash
# run: installs what is missing, builds, and runs sessiond on its embedded defaults
# (SIP on udp:127.0.0.1:5060, HTTP on 127.0.0.1:8080). Extra arguments go to sessiond.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target sessiond sessionctl >/dev/null
exec build/bin/sessiond "$@"
