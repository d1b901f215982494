// Factories from values (tensor, scalar_tensor, the constant-valued ones) and to_vector; the ranges and random
// ones are in range.cpp and random.cpp.
#include "seek/ops/creation.h"

#include "ops/op_utils.h"
#include "seek/autograd/grad_mode.h"
#include "seek/backend/backend.h"
#include "seek/core/shape_util.h"

namespace seek {

Tensor full(const Shape& shape, Scalar value, TensorOptions options) {
  Tensor t = empty(shape, TensorOptions(options.dtype_).device(options.device_));
  backend(t.device()).fill(t, value);
  if (options.requires_grad_) t.requires_grad_(true);
  return t;
}
Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1, options); }

namespace {
TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).device(t.device()); }
Tensor filled_like(const Tensor& t, Scalar value, TensorOptions o, MemoryFormat f) {
  Tensor out = empty_like(t, TensorOptions(o.dtype_).device(o.device_), f);
  backend(out.device()).fill(out, value);
  if (o.requires_grad_) out.requires_grad_(true);
  return out;
}
}  // namespace

Tensor empty_like(const Tensor& t, MemoryFormat f) { return empty_like(t, like(t), f); }
Tensor zeros_like(const Tensor& t, MemoryFormat f) { return filled_like(t, 0, like(t), f); }
Tensor ones_like(const Tensor& t, MemoryFormat f) { return filled_like(t, 1, like(t), f); }
Tensor full_like(const Tensor& t, Scalar value, MemoryFormat f) { return filled_like(t, value, like(t), f); }
Tensor empty_like(const Tensor& t, TensorOptions options, MemoryFormat f) {
  Tensor out = ops_detail::alloc_like(t, options.dtype_, options.device_, f);
  if (options.requires_grad_) out.requires_grad_(true);
  return out;
}
Tensor zeros_like(const Tensor& t, TensorOptions o, MemoryFormat f) { return filled_like(t, 0, o, f); }
Tensor ones_like(const Tensor& t, TensorOptions o, MemoryFormat f) { return filled_like(t, 1, o, f); }
Tensor full_like(const Tensor& t, Scalar value, TensorOptions o, MemoryFormat f) { return filled_like(t, value, o, f); }

template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  SEEK_CHECK_SHAPE(static_cast<int64_t>(values.size()) == shape_numel(shape), "tensor: ", values.size(),
                   " values do not fill shape ", shape_str(shape));
  Tensor host = empty(shape, TensorOptions(dtype_of<T>::value));
  T* dst = static_cast<T*>(host.data_ptr());
  for (size_t i = 0; i < values.size(); ++i) dst[i] = values[i];
  Tensor out = host;
  if (options.dtype_ != host.dtype() || options.device_ != host.device()) {
    NoGradGuard g;
    out = host.to(options.device_, options.dtype_);
  }
  if (options.requires_grad_) out.requires_grad_(true);
  return out;
}
template Tensor tensor<bool>(const std::vector<bool>&, const Shape&, TensorOptions);
template Tensor tensor<uint8_t>(const std::vector<uint8_t>&, const Shape&, TensorOptions);
template Tensor tensor<int8_t>(const std::vector<int8_t>&, const Shape&, TensorOptions);
template Tensor tensor<int16_t>(const std::vector<int16_t>&, const Shape&, TensorOptions);
template Tensor tensor<int32_t>(const std::vector<int32_t>&, const Shape&, TensorOptions);
template Tensor tensor<int64_t>(const std::vector<int64_t>&, const Shape&, TensorOptions);
template Tensor tensor<float>(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor tensor<double>(const std::vector<double>&, const Shape&, TensorOptions);
template Tensor tensor<Half>(const std::vector<Half>&, const Shape&, TensorOptions);
template Tensor tensor<BFloat16>(const std::vector<BFloat16>&, const Shape&, TensorOptions);

Tensor scalar_tensor(Scalar value, TensorOptions options) {
  Tensor t = empty({}, TensorOptions(options.dtype_).device(options.device_));
  {
    NoGradGuard g;
    t.fill_(value);
  }
  if (options.requires_grad_) t.requires_grad_(true);
  return t;
}

template <typename T>
std::vector<T> to_vector(const Tensor& t) {
  Tensor c;
  {
    NoGradGuard g;
    c = t.to(kCPU, dtype_of<T>::value).contiguous();
  }
  const T* p = static_cast<const T*>(c.data_ptr());
  return std::vector<T>(p, p + c.numel());
}
template std::vector<bool> to_vector<bool>(const Tensor&);
template std::vector<uint8_t> to_vector<uint8_t>(const Tensor&);
template std::vector<int8_t> to_vector<int8_t>(const Tensor&);
template std::vector<int16_t> to_vector<int16_t>(const Tensor&);
template std::vector<int32_t> to_vector<int32_t>(const Tensor&);
template std::vector<int64_t> to_vector<int64_t>(const Tensor&);
template std::vector<float> to_vector<float>(const Tensor&);
template std::vector<double> to_vector<double>(const Tensor&);
template std::vector<Half> to_vector<Half>(const Tensor&);
template std::vector<BFloat16> to_vector<BFloat16>(const Tensor&);

}  // namespace seek
