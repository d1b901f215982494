"""BERT masked-LM training throughput in PyTorch (transformers' BertForMaskedLM, eager attention): the same
workload as benchmarks/bench_bert.cpp (random ids, 15% labelled positions, AdamW, train mode), one JSON line
per window. Needs torch and transformers (the torch venv: /work/torchref/bin/python).

    torch_bert.py [--config mini] [--batch 16] [--seq 128] [--warmup 2] [--steps 5] [--windows 1] [--threads 2]
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
    for name, default in (("batch", 16), ("seq", 128), ("warmup", 2), ("steps", 5), ("windows", 1), ("threads", 2)):
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layers, hidden, heads = SIZES[a.config]
    config = BertConfig(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
                        intermediate_size=4 * hidden)
    config._attn_implementation = "eager"
    model = BertForMaskedLM(config)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(1, config.vocab_size, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = ids.masked_fill(torch.rand(a.batch, a.seq) >= 0.15, -100)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    for _ in range(a.windows):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        s = time.perf_counter() - t0
        print(json.dumps({"impl": "torch", "config": a.config, "batch": a.batch, "seq": a.seq,
                          "tokens_per_s": round(a.batch * a.seq * a.steps / s, 1),
                          "step_ms": round(1e3 * s / a.steps, 1), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
