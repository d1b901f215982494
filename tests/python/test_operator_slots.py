"""The + - * / operators: the Tensor-Tensor fast path (python/src/tensor_ops.cpp) and the
cases it hands back to __add__/__radd__ & co. must behave exactly like the methods."""
import numpy as np
import pytest

import seek
import seek.nn as nn


def test_tensor_tensor_matches_methods_and_float64_reference():
    a = seek.tensor([[1.5, -2.0, 3.0]], dtype=seek.float64)
    b = seek.tensor([[2.0], [-4.0]], dtype=seek.float64)  # broadcasts to (2, 3)
    an, bn = np.array(a.tolist()), np.array(b.tolist())
    for got, method, ref in [(a + b, a.add(b), an + bn), (a - b, a.sub(b), an - bn), (a * b, a.mul(b), an * bn),
                             (a / b, a.div(b), an / bn)]:
        assert got.shape == (2, 3) and got.dtype == seek.float64
        np.testing.assert_array_equal(np.array(got.tolist()), ref)
        np.testing.assert_array_equal(np.array(method.tolist()), ref)
    i = seek.tensor([7, 8])
    assert (i / seek.tensor([2, 4])).dtype == seek.float32  # true division of integers
    assert (i + seek.tensor([1.0, 2.0])).dtype == seek.float32  # type promotion


def test_numbers_and_reflected_operands_still_work():
    t = seek.tensor([1.0, 2.0, 4.0])
    assert (t + 1).tolist() == [2.0, 3.0, 5.0]
    assert (1 - t).tolist() == [0.0, -1.0, -3.0]
    assert (2 * t).tolist() == [2.0, 4.0, 8.0]
    assert (8 / t).tolist() == [8.0, 4.0, 2.0]
    assert (t * np.float64(0.5)).tolist() == [0.5, 1.0, 2.0]
    assert (seek.tensor([1, 2]) + 0.5).dtype == seek.float32
    with pytest.raises(TypeError):
        t + "x"
    with pytest.raises(TypeError):
        "x" * t


def test_errors_keep_their_python_type_and_message():
    with pytest.raises(ValueError, match=r"\[3\].*\[2\]|shape"):
        seek.ones(3) + seek.ones(2)
    with pytest.raises(ValueError):
        seek.ones(3) * seek.ones(4)


def test_subclasses_and_autograd_through_the_fast_path():
    w = nn.Parameter(seek.tensor([1.0, 2.0]))
    x = seek.tensor([3.0, 5.0], requires_grad=True)
    y = (w * x + x / w - w) - x
    assert type(y) is seek.Tensor and y.grad_fn is not None
    y.sum().backward()
    # d/dw: x - x / w^2 - 1 ; d/dx: w + 1 / w - 1
    assert w.grad.tolist() == [3.0 - 3.0 - 1.0, 5.0 - 5.0 / 4.0 - 1.0]
    assert x.grad.tolist() == [1.0 + 1.0 - 1.0, 2.0 + 0.5 - 1.0]
    with seek.no_grad():
        assert (w + x).grad_fn is None


def test_tensors_returned_by_reference_take_the_operators():
    # pybind11 returns def_readonly fields (here BertModelOutput.last_hidden_state) by reference: an instance
    # with a value and no holder of its own. The fast slots took only owning instances, so `h - h` raised
    # "unsupported operand type(s)".
    from seek.models import BertConfig, BertModel
    c = BertConfig.bert_tiny()
    c.vocab_size = 50
    h = BertModel(c)(seek.randint(0, 50, (1, 4))).last_hidden_state
    assert float((h - h).abs().max()) == 0.0
    assert float(((h + h) - 2 * h).abs().max()) < 1e-6
    assert float((h * h - h.mul(h)).abs().max()) == 0.0 and (h / 2).shape == h.shape
