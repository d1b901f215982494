#pragma once
// Argument checks, shape splits and small dispatch helpers that every backend's
// implementation of a family uses the same way (the CPU's src/backend/cpu/cpu_<family>.cpp and the CUDA's
// kernels/<family>.cu), so that both reject the same inputs with the same messages.
// Host code; it compiles in a .cu file too.
#include <memory>
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

// arg_reduce: int64 indices and values of the input dtype, both of the keepdim shape, a non-empty dim.
// Returns the reduced dims ({} for a 0-d input).
inline std::vector<int64_t> check_arg_reduce_operands(const char* name, const Tensor& in, int64_t dim,
                                                      const Tensor& values, const Tensor& indices) {
  SEEK_CHECK_DTYPE(indices.dtype() == kInt64 && values.dtype() == in.dtype(), name,
                   ": expected values of the input dtype and int64 indices");
  const std::vector<int64_t> dims = in.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{dim};
  check_keepdim_out(name, in, dims, values);
  check_keepdim_out(name, in, dims, indices);
  SEEK_CHECK_VALUE(in.dim() == 0 || in.size(dim) > 0, name, ": cannot reduce over a zero-size dimension ", dim);
  return dims;
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

// ---- index family ----

// A view of t's storage with the given sizes and strides (no bounds check; callers build
// strides that stay inside t).
inline Tensor restride(const Tensor& t, const Shape& sizes, std::vector<int64_t> strides) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage();
  impl->sizes = sizes;
  impl->strides = std::move(strides);
  impl->offset = t.storage_offset();
  impl->dtype = t.dtype();
  impl->version = t.impl()->version;
  return Tensor(std::move(impl));
}

template <typename F>
inline void dispatch_index(DType dt, const char* op, F&& f) {
  switch (dt) {
    case kInt64: return f.template operator()<int64_t>();
    case kInt32: return f.template operator()<int32_t>();
    default: throw DTypeError(str(op, ": index must be int64 or int32, got ", dt));
  }
}

// Calls f<T>() with an unsigned type of the element size (for pure copies).
template <typename F>
inline void dispatch_bytes(size_t size, F&& f) {
  switch (size) {
    case 1: return f.template operator()<uint8_t>();
    case 2: return f.template operator()<uint16_t>();
    case 4: return f.template operator()<uint32_t>();
    case 8: return f.template operator()<uint64_t>();
    default: throw Error(str("index kernels: unsupported element size ", size));
  }
}

}  // namespace seek::backend_detail
