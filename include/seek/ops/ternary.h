#pragma once
// Three-operand elementwise ops with broadcasting and type promotion:
// where, clamp, lerp, addcmul, addcdiv, masked_fill (like their torch namesakes).
#include <optional>

#include "seek/backend/ternary_op.h"
#include "seek/core/tensor.h"

namespace seek {

// condition ? a : b elementwise; condition must be bool (DTypeError otherwise).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, Scalar b);
Tensor where(const Tensor& condition, Scalar a, const Tensor& b);
Tensor where(const Tensor& condition, Scalar a, Scalar b);

// min(max(t, min), max); at least one bound (ValueError otherwise). The
// gradient flows where min <= t <= max.
Tensor clamp(const Tensor& t, std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
Tensor clamp_min(const Tensor& t, Scalar min);
Tensor clamp_max(const Tensor& t, Scalar max);

// start + weight * (end - start); floating dtypes only.
Tensor lerp(const Tensor& start, const Tensor& end, Scalar weight);
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);

// t + value * t1 * t2 and t + value * t1 / t2 (addcdiv needs floating tensors).
Tensor addcmul(const Tensor& t, const Tensor& t1, const Tensor& t2, Scalar value = 1);
Tensor addcdiv(const Tensor& t, const Tensor& t1, const Tensor& t2, Scalar value = 1);

// t with `value` where mask (bool, broadcastable with t) is true.
Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value);

// issue 12: clamp with tensor bounds (broadcast; an undefined Tensor is no bound), the
// gradient going to the input and to each bound as PyTorch's; masked_fill with a 0-dim
// tensor value (differentiable in the value).
Tensor clamp(const Tensor& t, const Tensor& min, const Tensor& max);
Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value);

}  // namespace seek
