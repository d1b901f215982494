#pragma once
// Random number generation: one counter-based Philox4x32-10 generator per device.
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11; the reference is Random123's philox4x32_10) maps a 128-bit counter and
// a 64-bit key to 128 random bits through 10 rounds of 32x32->64 multiplies.
// Since any output is a pure function of (counter, key), any device can compute
// any element of a draw on its own, and CPU and CUDA give the same bits.
//
// THE STREAM. A Generator holds a 64-bit seed (the Philox key) and a 64-bit
// offset (the next unused block). A random op on a tensor of n elements
// reserves n blocks [offset, offset + n) and advances the offset by n. Row-major
// element i of the output (whatever the output's strides) is a function of one
// block only:
//
//     block(i) = philox4x32_10(counter = {lo32(offset + i), hi32(offset + i), 0, 0},
//                              key     = {lo32(seed), hi32(seed)})  = {x0, x1, x2, x3}
//
// (the counter is taken modulo 2^64). Consequences: two consecutive draws of n
// elements equal one draw of 2n elements; element values do not depend on how
// many elements there are, on the device, or on the thread layout. One block per
// element spends up to 96 of the 128 bits, which buys this simplicity.
//
// Per-element transforms of a block (the functions below are the definition):
//   uniform  f32 (and f16/bf16, drawn in f32):  u = (x0 >> 8) * 2^-24          in [0, 1)
//            f64:                              u = (x0:x1 >> 11) * 2^-53      in [0, 1)
//            (x0:x1 is the 64-bit number with x0 as its high word, so the f32
//            value is the f64 value truncated to 24 bits); [a, b) maps u to
//            a + (b - a) * u in f32 / f64, and a result that rounds to b is
//            replaced by a (as PyTorch's CUDA kernel does), so b never occurs.
//   normal   Box-Muller with the two uniforms of the same block, cosine branch:
//            z = sqrt(-2 ln(1 - u1)) * cos(2 pi u2); f64: u1 from x0:x1 and u2
//            from x2:x3; f32/f16/bf16: u1 from x0, u2 from x2, computed in f32.
//            (1 - u1 lies in (0, 1], so the log is finite; f32 tails stop at
//            |z| = 5.77, f64 tails at 8.57.) Output mean + std * z. Values
//            agree across devices up to the last-bit rounding of log and cos.
//   bernoulli 1 when the f64 uniform u (from x0:x1) < p, else 0.
//   randint  in [low, high): low + floor((x0:x1) * (high - low) / 2^64) (a
//            64-bit multiply-shift, no rejection). Each value has either
//            floor(2^64 / r) or ceil(2^64 / r) preimages, so the relative bias is
//            below r / 2^64 (< 2^-32 for ranges under 2^32).
#include <cmath>
#include <cstdint>
#include <mutex>

#include "seek/core/device.h"
#include "seek/core/macros.h"

namespace seek {

class Tensor;

// ---------------------------------------------------------------------------
// Philox4x32-10, usable from host code and CUDA kernels.
// ---------------------------------------------------------------------------
struct Philox4x32 {
  uint32_t v[4];
};
struct PhiloxKey {
  uint32_t k[2];
};

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

// Low 32 bits of a * b; the high 32 bits go to *hi.
SEEK_HOST_DEVICE SEEK_INLINE uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
#if defined(__CUDA_ARCH__)
  *hi = __umulhi(a, b);
  return a * b;
#else
  uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
#endif
}

SEEK_HOST_DEVICE SEEK_INLINE Philox4x32 philox_round(const Philox4x32& c, const PhiloxKey& k) {
  uint32_t hi0, hi1;
  uint32_t lo0 = philox_mulhilo(kPhiloxM0, c.v[0], &hi0);
  uint32_t lo1 = philox_mulhilo(kPhiloxM1, c.v[2], &hi1);
  return Philox4x32{{hi1 ^ c.v[1] ^ k.k[0], lo1, hi0 ^ c.v[3] ^ k.k[1], lo0}};
}

SEEK_HOST_DEVICE SEEK_INLINE PhiloxKey philox_bumpkey(const PhiloxKey& k) {
  return PhiloxKey{{k.k[0] + kPhiloxW0, k.k[1] + kPhiloxW1}};
}

// Ten rounds with the key bumped between rounds (Random123's philox4x32_10).
SEEK_HOST_DEVICE SEEK_INLINE Philox4x32 philox4x32_10(Philox4x32 c, PhiloxKey k) {
  for (int r = 0; r < 9; ++r) {
    c = philox_round(c, k);
    k = philox_bumpkey(k);
  }
  return philox_round(c, k);
}

// The block at stream position `index` (= offset + element index) for `seed`.
SEEK_HOST_DEVICE SEEK_INLINE Philox4x32 philox_block(uint64_t seed, uint64_t index) {
  return philox4x32_10(Philox4x32{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), 0u, 0u}},
                       PhiloxKey{{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}});
}

// ---------------------------------------------------------------------------
// Per-element transforms of a block (the stream definition above).
// ---------------------------------------------------------------------------
namespace rng {

SEEK_HOST_DEVICE SEEK_INLINE uint64_t bits64(uint32_t hi, uint32_t lo) {
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
// [0, 1) from the top 24 bits of x.
SEEK_HOST_DEVICE SEEK_INLINE float uniform24(uint32_t x) { return static_cast<float>(x >> 8) * 0x1p-24f; }
// [0, 1) from the top 53 bits of hi:lo.
SEEK_HOST_DEVICE SEEK_INLINE double uniform53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(bits64(hi, lo) >> 11) * 0x1p-53;
}
// High 64 bits of a * b.
SEEK_HOST_DEVICE SEEK_INLINE uint64_t mulhi64(uint64_t a, uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(a, b);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
#endif
}

// Uniform [0, 1) in T = float (24 bits) or double (53 bits).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T uniform(const Philox4x32& b) {
  if constexpr (sizeof(T) == 8) {
    return uniform53(b.v[0], b.v[1]);
  } else {
    return uniform24(b.v[0]);
  }
}

// Standard normal in T = float or double (Box-Muller, cosine branch).
template <typename T>
SEEK_HOST_DEVICE SEEK_INLINE T normal(const Philox4x32& b) {
  if constexpr (sizeof(T) == 8) {
    double u1 = uniform53(b.v[0], b.v[1]), u2 = uniform53(b.v[2], b.v[3]);
    return ::sqrt(-2.0 * ::log(1.0 - u1)) * ::cos(6.283185307179586 * u2);
  } else {
    float u1 = uniform24(b.v[0]), u2 = uniform24(b.v[2]);
    return ::sqrtf(-2.0f * ::logf(1.0f - u1)) * ::cosf(6.2831853f * u2);
  }
}

SEEK_HOST_DEVICE SEEK_INLINE bool bernoulli(const Philox4x32& b, double p) { return uniform53(b.v[0], b.v[1]) < p; }

// Integer in [low, low + range); range >= 1 (range 0 means 2^64).
SEEK_HOST_DEVICE SEEK_INLINE int64_t randint(const Philox4x32& b, int64_t low, uint64_t range) {
  uint64_t r = bits64(b.v[0], b.v[1]);
  uint64_t k = range == 0 ? r : mulhi64(r, range);
  return static_cast<int64_t>(static_cast<uint64_t>(low) + k);
}

}  // namespace rng

// ---------------------------------------------------------------------------
// Generator: seed + offset, shared by all ops on one device.
// ---------------------------------------------------------------------------
// The state a checkpoint saves: restoring it replays the same stream.
struct GeneratorState {
  uint64_t seed = 0;
  uint64_t offset = 0;
  bool operator==(const GeneratorState& o) const { return seed == o.seed && offset == o.offset; }
};

class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;  // PyTorch's default seed

  explicit Generator(uint64_t seed = kDefaultSeed, Device device = kCPU) : seed_(seed), device_(device) {}
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  Device device() const { return device_; }
  uint64_t seed() const;
  uint64_t offset() const;
  // Restart the stream: seed = s, offset = 0.
  void manual_seed(uint64_t s);
  void set_offset(uint64_t offset);

  GeneratorState state() const;
  void set_state(const GeneratorState& s);
  // The state as a CPU int64 tensor [seed, offset] (the 64-bit patterns), for
  // checkpoints; set_state(Tensor) checks shape and dtype.
  Tensor get_state() const;
  void set_state(const Tensor& state);

  // Atomically takes `blocks` consecutive blocks: returns {seed, first block}
  // and advances the offset by `blocks`. Ops call this once per draw.
  GeneratorState reserve(uint64_t blocks);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
  Device device_;
};

// The generator random ops on `device` use when given none (one per device,
// created on first use with the last manual_seed value, else kDefaultSeed).
Generator& default_generator(Device device = kCPU);
// Seeds the default generator of every device (including those created later).
void manual_seed(uint64_t seed);

}  // namespace seek
