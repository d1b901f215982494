#pragma once
// Three-operand elementwise ops (where, clamp, lerp, addcmul, addcdiv) as one table,
// SEEK_TERNARY_OPS: X(Enum, name, kind) generates the enum, the names, the dtype class
// and dispatch_ternary; the scalar functor of a row is functors::Ternary<TernaryOp::Enum>
// below, shared by the CPU loop and the CUDA kernel (T is the arithmetic type, float for
// f16/bf16 storage). The ops take differing arguments (a mask, optional bounds, a value),
// so their functions, methods and backward formulas stay written by hand in
// src/ops/ternary.cpp.
//   kind  Where: bool condition, any dtype; Numeric: every numeric dtype; Floating only.
#include <string>
#include <type_traits>
#include <utility>

#include "seek/core/error.h"
#include "seek/core/macros.h"

// clang-format off
#define SEEK_TERNARY_OPS(X)          \
  X(Where,   where,   Where)    /* out = a ? b : c   (a is bool) */                    \
  X(Clamp,   clamp,   Numeric)  /* out = min(max(a, b), c), b/c lower/upper bounds */  \
  X(Lerp,    lerp,    Floating) /* out = a + c * (b - a) */                            \
  X(Addcmul, addcmul, Numeric)  /* out = a + value * b * c */                          \
  X(Addcdiv, addcdiv, Floating) /* out = a + value * b / c */
// clang-format on

namespace seek {

enum class TernaryOp {
#define SEEK_TERNARY_ENUM(E, ...) E,
  SEEK_TERNARY_OPS(SEEK_TERNARY_ENUM)
#undef SEEK_TERNARY_ENUM
};

enum class TernaryKind { Where, Numeric, Floating };

struct TernaryParams {
  double value = 1.0;
};

constexpr const char* ternary_op_name(TernaryOp op) {
  switch (op) {
#define SEEK_TERNARY_NAME(E, name, ...) \
  case TernaryOp::E: return #name;
    SEEK_TERNARY_OPS(SEEK_TERNARY_NAME)
#undef SEEK_TERNARY_NAME
  }
  return "ternary";
}
constexpr TernaryKind ternary_op_kind(TernaryOp op) {
  switch (op) {
#define SEEK_TERNARY_KIND(E, name, kind, ...) \
  case TernaryOp::E: return TernaryKind::kind;
    SEEK_TERNARY_OPS(SEEK_TERNARY_KIND)
#undef SEEK_TERNARY_KIND
  }
  return TernaryKind::Numeric;
}

template <TernaryOp op>
using TernaryTag = std::integral_constant<TernaryOp, op>;

// fn(TernaryTag<op>{}) for the runtime op: the one switch over the enum.
template <typename F>
decltype(auto) dispatch_ternary(TernaryOp op, F&& fn) {
  switch (op) {
#define SEEK_TERNARY_DISPATCH(E, ...) \
  case TernaryOp::E: return std::forward<F>(fn)(TernaryTag<TernaryOp::E>{});
    SEEK_TERNARY_OPS(SEEK_TERNARY_DISPATCH)
#undef SEEK_TERNARY_DISPATCH
  }
  throw Error("ternary: unknown op " + std::to_string(static_cast<int>(op)));
}

namespace functors {

template <TernaryOp op>
struct Ternary;

template <>
struct Ternary<TernaryOp::Where> {
  template <typename T>
  SEEK_HOST_DEVICE T operator()(bool c, T x, T y) const {
    return c ? x : y;
  }
};
// NaN in the input or in a bound gives NaN; lo > hi gives hi (like std::min(std::max(x, lo), hi)).
template <>
struct Ternary<TernaryOp::Clamp> {
  template <typename T>
  SEEK_HOST_DEVICE T operator()(T x, T lo, T hi) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (lo != lo) return lo;
      if (hi != hi) return hi;
    }
    T r = x < lo ? lo : x;
    return hi < r ? hi : r;
  }
};
// Two formulas so that lerp(a, b, 0) == a and lerp(a, b, 1) == b exactly (as PyTorch).
template <>
struct Ternary<TernaryOp::Lerp> {
  template <typename T>
  SEEK_HOST_DEVICE T operator()(T a, T b, T w) const {
    const T d = b - a;
    return (w < T(0.5) && w > T(-0.5)) ? a + w * d : b - d * (T(1) - w);
  }
};
template <>
struct Ternary<TernaryOp::Addcmul> {
  double value = 1.0;
  template <typename T>
  SEEK_HOST_DEVICE T operator()(T a, T b, T c) const {
    return static_cast<T>(a + static_cast<T>(value) * b * c);
  }
};
template <>
struct Ternary<TernaryOp::Addcdiv> {
  double value = 1.0;
  template <typename T>
  SEEK_HOST_DEVICE T operator()(T a, T b, T c) const {
    return a + static_cast<T>(value) * b / c;
  }
};

}  // namespace functors
}  // namespace seek
