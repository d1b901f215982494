#pragma once
// Tensor cores for seek's kernels, in both builds of a kernel file: warp-level
// mma.sync m16n8k16 (bf16 or f16 in, f32 accumulate), ldmatrix .x1/.x2/.x4 (plain
// or .trans) and cp.async global->shared with commit groups and partial waits.
// Kernels reach tensor cores only through these wrappers (docs/cuda.md).
//
// Trick: under nvcc each wrapper is one inline-PTX instruction; in the simulator
// build (SEEK_CUDA_SIM) mma and ldmatrix are warp collectives
// (seek::sim::warp_collective): every lane leaves its registers (or its row
// address), and the last lane to arrive rebuilds the whole matrices from the
// PTX ISA fragment layouts, computes, and writes each lane its result registers.
// So a kernel that puts its data in the wrong lane or register gets the same
// wrong answer in CI as on the GPU. cp.async goes to the simulator's copy
// queue, whose late schedules poison the target until the matching wait.
//
// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating
// point type" and "ldmatrix"), with g = lane >> 2 and t = lane & 3; register r of a
// lane holds elements 2r (low 16 bits) and 2r+1 (high 16 bits):
//   A (16x16, row-major), a[0..3], element i: row g + 8*((i>>1)&1), col 2t + (i&1) + 8*(i>=4)
//   B (16x8, "col": k by n), b[0..1], element i: k 2t + (i&1) + 8*(i>=2),  n g
//   C, D (16x8 f32), c[0..3], element i:      row g + 8*(i>=2),        col 2t + (i&1)
//   ldmatrix: lanes 8m..8m+7 give the 16-byte-aligned addresses of rows 0..7 of 8x8 b16
//   matrix m; every lane receives one register per matrix: row g, cols 2t and 2t+1
//   (.trans: rows 2t and 2t+1 of col g, i.e. the transposed matrix).
// The A fragment is ldmatrix.x4 of its four 8x8 quarters (top-left, bottom-left,
// top-right, bottom-right); the B fragment of a row-major [k][n] tile is
// ldmatrix.x2.trans of its two 8x8 halves along k.
//
// What the emulation does not model: the GPU's summation order and internal
// precision inside mma. It forms every product exactly and adds C and the 16
// products (k = 0..15) in double, rounding once to f32: the correctly rounded sum
// whenever the terms lie within about 2^29 of one another in magnitude (past that,
// off only by a rare double rounding); on integer-valued data whose sums stay below
// 2^24 every order is exact, so the GPU agrees bit for bit. ldmatrix reads the rows
// when the last lane arrives. Shared-memory bank conflicts and the timing of cp.async
// are not modelled; a late schedule lands copies at the latest legal moment.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(SEEK_CUDA_SIM)
#include <source_location>

#include "backend/cuda/sim_memory.h"
#include "kernels/sim/sim.h"
#include "seek/core/error.h"
// In the simulator each wrapper also takes its call site, for messages.
#define SEEK_TC_CALL_SITE , std::source_location where = std::source_location::current()
#else
#define SEEK_TC_CALL_SITE
#endif

namespace seek::cuda {

// ---- packing: two floats <-> one bf16x2 / f16x2 register (first value in the low half) ----

__host__ __device__ inline uint32_t pack_bf16x2(float lo, float hi) {
  const __nv_bfloat162_raw v = __floats2bfloat162_rn(lo, hi);  // round to nearest even
  return static_cast<uint32_t>(v.x) | static_cast<uint32_t>(v.y) << 16;
}
__host__ __device__ inline uint32_t pack_f16x2(float lo, float hi) {
  const __half2_raw v = __floats2half2_rn(lo, hi);
  return static_cast<uint32_t>(v.x) | static_cast<uint32_t>(v.y) << 16;
}
__host__ __device__ inline float2 unpack_bf16x2(uint32_t r) {
  __nv_bfloat162_raw v;
  v.x = static_cast<unsigned short>(r & 0xffffu);
  v.y = static_cast<unsigned short>(r >> 16);
  return __bfloat1622float2(__nv_bfloat162(v));
}
__host__ __device__ inline float2 unpack_f16x2(uint32_t r) {
  __half2_raw v;
  v.x = static_cast<unsigned short>(r & 0xffffu);
  v.y = static_cast<unsigned short>(r >> 16);
  return __half22float2(__half2(v));
}
// The same for T = __nv_bfloat16 or __half, for kernels templated on the input type.
template <typename T>
__host__ __device__ inline uint32_t pack_x2(float lo, float hi) {
  static_assert(std::is_same_v<T, __nv_bfloat16> || std::is_same_v<T, __half>, "pack_x2: bf16 or f16");
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return pack_bf16x2(lo, hi);
  } else {
    return pack_f16x2(lo, hi);
  }
}
template <typename T>
__host__ __device__ inline float2 unpack_x2(uint32_t r) {
  static_assert(std::is_same_v<T, __nv_bfloat16> || std::is_same_v<T, __half>, "unpack_x2: bf16 or f16");
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return unpack_bf16x2(r);
  } else {
    return unpack_f16x2(r);
  }
}

#if defined(SEEK_CUDA_SIM)
// ---- the simulator's emulation (warp collectives over the PTX ISA layouts) ----
namespace tc_detail {

struct MmaLane {
  uint32_t a[4];
  uint32_t b[2];
  float c[4];
};

template <typename T>
inline double b16_value(uint32_t reg, int half) {
  const uint16_t bits = static_cast<uint16_t>(half ? reg >> 16 : reg & 0xffffu);
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    uint32_t f = static_cast<uint32_t>(bits) << 16;  // bf16 is the top half of an f32
    float v;
    std::memcpy(&v, &f, sizeof(v));
    return v;
  } else {
    __half_raw raw;
    raw.x = bits;
    return __half2float(__half(raw));
  }
}

// D = A*B + C for the whole warp: A, B, C gathered from every lane's registers, D scattered.
template <typename T>
void mma_m16n8k16_combine(const sim::WarpCall& call) {
  double A[16][16], B[16][8], C[16][8];
  for (int lane = 0; lane < 32; ++lane) {
    const MmaLane& in = *static_cast<const MmaLane*>(call.in[lane]);
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 8; ++i)
      A[g + 8 * ((i >> 1) & 1)][2 * t + (i & 1) + 8 * (i >= 4)] = b16_value<T>(in.a[i >> 1], i & 1);
    for (int i = 0; i < 4; ++i) B[2 * t + (i & 1) + 8 * (i >= 2)][g] = b16_value<T>(in.b[i >> 1], i & 1);
    for (int i = 0; i < 4; ++i) C[g + 8 * (i >= 2)][2 * t + (i & 1)] = in.c[i];
  }
  for (int lane = 0; lane < 32; ++lane) {
    float* d = static_cast<float*>(call.out[lane]);
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 4; ++i) {
      const int row = g + 8 * (i >= 2), col = 2 * t + (i & 1);
      // Products exact in double (8- or 11-bit significands); summed k = 0..15 after C.
      double s = C[row][col];
      for (int k = 0; k < 16; ++k) s += A[row][k] * B[k][col];
      d[i] = static_cast<float>(s);
    }
  }
}

template <int Count, bool Trans>
constexpr const char* ldmatrix_name() {
  if constexpr (Count == 1) {
    return Trans ? "ldmatrix.x1.trans" : "ldmatrix.x1";
  } else if constexpr (Count == 2) {
    return Trans ? "ldmatrix.x2.trans" : "ldmatrix.x2";
  } else {
    return Trans ? "ldmatrix.x4.trans" : "ldmatrix.x4";
  }
}

// Lanes 8m..8m+7 address the rows of matrix m; every lane gets one register per matrix.
template <int Count, bool Trans>
void ldmatrix_combine(const sim::WarpCall& call) {
  const std::source_location& site = *static_cast<const std::source_location*>(call.ctx);
  const auto what = [&] { return str(ldmatrix_name<Count, Trans>(), " at ", site.file_name(), ":", site.line()); };
  uint16_t M[Count][8][8];
  for (int m = 0; m < Count; ++m) {
    for (int r = 0; r < 8; ++r) {
      const int lane = 8 * m + r;
      const void* row = *static_cast<const void* const*>(call.in[lane]);
      if (row == nullptr || reinterpret_cast<uintptr_t>(row) % 16 != 0)
        sim::misuse(str(what(), ": lane ", lane, " gives row address ", row, " of matrix ", m,
                        row ? ", which is not 16-byte aligned" : ", a null pointer"));
      sim_memory::Region region;
      if (sim_memory::lookup(row, &region))
        sim::misuse(str(what(), ": lane ", lane, " gives row address ", row,
                        " in global (device) memory; ldmatrix reads shared memory"));
      std::memcpy(M[m][r], row, 16);
    }
  }
  for (int lane = 0; lane < 32; ++lane) {
    uint32_t* d = static_cast<uint32_t*>(call.out[lane]);
    const int g = lane >> 2, t = lane & 3;
    for (int m = 0; m < Count; ++m) {
      const uint16_t lo = Trans ? M[m][2 * t][g] : M[m][g][2 * t];
      const uint16_t hi = Trans ? M[m][2 * t + 1][g] : M[m][g][2 * t + 1];
      d[m] = static_cast<uint32_t>(lo) | (static_cast<uint32_t>(hi) << 16);
    }
  }
}

template <int Bytes>
void check_cp_async(const void* smem_dst, const void* gmem_src, int src_bytes, const std::source_location& site) {
  const auto where = [&] {
    return str("cp.async of ", Bytes, " bytes from ", gmem_src, " to ", smem_dst, " at ", site.file_name(), ":",
               site.line());
  };
  if (reinterpret_cast<uintptr_t>(smem_dst) % Bytes != 0 || reinterpret_cast<uintptr_t>(gmem_src) % Bytes != 0)
    sim::misuse(str(where(), ": both addresses must be aligned to ", Bytes, " bytes"));
  if (src_bytes < 0 || src_bytes > Bytes)
    sim::misuse(str(where(), ": the source size ", src_bytes, " is not in [0, ", Bytes, "]"));
  sim_memory::Region region;
  if (src_bytes > 0 && !sim_memory::find(gmem_src, static_cast<size_t>(src_bytes), &region))
    sim::misuse(str(where(), ": the source is not global (device) memory"));
  if (sim_memory::lookup(smem_dst, &region))
    sim::misuse(str(where(), ": the target is global (device) memory, not shared memory"));
}

}  // namespace tc_detail
#endif  // SEEK_CUDA_SIM

// ---- mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}.{bf16,f16}.f32 ----
// d = a*b + c for the warp's 16x8 tile (layouts above); T = __nv_bfloat16 or __half.
// Every lane of the warp must call it together (the block's threads a multiple of 32).
// d may be c (accumulate in place).
template <typename T>
__device__ inline void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const float (&c)[4]
#if defined(SEEK_CUDA_SIM)
                                    ,
                                    std::source_location where = std::source_location::current()
#endif
) {
  static_assert(std::is_same_v<T, __nv_bfloat16> || std::is_same_v<T, __half>,
                "mma_m16n8k16: the inputs are __nv_bfloat16 or __half");
#if defined(SEEK_CUDA_SIM)
  const tc_detail::MmaLane in{{a[0], a[1], a[2], a[3]}, {b[0], b[1]}, {c[0], c[1], c[2], c[3]}};
  float out[4];
  sim::warp_collective(std::is_same_v<T, __nv_bfloat16> ? "mma.sync.m16n8k16.f32.bf16" : "mma.sync.m16n8k16.f32.f16",
                       0xffffffffu, &in, out, tc_detail::mma_m16n8k16_combine<T>, nullptr, where);
  for (int i = 0; i < 4; ++i) d[i] = out[i];
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
  }
#elif defined(__CUDA_ARCH__)
  static_assert(sizeof(T) == 0, "mma_m16n8k16 (bf16/f16 m16n8k16) needs sm_80 or newer");
#endif
}

// ---- ldmatrix.sync.aligned.m8n8.x{1,2,4}{,.trans}.shared.b16 ----
// Loads Count 8x8 b16 matrices from shared memory: lane 8m+r passes the address of row r
// of matrix m (16 bytes, 16-byte aligned; lanes past 8*Count pass any address, unused);
// d[m] receives row g, cols 2t, 2t+1 of matrix m (Trans: of its transpose).
template <int Count, bool Trans = false>
__device__ inline void ldmatrix(uint32_t (&d)[Count], const void* smem_row SEEK_TC_CALL_SITE) {
  static_assert(Count == 1 || Count == 2 || Count == 4, "ldmatrix loads 1, 2 or 4 matrices");
#if defined(SEEK_CUDA_SIM)
  uint32_t out[Count];
  sim::warp_collective(tc_detail::ldmatrix_name<Count, Trans>(), 0xffffffffu, &smem_row, out,
                       tc_detail::ldmatrix_combine<Count, Trans>, &where, where);
  for (int m = 0; m < Count; ++m) d[m] = out[m];
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned addr = static_cast<unsigned>(__cvta_generic_to_shared(smem_row));
  if constexpr (Count == 1 && !Trans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];\n" : "=r"(d[0]) : "r"(addr) : "memory");
  } else if constexpr (Count == 1) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];\n" : "=r"(d[0]) : "r"(addr) : "memory");
  } else if constexpr (Count == 2 && !Trans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n"
                 : "=r"(d[0]), "=r"(d[1])
                 : "r"(addr)
                 : "memory");
  } else if constexpr (Count == 2) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];\n"
                 : "=r"(d[0]), "=r"(d[1])
                 : "r"(addr)
                 : "memory");
  } else if constexpr (!Trans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
                 : "r"(addr)
                 : "memory");
  } else {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
                 : "r"(addr)
                 : "memory");
  }
#elif defined(__CUDA_ARCH__)
  static_assert(Count == 0, "ldmatrix wrappers need sm_80 or newer");
#endif
}

// ---- cp.async global -> shared ----
// Copies Bytes (4, 8 or 16; both addresses aligned to it) from global to shared memory
// asynchronously, into the thread's open group: 16 bytes go through L2 only
// (cp.async.cg), 4 and 8 through L1 as well (cp.async.ca). The data may be read only
// after a cp_async_wait that covers its group (then, for other threads, a barrier).
template <int Bytes>
__device__ inline void cp_async(void* smem_dst, const void* gmem_src SEEK_TC_CALL_SITE) {
  static_assert(Bytes == 4 || Bytes == 8 || Bytes == 16, "cp.async copies 4, 8 or 16 bytes");
#if defined(SEEK_CUDA_SIM)
  tc_detail::check_cp_async<Bytes>(smem_dst, gmem_src, Bytes, where);
  sim::cp_async(smem_dst, gmem_src, Bytes);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem_dst));
  if constexpr (Bytes == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(gmem_src) : "memory");
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(dst), "l"(gmem_src), "n"(Bytes) : "memory");
  }
#elif defined(__CUDA_ARCH__)
  static_assert(Bytes == 0, "cp.async needs sm_80 or newer");
#endif
}

// The same with a source size: copies the first src_bytes (0..Bytes) and zero-fills the
// rest of the Bytes (for tiles that run past a matrix edge; with 0 the source is not read).
template <int Bytes>
__device__ inline void cp_async_zfill(void* smem_dst, const void* gmem_src, int src_bytes SEEK_TC_CALL_SITE) {
  static_assert(Bytes == 4 || Bytes == 8 || Bytes == 16, "cp.async copies 4, 8 or 16 bytes");
#if defined(SEEK_CUDA_SIM)
  tc_detail::check_cp_async<Bytes>(smem_dst, gmem_src, src_bytes, where);
  static const unsigned char zeros[16] = {};
  if (src_bytes > 0) sim::cp_async(smem_dst, gmem_src, static_cast<size_t>(src_bytes));
  if (src_bytes < Bytes)
    sim::cp_async(static_cast<unsigned char*>(smem_dst) + src_bytes, zeros, static_cast<size_t>(Bytes - src_bytes));
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem_dst));
  if constexpr (Bytes == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem_src), "r"(src_bytes)
                 : "memory");
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(dst), "l"(gmem_src), "n"(Bytes), "r"(src_bytes)
                 : "memory");
  }
#elif defined(__CUDA_ARCH__)
  static_assert(Bytes == 0, "cp.async needs sm_80 or newer");
#endif
}

// Closes the thread's open group of cp.async copies (cp.async.commit_group).
__device__ inline void cp_async_commit() {
#if defined(SEEK_CUDA_SIM)
  sim::cp_async_commit();
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#elif defined(__CUDA_ARCH__)
  __trap();  // cp.async needs sm_80 or newer
#endif
}

// Waits until at most N of the thread's committed groups are still in flight
// (cp.async.wait_group N): every older group has landed. The open group is not waited for.
template <int N>
__device__ inline void cp_async_wait() {
  static_assert(N >= 0, "cp.async.wait_group takes a count of groups, 0 or more");
#if defined(SEEK_CUDA_SIM)
  sim::cp_async_wait(N);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#elif defined(__CUDA_ARCH__)
  static_assert(N < 0, "cp.async needs sm_80 or newer");
#endif
}

// Commits the open group and waits for every copy of the thread (cp.async.wait_all).
__device__ inline void cp_async_wait_all() {
#if defined(SEEK_CUDA_SIM)
  sim::cp_async_commit();
  sim::cp_async_wait(0);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_all;\n" ::: "memory");
#elif defined(__CUDA_ARCH__)
  __trap();  // cp.async needs sm_80 or newer
#endif
}

}  // namespace seek::cuda

#undef SEEK_TC_CALL_SITE
