#pragma once
// When a list kernel (the fused optimizer steps, the gradient norm, unscale-and-check) may treat tensors as
// flat storage: each tensor dense with no overlaps in any dim order (a channels_last weight included), and
// the tensors updated together (a parameter, its gradient and its states) laid out alike, so that element j
// of one storage is element j of the others. Shared by src/ops/optim.cpp and kernels/optim.cu.
#include "seek/core/memory_format.h"
#include "seek/core/tensor.h"

namespace seek {

inline bool is_flat_storage(const Tensor& t) { return is_non_overlapping_and_dense(t.sizes(), t.strides()); }

// Same sizes and the same strides on every dim of size > 1 (size-1 dims do not move an element).
inline bool same_flat_layout(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (a.size(d) > 1 && a.stride(d) != b.stride(d)) return false;
  return true;
}

}  // namespace seek
