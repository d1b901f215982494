"""Writes empty.json: PyTorch 1.13's results (shape, dtype, values, input gradients, or the error
type) of the ops on zero-size inputs listed in empty_cases.py.
Run with a Python that has torch: /work/torchref/bin/python tests/python/ref/gen_empty.py"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from empty_cases import CASES, run  # noqa: E402


def values(t):
    return [None if math.isnan(v) else v for v in t.detach().double().flatten().tolist()]


def main():
    out = {}
    for name, spec, expr in CASES:
        r, grads, err = run(torch, F, spec, expr)
        if err:
            out[name] = {"error": err}
            continue
        out[name] = {
            "shape": list(r.shape),
            "dtype": str(r.dtype).replace("torch.", ""),
            "values": values(r),
            "grads": [None if g is None else {"shape": list(g.shape), "values": values(g)} for g in grads],
        }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "empty.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
