"""C++ exceptions map to Python types with their message; repr matches PyTorch's."""
import pytest

import seek


def test_shape_errors_are_value_errors():
    with pytest.raises(ValueError, match="2x3 and 2x3"):
        seek.ones(2, 3) @ seek.ones(2, 3)
    with pytest.raises(ValueError):
        seek.ones(2, 3) + seek.ones(4)
    with pytest.raises(ValueError):
        seek.ones(6).view(4, -1)


def test_dtype_errors_are_type_errors():
    with pytest.raises(TypeError, match="floating"):
        seek.rand(2, dtype=seek.int64)
    with pytest.raises(TypeError, match="~"):
        ~seek.ones(2)


def test_index_errors_are_index_errors():
    with pytest.raises(IndexError, match="out of bounds"):
        seek.ones(3)[3]
    with pytest.raises(IndexError):
        seek.ones(3).select(0, -4)


def test_other_errors_are_runtime_errors():
    x = seek.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1)
    with pytest.raises(RuntimeError):
        seek.ones(2).backward()  # needs a one-element output or a gradient


def test_bad_python_arguments_are_type_errors():
    with pytest.raises(TypeError):
        seek.ones(2) + "a"
    with pytest.raises(TypeError):
        seek.zeros("a")
    with pytest.raises(TypeError):
        seek.ones(2).to(3.5)


def test_repr_like_pytorch():
    assert repr(seek.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(seek.tensor([[1, 2], [3, 4]])) == "tensor([[1, 2],\n        [3, 4]])"
    assert repr(seek.tensor(3.0)) == "tensor(3.)"
    assert repr(seek.tensor([1.0], dtype=seek.float64)) == "tensor([1.], dtype=seek.float64)"
    assert repr(seek.tensor([True])) == "tensor([True])"
    assert repr(seek.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    y = seek.ones(2, requires_grad=True) * 2
    assert repr(y).startswith("tensor([2., 2.], grad_fn=<") and repr(y).endswith(">)")
    assert str(seek.zeros(1)) == "tensor([0.])"


def test_format_spec_on_one_element_tensors():
    assert f"{seek.tensor(2.0 / 3):.3f}" == "0.667"
    assert f"{seek.tensor([1.5])}" == "tensor([1.5000])"
