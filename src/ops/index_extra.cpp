// nonzero / argwhere (coordinates found on the host, since their count decides the
// shape), take_along_dim (a broadcast gather), index_fill (masked_fill with a mask built
// by scatter along dim), masked_scatter (index_add of the source into the masked flat
// positions, then where) and torch.index_put. All but nonzero are compositions of
// differentiable ops, so their backward comes from those.
#include <algorithm>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/index_extra.h"
#include "seek/ops/ternary.h"

namespace seek {

using namespace ops_detail;

namespace {

// Row-major flat positions of the non-zero elements of t (NaN counts as non-zero).
std::vector<int64_t> nonzero_positions(const Tensor& t) {
  Tensor h = t.detach().to(kCPU);
  h = (h.dtype() == kBool ? h : h.ne(0)).contiguous();
  const bool* p = h.data_ptr<bool>();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < h.numel(); ++i)
    if (p[i]) out.push_back(i);
  return out;
}

// A bool mask along `dim` of self (size n there, 1 elsewhere) that is true at index.
Tensor dim_mask(const Tensor& self, int64_t dim, const Tensor& index, const char* op) {
  check_defined(self, op, "self");
  check_defined(index, op, "index");
  check_same_device(op, {self, index});
  SEEK_CHECK_DTYPE(index.dtype() == kInt64 || index.dtype() == kInt32, op,
                   ": expected an int64 or int32 index tensor, got ", index.dtype());
  SEEK_CHECK_INDEX(index.dim() <= 1, op, ": index must be a vector (0-D or 1-D), got shape ", shape_str(index.sizes()));
  const int64_t d = wrap_dim(dim, self.dim(), op);
  const int64_t n = self.dim() == 0 ? 1 : self.size(d);
  const TensorOptions o = TensorOptions(kBool).device(self.device());
  Tensor m = zeros({n}, o);
  if (index.numel() > 0) {
    // index_select's kernel checks the range and wraps negatives: look the positions up in arange(n).
    Tensor pos = index_select(arange(n, TensorOptions(kInt64).device(self.device())), 0, index.reshape({-1}));
    try {
      m = m.scatter(0, pos, true);
    } catch (const IndexError& e) {
      throw IndexError(str(op, ": ", e.what()));
    }
  }
  if (self.dim() == 0) return m.reshape({});
  Shape shape(static_cast<size_t>(self.dim()), 1);
  shape[d] = n;
  return m.view(shape);
}

}  // namespace

Tensor nonzero(const Tensor& t) {
  check_defined(t, "nonzero");
  const std::vector<int64_t> pos = nonzero_positions(t);
  const int64_t n = static_cast<int64_t>(pos.size()), nd = t.dim();
  std::vector<int64_t> coords(static_cast<size_t>(n * nd));
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = pos[i];
    for (int64_t d = nd - 1; d >= 0; --d) {
      coords[i * nd + d] = rest % t.size(d);
      rest /= t.size(d);
    }
  }
  return tensor<int64_t>(coords, {n, nd}, TensorOptions(kInt64).device(t.device()));
}

std::vector<Tensor> nonzero_as_tuple(const Tensor& t) {
  check_defined(t, "nonzero");
  Tensor nz = nonzero(t.dim() == 0 ? t.reshape({1}) : t);
  std::vector<Tensor> out;
  for (int64_t d = 0; d < nz.size(1); ++d) out.push_back(nz.select(1, d).contiguous());
  return out;
}

Tensor argwhere(const Tensor& t) { return nonzero(t); }

Tensor take_along_dim(const Tensor& t, const Tensor& indices, std::optional<int64_t> dim) {
  check_defined(t, "take_along_dim");
  check_defined(indices, "take_along_dim", "indices");
  SEEK_CHECK_DTYPE(indices.dtype() == kInt64, "take_along_dim: dtype of indices should be int64 but got ",
                   indices.dtype());
  if (!dim) return gather(t.reshape({-1}), 0, indices.reshape({-1}));
  SEEK_CHECK_SHAPE(t.dim() == indices.dim(), "take_along_dim: input and indices should have the same number of ",
                   "dimensions, but got ", t.dim(), " dimensions and ", indices.dim(), " dimensions");
  const int64_t d = wrap_dim(*dim, t.dim(), "take_along_dim");
  if (t.dim() == 0) return gather(t, 0, indices);
  Shape ts = t.sizes(), is = indices.sizes();
  ts[d] = is[d] = 1;
  Shape b = broadcast_shapes(ts, is, "take_along_dim");
  Shape tb = b, ib = b;
  tb[d] = t.size(d);
  ib[d] = indices.size(d);
  return gather(t.sizes() == tb ? t : t.expand(tb), d, indices.sizes() == ib ? indices : indices.expand(ib));
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  return self.masked_fill(dim_mask(self, dim, index, "index_fill"), value);
}

Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  const char* op = "masked_scatter";
  check_defined(self, op, "self");
  check_defined(mask, op, "mask");
  check_defined(source, op, "source");
  check_same_device(op, {self, mask, source});
  SEEK_CHECK_DTYPE(mask.dtype() == kBool, op, ": expected a bool mask, got ", mask.dtype());
  SEEK_CHECK_DTYPE(source.dtype() == self.dtype(), op, ": expected self and source to have the same dtype, got ",
                   self.dtype(), " and ", source.dtype());
  const Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), op);
  const Tensor m = mask.sizes() == shape ? mask : mask.expand(shape);
  const std::vector<int64_t> pos = nonzero_positions(m);
  const int64_t k = static_cast<int64_t>(pos.size());
  SEEK_CHECK_SHAPE(source.numel() >= k, op, ": number of elements in source (", source.numel(),
                   ") is less than the number of true elements in mask (", k, ")");
  const Tensor idx = tensor<int64_t>(pos, {k}, TensorOptions(kInt64).device(self.device()));
  Tensor vals = zeros({shape_numel(shape)}, TensorOptions(self.dtype()).device(self.device()));
  vals = index_add(vals, 0, idx, source.reshape({-1}).narrow(0, 0, k));
  return where(m, vals.view(shape), self.sizes() == shape ? self : self.expand(shape));
}

Tensor index_put(const Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& values, bool accumulate) {
  return self.index_put(indices, values, accumulate);
}

// ---- methods ----
Tensor Tensor::nonzero() const { return seek::nonzero(*this); }
std::vector<Tensor> Tensor::nonzero_as_tuple() const { return seek::nonzero_as_tuple(*this); }
Tensor Tensor::take_along_dim(const Tensor& indices, std::optional<int64_t> dim) const {
  return seek::take_along_dim(*this, indices, dim);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, Scalar value) const {
  return seek::index_fill(*this, dim, index, value);
}
Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, Scalar value) {
  return masked_fill_(dim_mask(*this, dim, index, "index_fill_"), value);
}
Tensor Tensor::masked_scatter(const Tensor& mask, const Tensor& source) const {
  return seek::masked_scatter(*this, mask, source);
}
Tensor& Tensor::masked_scatter_(const Tensor& mask, const Tensor& source) {
  check_defined(*this, "masked_scatter_", "self");
  if (autograd::check_inplace(*this, {source}, "masked_scatter_")) {
    autograd::commit_inplace(*this, seek::masked_scatter(clone(), mask, source));
    return *this;
  }
  Tensor r = seek::masked_scatter(*this, mask, source);
  SEEK_CHECK_SHAPE(r.sizes() == sizes(), "masked_scatter_: mask of shape ", shape_str(mask.sizes()),
                   " does not broadcast to self of shape ", shape_str(sizes()));
  NoGradGuard g;
  copy_(r);
  return *this;
}
Tensor Tensor::index_put(const std::vector<TensorIndex>& indices, const Tensor& value, bool accumulate) const {
  Tensor out = clone();
  out.index_put_(indices, value, accumulate);
  return out;
}

}  // namespace seek
