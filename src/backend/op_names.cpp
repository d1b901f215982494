// Printable names of the ops in each elementwise/reduction family (for errors).
#include "seek/backend/binary_op.h"
#include "seek/backend/reduce_op.h"
#include "seek/backend/ternary_op.h"
#include "seek/backend/unary_op.h"

namespace seek {

const char* binary_op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Pow: return "pow";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
    case BinaryOp::Eq: return "eq";
    case BinaryOp::Ne: return "ne";
    case BinaryOp::Lt: return "lt";
    case BinaryOp::Le: return "le";
    case BinaryOp::Gt: return "gt";
    case BinaryOp::Ge: return "ge";
    case BinaryOp::LogicalAnd: return "logical_and";
    case BinaryOp::LogicalOr: return "logical_or";
    case BinaryOp::LogicalXor: return "logical_xor";
    case BinaryOp::ReluBackward: return "relu_backward";
    case BinaryOp::SigmoidBackward: return "sigmoid_backward";
    case BinaryOp::TanhBackward: return "tanh_backward";
    case BinaryOp::GeluBackward: return "gelu_backward";
    case BinaryOp::GeluTanhBackward: return "gelu_tanh_backward";
    case BinaryOp::SiluBackward: return "silu_backward";
    case BinaryOp::HardswishBackward: return "hardswish_backward";
    case BinaryOp::HardsigmoidBackward: return "hardsigmoid_backward";
  }
  return "binary";
}

const char* unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return "neg";
    case UnaryOp::Abs: return "abs";
    case UnaryOp::Exp: return "exp";
    case UnaryOp::Log: return "log";
    case UnaryOp::Log1p: return "log1p";
    case UnaryOp::Sqrt: return "sqrt";
    case UnaryOp::Rsqrt: return "rsqrt";
    case UnaryOp::Sin: return "sin";
    case UnaryOp::Cos: return "cos";
    case UnaryOp::Tanh: return "tanh";
    case UnaryOp::Sigmoid: return "sigmoid";
    case UnaryOp::Relu: return "relu";
    case UnaryOp::GeluErf: return "gelu";
    case UnaryOp::GeluTanh: return "gelu(tanh)";
    case UnaryOp::Silu: return "silu";
    case UnaryOp::Hardswish: return "hardswish";
    case UnaryOp::Hardsigmoid: return "hardsigmoid";
    case UnaryOp::Softplus: return "softplus";
    case UnaryOp::Erf: return "erf";
    case UnaryOp::Sign: return "sign";
    case UnaryOp::Floor: return "floor";
    case UnaryOp::Ceil: return "ceil";
    case UnaryOp::Round: return "round";
    case UnaryOp::Reciprocal: return "reciprocal";
    case UnaryOp::Square: return "square";
    case UnaryOp::LogicalNot: return "logical_not";
  }
  return "unary";
}

const char* ternary_op_name(TernaryOp op) {
  switch (op) {
    case TernaryOp::Where: return "where";
    case TernaryOp::Clamp: return "clamp";
    case TernaryOp::Lerp: return "lerp";
    case TernaryOp::Addcmul: return "addcmul";
    case TernaryOp::Addcdiv: return "addcdiv";
  }
  return "ternary";
}

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Prod: return "prod";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
    case ReduceOp::All: return "all";
    case ReduceOp::Any: return "any";
    case ReduceOp::SumSquares: return "sum_squares";
    case ReduceOp::SumAbsPow: return "sum_abs_pow";
    case ReduceOp::MaxAbs: return "max_abs";
    case ReduceOp::Mean: return "mean";
    case ReduceOp::Norm: return "norm";
    case ReduceOp::Var: return "var";
    case ReduceOp::Std: return "std";
    case ReduceOp::LogSumExp: return "logsumexp";
  }
  return "reduce";
}

}  // namespace seek
