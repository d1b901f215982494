#pragma once
// Binary elementwise ops with broadcasting and PyTorch type promotion.
#include <optional>
#include <string>

#include "seek/backend/binary_op.h"
#include "seek/core/tensor.h"

namespace seek {

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: integers give float32
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, Scalar b);
Tensor pow(Scalar a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
// One function per Plain row of SEEK_BINARY_OPS: maximum, minimum, logical_and, ...
#define SEEK_BINARY_DECL_Plain(name) Tensor name(const Tensor& a, const Tensor& b);
#define SEEK_BINARY_DECL_Custom(name)
#define SEEK_BINARY_DECL(E, name, kind, saves, form, ...) SEEK_BINARY_DECL_##form(name)
SEEK_BINARY_OPS(SEEK_BINARY_DECL)
#undef SEEK_BINARY_DECL
#undef SEEK_BINARY_DECL_Plain
#undef SEEK_BINARY_DECL_Custom

// issue 12: elementwise. div with rounding_mode none (true division), "trunc" or "floor"
// (integers stay integers; integer division by zero throws, as PyTorch's ZeroDivisionError);
// floor_divide is div(a, b, "floor"); fmod has the sign of a, remainder the sign of b.
Tensor div(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode);
Tensor true_divide(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, Scalar b);
Tensor fmod(const Tensor& a, Scalar b);
Tensor remainder(const Tensor& a, Scalar b);
Tensor remainder(Scalar a, const Tensor& b);

// Runs one op of the binary family with broadcasting, promotion and autograd.
// Exposed for other families' backward formulas (e.g. BinaryOp::ReluBackward).
Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b);

}  // namespace seek
