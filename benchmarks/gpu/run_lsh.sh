#!/usr/bin/env bash
# Runs bench_lsh (seek's LSH attention) and torch_lsh.py (PyTorch flash SDPA and naive attention)
# one after the other on the same GPU and writes OUT/lsh_table.md (compare_lsh.py), plus each
# side's JSON and log.
#
#   benchmarks/gpu/run_lsh.sh BUILD_DIR OUT [options for both: --lengths 1024,4096 --runs 5 ...]
#   env: PYTHON (python3: the one with PyTorch), SEEK_BENCH_LD_PATH (prepended to LD_LIBRARY_PATH
#        for bench_lsh alone)
# Exits with 2 when neither side found a GPU, 1 when anything else failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { sed -n 2,9p "$0" >&2; exit 1; }
BUILD=$1 OUT=$2
shift 2
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
rm -f "$OUT/lsh_seek.json" "$OUT/lsh_torch.json"
LD_LIBRARY_PATH="${SEEK_BENCH_LD_PATH:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$BUILD/benchmarks/gpu/bench_lsh" --json "$OUT/lsh_seek.json" "$@" 2>&1 | tee "$OUT/lsh_seek.log"
rs=${PIPESTATUS[0]}
"$PYTHON" "$ROOT/benchmarks/gpu/torch_lsh.py" --json "$OUT/lsh_torch.json" "$@" 2>&1 | tee "$OUT/lsh_torch.log"
rt=${PIPESTATUS[0]}
"$PYTHON" "$ROOT/benchmarks/gpu/compare_lsh.py" "$OUT/lsh_seek.json" "$OUT/lsh_torch.json" >"$OUT/lsh_table.md"
rc=$?
cat "$OUT/lsh_table.md"
echo "bench_lsh: seek exit $rs, torch exit $rt, table exit $rc"
[ "$rs" -eq 2 ] && [ "$rt" -eq 2 ] && exit 2
[ "$rs" -eq 0 ] && [ "$rt" -eq 0 ] && [ "$rc" -eq 0 ]
