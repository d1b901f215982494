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
