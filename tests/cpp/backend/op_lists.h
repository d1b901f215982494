#pragma once
// Every op of each enum-driven family, in one place, so that the backend tests
// run all of them. When the families become tables (include/seek/backend/
// <family>_op.h), these lists become the tables' rows; a test below also checks
// that each list ends at its enum's last value.
#include <array>

#include "seek/seek.h"

namespace seek::backend_test {

inline constexpr std::array kUnaryOps = {
    UnaryOp::Neg,      UnaryOp::Abs,       UnaryOp::Exp,       UnaryOp::Log,       UnaryOp::Log1p,
    UnaryOp::Sqrt,     UnaryOp::Rsqrt,     UnaryOp::Sin,       UnaryOp::Cos,       UnaryOp::Tanh,
    UnaryOp::Sigmoid,  UnaryOp::Relu,      UnaryOp::GeluErf,   UnaryOp::GeluTanh,  UnaryOp::Silu,
    UnaryOp::Hardswish, UnaryOp::Hardsigmoid, UnaryOp::Softplus, UnaryOp::Erf,    UnaryOp::Sign,
    UnaryOp::Floor,    UnaryOp::Ceil,      UnaryOp::Round,     UnaryOp::Reciprocal, UnaryOp::Square,
    UnaryOp::LogicalNot,
};

inline constexpr std::array kBinaryOps = {
    BinaryOp::Add,          BinaryOp::Sub,          BinaryOp::Mul,
    BinaryOp::Div,          BinaryOp::Pow,          BinaryOp::Maximum,
    BinaryOp::Minimum,      BinaryOp::Eq,           BinaryOp::Ne,
    BinaryOp::Lt,           BinaryOp::Le,           BinaryOp::Gt,
    BinaryOp::Ge,           BinaryOp::LogicalAnd,   BinaryOp::LogicalOr,
    BinaryOp::LogicalXor,   BinaryOp::ReluBackward, BinaryOp::SigmoidBackward,
    BinaryOp::TanhBackward, BinaryOp::GeluBackward, BinaryOp::GeluTanhBackward,
    BinaryOp::SiluBackward, BinaryOp::HardswishBackward, BinaryOp::HardsigmoidBackward,
};

inline constexpr std::array kTernaryOps = {
    TernaryOp::Where, TernaryOp::Clamp, TernaryOp::Lerp, TernaryOp::Addcmul, TernaryOp::Addcdiv,
};

inline constexpr std::array kReduceOps = {
    ReduceOp::Sum,        ReduceOp::Prod,      ReduceOp::Max,    ReduceOp::Min,  ReduceOp::All,
    ReduceOp::Any,        ReduceOp::SumSquares, ReduceOp::SumAbsPow, ReduceOp::MaxAbs, ReduceOp::Mean,
    ReduceOp::Norm,       ReduceOp::Var,       ReduceOp::Std,    ReduceOp::LogSumExp,
};

inline constexpr std::array kRandomOps = {RandomOp::Uniform, RandomOp::Normal, RandomOp::Bernoulli, RandomOp::RandInt};

}  // namespace seek::backend_test
