#pragma once
// Device intrinsics the CUDA toolkit leaves undeclared in host code, for the
// SIMT simulator (included by sim_prelude.h): fast math (computed at full
// precision: the simulator does not model the GPU's approximation error),
// bit reinterpretation and counting, rounding conversions, min/max overloads,
// __ldg and the half/bfloat16 functions that cuda_fp16.h/cuda_bf16.h declare
// for the device only.
#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>

// ---- math ----
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __exp10f(float x) { return std::pow(10.0f, x); }
inline float __logf(float x) { return std::log(x); }
inline float __log2f(float x) { return std::log2(x); }
inline float __log10f(float x) { return std::log10(x); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanf(float x) { return std::tan(x); }
inline void __sincosf(float x, float* s, float* c) {
  *s = std::sin(x);
  *c = std::cos(x);
}
inline float __powf(float x, float y) { return std::pow(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return std::sqrt(x); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __saturatef(float x) { return std::isnan(x) ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline float exp10f(float x) { return std::pow(10.0f, x); }
inline float normcdff(float x) { return 0.5f * std::erfc(-x * 0.70710678118654752f); }
inline double normcdf(double x) { return 0.5 * std::erfc(-x * 0.70710678118654752); }
inline float rcbrtf(float x) { return 1.0f / std::cbrt(x); }
inline float sinpif(float x) { return std::sin(x * 3.14159265358979f); }
inline float cospif(float x) { return std::cos(x * 3.14159265358979f); }

// ---- bits ----
inline int __float_as_int(float x) { return std::bit_cast<int>(x); }
inline unsigned __float_as_uint(float x) { return std::bit_cast<unsigned>(x); }
inline float __int_as_float(int x) { return std::bit_cast<float>(x); }
inline float __uint_as_float(unsigned x) { return std::bit_cast<float>(x); }
inline long long __double_as_longlong(double x) { return std::bit_cast<long long>(x); }
inline double __longlong_as_double(long long x) { return std::bit_cast<double>(x); }
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __popcll(unsigned long long x) { return std::popcount(x); }
inline int __clz(int x) { return std::countl_zero(static_cast<unsigned>(x)); }
inline int __clzll(long long x) { return std::countl_zero(static_cast<unsigned long long>(x)); }
inline int __ffs(int x) { return x == 0 ? 0 : std::countr_zero(static_cast<unsigned>(x)) + 1; }
inline int __ffsll(long long x) { return x == 0 ? 0 : std::countr_zero(static_cast<unsigned long long>(x)) + 1; }
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  const unsigned long long v = (static_cast<unsigned long long>(y) << 32) | x;
  unsigned r = 0;
  for (int i = 0; i < 4; ++i) r |= static_cast<unsigned>((v >> (8 * ((s >> (4 * i)) & 7u))) & 0xffu) << (8 * i);
  return r;
}
inline unsigned __umulhi(unsigned a, unsigned b) { return static_cast<unsigned>((1ull * a * b) >> 32); }
inline int __mulhi(int a, int b) { return static_cast<int>((1ll * a * b) >> 32); }
inline int __mul24(int a, int b) { return a * b; }

// ---- conversions ----
inline int __float2int_rn(float x) { return static_cast<int>(std::nearbyint(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline int __float2int_rd(float x) { return static_cast<int>(std::floor(x)); }
inline int __float2int_ru(float x) { return static_cast<int>(std::ceil(x)); }
inline unsigned __float2uint_rn(float x) { return static_cast<unsigned>(std::nearbyint(x)); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }
inline float __uint2float_rn(unsigned x) { return static_cast<float>(x); }
inline float __ll2float_rn(long long x) { return static_cast<float>(x); }
inline float __ull2float_rn(unsigned long long x) { return static_cast<float>(x); }
inline long long __float2ll_rn(float x) { return static_cast<long long>(std::nearbyint(x)); }
inline long long __double2ll_rn(double x) { return static_cast<long long>(std::nearbyint(x)); }
inline float __double2float_rn(double x) { return static_cast<float>(x); }

// ---- min / max: CUDA's overloads (floating point ones have fmin/fmax NaN handling) ----
template <typename A, typename B>
requires(std::is_arithmetic_v<A>&& std::is_arithmetic_v<B>) inline std::common_type_t<A, B> min(A a, B b) {
  using C = std::common_type_t<A, B>;
  if constexpr (std::is_floating_point_v<C>)
    return std::fmin(static_cast<C>(a), static_cast<C>(b));
  else
    return static_cast<C>(b) < static_cast<C>(a) ? static_cast<C>(b) : static_cast<C>(a);
}
template <typename A, typename B>
requires(std::is_arithmetic_v<A>&& std::is_arithmetic_v<B>) inline std::common_type_t<A, B> max(A a, B b) {
  using C = std::common_type_t<A, B>;
  if constexpr (std::is_floating_point_v<C>)
    return std::fmax(static_cast<C>(a), static_cast<C>(b));
  else
    return static_cast<C>(a) < static_cast<C>(b) ? static_cast<C>(b) : static_cast<C>(a);
}

// ---- loads through the read-only / streaming caches: plain loads here ----
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}
template <typename T>
inline T __ldcs(const T* p) {
  return *p;
}
template <typename T>
inline T __ldcg(const T* p) {
  return *p;
}
template <typename T>
inline void __stcs(T* p, T v) {
  *p = v;
}
template <typename T>
inline void __stcg(T* p, T v) {
  *p = v;
}

// ---- __half / __nv_bfloat16 functions declared for the device only ----
// __hfma: computed in double (the product of two 11- or 8-bit significands is exact) and
// rounded once, straight to the narrow type (through float, a sum just below a tie could
// round to the tie first and then away).
#define SEEK_SIM_HALF_FUNCS(T, to_f, from_f, pre)                                                            \
  inline T __hfma(T a, T b, T c) { return __double2half(static_cast<double>(to_f(a)) * to_f(b) + to_f(c)); } \
  inline T pre##exp(T a) { return from_f(std::exp(to_f(a))); }                                               \
  inline T pre##exp2(T a) { return from_f(std::exp2(to_f(a))); }                                             \
  inline T pre##log(T a) { return from_f(std::log(to_f(a))); }                                               \
  inline T pre##log2(T a) { return from_f(std::log2(to_f(a))); }                                             \
  inline T pre##sqrt(T a) { return from_f(std::sqrt(to_f(a))); }                                             \
  inline T pre##rsqrt(T a) { return from_f(1.0f / std::sqrt(to_f(a))); }                                     \
  inline T pre##rcp(T a) { return from_f(1.0f / to_f(a)); }                                                  \
  inline T pre##sin(T a) { return from_f(std::sin(to_f(a))); }                                               \
  inline T pre##cos(T a) { return from_f(std::cos(to_f(a))); }                                               \
  inline T pre##floor(T a) { return from_f(std::floor(to_f(a))); }                                           \
  inline T pre##ceil(T a) { return from_f(std::ceil(to_f(a))); }                                             \
  inline T pre##trunc(T a) { return from_f(std::trunc(to_f(a))); }                                           \
  inline T pre##tanh(T a) { return from_f(std::tanh(to_f(a))); }
SEEK_SIM_HALF_FUNCS(__half, __half2float, __float2half, h)
#undef SEEK_SIM_HALF_FUNCS

inline __nv_bfloat16 __hfma(__nv_bfloat16 a, __nv_bfloat16 b, __nv_bfloat16 c) {
  return __double2bfloat16(static_cast<double>(__bfloat162float(a)) * __bfloat162float(b) + __bfloat162float(c));
}
#define SEEK_SIM_BF16_FUNC(name, expr)         \
  inline __nv_bfloat16 name(__nv_bfloat16 h) { \
    const float a = __bfloat162float(h);       \
    return __float2bfloat16(expr);             \
  }
SEEK_SIM_BF16_FUNC(hexp, std::exp(a))
SEEK_SIM_BF16_FUNC(hlog, std::log(a))
SEEK_SIM_BF16_FUNC(hsqrt, std::sqrt(a))
SEEK_SIM_BF16_FUNC(hrsqrt, 1.0f / std::sqrt(a))
SEEK_SIM_BF16_FUNC(htanh, std::tanh(a))
#undef SEEK_SIM_BF16_FUNC

inline __half2 __hfma2(__half2 a, __half2 b, __half2 c) {
  return __halves2half2(__hfma(__low2half(a), __low2half(b), __low2half(c)),
                        __hfma(__high2half(a), __high2half(b), __high2half(c)));
}
inline __nv_bfloat162 __hfma2(__nv_bfloat162 a, __nv_bfloat162 b, __nv_bfloat162 c) {
  return __halves2bfloat162(__hfma(__low2bfloat16(a), __low2bfloat16(b), __low2bfloat16(c)),
                            __hfma(__high2bfloat16(a), __high2bfloat16(b), __high2bfloat16(c)));
}
