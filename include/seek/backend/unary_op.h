#pragma once
// The unary elementwise family as one table, SEEK_UNARY_OPS: a row per op. Everything
// else is generated from the rows: the UnaryOp enum, the printable names, the dtype
// and saved-tensor rules, the scalar functors (shared by the CPU loop and the CUDA
// kernel; T is the arithmetic type, float for f16/bf16 storage), dispatch_unary, and,
// for the rows whose form is not Custom, the free functions (seek/ops/unary.h), the
// Tensor methods (seek/core/tensor.h) and the Python methods (python/src/tensor_ops.cpp).
// The backward formula of a row is unary_grad<UnaryOp::Name> in src/ops/unary.cpp.
//
// Columns: X(Enum, name, kind, saves, form, arg, expression)
//   kind   Floating: floating dtypes only, integers and bool compute in float32
//          Integers: also keeps integer dtypes (not bool)
//          AllTypes: every dtype, bool included, same dtype out
//          ToBool:   every dtype in, bool out (not differentiable)
//   saves  what backward needs: Input, Output or None
//   form   Plain:     seek::name(t), t.name(), Python t.name() / seek.name(t)
//          Fp32:      the same, the input cast to float32 under autocast
//          OptDouble: name(t, std::optional<double> arg = nullopt) -> params {a = arg, b = has arg}
//          Custom:    free function, method and binding written by hand
//   arg    the argument name of an OptDouble row (_ otherwise)
//   expression  the scalar result, in terms of x (type T) and the params a, b (double)
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "seek/core/error.h"
#include "seek/core/macros.h"
#include "seek/core/op_rows.h"

// The rows of the table: SEEK_UNARY_OPS in seek/core/op_rows.h.

namespace seek {

enum class UnaryOp {
#define SEEK_UNARY_ENUM(E, ...) E,
  SEEK_UNARY_OPS(SEEK_UNARY_ENUM)
#undef SEEK_UNARY_ENUM
};

enum class UnaryKind { Floating, Integers, AllTypes, ToBool };
enum class UnarySaves { Input, Output, None };

// Extra arguments some unary ops take (softplus: a = beta, b = threshold; an
// OptDouble row: a = the argument, b = 1 when it is given).
struct UnaryParams {
  double a = 0.0;
  double b = 0.0;
};

constexpr const char* unary_op_name(UnaryOp op) {
  switch (op) {
#define SEEK_UNARY_NAME(E, name, ...) \
  case UnaryOp::E: return #name;
    SEEK_UNARY_OPS(SEEK_UNARY_NAME)
#undef SEEK_UNARY_NAME
  }
  return "unary";
}
constexpr UnaryKind unary_op_kind(UnaryOp op) {
  switch (op) {
#define SEEK_UNARY_KIND(E, name, kind, ...) \
  case UnaryOp::E: return UnaryKind::kind;
    SEEK_UNARY_OPS(SEEK_UNARY_KIND)
#undef SEEK_UNARY_KIND
  }
  return UnaryKind::Floating;
}
constexpr UnarySaves unary_op_saves(UnaryOp op) {
  switch (op) {
#define SEEK_UNARY_SAVES(E, name, kind, saves, ...) \
  case UnaryOp::E: return UnarySaves::saves;
    SEEK_UNARY_OPS(SEEK_UNARY_SAVES)
#undef SEEK_UNARY_SAVES
  }
  return UnarySaves::None;
}
// Ops defined on integer dtypes too (the rest compute in floating point only).
constexpr bool unary_op_keeps_integers(UnaryOp op) { return unary_op_kind(op) != UnaryKind::Floating; }
constexpr bool unary_op_differentiable(UnaryOp op) { return unary_op_kind(op) != UnaryKind::ToBool; }

// Every op of the family in table order (tests iterate it).
inline constexpr UnaryOp kUnaryOps[] = {
#define SEEK_UNARY_LIST(E, ...) UnaryOp::E,
    SEEK_UNARY_OPS(SEEK_UNARY_LIST)
#undef SEEK_UNARY_LIST
};

template <UnaryOp op>
using UnaryTag = std::integral_constant<UnaryOp, op>;

// fn(UnaryTag<op>{}) for the runtime op: the one switch over the enum, so a backend
// instantiates its loop or kernel per op with `decltype(tag)::value` as a constant.
template <typename F>
decltype(auto) dispatch_unary(UnaryOp op, F&& fn) {
  switch (op) {
#define SEEK_UNARY_DISPATCH(E, ...) \
  case UnaryOp::E: return std::forward<F>(fn)(UnaryTag<UnaryOp::E>{});
    SEEK_UNARY_OPS(SEEK_UNARY_DISPATCH)
#undef SEEK_UNARY_DISPATCH
  }
  throw Error("unary: unknown op " + std::to_string(static_cast<int>(op)));
}

namespace functors {

// libm calls that resolve to the float overloads on the host (std::) and to
// CUDA's device overloads in device code (::).
namespace math {
#if defined(__CUDA_ARCH__)
#define SEEK_UNARY_MATH_FN(name)             \
  template <typename T>                      \
  SEEK_HOST_DEVICE SEEK_INLINE T name(T x) { \
    return ::name(x);                        \
  }
#else
#define SEEK_UNARY_MATH_FN(name)             \
  template <typename T>                      \
  SEEK_HOST_DEVICE SEEK_INLINE T name(T x) { \
    return std::name(x);                     \
  }
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
// issue 12: elementwise
SEEK_UNARY_MATH_FN(expm1)
SEEK_UNARY_MATH_FN(log2)
SEEK_UNARY_MATH_FN(log10)
SEEK_UNARY_MATH_FN(tan)
SEEK_UNARY_MATH_FN(asin)
SEEK_UNARY_MATH_FN(acos)
SEEK_UNARY_MATH_FN(atan)
SEEK_UNARY_MATH_FN(sinh)
SEEK_UNARY_MATH_FN(cosh)
SEEK_UNARY_MATH_FN(asinh)
SEEK_UNARY_MATH_FN(acosh)
SEEK_UNARY_MATH_FN(atanh)
SEEK_UNARY_MATH_FN(trunc)
#undef SEEK_UNARY_MATH_FN
}  // namespace math

// Helpers of the rows whose expression needs more than one line.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T abs_fn(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return math::fabs(x);
  else if constexpr (std::is_unsigned_v<T>)
    return x;
  else
    return static_cast<T>(x < T(0) ? -x : x);
}
// NaN propagates (relu(nan) = nan), as in PyTorch.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T relu_fn(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return (x > T(0) || x != x) ? x : T(0);
  else
    return x > T(0) ? x : T(0);
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T relu6_fn(T r) {
  return r < T(0) ? T(0) : (r > T(6) ? T(6) : r);
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T gelu_erf_fn(T x) {
  const T kAlpha = T(0.70710678118654752440);  // 1/sqrt(2)
  return T(0.5) * x * (T(1) + math::erf(x * kAlpha));
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T gelu_tanh_fn(T x) {
  const T kBeta = T(0.79788456080286535588);  // sqrt(2/pi)
  const T kKappa = T(0.044715);
  return T(0.5) * x * (T(1) + math::tanh(kBeta * (x + kKappa * x * x * x)));
}
// softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T softplus_fn(T x, T beta, T threshold) {
  const T bx = x * beta;
  return bx > threshold ? x : math::log1p(math::exp(bx)) / beta;
}
// sign(nan) = 0 and sign(bool) = the bool, as in PyTorch.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T sign_fn(T x) {
  if constexpr (std::is_same_v<T, bool>)
    return x;
  else if constexpr (std::is_unsigned_v<T>)
    return static_cast<T>(x > T(0));
  else
    return static_cast<T>(T(x > T(0)) - T(x < T(0)));
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T floor_fn(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return math::floor(x);
  else
    return x;
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T ceil_fn(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return math::ceil(x);
  else
    return x;
}
// Half to even; with decimals d (params: a = 10^|d|, b = the sign of d, 0 without
// decimals) as torch.round(x, decimals=d): nearbyint(x * 10^d) / 10^d, or
// nearbyint(x / 10^-d) * 10^-d for d < 0.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T round_fn(T x, double a = 0.0, double b = 0.0) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b > 0.0) return math::nearbyint(x * T(a)) / T(a);
    if (b < 0.0) return math::nearbyint(x / T(a)) * T(a);
    return math::nearbyint(x);
  } else {
    return x;
  }
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T trunc_fn(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return math::trunc(x);
  else
    return x;
}
// Integers and bool are never infinite.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE bool isinf_fn(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return x == x && (x - x) != (x - x);
  else
    return false;
}

// x < 0, without comparing an unsigned x (bool included) with zero.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE bool negative_fn(T x) {
  if constexpr (std::is_unsigned_v<T>)
    return false;
  else
    return x < T(0);
}

// log(x / (1 - x)), x clamped to [eps, 1 - eps] first when eps is given.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T logit_fn(T x, T eps, bool has_eps) {
  if (has_eps) x = x < eps ? eps : (x > T(1) - eps ? T(1) - eps : x);
  return math::log(x / (T(1) - x));
}

// ---- issue 12: nn activations ----
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T act_expm1(T x) {
#if defined(__CUDA_ARCH__)
  return ::expm1(x);
#else
  return std::expm1(x);
#endif
}
// scale * (x > 0 ? x : alpha * (exp(x) - 1)); selu is elu with its fixed alpha and scale.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T elu_fn(T x, T alpha, T scale) {
  return x > T(0) ? scale * x : scale * alpha * act_expm1(x);
}
// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T celu_fn(T x, T alpha) {
  return x > T(0) ? x : alpha * act_expm1(x / alpha);
}
// log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for large |x|.
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T logsigmoid_fn(T x) {
  return (x < T(0) ? x : T(0)) - math::log1p(math::exp(-math::fabs(x)));
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T hardtanh_fn(T x, T lo, T hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T softshrink_fn(T x, T lambd) {
  return x > lambd ? x - lambd : (x < -lambd ? x + lambd : T(0));
}

template <UnaryOp op, typename T>
using unary_out_t = std::conditional_t<unary_op_kind(op) == UnaryKind::ToBool, bool, T>;

// Unary<op>{a, b}(x): the row's expression.
template <UnaryOp op>
struct Unary;
#define SEEK_UNARY_FUNCTOR(E, name, kind, saves, form, arg, ...)        \
  template <>                                                           \
  struct Unary<UnaryOp::E> {                                            \
    double a = 0.0, b = 0.0;                                            \
    template <typename T>                                               \
    SEEK_HOST_DEVICE unary_out_t<UnaryOp::E, T> operator()(T x) const { \
      return static_cast<unary_out_t<UnaryOp::E, T>>(__VA_ARGS__);      \
    }                                                                   \
  };
SEEK_UNARY_OPS(SEEK_UNARY_FUNCTOR)
#undef SEEK_UNARY_FUNCTOR

}  // namespace functors
}  // namespace seek
