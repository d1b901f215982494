#pragma once
// One SIMD vector of floats for the CPU kernels: AVX-512, AVX2+FMA, or a portable
// 4-lane GCC vector, chosen at compile time (-march=native builds the widest the
// machine has). Kernels written against vf / kLanes and these few functions
// (unaligned load/store, broadcast, fused multiply-add, horizontal sum in a fixed
// order, non-temporal store) run unchanged at every width; a loop handles the
// kLanes-aligned part with them and the tail with scalars. Used by the direct
// convolution (cpu_conv_direct.cpp) and softmax's streaming row store (cpu_softmax.cpp).
#include <cstdint>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace seek::cpu::vec {

#if defined(__AVX512F__)
using vf = __m512;
constexpr int64_t kLanes = 16;
inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm512_storeu_ps(p, v); }
inline vf vset1(float a) { return _mm512_set1_ps(a); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
inline void vstream(float* p, vf v) { _mm512_stream_ps(p, v); }
// Pairwise in a fixed order, within registers (the shuffle intrinsics of GCC 12 trip
// -Wuninitialized in its own headers, so the generic vector shuffle is used).
inline float vsum(vf v) {
  v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
  return v[0];
}
#elif defined(__AVX2__) && defined(__FMA__)
using vf = __m256;
constexpr int64_t kLanes = 8;
inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm256_storeu_ps(p, v); }
inline vf vset1(float a) { return _mm256_set1_ps(a); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline void vstream(float* p, vf v) { _mm256_stream_ps(p, v); }
inline float vsum(vf v) {
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  return ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));
}
#else
typedef float vf __attribute__((vector_size(16)));
constexpr int64_t kLanes = 4;
inline vf vzero() { return vf{0.f, 0.f, 0.f, 0.f}; }
inline vf vload(const float* p) {
  vf v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void vstore(float* p, vf v) { __builtin_memcpy(p, &v, sizeof(v)); }
inline vf vset1(float a) { return vf{a, a, a, a}; }
inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
inline void vstream(float* p, vf v) { vstore(p, v); }
inline float vsum(vf v) { return (v[0] + v[2]) + (v[1] + v[3]); }
#endif

// vstream: a non-temporal store (bypasses the caches) to p aligned to kVecBytes; after a
// run of them, vstream_fence() orders them before later stores (as _mm_sfence).
constexpr int64_t kVecBytes = kLanes * static_cast<int64_t>(sizeof(float));
inline void vstream_fence() {
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  _mm_sfence();
#endif
}

}  // namespace seek::cpu::vec
