#pragma once
// Operand checks of Backend::cross_entropy_forward / cross_entropy_backward, shared by the CPU and
// CUDA backends (host code): every operand on one device and contiguous, the dtypes of
// seek/backend/cross_entropy_op.h, and the [outer, C, inner] view of the logits.
#include "backend/family_checks.h"
#include "seek/backend/cross_entropy_op.h"
#include "seek/core/error.h"
#include "seek/core/tensor.h"

namespace seek::backend_detail {

// float for f16/bf16/f32 logits, double for f64.
inline DType cross_entropy_compute_dtype(DType logits) { return logits == kFloat64 ? kFloat64 : kFloat32; }

inline Shape3 check_cross_entropy(const char* name, const Tensor& logits, const Tensor& target, const Tensor& weight,
                                  int64_t class_dim, std::initializer_list<const Tensor*> rows,
                                  const CrossEntropyParams& p) {
  SEEK_CHECK_DTYPE(is_floating(logits.dtype()), name, ": logits must be floating, got ", dtype_name(logits.dtype()));
  SEEK_CHECK_SHAPE(logits.dim() >= 1, name, ": logits must have a class dim");
  const Shape3 s = split_at(logits, class_dim, name);
  const DType ct = cross_entropy_compute_dtype(logits.dtype());
  const Device dev = logits.device();
  auto same_device = [&](const Tensor& t, const char* what) {
    SEEK_CHECK_T(DeviceError, t.device() == dev, name, ": ", what, " is on ", t.device().str(), ", the logits on ",
                 dev.str());
    SEEK_CHECK(t.is_contiguous(), name, ": ", what, " must be contiguous");
  };
  same_device(logits, "logits");
  same_device(target, "target");
  SEEK_CHECK_DTYPE(target.dtype() == kInt64, name, ": target must be int64, got ", dtype_name(target.dtype()));
  SEEK_CHECK_SHAPE(target.numel() == s.outer * s.inner, name, ": target has ", target.numel(), " elements, expected ",
                   s.outer * s.inner);
  if (weight.defined()) {
    same_device(weight, "weight");
    SEEK_CHECK_SHAPE(weight.dim() == 1 && weight.size(0) == s.n, name, ": weight must be [", s.n, "], got ",
                     shape_str(weight.sizes()));
    SEEK_CHECK_DTYPE(weight.dtype() == ct, name, ": weight must be ", dtype_name(ct), ", got ",
                     dtype_name(weight.dtype()));
  }
  for (const Tensor* t : rows) {
    same_device(*t, "a per-row operand");
    SEEK_CHECK_SHAPE(t->numel() == s.outer * s.inner, name, ": a per-row operand has ", t->numel(),
                     " elements, expected ", s.outer * s.inner);
    SEEK_CHECK_DTYPE(t->dtype() == ct, name, ": per-row operands must be ", dtype_name(ct), ", got ",
                     dtype_name(t->dtype()));
  }
  SEEK_CHECK_VALUE(p.label_smoothing >= 0.0 && p.label_smoothing <= 1.0, name,
                   ": label_smoothing must be in [0, 1], got ", p.label_smoothing);
  return s;
}

}  // namespace seek::backend_detail
