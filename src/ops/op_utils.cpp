#include "ops/op_utils.h"

#include "seek/autograd/grad_mode.h"

namespace seek::ops_detail {

void check_defined(const Tensor& t, const char* op, const char* arg) {
  SEEK_CHECK(t.defined(), op, ": argument '", arg, "' is an undefined tensor");
}

void check_same_device(const char* op, std::initializer_list<Tensor> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor& t : tensors) {
    if (!t.defined()) continue;
    if (!first) {
      first = &t;
      continue;
    }
    if (t.device() != first->device()) {
      throw DeviceError(str(op, ": expected all tensors to be on the same device, but found tensors on ",
                            first->device().str(), " and ", t.device().str()));
    }
  }
}

void check_floating(const Tensor& t, const char* op) {
  SEEK_CHECK_DTYPE(is_floating(t.dtype()), op, ": expected a floating point tensor, got dtype ", t.dtype());
}

namespace {
int category(DType t) { return t == kBool ? 0 : is_floating(t) ? 2 : 1; }
int category(const Scalar& s) { return s.is_bool() ? 0 : s.is_floating() ? 2 : 1; }
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za == zb) return promote_types(a.dtype(), b.dtype());
  const Tensor& dimmed = za ? b : a;
  const Tensor& zero = za ? a : b;
  if (category(zero.dtype()) > category(dimmed.dtype())) return promote_types(dimmed.dtype(), zero.dtype());
  return dimmed.dtype();
}

DType result_type(const Tensor& a, Scalar s) {
  if (category(s) > category(a.dtype())) return s.is_floating() ? kFloat32 : kInt64;
  return a.dtype();
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != kBool && to == kBool) return false;
  return true;
}

Tensor alloc(const Shape& shape, DType dtype, Device device) {
  return empty(shape, TensorOptions(dtype).device(device));
}

Tensor cast_nograd(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  NoGradGuard g;
  return t.to(dtype);
}

Tensor scalar_like(Scalar s, DType dtype, Device device) {
  Tensor t = alloc({}, dtype, device);
  backend(device).fill(t, s);
  return t;
}

}  // namespace seek::ops_detail
