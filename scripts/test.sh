#!/usr/bin/env bash
# The test command: installs what is missing, builds seek with its tests, runs them all.
# Usage: scripts/test.sh [build dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
# Fashion-MNIST (Debian dataset-fashion-mnist) lets the main-job tests (example_train_resnet_*) run.
scripts/install_deps.sh dataset-fashion-mnist
# Unformatted C++ fails first, before minutes of building (fix: scripts/check_format.sh --fix).
scripts/check_format.sh
jobs=$(nproc)
# SEEK_FUZZ: the ctest entry "fuzz" builds fuzz/ with clang and runs each target for 30 s.
# SEEK_CUDA_SIM: the CUDA backend and its kernels run on the simulated device (docs/cuda.md), so every
# CUDA test runs without a GPU; nvcc still compiles every kernel (target seek_kernels_nvcc).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_TESTS=ON -DSEEK_PYTHON=ON -DSEEK_FUZZ=ON \
  -DSEEK_CUDA_SIM=ON
cmake --build "$build" -j "$jobs"
# Tests run in parallel, each with OpenMP threads: passive waiting keeps an idle OpenMP thread
# from spinning on a core another test needs (on a busy 2-core machine spinning costs 10x).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
ctest --test-dir "$build" --output-on-failure -j "$jobs"
