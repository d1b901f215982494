#pragma once
// Scatter helpers that index.cpp defines and scatter.cpp (scatter_reduce) reuses.
#include "seek/backend/backend.h"
#include "seek/core/tensor.h"

namespace seek::ops_detail {

// Checks the arguments of a gather (src undefined) or scatter named `op` (dtypes, devices,
// shapes); returns the wrapped dim.
int64_t check_scatter_args(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// Scatters src (or `value` when src is undefined) into `out` in place with the backend's
// kernel, without history; a kernel's IndexError gets "op: " in front.
void scatter_into(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                  Scalar value, const char* op);

}  // namespace seek::ops_detail
