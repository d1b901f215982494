#pragma once
// Factories: seek::tensor({1.f, 2.f}), seek::zeros({2, 3}), seek::full({4}, 0.5, kF64), seek::arange(10), ...
#include <initializer_list>
#include <optional>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// Copies `values` (row-major) into a new tensor of `shape`.
template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& shape,
              TensorOptions options = TensorOptions(dtype_of<T>::value));
template <typename T>
Tensor tensor(std::initializer_list<T> values, TensorOptions options = TensorOptions(dtype_of<T>::value)) {
  return tensor(std::vector<T>(values), Shape{static_cast<int64_t>(values.size())}, options);
}
// A 0-dim tensor holding one value.
Tensor scalar_tensor(Scalar value, TensorOptions options = {});
// Copies the tensor's elements, converted to T, into a vector (row-major).
template <typename T>
std::vector<T> to_vector(const Tensor& t);

Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, Scalar value, TensorOptions options = {});
// *_like: same shape, dtype and device as `t` unless options say otherwise; laid out in memory_format, where
// Preserve (PyTorch's default) keeps t's strides when t is dense and non-overlapping, else t's dim order.
Tensor empty_like(const Tensor& t, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor zeros_like(const Tensor& t, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor ones_like(const Tensor& t, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor full_like(const Tensor& t, Scalar value, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor empty_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor zeros_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor ones_like(const Tensor& t, TensorOptions options, MemoryFormat memory_format = MemoryFormat::Preserve);
Tensor full_like(const Tensor& t, Scalar value, TensorOptions options,
                 MemoryFormat memory_format = MemoryFormat::Preserve);

// [start, end) in steps of `step`; dtype int64 when all arguments are integers, else float32.
Tensor arange(Scalar end, std::optional<TensorOptions> options = std::nullopt);
Tensor arange(Scalar start, Scalar end, Scalar step = 1, std::optional<TensorOptions> options = std::nullopt);
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, TensorOptions options = {});

}  // namespace seek
