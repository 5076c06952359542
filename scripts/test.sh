#!/usr/bin/env bash
# test: installs what is missing, checks the C sources' formatting (scripts/format.sh --check),
# then builds and runs the whole suite twice: a normal build with warnings as errors (unit, fuzz
# replay, CLI, SIPp wire and backend tests), then an ASan+UBSan build of the same suite. Exits
# non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
start=$(date +%s)

step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "dependencies"
scripts/deps.sh test

step "formatting (clang-format)"
scripts/format.sh --check

step "build (warnings are errors)"
cmake -S . -B build -DSC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" >/dev/null

# Wire tests run real daemons and SIPp on a shared machine, so a test that fails is run once more
# (--repeat until-pass:2): a real defect fails both times and fails the run; each retry is logged.
# The names of the tests that passed only on their retry are listed after each run: each one is
# a defect to find, not noise.
ctest_all() {
  local log rc
  log=$(mktemp)
  ctest -j"$jobs" --output-on-failure --repeat until-pass:2 "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  retried=$(sed -nE 's/.*Test +#[0-9]+: ([^ ]+) \.+\*\*\*.*/\1/p' "$log" | sort -u |
    while read -r t; do if grep -qE "Test +#[0-9]+: $t \.+ +Passed" "$log"; then echo "$t"; fi; done) || true
  if [ -n "$retried" ]; then
    echo "passed only on retry (defects to fix):"
    printf '  %s\n' $retried
  fi
  rm -f "$log"
  return "$rc"
}

step "test suite"
(cd build && ctest_all --timeout 300)

step "build with AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DSC_WERROR=ON -DSC_SANITIZE=ON -DSC_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null

step "test suite under sanitizers"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest_all --timeout 600)

step "valgrind (unit tests)"
# Each unit-test program under valgrind: any memory error or definite leak fails the run. Like the
# suite, a program that fails is run once more (valgrind slows the media tests' real-time loops).
find build/tests -maxdepth 1 -type f -name 'unit_*' -perm -u+x -print0 | sort -z |
  xargs -0 -P"$jobs" -I{} sh -c 'vg() { valgrind -q --error-exitcode=1 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite "$1" >/dev/null 2>"$1.valgrind.log"; }
    vg "$1" || vg "$1" ||
    { echo "valgrind: $1 failed:"; cat "$1.valgrind.log"; exit 1; }' _ {}

step "all tests passed"
