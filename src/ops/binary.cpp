// Binary family: broadcasting, type promotion from the row's kind, the backward formula
// of each row, the generated functions and methods, operators.
#include "seek/ops/binary.h"

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::sum_to;
using autograd::variable_list;

namespace {

DType compute_dtype(BinaryOp op, const Tensor& a, const Tensor& b) {
  DType ct = result_type(a, b);
  const BinaryKind kind = binary_op_kind(op);
  if ((op == BinaryOp::Div || kind == BinaryKind::Floating) && !is_floating(ct)) ct = kFloat32;
  if (kind == BinaryKind::Helper) {
    SEEK_CHECK_DTYPE(is_floating(ct), binary_op_name(op), ": expected floating tensors, got ", a.dtype(), " and ",
                     b.dtype());
  }
  if (op == BinaryOp::Sub) {
    SEEK_CHECK_DTYPE(ct != kBool, "sub: subtraction with two bool tensors is not supported; use logical_xor");
  }
  return ct;
}

// Forward only, no history.
Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, DType ct) {
  NoGradGuard guard;
  Shape shape = broadcast_shapes(a.sizes(), b.sizes(), binary_op_name(op));
  DType out_dt = (binary_op_is_comparison(op) || binary_op_is_logical(op)) ? kBool : ct;
  Tensor ac = cast_nograd(a, ct), bc = cast_nograd(b, ct);
  if (ac.sizes() != shape) ac = ac.expand(shape);
  if (bc.sizes() != shape) bc = bc.expand(shape);
  Tensor out = alloc_elementwise(shape, out_dt, a.device(), {ac, bc});
  const std::vector<int64_t> order = memory_order(out);
  backend(a.device()).binary(op, permuted(ac, order), permuted(bc, order), permuted(out, order));
  return out;
}

Tensor unary_nograd(UnaryOp op, const Tensor& t) {
  Tensor out = alloc_elementwise(t.sizes(), t.dtype(), t.device(), {t});
  const std::vector<int64_t> order = memory_order(out);
  backend(t.device()).unary(op, permuted(t, order), permuted(out, order), {});
  return out;
}

// ---- backward formulas: binary_grad<op>(g, a, b, out, need) = {dL/da, dL/db} ----
// Before broadcasting is undone (binary_backward sums each to its input's shape). `out`
// is defined only for rows that save it (ABOut). One specialisation per differentiable
// row of SEEK_BINARY_OPS: a row without one fails to link.
using Grads = std::pair<Tensor, Tensor>;
template <BinaryOp op>
Grads binary_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& out, const std::vector<bool>& need);

template <>
Grads binary_grad<BinaryOp::Add>(const Tensor& g, const Tensor&, const Tensor&, const Tensor&,
                                 const std::vector<bool>& need) {
  return {need[0] ? g : Tensor(), need[1] ? g : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::Sub>(const Tensor& g, const Tensor&, const Tensor&, const Tensor&,
                                 const std::vector<bool>& need) {
  return {need[0] ? g : Tensor(), need[1] ? -g : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::Mul>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                 const std::vector<bool>& need) {
  return {need[0] ? g * b : Tensor(), need[1] ? g * a : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::Div>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                 const std::vector<bool>& need) {
  return {need[0] ? g / b : Tensor(), need[1] ? -g * a / (b * b) : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::Pow>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& out,
                                 const std::vector<bool>& need) {
  Tensor ga, gb;
  if (need[0]) ga = g * b * binary_op(BinaryOp::Pow, a, b - 1);
  if (need[1]) {
    // d/db a^b = a^b log a; defined as 0 where a == 0 (PyTorch's convention).
    Tensor pos = a > 0;
    Tensor safe_a = alloc(a.sizes(), a.dtype(), a.device());
    Tensor one = ops_detail::scalar_like(1, a.dtype(), a.device()).expand(a.sizes());
    backend(a.device()).ternary(TernaryOp::Where, pos, a, one, safe_a, {});
    gb = g * out * unary_nograd(UnaryOp::Log, safe_a) * pos.to(g.dtype());
  }
  return {ga, gb};
}
// The gradient goes to the selected input; ties split it evenly, as in PyTorch.
Grads select_grad(const Tensor& g, const Tensor& a_wins_bool, const Tensor& a, const Tensor& b,
                  const std::vector<bool>& need) {
  Tensor wa = a_wins_bool.to(g.dtype()) + (a == b).to(g.dtype()) * 0.5;
  return {need[0] ? g * wa : Tensor(), need[1] ? g * (1 - wa) : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::Maximum>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                     const std::vector<bool>& need) {
  return select_grad(g, a > b, a, b, need);
}
template <>
Grads binary_grad<BinaryOp::Minimum>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                     const std::vector<bool>& need) {
  return select_grad(g, a < b, a, b, need);
}
// d/dx = log(y), 0 where x == 0 (unless y is NaN: xlogy(x != 0, y)); d/dy = x / y.
template <>
Grads binary_grad<BinaryOp::Xlogy>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                   const std::vector<bool>& need) {
  return {need[0] ? g * xlogy(a != 0, b) : Tensor(), need[1] ? g * a / b : Tensor()};
}

// ---- issue 12: elementwise ----
template <>
Grads binary_grad<BinaryOp::Atan2>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                   const std::vector<bool>& need) {
  Tensor r2 = a * a + b * b;
  return {need[0] ? g * b / r2 : Tensor(), need[1] ? -g * a / r2 : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::Hypot>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& out,
                                   const std::vector<bool>& need) {
  return {need[0] ? g * a / out : Tensor(), need[1] ? g * b / out : Tensor()};
}
// a - trunc(a / b) b: d/da = 1, d/db = -trunc(a / b).
template <>
Grads binary_grad<BinaryOp::Fmod>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                  const std::vector<bool>& need) {
  return {need[0] ? g : Tensor(), need[1] ? -g * binary_op(BinaryOp::DivTrunc, a, b) : Tensor()};
}
// a - floor(a / b) b: d/da = 1, d/db = -floor(a / b).
template <>
Grads binary_grad<BinaryOp::Remainder>(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&,
                                       const std::vector<bool>& need) {
  return {need[0] ? g : Tensor(), need[1] ? -g * binary_op(BinaryOp::DivFloor, a, b) : Tensor()};
}
// Rounded quotients are piecewise constant: zero gradients, as in PyTorch.
template <>
Grads binary_grad<BinaryOp::DivTrunc>(const Tensor& g, const Tensor&, const Tensor&, const Tensor&,
                                      const std::vector<bool>& need) {
  return {need[0] ? zeros_like(g) : Tensor(), need[1] ? zeros_like(g) : Tensor()};
}
template <>
Grads binary_grad<BinaryOp::DivFloor>(const Tensor& g, const Tensor&, const Tensor&, const Tensor&,
                                      const std::vector<bool>& need) {
  return {need[0] ? zeros_like(g) : Tensor(), need[1] ? zeros_like(g) : Tensor()};
}

variable_list binary_backward(BinaryOp op, const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& out,
                              const std::vector<bool>& need) {
  Grads gr = dispatch_binary(op, [&](auto tag) -> Grads {
    constexpr BinaryOp o = decltype(tag)::value;
    if constexpr (binary_op_differentiable(o)) {
      return binary_grad<o>(g, a, b, out, need);
    } else {
      throw AutogradError(str(binary_op_name(o), ": not differentiable"));
    }
  });
  return {gr.first.defined() ? sum_to(gr.first, a.sizes()) : Tensor(),
          gr.second.defined() ? sum_to(gr.second, b.sizes()) : Tensor()};
}

// bool + bool and bool * bool stay bool (or / and), as in PyTorch; so do max and min.
BinaryOp bool_arith(BinaryOp op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != kBool || b.dtype() != kBool) return op;
  if (op == BinaryOp::Add || op == BinaryOp::Maximum) return BinaryOp::LogicalOr;
  if (op == BinaryOp::Mul || op == BinaryOp::Minimum) return BinaryOp::LogicalAnd;
  return op;
}

// Integer fmod, remainder and rounded division by zero raise, as PyTorch's ZeroDivisionError.
void check_integer_divisor(BinaryOp op, const Tensor& b, DType ct) {
  if (is_floating(ct)) return;
  if (op != BinaryOp::Fmod && op != BinaryOp::Remainder && op != BinaryOp::DivTrunc && op != BinaryOp::DivFloor) return;
  NoGradGuard guard;
  SEEK_CHECK(!b.eq(0).any().item().to_bool(), "ZeroDivisionError: integer division by zero in ", binary_op_name(op));
}

Tensor scalar_operand(const Tensor& t, Scalar s) { return scalar_like(s, result_type(t, s), t.device()); }

}  // namespace

Tensor binary_op(BinaryOp op_arg, const Tensor& a, const Tensor& b) {
  check_defined(a, binary_op_name(op_arg), "input");
  check_defined(b, binary_op_name(op_arg), "other");
  check_same_device(binary_op_name(op_arg), {a, b});
  const BinaryOp op = bool_arith(op_arg, a, b);
  DType ct = compute_dtype(op, a, b);
  check_integer_divisor(op, b, ct);
  Tensor out = binary_forward(op, a, b, ct);
  if (binary_op_differentiable(op) && autograd::needs_grad({a, b})) {
    bool save_out = binary_op_saves(op) == BinarySaves::ABOut;
    std::string name = std::string(binary_op_name(op)) + "Backward";
    name[0] = static_cast<char>(std::toupper(name[0]));
    autograd::record(name, {a, b}, {out},
                     [op, sa = SavedTensor(a), sb = SavedTensor(b), so = SavedTensor(save_out ? out : Tensor())](
                         const variable_list& g, const std::vector<bool>& need) {
                       return binary_backward(op, g[0], sa.get(), sb.get(), so.get(), need);
                     });
  }
  return out;
}

// In-place: self = op(self, other), result cast back to self's dtype.
static Tensor& binary_inplace(BinaryOp op_arg, Tensor& self, const Tensor& other, const char* name) {
  check_defined(self, name, "self");
  check_defined(other, name, "other");
  check_same_device(name, {self, other});
  const BinaryOp op = bool_arith(op_arg, self, other);
  if (autograd::check_inplace(self, {other}, name)) {
    autograd::commit_inplace(self, binary_op(op, self.clone(), other));
    return self;
  }
  DType ct = compute_dtype(op, self, other);
  check_integer_divisor(op, other, ct);
  SEEK_CHECK_DTYPE(can_cast(ct, self.dtype()), name, ": result type ", ct, " can't be cast to the desired output type ",
                   self.dtype());
  Shape shape = broadcast_shapes(self.sizes(), other.sizes(), name);
  SEEK_CHECK_SHAPE(shape == self.sizes(), name, ": output with shape ", shape_str(self.sizes()),
                   " doesn't match the broadcast shape ", shape_str(shape));
  if (ct == self.dtype()) {
    Tensor o = cast_nograd(other, ct);
    if (o.sizes() != shape) o = o.detach().expand(shape);
    const std::vector<int64_t> order = memory_order(self);
    Tensor s = permuted(self.detach(), order);
    backend(self.device()).binary(op, s, permuted(o, order), s);
  } else {
    Tensor r = binary_forward(op, self, other, ct);
    backend(self.device()).copy(r, self);
  }
  self.bump_version();
  return self;
}

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (alpha.to_double() == 1.0 && !alpha.is_floating()) return binary_op(BinaryOp::Add, a, b);
  return binary_op(BinaryOp::Add, a, b * alpha);
}
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (alpha.to_double() == 1.0 && !alpha.is_floating()) return binary_op(BinaryOp::Sub, a, b);
  return binary_op(BinaryOp::Sub, a, b * alpha);
}
Tensor mul(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Div, a, b); }
// pow is an autocast fp32 op.
Tensor pow(const Tensor& a_arg, const Tensor& b_arg) {
  const Tensor a = amp::autocast_fp32(a_arg);
  const Tensor b = amp::autocast_fp32(b_arg);
  return binary_op(BinaryOp::Pow, a, b);
}
Tensor pow(const Tensor& a_arg, Scalar b) {
  const Tensor a = amp::autocast_fp32(a_arg);
  return binary_op(BinaryOp::Pow, a, scalar_operand(a, b));
}
Tensor pow(Scalar a, const Tensor& b_arg) {
  const Tensor b = amp::autocast_fp32(b_arg);
  return binary_op(BinaryOp::Pow, scalar_operand(b, a), b);
}
// The free functions and methods of the Plain rows.
#define SEEK_BINARY_FN_Plain(E, name)                                                    \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::E, a, b); } \
  Tensor Tensor::name(const Tensor& other) const { return binary_op(BinaryOp::E, *this, other); }
#define SEEK_BINARY_FN_Custom(E, name)
#define SEEK_BINARY_FN(E, name, kind, saves, form, ...) SEEK_BINARY_FN_##form(E, name)
SEEK_BINARY_OPS(SEEK_BINARY_FN)
#undef SEEK_BINARY_FN
#undef SEEK_BINARY_FN_Plain
#undef SEEK_BINARY_FN_Custom

Tensor eq(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Ge, a, b); }

// ---- methods ----
Tensor Tensor::add(const Tensor& o, Scalar alpha) const { return seek::add(*this, o, alpha); }
Tensor Tensor::add(Scalar o) const { return binary_op(BinaryOp::Add, *this, scalar_operand(*this, o)); }
Tensor Tensor::sub(const Tensor& o, Scalar alpha) const { return seek::sub(*this, o, alpha); }
Tensor Tensor::sub(Scalar o) const { return binary_op(BinaryOp::Sub, *this, scalar_operand(*this, o)); }
Tensor Tensor::mul(const Tensor& o) const { return binary_op(BinaryOp::Mul, *this, o); }
Tensor Tensor::mul(Scalar o) const { return binary_op(BinaryOp::Mul, *this, scalar_operand(*this, o)); }
Tensor Tensor::div(const Tensor& o) const { return binary_op(BinaryOp::Div, *this, o); }
Tensor Tensor::div(Scalar o) const { return binary_op(BinaryOp::Div, *this, scalar_operand(*this, o)); }
Tensor Tensor::pow(const Tensor& e) const { return seek::pow(*this, e); }
Tensor Tensor::pow(Scalar e) const { return seek::pow(*this, e); }
#define SEEK_CMP_METHODS(NAME, OP)                                                         \
  Tensor Tensor::NAME(const Tensor& o) const { return binary_op(BinaryOp::OP, *this, o); } \
  Tensor Tensor::NAME(Scalar o) const { return binary_op(BinaryOp::OP, *this, scalar_operand(*this, o)); }
SEEK_CMP_METHODS(eq, Eq)
SEEK_CMP_METHODS(ne, Ne)
SEEK_CMP_METHODS(lt, Lt)
SEEK_CMP_METHODS(le, Le)
SEEK_CMP_METHODS(gt, Gt)
SEEK_CMP_METHODS(ge, Ge)
#undef SEEK_CMP_METHODS

Tensor& Tensor::add_(const Tensor& o, Scalar alpha) {
  if (alpha.to_double() == 1.0 && !alpha.is_floating()) return binary_inplace(BinaryOp::Add, *this, o, "add_");
  return binary_inplace(BinaryOp::Add, *this, o * alpha, "add_");
}
Tensor& Tensor::add_(Scalar o) { return binary_inplace(BinaryOp::Add, *this, scalar_operand(*this, o), "add_"); }
Tensor& Tensor::sub_(const Tensor& o, Scalar alpha) {
  if (alpha.to_double() == 1.0 && !alpha.is_floating()) return binary_inplace(BinaryOp::Sub, *this, o, "sub_");
  return binary_inplace(BinaryOp::Sub, *this, o * alpha, "sub_");
}
Tensor& Tensor::sub_(Scalar o) { return binary_inplace(BinaryOp::Sub, *this, scalar_operand(*this, o), "sub_"); }
Tensor& Tensor::mul_(const Tensor& o) { return binary_inplace(BinaryOp::Mul, *this, o, "mul_"); }
Tensor& Tensor::mul_(Scalar o) { return binary_inplace(BinaryOp::Mul, *this, scalar_operand(*this, o), "mul_"); }
Tensor& Tensor::div_(const Tensor& o) { return binary_inplace(BinaryOp::Div, *this, o, "div_"); }
Tensor& Tensor::div_(Scalar o) { return binary_inplace(BinaryOp::Div, *this, scalar_operand(*this, o), "div_"); }
Tensor& Tensor::pow_(Scalar e) { return binary_inplace(BinaryOp::Pow, *this, scalar_operand(*this, e), "pow_"); }

// ---- operators ----
Tensor operator+(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Add, a, b); }
Tensor operator+(const Tensor& a, Scalar b) { return a.add(b); }
Tensor operator+(Scalar a, const Tensor& b) { return b.add(a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Sub, a, b); }
Tensor operator-(const Tensor& a, Scalar b) { return a.sub(b); }
Tensor operator-(Scalar a, const Tensor& b) { return binary_op(BinaryOp::Sub, scalar_operand(b, a), b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Mul, a, b); }
Tensor operator*(const Tensor& a, Scalar b) { return a.mul(b); }
Tensor operator*(Scalar a, const Tensor& b) { return b.mul(a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Div, a, b); }
Tensor operator/(const Tensor& a, Scalar b) { return a.div(b); }
Tensor operator/(Scalar a, const Tensor& b) { return binary_op(BinaryOp::Div, scalar_operand(b, a), b); }
Tensor operator-(const Tensor& a) { return a.neg(); }
Tensor operator==(const Tensor& a, const Tensor& b) { return a.eq(b); }
Tensor operator==(const Tensor& a, Scalar b) { return a.eq(b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return a.ne(b); }
Tensor operator!=(const Tensor& a, Scalar b) { return a.ne(b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return a.lt(b); }
Tensor operator<(const Tensor& a, Scalar b) { return a.lt(b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return a.le(b); }
Tensor operator<=(const Tensor& a, Scalar b) { return a.le(b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return a.gt(b); }
Tensor operator>(const Tensor& a, Scalar b) { return a.gt(b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return a.ge(b); }
Tensor operator>=(const Tensor& a, Scalar b) { return a.ge(b); }
Tensor operator&&(const Tensor& a, const Tensor& b) { return a.logical_and(b); }
Tensor operator||(const Tensor& a, const Tensor& b) { return a.logical_or(b); }
Tensor operator!(const Tensor& a) { return a.logical_not(); }
Tensor& operator+=(Tensor& a, const Tensor& b) { return a.add_(b); }
Tensor& operator+=(Tensor& a, Scalar b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return a.sub_(b); }
Tensor& operator-=(Tensor& a, Scalar b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return a.mul_(b); }
Tensor& operator*=(Tensor& a, Scalar b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return a.div_(b); }
Tensor& operator/=(Tensor& a, Scalar b) { return a.div_(b); }

// ---- issue 12: rounded division, fmod and remainder with numbers ----
Tensor div(const Tensor& a, const Tensor& b, const std::optional<std::string>& rounding_mode) {
  if (!rounding_mode) return binary_op(BinaryOp::Div, a, b);
  if (*rounding_mode == "trunc") return binary_op(BinaryOp::DivTrunc, a, b);
  if (*rounding_mode == "floor") return binary_op(BinaryOp::DivFloor, a, b);
  throw ValueError(
      str("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *rounding_mode, "'"));
}
Tensor true_divide(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::Div, a, b); }
Tensor floor_divide(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::DivFloor, a, b); }
Tensor floor_divide(const Tensor& a, Scalar b) { return binary_op(BinaryOp::DivFloor, a, scalar_operand(a, b)); }
Tensor fmod(const Tensor& a, Scalar b) { return binary_op(BinaryOp::Fmod, a, scalar_operand(a, b)); }
Tensor remainder(const Tensor& a, Scalar b) { return binary_op(BinaryOp::Remainder, a, scalar_operand(a, b)); }
Tensor remainder(Scalar a, const Tensor& b) { return binary_op(BinaryOp::Remainder, scalar_operand(b, a), b); }
Tensor Tensor::div(const Tensor& o, const std::optional<std::string>& rounding_mode) const {
  return seek::div(*this, o, rounding_mode);
}
Tensor Tensor::div(Scalar o, const std::optional<std::string>& rounding_mode) const {
  return seek::div(*this, scalar_operand(*this, o), rounding_mode);
}
Tensor Tensor::floor_divide(const Tensor& o) const { return seek::floor_divide(*this, o); }
Tensor Tensor::floor_divide(Scalar o) const { return seek::floor_divide(*this, o); }
Tensor Tensor::fmod(Scalar o) const { return seek::fmod(*this, o); }
Tensor Tensor::remainder(Scalar o) const { return seek::remainder(*this, o); }

}  // namespace seek
