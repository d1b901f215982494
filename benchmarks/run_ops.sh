#!/usr/bin/env bash
# Builds bench_ops in its own build dir (Release, -DSEEK_BENCHMARKS=ON), runs it and
# benchmarks/torch_ops.py on the same workloads with the same thread count, and
# prints a markdown table (the one in docs/performance.md).
#
# seek and torch alternate for ROUNDS rounds so that both see the same machine
# load; each figure is the median over rounds of the per-round median.
#
#   benchmarks/run_ops.sh [build-dir]        default build dir: <repo>/build-bench
#   env: PYTHON (the interpreter with torch; /usr/bin/python3), THREADS (2), ROUNDS (3),
#        REPS (3 repetitions per round), MIN_TIME (0.2 s per repetition), EXTRA_CMAKE (e.g.
#        "-DSEEK_BLAS=Eigen"), OUT (raw results; <build>/results),
#        FILTER (regex: only the seek workloads whose names match, e.g. "Conv"; the table lists
#        only those; torch still runs all of its workloads)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-3}
MIN_TIME=${MIN_TIME:-0.2}
OUT=${OUT:-$BUILD/results}
mkdir -p "$OUT"
rm -f "$OUT"/seek_*.json "$OUT"/torch_*.json

# shellcheck disable=SC2086
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_BENCHMARKS=ON -DSEEK_TESTS=OFF \
  -DSEEK_EXAMPLES=OFF -DSEEK_PYTHON=OFF -DSEEK_CUDA=OFF ${EXTRA_CMAKE:-} >"$OUT/cmake.log"
ninja -C "$BUILD" -j"$THREADS" bench_ops >"$OUT/build.log"
grep -E "seek: GEMM" "$OUT/cmake.log" || true

for r in $(seq 1 "$ROUNDS"); do
  OMP_NUM_THREADS=$THREADS "$BUILD/benchmarks/bench_ops" --benchmark_repetitions="$REPS" \
    --benchmark_min_time="$MIN_TIME" --benchmark_report_aggregates_only=true --benchmark_filter="${FILTER:-.}" \
    --benchmark_out="$OUT/seek_$r.json" --benchmark_out_format=json >"$OUT/seek_$r.txt" 2>&1
  "${PYTHON:-/usr/bin/python3}" "$ROOT/benchmarks/torch_ops.py" --threads "$THREADS" --repeats "$((REPS * 3))" \
    --min-time "$(/usr/bin/python3 -c "print($REPS * $MIN_TIME)")" >"$OUT/torch_$r.json"
done

/usr/bin/python3 - "$OUT" "$ROUNDS" "${FILTER:-.}" <<'PY'
import json, re, statistics, sys

out, rounds, name_filter = sys.argv[1], int(sys.argv[2]), sys.argv[3]
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
seek_runs, torch_runs = [], []
for r in range(1, rounds + 1):
    run = {}
    for b in json.load(open(f"{out}/seek_{r}.json"))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            run[b["run_name"].replace("/real_time", "")] = b["real_time"] * scale[b["time_unit"]]
    seek_runs.append(run)
    torch_runs.append(json.load(open(f"{out}/torch_{r}.json")))
meta = torch_runs[0]
names = [n for n in meta if not n.startswith("_") and re.search(name_filter, n)]

def med(runs, name):
    vals = [(r[name]["time_s"] if isinstance(r[name], dict) else r[name]) for r in runs if name in r]
    return (statistics.median(vals), min(vals), max(vals)) if vals else None

def label(name):
    kind, *args = name.split("/")
    if kind == "BM_Matmul":
        return f"matmul f32 {args[0]}x{args[0]} @ {args[0]}x{args[0]}"
    if kind == "BM_Add":
        return f"a + b f32, {int(args[0]) >> 20}M elements"
    if kind == "BM_AddInplace":
        return f"a.add_(b) f32, {int(args[0]) >> 20}M elements"
    if kind == "BM_Softmax":
        return f"softmax f32 {args[0]}x{args[1]}, dim -1"
    if kind == "BM_Conv2d":
        return f"conv2d f32 3x3 pad 1, [128, {args[0]}, {args[1]}, {args[1]}] -> {args[0]} channels"
    if kind == "BM_Conv2dBackward":
        return f"conv2d f32 forward + backward (input, weight), [128, {args[0]}, {args[1]}, {args[1]}]"
    if kind == "BM_SiluBackward":
        return f"silu f32 forward + backward, {int(args[0]) >> 20}M elements"
    if kind == "BM_GeluBackward":
        return f"gelu (erf) f32 forward + backward, {int(args[0]) >> 20}M elements"
    if kind == "BM_Copy":
        return f"dst.copy_(src) f32, {int(args[0]) >> 20}M elements"
    return name

copy = next(n for n in meta if n.startswith("BM_Copy/"))
seek_copy, torch_copy = med(seek_runs, copy), med(torch_runs, copy)
print("| workload | seek | torch | torch/seek | seek throughput | torch throughput | seek / seek copy bw | torch / torch copy bw |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
spread = []
for name in names:
    s, t = med(seek_runs, name), med(torch_runs, name)
    if s is None:
        print(f"| {label(name)} | (not run) | {t[0] * 1e3:.3f} ms | | | | | |")
        continue
    work = meta[name]
    if "flops" in work:
        st, tt = f"{work['flops'] / s[0] / 1e9:.1f} GFLOP/s", f"{work['flops'] / t[0] / 1e9:.1f} GFLOP/s"
    else:
        st, tt = f"{work['bytes'] / s[0] / 1e9:.2f} GB/s", f"{work['bytes'] / t[0] / 1e9:.2f} GB/s"
    frac_s = frac_t = ""
    if name.startswith(("BM_Add", "BM_Softmax")) and seek_copy:
        # bandwidth of this op / bandwidth of the copy, both in bytes moved per second
        frac_s = f"{(work['bytes'] / s[0]) / (meta[copy]['bytes'] / seek_copy[0]):.2f}"
        frac_t = f"{(work['bytes'] / t[0]) / (meta[copy]['bytes'] / torch_copy[0]):.2f}"
    print(f"| {label(name)} | {s[0] * 1e3:.3f} ms | {t[0] * 1e3:.3f} ms | {t[0] / s[0]:.2f} | {st} | {tt} "
          f"| {frac_s} | {frac_t} |")
    spread.append(f"{label(name)}: seek {s[1] * 1e3:.3g}-{s[2] * 1e3:.3g} ms, torch {t[1] * 1e3:.3g}-{t[2] * 1e3:.3g} ms")
print(f"\nRange over the {rounds} rounds (min-max of the per-round medians):\n")
for line in spread:
    print(f"- {line}")
PY
