#pragma once
// Three-operand elementwise ops (where, clamp, lerp, addcmul, addcdiv): one
// enum value and one scalar functor per op, shared by the CPU loop and the
// CUDA kernel. T is the arithmetic type (float for f16/bf16 storage).
#include <type_traits>

#include "seek/core/macros.h"

namespace seek {

enum class TernaryOp {
  Where,    // out = a ? b : c   (a is bool)
  Clamp,    // out = min(max(a, b), c) with b/c lower/upper bounds
  Lerp,     // out = a + c * (b - a)
  Addcmul,  // out = a + value * b * c
  Addcdiv,  // out = a + value * b / c
};

struct TernaryParams {
  double value = 1.0;
};

const char* ternary_op_name(TernaryOp op);

namespace functors {

template <TernaryOp op>
struct Ternary;

template <> struct Ternary<TernaryOp::Where> {
  template <typename T> SEEK_HOST_DEVICE T operator()(bool c, T x, T y) const { return c ? x : y; }
};
// NaN in the input or in a bound gives NaN; lo > hi gives hi (like std::min(std::max(x, lo), hi)).
template <> struct Ternary<TernaryOp::Clamp> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T x, T lo, T hi) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (lo != lo) return lo;
      if (hi != hi) return hi;
    }
    T r = x < lo ? lo : x;
    return hi < r ? hi : r;
  }
};
// Two formulas so that lerp(a, b, 0) == a and lerp(a, b, 1) == b exactly (as PyTorch).
template <> struct Ternary<TernaryOp::Lerp> {
  template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b, T w) const {
    const T d = b - a;
    return (w < T(0.5) && w > T(-0.5)) ? a + w * d : b - d * (T(1) - w);
  }
};
template <> struct Ternary<TernaryOp::Addcmul> {
  double value = 1.0;
  template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b, T c) const {
    return static_cast<T>(a + static_cast<T>(value) * b * c);
  }
};
template <> struct Ternary<TernaryOp::Addcdiv> {
  double value = 1.0;
  template <typename T> SEEK_HOST_DEVICE T operator()(T a, T b, T c) const { return a + static_cast<T>(value) * b / c; }
};

}  // namespace functors
}  // namespace seek
