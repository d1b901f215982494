#pragma once
// Unary elementwise ops, as free functions like torch.exp / torch.relu.
// Floating functions (exp, log, sigmoid, gelu, ...) of integer or bool tensors
// return float32; neg/abs/sign/square/relu keep integer dtypes and floor/ceil/
// round of integers return the values unchanged.
#include <optional>
#include <string>

#include "seek/backend/unary_op.h"
#include "seek/core/tensor.h"

namespace seek {

// One function per Plain / Fp32 / OptDouble row of SEEK_UNARY_OPS:
// exp, log, sqrt, relu, ... (name(t)); OptDouble rows take name(t, arg = nullopt).
#define SEEK_UNARY_DECL_Plain(name, arg) Tensor name(const Tensor& t);
#define SEEK_UNARY_DECL_Fp32(name, arg) Tensor name(const Tensor& t);
#define SEEK_UNARY_DECL_OptDouble(name, arg) Tensor name(const Tensor& t, std::optional<double> arg = std::nullopt);
#define SEEK_UNARY_DECL_Custom(name, arg)
#define SEEK_UNARY_DECL(E, name, kind, saves, form, arg, ...) SEEK_UNARY_DECL_##form(name, arg)
SEEK_UNARY_OPS(SEEK_UNARY_DECL)
#undef SEEK_UNARY_DECL
#undef SEEK_UNARY_DECL_Plain
#undef SEEK_UNARY_DECL_Fp32
#undef SEEK_UNARY_DECL_OptDouble
#undef SEEK_UNARY_DECL_Custom

// The Custom rows:
// approximate: "none" (exact, with erf) or "tanh"; anything else throws ValueError.
Tensor gelu(const Tensor& t, const std::string& approximate = "none");
// log(1 + exp(beta x)) / beta, and x where beta x > threshold.
Tensor softplus(const Tensor& t, double beta = 1.0, double threshold = 20.0);

// issue 12: elementwise. torch.round(t, decimals=d); torch.fix (= trunc);
// NaN, +inf and -inf replaced (by default 0 and the dtype's largest and lowest values).
Tensor round(const Tensor& t, int64_t decimals = 0);
Tensor fix(const Tensor& t);
Tensor nan_to_num(const Tensor& t, std::optional<double> nan = 0.0, std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);

// Runs one op of the unary family with dtype rules and autograd.
Tensor unary_op(UnaryOp op, const Tensor& t, const UnaryParams& params = {});

}  // namespace seek
