#!/usr/bin/env bash
# YOLO on Fashion-MNIST detection: builds seek, generates the detection set (yolo_data generate: Fashion-MNIST
# items with clutter on 128x128 canvases, 6-10 per train image and 2-6 per val / test image, fixed seed) into
# data/fashion_detection when it is missing or was made by an older generator, trains the nano model with the trainer's defaults (dynamic
# anchors, AdamW + warmup + cosine, EMA, batch 32, the short-budget augmentation of docs/yolo.md, at most
# 15 minutes: the schedule is fitted to the budget), then scores the best weights on the test split (COCO
# mAP) and draws detections on 16 test images. Training runs as 2 data-parallel ranks (mpirun) where MPI is
# there. Nothing is downloaded beyond Debian's dataset-fashion-mnist.
# Usage: scripts/train_yolo.sh [train_yolo train flags...]
#   e.g. scripts/train_yolo.sh --max-minutes 5 --fixed-anchors --out build/train_yolo_fixed
# Output: build/train_yolo_out/ (or --out): metrics.csv, curves.png, best/, last/, test/, detect/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
data=data/fashion_detection
mnist=/usr/share/datasets/fashion-mnist
scripts/install_deps.sh dataset-fashion-mnist
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_CUDA_SIM=OFF
cmake --build "$build" -j "$(nproc)" --target train_yolo yolo_data
# The stamp names the generator's defaults: a set made with other ones (before 2026-12-07 the train images
# held 2-6 items like the others) is made again; the val and test images stay the same.
stamp="yolo_data generate defaults of 2026-12-07 (train 6-10 items per image, val / test 2-6)"
if [ ! -f "$data/classes.txt" ] || [ "$(cat "$data/generated.txt" 2>/dev/null)" != "$stamp" ]; then
  "$build/examples/yolo_data" generate --mnist "$mnist" --out "$data" --overwrite
  echo "$stamp" > "$data/generated.txt"
fi
out="$build/train_yolo_out"
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = "--out" ]; then j=$((i + 1)); out="${!j}"; fi
done
# Data parallel: 2 ranks under mpirun, each with half the cores and a batch of 16 (the default 32 images per
# optimizer step); on 2 cores they train 5-10% more images per second than one process of 2 threads
# (docs/yolo.md, "Trainer"). SEEK_YOLO_RANKS=1 trains in one process; flags given to this script come last
# and win (--batch-size is per rank).
ranks=${SEEK_YOLO_RANKS:-2}
launch=()
rank_flags=()
if [ "$ranks" -gt 1 ] && command -v mpirun >/dev/null; then
  threads=$(($(nproc) / ranks))
  [ "$threads" -ge 1 ] || threads=1
  if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
  launch=(mpirun -np "$ranks" --bind-to none --oversubscribe)
  rank_flags=(--distributed --threads "$threads" --batch-size $((32 / ranks)))
fi
"${launch[@]}" "$build/examples/train_yolo" train --data "$data" --out "$out" --no-test "${rank_flags[@]}" "$@"
"$build/examples/train_yolo" val --data "$data" --split test --weights "$out/best" --out "$out/test"
exec "$build/examples/train_yolo" detect --source "$data/test/images" --limit 16 --weights "$out/best" \
  --out "$out/detect"
