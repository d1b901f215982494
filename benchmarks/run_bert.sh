#!/usr/bin/env bash
# BERT masked-LM training throughput: seek (benchmarks/bench_bert.cpp) against PyTorch + transformers
# (benchmarks/torch_bert.py), alternating one window of each ROUNDS times on the same thread count, then the
# median tokens/s of each and their ratio (the table in docs/performance.md).
#
#   benchmarks/run_bert.sh [build-dir]     default <repo>/build (configured with -DSEEK_BENCHMARKS=ON)
#   env: THREADS (2), ROUNDS (3), CONFIG (mini), BATCH (16), SEQ (128), WARMUP (2), STEPS (3),
#        TORCH_PY (/work/torchref/bin/python: torch 1.13 with transformers), NO_BUILD=1
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
TORCH_PY=${TORCH_PY:-/work/torchref/bin/python}
OUT=$(mktemp -d)
args=(--config "${CONFIG:-mini}" --batch "${BATCH:-16}" --seq "${SEQ:-128}" --warmup "${WARMUP:-2}"
  --steps "${STEPS:-3}")
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  cmake --build "$BUILD" -j"$THREADS" --target bench_bert >"$OUT/build.log"
fi
for _ in $(seq 1 "$ROUNDS"); do
  OMP_NUM_THREADS=$THREADS "$BUILD/benchmarks/bench_bert" "${args[@]}" | tee -a "$OUT/seek.jsonl"
  OMP_NUM_THREADS=$THREADS "$TORCH_PY" "$ROOT/benchmarks/torch_bert.py" --threads "$THREADS" "${args[@]}" |
    tee -a "$OUT/torch.jsonl"
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def med(name):
    v = [json.loads(l)["tokens_per_s"] for l in open(f"{out}/{name}.jsonl")]
    return statistics.median(v), min(v), max(v), len(v)
s, t = med("seek"), med("torch")
print("| seek tokens/s | torch tokens/s | seek / torch | seek range | torch range | windows |")
print("|---:|---:|---:|---:|---:|---:|")
print(f"| {s[0]:.0f} | {t[0]:.0f} | {s[0] / t[0]:.2f} | {s[1]:.0f}-{s[2]:.0f} | {t[1]:.0f}-{t[2]:.0f} | {s[3]} |")
PY
