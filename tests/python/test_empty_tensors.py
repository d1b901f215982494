"""Ops on zero-size inputs, forward and backward, against PyTorch 1.13 (ref/empty.json, written by
ref/gen_empty.py from the cases in ref/empty_cases.py): same shapes, dtypes and values (sum of
nothing is 0, mean is nan, max raises), gradients of the inputs' shapes."""
import json
import math
import os
import sys

import pytest

import seek
import seek.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "ref"))
from empty_cases import CASES, run  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "ref", "empty.json")) as _f:
    REF = json.load(_f)


def values(t):
    return [None if math.isnan(v) else v for v in t.detach().double().flatten().tolist()]


def close(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if (x is None) != (y is None):
            return False
        if x is not None and not (x == y or abs(x - y) <= 1e-9 + 1e-9 * abs(y)):
            return False
    return True


@pytest.mark.parametrize("name,spec,expr", CASES, ids=[c[0] for c in CASES])
def test_empty_inputs_as_torch(name, spec, expr):
    ref = REF[name]
    out, grads, err = run(seek, F, spec, expr)
    if "error" in ref:
        assert err == ref["error"], f"{expr}: torch raises {ref['error']}, seek gave {err or out}"
        return
    assert err is None, f"{expr} raised {err}"
    assert list(out.shape) == ref["shape"]
    assert repr(out.dtype) == "seek." + ref["dtype"]
    assert close(values(out), ref["values"]), (values(out), ref["values"])
    assert len(grads) == len(ref["grads"])
    for g, r in zip(grads, ref["grads"]):
        if r is None:
            continue
        assert g is not None
        assert list(g.shape) == r["shape"]
        assert close(values(g), r["values"])
