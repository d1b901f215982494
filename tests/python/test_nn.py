"""seek.nn layers and seek.nn.functional against float64 numpy references."""
import math

import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F


def f64(a):
    return seek.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def npy(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def conv2d_ref(x, w, b, stride, padding, groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out + (b[None, :, None, None] if b is not None else 0)


def test_linear_matches_numpy(rng):
    lin = nn.Linear(5, 3, dtype=seek.float64)
    x = rng.standard_normal((4, 5))
    w, b = npy(lin.weight), npy(lin.bias)
    np.testing.assert_allclose(npy(lin(f64(x))), x @ w.T + b, rtol=1e-12, atol=1e-12)
    assert lin.in_features == 5 and lin.out_features == 3
    assert [k for k, _ in lin.named_parameters()] == ["weight", "bias"]
    bound = 1 / math.sqrt(5)
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)


def test_linear_without_bias_has_no_bias_parameter():
    lin = nn.Linear(in_features=3, out_features=2, bias=False)
    assert [k for k, _ in lin.named_parameters()] == ["weight"]
    assert lin.num_parameters() == 6


@pytest.mark.parametrize("stride,padding,groups", [(1, 0, 1), (2, 1, 1), (1, 1, 2)])
def test_conv2d_matches_numpy(rng, stride, padding, groups):
    conv = nn.Conv2d(4, 6, kernel_size=3, stride=stride, padding=padding, groups=groups, dtype=seek.float64)
    x = rng.standard_normal((2, 4, 7, 6))
    ref = conv2d_ref(x, npy(conv.weight), npy(conv.bias), stride, padding, groups)
    np.testing.assert_allclose(npy(conv(f64(x))), ref, rtol=1e-10, atol=1e-10)
    assert conv.weight.shape == (6, 4 // groups, 3, 3)


def test_functional_conv2d_and_linear_keywords(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    y = F.conv2d(f64(x), f64(w), bias=None, stride=2, padding=1)
    np.testing.assert_allclose(npy(y), conv2d_ref(x, w, None, 2, 1), rtol=1e-10, atol=1e-10)
    a, m = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    np.testing.assert_allclose(npy(F.linear(f64(a), f64(m))), a @ m.T, rtol=1e-12)


def test_conv_transpose2d_is_adjoint_of_conv2d(rng):
    # <conv(x), y> == <x, conv_transpose(y)> with the same weight.
    w = rng.standard_normal((3, 2, 3, 3))
    x, y = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((1, 3, 3, 3))
    cx = F.conv2d(f64(x), f64(w), stride=2, padding=1)
    ty = F.conv_transpose2d(f64(y), f64(w), stride=2, padding=1, output_padding=1)
    assert ty.shape == (1, 2, 6, 6)
    assert abs((npy(cx) * y).sum() - (x * npy(ty)).sum()) < 1e-9
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)
    assert layer(seek.randn(1, 3, 3, 3)).shape == (1, 2, 6, 6)


def test_batchnorm2d_training_and_eval(rng):
    bn = nn.BatchNorm2d(3, dtype=seek.float64)
    x = rng.standard_normal((4, 3, 2, 2)) * 2 + 1
    y = npy(bn(f64(x)))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y, (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(npy(bn.running_mean), 0.1 * mean, rtol=1e-9)
    np.testing.assert_allclose(npy(bn.running_var), 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-9)
    assert bn.num_batches_tracked.item() == 1
    assert list(bn.state_dict().keys()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    bn.eval()
    y_eval = npy(bn(f64(x)))
    rm, rv = npy(bn.running_mean), npy(bn.running_var)
    np.testing.assert_allclose(y_eval, (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5),
                               rtol=1e-9, atol=1e-9)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm1d_no_affine_no_stats():
    bn = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    assert list(bn.parameters()) == [] and list(bn.buffers()) == []
    assert bn(seek.randn(8, 4)).shape == (8, 4)


def test_layer_norm_and_group_norm(rng):
    x = rng.standard_normal((2, 4, 3))
    ln = nn.LayerNorm([4, 3], dtype=seek.float64)
    m, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(npy(ln(f64(x))), (x - m) / np.sqrt(v + 1e-5), rtol=1e-9, atol=1e-9)
    gn = nn.GroupNorm(2, 4, dtype=seek.float64)
    xg = x.reshape(2, 2, 6)
    ref = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)).reshape(2, 4, 3)
    np.testing.assert_allclose(npy(gn(f64(x))), ref, rtol=1e-9, atol=1e-9)


def test_pooling_matches_numpy(rng):
    x = rng.standard_normal((1, 2, 4, 4))
    mx = npy(nn.MaxPool2d(2)(f64(x)))
    av = npy(nn.AvgPool2d(kernel_size=2, stride=2)(f64(x)))
    blocks = x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    np.testing.assert_allclose(mx, blocks.max(-1), rtol=1e-12)
    np.testing.assert_allclose(av, blocks.mean(-1), rtol=1e-12)
    np.testing.assert_allclose(npy(nn.AdaptiveAvgPool2d(1)(f64(x))), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    vals, idx = F.max_pool2d(f64(x), 2, return_indices=True)
    np.testing.assert_allclose(npy(vals), mx)
    assert idx.dtype == seek.int64


def test_embedding_flatten_identity_upsample():
    emb = nn.Embedding(10, 3, padding_idx=0)
    out = emb(seek.tensor([[0, 4], [9, 4]]))
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(npy(out[0, 0]), np.zeros(3))
    np.testing.assert_allclose(npy(out[1, 1]), npy(emb.weight[4]))
    assert nn.Flatten()(seek.zeros(2, 3, 4)).shape == (2, 12)
    x = seek.randn(2, 2)
    assert seek.equal(nn.Identity(54, unused="x")(x), x)
    up = nn.Upsample(scale_factor=2, mode="nearest")
    y = up(seek.arange(4.0).reshape(1, 1, 2, 2))
    assert y.tolist() == [[[[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]]]


def test_activations_match_numpy(rng):
    x = rng.standard_normal(20) * 3
    t = f64(x)
    np.testing.assert_allclose(npy(nn.ReLU()(t)), np.maximum(x, 0))
    np.testing.assert_allclose(npy(nn.ReLU6()(t)), np.clip(x, 0, 6))
    np.testing.assert_allclose(npy(nn.LeakyReLU(negative_slope=0.2)(t)), np.where(x > 0, x, 0.2 * x), rtol=1e-12)
    np.testing.assert_allclose(npy(nn.Sigmoid()(t)), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(npy(nn.Tanh()(t)), np.tanh(x), rtol=1e-12)
    np.testing.assert_allclose(npy(nn.SiLU()(t)), x / (1 + np.exp(-x)), rtol=1e-12)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(npy(nn.GELU()(t)), 0.5 * x * (1 + erf(x / math.sqrt(2))), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(nn.Hardswish()(t)), x * np.clip(x + 3, 0, 6) / 6, rtol=1e-12)
    np.testing.assert_allclose(npy(F.softplus(t, beta=2.0)), np.log1p(np.exp(2 * x)) / 2, rtol=1e-10)
    sm = npy(nn.Softmax(dim=0)(t))
    np.testing.assert_allclose(sm, np.exp(x) / np.exp(x).sum(), rtol=1e-12)
    np.testing.assert_allclose(npy(F.log_softmax(t, dim=0)), np.log(sm), rtol=1e-10)


def test_dropout_train_and_eval():
    seek.manual_seed(0)
    d = nn.Dropout(p=0.5)
    x = seek.ones(10000)
    y = npy(d(x))
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.45 < (y == 0).mean() < 0.55
    d.eval()
    assert seek.equal(d(x), x)
    with pytest.raises(ValueError, match="Dropout"):
        nn.Dropout(p=1.5)


def test_losses_match_numpy(rng):
    logits = rng.standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    nll = -logp[np.arange(5), target]
    t_logits, t_target = f64(logits), seek.tensor(target.tolist())
    np.testing.assert_allclose(F.cross_entropy(t_logits, t_target).item(), nll.mean(), rtol=1e-12)
    ls = 0.1
    smooth = -logp.mean(1)
    ce_ls = nn.CrossEntropyLoss(label_smoothing=ls)(t_logits, t_target).item()
    np.testing.assert_allclose(ce_ls, ((1 - ls) * nll + ls * smooth).mean(), rtol=1e-12)
    np.testing.assert_allclose(npy(F.cross_entropy(t_logits, t_target, reduction="none")), nll, rtol=1e-12)
    np.testing.assert_allclose(nn.NLLLoss()(f64(logp), t_target).item(), nll.mean(), rtol=1e-12)
    a, b = rng.standard_normal(6), rng.standard_normal(6)
    np.testing.assert_allclose(nn.MSELoss()(f64(a), f64(b)).item(), ((a - b) ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(f64(a), f64(b), reduction="sum").item(), np.abs(a - b).sum(), rtol=1e-12)
    p, y = 1 / (1 + np.exp(-a)), (b > 0).astype(np.float64)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(f64(a), f64(y)).item(), bce, rtol=1e-10)
    np.testing.assert_allclose(F.binary_cross_entropy(f64(p), f64(y)).item(), bce, rtol=1e-10)


def test_loss_backward_matches_softmax_minus_onehot(rng):
    logits = rng.standard_normal((3, 4))
    x = f64(logits).requires_grad_(True)
    F.cross_entropy(x, seek.tensor([1, 0, 3]), reduction="sum").backward()
    sm = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    sm[np.arange(3), [1, 0, 3]] -= 1
    np.testing.assert_allclose(npy(x.grad), sm, rtol=1e-10, atol=1e-12)


def test_init_functions():
    w = seek.empty(4, 6)
    assert nn.init.constant_(w, 0.5) is not None
    assert np.all(npy(w) == 0.5)
    nn.init.zeros_(w)
    assert np.all(npy(w) == 0)
    seek.manual_seed(1)
    nn.init.kaiming_uniform_(w, a=0.0, mode="fan_in", nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 6)
    assert np.all(np.abs(npy(w)) <= bound) and np.abs(npy(w)).max() > bound / 2
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    nn.init.xavier_normal_(w)
    assert npy(w).std() > 0


def test_containers():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert [k for k, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert seq(seek.randn(5, 3)).shape == (5, 2)
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(TypeError, match="Sequential"):
        nn.Sequential(nn.ReLU(), 3)
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 4 and len(list(ml)) == 4 and ml[3].out_features == 1
    assert "3.weight" in ml.state_dict()
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    md["head"] = nn.Linear(2, 1)
    assert md.keys() == ["enc", "dec", "head"] and "enc" in md and len(md) == 3
    assert list(md.state_dict().keys())[0] == "enc.weight"
    with pytest.raises(KeyError):
        md["nope"]


def test_multihead_attention_and_transformer_shapes():
    mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
    q = seek.randn(2, 5, 8)
    out, w = mha(q, q, q)
    assert out.shape == (2, 5, 8) and w.shape == (2, 5, 5)
    out, w = mha(q, q, q, need_weights=False)
    assert w is None
    layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    enc = nn.TransformerEncoder(layer, num_layers=2)
    assert enc(q).shape == (2, 5, 8)
    assert "layers.1.self_attn.in_proj_weight" in enc.state_dict()


def test_state_dict_round_trip_and_strict_errors():
    a, b = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    b.load_state_dict(a.state_dict())
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and seek.equal(va, vb)
    sd = a.state_dict()
    del sd["0.bias"]
    with pytest.raises(ValueError, match="0.bias"):
        b.load_state_dict(sd)
    result = b.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == []
    sd["extra"] = seek.zeros(1)
    assert b.load_state_dict(sd, strict=False).unexpected_keys == ["extra"]
    bad = a.state_dict()
    bad["0.weight"] = seek.zeros(2, 2)
    with pytest.raises(ValueError):
        b.load_state_dict(bad, strict=False)


def test_module_to_dtype_train_eval_zero_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    assert m.to(seek.float64) is m
    assert all(p.dtype == seek.float64 for p in m.parameters())
    m.double().float()
    assert all(p.dtype == seek.float32 for p in m.parameters())
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    m.train()
    assert m[1].training
    m(seek.randn(3, 2)).sum().backward()
    assert m[0].weight.grad is not None
    m.zero_grad()
    assert m[0].weight.grad is None


def test_bad_input_errors():
    with pytest.raises(ValueError, match="linear: input \\[4, 5\\]"):
        nn.Linear(3, 2)(seek.randn(4, 5))
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")  # reflect/replicate/circular are supported
    with pytest.raises(ValueError):
        F.cross_entropy(seek.randn(3, 4), seek.tensor([0, 1]))



def test_attributes_on_cpp_layers_register_too():
    lin = nn.Linear(2, 2)
    lin.gain = nn.Parameter(seek.ones(2))
    lin.tag = "head"
    assert [k for k, _ in lin.named_parameters()] == ["weight", "bias", "gain"]
    assert lin.tag == "head" and lin.gain.tolist() == [1.0, 1.0]


def test_attention_pad_one_hot_interpolate_match_numpy(rng):
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    s = q @ k.transpose(0, 2, 1) / 2.0
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = F.scaled_dot_product_attention(f64(q), f64(k), f64(v))
    np.testing.assert_allclose(npy(out), w @ v, rtol=1e-10, atol=1e-12)
    x = rng.standard_normal((1, 2, 3))
    np.testing.assert_allclose(npy(F.pad(f64(x), [1, 2], value=0.5)),
                               np.pad(x, ((0, 0), (0, 0), (1, 2)), constant_values=0.5))
    assert F.one_hot(seek.tensor([2, 0]), num_classes=3).tolist() == [[0, 0, 1], [1, 0, 0]]
    img = f64(np.arange(4.0).reshape(1, 1, 2, 2))
    up = npy(F.interpolate(img, size=[3, 3], mode="bilinear", align_corners=True))
    np.testing.assert_allclose(up[0, 0], [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]], rtol=1e-12)
