#pragma once
// The rows of the unary and binary op tables, and nothing else: plain preprocessor lists
// that include nothing. They live in core because Tensor's elementwise methods are
// generated from them (seek/core/tensor.h) and core includes nothing above it. Everything
// else of each family is generated from the same rows in its family header, whose comment
// explains the columns: seek/backend/unary_op.h (the enum, names, dtype and saves rules,
// the scalar functors that the expression column calls, dispatch_unary) and
// seek/backend/binary_op.h. The expression column is only expanded there.
//
// Adding an op is one row here (plus a scalar helper beside the functors if the expression
// needs one) and its backward formula in src/ops/<family>.cpp; see docs/internals.md.

// clang-format off
#define SEEK_UNARY_OPS(X)                                                                   \
  X(Neg,         neg,          Integers, None,   Plain,     _,   static_cast<T>(-x))         \
  X(Abs,         abs,          Integers, Input,  Plain,     _,   abs_fn(x))                  \
  X(Exp,         exp,          Floating, Output, Fp32,      _,   math::exp(x))               \
  X(Log,         log,          Floating, Input,  Fp32,      _,   math::log(x))               \
  X(Log1p,       log1p,        Floating, Input,  Plain,     _,   math::log1p(x))             \
  X(Sqrt,        sqrt,         Floating, Output, Plain,     _,   math::sqrt(x))              \
  X(Rsqrt,       rsqrt,        Floating, Output, Plain,     _,   T(1) / math::sqrt(x))       \
  X(Sin,         sin,          Floating, Input,  Plain,     _,   math::sin(x))               \
  X(Cos,         cos,          Floating, Input,  Plain,     _,   math::cos(x))               \
  X(Tanh,        tanh,         Floating, Output, Plain,     _,   math::tanh(x))              \
  X(Sigmoid,     sigmoid,      Floating, Output, Plain,     _,   T(1) / (T(1) + math::exp(-x))) \
  X(Relu,        relu,         Integers, Output, Plain,     _,   relu_fn(x))                 \
  X(GeluErf,     gelu,         Floating, Input,  Custom,    _,   gelu_erf_fn(x))             \
  X(GeluTanh,    gelu_tanh,    Floating, Input,  Custom,    _,   gelu_tanh_fn(x))            \
  X(Silu,        silu,         Floating, Input,  Plain,     _,   x / (T(1) + math::exp(-x))) \
  X(Hardswish,   hardswish,    Floating, Input,  Plain,     _,   x * relu6_fn(x + T(3)) / T(6)) \
  X(Hardsigmoid, hardsigmoid,  Floating, Input,  Plain,     _,   relu6_fn(x + T(3)) / T(6))  \
  X(Softplus,    softplus,     Floating, Input,  Custom,    _,   softplus_fn(x, T(a), T(b))) \
  X(Erf,         erf,          Floating, Input,  Plain,     _,   math::erf(x))               \
  X(Sign,        sign,         AllTypes, None,   Plain,     _,   sign_fn(x))                 \
  X(Floor,       floor,        Integers, None,   Plain,     _,   floor_fn(x))                \
  X(Ceil,        ceil,         Integers, None,   Plain,     _,   ceil_fn(x))                 \
  X(Round,       round,        Integers, None,   Custom,    _,   round_fn(x, a, b))          \
  X(Reciprocal,  reciprocal,   Floating, Output, Plain,     _,   T(1) / x)                   \
  X(Square,      square,       Integers, Input,  Plain,     _,   static_cast<T>(x * x))      \
  X(LogicalNot,  logical_not,  ToBool,   None,   Plain,     _,   x == T(0))                  \
  X(Logit,       logit,        Floating, Input,  OptDouble, eps, logit_fn(x, T(a), b != 0.0)) \
  /* issue 12: elementwise */                                                               \
  X(Expm1,       expm1,        Floating, Output, Plain,     _,   math::expm1(x))             \
  X(Log2,        log2,         Floating, Input,  Plain,     _,   math::log2(x))              \
  X(Log10,       log10,        Floating, Input,  Plain,     _,   math::log10(x))             \
  X(Tan,         tan,          Floating, Output, Plain,     _,   math::tan(x))               \
  X(Asin,        asin,         Floating, Input,  Plain,     _,   math::asin(x))              \
  X(Acos,        acos,         Floating, Input,  Plain,     _,   math::acos(x))              \
  X(Atan,        atan,         Floating, Input,  Plain,     _,   math::atan(x))              \
  X(Sinh,        sinh,         Floating, Input,  Plain,     _,   math::sinh(x))              \
  X(Cosh,        cosh,         Floating, Input,  Plain,     _,   math::cosh(x))              \
  X(Asinh,       asinh,        Floating, Input,  Plain,     _,   math::asinh(x))             \
  X(Acosh,       acosh,        Floating, Input,  Plain,     _,   math::acosh(x))             \
  X(Atanh,       atanh,        Floating, Input,  Plain,     _,   math::atanh(x))             \
  X(Trunc,       trunc,        Integers, None,   Plain,     _,   trunc_fn(x))                \
  X(Frac,        frac,         Integers, None,   Plain,     _,   static_cast<T>(x - trunc_fn(x))) \
  X(Isnan,       isnan,        ToBool,   None,   Plain,     _,   x != x)                     \
  X(Isinf,       isinf,        ToBool,   None,   Plain,     _,   isinf_fn(x))                \
  X(Isfinite,    isfinite,     ToBool,   None,   Plain,     _,   x == x && !isinf_fn(x))     \
  X(Isposinf,    isposinf,     ToBool,   None,   Plain,     _,   isinf_fn(x) && x > T(0))    \
  X(Isneginf,    isneginf,     ToBool,   None,   Plain,     _,   isinf_fn(x) && negative_fn(x)) \
  /* issue 12: nn activations (a, b: their arguments, see seek/ops/activation.h) */ \
  X(Elu,         elu,          Floating, Input,  Custom,    _,   elu_fn(x, T(a), T(b)))      \
  X(Celu,        celu,         Floating, Input,  Custom,    _,   celu_fn(x, T(a)))           \
  X(Mish,        mish,         Floating, Input,  Custom,    _,   x * math::tanh(softplus_fn(x, T(1), T(20)))) \
  X(LogSigmoid,  logsigmoid,   Floating, Input,  Custom,    _,   logsigmoid_fn(x))           \
  X(Softsign,    softsign,     Floating, Input,  Custom,    _,   x / (T(1) + math::fabs(x))) \
  X(Hardtanh,    hardtanh,     Floating, Input,  Custom,    _,   hardtanh_fn(x, T(a), T(b))) \
  X(Threshold,   threshold,    Floating, Input,  Custom,    _,   x <= T(a) ? T(b) : x)       \
  X(Softshrink,  softshrink,   Floating, Input,  Custom,    _,   softshrink_fn(x, T(a)))     \
  X(Hardshrink,  hardshrink,   Floating, Input,  Custom,    _,   (x >= -T(a) && x <= T(a)) ? T(0) : x) \
  X(Tanhshrink,  tanhshrink,   Floating, Input,  Custom,    _,   x - math::tanh(x))          \
  /* end of SEEK_UNARY_OPS */
// clang-format on

// clang-format off
#define SEEK_BINARY_OPS(X)                                                                        \
  X(Add,                 add,                  Arith,    AB,    Custom, a + b)                     \
  X(Sub,                 sub,                  Arith,    AB,    Custom, a - b)                     \
  X(Mul,                 mul,                  Arith,    AB,    Custom, a * b)                     \
  X(Div,                 div,                  Arith,    AB,    Custom, a / b)                     \
  X(Pow,                 pow,                  Arith,    ABOut, Custom, pow_impl(a, b))            \
  X(Maximum,             maximum,              Arith,    AB,    Plain,  nan_max(a, b))             \
  X(Minimum,             minimum,              Arith,    AB,    Plain,  nan_min(a, b))             \
  X(Eq,                  eq,                   Compare,  None,  Custom, a == b)                    \
  X(Ne,                  ne,                   Compare,  None,  Custom, a != b)                    \
  X(Lt,                  lt,                   Compare,  None,  Custom, a < b)                     \
  X(Le,                  le,                   Compare,  None,  Custom, a <= b)                    \
  X(Gt,                  gt,                   Compare,  None,  Custom, a > b)                     \
  X(Ge,                  ge,                   Compare,  None,  Custom, a >= b)                    \
  X(LogicalAnd,          logical_and,          Logical,  None,  Plain,  (a != T(0)) && (b != T(0))) \
  X(LogicalOr,           logical_or,           Logical,  None,  Plain,  (a != T(0)) || (b != T(0))) \
  X(LogicalXor,          logical_xor,          Logical,  None,  Plain,  (a != T(0)) != (b != T(0))) \
  X(ReluBackward,        relu_backward,        Helper,   None,  Custom, b > T(0) ? a : T(0))       \
  X(SigmoidBackward,     sigmoid_backward,     Helper,   None,  Custom, a * b * (T(1) - b))        \
  X(TanhBackward,        tanh_backward,        Helper,   None,  Custom, a * (T(1) - b * b))        \
  X(GeluBackward,        gelu_backward,        Helper,   None,  Custom, gelu_backward_fn(a, b))    \
  X(GeluTanhBackward,    gelu_tanh_backward,   Helper,   None,  Custom, gelu_tanh_backward_fn(a, b)) \
  X(SiluBackward,        silu_backward,        Helper,   None,  Custom, silu_backward_fn(a, b))    \
  X(HardswishBackward,   hardswish_backward,   Helper,   None,  Custom, hardswish_backward_fn(a, b)) \
  X(HardsigmoidBackward, hardsigmoid_backward, Helper,   None,  Custom, (b > T(-3) && b < T(3)) ? a / T(6) : T(0)) \
  X(Xlogy,               xlogy,                Floating, AB,    Plain,  xlogy_fn(a, b))            \
  /* issue 12: elementwise */                                                                    \
  X(Atan2,               atan2,                Floating, AB,    Plain,  ::atan2(a, b))             \
  X(Hypot,               hypot,                Floating, ABOut, Plain,  ::hypot(a, b))             \
  X(Fmod,                fmod,                 Arith,    AB,    Plain,  fmod_fn(a, b))             \
  X(Remainder,           remainder,            Arith,    AB,    Plain,  remainder_fn(a, b))        \
  X(DivTrunc,            div_trunc,            Arith,    None,  Custom, div_trunc_fn(a, b))        \
  X(DivFloor,            div_floor,            Arith,    None,  Custom, div_floor_fn(a, b))        \
  /* end of SEEK_BINARY_OPS */
// clang-format on
