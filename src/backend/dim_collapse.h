#pragma once
// The dimension collapse of N same-shaped strided operands, shared by the CPU loops
// (backend/cpu/cpu_loops.h) and the CUDA kernels' layouts (kernels/common.cuh). Trick:
// size-1 dims are dropped and dim i merges into dim i+1 wherever every operand steps
// over dim i as one run of dim i+1, so a dense operand set becomes one linear dim and
// a transpose keeps only the dims it really permutes. The merge test compares strides
// of one operand with each other only, so it holds in any unit (elements or bytes):
// each caller scales the strides as its loops need. Host code (it reads Tensors); it
// compiles in a .cu file too.
#include <array>
#include <cstdint>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::backend_detail {

template <int N>
struct CollapsedDims {
  int64_t numel = 1;                            // of the original shape (0 when any size is 0)
  std::vector<int64_t> shape;                   // outermost first, no size-1 dims
  std::array<std::vector<int64_t>, N> strides;  // per operand, in elements times stride_unit[k]
};

// ops[0] gives the shape; every operand has that shape. stride_unit[k] scales operand k's
// strides (1: elements, element_size(): bytes).
template <int N>
CollapsedDims<N> collapse_dims(const std::array<const Tensor*, N>& ops, const std::array<int64_t, N>& stride_unit) {
  CollapsedDims<N> c;
  const Shape& s = ops[0]->sizes();
  // Checked product; a zero-size operand set has no layout (the loops return at numel 0), and
  // merging its dims could overflow int64 for huge sizes next to the 0.
  c.numel = shape_numel(s);
  if (c.numel == 0) return c;
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) continue;
    c.shape.push_back(s[d]);
    for (int k = 0; k < N; ++k) c.strides[k].push_back(ops[k]->stride(static_cast<int64_t>(d)) * stride_unit[k]);
  }
  for (int i = static_cast<int>(c.shape.size()) - 2; i >= 0; --i) {
    bool mergeable = true;
    for (int k = 0; k < N && mergeable; ++k) mergeable = c.strides[k][i] == c.strides[k][i + 1] * c.shape[i + 1];
    if (!mergeable) continue;
    c.shape[i + 1] *= c.shape[i];
    c.shape.erase(c.shape.begin() + i);
    for (int k = 0; k < N; ++k) c.strides[k].erase(c.strides[k].begin() + i);
  }
  return c;
}

// Strides in elements for every operand.
template <int N>
CollapsedDims<N> collapse_dims(const std::array<const Tensor*, N>& ops) {
  std::array<int64_t, N> unit;
  unit.fill(1);
  return collapse_dims<N>(ops, unit);
}

}  // namespace seek::backend_detail
