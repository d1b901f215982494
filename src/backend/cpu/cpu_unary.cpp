// CPU unary family: dispatch_unary picks the row's functor, run over the strided
// elementwise loop for the dtypes of the row's kind. f16/bf16 compute in float. Contiguous runs of the
// transcendental ops go through Eigen's vectorised array functions (libm's
// scalar calls cannot be vectorised by the compiler without -fno-math-errno);
// everything else runs the shared scalar functor.
#include "backend/cpu/cpu_eigen.h"
#include <algorithm>
#include <unsupported/Eigen/SpecialFunctions>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

// Ops with a vectorised Eigen form for contiguous T (float or double). Eigen
// 3.4 vectorises exp/log for both, and sin/cos/tanh/logistic/erf for float
// only, so double keeps the scalar functor for those. sqrt stays on the
// functor: Eigen's AVX-512 sqrt is an rsqrt estimate plus Newton steps, not
// the correctly rounded result.
template <UnaryOp op, typename T>
constexpr bool has_eigen_unary() {
  constexpr bool both = op == UnaryOp::Exp || op == UnaryOp::Log || op == UnaryOp::Log1p;
  constexpr bool float_only = op == UnaryOp::Sin || op == UnaryOp::Cos || op == UnaryOp::Tanh ||
                              op == UnaryOp::Sigmoid || op == UnaryOp::Erf || op == UnaryOp::GeluErf ||
                              op == UnaryOp::GeluTanh || op == UnaryOp::Silu;
  return both || (float_only && std::is_same_v<T, float>);
}

template <UnaryOp op, typename T>
void eigen_unary(const T* in, T* out, int64_t n) {
  using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const Arr> x(in, n);
  Eigen::Map<Arr> y(out, n);
  if constexpr (op == UnaryOp::Exp)
    y = x.exp();
  else if constexpr (op == UnaryOp::Log)
    y = x.log();
  else if constexpr (op == UnaryOp::Log1p)
    y = x.log1p();
  else if constexpr (op == UnaryOp::Sin)
    y = x.sin();
  else if constexpr (op == UnaryOp::Cos)
    y = x.cos();
  else if constexpr (op == UnaryOp::Tanh)
    y = x.tanh();
  else if constexpr (op == UnaryOp::Sigmoid)
    y = x.logistic();
  else if constexpr (op == UnaryOp::Erf)
    y = x.erf();
  else if constexpr (op == UnaryOp::GeluErf)
    y = T(0.5) * x * (T(1) + (x * T(0.70710678118654752440)).erf());
  else if constexpr (op == UnaryOp::GeluTanh)
    y = T(0.5) * x * (T(1) + (T(0.79788456080286535588) * (x + T(0.044715) * x.cube())).tanh());
  else if constexpr (op == UnaryOp::Silu)
    y = x * x.logistic();
}

template <UnaryOp op>
functors::Unary<op> make_functor(const UnaryParams& p) {
  return functors::Unary<op>{p.a, p.b};
}

// out[i] = f(in[i]) for one dtype T. Contiguous runs of an op with an Eigen
// form take it: float/double directly, f16/bf16 by widening blocks of 256
// values to float on the stack, running the float expression and rounding back.
template <UnaryOp op, typename T>
void unary_same_type(const Tensor& in, const Tensor& out, const UnaryParams& p) {
  auto f = make_functor<op>(p);
  using A = acc_t<T>;
  constexpr bool floating = std::is_floating_point_v<T> || is_reduced_float_v<T>;
  if constexpr (floating && has_eigen_unary<op, A>()) {
    for_each<2>({&out, &in}, [f](char** ptr, const int64_t* s, int64_t n) {
      constexpr int64_t sz = sizeof(T);
      if (s[0] == sz && s[1] == sz) {
        const T* x = reinterpret_cast<const T*>(ptr[1]);
        T* y = reinterpret_cast<T*>(ptr[0]);
        if constexpr (std::is_same_v<T, A>) {
          eigen_unary<op, A>(x, y, n);
        } else {
          constexpr int64_t kBlock = 256;
          float buf[kBlock];
          for (int64_t b = 0; b < n; b += kBlock) {
            const int64_t m = std::min(kBlock, n - b);
            for (int64_t i = 0; i < m; ++i) buf[i] = convert<float>(x[b + i]);
            eigen_unary<op, float>(buf, buf, m);
            for (int64_t i = 0; i < m; ++i) y[b + i] = convert<T>(buf[i]);
          }
        }
      } else {
        for (int64_t i = 0; i < n; ++i) {
          *reinterpret_cast<T*>(ptr[0] + i * s[0]) =
              convert<T>(f(convert<A>(*reinterpret_cast<const T*>(ptr[1] + i * s[1]))));
        }
      }
    });
    return;
  }
  unary_kernel<T, T>(in, out, f);
}

// The row's kind picks the dtypes it is instantiated for.
template <UnaryOp op>
void run_unary(const Tensor& in, const Tensor& out, const UnaryParams& p) {
  constexpr UnaryKind kind = unary_op_kind(op);
  if constexpr (kind == UnaryKind::ToBool) {
    auto f = make_functor<op>(p);
    SEEK_DISPATCH_ALL(in.dtype(), unary_op_name(op), [&] { unary_kernel<bool, scalar_t>(in, out, f); });
  } else if constexpr (kind == UnaryKind::AllTypes) {
    SEEK_DISPATCH_ALL(in.dtype(), unary_op_name(op), [&] { unary_same_type<op, scalar_t>(in, out, p); });
  } else if constexpr (kind == UnaryKind::Integers) {
    SEEK_DISPATCH_NUMERIC(in.dtype(), unary_op_name(op), [&] { unary_same_type<op, scalar_t>(in, out, p); });
  } else {
    SEEK_DISPATCH_FLOATING(in.dtype(), unary_op_name(op), [&] { unary_same_type<op, scalar_t>(in, out, p); });
  }
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p) {
  SEEK_CHECK_SHAPE(in.sizes() == out.sizes(), unary_op_name(op), ": input shape ", shape_str(in.sizes()),
                   " differs from output shape ", shape_str(out.sizes()));
  SEEK_CHECK_DTYPE(out.dtype() == (unary_op_kind(op) == UnaryKind::ToBool ? kBool : in.dtype()), unary_op_name(op),
                   ": unexpected output dtype ", out.dtype(), " for input dtype ", in.dtype());
  dispatch_unary(op, [&](auto tag) { run_unary<decltype(tag)::value>(in, out, p); });
}

}  // namespace seek::cpu
