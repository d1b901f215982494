#!/usr/bin/env python3
"""Reference numbers for tests/cpp/nn/test_attention.cpp and test_transformer.cpp.

Run with torch 1.13 and paste the printed C++ arrays into the tests:
    /usr/bin/python3 tests/cpp/nn/gen_attention_ref.py

Inputs and parameters come from the same LCG as seek::testing::uniform_values
(tests/cpp/support/test_util.h), so the C++ test rebuilds them bit for bit:
inputs are uniform in [-1, 1) with the seed given per tensor, and parameter i
(in state_dict order) is uniform in [-0.5, 0.5) with seed 100 + i.
Everything is float64. scaled_dot_product_attention is newer than torch 1.13,
so its reference is the definition written out in torch ops.
"""
import math

import torch

torch.set_default_dtype(torch.float64)
MASK64 = (1 << 64) - 1


def uniform_values(n, lo, hi, seed):
    s, out = seed, []
    for _ in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) & MASK64
        out.append(lo + (hi - lo) * ((s >> 11) / 9007199254740992.0))
    return out


def uniform_tensor(shape, lo, hi, seed):
    n = math.prod(shape)
    return torch.tensor(uniform_values(n, lo, hi, seed)).reshape(shape)


def inp(shape, seed):
    return uniform_tensor(shape, -1.0, 1.0, seed)


def fill_params(module):
    state = {}
    for i, (k, v) in enumerate(module.state_dict().items()):
        state[k] = uniform_tensor(list(v.shape), -0.5, 0.5, 100 + i)
    module.load_state_dict(state)


def emit(name, t):
    vals = ", ".join(repr(float(x)) for x in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // {list(t.shape)}")


def sdpa_ref(q, k, v, mask=None, is_causal=False, scale=None):
    scale = 1.0 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    if is_causal:
        mask = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return scores.softmax(-1) @ v


def gen_sdpa():
    print("// ---- scaled_dot_product_attention ----")
    q, k, v = inp([2, 3, 4], 1), inp([2, 5, 4], 2), inp([2, 5, 6], 3)
    emit("kSdpaPlain", sdpa_ref(q, k, v))
    bool_mask = torch.tensor([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1], [1, 1, 0, 0, 0]], dtype=torch.bool)
    emit("kSdpaBoolMaskScaled", sdpa_ref(q, k, v, bool_mask, scale=0.3))
    emit("kSdpaFloatMask", sdpa_ref(q, k, v, inp([2, 3, 5], 4)))
    emit("kSdpaCausal", sdpa_ref(q, k, v, is_causal=True))
    emit("kSdpaBroadcastKV", sdpa_ref(q, k[0], v[0]))


def mha_case(name, module, q, k, v, **kw):
    fill_params(module)
    module.eval()
    out, w = module(q, k, v, **kw)
    emit(name + "Out", out)
    if w is not None:
        emit(name + "Weights", w)


def gen_mha():
    print("// ---- MultiheadAttention ----")
    m = torch.nn.MultiheadAttention(4, 2)
    print("// state_dict keys:", list(m.state_dict().keys()))
    x = inp([3, 2, 4], 10)
    mha_case("kMhaSelf", m, x, x, x)

    m = torch.nn.MultiheadAttention(4, 2, batch_first=True)
    q, k, v = inp([2, 3, 4], 11), inp([2, 5, 4], 12), inp([2, 5, 4], 13)
    attn_mask = torch.tensor([[0, 1, 0, 0, 1], [1, 0, 0, 0, 0], [0, 0, 0, 1, 0]], dtype=torch.bool)
    kpm = torch.tensor([[0, 0, 0, 0, 1], [0, 1, 0, 0, 0]], dtype=torch.bool)
    mha_case("kMhaCrossMasks", m, q, k, v, attn_mask=attn_mask, key_padding_mask=kpm, average_attn_weights=False)

    m = torch.nn.MultiheadAttention(4, 2)
    q, k = inp([3, 2, 4], 14), inp([5, 2, 4], 15)
    mha_case("kMhaFloatAttnMask3d", m, q, k, k, attn_mask=inp([4, 3, 5], 16), need_weights=False)
    mha_case("kMhaFloatKpm", m, q, k, k, key_padding_mask=inp([2, 5], 17))

    m = torch.nn.MultiheadAttention(4, 2)
    x = inp([3, 4], 18)
    causal = torch.ones(3, 3, dtype=torch.bool).triu(1)
    mha_case("kMhaUnbatched", m, x, x, x, attn_mask=causal)

    m = torch.nn.MultiheadAttention(4, 2, kdim=3, vdim=5)
    print("// kdim/vdim state_dict keys:", list(m.state_dict().keys()))
    mha_case("kMhaKdimVdim", m, inp([3, 2, 4], 19), inp([5, 2, 3], 20), inp([5, 2, 5], 21))


def gen_encoder():
    print("// ---- TransformerEncoderLayer / TransformerEncoder ----")
    layer = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.1)
    print("// state_dict keys:", list(layer.state_dict().keys()))
    fill_params(layer)
    layer.eval()
    kpm = torch.tensor([[0, 0, 1], [0, 0, 0]], dtype=torch.bool)
    emit("kEncPostNorm", layer(inp([3, 2, 4], 30), src_key_padding_mask=kpm))

    layer = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.1, activation="gelu",
                                             batch_first=True, norm_first=True)
    fill_params(layer)
    layer.eval()
    causal = torch.ones(3, 3, dtype=torch.bool).triu(1)
    emit("kEncPreNormGelu", layer(inp([2, 3, 4], 31), src_mask=causal))

    layer = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.1)
    fill_params(layer)
    enc = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(4), enable_nested_tensor=False)
    print("// encoder state_dict keys:", list(enc.state_dict().keys()))
    with torch.no_grad():
        enc.norm.weight.copy_(uniform_tensor([4], -0.5, 0.5, 200))
        enc.norm.bias.copy_(uniform_tensor([4], -0.5, 0.5, 201))
    enc.eval()
    emit("kEncoderStack", enc(inp([3, 2, 4], 32)))


if __name__ == "__main__":
    gen_sdpa()
    gen_mha()
    gen_encoder()
