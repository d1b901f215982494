#!/usr/bin/env python3
"""Reference numbers for tests/cpp/nn/test_cross_entropy_ref.cpp (the fused cross_entropy path).

Run with torch 1.13 and paste the printed C++ arrays into the test:
    /work/torchref/bin/python tests/cpp/nn/gen_cross_entropy_ref.py

Logits come from the same LCG as seek::testing::uniform_values (tests/cpp/support/test_util.h),
uniform in [-3, 3) with the seed given per case, in float64. Each case prints the loss (every
element for reduction 'none') and the gradient of the loss's sum wrt the logits.
The cases avoid label smoothing together with ignored targets, no weight and 'mean': torch 1.13
divides the smoothing term by all targets there, later versions (and seek) by the non-ignored ones.
"""
import math

import torch

torch.set_default_dtype(torch.float64)
MASK64 = (1 << 64) - 1


def uniform_values(n, lo, hi, seed):
    s, out = seed, []
    for _ in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) & MASK64
        out.append(lo + (hi - lo) * ((s >> 11) / 9007199254740992.0))
    return out


def logits(shape, seed):
    return torch.tensor(uniform_values(math.prod(shape), -3.0, 3.0, seed)).reshape(shape).requires_grad_()


def arr(name, t):
    vals = ", ".join("kNaN" if math.isnan(v) else repr(float(v)) for v in t.detach().flatten().tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};")


CASES = [
    # name, shape, seed, targets, weight, ignore_index, reduction, smoothing
    ("weighted_smooth_ignore_mean", (4, 5), 1, [3, 1, 0, 4], [0.5, 1.0, 2.0, 1.5, 0.8], 1, "mean", 0.2),
    ("weighted_smooth_ignore_none", (4, 5), 1, [3, 1, 0, 4], [0.5, 1.0, 2.0, 1.5, 0.8], 1, "none", 0.2),
    ("weighted_sum", (4, 5), 1, [3, 1, 0, 4], [0.5, 1.0, 2.0, 1.5, 0.8], -100, "sum", 0.0),
    ("spatial_ignore_mean", (2, 3, 2, 2), 2, [[[0, 2], [-100, 1]], [[1, 1], [2, -100]]], None, -100, "mean", 0.0),
    ("spatial_smooth_sum", (2, 3, 2, 2), 2, [[[0, 2], [-100, 1]], [[1, 1], [2, -100]]], None, -100, "sum", 0.1),
    ("unbatched_smooth", (7,), 3, 2, None, -100, "mean", 0.1),
    ("one_class", (3, 1), 4, [0, 0, 0], None, -100, "mean", 0.3),
    ("all_ignored_mean", (2, 3), 5, [-100, -100], None, -100, "mean", 0.0),
]

for name, shape, seed, tgt, w, ii, red, eps in CASES:
    x = logits(shape, seed)
    t = torch.tensor(tgt, dtype=torch.int64)
    wt = torch.tensor(w) if w is not None else None
    loss = torch.nn.functional.cross_entropy(x, t, weight=wt, ignore_index=ii, reduction=red, label_smoothing=eps)
    loss.sum().backward()
    print(f"// {name}: shape {shape}, seed {seed}, targets {tgt}, weight {w}, ignore_index {ii}, {red}, smoothing {eps}")
    arr(f"k_{name}_loss", loss)
    arr(f"k_{name}_grad", x.grad)
