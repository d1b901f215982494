#!/usr/bin/env bash
# The GPU check: one command on a bare machine with one NVIDIA GPU (docs/cuda.md).
#
#   scripts/gpu_check.sh OUTDIR
#
# Builds seek for that GPU only (nvcc, no simulator), checks that seek sees the GPU,
# then, never stopping at a failing phase: (a) the tensor-core wrappers against the host
# reference (test_cuda --gtest_filter='TensorCore*'), (b) every CUDA test (test_cuda;
# test_backend's *cuda* cases), (c) compute-sanitizer memcheck and racecheck over test_cuda (a refusal such as
# "Device not supported" is reported, and the check goes on), (d) the GPU benchmarks next
# to PyTorch (benchmarks/gpu/run_gpu.sh; run_lsh.sh: LSH attention, SEEK_GPU_LSH_ARGS). Writes OUTDIR/summary.md (scripts/gpu_summary.py)
# and every raw log, and prints how long each phase took.
# Exit status: 0 all passed; 1 something failed; 2 no GPU visible (nothing was checked).
#
# The machine needs the CUDA toolkit, cmake, g++ and python3 (with PyTorch for the
# benchmark), and no network: seek's Debian dependencies come from .gpu-deps/, which
# scripts/gpu_deps.sh gathers on the development machine and which travels with the
# working tree. Where .gpu-deps/ is absent the system's packages are used.
# Environment: SEEK_GPU_ARCH (compute capability without the dot, e.g. 90; default: the
# GPU's, from nvidia-smi), SEEK_GPU_BUILD (build dir; <repo>/build-gpu), SEEK_GPU_DEPS
# (<repo>/.gpu-deps), SEEK_GPU_JOBS (all cores), SEEK_GPU_CMAKE_ARGS (extra configure
# arguments), SEEK_GPU_BENCH_ARGS (for both benchmark programs, e.g. "--mib 16"), PYTHON,
# SEEK_GPU_BUDGET (seconds for the whole check, 450; phases still running then time out).
# Last, issue 15's fused conv -> BN -> ReLU bench (benchmarks/gpu/run_conv_bn.sh; SEEK_GPU_CONVBN_ARGS).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ne 1 ]; then
  sed -n 2,23p "$0" >&2
  exit 1
fi
mkdir -p "$1" || exit 1
OUT=$(cd "$1" && pwd)
BUILD=${SEEK_GPU_BUILD:-$ROOT/build-gpu}
DEPS=${SEEK_GPU_DEPS:-$ROOT/.gpu-deps}
JOBS=${SEEK_GPU_JOBS:-$(nproc)}
PYTHON=${PYTHON:-python3}
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
[ -x /usr/local/cuda/bin/nvcc ] && ! command -v nvcc >/dev/null && export PATH=/usr/local/cuda/bin:$PATH
rm -f "$OUT"/*.xml "$OUT"/*.log "$OUT"/phases.tsv "$OUT"/env.tsv "$OUT"/summary.md
rm -rf "$OUT/bench"
T_START=$EPOCHREALTIME

# ---- bookkeeping: a phase is a name, a status (pass, fail, timeout, skip, refused, info) and seconds ----
printf 'phase\tstatus\tseconds\tdetail\n' >"$OUT/phases.tsv"
record() {  # record NAME STATUS SECONDS DETAIL
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/phases.tsv"
  printf '== %-14s %-8s %7ss  %s\n' "$1" "$2" "$3" "$4"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# The whole check keeps to SEEK_GPU_BUDGET seconds (default 450: under 8 minutes with the
# summary): a phase's timeout is its own limit or what is left, whichever is smaller.
BUDGET=${SEEK_GPU_BUDGET:-450}
limit_for() { awk -v l="$1" -v a="$T_START" -v b="$EPOCHREALTIME" -v t="$BUDGET" \
  'BEGIN { r = int(t - (b - a)); print (r < l ? (r > 1 ? r : 1) : l) }'; }
env_line() { printf '%s\t%s\n' "$1" "$2" >>"$OUT/env.tsv"; }
# run_phase NAME TIMEOUT_S CMD...: runs CMD with its output in OUT/NAME.log (and on the
# terminal), and records pass/fail/timeout; returns CMD's exit status.
run_phase() {
  local name=$1 limit t0=$EPOCHREALTIME rc
  limit=$(limit_for "$2")
  shift 2
  echo "== $name: $*"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUT/$name.log"
  rc=${PIPESTATUS[0]}
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    record "$name" timeout "$(elapsed "$t0")" "stopped after ${limit}s"
  elif [ $rc -ne 0 ]; then
    record "$name" fail "$(elapsed "$t0")" "exit status $rc"
  else
    record "$name" pass "$(elapsed "$t0")" ""
  fi
  return $rc
}

# ---- the machine ----
t0=$EPOCHREALTIME
gpu_name="" driver="" cc=""
if command -v nvidia-smi >/dev/null; then
  # Without a driver nvidia-smi prints its complaint on stdout: only a successful query counts.
  q=$(nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader 2>/dev/null) || q=""
  q=${q%%$'\n'*}
  IFS=, read -r gpu_name driver cc <<<"$q"
  gpu_name=$(echo "$gpu_name" | xargs) driver=$(echo "$driver" | xargs) cc=$(echo "$cc" | xargs)
fi
HAVE_GPU=0
[ -n "$gpu_name" ] && HAVE_GPU=1
ARCH=${SEEK_GPU_ARCH:-${cc//./}}
env_line gpu "${gpu_name:-none visible}"
env_line driver "${driver:-none}"
env_line arch "${ARCH:-unknown}"
env_line nvcc "$(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*, V[0-9.]*' || echo 'not found')"
env_line cmake "$(cmake --version 2>/dev/null | head -1)"
env_line "c++" "$(c++ --version 2>/dev/null | head -1)"
env_line cores "$JOBS"
env_line host "$(uname -srm)"
env_line commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
cat "$OUT/env.tsv"
if [ -z "$ARCH" ]; then
  record machine fail "$(elapsed "$t0")" "no GPU visible (nvidia-smi) and SEEK_GPU_ARCH unset: set SEEK_GPU_ARCH=90 to build anyway"
  "$PYTHON" "$ROOT/scripts/gpu_summary.py" "$OUT" >/dev/null 2>&1
  exit 2
fi
record machine info "$(elapsed "$t0")" "${gpu_name:-no GPU visible}, sm_$ARCH"

# ---- .gpu-deps: a prefix for CMake, a sysroot for pkg-config, run-time libraries for seek's programs ----
t0=$EPOCHREALTIME
RUNLIB=$BUILD/deps-lib
CMAKE_DEPS=()
# seek's programs (and the build, which runs test_cuda to list its tests) see the deps'
# libraries; python and torch do not.
SEEK_LD_PATH=$RUNLIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
SEEK_ENV=(env "LD_LIBRARY_PATH=$SEEK_LD_PATH")
if [ -d "$DEPS/usr" ]; then
  mkdir -p "$RUNLIB/cmake"
  # Only the libraries seek's programs load, not zlib: python and torch keep the system's.
  for so in "$DEPS"/usr/lib/"$MULTIARCH"/*.so.*; do ln -sfn "$so" "$RUNLIB/"; done
  blas="Eigen (no OpenBLAS in $DEPS)"
  if [ -f "$DEPS/xz/libopenblas.so.0.xz" ]; then
    if [ ! -f "$RUNLIB/libopenblas.so.0" ] || [ "$DEPS/xz/libopenblas.so.0.xz" -nt "$RUNLIB/libopenblas.so.0" ]; then
      if command -v xz >/dev/null; then
        xz -dc "$DEPS/xz/libopenblas.so.0.xz" >"$RUNLIB/libopenblas.so.0.tmp"
      else
        "$PYTHON" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
          "$DEPS/xz/libopenblas.so.0.xz" "$RUNLIB/libopenblas.so.0.tmp"
      fi
      mv "$RUNLIB/libopenblas.so.0.tmp" "$RUNLIB/libopenblas.so.0"
    fi
    ln -sfn libopenblas.so.0 "$RUNLIB/libopenblas.so"
    # What cmake/SeekBlas.cmake reads from find_package(OpenBLAS CONFIG).
    printf 'set(OpenBLAS_INCLUDE_DIRS "%s")\nset(OpenBLAS_LIBRARIES "%s")\n' \
      "$DEPS/usr/include/openblas" "$RUNLIB/libopenblas.so" >"$RUNLIB/cmake/OpenBLASConfig.cmake"
    CMAKE_DEPS+=(-DOpenBLAS_DIR="$RUNLIB/cmake")
    blas="OpenBLAS from $DEPS"
  else
    CMAKE_DEPS+=(-DSEEK_BLAS=Eigen)
  fi
  # The .pc files name /usr/...: read them with the deps folder as the sysroot, and no others.
  export PKG_CONFIG_SYSROOT_DIR=$DEPS
  export PKG_CONFIG_LIBDIR=$DEPS/usr/lib/$MULTIARCH/pkgconfig:$DEPS/usr/share/pkgconfig
  unset PKG_CONFIG_PATH
  pkgconf=$(command -v pkg-config || true)
  "${SEEK_ENV[@]}" "$DEPS/usr/bin/pkgconf" --version >/dev/null 2>&1 && pkgconf=$DEPS/usr/bin/pkgconf
  CMAKE_DEPS+=(-DCMAKE_PREFIX_PATH="$DEPS/usr" ${pkgconf:+-DPKG_CONFIG_EXECUTABLE="$pkgconf"})
  record deps pass "$(elapsed "$t0")" "$(du -sh "$DEPS" | cut -f1) from $DEPS ($(grep -vc '^#' "$DEPS/MANIFEST") packages); BLAS: $blas"
else
  record deps info "$(elapsed "$t0")" "no $DEPS: the system's packages (scripts/gpu_deps.sh gathers them)"
fi

# ---- configure and build only what the check runs ----
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
# shellcheck disable=SC2086  # SEEK_GPU_CMAKE_ARGS is a list of words
run_phase configure 240 "${SEEK_ENV[@]}" cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DSEEK_CUDA=ON -DSEEK_CUDA_SIM=OFF -DCMAKE_CUDA_ARCHITECTURES="$ARCH" -DSEEK_PYTHON=OFF -DSEEK_TESTS=ON \
  -DSEEK_BENCHMARKS=ON -DSEEK_EXAMPLES=ON -DSEEK_FUZZ=OFF -DSEEK_NATIVE_ARCH=ON "${CMAKE_DEPS[@]}" \
  ${SEEK_GPU_CMAKE_ARGS:-}
KEEP_GOING=()
[ ${#GEN[@]} -gt 0 ] && KEEP_GOING=(-- -k 0)  # build every target that can be built
run_phase build 480 "${SEEK_ENV[@]}" cmake --build "$BUILD" -j "$JOBS" --target test_cuda test_backend bench_gpu \
  bench_conv_bn bench_lsh bench_bert "${KEEP_GOING[@]}"

# ---- tests: gtest XML per phase (gpu_summary.py --counts reads passed/failed/skipped) ----
# run_tests NAME TIMEOUT BINARY [gtest args...]. On a GPU machine a phase that runs no test,
# or whose tests all skip (seek sees no GPU), fails; without a GPU it is a skip.
run_tests() {
  local name=$1 limit bin=$BUILD/tests/$3 t0=$EPOCHREALTIME rc p f s counts
  limit=$(limit_for "$2")
  shift 3
  if [ ! -x "$bin" ]; then
    record "$name" fail 0 "$(basename "$bin") was not built"
    return
  fi
  echo "== $name: $(basename "$bin") $*"
  timeout --kill-after=10 "$limit" "${SEEK_ENV[@]}" "$bin" --gtest_output=xml:"$OUT/$name.xml" "$@" 2>&1 |
    tee "$OUT/$name.log"
  rc=${PIPESTATUS[0]}
  read -r p f s < <("$PYTHON" "$ROOT/scripts/gpu_summary.py" --counts "$OUT/$name.xml" 2>/dev/null || echo 0 0 0)
  counts="$p passed, $f failed, $s skipped"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    record "$name" timeout "$(elapsed "$t0")" "stopped after ${limit}s; $counts"
  elif [ "$rc" -ne 0 ]; then
    record "$name" fail "$(elapsed "$t0")" "exit status $rc; $counts"
  elif [ $HAVE_GPU -eq 0 ]; then
    record "$name" skip "$(elapsed "$t0")" "no GPU visible; $counts"
  elif [ $((p + f + s)) -eq 0 ]; then
    record "$name" fail "$(elapsed "$t0")" "no test matched $*"
  elif [ "$p" -eq 0 ]; then
    record "$name" fail "$(elapsed "$t0")" "every test skipped on a GPU machine; $counts"
  else
    record "$name" pass "$(elapsed "$t0")" "$counts"
  fi
}
# seek itself must see the GPU (else every GPU test would skip, not fail): one test that needs it.
run_tests sees_gpu 60 test_cuda --gtest_filter='Cuda.DiscoversDevices'
run_tests tensorcore 120 test_cuda --gtest_filter='TensorCore*'
# The Hopper GEMM (sm_90a: TMA, mbarriers, wgmma) against its CPU twin, before the rest.
run_tests hopper 90 test_cuda --gtest_filter='HopperPrimitives*:CudaHopperGemm*'
run_tests cuda_tests 180 test_cuda --gtest_filter='-TensorCore*:Cuda.DiscoversDevices:HopperPrimitives*:CudaHopperGemm*'
run_tests backend_cuda 180 test_backend --gtest_filter='*cuda*'
# Issue 16: the NCCL process group at world size 1 (tests/dist/test_nccl.cpp). Its engine bootstraps over MPI,
# so test_dist exists only where the GPU machine has MPI (libopenmpi-dev); otherwise a skip.
if cmake --build "$BUILD" --target help 2>/dev/null | grep -q '\btest_dist\b'; then
  run_phase build_dist 240 "${SEEK_ENV[@]}" cmake --build "$BUILD" -j "$JOBS" --target test_dist
  export SEEK_TEST_DIST_BACKEND=nccl OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  run_tests nccl 120 test_dist --gtest_filter='DistNccl.*'
  unset SEEK_TEST_DIST_BACKEND
else
  record nccl skip 0 "test_dist not configured (no MPI here: seek's NCCL engine bootstraps over MPI)"
fi

# ---- compute-sanitizer over the kernel tests ----
SANITIZER=$(command -v compute-sanitizer || true)
for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$SANITIZER" ] && [ -x "$c" ] && SANITIZER=$c
done
# A refusal (some GPU machines answer "Device not supported", then fail every CUDA call)
# is the sanitizer's own message, which it prefixes with "=========".
REFUSED='^========= .*([Nn]ot supported|[Uu]nable to|[Cc]ould not|[Ff]ailed to (load|initiali[sz]e))'
for tool in memcheck racecheck; do
  if [ -z "$SANITIZER" ]; then
    record "$tool" skip 0 "compute-sanitizer not found"
  elif [ $HAVE_GPU -eq 0 ]; then
    record "$tool" skip 0 "no GPU visible"
  elif [ ! -x "$BUILD/tests/test_cuda" ]; then
    record "$tool" fail 0 "test_cuda was not built"
  else
    # API errors are what the tests provoke on purpose (out of memory, bad devices): only
    # kernels' findings count. --error-exitcode tells findings (99) from failing tests.
    t0=$EPOCHREALTIME
    echo "== $tool: $SANITIZER --tool $tool test_cuda"
    limit=$(limit_for 300)
    timeout --kill-after=10 "$limit" "${SEEK_ENV[@]}" "$SANITIZER" --tool "$tool" --error-exitcode 99 \
      --report-api-errors no "$BUILD/tests/test_cuda" --gtest_output=xml:"$OUT/$tool.xml" 2>&1 | tee "$OUT/$tool.log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -E -m1 '(ERROR|RACECHECK) SUMMARY' "$OUT/$tool.log" | sed 's/^========= //')
    if grep -qE "$REFUSED" "$OUT/$tool.log"; then
      record "$tool" refused "$(elapsed "$t0")" "$(grep -E -m1 "$REFUSED" "$OUT/$tool.log" | sed 's/^========= //' | cut -c1-150)"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
      record "$tool" timeout "$(elapsed "$t0")" "stopped after ${limit}s"
    elif [ $rc -eq 99 ]; then
      record "$tool" fail "$(elapsed "$t0")" "findings: ${summary:-see $tool.log}"
    elif [ $rc -ne 0 ]; then
      record "$tool" fail "$(elapsed "$t0")" "tests failed under the sanitizer (exit status $rc); ${summary:-}"
    else
      record "$tool" pass "$(elapsed "$t0")" "${summary:-no findings}"
    fi
  fi
done

# ---- the GEMM dispatch table: time cuBLASLt / mma.sync / Hopper per (dtype, shape class), write the
# fastest (OUT/gemm_table.txt, SEEK_CUDA_GEMM_TABLE's format), then the GEMM tests under that table ----
if [ -x "$BUILD/benchmarks/gpu/bench_gpu" ] && [ $HAVE_GPU -eq 1 ]; then
  run_phase gemm_table 90 "${SEEK_ENV[@]}" "$BUILD/benchmarks/gpu/bench_gpu" --write-gemm-table "$OUT/gemm_table.txt"
  if [ -s "$OUT/gemm_table.txt" ]; then
    SEEK_CUDA_GEMM_TABLE=$OUT/gemm_table.txt run_tests gemm_table_tests 90 test_backend \
      --gtest_filter='*Gemm*/cuda*:*Matmul*/cuda*:*Linear*/cuda*'
  fi
fi

# ---- benchmarks: seek and PyTorch on the same GPU ----
# bench_phase NAME BINARY LIMIT_S PASS_DETAIL_CMD SCRIPT [args...]: runs benchmarks/gpu/SCRIPT (seek's
# BINARY and its PyTorch twin) into OUT/bench with its log in OUT/NAME.log; PASS_DETAIL_CMD (a shell
# command) says what a passing run produced.
bench_phase() {
  local name=$1 binary=$2 limit=$3 detail=$4 script=$5 t0 rc
  shift 5
  if [ ! -x "$BUILD/benchmarks/gpu/$binary" ]; then
    record "$name" fail 0 "$binary was not built"
    return
  fi
  t0=$EPOCHREALTIME
  echo "== $name: benchmarks/gpu/$script $*"
  limit=$(limit_for "$limit")
  PYTHON=$PYTHON SEEK_BENCH_LD_PATH=$SEEK_LD_PATH timeout --kill-after=10 "$limit" \
    "$ROOT/benchmarks/gpu/$script" "$BUILD" "$OUT/bench" "$@" 2>&1 | tee "$OUT/$name.log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    record "$name" timeout "$(elapsed "$t0")" "stopped after ${limit}s (rows so far in $name.log)"
  elif [ "$rc" -eq 2 ] && [ $HAVE_GPU -eq 0 ]; then
    record "$name" skip "$(elapsed "$t0")" "no GPU visible"
  elif [ "$rc" -ne 0 ]; then
    record "$name" fail "$(elapsed "$t0")" "$(tail -1 "$OUT/$name.log")"
  else
    record "$name" pass "$(elapsed "$t0")" "$(eval "$detail")"
  fi
}
# The options are lists of words (e.g. SEEK_GPU_LSH_ARGS="--lengths 1024,4096 --runs 3").
# shellcheck disable=SC2086
bench_phase bench bench_gpu 300 'echo "$(grep -c "^| [^w-]" "$OUT/bench/table.md") rows in bench/table.md"' \
  run_gpu.sh ${SEEK_GPU_BENCH_ARGS:-}
# issue 15: fused conv -> BN -> ReLU against seek's unfused ops and PyTorch (cuDNN), bf16 NHWC, the ResNet-50
# conv shapes; SEEK_GPU_CONVBN_ARGS overrides the options (e.g. "--batch 32", "--filter _56").
# shellcheck disable=SC2086
bench_phase bench_conv_bn bench_conv_bn 180 'echo bench/conv_bn_table.md' \
  run_conv_bn.sh ${SEEK_GPU_CONVBN_ARGS:---batch 256 --runs 3 --target-ms 5}
# LSH attention against flash SDPA and naive attention.
# shellcheck disable=SC2086
bench_phase bench_lsh bench_lsh 150 'echo "$(grep -c "^| [0-9]" "$OUT/bench/lsh_table.md") lengths in bench/lsh_table.md"' \
  run_lsh.sh ${SEEK_GPU_LSH_ARGS:-}
# issue 17: BERT-base MLM training, batch 32 x 128, bf16, against PyTorch eager, with and without accumulation
# (bench_bert lives in benchmarks/, hence the ../).
# shellcheck disable=SC2086
bench_phase bench_bert ../bench_bert 150 'echo bench/bert_table.md' run_bert.sh ${SEEK_GPU_BERT_ARGS:-}

env_line total_seconds "$(elapsed "$T_START")"
"$PYTHON" "$ROOT/scripts/gpu_summary.py" "$OUT" || echo "gpu_check: gpu_summary.py failed; the raw logs are in $OUT"
echo "gpu_check: $(elapsed "$T_START") s in all; summary: $OUT/summary.md"
if awk -F'\t' 'NR > 1 && ($2 == "fail" || $2 == "timeout") {bad = 1} END {exit !bad}' "$OUT/phases.tsv"; then
  exit 1
fi
[ $HAVE_GPU -eq 1 ] || exit 2
exit 0
