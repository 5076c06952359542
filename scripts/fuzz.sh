#!/usr/bin/env bash
# fuzz: builds the libFuzzer targets (clang, -DSC_FUZZ=ON, into build-fuzz) and runs each for a
# while, one at a time, on its seed corpus. Usage: scripts/fuzz.sh [MINUTES] [TARGET...]
# (MINUTES defaults to 1, the targets to every fuzz/fuzz_*.c; a target is named without the
# fuzz_ prefix: sip, sdp, digest...). The corpus in fuzz/corpus/<target> is only read: the new
# inputs a run finds go to build-fuzz/fuzz-out/<target>/new, crashes (and leaks, timeouts,
# out-of-memory inputs) to build-fuzz/fuzz-out/<target>/crashes, with the log beside them.
# Where a network namespace can be made, each run is inside one (unshare -n: loopback only,
# and down), so nothing a target does can leave the machine. Exits 1 when anything was found.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
minutes=1
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    minutes=$1
    shift
fi
[ "$minutes" -ge 1 ] || { echo "fuzz: MINUTES must be at least 1" >&2; exit 2; }
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$root"/fuzz/fuzz_*.c; do
        t=$(basename "$f" .c)
        targets+=("${t#fuzz_}")
    done
fi
for t in "${targets[@]}"; do
    [ -f "$root/fuzz/fuzz_$t.c" ] || { echo "fuzz: no target '$t' (fuzz/fuzz_$t.c)" >&2; exit 2; }
done

"$root/scripts/deps.sh" fuzz
build="$root/build-fuzz"
CC=clang cmake -S "$root" -B "$build" -DSC_FUZZ=ON -DSC_TESTS=OFF -DSC_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

jail=()
if command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
    jail=(unshare -n)
else
    echo "fuzz: cannot create a network namespace: running without one" >&2
fi

# undefined behaviour stops the run like a crash (UBSan alone would print and go on)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export ASAN_OPTIONS=detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
found=0
summary=()
for t in "${targets[@]}"; do
    out="$build/fuzz-out/$t"
    mkdir -p "$out/new" "$out/crashes"
    log="$out/fuzz.log"
    echo "fuzz: $t for $minutes min (log $log)"
    # -jobs=1: libFuzzer runs the target in a child and writes its output to fuzz-0.log in the
    # working directory; the run ends after max_total_time or at the first crash.
    (cd "$out" && rm -f fuzz-0.log &&
        "${jail[@]}" "$build/fuzz/fuzz_$t" -jobs=1 -workers=1 -max_total_time=$((minutes * 60)) -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/" "$out/new" \
            "$root/fuzz/corpus/$t" </dev/null >/dev/null 2>&1) || true
    mv -f "$out/fuzz-0.log" "$log" 2>/dev/null || true
    stats=$(grep -E '^#[0-9]+' "$log" 2>/dev/null | tail -1 || true)
    crashes=$(find "$out/crashes" -type f | wc -l)
    fresh=$(find "$out/new" -type f | wc -l)
    summary+=("$t: ${stats:-no stats (see the log)}; $fresh new inputs; $crashes crashes")
    if [ "$crashes" -gt 0 ]; then
        found=1
        find "$out/crashes" -type f | sed 's/^/  crash: /'
        grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error' \
            "$log" | sed 's/^/  /' || true
    fi
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [ "$found" -ne 0 ]; then
    echo "fuzz: crashes found: reproduce with build-fuzz/fuzz/fuzz_TARGET FILE, minimise with -minimize_crash=1," >&2
    echo "      fix, and add the input to fuzz/corpus/TARGET (replayed by ctest -L fuzz)" >&2
    exit 1
fi
