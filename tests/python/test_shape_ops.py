"""Shape, indexing and linalg ops (flip ... einsum ... scatter_reduce) against PyTorch 1.13.

ref/shape_ops.json holds, for each case, a Python expression over named inputs, PyTorch's
outputs and the gradients of a weighted sum of the outputs (ref/gen_shape_ops.py wrote it).
Here the same expression runs with `torch` bound to seek. Error cases follow.
"""
import json
import os

import numpy as np
import pytest

import seek

_REF = json.load(open(os.path.join(os.path.dirname(__file__), "ref", "shape_ops.json")))
_CASES = _REF["cases"]


def _tensor(spec, requires_grad=False):
    arr = np.array(spec["data"], dtype=np.bool_ if spec["dtype"] == "bool" else np.float64).reshape(spec["shape"])
    t = seek.tensor(arr.tolist() if arr.ndim else arr.item(), dtype=getattr(seek, spec["dtype"]))
    if t.shape != tuple(spec["shape"]):
        t = t.reshape(spec["shape"])
    return t.requires_grad_(requires_grad) if requires_grad else t


def _check(got, want, what):
    assert tuple(got.shape) == tuple(want["shape"]), f"{what}: shape {tuple(got.shape)} != {want['shape']}"
    assert str(got.dtype) == "seek." + want["dtype"], f"{what}: dtype {got.dtype} != {want['dtype']}"
    g = np.array(got.detach().reshape(-1).tolist(), dtype=np.float64)
    w = np.array(want["data"], dtype=np.float64)
    np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9, err_msg=what)


@pytest.mark.parametrize("case", _CASES, ids=[c["name"] for c in _CASES])
def test_matches_torch(case):
    grad = "grads" in case
    env = {"torch": seek}
    for name, spec in _REF["inputs"].items():
        env[name] = _tensor(spec, requires_grad=grad and spec["dtype"] == "float64")
    res = eval(case["expr"], env)  # noqa: S307 (expressions from the committed reference file)
    outs = list(res) if case["tuple"] else [res]
    assert isinstance(res, tuple) == case["tuple"] or isinstance(res, list) == case["tuple"]
    assert len(outs) == len(case["outputs"])
    for i, (o, w) in enumerate(zip(outs, case["outputs"])):
        _check(o, w, f"{case['name']} output {i}")
    if not grad:
        return
    loss = seek.zeros((), dtype=seek.float64)
    for o in outs:
        if o.requires_grad:
            weight = seek.tensor(np.cos(np.arange(o.numel())).reshape(tuple(o.shape)).tolist(), dtype=seek.float64)
            loss = loss + (o.double() * weight).sum()
    loss.backward()
    for name, want in case["grads"].items():
        g = env[name].grad
        if g is None:
            g = seek.zeros(tuple(want["shape"]), dtype=seek.float64)
        _check(g, want, f"{case['name']} grad of {name}")


def test_reference_covers_the_ops():
    names = " ".join(c["expr"] for c in _CASES)
    for op in ("flip", "roll", "repeat", "tile", "tril", "triu", "repeat_interleave", "broadcast_to", "diagonal",
               "diag", "diag_embed", "meshgrid", "unfold", "rot90", "einsum", "baddbmm", "tensordot", "kron",
               "nonzero", "argwhere", "scatter_reduce", "take_along_dim", "index_fill", "index_put",
               "masked_scatter"):
        assert op in names, op
    assert sum("einsum" in c["expr"] for c in _CASES) >= 15


# ---- behaviours the reference file does not show ----

def test_diagonal_and_unfold_are_views():
    m = seek.zeros(3, 3)
    m.diagonal().fill_(1.0)
    assert m.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    v = seek.arange(6.0)
    w = v.unfold(0, 2, 2)
    w[1, 0] = 10.0
    assert v.tolist() == [0, 1, 10, 3, 4, 5]


def test_index_put_accumulate_sums_duplicates_and_setitem_assigns():
    t = seek.zeros(3)
    t.index_put_((seek.tensor([0, 0, 2, 0]),), seek.tensor([1.0, 2.0, 3.0, 4.0]), accumulate=True)
    assert t.tolist() == [7.0, 0.0, 3.0]
    t[seek.tensor([1, 1])] = seek.tensor([5.0, 6.0])  # __setitem__ writes (one of the duplicates wins)
    assert t[1].item() in (5.0, 6.0)
    t.index_put_((seek.tensor([2]),), seek.tensor([1.0]))
    assert t[2].item() == 1.0


def test_scatter_reduce_inplace_and_nan():
    t = seek.tensor([0.0, 0.0])
    t.scatter_reduce_(0, seek.tensor([0, 0, 1]), seek.tensor([1.0, float("nan"), 2.0]), "amax")
    assert np.isnan(t[0].item()) and t[1].item() == 2.0


def test_tril_inplace():
    m = seek.ones(3, 3)
    assert m.tril_(-1) is m
    assert m.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]


def test_meshgrid_default_is_ij():
    a, b = seek.meshgrid(seek.arange(3), seek.arange(2))
    assert tuple(a.shape) == (3, 2) and tuple(b.shape) == (3, 2)


def test_broadcast_shapes():
    assert seek.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    with pytest.raises(RuntimeError):
        seek.broadcast_shapes((2,), (3,))


@pytest.mark.parametrize("call, error, words", [
    (lambda: seek.einsum("ij,jk->ik", seek.ones(2, 3), seek.ones(4, 2)), ValueError, "size"),
    (lambda: seek.einsum("ij,jk", seek.ones(2, 3)), ValueError, "operand"),
    (lambda: seek.einsum("i1->i", seek.ones(2, 3)), ValueError, "subscript"),
    (lambda: seek.einsum("ij->ii", seek.ones(2, 2)), ValueError, "more than once"),
    (lambda: seek.einsum("ij->k", seek.ones(2, 2)), ValueError, "does not appear"),
    (lambda: seek.einsum("ijk->i", seek.ones(2, 2)), ValueError, "subscripts"),
    (lambda: seek.ones(3).scatter_reduce(0, seek.tensor([0]), seek.ones(1), "max"), ValueError, "reduce"),
    (lambda: seek.ones(3).scatter_reduce(0, seek.tensor([5]), seek.ones(1), "sum"), IndexError, "out of bounds"),
    (lambda: seek.ones(3).index_fill(0, seek.tensor([3]), 1.0), IndexError, "out of bounds"),
    (lambda: seek.ones(3, 3).diagonal(0, 1, 1), ValueError, "identical"),
    (lambda: seek.ones(5).unfold(0, 6, 1), ValueError, "size"),
    (lambda: seek.ones(5).unfold(0, 2, 0), ValueError, "step"),
    (lambda: seek.ones(3).tril(), ValueError, "2 dimensions"),
    (lambda: seek.ones(2, 3).repeat(2), ValueError, "repeat"),
    (lambda: seek.ones(2, 3).roll((1, 2), (0,)), ValueError, "align"),
    (lambda: seek.ones(3).rot90(), ValueError, "dims"),
    (lambda: seek.ones(2, 3).flip("a"), TypeError, "dims"),
    (lambda: seek.meshgrid(seek.ones(2, 2)), ValueError, "1D"),
    (lambda: seek.meshgrid(seek.ones(2), indexing="xx"), ValueError, "indexing"),
    (lambda: seek.tensordot(seek.ones(2, 3), seek.ones(2, 3), dims=([1], [1, 0])), ValueError, "same length"),
    (lambda: seek.tensordot(seek.ones(2, 3), seek.ones(2, 3), dims=([1], [0])), ValueError, "match"),
    (lambda: seek.baddbmm(seek.ones(2, 3, 3), seek.ones(2, 3), seek.ones(2, 3, 3)), ValueError, "3-D"),
    (lambda: seek.ones(4).masked_scatter(seek.ones(4) > 0, seek.ones(2)), ValueError, "source"),
    (lambda: seek.ones(3).take_along_dim(seek.tensor([[0]]), dim=0), ValueError, "dimensions"),
    (lambda: seek.ones(3).repeat_interleave(seek.tensor([1, 2])), ValueError, "repeats"),
    (lambda: (seek.ones(3) > 0).index_put_((seek.tensor([0]),), seek.ones(1) > 0, accumulate=True), TypeError, "bool"),
])
def test_bad_input_raises(call, error, words):
    with pytest.raises(error, match=words):
        call()
