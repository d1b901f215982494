#pragma once
// Unary elementwise ops, as free functions like torch.exp / torch.relu.
// Floating functions (exp, log, sigmoid, gelu, ...) of integer or bool tensors
// return float32; neg/abs/sign/square/relu keep integer dtypes and floor/ceil/
// round of integers return the values unchanged.
#include <string>

#include "seek/backend/unary_op.h"
#include "seek/core/tensor.h"

namespace seek {

Tensor neg(const Tensor& t);
Tensor abs(const Tensor& t);
Tensor exp(const Tensor& t);
Tensor log(const Tensor& t);
Tensor log1p(const Tensor& t);
Tensor sqrt(const Tensor& t);
Tensor rsqrt(const Tensor& t);
Tensor sin(const Tensor& t);
Tensor cos(const Tensor& t);
Tensor tanh(const Tensor& t);
Tensor sigmoid(const Tensor& t);
Tensor relu(const Tensor& t);
// approximate: "none" (exact, with erf) or "tanh"; anything else throws ValueError.
Tensor gelu(const Tensor& t, const std::string& approximate = "none");
Tensor silu(const Tensor& t);
Tensor hardswish(const Tensor& t);
Tensor hardsigmoid(const Tensor& t);
// log(1 + exp(beta x)) / beta, and x where beta x > threshold.
Tensor softplus(const Tensor& t, double beta = 1.0, double threshold = 20.0);
Tensor erf(const Tensor& t);
Tensor sign(const Tensor& t);
Tensor floor(const Tensor& t);
Tensor ceil(const Tensor& t);
Tensor round(const Tensor& t);  // half to even, like torch.round
Tensor reciprocal(const Tensor& t);
Tensor square(const Tensor& t);
Tensor logical_not(const Tensor& t);  // bool result

// Runs one op of the unary family with dtype rules and autograd.
Tensor unary_op(UnaryOp op, const Tensor& t, const UnaryParams& params = {});

}  // namespace seek
