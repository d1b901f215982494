#pragma once
// What the TensorCore tests share (test_tensor_core.cu, test_tensor_core_sim.cu): the PTX
// ISA fragment layouts written out a second time in the ISA's own piecewise form, device
// buffers, and the test kernels with their host runners and checks (an mma per problem,
// cp.async groups with snapshots after each wait, a double-buffered tiled GEMM). An
// anonymous namespace: each test file gets its own copy of the kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "kernels/launch.cuh"
#include "kernels/tensor_core.cuh"
#include "seek/cuda.h"
#if defined(SEEK_CUDA_SIM)
#include "kernels/sim/sim.h"
#endif

using namespace seek;
using cuda::launch;

namespace {

// ---- the PTX ISA layouts (9.7.14.5.8, m16n8k16 with .f16/.bf16; groupID = lane >> 2,
// threadID_in_group = lane % 4), element i of a lane's fragment ----
int a_row(int lane, int i) { return (i < 2 || (i >= 4 && i < 6)) ? lane / 4 : lane / 4 + 8; }
int a_col(int lane, int i) { return i < 4 ? (lane % 4) * 2 + (i & 1) : (lane % 4) * 2 + (i & 1) + 8; }
int b_k(int lane, int i) { return i < 2 ? (lane % 4) * 2 + (i & 1) : (lane % 4) * 2 + (i & 1) + 8; }
int b_n(int lane) { return lane / 4; }
int c_row(int lane, int i) { return i < 2 ? lane / 4 : lane / 4 + 8; }
int c_col(int lane, int i) { return (lane % 4) * 2 + (i & 1); }

// 16-bit patterns of bf16 / f16 values on the host.
template <typename T>
uint16_t to_bits(float x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    const __nv_bfloat16_raw raw = __float2bfloat16_rn(x);
    return raw.x;
  } else {
    const __half_raw raw = __float2half_rn(x);
    return raw.x;
  }
}
template <typename T>
float from_bits(uint16_t b) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    __nv_bfloat16_raw raw;
    raw.x = b;
    return __bfloat162float(__nv_bfloat16(raw));
  } else {
    __half_raw raw;
    raw.x = b;
    return __half2float(__half(raw));
  }
}
template <typename T>
float round_to(float x) {
  return from_bits<T>(to_bits<T>(x));
}

uint32_t float_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) { SEEK_CUDA_CHECK(cudaMalloc(&ptr, n * sizeof(T))); }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    SEEK_CUDA_CHECK(cudaMemcpy(ptr, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(ptr); }
  std::vector<T> download() const {
    SEEK_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> host(n);
    SEEK_CUDA_CHECK(cudaMemcpy(host.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
};

#if defined(SEEK_CUDA_SIM)
// Runs the simulator in schedule `s` until the end of the scope.
class ScheduleScope {
 public:
  explicit ScheduleScope(const sim::Schedule& s) : saved_(sim::schedule()) { sim::set_schedule(s); }
  ~ScheduleScope() { sim::set_schedule(saved_); }

 private:
  sim::Schedule saved_;
};
#endif

class TensorCore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

// ---- kernels ----

// `problems` independent 16x8x16 products, one after another by one warp; registers in
// and out as [problem][lane][register]. Each problem runs `rounds` times accumulating in
// place (d = a*b + d, starting from c).
template <typename T>
__global__ void mma_kernel(const uint32_t* a, const uint32_t* b, const float* c, float* d, int problems, int rounds) {
  const int lane = static_cast<int>(threadIdx.x);
  for (int p = 0; p < problems; ++p) {
    const int at = p * 32 + lane;
    const uint32_t ra[4] = {a[at * 4], a[at * 4 + 1], a[at * 4 + 2], a[at * 4 + 3]};
    const uint32_t rb[2] = {b[at * 2], b[at * 2 + 1]};
    float acc[4] = {c[at * 4], c[at * 4 + 1], c[at * 4 + 2], c[at * 4 + 3]};
    for (int round = 0; round < rounds; ++round) cuda::mma_m16n8k16<T>(acc, ra, rb, acc);
    for (int i = 0; i < 4; ++i) d[at * 4 + i] = acc[i];
  }
}

// Each thread copies its 64 source bytes into its own 64 shared bytes in cp.async groups
// and, after each wait, snapshots the bytes that have landed to out[snapshot][thread][64]
// (with read_pending, all 64: only the simulator, which has no race checker, reads bytes
// still in flight):
//   group 0: 4 bytes at 0; group 1: 8 bytes at 8; group 2: 16 bytes at 16;
//   snapshot 0 after wait<2>, 1 after wait<1>;
//   then 16 bytes at 32 left in the open group; snapshot 2 after wait<0>;
//   then a zero-filling copy of 5 of 16 bytes at 48; snapshot 3 after wait_all.
// Bytes 4..7 are no copy's target: they keep what the thread stored.
constexpr int kCopyThreads = 64, kCopyBytes = 64, kSnapshots = 4;
constexpr unsigned char kStale = 0x5a;

__host__ __device__ inline bool landed_by(int snapshot, int byte) {
  const int end[kSnapshots] = {4, 16, 32, kCopyBytes};  // groups in byte order, bytes 4..7 aside
  return byte < end[snapshot] && (byte < 4 || byte >= 8);
}

__global__ void cp_async_kernel(const unsigned char* src, unsigned char* out, bool read_pending) {
  __shared__ __align__(16) unsigned char smem[kCopyThreads * kCopyBytes];
  const int tid = static_cast<int>(threadIdx.x);
  unsigned char* mine = smem + tid * kCopyBytes;
  const unsigned char* from = src + tid * kCopyBytes;
  for (int j = 4; j < 8; ++j) mine[j] = kStale;
  const auto snapshot = [&](int s) {
    for (int j = 0; j < kCopyBytes; ++j)
      if (read_pending || landed_by(s, j) || (j >= 4 && j < 8))
        out[(s * kCopyThreads + tid) * kCopyBytes + j] = mine[j];
  };
  cuda::cp_async<4>(mine, from);
  cuda::cp_async_commit();
  cuda::cp_async<8>(mine + 8, from + 8);
  cuda::cp_async_commit();
  cuda::cp_async<16>(mine + 16, from + 16);
  cuda::cp_async_commit();
  cuda::cp_async_wait<2>();
  snapshot(0);
  cuda::cp_async_wait<1>();
  snapshot(1);
  cuda::cp_async<16>(mine + 32, from + 32);
  cuda::cp_async_wait<0>();
  snapshot(2);
  cuda::cp_async_zfill<16>(mine + 48, from + 48, 5);
  cuda::cp_async_wait_all();
  snapshot(3);
}

// C[M,N] (f32) = A[M,K] * B[K,N] (row-major 16-bit patterns of T): 64x64 block tiles of
// 4 warps (2x2, 32x32 each), K in steps of 32 through two shared-memory stages filled by
// cp.async; A fragments by ldmatrix.x4, B fragments by ldmatrix.x4.trans. M and N are
// multiples of 64, K of 32. Without wait_for_copies the cp.async waits are left out.
constexpr int kBM = 64, kBN = 64, kBK = 32;
constexpr int kAStride = kBK + 8, kBStride = kBN + 8;  // padded rows, still 16-byte aligned

template <typename T>
__global__ void tiled_gemm_kernel(const uint16_t* A, const uint16_t* B, float* C, int M, int N, int K,
                                  bool wait_for_copies) {
  __shared__ __align__(16) uint16_t As[2][kBM][kAStride];
  __shared__ __align__(16) uint16_t Bs[2][kBK][kBStride];
  const int tid = static_cast<int>(threadIdx.x), warp = tid / 32, lane = tid % 32;
  const int bm = static_cast<int>(blockIdx.y) * kBM, bn = static_cast<int>(blockIdx.x) * kBN;
  const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
  (void)M;

  // 256 chunks of 16 bytes per operand tile, two per thread.
  const auto load_stage = [&](int stage, int k0) {
    for (int c = tid; c < kBM * kBK / 8; c += 128) {
      const int row = c / (kBK / 8), col = (c % (kBK / 8)) * 8;
      cuda::cp_async<16>(&As[stage][row][col], A + static_cast<size_t>(bm + row) * K + k0 + col);
    }
    for (int c = tid; c < kBK * kBN / 8; c += 128) {
      const int row = c / (kBN / 8), col = (c % (kBN / 8)) * 8;
      cuda::cp_async<16>(&Bs[stage][row][col], B + static_cast<size_t>(k0 + row) * N + bn + col);
    }
  };

  float acc[2][4][4] = {};
  const int ktiles = K / kBK;
  load_stage(0, 0);
  cuda::cp_async_commit();
  for (int kt = 0; kt < ktiles; ++kt) {
    if (kt + 1 < ktiles) {
      load_stage((kt + 1) & 1, (kt + 1) * kBK);
      cuda::cp_async_commit();
      if (wait_for_copies) cuda::cp_async_wait<1>();
    } else if (wait_for_copies) {
      cuda::cp_async_wait<0>();
    }
    __syncthreads();
    const int s = kt & 1;
    // Lane 8j + r addresses row r of 8x8 matrix j.
    const int j = lane >> 3, r = lane & 7;
    for (int kk = 0; kk < kBK; kk += 16) {
      uint32_t af[2][4], bfrag[4][2];
      for (int mi = 0; mi < 2; ++mi)
        cuda::ldmatrix<4>(af[mi], &As[s][wm + mi * 16 + r + 8 * (j & 1)][kk + 8 * (j >> 1)]);
      for (int np = 0; np < 2; ++np) {
        uint32_t t4[4];
        cuda::ldmatrix<4, true>(t4, &Bs[s][kk + r + 8 * (j & 1)][wn + np * 16 + 8 * (j >> 1)]);
        bfrag[2 * np][0] = t4[0];
        bfrag[2 * np][1] = t4[1];
        bfrag[2 * np + 1][0] = t4[2];
        bfrag[2 * np + 1][1] = t4[3];
      }
      for (int mi = 0; mi < 2; ++mi)
        for (int ni = 0; ni < 4; ++ni) cuda::mma_m16n8k16<T>(acc[mi][ni], af[mi], bfrag[ni], acc[mi][ni]);
    }
    __syncthreads();
  }
  const int g = lane >> 2, t = lane & 3;
  for (int mi = 0; mi < 2; ++mi)
    for (int ni = 0; ni < 4; ++ni)
      for (int i = 0; i < 4; ++i) {
        const int row = bm + wm + mi * 16 + g + 8 * (i >= 2), col = bn + wn + ni * 8 + 2 * t + (i & 1);
        C[static_cast<size_t>(row) * N + col] = acc[mi][ni][i];
      }
}

// ---- mma ----

struct MmaProblem {
  float a[16][16] = {}, b[16][8] = {}, c[16][8] = {};  // b is k by n
};

// Runs the problems through mma_kernel<T> and checks every lane's every output register
// bit for bit against D = C + rounds * A*B, summed exactly (in double) and rounded once:
// exact, so any summation order agrees, when the inputs are small integers.
template <typename T>
void expect_mma_exact(const std::vector<MmaProblem>& problems, const char* what, int rounds = 1) {
  const int n = static_cast<int>(problems.size());
  std::vector<uint32_t> a(static_cast<size_t>(n) * 32 * 4), b(static_cast<size_t>(n) * 32 * 2);
  std::vector<float> c(static_cast<size_t>(n) * 32 * 4);
  for (int p = 0; p < n; ++p) {
    const MmaProblem& q = problems[static_cast<size_t>(p)];
    for (int lane = 0; lane < 32; ++lane) {
      const size_t at = static_cast<size_t>(p) * 32 + static_cast<size_t>(lane);
      for (int r = 0; r < 4; ++r) {
        const int lo = 2 * r, hi = 2 * r + 1;
        a[at * 4 + r] = to_bits<T>(q.a[a_row(lane, lo)][a_col(lane, lo)]) |
                        static_cast<uint32_t>(to_bits<T>(q.a[a_row(lane, hi)][a_col(lane, hi)])) << 16;
      }
      for (int r = 0; r < 2; ++r) {
        const int lo = 2 * r, hi = 2 * r + 1;
        b[at * 2 + r] = to_bits<T>(q.b[b_k(lane, lo)][b_n(lane)]) |
                        static_cast<uint32_t>(to_bits<T>(q.b[b_k(lane, hi)][b_n(lane)])) << 16;
      }
      for (int i = 0; i < 4; ++i) c[at * 4 + i] = q.c[c_row(lane, i)][c_col(lane, i)];
    }
  }
  DeviceBuffer<uint32_t> da(a), db(b);
  DeviceBuffer<float> dc(c), dd(c.size());
  launch(mma_kernel<T>, {dim3(1), dim3(32)}, da.ptr, db.ptr, dc.ptr, dd.ptr, n, rounds);
  const std::vector<float> d = dd.download();
  int failures = 0;
  for (int p = 0; p < n; ++p) {
    const MmaProblem& q = problems[static_cast<size_t>(p)];
    for (int lane = 0; lane < 32; ++lane)
      for (int i = 0; i < 4; ++i) {
        const int row = c_row(lane, i), col = c_col(lane, i);
        double sum = q.c[row][col];
        for (int k = 0; k < 16; ++k) sum += static_cast<double>(rounds) * q.a[row][k] * q.b[k][col];
        const float want = static_cast<float>(sum);
        const float got = d[(static_cast<size_t>(p) * 32 + static_cast<size_t>(lane)) * 4 + static_cast<size_t>(i)];
        if (float_bits(got) != float_bits(want) && !(std::isnan(got) && std::isnan(want)) && ++failures <= 10)
          ADD_FAILURE() << what << " problem " << p << ": lane " << lane << " d[" << i << "] (row " << row << ", col "
                        << col << ") is " << got << ", expected " << want;
      }
  }
  EXPECT_EQ(failures, 0) << what << ": wrong registers in all";
}

std::vector<unsigned char> copy_source() {
  std::vector<unsigned char> src(kCopyThreads * kCopyBytes);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<unsigned char>((i * 7 + 1) % 251);  // never 0xff
  return src;
}

// Snapshots [snapshot][thread][byte] of cp_async_kernel.
std::vector<unsigned char> run_cp_async(bool read_pending) {
  DeviceBuffer<unsigned char> dsrc(copy_source());
  DeviceBuffer<unsigned char> dout(kSnapshots * kCopyThreads * kCopyBytes);
  launch(cp_async_kernel, {dim3(1), dim3(kCopyThreads)}, dsrc.ptr, dout.ptr, read_pending);
  return dout.download();
}

// Every snapshot holds the copies its waits cover (the zero-filling copy: 5 source bytes
// and 11 zeros) and the bytes the thread stored itself.
void expect_landed(const std::vector<unsigned char>& out) {
  const std::vector<unsigned char> src = copy_source();
  for (int s = 0; s < kSnapshots; ++s)
    for (int tid = 0; tid < kCopyThreads; ++tid)
      for (int j = 0; j < kCopyBytes; ++j) {
        const unsigned char got = out[static_cast<size_t>((s * kCopyThreads + tid) * kCopyBytes + j)];
        if (j >= 4 && j < 8) {
          ASSERT_EQ(got, kStale) << "snapshot " << s << " thread " << tid << " byte " << j;
        } else if (landed_by(s, j)) {
          const unsigned char want = j >= 53 ? 0 : src[static_cast<size_t>(tid * kCopyBytes + j)];
          ASSERT_EQ(got, want) << "snapshot " << s << " thread " << tid << " byte " << j;
        }
      }
}

// ---- the tiled GEMM ----

struct Gemm {
  int M, N, K;
  std::vector<float> a, b;  // values exactly representable in the input type
};

template <typename T>
Gemm gemm_inputs(int M, int N, int K, bool integers, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-4, 4);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  Gemm g{M, N, K, std::vector<float>(static_cast<size_t>(M) * K), std::vector<float>(static_cast<size_t>(K) * N)};
  for (float& v : g.a) v = integers ? static_cast<float>(small(rng)) : real(rng);
  for (float& v : g.b) v = integers ? static_cast<float>(small(rng)) : real(rng);
  return g;
}

template <typename T>
std::vector<float> run_gemm(const Gemm& g, bool wait_for_copies) {
  std::vector<uint16_t> a(g.a.size()), b(g.b.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] = to_bits<T>(g.a[i]);
  for (size_t i = 0; i < b.size(); ++i) b[i] = to_bits<T>(g.b[i]);
  DeviceBuffer<uint16_t> da(a), db(b);
  DeviceBuffer<float> dc(static_cast<size_t>(g.M) * g.N);
  launch(tiled_gemm_kernel<T>, {dim3(g.N / kBN, g.M / kBM), dim3(128)}, da.ptr, db.ptr, dc.ptr, g.M, g.N, g.K,
         wait_for_copies);
  return dc.download();
}

// Row-major f32 reference; `round` first rounds the inputs to T.
template <typename T>
std::vector<float> gemm_reference(const Gemm& g, bool round) {
  std::vector<float> c(static_cast<size_t>(g.M) * g.N);
  for (int i = 0; i < g.M; ++i)
    for (int j = 0; j < g.N; ++j) {
      float s = 0;
      for (int k = 0; k < g.K; ++k) {
        const float x = g.a[static_cast<size_t>(i) * g.K + k], y = g.b[static_cast<size_t>(k) * g.N + j];
        s += round ? round_to<T>(x) * round_to<T>(y) : x * y;
      }
      c[static_cast<size_t>(i) * g.N + j] = s;
    }
  return c;
}

}  // namespace
