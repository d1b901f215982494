#pragma once
// The random family's per-element draws as SEEK_HOST_DEVICE functors, shared by
// the CPU loop (src/backend/cpu/cpu_random.cpp) and the CUDA kernel
// (kernels/random.cu), so both devices turn a Philox block (seek/core/generator.h)
// into the same value of the output dtype T.
//
// The affine steps (u * width + lo, z * std + mean) round the product and the
// sum separately on every device: nvcc would otherwise contract them into one
// fused multiply-add and the GPU's uniforms would differ from the CPU's in the
// last bit. Normal draws still depend on each device's log/cos (last-bit
// differences are possible on a GPU; the simulated device runs the host libm).
#include <cstdint>
#include <type_traits>

#include "seek/core/convert.h"
#include "seek/core/generator.h"
#include "seek/core/macros.h"

namespace seek::rng {

// x * scale + shift with two roundings (never fused).
SEEK_HOST_DEVICE SEEK_INLINE float affine_rn(float x, float scale, float shift) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(__fmul_rn(x, scale), shift);
#else
  volatile float p = x * scale;  // volatile: no host FMA contraction either
  return p + shift;
#endif
}
SEEK_HOST_DEVICE SEEK_INLINE double affine_rn(double x, double scale, double shift) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(__dmul_rn(x, scale), shift);
#else
  volatile double p = x * scale;
  return p + shift;
#endif
}

// The arithmetic type of a floating draw into T: double for f64, float otherwise.
template <typename T>
using draw_acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Uniform in [lo, hi) of T; a value that rounds to hi becomes lo.
template <typename T>
struct UniformDraw {
  using A = draw_acc_t<T>;
  A lo, width;
  T tlo, thi;
  UniformDraw(double a, double b)
      : lo(static_cast<A>(a)),
        width(static_cast<A>(b - a)),
        tlo(convert<T>(static_cast<A>(a))),
        thi(convert<T>(static_cast<A>(b))) {}
  SEEK_HOST_DEVICE T operator()(const Philox4x32& blk) const {
    const T v = convert<T>(affine_rn(uniform<A>(blk), width, lo));
    return v == thi ? tlo : v;
  }
};

// Normal with mean a and standard deviation b.
template <typename T>
struct NormalDraw {
  using A = draw_acc_t<T>;
  A mean, sd;
  NormalDraw(double a, double b) : mean(static_cast<A>(a)), sd(static_cast<A>(b)) {}
  SEEK_HOST_DEVICE T operator()(const Philox4x32& blk) const { return convert<T>(affine_rn(normal<A>(blk), sd, mean)); }
};

// 1 with probability p, else 0.
template <typename T>
struct BernoulliDraw {
  double p;
  SEEK_HOST_DEVICE T operator()(const Philox4x32& blk) const { return convert<T>(static_cast<int>(bernoulli(blk, p))); }
};

// Integer in [low, low + range) (range 0 means 2^64).
template <typename T>
struct RandIntDraw {
  int64_t low;
  uint64_t range;
  RandIntDraw(double a, double b)
      : low(static_cast<int64_t>(a)), range(static_cast<uint64_t>(static_cast<int64_t>(b) - static_cast<int64_t>(a))) {}
  SEEK_HOST_DEVICE T operator()(const Philox4x32& blk) const { return convert<T>(randint(blk, low, range)); }
};

}  // namespace seek::rng
