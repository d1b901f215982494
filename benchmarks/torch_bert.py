"""BERT masked-LM training throughput in PyTorch (transformers' BertForMaskedLM, eager attention): the same
workload as benchmarks/bench_bert.cpp (random ids, 15% labelled positions, AdamW, train mode), one JSON line
per window. Needs torch and transformers (the torch venv: /work/torchref/bin/python).

    torch_bert.py [--config mini] [--batch 16] [--seq 128] [--warmup 2] [--steps 5] [--windows 1] [--threads 2]
                  [--device cpu|cuda] [--bf16 0|1] [--accumulation 1]   (bf16 autocast: CUDA only; torch 1.13 CPU autocast fails here)
"""
import argparse
import json
import time

import torch
from transformers import BertConfig, BertForMaskedLM

SIZES = {"tiny": (2, 128, 2), "mini": (4, 256, 4), "small": (4, 512, 8), "base": (12, 768, 12)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="mini", choices=sorted(SIZES))
    for name, default in (("batch", 16), ("seq", 128), ("warmup", 2), ("steps", 5), ("windows", 1), ("threads", 2),
                          ("accumulation", 1)):
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--device", default="cpu")
    p.add_argument("--bf16", type=int, default=0)
    a = p.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layers, hidden, heads = SIZES[a.config]
    config = BertConfig(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
                        intermediate_size=4 * hidden)
    config._attn_implementation = "eager"
    model = BertForMaskedLM(config).to(dev)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(1, config.vocab_size, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = ids.masked_fill(torch.rand(a.batch, a.seq) >= 0.15, -100)
    ids, mask, labels = ids.to(dev), mask.to(dev), labels.to(dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def step():
        opt.zero_grad(set_to_none=True)
        for _ in range(a.accumulation):
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bool(a.bf16)):
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            (loss / a.accumulation if a.accumulation > 1 else loss).backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    sync()
    for _ in range(a.windows):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        sync()
        s = time.perf_counter() - t0
        print(json.dumps({"impl": "torch", "device": a.device, "bf16": a.bf16, "config": a.config,
                          "batch": a.batch, "seq": a.seq, "accumulation": a.accumulation,
                          "tokens_per_s": round(a.batch * a.seq * a.steps * a.accumulation / s, 1),
                          "sequences_per_s": round(a.batch * a.steps * a.accumulation / s, 2),
                          "step_ms": round(1e3 * s / a.steps, 1), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
