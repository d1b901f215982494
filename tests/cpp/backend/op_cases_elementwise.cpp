// Op cases of the elementwise families: every row of the unary and binary tables
// (kUnaryOps, kBinaryOps, through unary_op/binary_op) and of the ternary table, each in
// its input domain, plus the named forms (pow with scalars, clamp, where, masked_fill,
// the activations of seek/ops/activation.h, in-place forms). Inputs are 7x13 (odd), in
// the three layouts in turn, and the binary and ternary rows broadcast 3x1x5 against 4x5.
#include "backend/op_case.h"
#include "backend/op_lists.h"
#include "seek/nn.h"

namespace seek::backend_test {

namespace {

struct Domain {
  double lo, hi;
};

// Where each unary op is defined and well conditioned (kinks do not matter here: every run
// evaluates the same formula on the same values). A row not named here runs on [-2, 2).
Domain unary_domain(UnaryOp op) {
  switch (op) {
    case UnaryOp::Log:
    case UnaryOp::Log2:
    case UnaryOp::Log10:
    case UnaryOp::Sqrt:
    case UnaryOp::Rsqrt:
    case UnaryOp::Reciprocal: return {0.5, 2.0};
    case UnaryOp::Log1p: return {-0.5, 2.0};
    case UnaryOp::Asin:
    case UnaryOp::Acos:
    case UnaryOp::Atanh: return {-0.9, 0.9};
    case UnaryOp::Acosh: return {1.2, 3.0};
    case UnaryOp::Logit: return {0.1, 0.9};
    case UnaryOp::Tan: return {-1.2, 1.2};
    // Below its threshold (beta x = 2 at x = 1.33): at the switch a rounding of beta x in a
    // low precision picks the other branch. (softplus(x, 2, 1) in gelu_tanh_named crosses it.)
    case UnaryOp::Softplus: return {-3.0, 1.2};
    case UnaryOp::Hardswish:
    case UnaryOp::Hardsigmoid:
    case UnaryOp::Exp:
    case UnaryOp::Expm1:
    case UnaryOp::Sinh:
    case UnaryOp::Cosh:
    case UnaryOp::Sin:
    case UnaryOp::Cos:
    case UnaryOp::Sigmoid:
    case UnaryOp::Elu:
    case UnaryOp::Celu:
    case UnaryOp::Mish:
    case UnaryOp::LogSigmoid:
    case UnaryOp::GeluErf:
    case UnaryOp::GeluTanh:
    case UnaryOp::Silu: return {-3.0, 3.0};
    default: return {-2.0, 2.0};
  }
}

// The extra arguments of the rows that take them (seek/ops/activation.h, unary.h).
UnaryParams unary_params(UnaryOp op) {
  switch (op) {
    case UnaryOp::Softplus: return {1.5, 2.0};    // beta, threshold
    case UnaryOp::Elu: return {0.8, 1.2};         // alpha, scale
    case UnaryOp::Celu: return {0.7, 0.0};        // alpha
    case UnaryOp::Hardtanh: return {-0.9, 1.1};   // min, max
    case UnaryOp::Threshold: return {0.3, -0.5};  // threshold, value
    case UnaryOp::Softshrink:
    case UnaryOp::Hardshrink: return {0.5, 0.0};  // lambda
    case UnaryOp::Logit: return {0.15, 1.0};      // eps (given)
    default: return {};
  }
}

Layout nth_layout(size_t i) { return kLayouts[i % 3]; }

Domain binary_domain_b(BinaryOp op) {
  switch (op) {
    case BinaryOp::Pow:
    case BinaryOp::Xlogy: return {0.5, 2.0};
    default: return {-2.0, 2.0};
  }
}

void add_unary_rows(std::vector<OpCase>& cases) {
  size_t i = 0;
  for (UnaryOp op : kUnaryOps) {
    const Domain d = unary_domain(op);
    const UnaryParams p = unary_params(op);
    OpCase c{str("unary_", unary_op_name(op)),
             {in({7, 13}, d.lo, d.hi, nth_layout(i++))},
             one([op, p](const Tensors& x) { return unary_op(op, x[0], p); })};
    c.backward = unary_op_differentiable(op);
    cases.push_back(c);
  }
}

void add_binary_rows(std::vector<OpCase>& cases) {
  size_t i = 0;
  for (BinaryOp op : kBinaryOps) {
    const BinaryKind kind = binary_op_kind(op);
    // Pow's base stays positive; the rest mix signs.
    const Domain a = op == BinaryOp::Pow ? Domain{0.5, 2.0} : Domain{-2.0, 2.0};
    const Domain b = binary_domain_b(op);
    OpCase c{str("binary_", binary_op_name(op)),
             {in({3, 1, 5}, a.lo, a.hi, nth_layout(i)), in({4, 5}, b.lo, b.hi, nth_layout(i + 1))},
             one([op](const Tensors& x) { return binary_op(op, x[0], x[1]); })};
    ++i;
    c.backward = binary_op_differentiable(op);
    // Comparisons need ties to mean anything: small integers.
    if (kind == BinaryKind::Compare || kind == BinaryKind::Logical) {
      c.inputs = {in({3, 1, 5}, -2, 2), in({4, 5}, -2, 2)};
      c.fn = one([op](const Tensors& x) { return binary_op(op, x[0].round(), x[1].round()); });
    }
    cases.push_back(c);
  }
}

void add_ternary_rows(std::vector<OpCase>& cases) {
  for (TernaryOp op : kTernaryOps) {
    OpCase c{str("ternary_", ternary_op_name(op)), {}, {}};
    switch (op) {
      case TernaryOp::Where:
        c.inputs = {bools({3, 1, 5}), in({4, 5}, Layout::Transposed), in({3, 4, 1})};
        c.fn = one([](const Tensors& x) { return where(x[0], x[1], x[2]); });
        break;
      case TernaryOp::Clamp:
        c.inputs = {in({3, 4, 5}, Layout::Stepped), in({4, 1}, -1.5, -0.2), in({5}, 0.2, 1.5)};
        c.fn = one([](const Tensors& x) { return clamp(x[0], x[1], x[2]); });
        break;
      case TernaryOp::Lerp:
        c.inputs = {in({3, 1, 5}), in({4, 5}, Layout::Transposed), in({4, 1}, 0.1, 0.9)};
        c.fn = one([](const Tensors& x) { return lerp(x[0], x[1], x[2]); });
        break;
      case TernaryOp::Addcmul:
        c.inputs = {in({3, 1, 5}), in({4, 5}, Layout::Stepped), in({3, 4, 1})};
        c.fn = one([](const Tensors& x) { return addcmul(x[0], x[1], x[2], 0.7); });
        break;
      case TernaryOp::Addcdiv:
        c.inputs = {in({3, 1, 5}), in({4, 5}, Layout::Transposed), in({3, 4, 1}, 0.5, 2.0)};
        c.fn = one([](const Tensors& x) { return addcdiv(x[0], x[1], x[2], -1.5); });
        break;
    }
    cases.push_back(c);
  }
}

}  // namespace

std::vector<OpCase> elementwise_cases() {
  std::vector<OpCase> cases;
  add_unary_rows(cases);
  add_binary_rows(cases);
  add_ternary_rows(cases);
  const auto T = Layout::Transposed;
  const auto S = Layout::Stepped;
  // Named forms and scalar operands.
  cases.push_back({"add_scalar_alpha", {in({7, 13}, T), in({13})}, one([](const Tensors& x) {
                     return add(x[0], x[1], -0.5) + 1.25;
                   })});
  cases.push_back({"operators", {in({5, 7}, S), in({5, 1}, 0.5, 2.0)}, one([](const Tensors& x) {
                     return (x[0] * 3.0 - x[1]) / x[1] + 2.0 / x[1] - (-x[0]);
                   })});
  cases.push_back({"pow_tensor_scalar", {in({7, 13}, 0.5, 2.0, T)}, one([](const Tensors& x) {
                     return pow(x[0], 2.5) + pow(x[0], Scalar(3));
                   })});
  cases.push_back(
      {"pow_scalar_tensor", {in({7, 13}, -1.5, 1.5, S)}, one([](const Tensors& x) { return pow(1.7, x[0]); })});
  cases.push_back({"clamp_scalars", {in({7, 13}, T)}, one([](const Tensors& x) {
                     return x[0].clamp(-0.9, 1.1) + x[0].clamp_min(0.4) + x[0].clamp_max(-0.6);
                   })});
  cases.push_back({"clamp_inplace", {in({7, 13}, S)}, one([](const Tensors& x) {
                     Tensor y = x[0] * 1.5;
                     y.clamp_(-1.0, 0.8);
                     return y;
                   })});
  cases.push_back({"where_scalars", {bools({7, 13}), in({7, 13}, T)}, one([](const Tensors& x) {
                     return where(x[0], x[1], 0.5) + where(x[0], -1.5, x[1]);
                   })});
  cases.push_back({"masked_fill", {in({7, 13}, S), bools({13})}, one([](const Tensors& x) {
                     return x[0].masked_fill(x[1], 2.5);
                   })});
  cases.push_back({"masked_fill_inplace_tensor", {in({7, 13}, T), bools({7, 1}), in({})}, one([](const Tensors& x) {
                     Tensor y = x[0] * 1.0;
                     y.masked_fill_(x[1], -1);
                     return masked_fill(y, x[1].logical_not(), x[2]);
                   })});
  cases.push_back({"unary_inplace_chain", {in({7, 13}, 0.5, 2.0, S)}, one([](const Tensors& x) {
                     Tensor y = x[0] * 1.5;
                     y.exp_().sqrt_().log_().reciprocal_().sigmoid_().tanh_().neg_();
                     return y;
                   })});
  cases.push_back({"gelu_tanh_named", {in({7, 13}, -3, 3, T)}, one([](const Tensors& x) {
                     return gelu(x[0], "tanh") + softplus(x[0], 2.0, 1.0) + x[0].round(1);
                   })});
  cases.push_back({"activations_nn", {in({7, 13}, -3, 3, S)}, one([](const Tensors& x) {
                     namespace F = nn::functional;
                     return F::relu6(x[0]) + F::leaky_relu(x[0], 0.1) + selu(x[0]) + hardtanh(x[0], -0.5, 0.5);
                   })});
  cases.push_back(
      {"nan_to_num", {in({7, 13}, T)}, one([](const Tensors& x) { return nan_to_num(x[0].log(), 0.0, 9.0, -9.0); })});
  return cases;
}

}  // namespace seek::backend_test
