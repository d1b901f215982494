// scatter_reduce: the backend's scatter with the Add / Multiply / Max / Min modes, and
// its backward.
//
// Forward: clone self; without include_self, first write the reduction's identity
// (0, 1, -inf / lowest, +inf / highest) at every position the index names; then scatter
// src with the mode. "mean" is a sum divided by the number of values that met at each
// position (self counts once when included).
//
// Backward (g: the output's gradient, R: the output, positions p = index[...]):
//  sum    d self = g (0 where written, without include_self); d src = g[p]
//  mean   as sum, divided by the count
//  prod   d self = g * R' / self', with self' = self with zeros replaced by 1 and R' the
//         product over self' (the product of the others when self is 0); d src =
//         g[p] * R[p] / src for src != 0, the product of the others (the product with
//         that zero replaced by 1) for the only zero at its position, and 0 when
//         two or more zeros met
//  amax / amin  g split evenly between every value equal to the result (self included
//         when it took part), as torch does
#include <cmath>
#include <limits>

#include "ops/index_common.h"
#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/index_extra.h"
#include "seek/ops/ternary.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

enum class Reduce { Sum, Prod, Mean, Amax, Amin };

Reduce parse_reduce(const std::string& r, const char* op) {
  if (r == "sum") return Reduce::Sum;
  if (r == "prod") return Reduce::Prod;
  if (r == "mean") return Reduce::Mean;
  if (r == "amax") return Reduce::Amax;
  if (r == "amin") return Reduce::Amin;
  throw ValueError(str(op, ": reduce argument must be either sum, prod, mean, amax or amin, got ", r));
}

ScatterMode mode_of(Reduce r) {
  switch (r) {
    case Reduce::Prod: return ScatterMode::Multiply;
    case Reduce::Amax: return ScatterMode::Max;
    case Reduce::Amin: return ScatterMode::Min;
    default: return ScatterMode::Add;
  }
}

// The value that leaves a reduction unchanged, for dtype dt.
Scalar identity(Reduce r, DType dt) {
  switch (r) {
    case Reduce::Prod: return Scalar(int64_t{1});
    case Reduce::Amax:
    case Reduce::Amin: {
      const bool lo = r == Reduce::Amax;
      if (is_floating(dt)) return Scalar(lo ? -INFINITY : INFINITY);
      switch (dt) {
        case kInt32:
          return Scalar(int64_t{lo ? std::numeric_limits<int32_t>::lowest() : std::numeric_limits<int32_t>::max()});
        case kInt8:
          return Scalar(int64_t{lo ? std::numeric_limits<int8_t>::lowest() : std::numeric_limits<int8_t>::max()});
        case kUInt8: return Scalar(int64_t{lo ? 0 : 255});
        default: return Scalar(lo ? std::numeric_limits<int64_t>::lowest() : std::numeric_limits<int64_t>::max());
      }
    }
    default: return Scalar(int64_t{0});
  }
}

// The leading corner of t with index's sizes (the src elements the index uses).
Tensor corner(const Tensor& t, const Tensor& index) {
  Tensor c = t;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (c.size(d) != index.size(d)) c = c.narrow(d, 0, index.size(d));
  return c;
}

// zeros of `shape` with t in its leading corner.
Tensor pad_corner(const Tensor& t, const Shape& shape) {
  if (t.sizes() == shape) return t;
  Tensor out = zeros(shape, TensorOptions(t.dtype()).device(t.device()));
  Tensor c = out;
  for (int64_t d = 0; d < t.dim(); ++d) c = c.narrow(d, 0, t.size(d));
  c.copy_(t);
  return out;
}

// Which positions of self the index writes to (bool, self's shape).
Tensor written(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor m = zeros(self.sizes(), TensorOptions(kBool).device(self.device()));
  scatter_into(ScatterMode::Assign, m, dim, index, Tensor(), true, "scatter_reduce");
  return m;
}

// How many values met at each position (self's dtype, floating for the mean).
Tensor counts(const Tensor& self, int64_t dim, const Tensor& index, bool include_self) {
  Tensor c = ones(self.sizes(), TensorOptions(self.dtype()).device(self.device()));
  if (!include_self) scatter_into(ScatterMode::Assign, c, dim, index, Tensor(), 0, "scatter_reduce");
  scatter_into(ScatterMode::Add, c, dim, index, Tensor(), 1, "scatter_reduce");
  return c;
}

// The forward without history.
Tensor reduce_forward(Reduce r, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      bool include_self) {
  NoGradGuard g;
  Tensor out = self.clone();
  if (!include_self)
    scatter_into(ScatterMode::Assign, out, dim, index, Tensor(), identity(r, self.dtype()), "scatter_reduce");
  scatter_into(mode_of(r), out, dim, index, src, 0, "scatter_reduce");
  if (r != Reduce::Mean) return out;
  Tensor c = counts(self, dim, index, include_self);
  if (is_floating(self.dtype())) return out.div(c);
  // integers: rounded towards minus infinity, as torch
  return out.to(kFloat64).div(c.to(kFloat64)).floor().to(self.dtype());
}

variable_list reduce_backward(Reduce r, const Tensor& g, const Tensor& self, int64_t dim, const Tensor& index,
                              const Tensor& src, const Tensor& result, bool include_self,
                              const std::vector<bool>& need) {
  const Tensor x = corner(src, index);  // the src values that took part
  const Tensor mask = include_self ? Tensor() : written(self, dim, index);
  auto drop_written = [&](const Tensor& t) { return include_self ? t : t.masked_fill(mask, 0); };
  Tensor g_self, g_src;
  switch (r) {
    case Reduce::Sum:
      g_self = drop_written(g);
      g_src = gather(g, dim, index);
      break;
    case Reduce::Mean: {
      Tensor gc = g / counts(self, dim, index, include_self);
      g_self = drop_written(gc);
      g_src = gather(gc, dim, index);
      break;
    }
    case Reduce::Prod: {
      if (include_self) {
        Tensor self1 = self.masked_fill(self.eq(0), 1);
        g_self = g * reduce_forward(r, self1, dim, index, src, true) / self1;
      } else {
        g_self = g.masked_fill(mask, 0);
      }
      const Tensor zero = x.eq(0);
      Tensor nzeros = include_self ? self.eq(0).to(self.dtype()) : zeros_like(self);
      nzeros = scatter_add(nzeros, dim, index, zero.to(self.dtype()));
      const Tensor x1 = x.masked_fill(zero, 1);
      const Tensor others_if_zero = gather(reduce_forward(r, self, dim, index, x1, include_self), dim, index);
      const Tensor single = gather(nzeros, dim, index).eq(1);
      const Tensor factor =
          where(zero, others_if_zero.masked_fill(single.logical_not(), 0), gather(result, dim, index) / x1);
      g_src = gather(g, dim, index) * factor;
      break;
    }
    case Reduce::Amax:
    case Reduce::Amin: {
      const Tensor x_is = x.eq(gather(result, dim, index));
      Tensor self_is = self.eq(result);
      if (!include_self) self_is = self_is.logical_and(mask.logical_not());
      const Tensor n = scatter_add(self_is.to(self.dtype()), dim, index, x_is.to(self.dtype()));
      const Tensor share = g / n;
      g_self = share.masked_fill(self_is.logical_not(), 0);
      g_src = gather(share, dim, index).masked_fill(x_is.logical_not(), 0);
      break;
    }
  }
  return variable_list{need[0] ? g_self : Tensor(),
                       need.size() > 1 && need[1] ? pad_corner(g_src, src.sizes()) : Tensor()};
}

}  // namespace

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self) {
  const char* op = "scatter_reduce";
  const Reduce r = parse_reduce(reduce, op);
  check_defined(src, op, "src");
  dim = check_scatter_args(op, self, dim, index, src);
  SEEK_CHECK_DTYPE(self.dtype() != kBool, op, ": not supported for dtype bool");
  Tensor out = reduce_forward(r, self, dim, index, src, include_self);
  if (!autograd::needs_grad({self, src})) return out;
  SEEK_CHECK_DTYPE(is_floating(self.dtype()), op, ": only floating tensors can require grad");
  autograd::record(str("ScatterReduceBackward(", reduce, ")"), {self, src}, {out},
                   [r, dim, include_self, ss = SavedTensor(self), sx = SavedTensor(src), si = SavedTensor(index),
                    so = SavedTensor(out.detach())](const variable_list& g, const std::vector<bool>& need) {
                     return reduce_backward(r, g[0], ss.get(), dim, si.get(), sx.get(), so.get(), include_self, need);
                   });
  return out;
}

Tensor Tensor::scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                              bool include_self) const {
  return seek::scatter_reduce(*this, dim, index, src, reduce, include_self);
}

Tensor& Tensor::scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                                bool include_self) {
  check_defined(*this, "scatter_reduce_", "self");
  if (autograd::check_inplace(*this, {src}, "scatter_reduce_")) {
    autograd::commit_inplace(*this, seek::scatter_reduce(clone(), dim, index, src, reduce, include_self));
    return *this;
  }
  Tensor r = seek::scatter_reduce(*this, dim, index, src, reduce, include_self);
  NoGradGuard g;
  copy_(r);
  return *this;
}

}  // namespace seek
