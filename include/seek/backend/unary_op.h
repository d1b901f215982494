#pragma once
// The unary elementwise family: one enum value and one scalar functor per op,
// shared by the CPU loop and the CUDA kernel. T is the arithmetic type.
#include <cmath>

#include "seek/core/macros.h"

namespace seek {

enum class UnaryOp {
  Neg, Abs, Exp, Log, Log1p, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu,
  GeluErf, GeluTanh, Silu, Hardswish, Hardsigmoid, Softplus, Erf, Sign,
  Floor, Ceil, Round, Reciprocal, Square, LogicalNot,
};

// Extra arguments some unary ops take (softplus: a = beta, b = threshold).
struct UnaryParams {
  double a = 0.0;
  double b = 0.0;
};

const char* unary_op_name(UnaryOp op);

}  // namespace seek
