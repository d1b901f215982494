// Unary family: dtype rules from the row's kind, forward through the backend,
// the backward formula of each row (one fused kernel where the binary family has a
// *Backward op), the generated functions and methods, in-place forms.
#include "seek/ops/unary.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"
#include "seek/ops/binary.h"
#include "seek/ops/creation.h"
#include "seek/ops/ternary.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

// The dtype of op(t) for a t of dtype `in`; throws DTypeError where the op is
// not defined (arithmetic on bool).
DType result_dtype(UnaryOp op, DType in) {
  const UnaryKind kind = unary_op_kind(op);
  if (kind == UnaryKind::ToBool) return kBool;
  if (kind == UnaryKind::AllTypes) return in;
  if (kind == UnaryKind::Floating) return is_floating(in) ? in : kFloat32;
  if (in != kBool) return in;
  if (op == UnaryOp::Square) return kInt64;  // like torch.square(bool) = pow(bool, 2)
  SEEK_CHECK_DTYPE(op != UnaryOp::Neg, "neg: negation of a bool tensor is not supported; use logical_not() instead");
  throw DTypeError(str(unary_op_name(op), ": not supported for bool tensors"));
}

// "gelu_tanh" -> "GeluTanhBackward"
std::string node_name(UnaryOp op) {
  std::string out;
  bool upper = true;
  for (const char* c = unary_op_name(op); *c; ++c) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return out + "Backward";
}

Tensor unary_forward(UnaryOp op, const Tensor& t, const UnaryParams& p) {
  NoGradGuard guard;
  DType out_dt = result_dtype(op, t.dtype());
  Tensor in = cast_nograd(t, out_dt == kBool ? t.dtype() : out_dt);
  Tensor out = alloc_elementwise(t.sizes(), out_dt, t.device(), {in});
  const std::vector<int64_t> order = memory_order(out);
  backend(t.device()).unary(op, permuted(in, order), permuted(out, order), p);
  return out;
}

// ---- backward formulas: unary_grad<op>(g, x, y, p) = g * d op(x) / dx ----
// x is the input and y the output, each defined only when the row's saves column
// names it. One specialisation per differentiable row of SEEK_UNARY_OPS: a row
// without one fails to link.
template <UnaryOp op>
Tensor unary_grad(const Tensor& g, const Tensor& x, const Tensor& y, const UnaryParams& p);

// Piecewise constant: zero gradient, as in PyTorch.
Tensor zero_grad(const Tensor& g) { return zeros_like(g); }

template <>
Tensor unary_grad<UnaryOp::Neg>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return g.neg();
}
template <>
Tensor unary_grad<UnaryOp::Abs>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * x.sign();
}
template <>
Tensor unary_grad<UnaryOp::Exp>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return g * y;
}
template <>
Tensor unary_grad<UnaryOp::Log>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g / x;
}
template <>
Tensor unary_grad<UnaryOp::Log1p>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g / (x + 1);
}
template <>
Tensor unary_grad<UnaryOp::Sqrt>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return g / (y * 2);
}
template <>
Tensor unary_grad<UnaryOp::Rsqrt>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return g * (y * y * y * -0.5);
}
template <>
Tensor unary_grad<UnaryOp::Sin>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * x.cos();
}
template <>
Tensor unary_grad<UnaryOp::Cos>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * x.sin().neg();
}
template <>
Tensor unary_grad<UnaryOp::Tanh>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return binary_op(BinaryOp::TanhBackward, g, y);
}
template <>
Tensor unary_grad<UnaryOp::Sigmoid>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return binary_op(BinaryOp::SigmoidBackward, g, y);
}
// y > 0 exactly where x > 0.
template <>
Tensor unary_grad<UnaryOp::Relu>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return binary_op(BinaryOp::ReluBackward, g, y);
}
template <>
Tensor unary_grad<UnaryOp::GeluErf>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return binary_op(BinaryOp::GeluBackward, g, x);
}
template <>
Tensor unary_grad<UnaryOp::GeluTanh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return binary_op(BinaryOp::GeluTanhBackward, g, x);
}
template <>
Tensor unary_grad<UnaryOp::Silu>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return binary_op(BinaryOp::SiluBackward, g, x);
}
template <>
Tensor unary_grad<UnaryOp::Hardswish>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return binary_op(BinaryOp::HardswishBackward, g, x);
}
template <>
Tensor unary_grad<UnaryOp::Hardsigmoid>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return binary_op(BinaryOp::HardsigmoidBackward, g, x);
}
// sigmoid(beta x) below the threshold, 1 above it (where the forward returns x).
template <>
Tensor unary_grad<UnaryOp::Softplus>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  Tensor bx = x * p.a;
  return where(bx > p.b, g, g * bx.sigmoid());
}
template <>
Tensor unary_grad<UnaryOp::Erf>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * (x.square().neg().exp() * 1.12837916709551257390);  // 2/sqrt(pi)
}
template <>
Tensor unary_grad<UnaryOp::Sign>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return zero_grad(g);
}
template <>
Tensor unary_grad<UnaryOp::Floor>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return zero_grad(g);
}
template <>
Tensor unary_grad<UnaryOp::Ceil>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return zero_grad(g);
}
template <>
Tensor unary_grad<UnaryOp::Round>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return zero_grad(g);
}
template <>
Tensor unary_grad<UnaryOp::Reciprocal>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return g * (y * y).neg();
}
template <>
Tensor unary_grad<UnaryOp::Square>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * (x * 2);
}
// 1 / (x (1 - x)); with eps, 0 outside [eps, 1 - eps] (where the forward clamps),
// without it NaN outside [0, 1], as torch.logit.
template <>
Tensor unary_grad<UnaryOp::Logit>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  Tensor d = g / (x * (1 - x));
  if (p.b == 0.0) return where((x < 0).logical_or(x > 1), std::numeric_limits<double>::quiet_NaN(), d);
  return where((x < p.a).logical_or(x > 1 - p.a), 0.0, d);
}

// ---- issue 12: elementwise ----
template <>
Tensor unary_grad<UnaryOp::Expm1>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return g * (y + 1);
}
template <>
Tensor unary_grad<UnaryOp::Log2>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g / (x * 0.69314718055994530942);  // ln 2
}
template <>
Tensor unary_grad<UnaryOp::Log10>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g / (x * 2.30258509299404568402);  // ln 10
}
template <>
Tensor unary_grad<UnaryOp::Tan>(const Tensor& g, const Tensor&, const Tensor& y, const UnaryParams&) {
  return g * (y * y + 1);
}
template <>
Tensor unary_grad<UnaryOp::Asin>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * (1 - x * x).rsqrt();
}
template <>
Tensor unary_grad<UnaryOp::Acos>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return -g * (1 - x * x).rsqrt();
}
template <>
Tensor unary_grad<UnaryOp::Atan>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g / (x * x + 1);
}
template <>
Tensor unary_grad<UnaryOp::Sinh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * x.cosh();
}
template <>
Tensor unary_grad<UnaryOp::Cosh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * x.sinh();
}
template <>
Tensor unary_grad<UnaryOp::Asinh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * (x * x + 1).rsqrt();
}
// 1 / sqrt((x - 1)(x + 1)), written as PyTorch does (NaN below 1, inf at 1).
template <>
Tensor unary_grad<UnaryOp::Acosh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * ((x - 1) * (x + 1)).rsqrt();
}
template <>
Tensor unary_grad<UnaryOp::Atanh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g / (1 - x * x);
}
template <>
Tensor unary_grad<UnaryOp::Trunc>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return zero_grad(g);
}
template <>
Tensor unary_grad<UnaryOp::Frac>(const Tensor& g, const Tensor&, const Tensor&, const UnaryParams&) {
  return g;
}
// ---- issue 12: nn activations (the forward functions are in src/ops/activation.cpp) ----
template <>
Tensor unary_grad<UnaryOp::Elu>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  return where(x > 0, g * p.b, g * (x.exp() * (p.a * p.b)));
}
template <>
Tensor unary_grad<UnaryOp::Celu>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  return where(x > 0, g, g * (x / p.a).exp());
}
// d/dx x tanh(sp(x)) = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2).
template <>
Tensor unary_grad<UnaryOp::Mish>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  Tensor t = x.softplus().tanh();
  return g * (t + x * x.sigmoid() * (1 - t * t));
}
template <>
Tensor unary_grad<UnaryOp::LogSigmoid>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * (-x).sigmoid();
}
template <>
Tensor unary_grad<UnaryOp::Softsign>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  Tensor d = x.abs() + 1;
  return g / (d * d);
}
template <>
Tensor unary_grad<UnaryOp::Hardtanh>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  return where((x > p.a).logical_and(x < p.b), g, 0.0);
}
template <>
Tensor unary_grad<UnaryOp::Threshold>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  return where(x > p.a, g, 0.0);
}
template <>
Tensor unary_grad<UnaryOp::Softshrink>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  return where(x.abs() > p.a, g, 0.0);
}
template <>
Tensor unary_grad<UnaryOp::Hardshrink>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams& p) {
  return where(x.abs() > p.a, g, 0.0);
}
template <>
Tensor unary_grad<UnaryOp::Tanhshrink>(const Tensor& g, const Tensor& x, const Tensor&, const UnaryParams&) {
  return g * x.tanh().square();
}

Tensor unary_backward(UnaryOp op, const Tensor& g, const Tensor& x, const Tensor& y, const UnaryParams& p) {
  return dispatch_unary(op, [&](auto tag) -> Tensor {
    constexpr UnaryOp o = decltype(tag)::value;
    if constexpr (unary_op_differentiable(o)) {
      return unary_grad<o>(g, x, y, p);
    } else {
      throw AutogradError(str(unary_op_name(o), ": not differentiable"));
    }
  });
}

Tensor& unary_inplace(UnaryOp op, Tensor& self, const char* name, const UnaryParams& p = {}) {
  check_defined(self, name, "self");
  DType rt = result_dtype(op, self.dtype());
  SEEK_CHECK_DTYPE(rt == self.dtype(), name, ": result type ", rt, " can't be cast to the desired output type ",
                   self.dtype());
  if (autograd::check_inplace(self, {}, name)) {
    autograd::commit_inplace(self, unary_op(op, self.clone(), p));
    return self;
  }
  const Tensor s = permuted(self.detach(), memory_order(self));
  backend(self.device()).unary(op, s, s, p);
  self.bump_version();
  return self;
}

}  // namespace

Tensor unary_op(UnaryOp op, const Tensor& t, const UnaryParams& p) {
  check_defined(t, unary_op_name(op));
  Tensor out = unary_forward(op, t, p);
  if (unary_op_differentiable(op) && autograd::needs_grad({t})) {
    const UnarySaves saves = unary_op_saves(op);
    autograd::record(node_name(op), {t}, {out},
                     [op, p, sx = SavedTensor(saves == UnarySaves::Input ? t : Tensor()),
                      sy = SavedTensor(saves == UnarySaves::Output ? out : Tensor())](const variable_list& g,
                                                                                      const std::vector<bool>& need) {
                       if (!need[0]) return variable_list{Tensor()};
                       return variable_list{unary_backward(op, g[0], sx.get(), sy.get(), p)};
                     });
  }
  return out;
}

// The free functions and methods of the Plain, Fp32 and OptDouble rows (exp and log
// are autocast fp32 ops).
#define SEEK_UNARY_FN_Plain(E, name, arg)                          \
  Tensor name(const Tensor& t) { return unary_op(UnaryOp::E, t); } \
  Tensor Tensor::name() const { return seek::name(*this); }
#define SEEK_UNARY_FN_Fp32(E, name, arg)                                               \
  Tensor name(const Tensor& t) { return unary_op(UnaryOp::E, amp::autocast_fp32(t)); } \
  Tensor Tensor::name() const { return seek::name(*this); }
#define SEEK_UNARY_FN_OptDouble(E, name, arg)                                     \
  Tensor name(const Tensor& t, std::optional<double> arg) {                       \
    return unary_op(UnaryOp::E, t, arg ? UnaryParams{*arg, 1.0} : UnaryParams{}); \
  }                                                                               \
  Tensor Tensor::name(std::optional<double> arg) const { return seek::name(*this, arg); }
#define SEEK_UNARY_FN_Custom(E, name, arg)
#define SEEK_UNARY_FN(E, name, kind, saves, form, arg, ...) SEEK_UNARY_FN_##form(E, name, arg)
SEEK_UNARY_OPS(SEEK_UNARY_FN)
#undef SEEK_UNARY_FN
#undef SEEK_UNARY_FN_Plain
#undef SEEK_UNARY_FN_Fp32
#undef SEEK_UNARY_FN_OptDouble
#undef SEEK_UNARY_FN_Custom

// The Custom rows.
Tensor gelu(const Tensor& t, const std::string& approximate) {
  SEEK_CHECK_VALUE(approximate == "none" || approximate == "tanh", "gelu: approximate must be 'none' or 'tanh', got '",
                   approximate, "'");
  return unary_op(approximate == "tanh" ? UnaryOp::GeluTanh : UnaryOp::GeluErf, t);
}
Tensor softplus(const Tensor& t, double beta, double threshold) {
  return unary_op(UnaryOp::Softplus, t, UnaryParams{beta, threshold});
}
// decimals: params a = 10^|decimals|, b = its sign (round_fn in seek/backend/unary_op.h).
Tensor round(const Tensor& t, int64_t decimals) {
  if (decimals == 0) return unary_op(UnaryOp::Round, t);
  return unary_op(
      UnaryOp::Round, t,
      UnaryParams{std::pow(10.0, static_cast<double>(decimals < 0 ? -decimals : decimals)), decimals > 0 ? 1.0 : -1.0});
}
Tensor Tensor::round(int64_t decimals) const { return seek::round(*this, decimals); }
Tensor fix(const Tensor& t) { return t.trunc(); }

// where() keeps the gradient where x is finite and gives 0 where it was replaced, as PyTorch.
Tensor nan_to_num(const Tensor& t, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  check_defined(t, "nan_to_num");
  if (!is_floating(t.dtype())) return t.clone();
  double hi = 0, lo = 0;
  switch (t.dtype()) {
    case kFloat64: hi = std::numeric_limits<double>::max(); break;
    case kFloat32: hi = std::numeric_limits<float>::max(); break;
    case kFloat16: hi = 65504.0; break;
    case kBFloat16: hi = 3.3895313892515355e38; break;
    default: throw DTypeError(str("nan_to_num: not supported for dtype ", t.dtype()));
  }
  lo = -hi;
  Tensor out = where(t.isnan(), nan.value_or(0.0), t);
  out = where(t.isposinf(), posinf.value_or(hi), out);
  return where(t.isneginf(), neginf.value_or(lo), out);
}
Tensor Tensor::nan_to_num(std::optional<double> nan, std::optional<double> posinf, std::optional<double> neginf) const {
  return seek::nan_to_num(*this, nan, posinf, neginf);
}

Tensor Tensor::gelu(const std::string& approximate) const { return seek::gelu(*this, approximate); }
Tensor Tensor::softplus(double beta, double threshold) const { return seek::softplus(*this, beta, threshold); }

Tensor& Tensor::neg_() { return unary_inplace(UnaryOp::Neg, *this, "neg_"); }
Tensor& Tensor::abs_() { return unary_inplace(UnaryOp::Abs, *this, "abs_"); }
Tensor& Tensor::exp_() { return unary_inplace(UnaryOp::Exp, *this, "exp_"); }
Tensor& Tensor::log_() { return unary_inplace(UnaryOp::Log, *this, "log_"); }
Tensor& Tensor::sqrt_() { return unary_inplace(UnaryOp::Sqrt, *this, "sqrt_"); }
Tensor& Tensor::sigmoid_() { return unary_inplace(UnaryOp::Sigmoid, *this, "sigmoid_"); }
Tensor& Tensor::tanh_() { return unary_inplace(UnaryOp::Tanh, *this, "tanh_"); }
Tensor& Tensor::relu_() { return unary_inplace(UnaryOp::Relu, *this, "relu_"); }
Tensor& Tensor::floor_() { return unary_inplace(UnaryOp::Floor, *this, "floor_"); }
Tensor& Tensor::ceil_() { return unary_inplace(UnaryOp::Ceil, *this, "ceil_"); }
Tensor& Tensor::round_() { return unary_inplace(UnaryOp::Round, *this, "round_"); }
Tensor& Tensor::reciprocal_() { return unary_inplace(UnaryOp::Reciprocal, *this, "reciprocal_"); }

}  // namespace seek
