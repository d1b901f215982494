#pragma once
// The reduction family: one enum value per op and one scalar "reducer" per op,
// shared by the CPU loops and the CUDA kernels. A reducer is a small struct
//
//   using in_t  = ...;   // type each element is converted to before `step`
//   using acc_t = ...;   // running state (a number, or a struct for var/logsumexp)
//   acc_t identity() const;                 // state of an empty reduction
//   acc_t step(acc_t acc, in_t x) const;    // fold one element in
//   acc_t combine(acc_t a, acc_t b) const;  // merge two partial states (a covers earlier elements)
//   out   finalize(acc_t acc) const;        // value to store (converted to the output dtype)
//
// so that a backend may split a reduction across lanes, threads or blocks in
// any order. `S` below is the storage type of the input (Half/BFloat16 compute
// in float; the CPU backend accumulates f32 sums in double, like PyTorch's CPU
// acc_type).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "seek/core/error.h"
#include "seek/core/half.h"
#include "seek/core/macros.h"

namespace seek {

// clang-format off
// The table: X(Enum, name, kind). kind: Sum (integers and bool give int64), Compare (same
// dtype out), Bool (bool out), Floating (floating inputs only). The reducers below differ
// in state and parameters, so each backend builds a row's reducer under dispatch_reduce.
#define SEEK_REDUCE_OPS(X)                                                                          \
  X(Sum, sum, Sum) X(Prod, prod, Sum) X(Max, max, Compare) X(Min, min, Compare)                     \
  X(All, all, Bool) X(Any, any, Bool)                                                               \
  X(SumSquares, sum_squares, Floating) /* sum of x^2 (norm p=2 before the sqrt) */                  \
  X(SumAbsPow, sum_abs_pow, Floating)  /* sum of |x|^p, p in ReduceParams */                        \
  X(MaxAbs, max_abs, Floating)         /* max |x| (inf-norm) */                                     \
  X(Mean, mean, Floating)              /* sum / N */                                                \
  X(Norm, norm, Floating)              /* p-norm with the root applied: p = 1, 2, inf or any p > 0 */ \
  X(Var, var, Floating)                /* sum (x - mean)^2 / max(N - correction, 0) */              \
  X(Std, std, Floating)                /* sqrt(Var) */                                              \
  X(LogSumExp, logsumexp, Floating)    /* max + log(sum exp(x - max)); -inf when all are -inf */
// clang-format on

enum class ReduceOp {
#define SEEK_REDUCE_ENUM(E, ...) E,
  SEEK_REDUCE_OPS(SEEK_REDUCE_ENUM)
#undef SEEK_REDUCE_ENUM
};

struct ReduceParams {
  double p = 2.0;           // SumAbsPow, Norm
  double correction = 1.0;  // Var, Std (Bessel's correction by default)
};

constexpr const char* reduce_op_name(ReduceOp op) {
  switch (op) {
#define SEEK_REDUCE_NAME(E, name, kind) \
  case ReduceOp::E: return #name;
    SEEK_REDUCE_OPS(SEEK_REDUCE_NAME)
#undef SEEK_REDUCE_NAME
  }
  return "reduce";
}

enum class ReduceKind { Sum, Compare, Bool, Floating };
constexpr ReduceKind reduce_op_kind(ReduceOp op) {
  switch (op) {
#define SEEK_REDUCE_KIND(E, name, kind) \
  case ReduceOp::E: return ReduceKind::kind;
    SEEK_REDUCE_OPS(SEEK_REDUCE_KIND)
#undef SEEK_REDUCE_KIND
  }
  return ReduceKind::Floating;
}

template <ReduceOp op>
using ReduceTag = std::integral_constant<ReduceOp, op>;

// fn(ReduceTag<op>{}) for the runtime op: the one switch over the enum.
template <typename F>
decltype(auto) dispatch_reduce(ReduceOp op, F&& fn) {
  switch (op) {
#define SEEK_REDUCE_DISPATCH(E, name, kind) \
  case ReduceOp::E: return std::forward<F>(fn)(ReduceTag<ReduceOp::E>{});
    SEEK_REDUCE_OPS(SEEK_REDUCE_DISPATCH)
#undef SEEK_REDUCE_DISPATCH
  }
  throw Error("reduce: unknown op " + std::to_string(static_cast<int>(op)));
}

namespace reducers {

template <typename T>
inline constexpr bool is_half_like_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// Accumulator type of sum-like reductions: int64 for integers and bool,
// double for f32/f64, float for f16/bf16.
template <typename S>
using sum_acc_t =
    std::conditional_t<std::is_integral_v<S>, int64_t, std::conditional_t<is_half_like_v<S>, float, double>>;
// Compute type of max/min-like reductions: the type itself, float for f16/bf16.
template <typename S>
using cmp_t = std::conditional_t<is_half_like_v<S>, float, S>;

template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE constexpr T lowest() {
  if constexpr (std::is_floating_point_v<T>)
    return -std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::lowest();
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE constexpr T highest() {
  if constexpr (std::is_floating_point_v<T>)
    return std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::max();
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return x != x;
  else
    return false;
}
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T abs_of(T x) {
  if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>)
    return x;
  else
    return x < T(0) ? -x : x;
}

template <typename S>
struct Sum {
  using in_t = sum_acc_t<S>;
  using acc_t = in_t;
  SEEK_HOST_DEVICE acc_t identity() const { return acc_t(0); }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a + x; }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return a + b; }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};

// inv_n = 1 / N (NaN for an empty reduction, as 0 * inf).
template <typename S>
struct Mean : Sum<S> {
  using typename Sum<S>::acc_t;
  acc_t inv_n;
  SEEK_HOST_DEVICE explicit Mean(double inv) : inv_n(static_cast<acc_t>(inv)) {}
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a * inv_n; }
};

template <typename S>
struct Prod {
  using in_t = sum_acc_t<S>;
  using acc_t = in_t;
  SEEK_HOST_DEVICE acc_t identity() const { return acc_t(1); }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a * x; }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return a * b; }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};

// NaN propagates: once the state is NaN it stays NaN.
template <typename S>
struct Max {
  using in_t = cmp_t<S>;
  using acc_t = in_t;
  SEEK_HOST_DEVICE acc_t identity() const { return lowest<acc_t>(); }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return (x > a || is_nan(x)) ? x : a; }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return is_nan(a) ? a : step(a, b); }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};
template <typename S>
struct Min {
  using in_t = cmp_t<S>;
  using acc_t = in_t;
  SEEK_HOST_DEVICE acc_t identity() const { return highest<acc_t>(); }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return (x < a || is_nan(x)) ? x : a; }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return is_nan(a) ? a : step(a, b); }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};

template <typename S>
struct All {
  using in_t = cmp_t<S>;
  using acc_t = bool;
  SEEK_HOST_DEVICE acc_t identity() const { return true; }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a && (x != in_t(0)); }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return a && b; }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};
template <typename S>
struct Any {
  using in_t = cmp_t<S>;
  using acc_t = bool;
  SEEK_HOST_DEVICE acc_t identity() const { return false; }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a || (x != in_t(0)); }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return a || b; }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};

// sum x^2, with sqrt at the end when `root` (the 2-norm).
template <typename S>
struct SumSquares : Sum<S> {
  using typename Sum<S>::acc_t;
  using typename Sum<S>::in_t;
  bool root = false;
  SEEK_HOST_DEVICE explicit SumSquares(bool r = false) : root(r) {}
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a + x * x; }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return root ? std::sqrt(a) : a; }
};
// sum |x| (the 1-norm).
template <typename S>
struct SumAbs : Sum<S> {
  using typename Sum<S>::acc_t;
  using typename Sum<S>::in_t;
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a + abs_of(x); }
};
// sum |x|^p, with the 1/p root at the end when `root`.
template <typename S>
struct SumAbsPow : Sum<S> {
  using typename Sum<S>::acc_t;
  using typename Sum<S>::in_t;
  acc_t p;
  bool root;
  SEEK_HOST_DEVICE SumAbsPow(double p_, bool r) : p(static_cast<acc_t>(p_)), root(r) {}
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const { return a + std::pow(abs_of(x), p); }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return root ? std::pow(a, acc_t(1) / p) : a; }
};
// max |x| (the inf-norm); NaN propagates.
template <typename S>
struct MaxAbs {
  using in_t = cmp_t<S>;
  using acc_t = in_t;
  SEEK_HOST_DEVICE acc_t identity() const { return acc_t(0); }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const {
    in_t ax = abs_of(x);
    return (ax > a || is_nan(ax)) ? ax : a;
  }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const { return (b > a || is_nan(b)) && !is_nan(a) ? b : a; }
  SEEK_HOST_DEVICE acc_t finalize(acc_t a) const { return a; }
};

// Welford's running mean and sum of squared deviations, merged with Chan's formula.
template <typename A>
struct WelfordState {
  A mean;
  A m2;
  A n;
};
template <typename S>
struct Var {
  using in_t = sum_acc_t<S>;
  using acc_t = WelfordState<in_t>;
  in_t correction;
  bool take_sqrt;
  SEEK_HOST_DEVICE Var(double c, bool sq) : correction(static_cast<in_t>(c)), take_sqrt(sq) {}
  SEEK_HOST_DEVICE acc_t identity() const { return {in_t(0), in_t(0), in_t(0)}; }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const {
    a.n += in_t(1);
    in_t d = x - a.mean;
    a.mean += d / a.n;
    a.m2 += d * (x - a.mean);
    return a;
  }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if (b.n == in_t(0)) return a;
    if (a.n == in_t(0)) return b;
    in_t n = a.n + b.n;
    in_t d = b.mean - a.mean;
    return {a.mean + d * (b.n / n), a.m2 + b.m2 + d * d * (a.n * b.n / n), n};
  }
  SEEK_HOST_DEVICE in_t finalize(acc_t a) const {
    in_t dof = a.n - correction;
    in_t v = a.m2 / (dof > in_t(0) ? dof : in_t(0));
    return take_sqrt ? std::sqrt(v) : v;
  }
};

// Online log-sum-exp: state (m, s) stands for m + log(s). Elements equal to -inf
// add nothing; +inf and NaN propagate.
template <typename A>
struct LseState {
  A m;
  A s;
};
template <typename S>
struct LogSumExp {
  using in_t = cmp_t<S>;
  using acc_t = LseState<in_t>;
  SEEK_HOST_DEVICE acc_t identity() const { return {lowest<in_t>(), in_t(0)}; }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x) const {
    if (is_nan(a.m)) return a;
    if (x > a.m) {
      a.s = a.s * std::exp(a.m - x) + in_t(1);
      a.m = x;
    } else if (x < a.m) {
      a.s += std::exp(x - a.m);
    } else if (x == a.m) {  // also +inf == +inf; -inf adds nothing
      if (x != lowest<in_t>()) a.s += in_t(1);
    } else {  // x is NaN
      a.m = x;
      a.s = in_t(1);
    }
    return a;
  }
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if (is_nan(a.m) || b.s == in_t(0)) return a;
    if (is_nan(b.m) || a.s == in_t(0)) return b;
    if (a.m == b.m) return {a.m, a.s + b.s};
    if (a.m > b.m) return {a.m, a.s + b.s * std::exp(b.m - a.m)};
    return {b.m, b.s + a.s * std::exp(a.m - b.m)};
  }
  SEEK_HOST_DEVICE in_t finalize(acc_t a) const {
    if (a.s == in_t(0)) return lowest<in_t>();
    if (is_nan(a.m) || a.m == highest<in_t>()) return a.m;
    return a.m + std::log(a.s);
  }
};

// max/min with the index of the winner (first index on ties, NaN wins and propagates).
template <typename A>
struct ArgState {
  A value;
  int64_t index;
};
template <typename S, bool IsMax>
struct ArgReduce {
  using in_t = cmp_t<S>;
  using acc_t = ArgState<in_t>;
  SEEK_HOST_DEVICE acc_t identity() const { return {IsMax ? lowest<in_t>() : highest<in_t>(), -1}; }
  SEEK_HOST_DEVICE static bool better(in_t x, in_t best) {
    if (is_nan(best)) return false;
    if (is_nan(x)) return true;
    return IsMax ? x > best : x < best;
  }
  SEEK_HOST_DEVICE acc_t step(acc_t a, in_t x, int64_t i) const {
    return (a.index < 0 || better(x, a.value)) ? acc_t{x, i} : a;
  }
  // a covers earlier indices than b, so it keeps ties.
  SEEK_HOST_DEVICE acc_t combine(acc_t a, acc_t b) const {
    if (b.index < 0) return a;
    if (a.index < 0) return b;
    return better(b.value, a.value) ? b : a;
  }
};

}  // namespace reducers
}  // namespace seek
