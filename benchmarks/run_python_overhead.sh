#!/usr/bin/env bash
# Overhead of seek's Python layer against PyTorch (benchmarks/python_overhead.py): builds
# seek._C and bench_train (for the C++ MLP step) in one build dir, then runs the script,
# which alternates seek and torch windows in one process and prints the markdown table
# of docs/performance.md ("Python overhead").
#
#   benchmarks/run_python_overhead.sh [build-dir]    default build dir: <repo>/build-bench-py
#   env: THREADS (2), WINDOWS (7), NUMBER (20000 small-op calls per window),
#        STEPS (10 MLP steps per window), EXTRA_CMAKE, NO_BUILD=1 to reuse the build,
#        NO_CPP=1 to skip the C++ MLP step (and the Google Benchmark dependency of
#        SEEK_BENCHMARKS).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench-py}
THREADS=${THREADS:-2}
WINDOWS=${WINDOWS:-7}
NUMBER=${NUMBER:-20000}
STEPS=${STEPS:-10}
OUT=${OUT:-$BUILD/python-overhead}
mkdir -p "$OUT"

targets=(_C)
bench=(-DSEEK_BENCHMARKS=ON)
if [[ "${NO_CPP:-0}" == 1 ]]; then bench=(); else targets+=(bench_train); fi
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  # shellcheck disable=SC2086
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_PYTHON=ON -DSEEK_CUDA=OFF \
    -DPython3_EXECUTABLE=/usr/bin/python3 "${bench[@]}" ${EXTRA_CMAKE:-} >"$OUT/cmake.log"
  ninja -C "$BUILD" -j"$THREADS" "${targets[@]}" >"$OUT/build.log"
fi

cpp=()
if [[ "${NO_CPP:-0}" != 1 ]]; then cpp=(--bench-train "$BUILD/benchmarks/bench_train"); fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
OMP_NUM_THREADS=$THREADS PYTHONPATH="$BUILD/python" /usr/bin/python3 "$ROOT/benchmarks/python_overhead.py" \
  --threads "$THREADS" --windows "$WINDOWS" --number "$NUMBER" --steps "$STEPS" "${cpp[@]}" \
  --json "$OUT/windows.json"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
