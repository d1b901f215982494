#pragma once
// The SIMT simulator's built-in variables, barriers, warp collectives and
// atomics, with CUDA's names and semantics (included by sim_prelude.h).
// Every barrier and collective takes its call site (a defaulted
// std::source_location), so that a misuse names the line.
#include <bit>
#include <cstring>
#include <source_location>
#include <type_traits>

#include "kernels/sim/sim.h"

#define threadIdx (::seek::sim::thread_idx())
#define blockIdx (::seek::sim::block_idx())
#define blockDim (::seek::sim::block_dim())
#define gridDim (::seek::sim::grid_dim())
inline constexpr int warpSize = 32;

// ---- block barriers ----
inline void __syncthreads(std::source_location w = std::source_location::current()) {
  ::seek::sim::barrier(1, "__syncthreads", w);
}
inline int __syncthreads_count(int pred, std::source_location w = std::source_location::current()) {
  return ::seek::sim::barrier(pred, "__syncthreads_count", w);
}
inline int __syncthreads_and(int pred, std::source_location w = std::source_location::current()) {
  const dim3& b = ::seek::sim::block_dim();
  return ::seek::sim::barrier(pred, "__syncthreads_and", w) == static_cast<int>(b.x * b.y * b.z);
}
inline int __syncthreads_or(int pred, std::source_location w = std::source_location::current()) {
  return ::seek::sim::barrier(pred, "__syncthreads_or", w) > 0;
}

// ---- warp collectives ----
namespace seek::sim::detail {

inline void no_combine(const WarpCall&) {}

enum class ShuffleMode { Index, Up, Down, Xor };

template <typename T>
struct ShuffleIn {
  T value;
  int arg;    // source lane, delta or lane mask
  int width;  // a power of two up to 32
};

// Each lane's source lane as PTX's shfl.sync defines it (the CUDA guide's rules for
// width < 32 follow): the lane argument counts modulo 32, a lane reads its own value
// when the source lies past its width-segment (or, for up, before it), and xor may
// read an earlier segment but not a later one.
template <typename T, ShuffleMode M>
void shuffle_combine(const WarpCall& call) {
  for (int lane = 0; lane < 32; ++lane) {
    if (!call.out[lane]) continue;
    const auto& in = *static_cast<const ShuffleIn<T>*>(call.in[lane]);
    const int w = in.width, base = lane & ~(w - 1), last = base + w - 1, b = in.arg & 31;
    int src = lane;
    switch (M) {
      case ShuffleMode::Index: src = base + (in.arg & (w - 1)); break;
      case ShuffleMode::Up: src = lane - b >= base ? lane - b : lane; break;
      case ShuffleMode::Down: src = lane + b <= last ? lane + b : lane; break;
      case ShuffleMode::Xor: src = (lane ^ b) <= last ? lane ^ b : lane; break;
    }
    if (!call.in[src]) {
      ::seek::sim::detail::shuffle_from_absent_lane(lane, src, call.mask);
      continue;
    }
    std::memcpy(call.out[lane], &static_cast<const ShuffleIn<T>*>(call.in[src])->value, sizeof(T));
  }
}

template <typename T, ShuffleMode M>
T shuffle(const char* what, unsigned mask, T var, int arg, int width, std::source_location w) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 16, "shuffles move values of at most 16 bytes");
  if (width <= 0 || width > 32 || (width & (width - 1)) != 0) ::seek::sim::detail::bad_shuffle_width(what, width, w);
  ShuffleIn<T> in{var, arg, width};
  T out = var;
  ::seek::sim::warp_collective(what, mask, &in, &out, shuffle_combine<T, M>, nullptr, w);
  return out;
}

// Ballot-style collectives: each lane contributes an int, each receives an unsigned.
enum class VoteMode { Ballot, Any, All, AddU, MinU, MaxU, AndU, OrU, XorU, MinI, MaxI };

template <VoteMode M>
void vote_combine(const WarpCall& call) {
  unsigned ballot = 0, add = 0, mn = ~0u, mx = 0, an = ~0u, orr = 0, xr = 0;
  int mni = 0x7fffffff, mxi = -0x7fffffff - 1;
  for (int lane = 0; lane < 32; ++lane) {
    if (!call.in[lane]) continue;
    const unsigned v = *static_cast<const unsigned*>(call.in[lane]);
    ballot |= (v != 0 ? 1u : 0u) << lane;
    add += v;
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
    an &= v;
    orr |= v;
    xr ^= v;
    const int vi = static_cast<int>(v);
    mni = vi < mni ? vi : mni;
    mxi = vi > mxi ? vi : mxi;
  }
  unsigned r = 0;
  switch (M) {
    case VoteMode::Ballot: r = ballot; break;
    case VoteMode::Any: r = ballot != 0; break;
    case VoteMode::All: r = ballot == call.mask; break;
    case VoteMode::AddU: r = add; break;
    case VoteMode::MinU: r = mn; break;
    case VoteMode::MaxU: r = mx; break;
    case VoteMode::AndU: r = an; break;
    case VoteMode::OrU: r = orr; break;
    case VoteMode::XorU: r = xr; break;
    case VoteMode::MinI: r = static_cast<unsigned>(mni); break;
    case VoteMode::MaxI: r = static_cast<unsigned>(mxi); break;
  }
  for (int lane = 0; lane < 32; ++lane)
    if (call.out[lane]) *static_cast<unsigned*>(call.out[lane]) = r;
}

template <VoteMode M>
unsigned vote(const char* what, unsigned mask, unsigned v, std::source_location w) {
  unsigned out = 0;
  ::seek::sim::warp_collective(what, mask, &v, &out, vote_combine<M>, nullptr, w);
  return out;
}

}  // namespace seek::sim::detail

inline void __syncwarp(unsigned mask = 0xffffffffu, std::source_location w = std::source_location::current()) {
  ::seek::sim::warp_collective("__syncwarp", mask, nullptr, nullptr, ::seek::sim::detail::no_combine, nullptr, w);
}
inline unsigned __activemask() { return ::seek::sim::active_mask(); }

template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32,
              std::source_location w = std::source_location::current()) {
  using namespace ::seek::sim::detail;
  return shuffle<T, ShuffleMode::Index>("__shfl_sync", mask, var, src_lane, width, w);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32,
                 std::source_location w = std::source_location::current()) {
  using namespace ::seek::sim::detail;
  return shuffle<T, ShuffleMode::Up>("__shfl_up_sync", mask, var, static_cast<int>(delta), width, w);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32,
                   std::source_location w = std::source_location::current()) {
  using namespace ::seek::sim::detail;
  return shuffle<T, ShuffleMode::Down>("__shfl_down_sync", mask, var, static_cast<int>(delta), width, w);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32,
                  std::source_location w = std::source_location::current()) {
  using namespace ::seek::sim::detail;
  return shuffle<T, ShuffleMode::Xor>("__shfl_xor_sync", mask, var, lane_mask, width, w);
}

#define SEEK_SIM_VOTE(name, mode, Ret, In)                                                         \
  inline Ret name(unsigned mask, In v, std::source_location w = std::source_location::current()) { \
    using namespace ::seek::sim::detail;                                                           \
    return static_cast<Ret>(vote<VoteMode::mode>(#name, mask, static_cast<unsigned>(v), w));       \
  }
SEEK_SIM_VOTE(__ballot_sync, Ballot, unsigned, int)
SEEK_SIM_VOTE(__any_sync, Any, int, int)
SEEK_SIM_VOTE(__all_sync, All, int, int)
SEEK_SIM_VOTE(__reduce_add_sync, AddU, unsigned, unsigned)
SEEK_SIM_VOTE(__reduce_min_sync, MinU, unsigned, unsigned)
SEEK_SIM_VOTE(__reduce_max_sync, MaxU, unsigned, unsigned)
SEEK_SIM_VOTE(__reduce_and_sync, AndU, unsigned, unsigned)
SEEK_SIM_VOTE(__reduce_or_sync, OrU, unsigned, unsigned)
SEEK_SIM_VOTE(__reduce_xor_sync, XorU, unsigned, unsigned)
SEEK_SIM_VOTE(__reduce_add_sync, AddU, int, int)  // two's complement: the same bits as unsigned
SEEK_SIM_VOTE(__reduce_min_sync, MinI, int, int)
SEEK_SIM_VOTE(__reduce_max_sync, MaxI, int, int)
#undef SEEK_SIM_VOTE

// ---- memory fences ----
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- atomics (blocks run on several OS threads at once: these are real atomics) ----
namespace seek::sim::detail {
// old = *p; *p = f(old), atomically, for any type of 2, 4 or 8 bytes.
template <typename T, typename F>
T atomic_update(T* p, F f) {
  using Bits = std::conditional_t<sizeof(T) == 2, unsigned short,
                                  std::conditional_t<sizeof(T) == 4, unsigned, unsigned long long>>;
  static_assert(sizeof(T) == sizeof(Bits), "atomics on 2, 4 or 8 byte values");
  Bits* bp = reinterpret_cast<Bits*>(p);
  Bits old_bits = __atomic_load_n(bp, __ATOMIC_RELAXED);
  for (;;) {
    const T old = std::bit_cast<T>(old_bits);
    const Bits desired_bits = std::bit_cast<Bits>(static_cast<T>(f(old)));
    if (__atomic_compare_exchange_n(bp, &old_bits, desired_bits, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return old;
  }
}
}  // namespace seek::sim::detail

#define SEEK_SIM_ATOMIC(name, T, expr)                                                    \
  inline T name(T* address, T val) {                                                      \
    return ::seek::sim::detail::atomic_update(address, [&](T old) -> T { return expr; }); \
  }
#define SEEK_SIM_ATOMIC_INTS(name, expr) \
  SEEK_SIM_ATOMIC(name, int, expr)       \
  SEEK_SIM_ATOMIC(name, unsigned, expr)  \
  SEEK_SIM_ATOMIC(name, unsigned long long, expr)
// Integer arithmetic wraps around, as on the GPU (done in unsigned: no signed overflow).
#define SEEK_SIM_WRAP(a, op, b) \
  static_cast<decltype(a)>(static_cast<unsigned long long>(a) op static_cast<unsigned long long>(b))
SEEK_SIM_ATOMIC_INTS(atomicAdd, SEEK_SIM_WRAP(old, +, val))
SEEK_SIM_ATOMIC(atomicAdd, float, old + val)
SEEK_SIM_ATOMIC(atomicAdd, double, old + val)
SEEK_SIM_ATOMIC(atomicAdd, __half, __float2half(__half2float(old) + __half2float(val)))
SEEK_SIM_ATOMIC(atomicAdd, __nv_bfloat16, __float2bfloat16(__bfloat162float(old) + __bfloat162float(val)))
SEEK_SIM_ATOMIC(atomicSub, int, SEEK_SIM_WRAP(old, -, val))
SEEK_SIM_ATOMIC(atomicSub, unsigned, old - val)
SEEK_SIM_ATOMIC_INTS(atomicExch, val)
SEEK_SIM_ATOMIC(atomicExch, float, val)
SEEK_SIM_ATOMIC_INTS(atomicMax, old < val ? val : old)
SEEK_SIM_ATOMIC(atomicMax, long long, old < val ? val : old)
SEEK_SIM_ATOMIC_INTS(atomicMin, val < old ? val : old)
SEEK_SIM_ATOMIC(atomicMin, long long, val < old ? val : old)
SEEK_SIM_ATOMIC_INTS(atomicAnd, old& val)
SEEK_SIM_ATOMIC_INTS(atomicOr, old | val)
SEEK_SIM_ATOMIC_INTS(atomicXor, old ^ val)
SEEK_SIM_ATOMIC(atomicInc, unsigned, old >= val ? 0u : old + 1u)
SEEK_SIM_ATOMIC(atomicDec, unsigned, (old == 0u || old > val) ? val : old - 1u)
#undef SEEK_SIM_WRAP
#undef SEEK_SIM_ATOMIC_INTS
#undef SEEK_SIM_ATOMIC

#define SEEK_SIM_ATOMIC_CAS(T)                                                                      \
  inline T atomicCAS(T* address, T compare, T val) {                                                \
    __atomic_compare_exchange_n(address, &compare, val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    return compare;                                                                                 \
  }
SEEK_SIM_ATOMIC_CAS(int)
SEEK_SIM_ATOMIC_CAS(unsigned)
SEEK_SIM_ATOMIC_CAS(unsigned long long)
SEEK_SIM_ATOMIC_CAS(unsigned short)
#undef SEEK_SIM_ATOMIC_CAS
