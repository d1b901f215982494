// Constant-valued factories (the ranges and random ones are in range.cpp and random.cpp).
#include "seek/ops/creation.h"

#include "seek/autograd/grad_mode.h"
#include "seek/backend/backend.h"

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
}  // namespace

Tensor empty_like(const Tensor& t) { return empty(t.sizes(), like(t)); }
Tensor zeros_like(const Tensor& t) { return full(t.sizes(), 0, like(t)); }
Tensor ones_like(const Tensor& t) { return full(t.sizes(), 1, like(t)); }
Tensor full_like(const Tensor& t, Scalar value) { return full(t.sizes(), value, like(t)); }
Tensor empty_like(const Tensor& t, TensorOptions options) { return empty(t.sizes(), options); }
Tensor zeros_like(const Tensor& t, TensorOptions options) { return full(t.sizes(), 0, options); }
Tensor ones_like(const Tensor& t, TensorOptions options) { return full(t.sizes(), 1, options); }
Tensor full_like(const Tensor& t, Scalar value, TensorOptions options) { return full(t.sizes(), value, options); }

}  // namespace seek
