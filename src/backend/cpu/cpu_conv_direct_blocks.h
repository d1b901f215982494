#pragma once
// The register block of the direct convolution's channel-vector variant and the pieces around it,
// shared by cpu_conv_direct.cpp (forward and weight gradient) and cpu_conv_direct_grad_input.cpp
// (the input gradient of strided convs). Internal to the CPU backend.
//
// A block is PB output pixels times OV vectors of output channels: per tap, OV weight loads
// ([tap][channel] packing), PB input broadcasts and PB * OV FMAs. The pixels are given as
// offsets (`base`) into a zero-padded buffer and the taps as offsets (`off`) from them, so a
// block can gather from any pixels at any stride, dilation or phase.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "backend/cpu/cpu_vec.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace seek::cpu::direct::blocks {

using namespace vec;

// AVX-512 has 32 vector registers, AVX2 (and SSE, the portable 4-lane form) 16: a block whose
// accumulators, weight vectors and broadcast need more spills them to the stack on every tap
// (the AVX-512 blocks ran at half speed on AVX2). kCvAcc accumulators per block.
constexpr bool kWideRegs = kLanes == 16;
constexpr int kCvAcc = kWideRegs ? 24 : 12;
// Multiply-adds below which everything stays on the calling thread.
constexpr int64_t kParallelMacs = 1 << 15;
// Channel-vector forward: weights of one block of input channels, kept in L1.
constexpr int64_t kL1WeightBytes = 20 << 10;

// Vectors of output channels per block for `channels` outputs: 4 with 32 registers, else 2 (6
// pixels x 2 vectors ran 1.3x faster than 3 x 4 with 16); 0 when the channel-vector variant does
// not apply (channels not a multiple of 2 vectors).
inline int64_t cv_vectors_for(int64_t channels) {
  if (kWideRegs && channels % (4 * kLanes) == 0) return 4;
  if (channels % (2 * kLanes) == 0) return 2;
  return 0;
}

// A zero-initialised float buffer whose data() is 64-byte aligned.
class AlignedBuf {
 public:
  explicit AlignedBuf(int64_t n) : n_(n), v_(static_cast<size_t>(n) + 16, 0.f) {
    const auto addr = reinterpret_cast<uintptr_t>(v_.data());
    p_ = v_.data() + ((64 - addr % 64) % 64) / sizeof(float);
  }
  float* data() { return p_; }
  void zero() { std::fill(p_, p_ + n_, 0.f); }

 private:
  int64_t n_;
  std::vector<float> v_;
  float* p_;
};

// dst[c * ldd + r] = src[r * lds + c] (+ add[c] when add is given) for r < rows, c < cols: the
// [pixel][channel] results of the blocks back to [channel][pixel] and grad_out the other way.
// 8 x 8 tiles are transposed in AVX registers (unpack, shuffle, 128-bit permute), the edges one
// element at a time; a strided scalar loop was 5-8% of a YOLO training step.
inline void transpose(const float* src, int64_t lds, float* dst, int64_t ldd, int64_t rows, int64_t cols,
                      const float* add = nullptr) {
  int64_t r0 = 0;
#if defined(__AVX2__)
  for (; r0 + 8 <= rows; r0 += 8) {
    int64_t c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) {
      const float* s = src + r0 * lds + c0;
      __m256 r[8], t[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * lds);
      for (int i = 0; i < 8; i += 2)
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]), t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      // Now r[k], k < 4: column k of rows 0-3 in the low half, column k + 4 in the high half;
      // r[k + 4]: the same of rows 4-7.
      r[0] = _mm256_shuffle_ps(t[0], t[2], 0x44), r[1] = _mm256_shuffle_ps(t[0], t[2], 0xEE);
      r[2] = _mm256_shuffle_ps(t[1], t[3], 0x44), r[3] = _mm256_shuffle_ps(t[1], t[3], 0xEE);
      r[4] = _mm256_shuffle_ps(t[4], t[6], 0x44), r[5] = _mm256_shuffle_ps(t[4], t[6], 0xEE);
      r[6] = _mm256_shuffle_ps(t[5], t[7], 0x44), r[7] = _mm256_shuffle_ps(t[5], t[7], 0xEE);
      for (int i = 0; i < 4; ++i) {
        __m256 lo = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20), hi = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
        if (add)
          lo = _mm256_add_ps(lo, _mm256_set1_ps(add[c0 + i])), hi = _mm256_add_ps(hi, _mm256_set1_ps(add[c0 + 4 + i]));
        _mm256_storeu_ps(dst + (c0 + i) * ldd + r0, lo);
        _mm256_storeu_ps(dst + (c0 + 4 + i) * ldd + r0, hi);
      }
    }
    for (; c0 < cols; ++c0)
      for (int64_t r = r0; r < r0 + 8; ++r) dst[c0 * ldd + r] = src[r * lds + c0] + (add ? add[c0] : 0.f);
  }
#endif
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = r0; r < rows; ++r) dst[c * ldd + r] = src[r * lds + c] + (add ? add[c] : 0.f);
}

// yt[pp * O + v * kLanes ...] (=, or += when add) the sum over the K taps of off of
// wv[k * O + ...] * xp[base[pp] + off[k]].
template <int PB, int OV>
void forward_cv_block(const float* xp, const int64_t* base, const int64_t* off, int64_t K, const float* wv, int64_t O,
                      float* yt, bool add) {
  vf acc[PB][OV];
  const float* xb[PB];
#pragma GCC unroll 12
  for (int pp = 0; pp < PB; ++pp) {
    xb[pp] = xp + base[pp];
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) acc[pp][v] = add ? vload(yt + pp * O + v * kLanes) : vzero();
  }
  for (int64_t k = 0; k < K; ++k) {
    vf wk[OV];
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) wk[v] = vload(wv + k * O + v * kLanes);
    const int64_t o = off[k];
#pragma GCC unroll 12
    for (int pp = 0; pp < PB; ++pp) {
      const vf b = vset1(xb[pp][o]);
#pragma GCC unroll 4
      for (int v = 0; v < OV; ++v) acc[pp][v] = vfma(wk[v], b, acc[pp][v]);
    }
  }
#pragma GCC unroll 12
  for (int pp = 0; pp < PB; ++pp)
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) vstore(yt + pp * O + v * kLanes, acc[pp][v]);
}

using ForwardCvFn = void (*)(const float*, const int64_t*, const int64_t*, int64_t, const float*, int64_t, float*,
                             bool);

// The block for OV vectors of channels (PB = kCvAcc / OV pixels).
inline ForwardCvFn forward_cv_kernel(int64_t OV) {
  return OV == 4 ? &forward_cv_block<kCvAcc / 4, 4> : &forward_cv_block<kCvAcc / 2, 2>;
}

}  // namespace seek::cpu::direct::blocks
