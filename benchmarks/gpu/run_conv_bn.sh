#!/usr/bin/env bash
# Runs bench_conv_bn (seek fused vs unfused conv -> BN -> ReLU) and torch_conv_bn.py (PyTorch, cuDNN) on the
# same GPU and writes OUT/conv_bn_table.md (compare_conv_bn.py) plus each side's JSON and log.
#
#   benchmarks/gpu/run_conv_bn.sh BUILD_DIR OUT [options for both: --batch 256 --dtype bf16 --filter 56 ...]
#   env: PYTHON (python3 with PyTorch), SEEK_BENCH_LD_PATH (as run_gpu.sh)
# Exits with 2 when neither side found a GPU, 1 when anything else failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { sed -n 2,8p "$0" >&2; exit 1; }
BUILD=$1 OUT=$2
shift 2
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
rm -f "$OUT/conv_bn_seek.json" "$OUT/conv_bn_torch.json"
LD_LIBRARY_PATH="${SEEK_BENCH_LD_PATH:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$BUILD/benchmarks/gpu/bench_conv_bn" --json "$OUT/conv_bn_seek.json" "$@" 2>&1 | tee "$OUT/conv_bn_seek.log"
rs=${PIPESTATUS[0]}
"$PYTHON" "$ROOT/benchmarks/gpu/torch_conv_bn.py" --json "$OUT/conv_bn_torch.json" "$@" 2>&1 |
  tee "$OUT/conv_bn_torch.log"
rt=${PIPESTATUS[0]}
rc=1
if [ -f "$OUT/conv_bn_seek.json" ]; then
  "$PYTHON" "$ROOT/benchmarks/gpu/compare_conv_bn.py" "$OUT/conv_bn_seek.json" "$OUT/conv_bn_torch.json" \
    >"$OUT/conv_bn_table.md"
  rc=$?
  cat "$OUT/conv_bn_table.md"
fi
echo "conv_bn bench: seek exit $rs, torch exit $rt, table exit $rc"
[ "$rs" -eq 2 ] && [ "$rt" -eq 2 ] && exit 2
[ "$rs" -eq 0 ] && [ "$rt" -eq 0 ] && [ "$rc" -eq 0 ]
