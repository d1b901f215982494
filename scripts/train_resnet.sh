#!/usr/bin/env bash
# Main job: build seek and train the example ResNet (examples/resnet) on Fashion-MNIST.
# Usage: scripts/train_resnet.sh [train_resnet flags...]   (build dir: build/, like scripts/test.sh)
# With no flags it uses the trainer's defaults, sized to finish within ~10 minutes on a 2-core CPU:
# resnet20, 3 epochs over all 60000 training images, batch 128, SGD (nesterov) lr 0.1 with warmup + cosine.
# Longer runs: e.g. --epochs 10; quick checks: --limit-train 2000 --epochs 1. See build/examples/train_resnet --help.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
scripts/install_deps.sh dataset-fashion-mnist
# A real CUDA build where the toolkit is found (scripts/test.sh builds the simulated device instead).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_CUDA_SIM=OFF
cmake --build "$build" -j "$(nproc)" --target train_resnet
exec "$build/examples/train_resnet" --out "$build/train_resnet_out" "$@"
