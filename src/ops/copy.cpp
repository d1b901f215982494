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

Tensor convert(const Tensor& self, Device device, DType dtype, bool non_blocking) {
  Tensor out = alloc(self.sizes(), dtype, device);
  if (device != self.device() && dtype != self.dtype()) {
    // Cast on the source device, then move the bytes.
    Tensor cast = alloc(self.sizes(), dtype, self.device());
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
}  // namespace

Tensor Tensor::to(DType dtype, bool copy) const { return to(device(), dtype, copy); }
Tensor Tensor::to(Device device, bool copy, bool non_blocking) const { return to(device, dtype(), copy, non_blocking); }
Tensor Tensor::to(Device device, DType dtype, bool copy, bool non_blocking) const {
  check_defined(*this, "to");
  if (!copy && device == this->device() && dtype == this->dtype()) return *this;
  return convert(*this, device, dtype, non_blocking);
}

Tensor Tensor::clone() const {
  check_defined(*this, "clone");
  Tensor out = alloc(sizes(), dtype(), device());
  backend(device()).copy(*this, out);
  if (autograd::needs_grad({*this})) {
    autograd::record("CloneBackward", {*this}, {out},
                     [](const variable_list& g, const std::vector<bool>&) { return variable_list{g[0]}; });
  }
  return out;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

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
