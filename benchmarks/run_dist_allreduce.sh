#!/usr/bin/env bash
# all_reduce bus bandwidth of seek's MPI process group against MPI_Allreduce itself, 1 KiB to 256 MiB of
# float32, under mpirun on this machine (benchmarks/bench_dist_allreduce.cpp); prints the markdown table of
# docs/performance.md.
#
#   benchmarks/run_dist_allreduce.sh [build-dir]     default build dir: <repo>/build (any configured build:
#                                                    the script turns SEEK_BENCHMARKS on and builds one target)
#   env: NP (2 processes), MAX_MIB (256), ROUNDS (5), MPIRUN_ARGS (extra mpirun flags)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
NP=${NP:-2}
cmake -S "$ROOT" -B "$BUILD" -DSEEK_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" --target bench_dist_allreduce >/dev/null
# Open MPI refuses to run as root without these; --oversubscribe allows NP above the core count.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
mpirun --oversubscribe -np "$NP" ${MPIRUN_ARGS:-} "$BUILD/benchmarks/bench_dist_allreduce" \
  --max-mib "${MAX_MIB:-256}" --rounds "${ROUNDS:-5}"
