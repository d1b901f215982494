// Reduction family, part 1: sum, mean, prod, max/min (all and along a dim),
// amax/amin, argmax/argmin, all/any, cumsum, and their backward formulas.
// var/std/norm/logsumexp are in reduce_stats.cpp.
#include "seek/ops/reduce.h"

#include <algorithm>
#include <numeric>

#include "ops/reduce_common.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"
#include "seek/ops/binary.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

// ---------------------------------------------------------------- shared helpers

namespace ops_detail {

Reduction make_reduction(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, const char* op) {
  check_defined(t, op);
  Reduction r;
  r.dims = wrap_dims(dims, t.dim(), op);
  r.in_shape = t.sizes();
  r.keep_shape = t.sizes();
  r.keepdim = keepdim;
  Shape reduced_sizes;
  for (int64_t d : r.dims) {
    reduced_sizes.push_back(t.size(d));
    r.keep_shape[d] = 1;
  }
  r.count = shape_numel(reduced_sizes);  // checked: huge dims beside a 0 elsewhere must not overflow
  for (int64_t d = 0; d < t.dim(); ++d) {
    bool reduced = std::find(r.dims.begin(), r.dims.end(), d) != r.dims.end();
    if (keepdim || !reduced) r.out_shape.push_back(r.keep_shape[d]);
  }
  return r;
}

Tensor reduce_nograd(ReduceOp op, const Tensor& t, const Reduction& r, DType out_dtype, const ReduceParams& p) {
  Tensor out = alloc(r.out_shape, out_dtype, t.device());
  NoGradGuard g;
  backend(t.device()).reduce(op, t, r.dims, out.view(r.keep_shape), p);
  return out;
}

Tensor keep_view(const Tensor& t, const Reduction& r) {
  if (r.keepdim) return t;
  Tensor v = t;
  for (int64_t d : r.dims) v = v.unsqueeze(d);  // dims ascending, so each lands at its input position
  return v;
}

Tensor expand_back(const Tensor& g, const Reduction& r) { return keep_view(g, r).expand(r.in_shape); }

Tensor extreme_mask(const Tensor& x, const Tensor& extreme) {
  Tensor m = x == extreme;
  if (is_floating(x.dtype()) && (extreme != extreme).any().item<bool>()) m = m || ((x != x) && (extreme != extreme));
  return m.to(x.dtype());
}

}  // namespace ops_detail

namespace {

DType int_to_long(DType dt) { return is_floating(dt) ? dt : kInt64; }

// max/min/amax/amin over dims: the gradient is shared evenly between the elements that hit the extreme.
Tensor extreme(bool is_max, const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, const char* name) {
  Reduction r = make_reduction(t, dims, keepdim, name);
  // PyTorch's error types: IndexError for an empty reduced dim, RuntimeError when all dims are reduced
  if (r.count == 0 && shape_numel(r.out_shape) != 0) {
    std::string msg = str(name, ": cannot reduce a tensor with no elements along the reduced dims (input shape ",
                          shape_str(t.sizes()), "), because the operation has no identity");
    if (dims.empty()) throw Error(msg);
    throw IndexError(msg);
  }
  Tensor out = reduce_nograd(is_max ? ReduceOp::Max : ReduceOp::Min, t, r, t.dtype());
  if (autograd::needs_grad({t})) {
    autograd::record(is_max ? "AmaxBackward" : "AminBackward", {t}, {out},
                     [r, sx = SavedTensor(t), so = SavedTensor(out)](const variable_list& g, const std::vector<bool>&) {
                       const Tensor& x = sx.get();
                       Tensor mask = extreme_mask(x, keep_view(so.get(), r));
                       Tensor count = mask.sum(r.dims, /*keepdim=*/true);
                       return variable_list{keep_view(g[0], r) * mask / count};
                     });
  }
  return out;
}

// (values, indices) along one dim; the gradient goes to the returned index.
std::tuple<Tensor, Tensor> extreme_dim(bool is_max, const Tensor& t, int64_t dim, bool keepdim, const char* name) {
  Reduction r = make_reduction(t, {dim}, keepdim, name);
  const int64_t d = r.dims.empty() ? 0 : r.dims[0];
  SEEK_CHECK_INDEX(t.dim() == 0 || t.size(d) > 0, name, ": cannot reduce over dimension ", d,
                   " of size 0 (input shape ", shape_str(t.sizes()), "), because the operation has no identity");
  Tensor values = alloc(r.out_shape, t.dtype(), t.device());
  Tensor indices = alloc(r.out_shape, kInt64, t.device());
  if (values.numel() > 0) {
    NoGradGuard ng;
    backend(t.device()).arg_reduce(is_max, t, d, values.view(r.keep_shape), indices.view(r.keep_shape));
  }
  if (autograd::needs_grad({t})) {
    autograd::record(is_max ? "MaxBackward" : "MinBackward", {t}, {values, indices},
                     [r, d, si = SavedTensor(indices), dt = t.dtype(), dev = t.device()](const variable_list& g,
                                                                                         const std::vector<bool>&) {
                       if (r.dims.empty()) return variable_list{g[0]};  // 0-dim input
                       // One-hot along d: position == index.
                       const int64_t n = r.in_shape[d];
                       std::vector<int64_t> iota(n);
                       std::iota(iota.begin(), iota.end(), int64_t(0));
                       Shape pos_shape(r.in_shape.size(), 1);
                       pos_shape[d] = n;
                       Tensor pos = tensor<int64_t>(iota, pos_shape, TensorOptions(kInt64).device(dev));
                       Tensor onehot = (pos == keep_view(si.get(), r)).to(dt);
                       return variable_list{onehot * keep_view(g[0], r)};
                     });
  }
  return {values, indices};
}

Tensor arg_extreme(bool is_max, const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  const char* name = is_max ? "argmax" : "argmin";
  check_defined(t, name);
  if (dim) return std::get<1>(extreme_dim(is_max, t.detach(), *dim, keepdim, name));
  SEEK_CHECK_INDEX(t.numel() > 0, name,
                   ": expected a reduction dim to be specified for an input with no elements (shape ",
                   shape_str(t.sizes()), ")");
  Tensor flat = t.detach().reshape({-1});
  Tensor idx = std::get<1>(extreme_dim(is_max, flat, 0, false, name));
  return keepdim ? idx.reshape(Shape(t.dim(), 1)) : idx;
}

Tensor truth(ReduceOp op, const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) {
  Reduction r = make_reduction(t, dims, keepdim, reduce_op_name(op));
  return reduce_nograd(op, t, r, kBool);
}

// Single zeros handled exactly: with z = (x == 0), c = count of zeros and
// P = product of the non-zero elements (zeros replaced by 1),
//   d/dx_i = P / x_i  where c == 0;   P at the zero where c == 1;   0 otherwise.
Tensor prod_backward(const Tensor& g, const Tensor& x, const Reduction& r) {
  Tensor z = (x == 0).to(x.dtype());
  Reduction rk = r;
  rk.keepdim = true;
  rk.out_shape = r.keep_shape;
  Tensor count = reduce_nograd(ReduceOp::Sum, z, rk, x.dtype());
  Tensor safe = x + z;
  Tensor p_nz = reduce_nograd(ReduceOp::Prod, safe, rk, x.dtype());
  Tensor no_zero = (count == 0).to(x.dtype()), one_zero = (count == 1).to(x.dtype());
  return keep_view(g, r) * (no_zero * p_nz / safe + z * one_zero * p_nz);
}

}  // namespace

// ---------------------------------------------------------------- sum / mean / prod

Tensor sum(const Tensor& t_arg, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dtype) {
  const Tensor t = dtype ? t_arg : amp::autocast_fp32(t_arg);  // autocast: fp32 op unless dtype is given
  check_defined(t, "sum");
  if (dtype && *dtype != t.dtype()) return sum(t.to(*dtype), dims, keepdim, dtype);
  Reduction r = make_reduction(t, dims, keepdim, "sum");
  Tensor out = reduce_nograd(ReduceOp::Sum, t, r, int_to_long(t.dtype()));
  if (autograd::needs_grad({t})) {
    autograd::record("SumBackward", {t}, {out}, [r](const variable_list& g, const std::vector<bool>&) {
      return variable_list{expand_back(g[0], r)};
    });
  }
  return out;
}

Tensor mean(const Tensor& t_arg, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dtype) {
  const Tensor t = dtype ? t_arg : amp::autocast_fp32(t_arg);  // autocast: fp32 op unless dtype is given
  check_defined(t, "mean");
  if (dtype && *dtype != t.dtype()) return mean(t.to(*dtype), dims, keepdim, dtype);
  SEEK_CHECK_DTYPE(is_floating(t.dtype()),
                   "mean: could not infer the output dtype: the input must be a floating "
                   "point tensor, got ",
                   t.dtype(), " (pass dtype or convert with .to(kFloat32) first)");
  Reduction r = make_reduction(t, dims, keepdim, "mean");
  Tensor out = reduce_nograd(ReduceOp::Mean, t, r, t.dtype());
  if (autograd::needs_grad({t})) {
    autograd::record("MeanBackward", {t}, {out}, [r](const variable_list& g, const std::vector<bool>&) {
      return variable_list{expand_back(g[0] * (1.0 / static_cast<double>(r.count)), r)};
    });
  }
  return out;
}

Tensor prod(const Tensor& t_arg, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
  const Tensor t = dtype ? t_arg : amp::autocast_fp32(t_arg);  // autocast: fp32 op unless dtype is given
  check_defined(t, "prod");
  if (dtype && *dtype != t.dtype()) return prod(t.to(*dtype), dim, keepdim, dtype);
  Reduction r = dim ? make_reduction(t, {*dim}, keepdim, "prod") : make_reduction(t, {}, false, "prod");
  Tensor out = reduce_nograd(ReduceOp::Prod, t, r, int_to_long(t.dtype()));
  if (autograd::needs_grad({t})) {
    autograd::record("ProdBackward", {t}, {out},
                     [r, sx = SavedTensor(t)](const variable_list& g, const std::vector<bool>&) {
                       return variable_list{prod_backward(g[0], sx.get(), r)};
                     });
  }
  return out;
}

// ---------------------------------------------------------------- max / min

Tensor max(const Tensor& t) {
  check_defined(t, "max");
  SEEK_CHECK(t.numel() > 0,
             "max(): expected a reduction dim to be specified for an input with no elements "
             "(shape ",
             shape_str(t.sizes()), ")");
  return extreme(true, t, {}, false, "max");
}
Tensor min(const Tensor& t) {
  check_defined(t, "min");
  SEEK_CHECK(t.numel() > 0,
             "min(): expected a reduction dim to be specified for an input with no elements "
             "(shape ",
             shape_str(t.sizes()), ")");
  return extreme(false, t, {}, false, "min");
}
std::tuple<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim) {
  return extreme_dim(true, t, dim, keepdim, "max");
}
std::tuple<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim) {
  return extreme_dim(false, t, dim, keepdim, "min");
}
Tensor amax(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) {
  return extreme(true, t, dims, keepdim, "amax");
}
Tensor amin(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) {
  return extreme(false, t, dims, keepdim, "amin");
}
Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(true, t, dim, keepdim); }
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(false, t, dim, keepdim); }

// ---------------------------------------------------------------- all / any / cumsum

Tensor all(const Tensor& t) { return truth(ReduceOp::All, t, {}, false); }
Tensor all(const Tensor& t, int64_t dim, bool keepdim) { return truth(ReduceOp::All, t, {dim}, keepdim); }
Tensor any(const Tensor& t) { return truth(ReduceOp::Any, t, {}, false); }
Tensor any(const Tensor& t, int64_t dim, bool keepdim) { return truth(ReduceOp::Any, t, {dim}, keepdim); }

Tensor cumsum(const Tensor& t_arg, int64_t dim, std::optional<DType> dtype) {
  const Tensor t = dtype ? t_arg : amp::autocast_fp32(t_arg);  // autocast: fp32 op unless dtype is given
  check_defined(t, "cumsum");
  if (dtype && *dtype != t.dtype()) return cumsum(t.to(*dtype), dim, dtype);
  const int64_t d = wrap_dim(dim, t.dim(), "cumsum");
  Tensor out = alloc(t.sizes(), int_to_long(t.dtype()), t.device());
  {
    NoGradGuard ng;
    backend(t.device()).cumsum(t, d, out);
  }
  if (autograd::needs_grad({t})) {
    // The gradient is the reverse cumsum: sum(g) - cumsum(g) + g.
    autograd::record("CumsumBackward", {t}, {out}, [d](const variable_list& g, const std::vector<bool>&) {
      const Tensor& gr = g[0];
      if (gr.dim() == 0) return variable_list{gr};
      return variable_list{gr.sum(d, true) - gr.cumsum(d) + gr};
    });
  }
  return out;
}

// ---------------------------------------------------------------- methods

Tensor Tensor::sum() const { return seek::sum(*this); }
Tensor Tensor::sum(const std::vector<int64_t>& dims, bool keepdim) const { return seek::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return seek::mean(*this); }
Tensor Tensor::mean(const std::vector<int64_t>& dims, bool keepdim) const { return seek::mean(*this, dims, keepdim); }
Tensor Tensor::prod() const { return seek::prod(*this); }
Tensor Tensor::prod(int64_t dim, bool keepdim) const { return seek::prod(*this, dim, keepdim); }
Tensor Tensor::max() const { return seek::max(*this); }
Tensor Tensor::min() const { return seek::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return seek::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return seek::min(*this, dim, keepdim); }
Tensor Tensor::amax(const std::vector<int64_t>& dims, bool keepdim) const { return seek::amax(*this, dims, keepdim); }
Tensor Tensor::amin(const std::vector<int64_t>& dims, bool keepdim) const { return seek::amin(*this, dims, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return seek::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return seek::argmin(*this, dim, keepdim); }
Tensor Tensor::cumsum(int64_t dim) const { return seek::cumsum(*this, dim); }
Tensor Tensor::all() const { return seek::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return seek::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return seek::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return seek::any(*this, dim, keepdim); }

}  // namespace seek
