// baddbmm, addbmm, tensordot, kron and vdot, written with bmm / mm / mul and views, so
// the backward comes from those ops. tensordot moves the contracted dims together
// and runs one mm; kron interleaves the dims of a and b through a broadcast multiply.
#include <algorithm>
#include <numeric>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/binary.h"
#include "seek/ops/linalg.h"
#include "seek/ops/linalg_extra.h"
#include "seek/ops/reduce.h"

namespace seek {

using namespace ops_detail;

namespace {

bool is_one(Scalar s) { return s.to_double() == 1.0; }
bool is_zero(Scalar s) { return s.to_double() == 0.0; }

// beta * input + alpha * prod, where input must broadcast to prod's shape; input is not
// read when beta is 0 (NaN there does not propagate), as in torch.
Tensor scale_add(const Tensor& input, const Tensor& prod, Scalar beta, Scalar alpha, const char* op) {
  Shape b = broadcast_shapes(input.sizes(), prod.sizes(), op);
  SEEK_CHECK_SHAPE(b == prod.sizes(), op, ": input of shape ", shape_str(input.sizes()),
                   " cannot be broadcast to the product's shape ", shape_str(prod.sizes()));
  SEEK_CHECK_DTYPE(input.dtype() == prod.dtype(), op, ": expected input and the batches to have the same dtype, got ",
                   input.dtype(), " and ", prod.dtype());
  Tensor p = is_one(alpha) ? prod : prod * alpha;
  if (is_zero(beta)) return p;
  return p + (is_one(beta) ? input : input * beta);
}

void check_batches(const Tensor& b1, const Tensor& b2, const char* op) {
  check_defined(b1, op, "batch1");
  check_defined(b2, op, "batch2");
  SEEK_CHECK_SHAPE(b1.dim() == 3 && b2.dim() == 3, op, ": batch1 and batch2 must be 3-D, got ", shape_str(b1.sizes()),
                   " and ", shape_str(b2.sizes()));
}

}  // namespace

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) {
  check_defined(input, "baddbmm");
  check_batches(batch1, batch2, "baddbmm");
  return scale_add(input, bmm(batch1, batch2), beta, alpha, "baddbmm");
}

Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) {
  check_defined(input, "addbmm");
  check_batches(batch1, batch2, "addbmm");
  return scale_add(input, bmm(batch1, batch2).sum(0), beta, alpha, "addbmm");
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b) {
  check_defined(a, "tensordot", "a");
  check_defined(b, "tensordot", "b");
  SEEK_CHECK_VALUE(dims_a.size() == dims_b.size(), "tensordot: both dimension lists should have the same length, got ",
                   dims_a.size(), " and ", dims_b.size());
  std::vector<int64_t> ca, cb;
  std::vector<bool> used_a(static_cast<size_t>(a.dim()), false), used_b(static_cast<size_t>(b.dim()), false);
  int64_t k = 1;
  for (size_t i = 0; i < dims_a.size(); ++i) {
    SEEK_CHECK_INDEX(a.dim() > 0 && b.dim() > 0, "tensordot: cannot contract the dims of a 0-dim tensor");
    const int64_t da = wrap_dim(dims_a[i], a.dim(), "tensordot"), db = wrap_dim(dims_b[i], b.dim(), "tensordot");
    SEEK_CHECK_VALUE(!used_a[da] && !used_b[db], "tensordot: dim ", used_a[da] ? da : db, " of ",
                     used_a[da] ? "a" : "b", " appears multiple times in the list of dims");
    SEEK_CHECK_SHAPE(a.size(da) == b.size(db), "tensordot: contracted dimensions need to match, but first has size ",
                     a.size(da), " in dim ", da, " and second has size ", b.size(db), " in dim ", db);
    used_a[da] = used_b[db] = true;
    ca.push_back(da);
    cb.push_back(db);
    k *= a.size(da);
  }
  std::vector<int64_t> perm_a, perm_b = cb;
  Shape out_shape;
  int64_t m = 1, n = 1;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (used_a[d]) continue;
    perm_a.push_back(d);
    out_shape.push_back(a.size(d));
    m *= a.size(d);
  }
  perm_a.insert(perm_a.end(), ca.begin(), ca.end());
  for (int64_t d = 0; d < b.dim(); ++d) {
    if (used_b[d]) continue;
    perm_b.push_back(d);
    out_shape.push_back(b.size(d));
    n *= b.size(d);
  }
  Tensor am = a.dim() == 0 ? a.reshape({1, 1}) : a.permute(perm_a).reshape({m, k});
  Tensor bm = b.dim() == 0 ? b.reshape({1, 1}) : b.permute(perm_b).reshape({k, n});
  return mm(am, bm).reshape(out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  check_defined(a, "tensordot", "a");
  check_defined(b, "tensordot", "b");
  SEEK_CHECK_VALUE(dims >= 0, "tensordot: expects dims >= 0, but got dims=", dims);
  SEEK_CHECK_VALUE(dims <= a.dim() && dims <= b.dim(),
                   "tensordot: expects dims < ndim_a or ndim_b, but got dims=", dims);
  std::vector<int64_t> da, db;
  for (int64_t i = 0; i < dims; ++i) {
    da.push_back(a.dim() - dims + i);
    db.push_back(i);
  }
  return tensordot(a, b, da, db);
}

Tensor kron(const Tensor& a, const Tensor& b) {
  check_defined(a, "kron", "input");
  check_defined(b, "kron", "other");
  const int64_t nd = std::max(a.dim(), b.dim());
  Shape sa(static_cast<size_t>(nd - a.dim()), 1), sb(static_cast<size_t>(nd - b.dim()), 1);
  sa.insert(sa.end(), a.sizes().begin(), a.sizes().end());
  sb.insert(sb.end(), b.sizes().begin(), b.sizes().end());
  Shape va, vb, out;
  for (int64_t i = 0; i < nd; ++i) {
    va.insert(va.end(), {sa[i], 1});
    vb.insert(vb.end(), {1, sb[i]});
    out.push_back(sa[i] * sb[i]);
  }
  return (a.reshape(va) * b.reshape(vb)).reshape(out);
}

Tensor vdot(const Tensor& a, const Tensor& b) {
  check_defined(a, "vdot", "input");
  check_defined(b, "vdot", "other");
  SEEK_CHECK_SHAPE(a.dim() == 1 && b.dim() == 1, "vdot: 1D tensors expected, but got ", a.dim(), "D and ", b.dim(),
                   "D tensors");
  return dot(a, b);
}

Tensor ger(const Tensor& a, const Tensor& b) { return outer(a, b); }

// ---- methods ----
Tensor Tensor::baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) const {
  return seek::baddbmm(*this, batch1, batch2, beta, alpha);
}
Tensor& Tensor::baddbmm_(const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) {
  check_defined(*this, "baddbmm_", "self");
  if (autograd::check_inplace(*this, {batch1, batch2}, "baddbmm_")) {
    autograd::commit_inplace(*this, seek::baddbmm(clone(), batch1, batch2, beta, alpha));
    return *this;
  }
  Tensor r = seek::baddbmm(*this, batch1, batch2, beta, alpha);
  SEEK_CHECK_SHAPE(r.sizes() == sizes(), "baddbmm_: the result of shape ", shape_str(r.sizes()),
                   " does not fit self of shape ", shape_str(sizes()));
  copy_(r);
  return *this;
}
Tensor Tensor::addbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) const {
  return seek::addbmm(*this, batch1, batch2, beta, alpha);
}
Tensor Tensor::kron(const Tensor& o) const { return seek::kron(*this, o); }
Tensor Tensor::vdot(const Tensor& o) const { return seek::vdot(*this, o); }

}  // namespace seek
