#pragma once
// The binary elementwise family: one enum value and one scalar functor per op.
// The CPU loop and the CUDA kernel both call the same functor, with T the
// arithmetic type (float for f16/bf16 storage).
#include <cmath>
#include <type_traits>

#include "seek/core/macros.h"

namespace seek {

enum class BinaryOp {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,              // comparisons: bool output
  LogicalAnd, LogicalOr, LogicalXor,   // bool output
  // Fused helpers used by backward formulas (a = incoming gradient, b = saved input/output).
  ReluBackward,      // a * (b > 0), b = input
  SigmoidBackward,   // a * b * (1 - b), b = output
  TanhBackward,      // a * (1 - b^2), b = output
  GeluBackward,      // a * d/dx gelu_erf(b), b = input
  GeluTanhBackward,  // a * d/dx gelu_tanh(b), b = input
  SiluBackward,      // a * d/dx silu(b), b = input
  HardswishBackward, // b = input
  HardsigmoidBackward, // b = input
};

const char* binary_op_name(BinaryOp op);
// Output dtype is bool.
constexpr bool binary_op_is_comparison(BinaryOp op) {
  return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le || op == BinaryOp::Gt ||
         op == BinaryOp::Ge;
}
// Inputs read as truth values, output bool.
constexpr bool binary_op_is_logical(BinaryOp op) {
  return op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr || op == BinaryOp::LogicalXor;
}
// Plain arithmetic, defined for every numeric dtype (the rest are floating-only backward helpers).
constexpr bool binary_op_is_arithmetic(BinaryOp op) {
  return op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul || op == BinaryOp::Div ||
         op == BinaryOp::Pow || op == BinaryOp::Maximum || op == BinaryOp::Minimum;
}

namespace functors {

template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T pow_impl(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b < 0) return a == 1 ? T(1) : (a == T(-1) ? ((b & 1) ? T(-1) : T(1)) : T(0));
    T r = 1;
    while (b) {
      if (b & 1) r *= a;
      a *= a;
      b >>= 1;
    }
    return r;
  } else {
    return ::pow(a, b);
  }
}

template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T nan_max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return a;
    if (b != b) return b;
  }
  return a > b ? a : b;
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T nan_min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return a;
    if (b != b) return b;
  }
  return a < b ? a : b;
}

// Integer division rounds toward zero as in C; PyTorch's true division of
// integers is handled by promoting to float before dispatch.
template <BinaryOp op>
struct Binary;
template <> struct Binary<BinaryOp::Add> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return a + b; } };
template <> struct Binary<BinaryOp::Sub> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return a - b; } };
template <> struct Binary<BinaryOp::Mul> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return a * b; } };
template <> struct Binary<BinaryOp::Div> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return a / b; } };
template <> struct Binary<BinaryOp::Pow> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return pow_impl(a, b); } };
template <> struct Binary<BinaryOp::Maximum> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return nan_max(a, b); } };
template <> struct Binary<BinaryOp::Minimum> { template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b) const { return nan_min(a, b); } };
template <> struct Binary<BinaryOp::Eq> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return a == b; } };
template <> struct Binary<BinaryOp::Ne> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return a != b; } };
template <> struct Binary<BinaryOp::Lt> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return a < b; } };
template <> struct Binary<BinaryOp::Le> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return a <= b; } };
template <> struct Binary<BinaryOp::Gt> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return a > b; } };
template <> struct Binary<BinaryOp::Ge> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return a >= b; } };
template <> struct Binary<BinaryOp::LogicalAnd> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) && (b != T(0)); } };
template <> struct Binary<BinaryOp::LogicalOr> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) || (b != T(0)); } };
template <> struct Binary<BinaryOp::LogicalXor> { template <typename T> SEEK_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); } };

template <> struct Binary<BinaryOp::ReluBackward> { template <typename T> SEEK_HOST_DEVICE T operator()(T g, T x) const { return x > T(0) ? g : T(0); } };
template <> struct Binary<BinaryOp::SigmoidBackward> { template <typename T> SEEK_HOST_DEVICE T operator()(T g, T y) const { return g * y * (T(1) - y); } };
template <> struct Binary<BinaryOp::TanhBackward> { template <typename T> SEEK_HOST_DEVICE T operator()(T g, T y) const { return g * (T(1) - y * y); } };
template <> struct Binary<BinaryOp::GeluBackward> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T g, T x) const {
    const T kAlpha = T(0.70710678118654752440);   // 1/sqrt(2)
    const T kBeta = T(0.39894228040143267794);    // 1/sqrt(2*pi)
    T cdf = T(0.5) * (T(1) + ::erf(x * kAlpha));
    T pdf = kBeta * ::exp(T(-0.5) * x * x);
    return g * (cdf + x * pdf);
  }
};
template <> struct Binary<BinaryOp::GeluTanhBackward> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T g, T x) const {
    const T kBeta = T(0.79788456080286535588);  // sqrt(2/pi)
    const T kKappa = T(0.044715);
    T inner = kBeta * (x + kKappa * x * x * x);
    T t = ::tanh(inner);
    T dinner = kBeta * (T(1) + T(3) * kKappa * x * x);
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dinner);
  }
};
template <> struct Binary<BinaryOp::SiluBackward> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T g, T x) const {
    T s = T(1) / (T(1) + ::exp(-x));
    return g * s * (T(1) + x * (T(1) - s));
  }
};
template <> struct Binary<BinaryOp::HardswishBackward> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T g, T x) const {
    if (x < T(-3)) return T(0);
    if (x <= T(3)) return g * (x / T(3) + T(0.5));
    return g;
  }
};
template <> struct Binary<BinaryOp::HardsigmoidBackward> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T g, T x) const {
    return (x > T(-3) && x < T(3)) ? g / T(6) : T(0);
  }
};

}  // namespace functors
}  // namespace seek
