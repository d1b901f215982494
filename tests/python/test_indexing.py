"""Indexing and slicing, read and write, against numpy."""
import numpy as np
import pytest

import seek
from conftest import to_np


@pytest.fixture
def pair():
    a = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    return a, seek.tensor(a.tolist(), dtype=seek.float64)


READ_INDICES = [
    1, -1, (1, 2), (0, -1, 3), slice(None), slice(1, None), (slice(None), slice(0, 3, 2)),
    (Ellipsis, 1), (1, Ellipsis), (None, 0), (slice(None), None, 1), (Ellipsis, slice(None, None, 3)),
    (0, slice(-2, None)), (slice(None), [0, 2]), ([1, 0],), (0, [2, 0, 1], slice(1, 3)),
]


@pytest.mark.parametrize("index", READ_INDICES, ids=[repr(i) for i in READ_INDICES])
def test_read_matches_numpy(pair, index):
    a, t = pair
    got = t[index]
    want = a[index]
    assert got.shape == want.shape
    np.testing.assert_array_equal(to_np(got), want)


def test_read_with_masks_and_index_tensors(pair):
    a, t = pair
    mask = t > 10
    np.testing.assert_array_equal(to_np(t[mask]), a[a > 10])
    np.testing.assert_array_equal(to_np(t[0][seek.tensor([True, False, True])]), a[0][[True, False, True]])
    idx = seek.tensor([[1, 0], [0, 1]])
    np.testing.assert_array_equal(to_np(t[idx]), a[np.array([[1, 0], [0, 1]])])
    np.testing.assert_array_equal(to_np(t[:, seek.tensor([2, 0])]), a[:, [2, 0]])
    np.testing.assert_array_equal(to_np(t[np.int64(1)]), a[1])


def test_basic_indexing_returns_views(pair):
    _, t = pair
    v = t[1, :, ::2]
    v.fill_(-1)
    assert t[1, 0, 0].item() == -1 and t[1, 0, 1].item() == 13


@pytest.mark.parametrize("index", [0, (1, 2), (slice(None), 1), (Ellipsis, slice(0, 4, 3)), (None, 1, 0)],
                         ids=repr)
def test_write_scalar_matches_numpy(pair, index):
    a, t = pair
    a = a.copy()
    a[index] = -5
    t[index] = -5
    np.testing.assert_array_equal(to_np(t), a)


def test_write_tensors_masks_and_lists(pair):
    a, t = pair
    a = a.copy()
    a[0, 1] = np.array([9, 8, 7, 6])
    t[0, 1] = seek.tensor([9.0, 8.0, 7.0, 6.0], dtype=seek.float64)
    a[a > 20] = 0
    t[t > 20] = 0
    a[:, [0, 2]] = 1.5
    t[:, [0, 2]] = 1.5
    a[1, 1] = [1, 2, 3, 4]
    t[1, 1] = [1, 2, 3, 4]
    np.testing.assert_array_equal(to_np(t), a)
    i = seek.tensor([0, 0, 1])
    i[seek.tensor([True, False, True])] = seek.tensor([5, 6])
    assert i.tolist() == [5, 0, 6]


def test_bad_indices_raise_index_error(pair):
    _, t = pair
    with pytest.raises(IndexError, match="out of bounds"):
        t[5]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0, 0]
    with pytest.raises(IndexError, match="valid indices"):
        t["a"]
    with pytest.raises(IndexError, match="single ellipsis"):
        t[..., 0, ...]
