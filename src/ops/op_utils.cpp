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

Tensor alloc_like(const Tensor& t, DType dtype, Device device, MemoryFormat memory_format) {
  TensorOptions o = TensorOptions(dtype).device(device);
  if (memory_format != MemoryFormat::Preserve) return empty(t.sizes(), o, memory_format);
  if (t.is_contiguous()) return empty(t.sizes(), o);
  if (is_non_overlapping_and_dense(t.sizes(), t.strides())) return empty_strided(t.sizes(), t.strides(), o);
  return empty_strided(t.sizes(), dense_strides_like(t.sizes(), {&t.strides()}), o);
}

Tensor alloc_elementwise(const Shape& shape, DType dtype, Device device, std::initializer_list<Tensor> operands) {
  TensorOptions o = TensorOptions(dtype).device(device);
  if (shape.size() == 4 || shape.size() == 5) {
    std::vector<const std::vector<int64_t>*> strides;
    bool all_contiguous = true;
    for (const Tensor& t : operands) {
      if (!t.defined() || t.sizes() != shape) continue;
      all_contiguous = all_contiguous && t.is_contiguous();
      strides.push_back(&t.strides());
    }
    if (!all_contiguous) {
      MemoryFormat cl = shape.size() == 4 ? MemoryFormat::ChannelsLast : MemoryFormat::ChannelsLast3d;
      std::vector<int64_t> out = dense_strides_like(shape, strides);
      if (is_contiguous_as(shape, out, cl) && !is_contiguous_as(shape, out, MemoryFormat::Contiguous))
        return empty(shape, o, cl);
    }
  }
  return empty(shape, o);
}

std::vector<int64_t> memory_order(const Tensor& out) {
  if (out.dim() != 4 && out.dim() != 5) return {};
  const MemoryFormat cl = out.dim() == 4 ? MemoryFormat::ChannelsLast : MemoryFormat::ChannelsLast3d;
  if (!out.is_contiguous(cl) || out.is_contiguous()) return {};
  return out.dim() == 4 ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{0, 2, 3, 4, 1};
}

MemoryFormat layout_of(const Tensor& t) {
  if (!t.defined() || (t.dim() != 4 && t.dim() != 5)) return MemoryFormat::Contiguous;
  return t.suggest_memory_format();
}

Tensor alloc_in(const Shape& shape, DType dtype, Device device, MemoryFormat f) {
  if (f == MemoryFormat::Preserve) f = MemoryFormat::Contiguous;
  return empty(shape, TensorOptions(dtype).device(device), f);
}

Tensor in_format(const Tensor& t, MemoryFormat f) {
  if (!t.defined() || f == MemoryFormat::Contiguous || f == MemoryFormat::Preserve) return t;
  NoGradGuard g;
  return t.contiguous(f);
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
