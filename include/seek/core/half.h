#pragma once
// 16-bit floating types stored as raw bits. Arithmetic goes through float:
// kernels load a Half/BFloat16, compute in float (the "accumulate type") and
// store back with round-to-nearest-even, which is what PyTorch does on CPU.
#include <cstdint>
#include <cstring>

#include "seek/core/macros.h"

namespace seek {

namespace detail {
SEEK_HOST_DEVICE SEEK_INLINE uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
SEEK_HOST_DEVICE SEEK_INLINE float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

SEEK_HOST_DEVICE SEEK_INLINE uint16_t float_to_half_bits(float f) {
  uint32_t x = float_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
  }
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (absx < 0x38800000u) {                                               // subnormal half or zero
    // Shift the float into half-subnormal position by adding a magic number.
    float af = bits_float(absx) + 0.5f;
    return static_cast<uint16_t>(sign | (float_bits(af) - float_bits(0.5f)));
  }
  uint32_t mant_odd = (absx >> 13) & 1u;
  absx += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  return static_cast<uint16_t>(sign | (absx >> 13));
}

SEEK_HOST_DEVICE SEEK_INLINE float half_bits_to_float(uint16_t h) {
  uint32_t sign = (static_cast<uint32_t>(h) & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t out;
  if (exp == 0x1f) {
    out = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      out = sign;
    } else {  // subnormal: value = mant * 2^-24
      float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
      out = sign | float_bits(v);
    }
  } else {
    out = sign | ((exp + 112u) << 23) | (mant << 13);
  }
  return bits_float(out);
}

SEEK_HOST_DEVICE SEEK_INLINE uint16_t float_to_bf16_bits(float f) {
  uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet nan
  uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}
SEEK_HOST_DEVICE SEEK_INLINE float bf16_bits_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }
}  // namespace detail

struct Half {
  uint16_t bits = 0;
  Half() = default;
  SEEK_HOST_DEVICE Half(float f) : bits(detail::float_to_half_bits(f)) {}
  SEEK_HOST_DEVICE Half(double d) : Half(static_cast<float>(d)) {}
  SEEK_HOST_DEVICE Half(int i) : Half(static_cast<float>(i)) {}
  SEEK_HOST_DEVICE operator float() const { return detail::half_bits_to_float(bits); }
  static SEEK_HOST_DEVICE Half from_bits(uint16_t b) {
    Half h;
    h.bits = b;
    return h;
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  SEEK_HOST_DEVICE BFloat16(float f) : bits(detail::float_to_bf16_bits(f)) {}
  SEEK_HOST_DEVICE BFloat16(double d) : BFloat16(static_cast<float>(d)) {}
  SEEK_HOST_DEVICE BFloat16(int i) : BFloat16(static_cast<float>(i)) {}
  SEEK_HOST_DEVICE operator float() const { return detail::bf16_bits_to_float(bits); }
  static SEEK_HOST_DEVICE BFloat16 from_bits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
};

}  // namespace seek
