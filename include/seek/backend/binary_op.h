#pragma once
// The binary elementwise family as one table, SEEK_BINARY_OPS: a row per op. From the
// rows come the BinaryOp enum, the names, the dtype rules, what backward saves, the
// scalar functors (shared by the CPU loop and the CUDA kernel; T is the arithmetic
// type, float for f16/bf16 storage), dispatch_binary and, for Plain rows, the free
// function seek::name(a, b), the method a.name(b) and the Python method and function.
// The backward formula of a differentiable row is binary_grad<BinaryOp::Name> in
// src/ops/binary.cpp. Inputs arrive broadcast and cast to one compute dtype.
//
// Columns: X(Enum, name, kind, saves, form, expression)
//   kind   Arith:    every numeric dtype, same dtype out, differentiable
//          Floating: integers and bool compute in float32, differentiable
//          Compare:  every dtype, bool out          Logical: truth values in, bool out
//          Helper:   floating only, a fused backward step of another family (a = gradient)
//   saves  AB (both inputs), ABOut (both inputs and the output), None
//   form   Plain: generated function, method and Python binding; Custom: written by hand
//   expression  the scalar result in terms of a and b (type T)
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "seek/core/error.h"
#include "seek/core/macros.h"
#include "seek/core/op_rows.h"

// The rows of the table: SEEK_BINARY_OPS in seek/core/op_rows.h.

namespace seek {

enum class BinaryOp {
#define SEEK_BINARY_ENUM(E, ...) E,
  SEEK_BINARY_OPS(SEEK_BINARY_ENUM)
#undef SEEK_BINARY_ENUM
};

enum class BinaryKind { Arith, Floating, Compare, Logical, Helper };
enum class BinarySaves { AB, ABOut, None };

constexpr const char* binary_op_name(BinaryOp op) {
  switch (op) {
#define SEEK_BINARY_NAME(E, name, ...) \
  case BinaryOp::E: return #name;
    SEEK_BINARY_OPS(SEEK_BINARY_NAME)
#undef SEEK_BINARY_NAME
  }
  return "binary";
}
constexpr BinaryKind binary_op_kind(BinaryOp op) {
  switch (op) {
#define SEEK_BINARY_KIND(E, name, kind, ...) \
  case BinaryOp::E: return BinaryKind::kind;
    SEEK_BINARY_OPS(SEEK_BINARY_KIND)
#undef SEEK_BINARY_KIND
  }
  return BinaryKind::Helper;
}
constexpr BinarySaves binary_op_saves(BinaryOp op) {
  switch (op) {
#define SEEK_BINARY_SAVES(E, name, kind, saves, ...) \
  case BinaryOp::E: return BinarySaves::saves;
    SEEK_BINARY_OPS(SEEK_BINARY_SAVES)
#undef SEEK_BINARY_SAVES
  }
  return BinarySaves::None;
}
// Output dtype is bool.
constexpr bool binary_op_is_comparison(BinaryOp op) { return binary_op_kind(op) == BinaryKind::Compare; }
// Inputs read as truth values, output bool.
constexpr bool binary_op_is_logical(BinaryOp op) { return binary_op_kind(op) == BinaryKind::Logical; }
// Plain arithmetic, defined for every numeric dtype.
constexpr bool binary_op_is_arithmetic(BinaryOp op) { return binary_op_kind(op) == BinaryKind::Arith; }
constexpr bool binary_op_differentiable(BinaryOp op) {
  return binary_op_kind(op) == BinaryKind::Arith || binary_op_kind(op) == BinaryKind::Floating;
}

// Every op of the family in table order (tests iterate it).
inline constexpr BinaryOp kBinaryOps[] = {
#define SEEK_BINARY_LIST(E, ...) BinaryOp::E,
    SEEK_BINARY_OPS(SEEK_BINARY_LIST)
#undef SEEK_BINARY_LIST
};

template <BinaryOp op>
using BinaryTag = std::integral_constant<BinaryOp, op>;

// fn(BinaryTag<op>{}) for the runtime op: the one switch over the enum.
template <typename F>
decltype(auto) dispatch_binary(BinaryOp op, F&& fn) {
  switch (op) {
#define SEEK_BINARY_DISPATCH(E, ...) \
  case BinaryOp::E: return std::forward<F>(fn)(BinaryTag<BinaryOp::E>{});
    SEEK_BINARY_OPS(SEEK_BINARY_DISPATCH)
#undef SEEK_BINARY_DISPATCH
  }
  throw Error("binary: unknown op " + std::to_string(static_cast<int>(op)));
}

namespace functors {

template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T pow_impl(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>) {
      if (b < 0) return a == 1 ? T(1) : (a == T(-1) ? ((b & 1) ? T(-1) : T(1)) : T(0));
    }
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

template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T gelu_backward_fn(T g, T x) {
  const T kAlpha = T(0.70710678118654752440);  // 1/sqrt(2)
  const T kBeta = T(0.39894228040143267794);   // 1/sqrt(2*pi)
  T cdf = T(0.5) * (T(1) + ::erf(x * kAlpha));
  T pdf = kBeta * ::exp(T(-0.5) * x * x);
  return g * (cdf + x * pdf);
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T gelu_tanh_backward_fn(T g, T x) {
  const T kBeta = T(0.79788456080286535588);  // sqrt(2/pi)
  const T kKappa = T(0.044715);
  T inner = kBeta * (x + kKappa * x * x * x);
  T t = ::tanh(inner);
  T dinner = kBeta * (T(1) + T(3) * kKappa * x * x);
  return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dinner);
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T silu_backward_fn(T g, T x) {
  T s = T(1) / (T(1) + ::exp(-x));
  return g * s * (T(1) + x * (T(1) - s));
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T hardswish_backward_fn(T g, T x) {
  if (x < T(-3)) return T(0);
  if (x <= T(3)) return g * (x / T(3) + T(0.5));
  return g;
}

// x log(y), and 0 where x == 0 unless y is NaN (as torch.xlogy).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T xlogy_fn(T x, T y) {
  if (y != y) return y;
  return x == T(0) ? T(0) : x * ::log(y);
}

// issue 12: elementwise. Integer division by zero gives 0 here; seek::binary_op
// rejects it before dispatch (as PyTorch's ZeroDivisionError).
// a - trunc(a / b) * b: the sign of a (C's fmod / %).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T fmod_fn(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return ::fmod(a, b);
  else
    return b == T(0) ? T(0) : static_cast<T>(a % b);
}
// a - floor(a / b) * b: the sign of b (Python's %).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T remainder_fn(T a, T b) {
  T r = fmod_fn(a, b);
  if constexpr (!std::is_unsigned_v<T>) {
    if (r != T(0) && ((r < T(0)) != (b < T(0)))) r = static_cast<T>(r + b);
  }
  return r;
}
// The quotient rounded toward zero.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T div_trunc_fn(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return ::trunc(a / b);
  else
    return b == T(0) ? T(0) : static_cast<T>(a / b);
}
// The quotient rounded toward -inf (Python's //). Floating: from fmod, so that the
// quotient is exact where a / b rounds up to an integer (as Python and PyTorch).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T div_floor_fn(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b == T(0)) return a / b;
    const T mod = ::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
    if (div == T(0)) return ::copysign(T(0), a / b);
    T floordiv = ::floor(div);
    if (div - floordiv > T(0.5)) floordiv += T(1);
    return floordiv;
  } else {
    if (b == T(0)) return T(0);
    T q = static_cast<T>(a / b);
    if constexpr (!std::is_unsigned_v<T>) {
      if ((a % b != T(0)) && ((a < T(0)) != (b < T(0)))) q = static_cast<T>(q - T(1));
    }
    return q;
  }
}

template <BinaryOp op, typename T>
using binary_out_t =
    std::conditional_t<binary_op_kind(op) == BinaryKind::Compare || binary_op_kind(op) == BinaryKind::Logical, bool, T>;

// Binary<op>{}(a, b): the row's expression. Integer division rounds toward zero as
// in C; PyTorch's true division of integers promotes to float before dispatch.
template <BinaryOp op>
struct Binary;
#define SEEK_BINARY_FUNCTOR(E, name, kind, saves, form, ...)                   \
  template <>                                                                  \
  struct Binary<BinaryOp::E> {                                                 \
    template <typename T>                                                      \
    SEEK_HOST_DEVICE binary_out_t<BinaryOp::E, T> operator()(T a, T b) const { \
      return static_cast<binary_out_t<BinaryOp::E, T>>(__VA_ARGS__);           \
    }                                                                          \
  };
SEEK_BINARY_OPS(SEEK_BINARY_FUNCTOR)
#undef SEEK_BINARY_FUNCTOR

}  // namespace functors
}  // namespace seek
