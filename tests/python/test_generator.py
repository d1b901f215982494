"""seek.Generator and generator= on the random ops (torch.Generator's API)."""
import pytest

import seek


def test_seeded_generators_agree_and_leave_the_default_stream_alone():
    seek.manual_seed(5)
    expected = seek.rand(4)
    seek.manual_seed(5)
    g1 = seek.Generator().manual_seed(123)
    g2 = seek.Generator()
    assert g2.manual_seed(123) is g2
    a = seek.rand(3, 2, generator=g1)
    assert seek.equal(a, seek.rand(3, 2, generator=g2))
    assert seek.equal(seek.rand(4), expected)  # drawing from g1/g2 did not move the default stream
    assert not seek.equal(a, seek.rand(3, 2, generator=seek.Generator().manual_seed(124)))
    assert g1.initial_seed() == 123


def test_every_random_factory_takes_a_generator():
    def draws(seed):
        g = seek.Generator().manual_seed(seed)
        return [seek.randn(5, generator=g), seek.randint(0, 10, (6,), generator=g), seek.randint(7, (2, 2), generator=g),
                seek.randperm(8, generator=g), seek.normal(0.0, 2.0, (3,), generator=g),
                seek.bernoulli(seek.full((6,), 0.5), generator=g),
                seek.multinomial(seek.tensor([1.0, 2.0, 3.0]), 2, generator=g),
                seek.empty(4).uniform_(-1, 1, generator=g), seek.empty(4).normal_(generator=g),
                seek.empty(4).bernoulli_(0.3, generator=g), seek.empty(3, dtype=seek.int64).random_(0, 5, generator=g),
                seek.empty(3).exponential_(generator=g)]
    a, b, c = draws(1), draws(1), draws(2)
    for x, y in zip(a, b):
        assert seek.equal(x, y)
    assert sum(not seek.equal(x, y) for x, y in zip(a, c)) >= 8


def test_state_round_trip_replays_the_stream():
    g = seek.Generator().manual_seed(9)
    seek.rand(3, generator=g)
    state = g.get_state()
    a = seek.rand(5, generator=g)
    g.set_state(state)
    assert seek.equal(a, seek.rand(5, generator=g))
    s = seek.get_rng_state()
    x = seek.randn(3)
    seek.set_rng_state(s)
    assert seek.equal(x, seek.randn(3))


def test_manual_seed_returns_the_default_generator_and_accepts_python_ints():
    g = seek.manual_seed(-1)
    assert g is not None and g.initial_seed() == 2**64 - 1
    assert seek.initial_seed() == 2**64 - 1
    seek.manual_seed(2**64 - 1)
    x = seek.rand(2)
    seek.manual_seed(-1)
    assert seek.equal(x, seek.rand(2))
    with pytest.raises(ValueError, match="seed"):
        seek.manual_seed(2**64)
    assert isinstance(seek.seed(), int)


def test_multinomial_with_replacement_follows_the_weights():
    g = seek.Generator().manual_seed(0)
    w = seek.tensor([1.0, 0.0, 3.0, 4.0])  # unnormalised, one zero
    draws = seek.multinomial(w, 40000, replacement=True, generator=g)
    assert draws.dtype == seek.int64 and draws.shape == (40000,)
    counts = [(draws == i).sum().item() / 40000 for i in range(4)]
    assert counts[1] == 0
    for got, want in zip(counts, [0.125, 0.0, 0.375, 0.5]):
        assert abs(got - want) < 0.01


def test_multinomial_without_replacement():
    g = seek.Generator().manual_seed(1)
    w = seek.tensor([[1.0, 1.0, 0.0, 1.0], [0.0, 5.0, 1.0, 0.0]])
    out = seek.multinomial(w, 2, generator=g)
    assert out.shape == (2, 2)
    for row, weights in zip(out.tolist(), w.tolist()):
        assert len(set(row)) == 2 and all(weights[i] > 0 for i in row)
    # the first draw is proportional to the weights: index 1 of row 2 comes first ~5/6 of the time
    first = seek.multinomial(w[1].expand(3000, 4).contiguous(), 1, generator=g)
    assert abs((first == 1).float().mean().item() - 5 / 6) < 0.03
    full = seek.multinomial(seek.ones(6), 6, generator=g)
    assert sorted(full.tolist()) == list(range(6))


@pytest.mark.parametrize("args, match", [
    ((seek.tensor([1.0, -1.0]), 1), "non-negative"),
    ((seek.tensor([0.0, 0.0]), 1), "sums to zero"),
    ((seek.tensor([1.0, 0.0, 0.0]), 2), "positive weight"),
    ((seek.tensor([1.0, 1.0]), 3), "without replacement"),
    ((seek.tensor([1, 2]), 1), "floating"),
    ((seek.ones(2, 2, 2), 1), "1-D or 2-D"),
])
def test_multinomial_errors(args, match):
    with pytest.raises((ValueError, TypeError, RuntimeError), match=match):
        seek.multinomial(*args)


def test_random_and_exponential_fills():
    g = seek.Generator().manual_seed(3)
    x = seek.empty(5000, dtype=seek.int64).random_(3, 7, generator=g)
    assert x.min().item() == 3 and x.max().item() == 6
    y = seek.empty(5000).random_(10, generator=g)
    assert y.min().item() == 0 and y.max().item() == 9 and y.dtype == seek.float32
    z = seek.empty(5000, dtype=seek.uint8).random_(generator=g)
    assert z.max().item() > 200
    e = seek.empty(20000, dtype=seek.float64).exponential_(2.0, generator=g)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02
    with pytest.raises(ValueError, match="lambd"):
        seek.empty(2).exponential_(0.0)


def test_normal_with_tensor_mean_and_std():
    g = seek.Generator().manual_seed(4)
    mean = seek.tensor([0.0, 100.0])
    out = seek.normal(mean.expand(4000, 2), 0.5, generator=g)
    assert out.shape == (4000, 2)
    m = out.mean(0).tolist()
    assert abs(m[0]) < 0.05 and abs(m[1] - 100) < 0.05
    s = seek.normal(seek.zeros(4000), seek.full((4000,), 3.0), generator=g).std().item()
    assert abs(s - 3) < 0.15


def test_generator_of_another_device_is_rejected():
    if not seek.cuda.is_available():
        pytest.skip("needs a CUDA device")
    g = seek.Generator("cuda")
    with pytest.raises(RuntimeError, match="generator"):
        seek.rand(2, generator=g)
