#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) against a main build's
# libseek.so and runs each for a while on its seed corpus (fuzz/corpus/<name>); a crash,
# sanitizer report or leak fails the script and leaves the input as <build>/fuzz/crash-*.
# Usage: scripts/fuzz.sh [main build dir] [seconds per target]   (default: build 30)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
secs=${2:-30}
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (scripts/install_deps.sh installs clang)"; exit 1; }
cmake -S fuzz -B "$build/fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSEEK_BUILD_DIR="$build" >/dev/null
cmake --build "$build/fuzz" -j "$(nproc)"
for t in json safetensors pth manifest; do
  work=$(mktemp -d)
  cp fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  echo "fuzz_$t: ${secs}s"
  (cd "$build/fuzz" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ./fuzz_$t -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    "$work" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done" || true
   test "${PIPESTATUS[0]}" -eq 0) || { echo "fuzz_$t FAILED (input saved in $build/fuzz)"; rm -rf "$work"; exit 1; }
  rm -rf "$work"
done
