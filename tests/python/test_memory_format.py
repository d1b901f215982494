"""Memory formats from Python: seek.channels_last & co, x.to(memory_format=...), is_contiguous / contiguous /
clone / *_like with memory_format, elementwise, conv, pooling and batch norm results, against PyTorch 1.13's
strides, values and input-gradient strides (ref/memory_format.json, written by ref/gen_memory_format.py from
ref/memory_format_cases.py), and model.to(memory_format=seek.channels_last) with an optimizer."""
import json
import os
import sys

import pytest

import seek
import seek.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "ref"))
from memory_format_cases import CASES, run, strides  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "ref", "memory_format.json")) as _f:
    REF = json.load(_f)


@pytest.mark.parametrize("name,expr", CASES, ids=[c[0] for c in CASES])
def test_strides_values_and_grads_match_torch(name, expr):
    ref = REF[name]
    r, leaf = run(seek, F, expr)
    assert list(r.shape) == ref["shape"]
    assert strides(r) == ref["strides"], f"{expr}: strides {r.stride()}"
    assert r.detach().double().flatten().tolist() == pytest.approx(ref["values"], rel=1e-5, abs=1e-4)
    if leaf is not None:
        assert strides(leaf.grad) == ref["grad_strides"], f"{expr}: grad strides {leaf.grad.stride()}"
        assert leaf.grad.double().flatten().tolist() == pytest.approx(ref["grad"], rel=1e-4, abs=1e-3)


def test_memory_format_objects():
    assert repr(seek.channels_last) == "seek.channels_last"
    assert seek.channels_last == seek.channels_last and seek.channels_last != seek.contiguous_format
    assert isinstance(seek.preserve_format, seek.memory_format)
    x = seek.randn(2, 3, 4, 5)
    assert x.is_contiguous() and not x.is_contiguous(memory_format=seek.channels_last)
    y = x.to(memory_format=seek.channels_last)
    assert y.is_contiguous(memory_format=seek.channels_last) and not y.is_contiguous()
    assert y.to(memory_format=seek.channels_last) is y or y.to(memory_format=seek.channels_last).data_ptr() == y.data_ptr()
    assert seek.equal(y, x)


def test_bad_memory_format_arguments():
    with pytest.raises(Exception, match="rank 4"):
        seek.randn(2, 3, 4).to(memory_format=seek.channels_last)
    with pytest.raises(Exception, match="preserve_format"):
        seek.randn(2, 3, 4, 5).contiguous(memory_format=seek.preserve_format)
    with pytest.raises(TypeError):
        seek.randn(2, 3, 4, 5).to(memory_format="channels_last")


def _model():
    return seek.nn.Sequential(
        seek.nn.Conv2d(3, 4, 3),
        seek.nn.BatchNorm2d(4),
        seek.nn.ReLU(),
        seek.nn.AdaptiveAvgPool2d((1, 1)),
        seek.nn.Flatten(),
        seek.nn.Linear(4, 2),
    )


def test_model_to_channels_last_keeps_parameters_and_optimizer_state():
    seek.manual_seed(3)
    a, b = _model(), _model()
    b.load_state_dict(a.state_dict())
    oa = seek.optim.SGD(a.parameters(), lr=0.1, momentum=0.9)
    ob = seek.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    x = seek.randn(4, 3, 6, 6)

    def step(m, o, inp):
        o.zero_grad()
        m(inp).square().sum().backward()
        o.step()

    step(a, oa, x)
    step(b, ob, x)
    before = list(b.parameters())
    assert b.to(memory_format=seek.channels_last) is b
    after = list(b.parameters())
    assert all(p is q or p.data_ptr() == q.data_ptr() for p, q in zip(before, after))
    assert all(p.is_contiguous(memory_format=seek.channels_last) for p in after if p.dim() == 4)
    assert all(p.grad.is_contiguous(memory_format=seek.channels_last) for p in after if p.dim() == 4)
    for _ in range(3):
        step(a, oa, x)
        step(b, ob, x.to(memory_format=seek.channels_last))
    for p, q in zip(a.parameters(), b.parameters()):
        assert seek.allclose(p, q, rtol=1e-4, atol=1e-5)
    assert b[0].weight.grad.is_contiguous(memory_format=seek.channels_last)
