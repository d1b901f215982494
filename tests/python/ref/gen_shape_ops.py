"""Writes shape_ops.json: reference values from PyTorch 1.13 for tests/python/test_shape_ops.py.

Run with the reference interpreter (torch is never imported by the tests):
    /work/torchref/bin/python tests/python/ref/gen_shape_ops.py

Each case is a Python expression over named inputs, written so that it runs unchanged with
`torch` bound to seek. The file stores the inputs, the outputs and, for differentiable cases,
the gradients of L = sum_k (out_k * cos(arange(numel_k)).reshape(shape_k)).sum() with respect
to every floating input.
"""
import json
import os
import re

import numpy as np
import torch

rng = np.random.default_rng(12)


def f64(*shape):
    return rng.uniform(-2, 2, size=shape).round(3)


def ints(lo, hi, *shape):
    return rng.integers(lo, hi, size=shape)


INPUTS = {
    "x": f64(2, 3, 4),
    "m": f64(4, 4),
    "r": f64(3, 5),
    "b3": f64(2, 3, 3),
    "v1": f64(7),
    "v2": f64(3),
    "v3": f64(2),
    "e": np.zeros((0, 3)),
    "i": ints(-9, 9, 3, 4),
    "z": np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]),
    "bm": np.array([[True, False, True], [False, False, True]]),
    "a": f64(3, 4, 2),
    "b": f64(4, 3, 5),
    "c": f64(2, 3, 5),
    "c1": f64(1, 3, 5),
    "c2": f64(3, 5),
    "b1": f64(2, 3, 4),
    "b2": f64(2, 4, 5),
    "q": f64(2, 2, 3, 4),
    "k": f64(2, 2, 5, 4),
    "p": f64(2, 1, 3, 4),
    "w": f64(3, 4, 2),
    "u": f64(4, 2, 3),
    "s": f64(4, 5),
    "s0": np.array([[1.0, 0.0, 2.0, -1.0, 3.0], [0.5, 2.0, 0.0, 4.0, 1.0], [2.0, 1.0, 1.5, 0.0, -2.0]]),
    "idx": np.array([[0, 1, 2, 0, 0], [2, 0, 1, 1, 2]]),
    "idx1": np.array([[0, 1, 1], [3, 3, 0], [2, 2, 2]]),
    "isrc": ints(-20, 20, 2, 5),
    "iself": ints(-20, 20, 3, 5),
    "tix": np.array([[[0, 2], [1, 1], [2, 0]]]),
}
DTYPES = {"i": "int64", "idx": "int64", "idx1": "int64", "isrc": "int64", "iself": "int64", "tix": "int64",
          "bm": "bool"}

# (name, expression, differentiable)
CASES = [
    # flip / roll
    ("flip_two_dims", "torch.flip(x, [0, 2])", True),
    ("flip_method_negative", "x.flip(-1)", True),
    ("flip_noncontiguous", "m.t().flip(0)", True),
    ("flip_empty", "torch.flip(e, [0, 1])", False),
    ("flip_int", "torch.flip(i, (1,))", False),
    ("fliplr", "torch.fliplr(r)", True),
    ("flipud", "torch.flipud(x)", True),
    ("roll_flat", "torch.roll(x, 5)", True),
    ("roll_dims", "torch.roll(x, (1, -2), (0, 2))", True),
    ("roll_method", "r.roll(-1, 1)", True),
    ("roll_noncontiguous_big_shift", "torch.roll(m.t(), 9, 0)", True),
    ("roll_empty", "torch.roll(e, 1, 0)", False),
    # repeat / tile / repeat_interleave
    ("repeat_same_dims", "x.repeat(2, 1, 3)", True),
    ("repeat_more_dims", "r.repeat(2, 1, 2)", True),
    ("repeat_noncontiguous", "r.t().repeat(1, 2)", True),
    ("repeat_zero", "r.repeat(0, 2)", False),
    ("tile_fewer", "torch.tile(x, (2,))", True),
    ("tile_more", "r.tile(2, 1, 2)", True),
    ("repeat_interleave_flat", "torch.repeat_interleave(r, 2)", True),
    ("repeat_interleave_dim", "x.repeat_interleave(3, dim=1)", True),
    ("repeat_interleave_tensor", "x.repeat_interleave(torch.tensor([1, 0, 2, 3]), dim=-1)", True),
    ("repeat_interleave_only_repeats", "torch.repeat_interleave(torch.tensor([2, 0, 1]))", False),
    ("repeat_interleave_int", "i.repeat_interleave(2, dim=0)", False),
    # triangles
    ("tril", "torch.tril(m)", True),
    ("triu_diag1", "torch.triu(m, 1)", True),
    ("tril_method_neg", "m.tril(-1)", True),
    ("triu_batched", "torch.triu(b3, diagonal=-1)", True),
    ("tril_rect", "torch.tril(r, 2)", True),
    ("triu_noncontiguous", "m.t().triu()", True),
    ("tril_int", "torch.tril(i)", False),
    # broadcasting
    ("broadcast_to", "torch.broadcast_to(v2, (2, 4, 3))", True),
    ("broadcast_tensors", "torch.broadcast_tensors(x, v3.reshape(2, 1, 1), c1[0, :, :4])", True),
    # diagonals
    ("diagonal", "torch.diagonal(m)", True),
    ("diagonal_offset", "m.diagonal(1)", True),
    ("diagonal_batched", "torch.diagonal(b3, -1, 1, 2)", True),
    ("diagonal_dims", "torch.diagonal(x, offset=1, dim1=-1, dim2=0)", True),
    ("diagonal_empty", "torch.diagonal(r, 5)", False),
    ("diagonal_noncontiguous", "m.t().diagonal(-1)", True),
    ("diag_vector", "torch.diag(v2)", True),
    ("diag_vector_offset", "torch.diag(v2, -2)", True),
    ("diag_matrix", "torch.diag(r, 1)", True),
    ("diag_embed", "torch.diag_embed(r)", True),
    ("diag_embed_dims", "torch.diag_embed(r, 1, 0, 2)", True),
    ("diag_embed_neg", "torch.diag_embed(x, -1, dim1=-1, dim2=0)", True),
    # grids and windows
    ("meshgrid_ij", "torch.meshgrid(v2, v3, indexing='ij')", True),
    ("meshgrid_xy", "torch.meshgrid(v2, v3, v1, indexing='xy')", True),
    ("meshgrid_list_xy", "torch.meshgrid([v3, v2], indexing='xy')", True),
    ("unfold", "x.unfold(1, 2, 1)", True),
    ("unfold_step", "v1.unfold(0, 3, 2)", True),
    ("unfold_last", "x.unfold(-1, 4, 3)", True),
    ("unfold_noncontiguous", "m.t().unfold(0, 2, 2)", True),
    ("rot90", "torch.rot90(r)", True),
    ("rot90_k2", "torch.rot90(x, 2, [1, 2])", True),
    ("rot90_neg", "torch.rot90(x, -1, (0, 2))", True),
    ("rot90_k3", "r.rot90(3)", True),
    ("movedim_tuple", "torch.movedim(x, (0, 1), (2, 0))", True),
    ("moveaxis", "x.moveaxis(-1, 0)", True),
    ("tensor_split_sections", "torch.tensor_split(v1, 3)", True),
    ("tensor_split_indices", "x.tensor_split([1, 3], dim=2)", True),
    # einsum
    ("einsum_matmul", "torch.einsum('ij,jk->ik', r, s.t())", True),
    ("einsum_bmm", "torch.einsum('bij,bjk->bik', b1, b2)", True),
    ("einsum_trace", "torch.einsum('ii', m)", True),
    ("einsum_diagonal", "torch.einsum('ii->i', m)", True),
    ("einsum_outer", "torch.einsum('i,j->ij', v1, v2)", True),
    ("einsum_transpose", "torch.einsum('ij->ji', r)", True),
    ("einsum_attention", "torch.einsum('bhqd,bhkd->bhqk', q, k)", True),
    ("einsum_ellipsis", "torch.einsum('...ij,...jk', b1, b2)", True),
    ("einsum_sum_all", "torch.einsum('ij->', r)", True),
    ("einsum_hadamard", "torch.einsum('ij,ij->ij', r, r.flip(0))", True),
    ("einsum_broadcast", "torch.einsum('...ij,...jk->...ik', p, k[0, 0].t())", True),
    ("einsum_broadcast_batch", "torch.einsum('...ij,...jk', p, q.transpose(-1, -2))", True),
    ("einsum_dot", "torch.einsum('i,i->', v2, v2.flip(0))", True),
    ("einsum_bilinear", "torch.einsum('bn,anm,bm->ba', b1[:, 0, :3], b, b2[:, 0, :])", True),
    ("einsum_implicit_mv", "torch.einsum('ij,j', r, s[0])", True),
    ("einsum_repeat_sum", "torch.einsum('iij->j', torch.stack([m, m.t(), m * 2], 2))", True),
    ("einsum_spaces_list", "torch.einsum('b i d, b j d -> b i j', [b1, b1.flip(1)])", True),
    ("einsum_one_operand_sum", "torch.einsum('ijk->j', x)", True),
    ("einsum_three_chain", "torch.einsum('ij,jk,kl->il', r, s.t(), s)", True),
    ("einsum_empty", "torch.einsum('ij,jk->ik', e.t(), e)", False),
    # products
    ("baddbmm", "torch.baddbmm(c, b1, b2)", True),
    ("baddbmm_scaled_broadcast", "torch.baddbmm(c1, b1, b2, beta=0.5, alpha=2.0)", True),
    ("baddbmm_beta0", "c.baddbmm(b1, b2, beta=0)", True),
    ("addbmm", "torch.addbmm(c2, b1, b2, beta=2, alpha=0.5)", True),
    ("tensordot_default", "torch.tensordot(w, u)", True),
    ("tensordot_lists", "torch.tensordot(a, b, dims=([1, 0], [0, 1]))", True),
    ("tensordot_zero", "torch.tensordot(v2, v3, 0)", True),
    ("tensordot_one", "torch.tensordot(r, s.t(), dims=1)", True),
    ("kron", "torch.kron(m, r)", True),
    ("kron_dims", "torch.kron(v2, x)", True),
    ("ger", "torch.ger(v1, v2)", True),
    ("vdot", "torch.vdot(v1, v1.flip(0))", True),
    ("outer", "torch.outer(v2, v3)", True),
    # nonzero and friends
    ("nonzero", "torch.nonzero(z)", False),
    ("nonzero_tuple", "z.nonzero(as_tuple=True)", False),
    ("nonzero_bool", "bm.nonzero()", False),
    ("nonzero_scalar", "torch.nonzero(torch.tensor(3.0))", False),
    ("nonzero_empty", "torch.nonzero(e)", False),
    ("argwhere", "torch.argwhere(i)", False),
    # scatter_reduce, take_along_dim, index_fill, index_put, masked_scatter
    ("take_along_dim", "torch.take_along_dim(r, idx1[:, :2] % 5, dim=1)", True),
    ("take_along_dim_broadcast", "torch.take_along_dim(x, tix, dim=2)", True),
    ("take_along_dim_flat", "torch.take_along_dim(r, idx1.reshape(-1))", True),
    ("index_fill", "x.index_fill(1, torch.tensor([0, 2]), -1.5)", True),
    ("index_fill_neg_dim", "torch.index_fill(r, -1, torch.tensor([4, 1]), 5.0)", True),
    ("index_fill_tensor_value", "r.index_fill(0, torch.tensor([1]), torch.tensor(2.5))", True),
    ("index_fill_int", "i.index_fill(0, torch.tensor([2]), 7)", False),
    ("index_put_accumulate", "r.index_put((torch.tensor([0, 2, 0]),), s[:3] * 2, accumulate=True)", True),
    ("index_put_accumulate_pairs", "torch.index_put(m, (torch.tensor([0, 1, 0, 3]), torch.tensor([2, 2, 2, 0])), v1[:4], True)", True),
    ("index_put_assign", "m.index_put((torch.tensor([3, 1]),), r[:2, :4])", True),
    ("index_put_scalar_broadcast_accumulate", "torch.index_put(r, (torch.tensor([1, 1]), torch.tensor([0, 0])), torch.tensor(1.25, dtype=torch.float64), accumulate=True)", True),
    ("index_put_inplace_accumulate", "r.clone().index_put_((torch.tensor([2, 2, 2]),), v3.sum() + torch.zeros(5, dtype=torch.float64), accumulate=True)", True),
    ("masked_scatter", "z.masked_scatter(z > 0, s.reshape(-1))", True),
    ("masked_scatter_broadcast", "r.masked_scatter(torch.tensor([True, False, False, True, True]), s)", True),
]
for reduce in ("sum", "prod", "mean", "amax", "amin"):
    for include_self in (True, False):
        tag = f"{reduce}_{'self' if include_self else 'noself'}"
        CASES.append((f"scatter_reduce_{tag}", f"s0.scatter_reduce(0, idx, s[:2], '{reduce}', include_self={include_self})",
                      True))
        CASES.append((f"scatter_reduce_dim1_{tag}",
                      f"torch.scatter_reduce(r, -1, idx1 + 1, s0[:, 1:4] * 2, '{reduce}', include_self={include_self})",
                      True))
        CASES.append((f"scatter_reduce_int_{tag}",
                      f"iself.scatter_reduce(0, idx, isrc, '{reduce}', include_self={include_self})", False))
CASES.append(("scatter_reduce_empty_index", "r.scatter_reduce(0, idx[:0], s[:0], 'sum')", True))


def encode(t):
    t = t.detach()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "data": t.reshape(-1).tolist() if t.dtype != torch.bool else [bool(v) for v in t.reshape(-1).tolist()]}


def weights(o):
    return torch.arange(o.numel(), dtype=torch.float64).cos().reshape(o.shape)


def main():
    out = {"inputs": {}, "cases": []}
    for name, arr in INPUTS.items():
        dt = DTYPES.get(name, "float64")
        out["inputs"][name] = {"dtype": dt, "shape": list(arr.shape), "data": np.asarray(arr).reshape(-1).tolist()}
    for name, expr, grad in CASES:
        env = {"torch": torch}
        for n, arr in INPUTS.items():
            t = torch.tensor(np.asarray(arr), dtype=getattr(torch, DTYPES.get(n, "float64")))
            if grad and t.dtype == torch.float64:
                t.requires_grad_(True)
            env[n] = t
        try:
            res = eval(expr, env)
        except Exception as err:  # noqa: BLE001
            print("skipped", name, err)
            continue
        outs = list(res) if isinstance(res, (tuple, list)) else [res]
        case = {"name": name, "expr": expr, "outputs": [encode(o) for o in outs], "tuple": isinstance(res, (tuple, list))}
        if grad:
            names = set(re.findall(r"[A-Za-z_]\w*", expr))
            used = [n for n in INPUTS if n in names and env[n].dtype == torch.float64]
            loss = sum(((o.double() * weights(o)).sum() for o in outs if o.requires_grad), torch.zeros((), dtype=torch.float64))
            grads = torch.autograd.grad(loss, [env[n] for n in used], allow_unused=True)
            case["grads"] = {n: encode(g if g is not None else torch.zeros_like(env[n])) for n, g in zip(used, grads)}
        out["cases"].append(case)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shape_ops.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", path, len(out["cases"]), "cases")


if __name__ == "__main__":
    main()
