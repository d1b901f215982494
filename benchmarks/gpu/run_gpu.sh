#!/usr/bin/env bash
# Runs bench_gpu (seek) and torch_gpu.py (PyTorch) one after the other on the same GPU and
# writes OUT/table.md (compare_gpu.py), plus each side's JSON and log.
#
#   benchmarks/gpu/run_gpu.sh BUILD_DIR OUT [options for both: --mib 64 --runs 15 --filter copy ...]
#   env: PYTHON (python3: the one with PyTorch), SEEK_BENCH_LD_PATH (prepended to LD_LIBRARY_PATH
#        for bench_gpu alone: where seek's dependencies live when they are not installed)
# BUILD_DIR is a CUDA build with -DSEEK_BENCHMARKS=ON (target bench_gpu); scripts/gpu_check.sh
# makes one. Exits with 2 when neither side found a GPU, 1 when anything else failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 1; }
BUILD=$1 OUT=$2
shift 2
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
rm -f "$OUT/seek.json" "$OUT/torch.json"
LD_LIBRARY_PATH="${SEEK_BENCH_LD_PATH:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$BUILD/benchmarks/gpu/bench_gpu" --json "$OUT/seek.json" "$@" 2>&1 | tee "$OUT/seek.log"
rs=${PIPESTATUS[0]}
"$PYTHON" "$ROOT/benchmarks/gpu/torch_gpu.py" --json "$OUT/torch.json" "$@" 2>&1 | tee "$OUT/torch.log"
rt=${PIPESTATUS[0]}
"$PYTHON" "$ROOT/benchmarks/gpu/compare_gpu.py" "$OUT/seek.json" "$OUT/torch.json" >"$OUT/table.md"
rc=$?
cat "$OUT/table.md"
echo "bench: seek exit $rs, torch exit $rt, table exit $rc"
[ "$rs" -eq 2 ] && [ "$rt" -eq 2 ] && exit 2
[ "$rs" -eq 0 ] && [ "$rt" -eq 0 ] && [ "$rc" -eq 0 ]
