// Reduction family, part 2: var, std, var_mean, std_mean, norm, logsumexp and
// their backward formulas (binary ops, reductions and softmax only).
#include <cmath>
#include <algorithm>
#include <numeric>

#include "ops/reduce_common.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"
#include "seek/ops/binary.h"
#include "seek/ops/reduce.h"
#include "seek/ops/softmax.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

// sign(x) as x's dtype, from comparisons.
Tensor sign_of(const Tensor& x) { return (x > 0).to(x.dtype()) - (x < 0).to(x.dtype()); }

// d where d != 0, 1 elsewhere: a denominator that leaves 0 / d at 0.
Tensor nonzero_or_one(const Tensor& d) { return d + (d == 0).to(d.dtype()); }

Tensor var_std(const Tensor& t, const std::vector<int64_t>& dims, int64_t correction, bool keepdim, bool take_sqrt) {
  const char* name = take_sqrt ? "std" : "var";
  check_defined(t, name);
  SEEK_CHECK_DTYPE(is_floating(t.dtype()), name, ": only floating point inputs are supported, got ", t.dtype());
  SEEK_CHECK_VALUE(correction >= 0, name, ": correction must be non-negative, got ", correction);
  Reduction r = make_reduction(t, dims, keepdim, name);
  ReduceParams p;
  p.correction = static_cast<double>(correction);
  Tensor out = reduce_nograd(take_sqrt ? ReduceOp::Std : ReduceOp::Var, t, r, t.dtype(), p);
  if (autograd::needs_grad({t})) {
    autograd::record(take_sqrt ? "StdBackward" : "VarBackward", {t}, {out},
                     [r, correction, take_sqrt, sx = SavedTensor(t), so = SavedTensor(take_sqrt ? out : Tensor())](
                         const variable_list& g, const std::vector<bool>&) {
                       const Tensor& x = sx.get();
                       Tensor centered = x - mean(x, r.dims, /*keepdim=*/true);
                       const double dof = static_cast<double>(r.count - correction);
                       if (!take_sqrt) return variable_list{keep_view(g[0], r) * centered * (2.0 / dof)};
                       // d std = d var / (2 std); zero where std == 0 (as PyTorch).
                       Tensor s = keep_view(so.get(), r);
                       Tensor scale = keep_view(g[0], r) / (nonzero_or_one(s) * dof) * (s != 0).to(s.dtype());
                       return variable_list{centered * scale};
                     });
  }
  return out;
}

// softmax of x over several dims (the gradient of logsumexp).
Tensor softmax_over(const Tensor& x, const Reduction& r) {
  if (r.dims.empty()) return softmax(x, 0);  // 0-dim: 1
  if (r.dims.size() == 1) return softmax(x, r.dims[0]);
  // Move the reduced dims last, flatten them, softmax, and undo.
  std::vector<int64_t> perm, kept_sizes;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (std::find(r.dims.begin(), r.dims.end(), d) == r.dims.end()) {
      perm.push_back(d);
      kept_sizes.push_back(x.size(d));
    }
  }
  perm.insert(perm.end(), r.dims.begin(), r.dims.end());
  Tensor xp = x.permute(perm);
  Shape flat = kept_sizes;
  flat.push_back(r.count);
  Tensor y = softmax(xp.reshape(flat), -1).reshape(xp.sizes());
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
  return y.permute(inverse);
}

}  // namespace

Tensor var(const Tensor& t, const std::vector<int64_t>& dims, int64_t correction, bool keepdim) {
  return var_std(t, dims, correction, keepdim, false);
}
Tensor std(const Tensor& t, const std::vector<int64_t>& dims, int64_t correction, bool keepdim) {
  return var_std(t, dims, correction, keepdim, true);
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& t, const std::vector<int64_t>& dims, int64_t correction,
                                    bool keepdim) {
  return {var(t, dims, correction, keepdim), mean(t, dims, keepdim)};
}
std::tuple<Tensor, Tensor> std_mean(const Tensor& t, const std::vector<int64_t>& dims, int64_t correction,
                                    bool keepdim) {
  return {seek::std(t, dims, correction, keepdim), mean(t, dims, keepdim)};
}

Tensor norm(const Tensor& t, double p, const std::vector<int64_t>& dims, bool keepdim) {
  check_defined(t, "norm");
  SEEK_CHECK_DTYPE(is_floating(t.dtype()), "norm: expected a floating point input, got ", t.dtype());
  SEEK_CHECK_VALUE(p > 0, "norm: p must be positive (1, 2, inf or any p > 0), got ", p);
  Reduction r = make_reduction(t, dims, keepdim, "norm");
  SEEK_CHECK_VALUE(!std::isinf(p) || r.count > 0 || shape_numel(r.out_shape) == 0,
                   "norm: the inf norm of an empty reduction is undefined (input shape ", shape_str(t.sizes()), ")");
  ReduceParams params;
  params.p = p;
  Tensor out = reduce_nograd(ReduceOp::Norm, t, r, t.dtype(), params);
  if (autograd::needs_grad({t})) {
    autograd::record(
        "NormBackward", {t}, {out},
        [r, p, sx = SavedTensor(t), so = SavedTensor(out)](const variable_list& g, const std::vector<bool>&) {
          const Tensor& x = sx.get();
          Tensor gk = keep_view(g[0], r), nk = keep_view(so.get(), r);
          Tensor sgn = sign_of(x);
          if (p == 1.0) return variable_list{gk * sgn};
          if (p == 2.0) return variable_list{gk * x / nonzero_or_one(nk)};  // 0 where the norm is 0
          Tensor ax = x * sgn;
          if (std::isinf(p)) {
            // Shared evenly between the elements of largest magnitude.
            Tensor mask = extreme_mask(ax, nk);
            Tensor count = mask.sum(r.dims, /*keepdim=*/true);
            return variable_list{gk * sgn * mask / count};
          }
          // d/dx (sum |x|^p)^(1/p) = sign(x) |x|^(p-1) / norm^(p-1), 0 where the norm is 0.
          Tensor denom = nonzero_or_one(pow(nk, p - 1.0));
          return variable_list{gk * sgn * pow(ax, p - 1.0) / denom};
        });
  }
  return out;
}

Tensor logsumexp(const Tensor& t_arg, const std::vector<int64_t>& dims, bool keepdim) {
  const Tensor t = amp::autocast_fp32(t_arg);  // autocast: fp32 op
  check_defined(t, "logsumexp");
  if (!is_floating(t.dtype())) return logsumexp(t.to(kFloat32), dims, keepdim);
  Reduction r = make_reduction(t, dims, keepdim, "logsumexp");
  Tensor out = reduce_nograd(ReduceOp::LogSumExp, t, r, t.dtype());
  if (autograd::needs_grad({t})) {
    // d/dx logsumexp = exp(x - logsumexp) = softmax over the reduced dims.
    autograd::record("LogsumexpBackward", {t}, {out},
                     [r, sx = SavedTensor(t)](const variable_list& g, const std::vector<bool>&) {
                       return variable_list{keep_view(g[0], r) * softmax_over(sx.get(), r)};
                     });
  }
  return out;
}

// ---------------------------------------------------------------- methods

Tensor Tensor::var(const std::vector<int64_t>& dims, int64_t correction, bool keepdim) const {
  return seek::var(*this, dims, correction, keepdim);
}
Tensor Tensor::std(const std::vector<int64_t>& dims, int64_t correction, bool keepdim) const {
  return seek::std(*this, dims, correction, keepdim);
}
Tensor Tensor::norm(double p, const std::vector<int64_t>& dims, bool keepdim) const {
  return seek::norm(*this, p, dims, keepdim);
}
Tensor Tensor::logsumexp(const std::vector<int64_t>& dims, bool keepdim) const {
  return seek::logsumexp(*this, dims, keepdim);
}

}  // namespace seek
