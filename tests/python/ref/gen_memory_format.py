"""Writes memory_format.json: PyTorch 1.13's strides and values for the cases in memory_format_cases.py.
Run with a Python that has torch: /work/torchref/bin/python tests/python/ref/gen_memory_format.py"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory_format_cases import CASES, run, strides  # noqa: E402


def main():
    out = {}
    for name, expr in CASES:
        r, leaf = run(torch, F, expr)
        entry = {"shape": list(r.shape), "strides": strides(r), "values": r.detach().double().flatten().tolist()}
        if leaf is not None:
            entry["grad_strides"] = strides(leaf.grad)
            entry["grad"] = leaf.grad.double().flatten().tolist()
        out[name] = entry
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "memory_format.json")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(json.dumps(k) + ": " + json.dumps(v) for k, v in out.items()) + "\n}\n")


if __name__ == "__main__":
    main()
