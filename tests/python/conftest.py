"""pytest setup for the seek Python tests: `import seek` must find the built package,
e.g. PYTHONPATH=<build>/python (the CTest python_tests sets it)."""
import numpy as np
import pytest

import seek


@pytest.fixture
def rng():
    """A numpy generator with a fixed seed, so every run checks the same values."""
    return np.random.default_rng(1234)


def to_np(t):
    """A float64 numpy copy of a seek tensor (for comparisons)."""
    return np.array(t.detach().tolist(), dtype=np.float64)


def from_np(a, dtype=None, requires_grad=False):
    t = seek.tensor(np.asarray(a).tolist(), dtype=dtype)
    return t.requires_grad_(requires_grad)
