// Unary family: dtype rules, forward through the backend, backward formulas
// (one fused kernel where the binary family has a *Backward op), in-place forms.
#include "seek/ops/unary.h"

#include <cctype>

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
  if (op == UnaryOp::LogicalNot) return kBool;
  if (op == UnaryOp::Sign) return in;
  if (!unary_op_keeps_integers(op)) return is_floating(in) ? in : kFloat32;
  if (in != kBool) return in;
  if (op == UnaryOp::Square) return kInt64;  // like torch.square(bool) = pow(bool, 2)
  SEEK_CHECK_DTYPE(op != UnaryOp::Neg, "neg: negation of a bool tensor is not supported; use logical_not() instead");
  throw DTypeError(str(unary_op_name(op), ": not supported for bool tensors"));
}

// Which tensors backward needs: the input, the output, or neither.
bool saves_input(UnaryOp op) {
  switch (op) {
    case UnaryOp::Abs: case UnaryOp::Log: case UnaryOp::Log1p: case UnaryOp::Sin: case UnaryOp::Cos:
    case UnaryOp::GeluErf: case UnaryOp::GeluTanh: case UnaryOp::Silu: case UnaryOp::Hardswish:
    case UnaryOp::Hardsigmoid: case UnaryOp::Softplus: case UnaryOp::Erf: case UnaryOp::Square:
      return true;
    default:
      return false;
  }
}
bool saves_output(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Sqrt: case UnaryOp::Rsqrt: case UnaryOp::Tanh: case UnaryOp::Sigmoid:
    case UnaryOp::Relu: case UnaryOp::Reciprocal:
      return true;
    default:
      return false;
  }
}

// "gelu(tanh)" -> "GeluBackward"
std::string node_name(UnaryOp op) {
  std::string n = unary_op_name(op);
  n = n.substr(0, n.find('('));
  std::string out;
  bool upper = true;
  for (char ch : n) {
    if (ch == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    upper = false;
  }
  return out + "Backward";
}

Tensor unary_forward(UnaryOp op, const Tensor& t, const UnaryParams& p) {
  NoGradGuard guard;
  DType out_dt = result_dtype(op, t.dtype());
  Tensor in = cast_nograd(t, op == UnaryOp::LogicalNot ? t.dtype() : out_dt);
  Tensor out = alloc(t.sizes(), out_dt, t.device());
  backend(t.device()).unary(op, in, out, p);
  return out;
}

// d op(x) / dx applied to g; x is the input, y the output (each only when saved).
Tensor unary_backward(UnaryOp op, const Tensor& g, const Tensor& x, const Tensor& y, const UnaryParams& p) {
  switch (op) {
    case UnaryOp::Neg: return g.neg();
    case UnaryOp::Abs: return g * x.sign();
    case UnaryOp::Exp: return g * y;
    case UnaryOp::Log: return g / x;
    case UnaryOp::Log1p: return g / (x + 1);
    case UnaryOp::Sqrt: return g / (y * 2);
    case UnaryOp::Rsqrt: return g * (y * y * y * -0.5);
    case UnaryOp::Sin: return g * x.cos();
    case UnaryOp::Cos: return g * x.sin().neg();
    case UnaryOp::Tanh: return binary_op(BinaryOp::TanhBackward, g, y);
    case UnaryOp::Sigmoid: return binary_op(BinaryOp::SigmoidBackward, g, y);
    case UnaryOp::Relu: return binary_op(BinaryOp::ReluBackward, g, y);  // y > 0 exactly where x > 0
    case UnaryOp::GeluErf: return binary_op(BinaryOp::GeluBackward, g, x);
    case UnaryOp::GeluTanh: return binary_op(BinaryOp::GeluTanhBackward, g, x);
    case UnaryOp::Silu: return binary_op(BinaryOp::SiluBackward, g, x);
    case UnaryOp::Hardswish: return binary_op(BinaryOp::HardswishBackward, g, x);
    case UnaryOp::Hardsigmoid: return binary_op(BinaryOp::HardsigmoidBackward, g, x);
    case UnaryOp::Softplus: {
      // sigmoid(beta x) below the threshold, 1 above it (where the forward returns x).
      Tensor bx = x * p.a;
      return where(bx > p.b, g, g * bx.sigmoid());
    }
    case UnaryOp::Erf: return g * (x.square().neg().exp() * 1.12837916709551257390);  // 2/sqrt(pi)
    case UnaryOp::Sign: case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round:
      return zeros_like(g);  // piecewise constant: zero gradient, as in PyTorch
    case UnaryOp::Reciprocal: return g * (y * y).neg();
    case UnaryOp::Square: return g * (x * 2);
    case UnaryOp::LogicalNot: break;
  }
  throw AutogradError(str(unary_op_name(op), ": not differentiable"));
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
  backend(self.device()).unary(op, self, self, p);
  self.bump_version();
  return self;
}

}  // namespace

Tensor unary_op(UnaryOp op, const Tensor& t, const UnaryParams& p) {
  check_defined(t, unary_op_name(op));
  Tensor out = unary_forward(op, t, p);
  if (op != UnaryOp::LogicalNot && autograd::needs_grad({t})) {
    autograd::record(node_name(op), {t}, {out},
                     [op, p, sx = SavedTensor(saves_input(op) ? t : Tensor()),
                      sy = SavedTensor(saves_output(op) ? out : Tensor())](const variable_list& g,
                                                                          const std::vector<bool>& need) {
                       if (!need[0]) return variable_list{Tensor()};
                       return variable_list{unary_backward(op, g[0], sx.get(), sy.get(), p)};
                     });
  }
  return out;
}

Tensor neg(const Tensor& t) { return unary_op(UnaryOp::Neg, t); }
Tensor abs(const Tensor& t) { return unary_op(UnaryOp::Abs, t); }
// exp and log are autocast fp32 ops.
Tensor exp(const Tensor& t) { return unary_op(UnaryOp::Exp, amp::autocast_fp32(t)); }
Tensor log(const Tensor& t) { return unary_op(UnaryOp::Log, amp::autocast_fp32(t)); }
Tensor log1p(const Tensor& t) { return unary_op(UnaryOp::Log1p, t); }
Tensor sqrt(const Tensor& t) { return unary_op(UnaryOp::Sqrt, t); }
Tensor rsqrt(const Tensor& t) { return unary_op(UnaryOp::Rsqrt, t); }
Tensor sin(const Tensor& t) { return unary_op(UnaryOp::Sin, t); }
Tensor cos(const Tensor& t) { return unary_op(UnaryOp::Cos, t); }
Tensor tanh(const Tensor& t) { return unary_op(UnaryOp::Tanh, t); }
Tensor sigmoid(const Tensor& t) { return unary_op(UnaryOp::Sigmoid, t); }
Tensor relu(const Tensor& t) { return unary_op(UnaryOp::Relu, t); }
Tensor gelu(const Tensor& t, const std::string& approximate) {
  SEEK_CHECK_VALUE(approximate == "none" || approximate == "tanh",
                   "gelu: approximate must be 'none' or 'tanh', got '", approximate, "'");
  return unary_op(approximate == "tanh" ? UnaryOp::GeluTanh : UnaryOp::GeluErf, t);
}
Tensor silu(const Tensor& t) { return unary_op(UnaryOp::Silu, t); }
Tensor hardswish(const Tensor& t) { return unary_op(UnaryOp::Hardswish, t); }
Tensor hardsigmoid(const Tensor& t) { return unary_op(UnaryOp::Hardsigmoid, t); }
Tensor softplus(const Tensor& t, double beta, double threshold) {
  return unary_op(UnaryOp::Softplus, t, UnaryParams{beta, threshold});
}
Tensor erf(const Tensor& t) { return unary_op(UnaryOp::Erf, t); }
Tensor sign(const Tensor& t) { return unary_op(UnaryOp::Sign, t); }
Tensor floor(const Tensor& t) { return unary_op(UnaryOp::Floor, t); }
Tensor ceil(const Tensor& t) { return unary_op(UnaryOp::Ceil, t); }
Tensor round(const Tensor& t) { return unary_op(UnaryOp::Round, t); }
Tensor reciprocal(const Tensor& t) { return unary_op(UnaryOp::Reciprocal, t); }
Tensor square(const Tensor& t) { return unary_op(UnaryOp::Square, t); }
Tensor logical_not(const Tensor& t) { return unary_op(UnaryOp::LogicalNot, t); }

// ---- methods ----
Tensor Tensor::neg() const { return seek::neg(*this); }
Tensor Tensor::abs() const { return seek::abs(*this); }
Tensor Tensor::exp() const { return seek::exp(*this); }
Tensor Tensor::log() const { return seek::log(*this); }
Tensor Tensor::log1p() const { return seek::log1p(*this); }
Tensor Tensor::sqrt() const { return seek::sqrt(*this); }
Tensor Tensor::rsqrt() const { return seek::rsqrt(*this); }
Tensor Tensor::sin() const { return seek::sin(*this); }
Tensor Tensor::cos() const { return seek::cos(*this); }
Tensor Tensor::tanh() const { return seek::tanh(*this); }
Tensor Tensor::sigmoid() const { return seek::sigmoid(*this); }
Tensor Tensor::relu() const { return seek::relu(*this); }
Tensor Tensor::gelu(const std::string& approximate) const { return seek::gelu(*this, approximate); }
Tensor Tensor::silu() const { return seek::silu(*this); }
Tensor Tensor::hardswish() const { return seek::hardswish(*this); }
Tensor Tensor::hardsigmoid() const { return seek::hardsigmoid(*this); }
Tensor Tensor::softplus(double beta, double threshold) const { return seek::softplus(*this, beta, threshold); }
Tensor Tensor::erf() const { return seek::erf(*this); }
Tensor Tensor::sign() const { return seek::sign(*this); }
Tensor Tensor::floor() const { return seek::floor(*this); }
Tensor Tensor::ceil() const { return seek::ceil(*this); }
Tensor Tensor::round() const { return seek::round(*this); }
Tensor Tensor::reciprocal() const { return seek::reciprocal(*this); }
Tensor Tensor::square() const { return seek::square(*this); }
Tensor Tensor::logical_not() const { return seek::logical_not(*this); }

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
