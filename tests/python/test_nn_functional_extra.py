"""Issue 12's layers (conv1d/3d, 1-D/3-D/adaptive pooling, unfold/fold, pixel shuffles,
distances, losses, activations, channel/alpha dropout, padding modes, inplace=True)
against PyTorch 1.13's values, reprs and parameter names (ref/nn_functional.json, written
by ref/gen_nn_functional.py), plus their behaviours that have no fixed values.
"""
import json
import math
import os

import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F

REF = json.load(open(os.path.join(os.path.dirname(__file__), "ref", "nn_functional.json")))


def f64(a, requires_grad=False):
    a = np.asarray(a, dtype=np.float64)
    t = seek.tensor(float(a), dtype=seek.float64) if a.ndim == 0 else seek.from_numpy(np.ascontiguousarray(a))
    return t.requires_grad_(requires_grad) if requires_grad else t


def npy(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("case", REF["cases"], ids=[c["name"] for c in REF["cases"]])
def test_matches_torch(case):
    xs = [f64(np.array(a, dtype=np.float64).reshape(s), i in case["diff"])
          for i, (a, s) in enumerate(zip(case["inputs"], case["shapes"]))]
    outs = outputs(eval(case["expr"], {"F": F, "nn": nn, **{f"x{i}": x for i, x in enumerate(xs)}}))
    assert len(outs) == len(case["outputs"])
    for got, want, shape, dt in zip(outs, case["outputs"], case["out_shapes"], case["out_dtypes"]):
        assert list(got.shape) == shape
        assert str(got.dtype).replace("seek.", "") == dt
        np.testing.assert_allclose(npy(got), np.array(want, dtype=np.float64).reshape(shape), rtol=1e-10, atol=1e-12)
    cot = f64(np.array(case["cotangent"], dtype=np.float64).reshape(case["out_shapes"][0]))
    grads = seek.autograd.grad((outs[0] * cot).sum(), [xs[i] for i in case["diff"]])
    for i, g, want in zip(case["diff"], grads, case["grads"]):
        np.testing.assert_allclose(npy(g), np.array(want).reshape(case["shapes"][i]), rtol=1e-9, atol=1e-11,
                                   err_msg=f"gradient of x{i}")


@pytest.mark.parametrize("mod", REF["modules"], ids=[m["expr"] for m in REF["modules"]])
def test_module_repr_and_parameters(mod):
    m = eval(mod["expr"], {"nn": nn})
    assert repr(m) == mod["repr"]
    assert [[n, list(p.shape)] for n, p in m.named_parameters()] == mod["params"]


def test_float32_matches_float64():
    x = np.random.default_rng(0).uniform(-3, 3, (4, 6))
    for fn in (F.elu, F.selu, F.celu, F.mish, F.logsigmoid, F.softsign, F.hardtanh, F.tanhshrink, F.softshrink):
        got = npy(fn(seek.from_numpy(x.astype(np.float32))))
        np.testing.assert_allclose(got, npy(fn(f64(x))), rtol=1e-5, atol=1e-6, err_msg=fn.__name__)


# ---- inplace=True ----

INPLACE_FNS = [
    lambda x, ip: F.relu(x, inplace=ip), lambda x, ip: F.relu6(x, inplace=ip),
    lambda x, ip: F.leaky_relu(x, 0.2, inplace=ip), lambda x, ip: F.elu(x, inplace=ip),
    lambda x, ip: F.selu(x, inplace=ip), lambda x, ip: F.celu(x, 0.5, inplace=ip),
    lambda x, ip: F.hardtanh(x, inplace=ip), lambda x, ip: F.silu(x, inplace=ip),
    lambda x, ip: F.hardswish(x, inplace=ip), lambda x, ip: F.threshold(x, 0.1, 5.0, inplace=ip),
    lambda x, ip: F.mish(x, inplace=ip), lambda x, ip: F.rrelu(x, inplace=ip),
    lambda x, ip: F.hardsigmoid(x, inplace=ip),
]


@pytest.mark.parametrize("fn", INPLACE_FNS)
def test_functional_inplace_returns_and_overwrites_input(fn):
    a = np.random.default_rng(1).uniform(-3, 3, (3, 4))
    want = npy(fn(f64(a), False))
    x = f64(a)
    y = fn(x, True)
    assert y is x
    np.testing.assert_allclose(npy(x), want, rtol=1e-12)


def test_inplace_under_autograd_gives_the_out_of_place_gradient():
    a = np.random.default_rng(2).uniform(-2, 2, (3, 4))
    leaf = f64(a, True)
    y = leaf * 2.0
    z = F.elu(y, alpha=0.5, inplace=True)
    assert z is y
    z.sum().backward()
    want = np.where(2 * a > 0, 2.0, 2.0 * 0.5 * np.exp(2 * a))
    np.testing.assert_allclose(npy(leaf.grad), want, rtol=1e-10)


def test_inplace_on_a_view_that_needs_grad_writes_into_it():
    # conv1d's output is a view; as in torch the activation writes into it and autograd rewrites
    # the history of the view's base, so the gradient is the activation's
    a = np.random.default_rng(12).uniform(-1, 1, (2, 3, 6))
    s = a.sum(axis=1, keepdims=True)  # conv1d with ones (2, 3, 1): both output channels are s
    for inplace_act, slope in ((nn.ReLU(inplace=True), lambda v: (v > 0) * 1.0),
                               (lambda t: F.elu(t, inplace=True), lambda v: np.where(v > 0, 1.0, np.exp(v)))):
        leaf = f64(a, True)
        y = F.conv1d(leaf, f64(np.ones((2, 3, 1))))
        out = inplace_act(y)
        if not isinstance(inplace_act, nn.Module):
            assert out is y
        np.testing.assert_allclose(npy(y), npy(out), rtol=0)  # y itself holds the activation
        out.sum().backward()
        np.testing.assert_allclose(npy(leaf.grad), np.repeat(2 * slope(s), 3, axis=1), rtol=1e-12)


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x = f64(np.ones((2, 2)), True)
    with pytest.raises(RuntimeError):
        F.relu(x, inplace=True)


@pytest.mark.parametrize("make", [lambda: nn.ReLU(inplace=True), lambda: nn.ELU(inplace=True),
                                  lambda: nn.Hardtanh(inplace=True), lambda: nn.ReLU6(inplace=True),
                                  lambda: nn.LeakyReLU(0.1, True), lambda: nn.SiLU(inplace=True),
                                  lambda: nn.Hardswish(inplace=True), lambda: nn.Threshold(0.0, -1.0, True),
                                  lambda: nn.SELU(inplace=True), lambda: nn.CELU(inplace=True)])
def test_module_inplace_overwrites_input(make):
    a = np.random.default_rng(3).uniform(-3, 3, (2, 5))
    m = make()
    x = f64(a.copy())  # from_numpy shares memory: keep `a` as it was
    y = m(x)
    np.testing.assert_array_equal(npy(x), npy(y))
    assert not np.array_equal(npy(x), a)


def test_dropout_inplace_in_training_only():
    x = f64(np.ones((50, 40)))
    m = nn.Dropout(0.5, inplace=True)
    m(x)
    vals = set(npy(x).ravel().tolist())
    assert vals == {0.0, 2.0}
    m.eval()
    x = f64(np.ones((3, 3)))
    m(x)
    np.testing.assert_array_equal(npy(x), np.ones((3, 3)))


# ---- random layers ----

@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (8, 30, 5)), (F.dropout2d, (8, 30, 3, 4)),
                                      (F.dropout3d, (4, 30, 2, 3, 2))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    seek.manual_seed(5)
    y = npy(fn(f64(np.ones(shape)), p=0.4))
    per_channel = y.reshape(shape[0], shape[1], -1)
    for ch in per_channel.reshape(-1, per_channel.shape[-1]):
        assert set(ch.tolist()) in ({0.0}, {1.0 / 0.6})
    frac = (per_channel[:, :, 0] == 0).mean()
    assert 0.2 < frac < 0.6
    np.testing.assert_array_equal(npy(fn(f64(np.ones(shape)), p=0.4, training=False)), np.ones(shape))


def test_alpha_dropout_keeps_mean_and_variance():
    seek.manual_seed(7)
    x = seek.randn([200000], dtype=seek.float64)
    y = npy(F.alpha_dropout(x, 0.3, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1.0) < 0.03
    # dropped values all take the same value a * (-alpha) + b
    vals, counts = np.unique(np.round(y, 12), return_counts=True)
    assert counts.max() > 0.25 * y.size
    assert F.alpha_dropout(x, 0.3) is x or np.array_equal(npy(F.alpha_dropout(x, 0.3)), npy(x))


def test_feature_alpha_dropout_is_per_channel():
    seek.manual_seed(8)
    y = npy(nn.FeatureAlphaDropout(0.5).train()(f64(np.zeros((6, 20, 3, 3)))))
    ch = y.reshape(6, 20, 9)
    assert np.all(ch.max(axis=-1) == ch.min(axis=-1))


def test_rrelu_training_draws_slopes_in_range():
    seek.manual_seed(9)
    x = f64(-np.ones(1000))
    y = -npy(F.rrelu(x, 0.1, 0.3, training=True))
    assert y.min() >= 0.1 and y.max() <= 0.3 and y.std() > 0.03
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(npy(m(x)), -0.2 * np.ones(1000))


# ---- modules against their functional forms ----

def test_conv_modules_use_their_parameters():
    x = f64(np.random.default_rng(4).uniform(-1, 1, (2, 3, 7)))
    m = nn.Conv1d(3, 4, 3, stride=2, dtype=seek.float64)
    np.testing.assert_allclose(npy(m(x)), npy(F.conv1d(x, m.weight, m.bias, stride=2)), rtol=1e-12)
    x3 = f64(np.random.default_rng(5).uniform(-1, 1, (1, 2, 4, 5, 4)))
    m3 = nn.Conv3d(2, 4, 3, padding=1, dtype=seek.float64)
    np.testing.assert_allclose(npy(m3(x3)), npy(F.conv3d(x3, m3.weight, m3.bias, padding=1)), rtol=1e-12)
    m3(x3).sum().backward()
    assert m3.weight.grad is not None and list(m3.bias.grad.shape) == [4]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes(mode):
    x = f64(np.random.default_rng(6).uniform(-1, 1, (2, 3, 6, 5)))
    m = nn.Conv2d(3, 2, 3, padding=(2, 1), padding_mode=mode, dtype=seek.float64)
    want = F.conv2d(F.pad(x, (1, 1, 2, 2), mode=mode), m.weight, m.bias)
    np.testing.assert_allclose(npy(m(x)), npy(want), rtol=1e-12)
    same = nn.Conv2d(3, 2, (4, 3), padding="same", padding_mode=mode, dtype=seek.float64)
    want = F.conv2d(F.pad(x, (1, 1, 1, 2), mode=mode), same.weight, same.bias)
    np.testing.assert_allclose(npy(same(x)), npy(want), rtol=1e-12)
    assert list(same(x).shape) == [2, 2, 6, 5]


@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_conv1d_conv3d_modules_pad_same_with_each_mode(mode):
    x = f64(np.random.default_rng(10).uniform(-1, 1, (2, 3, 7)))
    m = nn.Conv1d(3, 2, 4, padding="same", padding_mode=mode, dtype=seek.float64)
    want = F.conv1d(F.pad(x, (1, 2), mode="constant" if mode == "zeros" else mode), m.weight, m.bias)
    np.testing.assert_allclose(npy(m(x)), npy(want), rtol=1e-12)
    x3 = f64(np.random.default_rng(11).uniform(-1, 1, (1, 2, 4, 5, 4)))
    m3 = nn.Conv3d(2, 2, 3, padding=1, padding_mode=mode, dtype=seek.float64)
    want = F.conv3d(F.pad(x3, (1,) * 6, mode="constant" if mode == "zeros" else mode), m3.weight, m3.bias)
    np.testing.assert_allclose(npy(m3(x3)), npy(want), rtol=1e-12)
    m3(x3).sum().backward()
    assert list(m3.weight.grad.shape) == [2, 2, 3, 3, 3]


def test_prelu_learns_its_weight():
    m = nn.PReLU(3, init=0.1, dtype=seek.float64)
    np.testing.assert_array_equal(npy(m.weight), [0.1, 0.1, 0.1])
    x = f64(-np.ones((2, 3, 4)))
    m(x).sum().backward()
    np.testing.assert_allclose(npy(m.weight.grad), [-8.0, -8.0, -8.0])


def test_pooling_modules():
    x = f64(np.random.default_rng(7).uniform(-1, 1, (2, 3, 8)))
    v, i = nn.MaxPool1d(2, return_indices=True)(x)
    np.testing.assert_array_equal(npy(v), npy(F.max_pool1d(x, 2)))
    assert str(i.dtype) == "seek.int64"
    x4 = f64(np.random.default_rng(8).uniform(-1, 1, (2, 3, 7, 5)))
    v, i = nn.AdaptiveMaxPool2d((3, 2), return_indices=True)(x4)
    flat = npy(x4).reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, npy(i).astype(np.int64).reshape(2, 3, -1), -1),
                                  npy(v).reshape(2, 3, -1))


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(9)
    x, c = rng.uniform(-1, 1, (2, 3, 6, 7)), rng.uniform(-1, 1, (2, 3 * 6, 16))
    u = npy(F.unfold(f64(x), (2, 3), padding=1, stride=2))
    f = npy(F.fold(f64(c), (6, 7), (2, 3), padding=1, stride=2))
    assert u.shape == c.shape
    np.testing.assert_allclose((u * c).sum(), (x * f).sum(), rtol=1e-12)


def test_pixel_unshuffle_inverts_pixel_shuffle():
    x = f64(np.arange(2 * 12 * 2 * 3, dtype=np.float64).reshape(2, 12, 2, 3))
    np.testing.assert_array_equal(npy(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2)), npy(x))
    assert list(nn.PixelShuffle(2)(x).shape) == [2, 3, 4, 6]


# ---- bad input ----

@pytest.mark.parametrize("call,words", [
    (lambda: F.conv2d(f64(np.ones((1, 1, 4, 4))), f64(np.ones((1, 1, 3, 3))), stride=2, padding="same"),
     "strided"),
    (lambda: F.conv1d(f64(np.ones((1, 1, 4))), f64(np.ones((1, 1, 3))), padding="full"), "padding"),
    (lambda: nn.Conv2d(1, 1, 3, padding_mode="mirror"), "padding_mode"),
    (lambda: nn.Conv1d(1, 1, 3, stride=2, padding="same"), "strided"),
    (lambda: F.hardtanh(f64(np.ones(2)), 2.0, 1.0), "min_val"),
    (lambda: F.glu(f64(np.ones((2, 3)))), "even"),
    (lambda: F.fold(f64(np.ones((1, 4, 5))), (3, 3), 2), "sliding blocks"),
    (lambda: F.pixel_shuffle(f64(np.ones((1, 3, 2, 2))), 2), "divisible"),
    (lambda: F.conv3d(f64(np.ones((1, 2, 3, 3))), f64(np.ones((1, 2, 2, 2, 2)))), "channels"),
    (lambda: F.huber_loss(f64(np.ones(2)), f64(np.ones(2)), reduction="avg"), "reduction"),
    (lambda: F.gaussian_nll_loss(f64(np.ones(2)), f64(np.ones(2)), f64(-np.ones(2))), "negative"),
    (lambda: F.dropout2d(f64(np.ones((2, 2))), p=1.5), "probability"),
    (lambda: F.cosine_embedding_loss(f64(np.ones(3)), f64(np.ones(3)), f64(np.ones(3))), "target"),
    (lambda: F.prelu(f64(np.ones((2, 3))), f64(np.ones(2))), "weight"),
])
def test_bad_input_raises_with_a_clear_message(call, words):
    with pytest.raises((ValueError, RuntimeError, IndexError, TypeError)) as e:
        call()
    assert words in str(e.value)
