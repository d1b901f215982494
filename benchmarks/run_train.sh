#!/usr/bin/env bash
# Training throughput of seek (benchmarks/bench_train.cpp) against PyTorch
# (benchmarks/torch_train.py) on the same models, data sizes and thread count.
# Builds bench_train in its own build dir, then for each model alternates one timed
# window of seek and one of torch, ROUNDS times, so that both see the same machine
# load, and prints a markdown table (the one in docs/performance.md): median
# images/s over the windows, the min-max range, and seek/torch of the medians.
#
#   benchmarks/run_train.sh [build-dir]        default build dir: <repo>/build-bench
#   env: THREADS (2), ROUNDS (5), WARMUP (3 steps per process), STEPS (per window: 5),
#        MODELS ("resnet20 mlp cnn"), BATCH (128), EXTRA_CMAKE, OUT (<build>/train-results),
#        NO_BUILD=1 to reuse an existing bench_train.
# OMP_WAIT_POLICY and the like are passed through to both processes unchanged.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-3}
STEPS=${STEPS:-5}
BATCH=${BATCH:-128}
MODELS=${MODELS:-"resnet20 mlp cnn"}
OUT=${OUT:-$BUILD/train-results}
mkdir -p "$OUT"
rm -f "$OUT"/*.jsonl

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  # shellcheck disable=SC2086
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_BENCHMARKS=ON -DSEEK_CUDA=OFF \
    ${EXTRA_CMAKE:-} >"$OUT/cmake.log"
  ninja -C "$BUILD" -j"$THREADS" bench_train >"$OUT/build.log"
fi

common=(--batch "$BATCH" --warmup "$WARMUP" --steps "$STEPS")
for r in $(seq 1 "$ROUNDS"); do
  for m in $MODELS; do
    OMP_NUM_THREADS=$THREADS "$BUILD/benchmarks/bench_train" --model "$m" "${common[@]}" >>"$OUT/seek.jsonl"
    OMP_NUM_THREADS=$THREADS /usr/bin/python3 "$ROOT/benchmarks/torch_train.py" --model "$m" --threads "$THREADS" \
      "${common[@]}" >>"$OUT/torch.jsonl"
  done
done

/usr/bin/python3 - "$OUT" "$MODELS" <<'PY'
import json, statistics, sys

out, models = sys.argv[1], sys.argv[2].split()
def load(name):
    runs = {}
    for line in open(f"{out}/{name}.jsonl"):
        r = json.loads(line)
        runs.setdefault(r["model"], []).append(r["images_per_s"])
    return runs
seek, torch = load("seek"), load("torch")
label = {"resnet20": "ResNet-20 (1x28x28), SGD nesterov", "mlp": "MLP 784-512-512-10, Adam",
         "cnn": "CNN conv32-pool-conv64-pool-fc128-fc10, SGD"}
print("| model (batch 128) | seek images/s | torch images/s | seek / torch | seek range | torch range | windows |")
print("|---|---:|---:|---:|---:|---:|---:|")
for m in models:
    s, t = seek[m], torch[m]
    ms, mt = statistics.median(s), statistics.median(t)
    print(f"| {label.get(m, m)} | {ms:.0f} | {mt:.0f} | {ms / mt:.2f} | {min(s):.0f}-{max(s):.0f} "
          f"| {min(t):.0f}-{max(t):.0f} | {len(s)} |")
PY
