// Kernels run through seek::cuda::launch on device memory: built-in indices in 1-D,
// 2-D and 3-D grids (blocks that are not a multiple of 32 threads), static and
// dynamic shared memory, block barriers and their _count/_and/_or forms, atomics
// from many blocks, a __threadfence last-block-done reduction, a tiled SGEMM and a
// shared-memory tree reduction against host references, and __half/__nv_bfloat16
// arithmetic. Inputs are integer-valued so that every result is exact whatever the
// order of summation. In the simulator build each check runs in every schedule
// (in_every_schedule); on a GPU once.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "kernel_test_support.cuh"
#include "kernels/launch.cuh"

using kernel_test::DeviceBuffer;
using kernel_test::in_every_schedule;
using seek::cuda::launch;

namespace {

// ---- built-in variables ----
struct Indices {
  unsigned t[3], b[3], bd[3], gd[3];
};

__global__ void record_indices(Indices* out) {
  const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  Indices r = {{threadIdx.x, threadIdx.y, threadIdx.z},
               {blockIdx.x, blockIdx.y, blockIdx.z},
               {blockDim.x, blockDim.y, blockDim.z},
               {gridDim.x, gridDim.y, gridDim.z}};
  out[block * (blockDim.x * blockDim.y * blockDim.z) + thread] = r;
}

void check_indices(dim3 grid, dim3 block) {
  const unsigned nb = grid.x * grid.y * grid.z, nt = block.x * block.y * block.z;
  DeviceBuffer<Indices> out(size_t(nb) * nt);
  in_every_schedule([&] {
    out.fill_bytes(0xff);
    launch(record_indices, {grid, block}, out.get());
    const std::vector<Indices> got = out.download();
    int bad = 0;
    for (unsigned b = 0; b < nb && bad < 5; ++b) {
      const unsigned bx = b % grid.x, by = b / grid.x % grid.y, bz = b / grid.x / grid.y;
      for (unsigned t = 0; t < nt && bad < 5; ++t) {
        const Indices& r = got[size_t(b) * nt + t];
        const unsigned want[12] = {t % block.x,
                                   t / block.x % block.y,
                                   t / block.x / block.y,
                                   bx,
                                   by,
                                   bz,
                                   block.x,
                                   block.y,
                                   block.z,
                                   grid.x,
                                   grid.y,
                                   grid.z};
        const unsigned have[12] = {r.t[0],  r.t[1],  r.t[2],  r.b[0],  r.b[1],  r.b[2],
                                   r.bd[0], r.bd[1], r.bd[2], r.gd[0], r.gd[1], r.gd[2]};
        for (int i = 0; i < 12; ++i)
          if (want[i] != have[i]) {
            ADD_FAILURE() << "block " << b << " thread " << t << " field " << i << ": " << have[i] << " != " << want[i];
            ++bad;
          }
      }
    }
  });
}

// ---- shared memory ----
constexpr int kStaticN = 100;  // not a multiple of 32

// Each block reverses its slice of `data` through a static __shared__ array.
__global__ void reverse_static(const int* in, int* out) {
  __shared__ int buf[kStaticN];
  const int t = threadIdx.x, base = blockIdx.x * kStaticN;
  buf[t] = in[base + t];
  __syncthreads();
  out[base + t] = buf[kStaticN - 1 - t];
}

// The same through dynamic shared memory of blockDim.x elements.
template <typename T>
__global__ void reverse_dynamic(const T* in, T* out) {
  T* buf = seek::cuda::dynamic_shared_memory<T>();
  const int n = blockDim.x, t = threadIdx.x, base = blockIdx.x * n;
  buf[t] = in[base + t];
  __syncthreads();
  out[base + t] = buf[n - 1 - t];
}

template <typename T>
void check_reverse_dynamic(int threads, int blocks) {
  std::vector<T> host(size_t(threads) * blocks);
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<T>(i * 3 + 1);
  DeviceBuffer<T> in(host), out(host.size());
  in_every_schedule([&] {
    out.fill_bytes(0);
    launch(reverse_dynamic<T>, {dim3(blocks), dim3(threads), threads * sizeof(T)}, in.get(), out.get());
    const std::vector<T> got = out.download();
    for (int b = 0; b < blocks; ++b)
      for (int t = 0; t < threads; ++t)
        ASSERT_EQ(got[size_t(b) * threads + t], host[size_t(b) * threads + threads - 1 - t]) << b << " " << t;
  });
}

// ---- barriers with predicates ----
// Per thread: the count, and and or of (threadIdx.x % m == 0), then of (threadIdx.x < n).
__global__ void barrier_predicates(int m, int n, int* out) {
  const int t = threadIdx.x;
  int* o = out + t * 6;
  o[0] = __syncthreads_count(t % m == 0);
  o[1] = __syncthreads_and(t % m == 0);
  o[2] = __syncthreads_or(t % m == 0);
  o[3] = __syncthreads_count(t < n);
  o[4] = __syncthreads_and(t < n);
  o[5] = __syncthreads_or(t < n);
}

// ---- warp-synchronous shared memory with __syncwarp ----
// Each warp sums its lanes' values in shared memory, reading and writing in separate
// steps that __syncwarp orders (the fixed form of the negative test's kernel).
__global__ void warp_sum_syncwarp(const int* in, int* out) {
  __shared__ int s[64];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int* w = s + warp * 32;
  w[lane] = in[threadIdx.x];
  __syncwarp();
  for (int off = 16; off > 0; off /= 2) {
    const int v = lane < off ? w[lane + off] : 0;
    __syncwarp();
    if (lane < off) w[lane] += v;
    __syncwarp();
  }
  if (lane == 0) out[warp] = w[0];
}

// ---- atomics ----
struct AtomicTotals {
  int i_add, i_min, i_max;
  unsigned u_add, u_and, u_or, u_xor, u_inc;
  unsigned long long ull_add, ull_max;
  float f_add;
  double d_add;
  int cas_count, exch_seen;
};

// Every thread of every block adds its global index (and friends) to the totals.
__global__ void atomics_many_blocks(AtomicTotals* tot, __half* h_add, int* cas_word) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(&tot->i_add, i - 1000);
  atomicMin(&tot->i_min, 5000 - 3 * i);
  atomicMax(&tot->i_max, i * 7 % 1013);
  atomicAdd(&tot->u_add, unsigned(i));
  atomicAnd(&tot->u_and, ~(1u << (i % 32)) | (i % 64 < 32 ? 0u : 0xffffffffu));
  atomicOr(&tot->u_or, 1u << (i % 29));
  atomicXor(&tot->u_xor, unsigned(i) * 2654435761u);
  atomicInc(&tot->u_inc, 100u);
  atomicAdd(&tot->ull_add, 1ull << 33 | unsigned(i));
  atomicMax(&tot->ull_max, (unsigned long long)(i % 777) << 40);
  atomicAdd(&tot->f_add, float(i % 5));
  atomicAdd(&tot->d_add, double(i) * 0.5);
  if (i < 1000) atomicAdd(h_add, __float2half(float(i % 3)));  // the total stays below 2048: exact in half
  // A spin-free CAS counter: each thread retries until its increment lands.
  int old = *(volatile int*)cas_word, seen;
  while ((seen = atomicCAS(cas_word, old, old + 1)) != old) old = seen;
  atomicAdd(&tot->cas_count, 1);
  const int prev = atomicExch(&tot->exch_seen, i);
  (void)prev;
}

// ---- __threadfence: the last block to finish sums the partial sums ----
// (the CUDA programming guide's threadfence reduction, with integer-valued data).
__global__ void fence_reduce(const float* in, int n, float* partial, unsigned* done, float* total) {
  __shared__ float s[128];
  __shared__ bool last;
  const int t = threadIdx.x;
  float v = 0;
  for (int i = blockIdx.x * blockDim.x + t; i < n; i += gridDim.x * blockDim.x) v += in[i];
  s[t] = v;
  __syncthreads();
  for (int off = blockDim.x / 2; off > 0; off /= 2) {
    if (t < off) s[t] += s[t + off];
    __syncthreads();
  }
  if (t == 0) {
    partial[blockIdx.x] = s[0];
    __threadfence();  // the partial sum is visible to every block before the count says so
    last = atomicInc(done, gridDim.x) == gridDim.x - 1;
  }
  __syncthreads();
  if (last && t == 0) {
    float sum = 0;
    for (unsigned b = 0; b < gridDim.x; ++b) sum += ((volatile float*)partial)[b];
    *total = sum;
    *done = 0;
  }
}

// ---- a block-tiled SGEMM: C[M,N] = A[M,K] * B[K,N], row-major, any sizes ----
constexpr int kTile = 16;
__global__ void sgemm_tiled(const float* A, const float* B, float* C, int M, int N, int K) {
  __shared__ float As[kTile][kTile];
  __shared__ float Bs[kTile][kTile];
  const int r = blockIdx.y * kTile + threadIdx.y, c = blockIdx.x * kTile + threadIdx.x;
  float acc = 0;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    const int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    As[threadIdx.y][threadIdx.x] = r < M && ka < K ? A[r * K + ka] : 0.0f;
    Bs[threadIdx.y][threadIdx.x] = kb < K && c < N ? B[kb * N + c] : 0.0f;
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
    __syncthreads();
  }
  if (r < M && c < N) C[r * N + c] = acc;
}

// ---- a shared-memory tree reduction: one partial sum per block ----
__global__ void tree_sum(const int* in, int n, long long* out) {
  long long* s = seek::cuda::dynamic_shared_memory<long long>();
  const int t = threadIdx.x, i = blockIdx.x * blockDim.x * 2 + t;
  long long v = 0;
  if (i < n) v += in[i];
  if (i + int(blockDim.x) < n) v += in[i + blockDim.x];
  s[t] = v;
  __syncthreads();
  for (unsigned off = blockDim.x / 2; off > 0; off /= 2) {
    if (t < int(off)) s[t] += s[t + off];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

// ---- __half and __nv_bfloat16 ----
// out[i] = {a*b+c (fma), a+b, a*b, a-b, max(a,b)} in both types, as floats.
__global__ void low_precision_ops(const float* a, const float* b, const float* c, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const __half ha = __float2half(a[i]), hb = __float2half(b[i]), hc = __float2half(c[i]);
  const __nv_bfloat16 ba = __float2bfloat16(a[i]), bb = __float2bfloat16(b[i]), bc = __float2bfloat16(c[i]);
  float* o = out + i * 10;
  o[0] = __half2float(__hfma(ha, hb, hc));
  o[1] = __half2float(__hadd(ha, hb));
  o[2] = __half2float(__hmul(ha, hb));
  o[3] = __half2float(ha - hb);
  o[4] = __half2float(__hmax(ha, hb));
  o[5] = __bfloat162float(__hfma(ba, bb, bc));
  o[6] = __bfloat162float(__hadd(ba, bb));
  o[7] = __bfloat162float(__hmul(ba, bb));
  o[8] = __bfloat162float(ba - bb);
  o[9] = __bfloat162float(__hmax(ba, bb));
}

// out[0] = __hfma(a, b, c) in half.
__global__ void hfma_once(float a, float b, float c, float* out) {
  out[0] = __half2float(__hfma(__float2half(a), __float2half(b), __float2half(c)));
}

}  // namespace

using SimKernels = kernel_test::KernelTest;

TEST_F(SimKernels, BuiltinIndicesIn1D2D3DGrids) {
  check_indices(dim3(3), dim3(50));
  check_indices(dim3(2, 3), dim3(7, 5));
  check_indices(dim3(2, 2, 3), dim3(3, 4, 5));
  check_indices(dim3(1, 1, 2), dim3(8, 8, 16));  // 1024 threads
  check_indices(dim3(5, 1, 1), dim3(1, 33, 1));
}

TEST_F(SimKernels, StaticSharedMemoryIsPerBlock) {
  const int blocks = 9;
  std::vector<int> host(size_t(blocks) * kStaticN);
  std::iota(host.begin(), host.end(), 7);
  DeviceBuffer<int> in(host), out(host.size());
  in_every_schedule([&] {
    out.fill_bytes(0);
    launch(reverse_static, {dim3(blocks), dim3(kStaticN)}, in.get(), out.get());
    const std::vector<int> got = out.download();
    for (int b = 0; b < blocks; ++b)
      for (int t = 0; t < kStaticN; ++t)
        ASSERT_EQ(got[size_t(b) * kStaticN + t], host[size_t(b) * kStaticN + kStaticN - 1 - t]);
  });
}

TEST_F(SimKernels, DynamicSharedMemory) {
  check_reverse_dynamic<float>(200, 5);
  check_reverse_dynamic<double>(96, 3);
  check_reverse_dynamic<int>(1024, 2);  // 4 KiB
  check_reverse_dynamic<double>(1000, 2);
}

TEST_F(SimKernels, SyncthreadsCountAndOr) {
  for (int threads : {77, 64, 1}) {
    DeviceBuffer<int> out(size_t(threads) * 6);
    in_every_schedule([&] {
      for (auto [m, n] : {std::pair{3, threads}, std::pair{1, 0}, std::pair{2, threads / 2}}) {
        launch(barrier_predicates, {dim3(2), dim3(threads)}, m, n, out.get());
        const std::vector<int> got = out.download();
        const int count_m = (threads + m - 1) / m, count_n = std::min(n, threads);
        const int want[6] = {count_m, count_m == threads, count_m > 0, count_n, count_n == threads, count_n > 0};
        for (int t = 0; t < threads; ++t)
          for (int k = 0; k < 6; ++k) ASSERT_EQ(got[size_t(t) * 6 + k], want[k]) << "thread " << t << " k " << k;
      }
    });
  }
}

TEST_F(SimKernels, WarpSynchronousSharedMemoryWithSyncwarp) {
  std::vector<int> host(64);
  for (int i = 0; i < 64; ++i) host[i] = i * i - 50;
  DeviceBuffer<int> in(host), out(2);
  in_every_schedule([&] {
    launch(warp_sum_syncwarp, {dim3(1), dim3(64)}, in.get(), out.get());
    const std::vector<int> got = out.download();
    EXPECT_EQ(got[0], std::accumulate(host.begin(), host.begin() + 32, 0));
    EXPECT_EQ(got[1], std::accumulate(host.begin() + 32, host.end(), 0));
  });
}

TEST_F(SimKernels, AtomicsFromManyBlocksGiveExactTotals) {
  const int blocks = 37, threads = 96, n = blocks * threads;
  AtomicTotals init{};
  init.i_min = 1 << 30;
  init.u_and = 0xffffffffu;
  DeviceBuffer<AtomicTotals> tot(1);
  DeviceBuffer<__half> h(1);
  DeviceBuffer<int> cas(1);
  in_every_schedule([&] {
    tot.upload({init});
    h.fill_bytes(0);
    cas.fill_bytes(0);
    launch(atomics_many_blocks, {dim3(blocks), dim3(threads)}, tot.get(), h.get(), cas.get());
    const AtomicTotals got = tot.download()[0];
    long long i_add = 0, ull_low = 0;
    int i_min = 1 << 30, i_max = 0;
    unsigned u_and = 0xffffffffu, u_or = 0, u_xor = 0;
    unsigned long long ull_max = 0;
    double f_add = 0, d_add = 0, h_add = 0;
    for (int i = 0; i < n; ++i) {
      i_add += i - 1000;
      i_min = std::min(i_min, 5000 - 3 * i);
      i_max = std::max(i_max, i * 7 % 1013);
      u_and &= ~(1u << (i % 32)) | (i % 64 < 32 ? 0u : 0xffffffffu);
      u_or |= 1u << (i % 29);
      u_xor ^= unsigned(i) * 2654435761u;
      ull_low += i;
      ull_max = std::max(ull_max, (unsigned long long)(i % 777) << 40);
      f_add += i % 5;
      d_add += i * 0.5;
      if (i < 1000) h_add += i % 3;
    }
    EXPECT_EQ(got.i_add, i_add);
    EXPECT_EQ(got.i_min, i_min);
    EXPECT_EQ(got.i_max, i_max);
    EXPECT_EQ(got.u_add, unsigned(ull_low));
    EXPECT_EQ(got.u_and, u_and);
    EXPECT_EQ(got.u_or, u_or);
    EXPECT_EQ(got.u_xor, u_xor);
    EXPECT_EQ(got.u_inc, unsigned(n % 101));  // atomicInc wraps to 0 after 100
    EXPECT_EQ(got.ull_add, ((unsigned long long)n << 33) + (unsigned long long)ull_low);
    EXPECT_EQ(got.ull_max, ull_max);
    EXPECT_EQ(got.f_add, static_cast<float>(f_add));
    EXPECT_EQ(got.d_add, d_add);
    EXPECT_EQ(got.cas_count, n);
    EXPECT_EQ(cas.download()[0], n);
    EXPECT_GE(got.exch_seen, 0);
    EXPECT_LT(got.exch_seen, n);
    EXPECT_EQ(__half2float(h.download()[0]), static_cast<float>(h_add));
  });
}

TEST_F(SimKernels, ThreadfenceLastBlockReduction) {
  const int n = 10007, blocks = 23;
  std::vector<float> host(n);
  double want = 0;
  for (int i = 0; i < n; ++i) want += host[i] = float(i % 17 - 8);
  DeviceBuffer<float> in(host), partial(blocks), total(1);
  DeviceBuffer<unsigned> done(1);
  done.fill_bytes(0);
  in_every_schedule([&] {
    total.fill_bytes(0xff);
    for (int rep = 0; rep < 2; ++rep) {  // the last block resets the counter for the next launch
      launch(fence_reduce, {dim3(blocks), dim3(128)}, in.get(), n, partial.get(), done.get(), total.get());
      EXPECT_EQ(total.download()[0], static_cast<float>(want));
      EXPECT_EQ(done.download()[0], 0u);
    }
  });
}

TEST_F(SimKernels, TiledSgemmMatchesHost) {
  for (const std::vector<int>& shape : {std::vector<int>{37, 45, 53}, {16, 16, 16}, {64, 33, 17}}) {
    const int M = shape[0], N = shape[1], K = shape[2];
    std::vector<float> a(size_t(M) * K), b(size_t(K) * N), want(size_t(M) * N, 0.0f);
    for (size_t i = 0; i < a.size(); ++i) a[i] = float(int(i * 7 % 11) - 5);
    for (size_t i = 0; i < b.size(); ++i) b[i] = float(int(i * 5 % 13) - 6);
    for (int r = 0; r < M; ++r)
      for (int c = 0; c < N; ++c)
        for (int k = 0; k < K; ++k) want[size_t(r) * N + c] += a[size_t(r) * K + k] * b[size_t(k) * N + c];
    DeviceBuffer<float> da(a), db(b), dc(want.size());
    in_every_schedule([&] {
      dc.fill_bytes(0xff);
      launch(sgemm_tiled, {dim3((N + kTile - 1) / kTile, (M + kTile - 1) / kTile), dim3(kTile, kTile)}, da.get(),
             db.get(), dc.get(), M, N, K);
      EXPECT_EQ(dc.download(), want) << M << "x" << N << "x" << K;
    });
  }
}

TEST_F(SimKernels, SharedMemoryTreeReductionMatchesHost) {
  const int n = 100003, threads = 256, blocks = (n + 2 * threads - 1) / (2 * threads);
  std::vector<int> host(n);
  for (int i = 0; i < n; ++i) host[i] = (i * 2654435761u) % 2001 - 1000;
  std::vector<long long> want(blocks, 0);
  for (int i = 0; i < n; ++i) want[i / (2 * threads)] += host[i];
  DeviceBuffer<int> in(host);
  DeviceBuffer<long long> out(blocks);
  in_every_schedule([&] {
    out.fill_bytes(0);
    launch(tree_sum, {dim3(blocks), dim3(threads), threads * sizeof(long long)}, in.get(), n, out.get());
    EXPECT_EQ(out.download(), want);
  });
}

TEST_F(SimKernels, HalfAndBfloat16Arithmetic) {
  // Small integers and halves: every input, product and sum is exact in both types.
  const int n = 70;
  std::vector<float> a(n), b(n), c(n);
  for (int i = 0; i < n; ++i) {
    a[i] = float(i % 9 - 4) * 0.5f;
    b[i] = float(i % 7 - 3);
    c[i] = float(i % 5) * 2.0f;
  }
  DeviceBuffer<float> da(a), db(b), dc(c), out(size_t(n) * 10);
  in_every_schedule([&] {
    launch(low_precision_ops, {dim3(3), dim3(32)}, da.get(), db.get(), dc.get(), out.get(), n);
    const std::vector<float> got = out.download();
    for (int i = 0; i < n; ++i) {
      const float want[5] = {a[i] * b[i] + c[i], a[i] + b[i], a[i] * b[i], a[i] - b[i], std::max(a[i], b[i])};
      for (int k = 0; k < 10; ++k) ASSERT_EQ(got[size_t(i) * 10 + k], want[k % 5]) << "element " << i << " op " << k;
    }
  });
  // __hfma rounds once: (1 + 2^-10) * 2046 * 2^-22 + (1 + 2^-10) = 1 + 2^-10 + 2^-11 - 2^-31 lies just
  // below a tie and rounds down to 1 + 2^-10; rounded to float first it would reach the tie and round up.
  DeviceBuffer<float> one(1);
  launch(hfma_once, {dim3(1), dim3(1)}, 1.0f + 0.0009765625f, 2046.0f / 4194304.0f, 1.0f + 0.0009765625f, one.get());
  EXPECT_EQ(one.download()[0], 1.0f + 0.0009765625f);
  // Rounding: 1 + 2^-11 is a tie in half (rounds to even: 1), 1 + 2^-8 + 2^-9 rounds up in bf16.
  EXPECT_EQ(__half2float(__float2half(1.0f + 0.00048828125f)), 1.0f);
  EXPECT_EQ(__bfloat162float(__float2bfloat16(1.0f + 0.00390625f + 0.001953125f)), 1.0078125f);
}
