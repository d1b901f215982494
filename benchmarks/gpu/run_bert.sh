#!/usr/bin/env bash
# Issue 17's GPU workload: BERT-base masked-LM training, batch 32, length 128, bf16 autocast, seek
# (benchmarks/bench_bert.cpp) against PyTorch eager (benchmarks/torch_bert.py, transformers' BertForMaskedLM with
# eager attention), without and with gradient accumulation (4 micro-batches per step), one after the other on the
# same GPU; writes OUT/bert_table.md (sequences/s of each and seek / torch) and each side's JSON lines.
#
#   benchmarks/gpu/run_bert.sh BUILD_DIR OUT [--steps 10 --windows 3 ...]  (options for both sides)
#   env: PYTHON (python3: the one with PyTorch + transformers), SEEK_BENCH_LD_PATH (prepended to LD_LIBRARY_PATH
#        for bench_bert alone)
# Exits with 2 when neither side found a GPU, 1 when anything else failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 1; }
BUILD=$1 OUT=$2
shift 2
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
rm -f "$OUT/bert_seek.jsonl" "$OUT/bert_torch.jsonl"
common=(--config base --batch 32 --seq 128 --device cuda --bf16 1 --warmup 3 --steps 10 --windows 3)
rs=0 rt=0
for acc in 1 4; do
  LD_LIBRARY_PATH="${SEEK_BENCH_LD_PATH:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$BUILD/benchmarks/bench_bert" "${common[@]}" --accumulation $acc "$@" 2>>"$OUT/bert_seek.log" |
    tee -a "$OUT/bert_seek.jsonl"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rs=1
  "$PYTHON" "$ROOT/benchmarks/torch_bert.py" "${common[@]}" --accumulation $acc "$@" 2>>"$OUT/bert_torch.log" |
    tee -a "$OUT/bert_torch.jsonl"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rt=1
done
"$PYTHON" - "$OUT" >"$OUT/bert_table.md" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def rows(name):
    by = {}
    try:
        for line in open(f"{out}/bert_{name}.jsonl"):
            r = json.loads(line)
            by.setdefault(r["accumulation"], []).append(r["sequences_per_s"])
    except FileNotFoundError:
        pass
    return {k: statistics.median(v) for k, v in by.items()}
s, t = rows("seek"), rows("torch")
print("| BERT-base MLM, batch 32 x 128, bf16 | seek seq/s | PyTorch eager seq/s | seek / PyTorch |")
print("|---|---:|---:|---:|")
for acc in sorted(set(s) | set(t)):
    a, b = s.get(acc), t.get(acc)
    ratio = f"{a / b:.2f}" if a and b else "-"
    print(f"| accumulation {acc} | {a or '-'} | {b or '-'} | {ratio} |")
PY
rc=$?
cat "$OUT/bert_table.md"
echo "bench_bert: seek exit $rs, torch exit $rt, table exit $rc"
if [ "$rs" -ne 0 ] && [ "$rt" -ne 0 ] && ! "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  exit 2
fi
[ "$rs" -eq 0 ] && [ "$rt" -eq 0 ] && [ "$rc" -eq 0 ]
