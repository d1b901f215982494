#!/usr/bin/env bash
# Builds the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer in its own build
# dir and runs it (C++ tests, examples, the install_consumer test, and the Python tests with
# the ASan runtime preloaded into python3). The CUDA backend runs on the simulated device
# (SEEK_CUDA_SIM; the simulator announces its fiber switches to ASan). For use before a
# release: slow (a full rebuild, tests 2-5x slower). Leak checking is on for the C++ tests,
# off for python3 (the interpreter keeps objects alive on purpose at exit).
# Usage: scripts/sanitize.sh [build dir] [extra ctest args...]   (default: build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
shift || true
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEEK_TESTS=ON -DSEEK_PYTHON=ON \
  -DSEEK_CUDA_SIM=ON -DSEEK_NATIVE_ARCH=OFF -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined"
cmake --build "$build" -j "$(nproc)"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# allocator_may_return_null: an allocation seek cannot get must come back as OutOfMemoryError (the
# Overflow tests ask for terabytes), not as ASan's own abort.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:allocator_may_return_null=1}
# Python tests: python3 is not built with ASan, so its runtime must be loaded first.
# libstdc++ too: loaded after ASan, its __cxa_throw would be missing from ASan's interceptor (a CHECK failure at
# the first C++ exception).
asan_rt="$(${CXX:-c++} -print-file-name=libasan.so) $(${CXX:-c++} -print-file-name=libstdc++.so)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -E '^python_tests$' "$@"
LD_PRELOAD="$asan_rt" ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1" \
  ctest --test-dir "$build" --output-on-failure -R '^python_tests$' "$@"
