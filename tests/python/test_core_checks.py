"""No crash and no silent acceptance: sizes that overflow, allocations that fail, gradients and
hooks of the wrong shape or dtype, and Python values that cannot become tensors all raise an
exception that names what was wrong (never a segfault or pybind's generic cast error)."""
import numpy as np
import pytest

import seek


# ---- sizes that overflow int64, allocations the machine cannot satisfy ----

@pytest.mark.parametrize("make", [
    lambda: seek.empty(1 << 62),
    lambda: seek.zeros(2**31, 2**33),
    lambda: seek.eye(2**32),
    lambda: seek.ones(2**62, 2**62, dtype=seek.uint8),
    lambda: seek.zeros(1).expand(2**40, 2**40),
    lambda: seek.zeros(2**20).view(2**10, 2**10).expand(2**30, 2**10, 2**10).contiguous(),
    lambda: seek.cat([seek.zeros(2**62, 0), seek.zeros(2**62, 0)]),
    lambda: seek.zeros(1).expand(2**62, 4),
])
def test_sizes_that_overflow_raise(make):
    with pytest.raises(RuntimeError):
        make()


def test_overflow_messages_name_the_sizes():
    with pytest.raises(RuntimeError, match=r"storage size calculation overflowed with sizes=\[4611686018427387904\]"):
        seek.empty(1 << 62)
    with pytest.raises(RuntimeError, match=r"numel: integer multiplication overflow.*\[2147483648, 8589934592\]"):
        seek.zeros(2**31, 2**33)


def test_zero_size_tensors_with_huge_dims_work():
    e = seek.zeros(0, 2**62, 2**62)
    assert e.shape == (0, 2**62, 2**62) and e.numel() == 0 and e.is_contiguous()
    assert seek.zeros(0, 3).reshape(0, 2**62, 2**62).shape == (0, 2**62, 2**62)
    assert (e * 2).sum().item() == 0.0
    assert seek.zeros(2**62, 0).t().contiguous().shape == (0, 2**62)


def test_allocation_failure_is_out_of_memory_error():
    with pytest.raises(seek.OutOfMemoryError, match="35184372088832 bytes"):
        seek.empty(2**45, dtype=seek.uint8)  # 32 TiB: fails at once
    assert issubclass(seek.OutOfMemoryError, RuntimeError)
    assert seek.cuda.OutOfMemoryError is seek.OutOfMemoryError


# ---- assigned gradients and hooks ----

def test_assigning_grad_of_another_size_or_dtype_raises():
    x = seek.zeros(3, requires_grad=True)
    x.grad = seek.ones(3)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = seek.zeros(4)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        x.grad = seek.zeros(3, dtype=seek.float64)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        x.grad = seek.zeros(3, dtype=seek.int64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type list"):
        x.grad = [1.0, 2.0, 3.0]
    x.grad = None
    assert x.grad is None


def test_hook_returning_another_shape_or_dtype_raises_naming_the_hook():
    x = seek.zeros(3, requires_grad=True)

    def my_shape_hook(g):
        return seek.zeros(5)

    y = x * 2
    y.register_hook(my_shape_hook)
    with pytest.raises(RuntimeError, match="hook 'my_shape_hook' has changed the size of value"):
        y.sum().backward()

    def my_dtype_hook(g):
        return g.double()

    y = x * 2
    y.register_hook(my_dtype_hook)
    with pytest.raises(RuntimeError, match="hook 'my_dtype_hook' has changed the type of value"):
        y.sum().backward()

    def my_str_hook(g):
        return "abc"

    y = x * 2
    y.register_hook(my_str_hook)
    with pytest.raises(TypeError, match="hook 'my_str_hook' returned 'str'"):
        y.sum().backward()


def test_leaf_hook_result_is_checked():
    x = seek.zeros(3, requires_grad=True)
    x.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        (x * 2).sum().backward()


# ---- Python values that cannot become tensors ----

def test_tensor_of_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="invalid data type 'str'"):
        seek.tensor("abc")
    with pytest.raises(TypeError, match=r"invalid data type 'str'.*at index \[1\]"):
        seek.tensor([1.0, "x"])


def test_integers_beyond_int64_overflow():
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        seek.tensor(2**70)
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        seek.tensor([1, 2**64])
    assert seek.tensor(-2**63).item() == -2**63


@pytest.mark.parametrize("value,what", [
    ([1, None], "NoneType"),
    (None, "NoneType"),
    ([object()], "object"),
    ({1: 2}, "dict"),
])
def test_values_without_a_dtype_name_the_type(value, what):
    with pytest.raises(TypeError, match=f"could not infer dtype of {what}"):
        seek.tensor(value)


def test_ragged_lists_raise_value_error():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1"):
        seek.tensor([[1, 2], [3]])


def test_negative_len_raises_value_error():
    class Bad:
        def __len__(self):
            return -1

        def __getitem__(self, i):
            return 1

    with pytest.raises(ValueError, match="__len__"):
        seek.tensor(Bad())


def test_sequences_other_than_lists_are_read():
    assert seek.tensor(range(3)).tolist() == [0, 1, 2]


@pytest.mark.parametrize("make", [
    lambda: seek.zeros(2, dtype="float32"),
    lambda: seek.tensor([1.0], dtype="float32"),
    lambda: seek.ones(2, dtype=float),
    lambda: seek.full((2,), 1.0, dtype="float64"),
    lambda: seek.arange(3, dtype="int64"),
    lambda: seek.zeros_like(seek.zeros(2), dtype="float32"),
])
def test_dtype_given_as_a_string_is_a_type_error_naming_the_argument(make):
    with pytest.raises(TypeError, match=r"argument 'dtype' must be seek.dtype, not"):
        make()


@pytest.mark.parametrize("value", [np.float32(1), np.ones((1, 1)), [[1.0]], 1.0])
def test_load_state_dict_rejects_values_that_are_not_tensors(value):
    lin = seek.nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match='while copying the parameter named "weight", expected seek.Tensor'):
        lin.load_state_dict({"weight": value, "bias": seek.zeros(1)})


def test_indices_and_values_beyond_int64():
    t = seek.arange(3)
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        t[2**70]
    assert t[:2**70].tolist() == [0, 1, 2] and t[-2**70:].tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        t[0] = 2**70
