// Diagonals, triangles and sliding windows: diagonal and Tensor::unfold are strided
// views of the input (no copy) with their own backward nodes; diag / diag_embed write
// into the diagonal view of a zero tensor; tril / triu mask with an index comparison.
//
// unfold's windows overlap when step < size, so its backward adds every window's
// gradient back with one index_add along the unfolded dim (duplicates accumulate).
#include <algorithm>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/shape_extra.h"
#include "seek/ops/ternary.h"

namespace seek {

using namespace ops_detail;
using autograd::variable_list;

namespace {

TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).device(t.device()); }

// Elements (i, j) of the last two dims that a triangle keeps: j - i <= diagonal (lower)
// or j - i >= diagonal (upper), as a bool [rows, cols] tensor.
Tensor triangle_mask(const Tensor& t, int64_t diagonal, bool lower, const char* op) {
  check_defined(t, op);
  SEEK_CHECK_SHAPE(t.dim() >= 2, op, ": input tensor must have at least 2 dimensions, got shape ",
                   shape_str(t.sizes()));
  const TensorOptions o = TensorOptions(kInt64).device(t.device());
  Tensor rows = arange(t.size(-2), o).unsqueeze(1), cols = arange(t.size(-1), o).unsqueeze(0);
  Tensor offset = cols - rows;
  return lower ? offset.le(diagonal) : offset.ge(diagonal);
}

struct DiagGeom {
  int64_t d1, d2, len, offset;
};

DiagGeom diag_geom(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2, const char* op) {
  check_defined(t, op);
  SEEK_CHECK_SHAPE(t.dim() >= 2, op, ": input must have at least 2 dimensions, got shape ", shape_str(t.sizes()));
  DiagGeom g;
  g.d1 = wrap_dim(dim1, t.dim(), op);
  g.d2 = wrap_dim(dim2, t.dim(), op);
  SEEK_CHECK_VALUE(g.d1 != g.d2, op, ": diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t n1 = t.size(g.d1), n2 = t.size(g.d2);
  g.len = offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2);
  g.len = std::max<int64_t>(g.len, 0);
  g.offset = t.storage_offset();
  if (g.len > 0) g.offset += offset >= 0 ? offset * t.stride(g.d2) : -offset * t.stride(g.d1);
  return g;
}

}  // namespace

Tensor tril(const Tensor& t, int64_t diagonal) {
  return t.masked_fill(triangle_mask(t, diagonal, true, "tril").logical_not(), 0);
}
Tensor triu(const Tensor& t, int64_t diagonal) {
  return t.masked_fill(triangle_mask(t, diagonal, false, "triu").logical_not(), 0);
}

Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  const DiagGeom g = diag_geom(t, offset, dim1, dim2, "diagonal");
  Shape sizes;
  std::vector<int64_t> strides;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d == g.d1 || d == g.d2) continue;
    sizes.push_back(t.size(d));
    strides.push_back(t.stride(d));
  }
  sizes.push_back(g.len);
  strides.push_back(t.stride(g.d1) + t.stride(g.d2));
  Tensor out = make_view(t, sizes, strides, g.offset);
  if (autograd::needs_grad({t})) {
    Shape in_shape = t.sizes();
    autograd::record("DiagonalBackward", {t}, {out},
                     [in_shape, offset, d1 = g.d1, d2 = g.d2](const variable_list& grads, const std::vector<bool>&) {
                       Tensor gi = zeros(in_shape, like(grads[0]));
                       {
                         NoGradGuard no_grad;
                         seek::diagonal(gi, offset, d1, d2).copy_(grads[0]);
                       }
                       return variable_list{gi};
                     });
  }
  return out;
}

Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  check_defined(t, "diag_embed");
  SEEK_CHECK_SHAPE(t.dim() >= 1, "diag_embed: input must have at least 1 dimension");
  const int64_t nd = t.dim() + 1;
  const int64_t d1 = wrap_dim(dim1, nd, "diag_embed"), d2 = wrap_dim(dim2, nd, "diag_embed");
  SEEK_CHECK_VALUE(d1 != d2, "diag_embed: diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t m = t.size(-1) + std::abs(offset);
  Shape shape;
  size_t next = 0;
  for (int64_t d = 0; d < nd; ++d) shape.push_back(d == d1 || d == d2 ? m : t.size(static_cast<int64_t>(next++)));
  Tensor out = zeros(shape, like(t));
  {
    NoGradGuard no_grad;
    diagonal(out, offset, d1, d2).copy_(t);
  }
  if (autograd::needs_grad({t})) {
    autograd::record("DiagEmbedBackward", {t}, {out},
                     [offset, d1, d2](const variable_list& grads, const std::vector<bool>&) {
                       return variable_list{diagonal(grads[0], offset, d1, d2)};
                     });
  }
  return out;
}

Tensor diag(const Tensor& t, int64_t diagonal) {
  check_defined(t, "diag");
  SEEK_CHECK_SHAPE(t.dim() == 1 || t.dim() == 2, "diag: expected a 1-D or 2-D tensor, got shape ",
                   shape_str(t.sizes()));
  if (t.dim() == 1) return diag_embed(t, diagonal, 0, 1);
  return seek::diagonal(t, diagonal, 0, 1).clone();
}

Tensor Tensor::unfold(int64_t dimension, int64_t size, int64_t step) const {
  check_defined(*this, "unfold");
  const int64_t d = wrap_dim(dimension, dim(), "unfold");
  const int64_t n = dim() == 0 ? 1 : sizes()[d];
  SEEK_CHECK_VALUE(step > 0, "unfold: step is ", step, " but must be > 0");
  SEEK_CHECK_VALUE(size >= 0 && size <= n, "unfold: maximum size for tensor at dimension ", d, " is ", n,
                   " but size is ", size);
  const int64_t count = (n - size) / step + 1;
  Shape s = dim() == 0 ? Shape{} : sizes();
  std::vector<int64_t> st = dim() == 0 ? std::vector<int64_t>{} : strides();
  const int64_t inner = dim() == 0 ? 1 : st[d];
  if (dim() == 0) {
    s.push_back(count);
    st.push_back(inner * step);
  } else {
    s[d] = count;
    st[d] = inner * step;
  }
  s.push_back(size);
  st.push_back(inner);
  Tensor out = make_view(*this, s, st, storage_offset());
  if (autograd::needs_grad({*this})) {
    Shape in_shape = sizes();
    autograd::record("UnfoldBackward", {*this}, {out},
                     [in_shape, d, size, step, count](const variable_list& grads, const std::vector<bool>&) {
                       const Tensor& g = grads[0];
                       if (in_shape.empty()) return variable_list{g.sum().reshape({})};
                       // window w, element k lands on position w * step + k along d
                       const TensorOptions o = TensorOptions(kInt64).device(g.device());
                       Tensor idx = (arange(count, o) * step).unsqueeze(1) + arange(size, o).unsqueeze(0);
                       Tensor gf = g.movedim(-1, d + 1).flatten(d, d + 1);
                       return variable_list{seek::index_add(zeros(in_shape, like(g)), d, idx.reshape({-1}), gf)};
                     });
  }
  return out;
}

// ---- methods ----
Tensor Tensor::tril(int64_t diagonal) const { return seek::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return seek::triu(*this, diagonal); }
Tensor& Tensor::tril_(int64_t diagonal) {
  return masked_fill_(triangle_mask(*this, diagonal, true, "tril_").logical_not(), 0);
}
Tensor& Tensor::triu_(int64_t diagonal) {
  return masked_fill_(triangle_mask(*this, diagonal, false, "triu_").logical_not(), 0);
}
Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  return seek::diagonal(*this, offset, dim1, dim2);
}
Tensor Tensor::diag(int64_t diagonal) const { return seek::diag(*this, diagonal); }
Tensor Tensor::diag_embed(int64_t offset, int64_t dim1, int64_t dim2) const {
  return seek::diag_embed(*this, offset, dim1, dim2);
}

}  // namespace seek
