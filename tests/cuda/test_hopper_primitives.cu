// The Hopper primitives (kernels/hopper_primitives.cuh) piece by piece. On the host, in both
// builds: the 128-byte swizzle and the descriptors' address function against a plain reference
// written from the layout's definition (atoms of 8 rows x 128 bytes, chunk c of row r at c ^ r).
// In the simulator build: a TMA box load (swizzled placement, zero fill past the tensor, the
// mbarrier's transaction bytes), wgmma for the four operand majors against an integer matmul
// (operands placed in shared memory by the plain reference, read back through descriptors,
// accumulators in wgmma's register layout), mbarrier phases over many rounds of a
// producer/consumer ping-pong, and a wait nothing can end reported as a deadlock, in every
// schedule. (These kernels need sm_90a; on a GPU the Hopper GEMM's tests exercise the primitives.)
#include <cuda_bf16.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/hopper_primitives.cuh"
#include "kernels/launch.cuh"
#include "tests/cuda/kernel_test_support.cuh"

namespace {

using namespace seek::cuda::hopper;

// The reference: logical (row, byte) inside 1024-byte atoms, chunk XOR row, from a base that is
// a multiple of 1024.
uint32_t ref_swizzled(uint32_t base, uint32_t atom, uint32_t row, uint32_t byte) {
  return base + atom * 1024 + row * 128 + (((byte / 16) ^ row) * 16) + byte % 16;
}
// Element (mn, k) of a K-major operand whose k-step ks starts 32 bytes per step into the rows.
uint32_t ref_k_major(uint32_t base, int ks, int mn, int k) {
  return ref_swizzled(base, static_cast<uint32_t>(mn / 8), static_cast<uint32_t>(mn % 8),
                      static_cast<uint32_t>((16 * ks + k) * 2));
}
// Element (mn, k) of an MN-major operand stored as boxes of 64 (mn) x 64 (k rows), box_bytes apart.
uint32_t ref_mn_major(uint32_t base, uint32_t box_bytes, int ks, int mn, int k) {
  const int kk = 16 * ks + k;
  return ref_swizzled(base + static_cast<uint32_t>(mn / 64) * box_bytes, static_cast<uint32_t>(kk / 8),
                      static_cast<uint32_t>(kk % 8), static_cast<uint32_t>((mn % 64) * 2));
}

TEST(HopperPrimitives, SwizzlePermutesChunksWithinRows) {
  for (uint32_t atom = 0; atom < 3; ++atom)
    for (uint32_t row = 0; row < 8; ++row)
      for (uint32_t byte = 0; byte < 128; byte += 2) {
        const uint32_t logical = 2048 + atom * 1024 + row * 128 + byte;
        ASSERT_EQ(swizzle_128b(logical), ref_swizzled(2048, atom, row, byte)) << logical;
        ASSERT_EQ(swizzle_128b(swizzle_128b(logical)), logical);
      }
}

TEST(HopperPrimitives, DescriptorFieldsRoundTrip) {
  const uint64_t d = make_smem_desc(0x3a40, 8192, 1024);
  EXPECT_EQ(desc_start(d), 0x3a40u);
  EXPECT_EQ(desc_lbo(d), 8192u);
  EXPECT_EQ(desc_sbo(d), 1024u);
  EXPECT_EQ(desc_swizzle(d), 1);
  EXPECT_EQ(d & 0x3fff, 0x3a4u);              // bits 0-13: start >> 4
  EXPECT_EQ((d >> 16) & 0x3fff, 8192u >> 4);  // bits 16-29: LBO >> 4
  EXPECT_EQ((d >> 32) & 0x3fff, 1024u >> 4);  // bits 32-45: SBO >> 4
  EXPECT_EQ(d >> 62, 1u);                     // 128-byte swizzle
}

TEST(HopperPrimitives, DescriptorAddressesMatchTheSwizzledLayouts) {
  const uint32_t base = 3 * 1024;
  for (int ks = 0; ks < 4; ++ks) {
    const uint64_t dk = make_smem_desc(base + 32u * static_cast<uint32_t>(ks), 16, 1024);
    const uint64_t dm = make_smem_desc(base + 2048u * static_cast<uint32_t>(ks), 8192, 1024);
    for (int mn = 0; mn < 128; ++mn)
      for (int k = 0; k < 16; ++k) {
        ASSERT_EQ(desc_element_addr(dk, false, mn, k), ref_k_major(base, ks, mn, k)) << ks << " " << mn << " " << k;
        ASSERT_EQ(desc_element_addr(dm, true, mn, k), ref_mn_major(base, 8192, ks, mn, k))
            << ks << " " << mn << " " << k;
      }
  }
}

#if defined(SEEK_CUDA_SIM)

constexpr int kRows = 70, kCols = 72;  // the tensor: kRows x kCols u16, row stride 80 elements
constexpr int kLd = 80;
constexpr int kBoxCols = 64, kBoxRows = 16;

__global__ void tma_box_kernel(const __grid_constant__ CUtensorMap map, int c0, int c1, uint16_t* out, int* tx_left) {
  unsigned char* smem = seek::cuda::dynamic_shared_memory<unsigned char>();
  uint64_t* bar = reinterpret_cast<uint64_t*>(smem + kBoxCols * kBoxRows * 2);
  if (threadIdx.x == 0) {
    mbarrier_init(bar, 1);
    mbarrier_init_fence();
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    mbarrier_arrive_expect_tx(bar, kBoxCols * kBoxRows * 2);
    tma_load_4d(smem, &map, bar, c0, c1, 0, 0);
  }
  mbarrier_wait_parity(bar, 0);
  if (threadIdx.x == 0) *tx_left = reinterpret_cast<int32_t*>(bar)[1];
  for (int i = static_cast<int>(threadIdx.x); i < kBoxCols * kBoxRows; i += static_cast<int>(blockDim.x))
    out[i] = reinterpret_cast<const uint16_t*>(smem)[i];
}

TEST(HopperPrimitivesSim, TmaLoadsASwizzledBoxWithZeroFill) {
  std::vector<uint16_t> host(static_cast<size_t>(kRows * kLd), 0xdead);
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kCols; ++c) host[static_cast<size_t>(r * kLd + c)] = static_cast<uint16_t>(r * 100 + c + 1);
  kernel_test::DeviceBuffer<uint16_t> src(host);
  kernel_test::DeviceBuffer<uint16_t> out(kBoxCols * kBoxRows);
  kernel_test::DeviceBuffer<int> tx(1);
  CUtensorMap map;
  const uint64_t plane = uint64_t{kRows} * kLd * 2;
  make_tensor_map(&map, src.get(), {kCols, kRows, 1, 1}, {kLd * 2, plane, plane}, kBoxCols, kBoxRows);
  kernel_test::in_every_schedule([&] {
    for (auto [c0, c1] : {std::pair{0, 0}, std::pair{40, 60}, std::pair{-8, 3}}) {
      out.fill_bytes(0x55);
      seek::cuda::launch(tma_box_kernel, {1, 64, kBoxCols * kBoxRows * 2 + 8, nullptr}, map, c0, c1, out.get(),
                         tx.get());
      const std::vector<uint16_t> got = out.download();
      EXPECT_EQ(tx.download()[0], 0) << "the box's bytes complete the transaction count";
      for (int r = 0; r < kBoxRows; ++r)
        for (int e = 0; e < kBoxCols; ++e) {
          const int x = c0 + e, y = c1 + r;
          const uint16_t want = x >= 0 && y >= 0 && x < kCols && y < kRows ? host[static_cast<size_t>(y * kLd + x)] : 0;
          const uint32_t at = ref_swizzled(0, static_cast<uint32_t>(r / 8), static_cast<uint32_t>(r % 8),
                                           static_cast<uint32_t>(e * 2)) /
                              2;
          ASSERT_EQ(got[at], want) << "box (" << c0 << ", " << c1 << ") row " << r << " col " << e;
        }
    }
  });
}

// One warpgroup: A (64 x 16) and B (16 x 128) placed by the reference at k-step 1 of their
// stage layouts, one wgmma, the accumulators written out as [64][128] from wgmma's layout.
template <bool TransA, bool TransB>
__global__ void wgmma_kernel(const float* a, const float* b, float* d) {
  unsigned char* smem = seek::cuda::dynamic_shared_memory<unsigned char>();
  const uint32_t a_base = 0, b_base = 16384;
  const int tid = static_cast<int>(threadIdx.x);
  for (int i = tid; i < 64 * 16; i += 128) {
    const int m = i / 16, k = i % 16;
    const uint32_t at = TransA ? ref_mn_major(a_base, 8192, 1, m, k) : ref_k_major(a_base, 1, m, k);
    *reinterpret_cast<__nv_bfloat16*>(smem + at) = __float2bfloat16(a[i]);
  }
  for (int i = tid; i < 16 * 128; i += 128) {
    const int k = i / 128, n = i % 128;
    const uint32_t at = TransB ? ref_mn_major(b_base, 8192, 1, n, k) : ref_k_major(b_base, 1, n, k);
    *reinterpret_cast<__nv_bfloat16*>(smem + at) = __float2bfloat16(b[i]);
  }
  __syncthreads();
  float acc[64];
  for (int i = 0; i < 64; ++i) acc[i] = 1.0f;  // accumulates onto 1
  const uint64_t da = TransA ? make_smem_desc(a_base + 2048, 8192, 1024) : make_smem_desc(a_base + 32, 16, 1024);
  const uint64_t db = TransB ? make_smem_desc(b_base + 2048, 8192, 1024) : make_smem_desc(b_base + 32, 16, 1024);
  wgmma_fence();
  wgmma_m64k16<__nv_bfloat16, 128, TransA, TransB>(acc, da, db);
  wgmma_commit();
  wgmma_wait<0>();
  fence_accumulators(acc);
  const int warp = tid / 32, g = (tid & 31) >> 2, t = tid & 3;
  for (int j = 0; j < 16; ++j)
    for (int i = 0; i < 4; ++i) d[(16 * warp + g + 8 * (i >> 1)) * 128 + 8 * j + 2 * t + (i & 1)] = acc[4 * j + i];
}

template <bool TA, bool TB>
void check_wgmma() {
  SCOPED_TRACE(std::string("TransA ") + (TA ? "1" : "0") + " TransB " + (TB ? "1" : "0"));
  std::vector<float> a(64 * 16), b(16 * 128);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(static_cast<int>(i * 7 % 11) - 5);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(static_cast<int>(i * 5 % 13) - 6);
  kernel_test::DeviceBuffer<float> da(a), db(b), dd(64 * 128);
  kernel_test::in_every_schedule([&] {
    dd.fill_bytes(0);
    seek::cuda::launch(wgmma_kernel<TA, TB>, {1, 128, 32768, nullptr}, da.get(), db.get(), dd.get());
    const std::vector<float> got = dd.download();
    for (int m = 0; m < 64; ++m)
      for (int n = 0; n < 128; ++n) {
        float want = 1.0f;
        for (int k = 0; k < 16; ++k) want += a[static_cast<size_t>(m * 16 + k)] * b[static_cast<size_t>(k * 128 + n)];
        ASSERT_EQ(got[static_cast<size_t>(m * 128 + n)], want) << "D[" << m << "][" << n << "]";
      }
  });
}

TEST(HopperPrimitivesSim, WgmmaReadsEachMajorThroughItsDescriptors) {
  check_wgmma<false, false>();
  check_wgmma<true, false>();
  check_wgmma<false, true>();
  check_wgmma<true, true>();
}

// Warp 0 produces `rounds` values through a 2-slot ring guarded by full/empty mbarriers, warp
// 1 consumes them; each consumer lane adds what it reads. Wrong parity handling deadlocks or
// reads a slot twice.
__global__ void ping_pong_kernel(int rounds, int* sums) {
  unsigned char* smem = seek::cuda::dynamic_shared_memory<unsigned char>();
  uint64_t* full = reinterpret_cast<uint64_t*>(smem);
  uint64_t* empty = full + 2;
  int* slot = reinterpret_cast<int*>(smem + 64);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  if (threadIdx.x == 0) {
    for (int s = 0; s < 2; ++s) mbarrier_init(&full[s], 1), mbarrier_init(&empty[s], 32);
    mbarrier_init_fence();
  }
  __syncthreads();
  int sum = 0;
  for (int r = 0; r < rounds; ++r) {
    const int s = r % 2;
    const uint32_t phase = static_cast<uint32_t>(r / 2) & 1u;
    if (warp == 0 && lane == 0) {
      mbarrier_wait_parity(&empty[s], phase ^ 1u);
      slot[s] = r + 1;
      mbarrier_arrive(&full[s]);
    } else if (warp == 1) {
      mbarrier_wait_parity(&full[s], phase);
      sum += slot[s];
      mbarrier_arrive(&empty[s]);
    }
  }
  if (warp == 1) sums[lane] = sum;
}

TEST(HopperPrimitivesSim, MbarrierPhasesAlternate) {
  kernel_test::DeviceBuffer<int> sums(32);
  kernel_test::in_every_schedule([&] {
    sums.fill_bytes(0);
    seek::cuda::launch(ping_pong_kernel, {1, 64, 128, nullptr}, 25, sums.get());
    for (int v : sums.download()) ASSERT_EQ(v, 25 * 26 / 2);
  });
}

__global__ void wait_forever_kernel() {
  uint64_t* bar = seek::cuda::dynamic_shared_memory<uint64_t>();
  if (threadIdx.x == 0) mbarrier_init(bar, 2);
  __syncthreads();
  if (threadIdx.x == 0) mbarrier_arrive(bar);  // one of the two arrivals
  mbarrier_wait_parity(bar, 0);
}

TEST(HopperPrimitivesSim, AWaitNothingCanEndIsADeadlock) {
  try {
    seek::cuda::launch(wait_forever_kernel, {1, 64, 8, nullptr});
    ADD_FAILURE() << "expected a deadlock error";
  } catch (const seek::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("deadlock"), std::string::npos) << msg;
    EXPECT_NE(msg.find("spins in mbarrier.try_wait.parity"), std::string::npos) << msg;
  }
}

#endif  // SEEK_CUDA_SIM

}  // namespace
