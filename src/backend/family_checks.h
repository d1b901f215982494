#pragma once
// Argument checks and shape splits that every backend's implementation of a family
// makes the same way (the CPU's src/backend/cpu/cpu_<family>.cpp and the CUDA's
// kernels/<family>.cu), so that both reject the same inputs with the same messages.
// Host code; it compiles in a .cu file too.
#include <vector>

#include "seek/backend/ternary_op.h"
#include "seek/core/error.h"
#include "seek/core/tensor.h"

namespace seek::backend_detail {

// A reduction writes through `out`'s strides: `out` must have the keepdim shape of `in` over `dims`.
inline void check_keepdim_out(const char* op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out) {
  Shape want = in.sizes();
  for (int64_t d : dims) {
    SEEK_CHECK_INDEX(d >= 0 && d < in.dim(), op, ": dim ", d, " out of range for a ", in.dim(), "-d input");
    want[d] = 1;
  }
  SEEK_CHECK_SHAPE(out.sizes() == want, op, ": output of shape ", shape_str(out.sizes()), " given, expected ",
                   shape_str(want));
}

// A tensor seen as [outer, n, inner] around `dim` (softmax-style ops along one dim).
struct Shape3 {
  int64_t outer = 1, n = 1, inner = 1;
};

inline Shape3 split_at(const Tensor& t, int64_t dim, const char* name) {
  Shape3 s;
  if (t.dim() == 0) return s;
  SEEK_CHECK_INDEX(dim >= 0 && dim < t.dim(), name, ": dim ", dim, " out of range for a ", t.dim(), "-d input");
  for (int64_t d = 0; d < dim; ++d) s.outer *= t.size(d);
  s.n = t.size(dim);
  for (int64_t d = dim + 1; d < t.dim(); ++d) s.inner *= t.size(d);
  return s;
}

// Ternary operands: the output's shape, and where's bool condition or the output's dtype.
inline void check_ternary_operands(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out) {
  const char* name = ternary_op_name(op);
  for (const Tensor* t : {&a, &b, &c}) {
    SEEK_CHECK_SHAPE(t->sizes() == out.sizes(), name, ": operand shape ", shape_str(t->sizes()),
                     " differs from output shape ", shape_str(out.sizes()));
  }
  SEEK_CHECK_DTYPE((op == TernaryOp::Where ? a.dtype() == kBool : a.dtype() == out.dtype()) &&
                       b.dtype() == out.dtype() && c.dtype() == out.dtype(),
                   name, ": unexpected operand dtypes ", a.dtype(), ", ", b.dtype(), ", ", c.dtype(), " for output ",
                   out.dtype());
}

}  // namespace seek::backend_detail
