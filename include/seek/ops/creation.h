#pragma once
// Factories: seek::zeros({2, 3}), seek::full({4}, 0.5, kF64), seek::arange(10), ...
#include <optional>

#include "seek/core/tensor.h"

namespace seek {

Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, Scalar value, TensorOptions options = {});
// *_like: same shape, dtype and device as `t` unless options say otherwise.
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);
Tensor empty_like(const Tensor& t, TensorOptions options);
Tensor zeros_like(const Tensor& t, TensorOptions options);
Tensor ones_like(const Tensor& t, TensorOptions options);
Tensor full_like(const Tensor& t, Scalar value, TensorOptions options);

// [start, end) in steps of `step`; dtype int64 when all arguments are integers, else float32.
Tensor arange(Scalar end, std::optional<TensorOptions> options = std::nullopt);
Tensor arange(Scalar start, Scalar end, Scalar step = 1, std::optional<TensorOptions> options = std::nullopt);
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, TensorOptions options = {});

}  // namespace seek
