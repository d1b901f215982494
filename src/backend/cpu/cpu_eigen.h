#pragma once
// Eigen for the CPU kernels. GCC 12 reports false "may be used uninitialized"
// inside its own AVX-512 intrinsics once Eigen's packet math is inlined into a
// kernel, so every file that uses Eigen includes it through here; the pragmas
// deliberately stay in force for the rest of the including file, where the
// inlining happens.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>

#include <type_traits>

namespace seek::cpu {

// exp(x) as Eigen's vectorised exp, except that inputs whose exp is below the smallest normal number give
// exactly 0. Eigen 3.4's packet exp clamps its input at about -709 (double) / -88 (float), so exp(-inf)
// comes out as a denormal (5.6e-309 / 2.9e-39 with AVX2) instead of 0: a masked softmax position (-inf)
// would keep a sliver of weight where PyTorch gives none.
template <typename Derived>
auto exp_flushed(const Eigen::ArrayBase<Derived>& x) {
  using T = typename Derived::Scalar;
  constexpr T kBelow = std::is_same_v<T, float> ? T(-87.336544) : T(-708.39641853226408);  // log(min normal)
  return (x.derived() < kBelow).select(T(0), x.derived().exp());
}

}  // namespace seek::cpu
