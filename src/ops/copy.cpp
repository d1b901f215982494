// Conversions and copies: to(dtype/device), clone, contiguous, copy_, fill_.
#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/core/autograd_meta.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::variable_list;

namespace {
// Host<->device copies go through the device's backend.
Backend& copy_backend(const Tensor& src, const Tensor& dst) {
  return backend(src.device().is_cpu() ? dst.device() : src.device());
}

Tensor convert(const Tensor& self, Device device, DType dtype, bool non_blocking, MemoryFormat memory_format) {
  Tensor out = alloc_like(self, dtype, device, memory_format);
  if (device != self.device() && dtype != self.dtype()) {
    // Cast on the source device, then move the bytes.
    Tensor cast = alloc_like(out, dtype, self.device());
    backend(self.device()).copy(self, cast);
    copy_backend(cast, out).copy(cast, out);
  } else if (non_blocking) {
    copy_backend(self, out).copy_non_blocking(self, out);
  } else {
    copy_backend(self, out).copy(self, out);
  }
  if (autograd::needs_grad({self}) && is_floating(dtype)) {
    Device src_dev = self.device();
    DType src_dt = self.dtype();
    autograd::record("ToCopyBackward", {self}, {out},
                     [src_dev, src_dt](const variable_list& g, const std::vector<bool>&) {
                       return variable_list{g[0].to(src_dev, src_dt)};
                     });
  }
  return out;
}

// Whether `to(memory_format)` has nothing to do for t.
bool already_in(const Tensor& t, MemoryFormat f) { return f == MemoryFormat::Preserve || t.is_contiguous(f); }
}  // namespace

Tensor Tensor::to(DType dtype, bool copy, MemoryFormat f) const { return to(device(), dtype, copy, false, f); }
Tensor Tensor::to(Device device, bool copy, bool non_blocking, MemoryFormat f) const {
  return to(device, dtype(), copy, non_blocking, f);
}
Tensor Tensor::to(MemoryFormat f, bool copy) const { return to(device(), dtype(), copy, false, f); }
Tensor Tensor::to(Device device, DType dtype, bool copy, bool non_blocking, MemoryFormat f) const {
  check_defined(*this, "to");
  if (f != MemoryFormat::Preserve) memory_format_strides(sizes(), f, "to");  // checks the rank
  if (!copy && device == this->device() && dtype == this->dtype() && already_in(*this, f)) return *this;
  return convert(*this, device, dtype, non_blocking, f);
}

Tensor Tensor::clone(MemoryFormat f) const {
  check_defined(*this, "clone");
  Tensor out = alloc_like(*this, dtype(), device(), f);
  backend(device()).copy(*this, out);
  if (autograd::needs_grad({*this})) {
    autograd::record("CloneBackward", {*this}, {out},
                     [](const variable_list& g, const std::vector<bool>&) { return variable_list{g[0]}; });
  }
  return out;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(MemoryFormat::Contiguous); }
Tensor Tensor::contiguous(MemoryFormat f) const {
  check_defined(*this, "contiguous");
  SEEK_CHECK(f != MemoryFormat::Preserve,
             "contiguous: preserve_format is not supported; use clone() to keep the "
             "layout");
  memory_format_strides(sizes(), f, "contiguous");  // checks the rank
  return is_contiguous(f) ? *this : clone(f);
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_defined(*this, "copy_", "self");
  check_defined(src, "copy_", "src");
  Shape bshape = broadcast_shapes(sizes(), src.sizes(), "copy_");
  SEEK_CHECK_SHAPE(bshape == sizes(), "copy_: source of shape ", shape_str(src.sizes()),
                   " cannot be broadcast to destination shape ", shape_str(sizes()));
  bool record = autograd::check_inplace(*this, {src}, "copy_");
  Tensor s = src.dim() == dim() && src.sizes() == sizes() ? src : src.detach().expand(sizes());
  copy_backend(s, *this).copy(s, *this);
  bump_version();
  if (record) {
    Shape src_shape = src.sizes();
    autograd::record("CopyBackward", {src}, {*this}, [src_shape](const variable_list& g, const std::vector<bool>&) {
      return variable_list{autograd::sum_to(g[0], src_shape)};
    });
    autograd::rebase_history(*this);
  }
  return *this;
}

Tensor& Tensor::fill_(Scalar value) {
  check_defined(*this, "fill_");
  bool record = autograd::check_inplace(*this, {}, "fill_");
  backend(device()).fill(*this, value);
  bump_version();
  if (record) {
    autograd::record("FillBackward", {}, {*this},
                     [](const variable_list&, const std::vector<bool>&) { return variable_list{}; });
    autograd::rebase_history(*this);
  }
  return *this;
}

}  // namespace seek
