#pragma once
// Shared by the reduction op files (reduce.cpp, reduce_stats.cpp): dim
// handling, the no-history backend call, and reshaping results/gradients to
// the keepdim form that broadcasts against the input.
#include <vector>

#include "ops/op_utils.h"

namespace seek::ops_detail {

struct Reduction {
  std::vector<int64_t> dims;  // wrapped, sorted, unique; empty for a 0-dim input
  Shape in_shape;
  Shape keep_shape;  // in_shape with dims set to 1
  Shape out_shape;   // keep_shape, or with dims removed when !keepdim
  bool keepdim = false;
  int64_t count = 1;  // elements folded into each output
};

// `dims` empty means every dim. Throws IndexError naming `op` for a dim out of
// range or listed twice.
Reduction make_reduction(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, const char* op);

// backend reduce into a new tensor of r.out_shape (no history).
Tensor reduce_nograd(ReduceOp op, const Tensor& t, const Reduction& r, DType out_dtype, const ReduceParams& p = {});

// A tensor of r.out_shape viewed in r.keep_shape (broadcastable against the input).
Tensor keep_view(const Tensor& t, const Reduction& r);

// The gradient of a reduction spread back: keep_view(g) expanded to the input shape.
Tensor expand_back(const Tensor& g, const Reduction& r);

// Float mask of where x equals the broadcastable `extreme` (NaN matches NaN).
Tensor extreme_mask(const Tensor& x, const Tensor& extreme);

}  // namespace seek::ops_detail
