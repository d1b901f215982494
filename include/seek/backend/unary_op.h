#pragma once
// The unary elementwise family: one enum value and one scalar functor per op,
// shared by the CPU loop and the CUDA kernel. T is the arithmetic type (the
// acc type: float for f16/bf16 storage, the storage type otherwise).
#include <cmath>
#include <type_traits>

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

// Ops defined on integer dtypes too (the rest compute in floating point only).
constexpr bool unary_op_keeps_integers(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu || op == UnaryOp::Sign ||
         op == UnaryOp::Floor || op == UnaryOp::Ceil || op == UnaryOp::Round || op == UnaryOp::Square ||
         op == UnaryOp::LogicalNot;
}

namespace functors {

// libm calls that resolve to the float overloads on the host (std::) and to
// CUDA's device overloads in device code (::).
namespace math {
#if defined(__CUDA_ARCH__)
#define SEEK_UNARY_MATH_FN(name) \
  template <typename T>          \
  SEEK_HOST_DEVICE SEEK_INLINE T name(T x) { return ::name(x); }
#else
#define SEEK_UNARY_MATH_FN(name) \
  template <typename T>          \
  SEEK_HOST_DEVICE SEEK_INLINE T name(T x) { return std::name(x); }
#endif
SEEK_UNARY_MATH_FN(exp)
SEEK_UNARY_MATH_FN(log)
SEEK_UNARY_MATH_FN(log1p)
SEEK_UNARY_MATH_FN(sqrt)
SEEK_UNARY_MATH_FN(sin)
SEEK_UNARY_MATH_FN(cos)
SEEK_UNARY_MATH_FN(tanh)
SEEK_UNARY_MATH_FN(erf)
SEEK_UNARY_MATH_FN(floor)
SEEK_UNARY_MATH_FN(ceil)
SEEK_UNARY_MATH_FN(nearbyint)  // round half to even in the default rounding mode
SEEK_UNARY_MATH_FN(fabs)
#undef SEEK_UNARY_MATH_FN
}  // namespace math

template <UnaryOp op>
struct Unary;

template <> struct Unary<UnaryOp::Neg> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return static_cast<T>(-x); }
};
template <> struct Unary<UnaryOp::Abs> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return math::fabs(x);
    else if constexpr (std::is_unsigned_v<T>) return x;
    else return static_cast<T>(x < T(0) ? -x : x);
  }
};
template <> struct Unary<UnaryOp::Exp> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::exp(x); }
};
template <> struct Unary<UnaryOp::Log> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::log(x); }
};
template <> struct Unary<UnaryOp::Log1p> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::log1p(x); }
};
template <> struct Unary<UnaryOp::Sqrt> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::sqrt(x); }
};
template <> struct Unary<UnaryOp::Rsqrt> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return T(1) / math::sqrt(x); }
};
template <> struct Unary<UnaryOp::Sin> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::sin(x); }
};
template <> struct Unary<UnaryOp::Cos> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::cos(x); }
};
template <> struct Unary<UnaryOp::Tanh> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::tanh(x); }
};
template <> struct Unary<UnaryOp::Sigmoid> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return T(1) / (T(1) + math::exp(-x)); }
};
// NaN propagates (relu(nan) = nan), as in PyTorch.
template <> struct Unary<UnaryOp::Relu> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return (x > T(0) || x != x) ? x : T(0);
    else return x > T(0) ? x : T(0);
  }
};
template <> struct Unary<UnaryOp::GeluErf> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    const T kAlpha = T(0.70710678118654752440);  // 1/sqrt(2)
    return T(0.5) * x * (T(1) + math::erf(x * kAlpha));
  }
};
template <> struct Unary<UnaryOp::GeluTanh> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    const T kBeta = T(0.79788456080286535588);  // sqrt(2/pi)
    const T kKappa = T(0.044715);
    return T(0.5) * x * (T(1) + math::tanh(kBeta * (x + kKappa * x * x * x)));
  }
};
template <> struct Unary<UnaryOp::Silu> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return x / (T(1) + math::exp(-x)); }
};
template <> struct Unary<UnaryOp::Hardswish> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    T r = x + T(3);
    r = r < T(0) ? T(0) : (r > T(6) ? T(6) : r);
    return x * r / T(6);
  }
};
template <> struct Unary<UnaryOp::Hardsigmoid> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    T r = x + T(3);
    r = r < T(0) ? T(0) : (r > T(6) ? T(6) : r);
    return r / T(6);
  }
};
// softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
template <> struct Unary<UnaryOp::Softplus> {
  double beta = 1.0, threshold = 20.0;
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    const T b = T(beta);
    const T bx = x * b;
    return bx > T(threshold) ? x : math::log1p(math::exp(bx)) / b;
  }
};
template <> struct Unary<UnaryOp::Erf> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return math::erf(x); }
};
// sign(nan) = 0 and sign(bool) = the bool, as in PyTorch.
template <> struct Unary<UnaryOp::Sign> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_unsigned_v<T>) return static_cast<T>(x > T(0));
    else return static_cast<T>(T(x > T(0)) - T(x < T(0)));
  }
};
template <> struct Unary<UnaryOp::Floor> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return math::floor(x);
    else return x;
  }
};
template <> struct Unary<UnaryOp::Ceil> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return math::ceil(x);
    else return x;
  }
};
template <> struct Unary<UnaryOp::Round> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return math::nearbyint(x);
    else return x;
  }
};
template <> struct Unary<UnaryOp::Reciprocal> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return T(1) / x; }
};
template <> struct Unary<UnaryOp::Square> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x * x); }
};
template <> struct Unary<UnaryOp::LogicalNot> {
  template <typename T> SEEK_HOST_DEVICE bool operator()(T x) const { return x == T(0); }
};

}  // namespace functors
}  // namespace seek
