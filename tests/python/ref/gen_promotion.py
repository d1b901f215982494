"""Writes promotion.json: PyTorch 1.13's result dtypes for every pair of seek's dtypes, as
tensor-tensor, tensor with a 0-dim tensor, and tensor with a Python bool / int / float.
Run with a Python that has torch: /work/torchref/bin/python tests/python/ref/gen_promotion.py"""
import json
import os

import torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
SCALARS = {"bool": True, "int": 3, "float": 1.5}


def name(dt):
    return str(dt).replace("torch.", "")


def main():
    out = {"tensor_tensor": {}, "tensor_zerodim": {}, "zerodim_zerodim": {}, "tensor_scalar": {}, "zerodim_scalar": {}}
    for a in DTYPES:
        ta = torch.ones(2, dtype=getattr(torch, a))
        za = torch.ones((), dtype=getattr(torch, a))
        for b in DTYPES:
            tb = torch.ones(2, dtype=getattr(torch, b))
            zb = torch.ones((), dtype=getattr(torch, b))
            out["tensor_tensor"][f"{a},{b}"] = name(torch.result_type(ta, tb))
            out["tensor_zerodim"][f"{a},{b}"] = name(torch.result_type(ta, zb))
            out["zerodim_zerodim"][f"{a},{b}"] = name(torch.result_type(za, zb))
            assert torch.promote_types(ta.dtype, tb.dtype) == torch.result_type(ta, tb)
        for s, v in SCALARS.items():
            out["tensor_scalar"][f"{a},{s}"] = name(torch.result_type(ta, v))
            out["zerodim_scalar"][f"{a},{s}"] = name(torch.result_type(za, v))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "promotion.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
