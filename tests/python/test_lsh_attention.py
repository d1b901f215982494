"""seek.nn.functional.lsh_attention, seek.nn.LSHAttention and the attention="lsh" option of
MultiheadAttention / TransformerEncoderLayer, from Python: one bucket and one chunk equal full
attention, seeds reproduce the hashes, gradients flow, bad input raises."""
import math

import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F


def rand(*shape, seed=0):
    return seek.tensor(np.random.default_rng(seed).uniform(-1, 1, shape), dtype=seek.float64)


def maxdiff(a, b):
    return float((a.detach() - b.detach()).abs().max().item())


def test_one_bucket_one_chunk_equals_full_attention():
    q, k, v = rand(2, 3, 10, 4, seed=1), rand(2, 3, 10, 4, seed=2), rand(2, 3, 10, 5, seed=3)
    full = F.scaled_dot_product_attention(q, k, v)
    assert maxdiff(F.lsh_attention(q, k, v, n_buckets=1, chunk_size=10), full) < 1e-6
    assert maxdiff(F.lsh_attention(q, k, v, n_buckets=1, n_hashes=3, chunk_size=16), full) < 1e-6
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert maxdiff(F.lsh_attention(q, k, v, n_buckets=1, chunk_size=10, causal=True), causal) < 1e-6


def test_shared_qk_self_score_and_padding():
    q, v = rand(1, 2, 8, 4, seed=4), rand(1, 2, 8, 3, seed=5)
    kn = q / q.norm(2.0, [-1], True)
    s = q.matmul(kn.transpose(-2, -1)) * (1 / math.sqrt(4))
    s = s.masked_fill(seek.eye(8, dtype=seek.bool), -1e5)
    pad = seek.tensor([[False, False, True, False, False, False, False, True]])
    s = s.masked_fill(pad.reshape(1, 1, 1, 8), -math.inf)
    ref = s.softmax(-1).matmul(v)
    got = F.lsh_attention(q, None, v, n_buckets=1, chunk_size=8, shared_qk=True, key_padding_mask=pad)
    assert maxdiff(got, ref) < 1e-6


def test_seed_reproduces_and_gradients_flow():
    q, v = rand(1, 2, 32, 8, seed=6).requires_grad_(), rand(1, 2, 32, 4, seed=7).requires_grad_()
    a = F.lsh_attention(q, None, v, n_buckets=8, n_hashes=2, chunk_size=4, shared_qk=True, seed=3)
    b = F.lsh_attention(q, None, v, n_buckets=8, n_hashes=2, chunk_size=4, shared_qk=True, seed=3)
    c = F.lsh_attention(q, None, v, n_buckets=8, n_hashes=2, chunk_size=4, shared_qk=True, seed=4)
    assert maxdiff(a, b) == 0.0
    assert maxdiff(a, c) > 1e-6
    a.sum().backward()
    assert q.grad is not None and v.grad is not None
    assert float(q.grad.abs().sum().item()) > 0


def test_module_and_transformer_option():
    m = nn.LSHAttention(n_buckets=2, chunk_size=2, shared_qk=True, seed=9)
    x = rand(2, 2, 6, 4, seed=8)
    assert maxdiff(m(x), F.lsh_attention(x, None, x, n_buckets=2, chunk_size=2, shared_qk=True, seed=9)) == 0.0
    assert len(list(m.parameters())) == 0

    full = nn.MultiheadAttention(8, 2, batch_first=True, dtype=seek.float64)
    lsh = nn.MultiheadAttention(8, 2, batch_first=True, dtype=seek.float64, attention="lsh", n_buckets=1,
                                chunk_size=8)
    lsh.load_state_dict(full.state_dict())
    assert lsh.attention == "lsh" and full.attention == "full"
    y = rand(3, 7, 8, seed=10)
    out_full, _ = full(y, y, y, need_weights=False)
    out_lsh, w = lsh(y, y, y)
    assert w is None
    assert maxdiff(out_full, out_lsh) < 1e-10

    ef = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, dtype=seek.float64)
    el = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, dtype=seek.float64, attention="lsh",
                                    n_buckets=1, chunk_size=8)
    el.load_state_dict(ef.state_dict())
    assert maxdiff(ef(y), el(y)) < 1e-10


def test_bad_input():
    q = rand(1, 2, 8, 4)
    with pytest.raises(ValueError, match="n_buckets"):
        F.lsh_attention(q, q, q, n_buckets=3)
    with pytest.raises(ValueError):
        nn.MultiheadAttention(8, 2, attention="sparse")
