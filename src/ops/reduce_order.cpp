// Reductions built from other ops, so that they run and differentiate on every backend:
// median / nanmedian (a sort, then a gather at the middle of each row), cumprod (a
// log-depth scan of shifted products, differentiable through zeros), count_nonzero,
// aminmax, and unique / unique_consecutive (a sort, run starts, a cumsum for the
// group ids, a scatter for the inverse and a scatter_add for the counts).
#include <algorithm>
#include <limits>

#include "ops/op_utils.h"
#include "seek/autograd/grad_mode.h"
#include "seek/ops/binary.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/reduce.h"
#include "seek/ops/shape.h"
#include "seek/ops/sort.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek {

using namespace ops_detail;

namespace {

int64_t wrap_dim_of(const Tensor& t, int64_t dim, const char* name) {
  const int64_t n = std::max<int64_t>(t.dim(), 1);
  SEEK_CHECK_INDEX(dim >= -n && dim < n, name, ": dimension out of range (expected to be in range of [", -n, ", ",
                   n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

// Along dim: the lower middle element of each sorted row; where a row holds NaN,
// median picks the first NaN and nanmedian the lower middle of the numbers.
std::tuple<Tensor, Tensor> median_impl(const Tensor& t, int64_t dim, bool keepdim, bool ignore_nan, const char* name) {
  check_defined(t, name);
  SEEK_CHECK_DTYPE(t.dtype() != kBool, name, ": not supported for bool tensors");
  if (t.dim() == 0) {
    wrap_dim_of(t, dim, name);
    return {t.clone(), zeros({}, TensorOptions(kInt64).device(t.device()))};
  }
  const int64_t d = wrap_dim_of(t, dim, name);
  const int64_t n = t.size(d);
  SEEK_CHECK_INDEX(n > 0, name, "() cannot compute median for a dimension of size 0");
  auto [values, indices] = seek::sort(t, d);  // NaN last, stable
  Tensor k;
  {
    NoGradGuard guard;
    if (is_floating(t.dtype())) {
      Tensor nans = t.isnan().sum(std::vector<int64_t>{d}, /*keepdim=*/true);
      Tensor valid = n - nans;
      k = ignore_nan ? (valid - 1).clamp_min(0).div(2, std::string("floor")) : where(nans > 0, valid, (n - 1) / 2);
    } else {
      Shape s = t.sizes();
      s[d] = 1;
      k = full(s, (n - 1) / 2, TensorOptions(kInt64).device(t.device()));
    }
  }
  Tensor v = values.gather(d, k), i = indices.gather(d, k);
  if (!keepdim) {
    v = v.squeeze(d);
    i = i.squeeze(d);
  }
  return {v, i};
}

Tensor median_all(const Tensor& t, bool ignore_nan, const char* name) {
  check_defined(t, name);
  if (t.numel() == 0) {
    SEEK_CHECK_DTYPE(is_floating(t.dtype()), name, ": the median of an empty ", t.dtype(), " tensor is undefined");
    return full({}, std::numeric_limits<double>::quiet_NaN(), TensorOptions(t.dtype()).device(t.device()));
  }
  return std::get<0>(median_impl(t.reshape({-1}), 0, false, ignore_nan, name));
}

// Runs of equal values in `sorted` (1-d): (values, group id of each element, counts).
std::tuple<Tensor, Tensor, Tensor> runs_of(const Tensor& sorted, bool want_counts) {
  const int64_t n = sorted.numel();
  const TensorOptions i64 = TensorOptions(kInt64).device(sorted.device());
  Tensor starts = cat({ones({1}, TensorOptions(kBool).device(sorted.device())),
                       sorted.narrow(0, 1, n - 1).ne(sorted.narrow(0, 0, n - 1))},
                      0);
  Tensor values = sorted.masked_select(starts);
  Tensor group = seek::cumsum(starts, 0) - 1;  // int64
  Tensor counts;
  if (want_counts) counts = zeros({values.numel()}, i64).scatter_add(0, group, ones({n}, i64));
  return {values, group, counts};
}

std::tuple<Tensor, Tensor, Tensor> unique_impl(const Tensor& t, bool sort_first, bool return_inverse,
                                               bool return_counts, std::optional<int64_t> dim, const char* name) {
  check_defined(t, name);
  SEEK_CHECK_VALUE(!dim.has_value(), name, ": dim is not supported; call it without dim (on the flattened tensor)");
  NoGradGuard guard;
  const TensorOptions i64 = TensorOptions(kInt64).device(t.device());
  const int64_t n = t.numel();
  if (n == 0) {
    return {empty({0}, TensorOptions(t.dtype()).device(t.device())), return_inverse ? empty(t.sizes(), i64) : Tensor(),
            return_counts ? empty({0}, i64) : Tensor()};
  }
  Tensor flat = t.reshape({-1});
  Tensor order;
  if (sort_first) std::tie(flat, order) = seek::sort(flat, 0);
  auto [values, group, counts] = runs_of(flat, return_counts);
  Tensor inverse;
  if (return_inverse) {
    inverse = sort_first ? zeros({n}, i64).scatter(0, order, group) : group;
    inverse = inverse.reshape(t.sizes());
  }
  return {values, inverse, counts};
}

}  // namespace

Tensor median(const Tensor& t) { return median_all(t, false, "median"); }
std::tuple<Tensor, Tensor> median(const Tensor& t, int64_t dim, bool keepdim) {
  return median_impl(t, dim, keepdim, false, "median");
}
Tensor nanmedian(const Tensor& t) { return median_all(t, true, "nanmedian"); }
std::tuple<Tensor, Tensor> nanmedian(const Tensor& t, int64_t dim, bool keepdim) {
  return median_impl(t, dim, keepdim, true, "nanmedian");
}

// y_i = prod_{j <= i} x_j by doubling: after the pass with shift s each element holds the
// product of the 2s elements ending at it (Hillis-Steele). Only products, so the gradient
// is exact where x has zeros.
Tensor cumprod(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  check_defined(t, "cumprod");
  const DType dt = dtype ? *dtype : (is_floating(t.dtype()) ? t.dtype() : kInt64);
  Tensor y = t.to(dt);
  if (t.dim() == 0) {
    wrap_dim_of(t, dim, "cumprod");
    return y.clone();
  }
  const int64_t d = wrap_dim_of(t, dim, "cumprod");
  const int64_t n = t.size(d);
  if (n <= 1) return y.clone();
  for (int64_t s = 1; s < n; s *= 2) {
    Tensor shifted = cat({ones_like(y.narrow(d, 0, s)), y.narrow(d, 0, n - s)}, d);
    y = y * shifted;
  }
  return y;
}

Tensor count_nonzero(const Tensor& t, const std::vector<int64_t>& dims) {
  check_defined(t, "count_nonzero");
  NoGradGuard guard;
  return t.ne(0).sum(dims);
}

std::tuple<Tensor, Tensor> aminmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  check_defined(t, "aminmax");
  SEEK_CHECK_VALUE(t.numel() > 0 || dim.has_value(), "aminmax(): cannot compute aminmax over an empty tensor");
  std::vector<int64_t> dims;
  if (dim) dims.push_back(*dim);
  return {t.amin(dims, keepdim), t.amax(dims, keepdim)};
}

std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& t, bool sorted, bool return_inverse, bool return_counts,
                                          std::optional<int64_t> dim) {
  (void)sorted;  // the values always come sorted (PyTorch leaves the order unspecified when sorted=False)
  return unique_impl(t, true, return_inverse, return_counts, dim, "unique");
}
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& t, bool return_inverse, bool return_counts,
                                                      std::optional<int64_t> dim) {
  return unique_impl(t, false, return_inverse, return_counts, dim, "unique_consecutive");
}

// ---- methods ----
Tensor Tensor::median() const { return seek::median(*this); }
std::tuple<Tensor, Tensor> Tensor::median(int64_t dim, bool keepdim) const { return seek::median(*this, dim, keepdim); }
Tensor Tensor::nanmedian() const { return seek::nanmedian(*this); }
std::tuple<Tensor, Tensor> Tensor::nanmedian(int64_t dim, bool keepdim) const {
  return seek::nanmedian(*this, dim, keepdim);
}
Tensor Tensor::cumprod(int64_t dim) const { return seek::cumprod(*this, dim); }
Tensor Tensor::count_nonzero(const std::vector<int64_t>& dims) const { return seek::count_nonzero(*this, dims); }
std::tuple<Tensor, Tensor> Tensor::aminmax(std::optional<int64_t> dim, bool keepdim) const {
  return seek::aminmax(*this, dim, keepdim);
}
std::tuple<Tensor, Tensor, Tensor> Tensor::unique(bool sorted, bool return_inverse, bool return_counts,
                                                  std::optional<int64_t> dim) const {
  return seek::unique(*this, sorted, return_inverse, return_counts, dim);
}
std::tuple<Tensor, Tensor, Tensor> Tensor::unique_consecutive(bool return_inverse, bool return_counts,
                                                              std::optional<int64_t> dim) const {
  return seek::unique_consecutive(*this, return_inverse, return_counts, dim);
}

}  // namespace seek
