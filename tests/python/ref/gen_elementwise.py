"""Writes elementwise.json, the PyTorch 1.13 reference values that tests/python/test_elementwise.py
checks seek against: the elementwise and reduction ops of issue 12 on edge values (inf, NaN,
negative zero, domain edges, integer inputs), their result dtypes, their errors, and the
gradients of the differentiable ones.

Run with the PyTorch venv:  /work/torchref/bin/python tests/python/ref/gen_elementwise.py
Each case is a Python expression over the inputs, evaluated with `torch` bound to torch here
and to seek in the test; the test never imports torch.
"""
import json
import math
import os

import torch

INF, NAN = math.inf, math.nan
EDGE = [-INF, -2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5, 2.5, INF, NAN]
UNIT = [-1.0, -0.999, -0.5, -0.0, 0.0, 0.3, 0.999, 1.0, 1.5, -1.5, NAN]

# name -> (expression, {input: (values, dtype)})
CASES = {}


def case(name, code, **inputs):
    CASES[name] = (code, inputs)


for fn in ["expm1", "log2", "log10", "tan", "sinh", "cosh", "asinh", "atan", "trunc", "fix", "frac", "sign",
           "floor", "ceil", "round", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num"]:
    case(fn, f"torch.{fn}(a)", a=(EDGE, "float32"))
for fn in ["asin", "acos", "atanh", "acosh"]:
    case(fn, f"torch.{fn}(a)", a=(UNIT + [2.0, 10.0], "float32"))
case("acosh_edge", "torch.acosh(a)", a=([1.0, 1.0000001, 3.0], "float64"))
case("log2_zero_neg", "torch.log2(a)", a=([0.0, -0.0, -1.0, 8.0, 1e-40], "float32"))
case("log10_zero", "torch.log10(a)", a=([0.0, 1000.0, 1e-5], "float64"))
for fn in ["log2", "log10", "expm1", "tan", "asin", "atan", "sinh", "cosh", "asinh", "acosh", "atanh"]:
    case(fn + "_int", f"torch.{fn}(a)", a=([0, 1, 2, 3], "int64"))
for fn in ["trunc", "sign", "floor", "ceil", "round", "isnan", "isinf", "isfinite", "nan_to_num"]:
    case(fn + "_int", f"torch.{fn}(a)", a=([-3, 0, 7], "int64"))
case("isnan_bool", "torch.isnan(a)", a=([True, False], "bool"))
case("sign_bool", "torch.sign(a)", a=([True, False], "bool"))
case("round_half_even", "torch.round(a)", a=([0.5, 1.5, 2.5, -0.5, -1.5, 1e7 + 0.5], "float64"))
case("round_decimals", "torch.round(a, decimals=2)", a=([1.2345, -2.675, 0.125, 1e-3, INF, NAN], "float32"))
case("round_decimals_neg", "torch.round(a, decimals=-1)", a=([1.25, 2.5, -12.5, 1234.5, 15.0, 25.0], "float32"))
case("round_decimals_f64", "torch.round(a, decimals=3)", a=([3.14159265, -2.7182818, 0.0005, 0.0015], "float64"))
case("nan_to_num_args", "torch.nan_to_num(a, nan=1.5, posinf=100.0, neginf=-7.0)", a=(EDGE, "float32"))
case("nan_to_num_f64", "torch.nan_to_num(a)", a=([NAN, INF, -INF, 2.0], "float64"))
case("nan_to_num_method", "a.nan_to_num(posinf=3.0)", a=([NAN, INF, -INF], "float32"))

A = [-7.5, -7.0, -3.0, -0.0, 0.0, 2.0, 5.5, 7.0, INF, -INF, NAN, 3.0]
B = [2.0, -2.0, 2.5, 3.0, -3.0, 0.0, -2.0, 2.0, 2.0, 3.0, 1.0, INF]
for fn in ["atan2", "hypot", "fmod", "remainder", "floor_divide", "true_divide"]:
    case(fn, f"torch.{fn}(a, b)", a=(A, "float32"), b=(B, "float32"))
case("div_trunc", "torch.div(a, b, rounding_mode='trunc')", a=(A, "float32"), b=(B, "float32"))
case("div_floor", "torch.div(a, b, rounding_mode='floor')", a=(A, "float32"), b=(B, "float32"))
case("div_none", "torch.div(a, b, rounding_mode=None)", a=(A, "float32"), b=(B, "float32"))
IA = [-7, -7, 7, 7, 0, 5, -5, 6]
IB = [2, -2, 2, -2, 3, 3, -3, 4]
for fn in ["fmod", "remainder", "floor_divide", "true_divide", "atan2", "hypot"]:
    if fn == "hypot":
        continue  # torch 1.13 has no integer hypot
    case(fn + "_int", f"torch.{fn}(a, b)", a=(IA, "int64"), b=(IB, "int64"))
case("div_trunc_int", "torch.div(a, b, rounding_mode='trunc')", a=(IA, "int64"), b=(IB, "int64"))
case("div_floor_int", "a.div(b, rounding_mode='floor')", a=(IA, "int64"), b=(IB, "int64"))
case("div_int_true", "torch.div(a, b)", a=(IA, "int64"), b=(IB, "int64"))
case("floordiv_op_int", "a // b", a=(IA, "int64"), b=(IB, "int64"))
case("mod_op_int", "a % b", a=(IA, "int64"), b=(IB, "int64"))
case("mod_op_scalar", "a % -3", a=(IA, "int64"))
case("rmod_op_scalar", "10 % b", b=(IB, "int64"))
case("mod_op_float", "a % 2.5", a=(A, "float32"))
case("fmod_scalar", "torch.fmod(a, 3)", a=(IA, "int64"))
case("remainder_scalar_float", "torch.remainder(a, -1.5)", a=(A, "float32"))
case("remainder_int32", "torch.remainder(a, b)", a=(IA, "int32"), b=(IB, "int32"))
case("fmod_mixed", "torch.fmod(a, b)", a=(IA, "int64"), b=([2.5] * 8, "float32"))
for fn, code in [("fmod_zero", "torch.fmod(a, b)"), ("remainder_zero", "torch.remainder(a, b)"),
                 ("floordiv_zero", "a // b"), ("div_trunc_zero", "torch.div(a, b, rounding_mode='trunc')"),
                 ("div_floor_zero", "torch.div(a, b, rounding_mode='floor')")]:
    case(fn, code, a=([5, -5, 0], "int64"), b=([1, 0, 2], "int64"))
case("div_bad_mode", "torch.div(a, b, rounding_mode='round')", a=([1.0], "float32"), b=([2.0], "float32"))
case("bool_add", "a + b", a=([True, True, False, False], "bool"), b=([True, False, True, False], "bool"))
case("bool_mul", "a * b", a=([True, True, False, False], "bool"), b=([True, False, True, False], "bool"))
case("bool_sum", "a.sum()", a=([True, True, False, True], "bool"))
case("bool_sum_dim", "torch.sum(a, 0)", a=([[True, True], [False, True]], "bool"))
case("bool_add_int", "a + 1", a=([True, False], "bool"))
case("bool_true_div", "a / b", a=([True, False], "bool"), b=([True, True], "bool"))
case("bool_maximum", "torch.maximum(a, b)", a=([True, False, False], "bool"), b=([False, False, True], "bool"))
case("bool_sub", "a - b", a=([True], "bool"), b=([True], "bool"))
case("bool_mean", "a.float().mean()", a=([True, False, True, True], "bool"))

# clamp / clip with tensor bounds, masked_fill with a tensor value
X = [[-2.0, -0.5, 0.0, 0.5, 2.0, NAN], [1.0, -1.0, 3.0, -3.0, 0.25, 0.75]]
case("clamp_tensors", "torch.clamp(a, min=lo, max=hi)", a=(X, "float32"), lo=([-1.0, -0.25, 0.1, 0.0, 0.0, 0.0], "float32"),
     hi=([[1.0], [0.5]], "float32"))
case("clamp_tensor_min", "a.clamp(min=lo)", a=(X, "float32"), lo=([-1.0, -0.25, 0.1, 0.0, 0.0, 0.0], "float32"))
case("clip_tensor_max", "torch.clip(a, max=hi)", a=(X, "float32"), hi=([[1.0], [0.5]], "float32"))
case("clamp_tensor_int", "torch.clamp(a, lo, hi)", a=([-5, 0, 5, 9], "int64"), lo=([-2, 1, 6, 0], "int64"),
     hi=([2, 2, 7, 4], "int64"))
case("clamp_min_gt_max", "torch.clamp(a, min=lo, max=hi)", a=([0.0, 5.0, -5.0], "float32"),
     lo=([1.0, 1.0, 1.0], "float32"), hi=([0.0, 0.0, 0.0], "float32"))
case("masked_fill_tensor", "a.masked_fill(m, v)", a=(X, "float32"),
     m=([True, False, True, False, False, True], "bool"), v=(2.5, "float32"))
case("masked_fill_tensor_int", "a.masked_fill(m, v)", a=([1, 2, 3], "int64"), m=([True, False, True], "bool"),
     v=(9, "int64"))
case("masked_fill_bad_value", "a.masked_fill(m, v)", a=([1.0, 2.0], "float32"), m=([True, False], "bool"),
     v=([1.0, 2.0], "float32"))

# reductions
M = [[3.0, 1.0, 2.0, 7.0], [NAN, 4.0, -1.0, 0.5], [5.0, 6.0, -2.0, 8.0]]
case("median_all", "torch.median(a)", a=([3.0, 1.0, 4.0, 1.5, 9.0, 2.0], "float32"))
case("median_all_odd", "a.median()", a=([3.0, 1.0, 4.0, 1.5, 9.0], "float64"))
case("median_all_nan", "torch.median(a)", a=(M, "float32"))
case("median_dim1", "torch.median(a, 1)", a=(M, "float32"))
case("median_dim0_keepdim", "torch.median(a, dim=0, keepdim=True)", a=(M, "float32"))
case("median_int", "torch.median(a, -1)", a=([[5, 3, 9, 1], [2, 8, 4, 6]], "int64"))
case("nanmedian_all", "torch.nanmedian(a)", a=(M, "float32"))
case("nanmedian_dim", "a.nanmedian(1)", a=([[NAN, 4.0, -1.0, 0.5], [NAN, NAN, NAN, 1.0], [2.0, NAN, 3.0, NAN]],
                                          "float32"))
# an all-NaN row: NaN (its index is unspecified)
case("nanmedian_all_nan_row", "a.nanmedian(1)[0]", a=([[NAN, NAN], [1.0, NAN]], "float32"))
case("median_empty_dim", "torch.median(a, 1)", a=([[], []], "float32"))
case("cumprod", "torch.cumprod(a, 0)", a=([1.5, -2.0, 0.0, 3.0, NAN, 2.0], "float32"))
case("cumprod_dim1", "a.cumprod(dim=1)", a=([[1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.0, 2.0, -1.0, 3.0]], "float64"))
case("cumprod_int", "torch.cumprod(a, 0)", a=([1, 2, 3, -4, 5], "int32"))
case("cumprod_bool", "torch.cumprod(a, 0)", a=([True, True, False, True], "bool"))
case("cumprod_dtype", "torch.cumprod(a, 0, dtype=torch.float64)", a=([1, 2, 3], "int64"))
case("cumsum_bool", "torch.cumsum(a, 0)", a=([True, True, False, True], "bool"))
case("cumsum_int32", "torch.cumsum(a, 0)", a=([1, 2, 3], "int32"))
case("std_mean", "torch.std_mean(a)", a=(M[0] + M[2], "float32"))
case("std_mean_dim", "torch.std_mean(a, 1, unbiased=False, keepdim=True)", a=([M[0], M[2]], "float32"))
case("var_mean_dim", "torch.var_mean(a, dim=0)", a=([M[0], M[2]], "float64"))
case("var_mean_correction", "torch.var_mean(a, 1, correction=0)", a=([M[0], M[2]], "float32"))
case("count_nonzero", "torch.count_nonzero(a)", a=([[0.0, 1.0, -0.0], [NAN, 0.0, 2.0]], "float32"))
case("count_nonzero_dim", "a.count_nonzero(dim=1)", a=([[0, 1, 0], [3, 0, 2]], "int64"))
case("count_nonzero_dims", "torch.count_nonzero(a, dim=(0, 1))", a=([[True, False], [True, True]], "bool"))
case("aminmax", "torch.aminmax(a)", a=([[3.0, -1.0], [7.0, 2.0]], "float32"))
case("aminmax_dim", "a.aminmax(dim=1, keepdim=True)", a=([[3, -1, 4], [7, 2, 0]], "int64"))
case("aminmax_nan", "torch.aminmax(a)", a=([3.0, NAN, 1.0], "float32"))
case("amax_amin", "(torch.amax(a, dim=(0, 1)), torch.amin(a, 1))", a=([[3.0, -1.0], [7.0, 2.0]], "float32"))
U = [[3, 1, 2], [1, 3, 3], [0, 2, 1]]
case("unique", "torch.unique(a)", a=(U, "int64"))
case("unique_all", "torch.unique(a, sorted=True, return_inverse=True, return_counts=True)", a=(U, "int64"))
case("unique_inverse", "a.unique(return_inverse=True)", a=([2.5, -1.0, 2.5, 0.0, -0.0], "float32"))
case("unique_counts", "torch.unique(a, return_counts=True)", a=([True, False, True, True], "bool"))
case("unique_empty", "torch.unique(a, return_inverse=True, return_counts=True)", a=([], "float32"))
case("unique_consecutive", "torch.unique_consecutive(a)", a=([1, 1, 2, 2, 3, 1, 1, 2], "int64"))
case("unique_consecutive_all", "torch.unique_consecutive(a, return_inverse=True, return_counts=True)",
     a=([[1, 1, 2], [2, 3, 1]], "int64"))

# gradients: (expression, inputs that require grad); the loss is sum(out * w) with w = 1, 2, 3, ...
GRADS = {}


def grad_case(name, code, wrt, **inputs):
    GRADS[name] = (code, wrt, inputs)


G = [[0.3, -1.2, 2.0, 0.0], [1.1, 0.4, -0.6, 0.9]]
for fn in ["expm1", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "frac",
           "trunc", "nan_to_num"]:
    grad_case(fn, f"torch.{fn}(a)", ["a"], a=([[0.3, -0.2, 0.5], [0.7, -0.9, 0.1]], "float64"))
grad_case("acosh", "torch.acosh(a)", ["a"], a=([1.5, 2.0, 7.0], "float64"))
grad_case("nan_to_num_special", "torch.nan_to_num(a, nan=2.0)", ["a"], a=([NAN, INF, -INF, 1.5], "float64"))
grad_case("round_decimals", "torch.round(a, decimals=1)", ["a"], a=([0.33, 1.26], "float64"))
grad_case("atan2", "torch.atan2(a, b)", ["a", "b"], a=(G[0], "float64"), b=(G[1], "float64"))
grad_case("hypot", "torch.hypot(a, b)", ["a", "b"], a=(G[0], "float64"), b=(G[1], "float64"))
grad_case("fmod", "torch.fmod(a, b)", ["a", "b"], a=([5.5, -5.5, 3.0, 7.2], "float64"),
          b=([2.0, 2.0, -1.25, -2.5], "float64"))
grad_case("remainder", "torch.remainder(a, b)", ["a", "b"], a=([5.5, -5.5, 3.1, 7.2], "float64"),
          b=([2.0, 2.0, -1.25, -2.5], "float64"))
grad_case("div_floor", "torch.div(a, b, rounding_mode='floor')", ["a", "b"], a=([5.5, -5.5], "float64"),
          b=([2.0, 2.0], "float64"))
grad_case("clamp_tensors", "torch.clamp(a, min=lo, max=hi)", ["a", "lo", "hi"], a=(X, "float64"),
          lo=([-1.0, -0.25, 0.1, 0.0, 0.0, 0.6], "float64"), hi=([[1.0], [0.5]], "float64"))
grad_case("clamp_min_gt_max", "torch.clamp(a, min=lo, max=hi)", ["a", "lo", "hi"], a=([0.0, 5.0, -5.0], "float64"),
          lo=([1.0, 1.0, 1.0], "float64"), hi=([0.0, 0.0, 0.0], "float64"))
grad_case("clamp_tensor_min", "torch.clamp(a, min=lo)", ["a", "lo"], a=([0.5, -3.0, 2.0], "float64"),
          lo=(0.0, "float64"))
grad_case("masked_fill_tensor", "a.masked_fill(m, v)", ["a", "v"], a=([1.0, 2.0, 3.0], "float64"),
          m=([True, False, True], "bool"), v=(2.5, "float64"))
grad_case("median_all", "torch.median(a)", ["a"], a=([[3.0, 1.0], [2.0, 7.0]], "float64"))
grad_case("median_dim", "torch.median(a, 1)[0]", ["a"], a=([[3.0, 1.0, 2.0], [2.0, 7.0, -1.0]], "float64"))
grad_case("nanmedian_dim", "torch.nanmedian(a, 1)[0]", ["a"], a=([[3.0, NAN, 2.0, 5.0], [2.0, 7.0, -1.0, 0.0]],
                                                                  "float64"))
grad_case("cumprod", "torch.cumprod(a, 0)", ["a"], a=([1.5, -2.0, 0.7, 3.0, 0.5], "float64"))
grad_case("cumprod_one_zero", "torch.cumprod(a, 1)", ["a"], a=([[1.5, 0.0, 0.7, 3.0], [2.0, 1.0, 0.0, 4.0]],
                                                               "float64"))
grad_case("cumprod_two_zeros", "torch.cumprod(a, 0)", ["a"], a=([2.0, 0.0, 3.0, 0.0, 5.0], "float64"))
grad_case("std_mean", "torch.std_mean(a, 1)[0] + torch.std_mean(a, 1)[1]", ["a"], a=(G, "float64"))
grad_case("var_mean", "torch.var_mean(a, 0, correction=0)[0] * 2 + torch.var_mean(a, 0)[1]", ["a"], a=(G, "float64"))


def tensor_of(values, dtype):
    return torch.tensor(values, dtype=getattr(torch, dtype))


def encode(r):
    if isinstance(r, torch.Tensor):
        return {"values": r.tolist(), "dtype": str(r.dtype).replace("torch.", ""), "shape": list(r.shape)}
    if isinstance(r, (tuple, list)):
        return {"tuple": [encode(x) for x in r]}
    return {"number": r}


def main():
    out = {"cases": {}, "grads": {}}
    for name, (code, inputs) in CASES.items():
        env = {"torch": torch, **{k: tensor_of(*v) for k, v in inputs.items()}}
        entry = {"code": code, "inputs": {k: list(v) for k, v in inputs.items()}}
        try:
            entry["result"] = encode(eval(code, env))
        except Exception as e:  # noqa: BLE001 (the reference records what torch raises)
            entry["error"] = type(e).__name__
            entry["message"] = str(e).splitlines()[0]
        out["cases"][name] = entry
    for name, (code, wrt, inputs) in GRADS.items():
        env = {"torch": torch, **{k: tensor_of(*v) for k, v in inputs.items()}}
        for k in wrt:
            env[k].requires_grad_(True)
        y = eval(code, env)
        w = torch.arange(1, y.numel() + 1, dtype=y.dtype).reshape(y.shape)
        (y * w).sum().backward()
        out["grads"][name] = {"code": code, "inputs": {k: list(v) for k, v in inputs.items()}, "wrt": wrt,
                              "grads": {k: env[k].grad.tolist() for k in wrt}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "elementwise.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases and {len(out['grads'])} gradient cases to {path}")


if __name__ == "__main__":
    main()
