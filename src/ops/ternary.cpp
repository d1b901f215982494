// Ternary family: where, clamp, lerp, addcmul, addcdiv and masked_fill, with
// three-way broadcasting, PyTorch type promotion, backward formulas (reduced
// back to each input's shape with sum_to) and in-place forms.
#include "seek/ops/ternary.h"

#include <cmath>
#include <limits>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/binary.h"
#include "seek/ops/unary.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::sum_to;
using autograd::variable_list;

namespace {

int category(DType t) { return t == kBool ? 0 : is_floating(t) ? 2 : 1; }

// result_type over several tensors: 0-dim tensors take part like scalars
// (they only raise the category: bool < integer < floating).
DType result_type_of(std::initializer_list<Tensor> ts) {
  bool have_dim = false, have_zero = false;
  DType dim_t = kBool, zero_t = kBool;
  for (const Tensor& t : ts) {
    if (t.dim() > 0) {
      dim_t = have_dim ? promote_types(dim_t, t.dtype()) : t.dtype();
      have_dim = true;
    } else {
      zero_t = have_zero ? promote_types(zero_t, t.dtype()) : t.dtype();
      have_zero = true;
    }
  }
  if (!have_dim) return zero_t;
  if (have_zero && category(zero_t) > category(dim_t)) return promote_types(dim_t, zero_t);
  return dim_t;
}

// result_type of a tensor of dtype t with a plain number.
DType promote_scalar(DType t, const Scalar& s) {
  int cs = s.is_bool() ? 0 : s.is_floating() ? 2 : 1;
  if (cs > category(t)) return s.is_floating() ? kFloat32 : kInt64;
  return t;
}

Shape broadcast3(const Tensor& a, const Tensor& b, const Tensor& c, const char* name) {
  return broadcast_shapes(broadcast_shapes(a.sizes(), b.sizes(), name), c.sizes(), name);
}

Tensor expand_to(const Tensor& t, const Shape& shape) { return t.sizes() == shape ? t : t.expand(shape); }

// out = op(a, b, c) with no history: b, c (and a, except for where's
// condition) cast to ct, all broadcast. Writes into `out` when given (an
// in-place op passes self, which then has the broadcast shape and dtype ct).
Tensor ternary_forward(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, DType ct,
                       const TernaryParams& p, const char* name, Tensor out = Tensor()) {
  NoGradGuard guard;
  Shape shape = broadcast3(a, b, c, name);
  Tensor ac = expand_to(op == TernaryOp::Where ? a : cast_nograd(a, ct), shape);
  Tensor bc = expand_to(cast_nograd(b, ct), shape), cc = expand_to(cast_nograd(c, ct), shape);
  if (!out.defined()) out = alloc_elementwise(shape, ct, a.device(), {ac, bc, cc});
  const std::vector<int64_t> order = memory_order(out);
  backend(out.device())
      .ternary(op, permuted(ac, order), permuted(bc, order), permuted(cc, order), permuted(out, order), p);
  return out;
}

// self = op(a, b, c), where self is one of the operands. `outplace(s)`
// computes the same out of place (with history) from s standing for self.
template <typename F>
Tensor& ternary_inplace(Tensor& self, TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, DType ct,
                        const TernaryParams& p, std::initializer_list<Tensor> others, const char* name, F outplace) {
  SEEK_CHECK_DTYPE(can_cast(ct, self.dtype()), name, ": result type ", ct, " can't be cast to the desired output type ",
                   self.dtype());
  Shape shape = broadcast3(a, b, c, name);
  SEEK_CHECK_SHAPE(shape == self.sizes(), name, ": output with shape ", shape_str(self.sizes()),
                   " doesn't match the broadcast shape ", shape_str(shape));
  if (autograd::check_inplace(self, others, name)) {
    autograd::commit_inplace(self, outplace(self.clone()));
    return self;
  }
  if (ct == self.dtype()) {
    ternary_forward(op, a, b, c, ct, p, name, self);
  } else {
    backend(self.device()).copy(ternary_forward(op, a, b, c, ct, p, name), self);
  }
  self.bump_version();
  return self;
}

// ---- clamp ----
// The bound that leaves every value of dtype dt unchanged.
Scalar no_bound(DType dt, bool upper) {
  if (is_floating(dt)) {
    double inf = std::numeric_limits<double>::infinity();
    return upper ? inf : -inf;
  }
  switch (dt) {
    case kInt64: return upper ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    case kInt32: return upper ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
    case kInt16: return upper ? std::numeric_limits<int16_t>::max() : std::numeric_limits<int16_t>::min();
    case kInt8: return upper ? std::numeric_limits<int8_t>::max() : std::numeric_limits<int8_t>::min();
    case kUInt8: return upper ? std::numeric_limits<uint8_t>::max() : std::numeric_limits<uint8_t>::min();
    default: throw DTypeError(str("clamp: not supported for dtype ", dt));
  }
}

struct ClampArgs {
  DType ct;
  Tensor lo, hi;
};

ClampArgs clamp_args(const Tensor& t, const std::optional<Scalar>& min, const std::optional<Scalar>& max,
                     const char* name) {
  check_defined(t, name);
  SEEK_CHECK_VALUE(min || max, name, ": at least one of 'min' or 'max' must be given");
  DType ct = t.dtype();
  if (min) ct = promote_scalar(ct, *min);
  if (max) ct = promote_scalar(ct, *max);
  SEEK_CHECK_DTYPE(ct != kBool, name, ": not supported for bool tensors");
  return {ct, scalar_like(min ? *min : no_bound(ct, false), ct, t.device()),
          scalar_like(max ? *max : no_bound(ct, true), ct, t.device())};
}

// ---- addcmul / addcdiv ----
DType addc_dtype(bool div, const Tensor& t, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  const char* name = div ? "addcdiv" : "addcmul";
  check_defined(t, name, "input");
  check_defined(t1, name, "tensor1");
  check_defined(t2, name, "tensor2");
  check_same_device(name, {t, t1, t2});
  DType ct = result_type_of({t, t1, t2});
  SEEK_CHECK_DTYPE(ct != kBool, name, ": not supported for bool tensors");
  if (div) {
    SEEK_CHECK_DTYPE(is_floating(ct), name, ": integer division of tensors is not supported, got ", t.dtype(), ", ",
                     t1.dtype(), " and ", t2.dtype(), "; use floating point tensors");
  } else {
    SEEK_CHECK_DTYPE(is_floating(ct) || !value.is_floating(), name, ": for integer tensors, 'value' must be an ",
                     "integer, got ", value);
  }
  return ct;
}

Tensor addc(bool div, const Tensor& t, const Tensor& t1, const Tensor& t2, Scalar value) {
  DType ct = addc_dtype(div, t, t1, t2, value);
  TernaryOp op = div ? TernaryOp::Addcdiv : TernaryOp::Addcmul;
  Tensor out = ternary_forward(op, t, t1, t2, ct, TernaryParams{value.to_double()}, ternary_op_name(op));
  if (autograd::needs_grad({t, t1, t2})) {
    autograd::record(div ? "AddcdivBackward" : "AddcmulBackward", {t, t1, t2}, {out},
                     [div, value, s0 = t.sizes(), s1 = SavedTensor(t1), s2 = SavedTensor(t2)](
                         const variable_list& g, const std::vector<bool>& need) {
                       const Tensor& b = s1.get();
                       const Tensor& c = s2.get();
                       Tensor gv = g[0] * value;
                       Tensor ga, gb, gc;
                       if (need[0]) ga = sum_to(g[0], s0);
                       if (div) {
                         if (need[1]) gb = sum_to(gv / c, b.sizes());
                         if (need[2]) gc = sum_to((gv * b / (c * c)).neg(), c.sizes());
                       } else {
                         if (need[1]) gb = sum_to(gv * c, b.sizes());
                         if (need[2]) gc = sum_to(gv * b, c.sizes());
                       }
                       return variable_list{ga, gb, gc};
                     });
  }
  return out;
}

}  // namespace

// ---- where ----
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check_defined(condition, "where", "condition");
  check_defined(a, "where", "input");
  check_defined(b, "where", "other");
  check_same_device("where", {condition, a, b});
  SEEK_CHECK_DTYPE(condition.dtype() == kBool, "where: expected condition to be a bool tensor, got ",
                   condition.dtype());
  Tensor out = ternary_forward(TernaryOp::Where, condition, a, b, result_type(a, b), {}, "where");
  if (autograd::needs_grad({a, b})) {
    autograd::record("WhereBackward", {a, b}, {out},
                     [sc = SavedTensor(condition), sa = a.sizes(), sb = b.sizes()](const variable_list& g,
                                                                                   const std::vector<bool>& need) {
                       const Tensor& c = sc.get();
                       Tensor ga = need[0] ? sum_to(where(c, g[0], 0), sa) : Tensor();
                       Tensor gb = need[1] ? sum_to(where(c, 0, g[0]), sb) : Tensor();
                       return variable_list{ga, gb};
                     });
  }
  return out;
}
Tensor where(const Tensor& condition, const Tensor& a, Scalar b) {
  check_defined(a, "where", "input");
  return where(condition, a, scalar_like(b, result_type(a, b), a.device()));
}
Tensor where(const Tensor& condition, Scalar a, const Tensor& b) {
  check_defined(b, "where", "other");
  return where(condition, scalar_like(a, result_type(b, a), b.device()), b);
}
Tensor where(const Tensor& condition, Scalar a, Scalar b) {
  check_defined(condition, "where", "condition");
  DType dt = promote_types(a.default_dtype(), b.default_dtype());
  return where(condition, scalar_like(a, dt, condition.device()), scalar_like(b, dt, condition.device()));
}

// ---- clamp ----
Tensor clamp(const Tensor& t, std::optional<Scalar> min, std::optional<Scalar> max) {
  ClampArgs c = clamp_args(t, min, max, "clamp");
  Tensor out = ternary_forward(TernaryOp::Clamp, t, c.lo, c.hi, c.ct, {}, "clamp");
  if (autograd::needs_grad({t})) {
    autograd::record("ClampBackward", {t}, {out},
                     [sx = SavedTensor(t), min, max](const variable_list& g, const std::vector<bool>& need) {
                       if (!need[0]) return variable_list{Tensor()};
                       // The gradient passes where min <= x <= max (bounds included), as in PyTorch.
                       const Tensor& x = sx.get();
                       Tensor inside;
                       if (min) inside = x >= *min;
                       if (max) inside = inside.defined() ? logical_and(inside, x <= *max) : x <= *max;
                       return variable_list{where(inside, g[0], 0)};
                     });
  }
  return out;
}
Tensor clamp_min(const Tensor& t, Scalar min) { return clamp(t, min, std::nullopt); }
Tensor clamp_max(const Tensor& t, Scalar max) { return clamp(t, std::nullopt, max); }

// ---- lerp ----
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  check_defined(start, "lerp", "input");
  check_defined(end, "lerp", "end");
  check_defined(weight, "lerp", "weight");
  check_same_device("lerp", {start, end, weight});
  DType ct = result_type_of({start, end, weight});
  SEEK_CHECK_DTYPE(is_floating(ct), "lerp: expected floating point tensors, got ", start.dtype(), ", ", end.dtype(),
                   " and ", weight.dtype());
  Tensor out = ternary_forward(TernaryOp::Lerp, start, end, weight, ct, {}, "lerp");
  if (autograd::needs_grad({start, end, weight})) {
    autograd::record("LerpBackward", {start, end, weight}, {out},
                     [sa = SavedTensor(start), sb = SavedTensor(end), sw = SavedTensor(weight)](
                         const variable_list& g, const std::vector<bool>& need) {
                       const Tensor& a = sa.get();
                       const Tensor& b = sb.get();
                       const Tensor& w = sw.get();
                       Tensor ga, gb, gw;
                       if (need[0]) ga = sum_to(g[0] * (1 - w), a.sizes());
                       if (need[1]) gb = sum_to(g[0] * w, b.sizes());
                       if (need[2]) gw = sum_to(g[0] * (b - a), w.sizes());
                       return variable_list{ga, gb, gw};
                     });
  }
  return out;
}
Tensor lerp(const Tensor& start, const Tensor& end, Scalar weight) {
  check_defined(start, "lerp", "input");
  check_defined(end, "lerp", "end");
  DType ct = result_type(start, end);
  SEEK_CHECK_DTYPE(is_floating(ct), "lerp: expected floating point tensors, got ", start.dtype(), " and ", end.dtype());
  return lerp(start, end, scalar_like(weight, ct, start.device()));
}

// ---- addcmul / addcdiv ----
Tensor addcmul(const Tensor& t, const Tensor& t1, const Tensor& t2, Scalar value) {
  return addc(false, t, t1, t2, value);
}
Tensor addcdiv(const Tensor& t, const Tensor& t1, const Tensor& t2, Scalar value) {
  return addc(true, t, t1, t2, value);
}

// ---- masked_fill ----
Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value) {
  check_defined(t, "masked_fill", "input");
  check_defined(mask, "masked_fill", "mask");
  check_same_device("masked_fill", {t, mask});
  SEEK_CHECK_DTYPE(mask.dtype() == kBool, "masked_fill: expected a bool mask, got ", mask.dtype());
  Tensor v = scalar_like(value, t.dtype(), t.device());
  Tensor out = ternary_forward(TernaryOp::Where, mask, v, t, t.dtype(), {}, "masked_fill");
  if (autograd::needs_grad({t})) {
    autograd::record("MaskedFillBackward", {t}, {out},
                     [sm = SavedTensor(mask), st = t.sizes()](const variable_list& g, const std::vector<bool>& need) {
                       if (!need[0]) return variable_list{Tensor()};
                       return variable_list{sum_to(where(sm.get(), 0, g[0]), st)};
                     });
  }
  return out;
}

// ---- methods ----
Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const {
  return seek::clamp(*this, min, max);
}
Tensor Tensor::lerp(const Tensor& end, Scalar weight) const { return seek::lerp(*this, end, weight); }
Tensor Tensor::lerp(const Tensor& end, const Tensor& weight) const { return seek::lerp(*this, end, weight); }
Tensor Tensor::addcmul(const Tensor& t1, const Tensor& t2, Scalar value) const {
  return seek::addcmul(*this, t1, t2, value);
}
Tensor Tensor::addcdiv(const Tensor& t1, const Tensor& t2, Scalar value) const {
  return seek::addcdiv(*this, t1, t2, value);
}
Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const { return seek::masked_fill(*this, mask, value); }

Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  ClampArgs c = clamp_args(*this, min, max, "clamp_");
  return ternary_inplace(*this, TernaryOp::Clamp, *this, c.lo, c.hi, c.ct, {}, {}, "clamp_",
                         [&](const Tensor& s) { return seek::clamp(s, min, max); });
}
Tensor& Tensor::lerp_(const Tensor& end, Scalar weight) {
  check_defined(*this, "lerp_", "self");
  check_defined(end, "lerp_", "end");
  check_same_device("lerp_", {*this, end});
  DType ct = result_type(*this, end);
  SEEK_CHECK_DTYPE(is_floating(ct), "lerp_: expected floating point tensors, got ", dtype(), " and ", end.dtype());
  Tensor w = scalar_like(weight, ct, device());
  return ternary_inplace(*this, TernaryOp::Lerp, *this, end, w, ct, {}, {end}, "lerp_",
                         [&](const Tensor& s) { return seek::lerp(s, end, w); });
}
Tensor& Tensor::addcmul_(const Tensor& t1, const Tensor& t2, Scalar value) {
  DType ct = addc_dtype(false, *this, t1, t2, value);
  return ternary_inplace(*this, TernaryOp::Addcmul, *this, t1, t2, ct, TernaryParams{value.to_double()}, {t1, t2},
                         "addcmul_", [&](const Tensor& s) { return seek::addcmul(s, t1, t2, value); });
}
Tensor& Tensor::addcdiv_(const Tensor& t1, const Tensor& t2, Scalar value) {
  DType ct = addc_dtype(true, *this, t1, t2, value);
  return ternary_inplace(*this, TernaryOp::Addcdiv, *this, t1, t2, ct, TernaryParams{value.to_double()}, {t1, t2},
                         "addcdiv_", [&](const Tensor& s) { return seek::addcdiv(s, t1, t2, value); });
}
Tensor& Tensor::masked_fill_(const Tensor& mask, Scalar value) {
  check_defined(*this, "masked_fill_", "self");
  check_defined(mask, "masked_fill_", "mask");
  check_same_device("masked_fill_", {*this, mask});
  SEEK_CHECK_DTYPE(mask.dtype() == kBool, "masked_fill_: expected a bool mask, got ", mask.dtype());
  Tensor v = scalar_like(value, dtype(), device());
  return ternary_inplace(*this, TernaryOp::Where, mask, v, *this, dtype(), {}, {}, "masked_fill_",
                         [&](const Tensor& s) { return seek::masked_fill(s, mask, value); });
}

// ---- issue 12: clamp with tensor bounds, masked_fill with a tensor value ----
Tensor clamp(const Tensor& t, const Tensor& min, const Tensor& max) {
  check_defined(t, "clamp");
  SEEK_CHECK_VALUE(min.defined() || max.defined(), "clamp: at least one of 'min' or 'max' must be given");
  for (const Tensor& b : {min, max})
    if (b.defined()) check_same_device("clamp", {t, b});
  DType ct =
      min.defined() && max.defined() ? result_type_of({t, min, max}) : result_type_of({t, min.defined() ? min : max});
  SEEK_CHECK_DTYPE(ct != kBool, "clamp: not supported for bool tensors");
  const Tensor lo = min.defined() ? min : scalar_like(no_bound(ct, false), ct, t.device());
  const Tensor hi = max.defined() ? max : scalar_like(no_bound(ct, true), ct, t.device());
  Tensor out = ternary_forward(TernaryOp::Clamp, t, lo, hi, ct, {}, "clamp");
  std::vector<Tensor> inputs = {t};
  if (min.defined()) inputs.push_back(min);
  if (max.defined()) inputs.push_back(max);
  if (is_floating(ct) && autograd::needs_grad(inputs)) {
    // As PyTorch: the input's gradient passes where min <= x <= max; min's where x < min
    // (and min < max when both are given), max's where x > max (or max < min).
    autograd::record("ClampBackward", inputs, {out},
                     [sx = SavedTensor(t), slo = SavedTensor(min), shi = SavedTensor(max), has_min = min.defined(),
                      has_max = max.defined()](const variable_list& g, const std::vector<bool>& need) {
                       const Tensor& x = sx.get();
                       Tensor lo = has_min ? slo.get() : Tensor(), hi = has_max ? shi.get() : Tensor();
                       variable_list out;
                       if (need[0]) {
                         Tensor inside = has_min ? x >= lo : Tensor();
                         if (has_max) inside = inside.defined() ? logical_and(inside, x <= hi) : x <= hi;
                         out.push_back(sum_to(where(inside, g[0], 0), x.sizes()));
                       } else {
                         out.push_back(Tensor());
                       }
                       size_t k = 1;
                       if (has_min) {
                         Tensor pred = has_max ? logical_and(x < lo, lo < hi) : x < lo;
                         out.push_back(need[k] ? sum_to(where(pred, g[0], 0), lo.sizes()) : Tensor());
                         ++k;
                       }
                       if (has_max) {
                         Tensor pred = has_min ? logical_or(x > hi, hi < lo) : x > hi;
                         out.push_back(need[k] ? sum_to(where(pred, g[0], 0), hi.sizes()) : Tensor());
                       }
                       return out;
                     });
  }
  return out;
}
Tensor Tensor::clamp(const Tensor& min, const Tensor& max) const { return seek::clamp(*this, min, max); }

Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value) {
  check_defined(value, "masked_fill", "value");
  SEEK_CHECK_VALUE(value.dim() == 0, "masked_fill only supports a 0-dimensional value tensor, but got tensor with ",
                   value.dim(), " dimension(s)");
  check_same_device("masked_fill", {t, value});
  SEEK_CHECK_DTYPE(mask.defined() && mask.dtype() == kBool, "masked_fill: expected a bool mask");
  // where() broadcasts and sends the gradient to both sides; the result keeps t's dtype.
  Tensor out = where(mask, value.to(t.dtype()), t);
  SEEK_CHECK_SHAPE(out.sizes() == t.sizes(), "masked_fill: mask of shape ", shape_str(mask.sizes()),
                   " does not broadcast to the input's shape ", shape_str(t.sizes()));
  return out;
}
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  return seek::masked_fill(*this, mask, value);
}
Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) {
  check_defined(*this, "masked_fill_", "self");
  check_defined(value, "masked_fill_", "value");
  SEEK_CHECK_VALUE(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
                   value.dim(), " dimension(s)");
  check_same_device("masked_fill_", {*this, mask, value});
  SEEK_CHECK_DTYPE(mask.dtype() == kBool, "masked_fill_: expected a bool mask, got ", mask.dtype());
  return ternary_inplace(*this, TernaryOp::Where, mask, value, *this, dtype(), {}, {value}, "masked_fill_",
                         [&](const Tensor& s) { return seek::masked_fill(s, mask, value); });
}

}  // namespace seek
