// What only the simulator shows about the tensor-core wrappers (suite TensorCoreSim, so
// that --gtest_filter=TensorCore* picks it up too; the GPU build compiles it empty):
// cp.async waits are partial (a late schedule keeps groups not yet waited for poisoned),
// the tiled GEMM without its cp.async wait reads that poison, mma sums exactly and rounds
// once, and misuse of the wrappers is an error naming the lane, the call and the launch.
#if defined(SEEK_CUDA_SIM)
#include "tests/cuda/tensor_core_testing.cuh"

namespace {

class TensorCoreSim : public TensorCore {};

TEST_F(TensorCoreSim, CpAsyncWaitsArePartialInLateSchedules) {
  // With late landing, a group not yet waited for still holds the poison pattern.
  ScheduleScope late({sim::Order::Forward, 0, true});
  const std::vector<unsigned char> out = run_cp_async(true);
  expect_landed(out);
  const int issued_end[kSnapshots] = {32, 32, 48, kCopyBytes};  // bytes targeted by copies issued so far
  for (int s = 0; s < kSnapshots; ++s)
    for (int tid = 0; tid < kCopyThreads; ++tid)
      for (int j = 8; j < issued_end[s]; ++j)
        if (!landed_by(s, j))
          ASSERT_EQ(out[static_cast<size_t>((s * kCopyThreads + tid) * kCopyBytes + j)], 0xff)
              << "snapshot " << s << " thread " << tid << " byte " << j;
}

TEST_F(TensorCoreSim, GemmWithoutTheCpAsyncWaitReadsPoison) {
  ScheduleScope late({sim::Order::Random, 3, true});
  const int M = 128, N = 192, K = 96;
  const Gemm g = gemm_inputs<__nv_bfloat16>(M, N, K, true, 13);
  const std::vector<float> want = gemm_reference<__nv_bfloat16>(g, false);
  const std::vector<float> broken = run_gemm<__nv_bfloat16>(g, false);
  size_t nans = 0;
  for (float v : broken) nans += std::isnan(v) ? 1 : 0;
  EXPECT_EQ(nans, broken.size()) << "every output reads poisoned (NaN) shared memory";
  const std::vector<float> fixed = run_gemm<__nv_bfloat16>(g, true);
  for (size_t i = 0; i < fixed.size(); ++i) ASSERT_EQ(float_bits(fixed[i]), float_bits(want[i])) << "element " << i;
}

TEST_F(TensorCoreSim, MmaSumsExactlyThenRoundsOnce) {
  // 2^24 + 1 + 1 = 2^24 + 2 exactly; adding one product at a time in f32 would stay at 2^24
  // (the GPU's own order and precision are not modelled, so this runs in the simulator only).
  MmaProblem q;
  q.c[0][0] = 16777216.0f;
  q.a[0][0] = q.a[0][1] = 1.0f;
  q.b[0][0] = q.b[1][0] = 1.0f;
  float sequential = q.c[0][0];
  for (int k = 0; k < 2; ++k) sequential += q.a[0][k] * q.b[k][0];
  ASSERT_EQ(sequential, 16777216.0f);
  expect_mma_exact<__nv_bfloat16>({q}, "exact sum");  // expects 16777218
  // NaN and infinity propagate through the sums of their row and column.
  MmaProblem special;
  special.a[3][5] = NAN;
  special.b[5][2] = 1.0f;
  special.b[7][6] = INFINITY;
  special.a[9][7] = 2.0f;
  expect_mma_exact<__half>({special}, "NaN and infinity");
}

// Misuse the simulator reports, naming what was wrong (these kernels never run on a GPU).
__global__ void ldmatrix_misaligned_kernel(uint32_t* out) {
  __shared__ __align__(16) uint16_t smem[32 * 16];
  const int lane = static_cast<int>(threadIdx.x);
  for (int j = 0; j < 16; ++j) smem[lane * 16 + j] = 0;
  __syncthreads();
  uint32_t r[1];
  cuda::ldmatrix<1>(r, &smem[lane * 16 + (lane == 3 ? 4 : 0)]);  // lane 3's row is 8 bytes off
  out[lane] = r[0];
}
__global__ void ldmatrix_global_kernel(const uint16_t* rows, uint32_t* out) {
  uint32_t r[2];
  cuda::ldmatrix<2, true>(r, rows + (threadIdx.x % 16) * 8);
  out[threadIdx.x] = r[0];
}
__global__ void cp_async_from_shared_kernel(unsigned char* out) {
  __shared__ __align__(16) unsigned char a[16], b[16];
  cuda::cp_async<16>(a, b);
  cuda::cp_async_wait_all();
  out[0] = a[0];
}
__global__ void cp_async_misaligned_kernel(const unsigned char* src, unsigned char* out) {
  __shared__ __align__(16) unsigned char a[16];
  cuda::cp_async<16>(a, src + 8);
  cuda::cp_async_wait_all();
  out[0] = a[0];
}
__global__ void mma_partial_warp_kernel(float* out) {
  const uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
  const float c[4] = {0, 0, 0, 0};
  float d[4];
  cuda::mma_m16n8k16<__nv_bfloat16>(d, a, b, c);
  out[threadIdx.x] = d[0];
}

template <typename F>
void expect_sim_error(F run, const std::string& needle) {
  try {
    run();
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST_F(TensorCoreSim, ReportsMisuse) {
  DeviceBuffer<uint32_t> out(64);
  DeviceBuffer<uint16_t> rows(256);
  DeviceBuffer<unsigned char> bytes(64), src(64);
  DeviceBuffer<float> f(64);
  expect_sim_error(
      [&] {
        launch(ldmatrix_misaligned_kernel, {dim3(1), dim3(32)}, out.ptr);
      },
      "lane 3 gives row address");
  expect_sim_error([&] { launch(ldmatrix_misaligned_kernel, {dim3(1), dim3(32)}, out.ptr); }, "not 16-byte aligned");
  expect_sim_error(
      [&] {
        launch(ldmatrix_global_kernel, {dim3(1), dim3(32)}, rows.ptr, out.ptr);
      },
      "ldmatrix reads shared memory");
  expect_sim_error(
      [&] {
        launch(cp_async_from_shared_kernel, {dim3(1), dim3(32)}, bytes.ptr);
      },
      "the source is not global (device) memory");
  expect_sim_error(
      [&] {
        launch(cp_async_misaligned_kernel, {dim3(1), dim3(32)}, src.ptr, bytes.ptr);
      },
      "aligned to 16 bytes");
  expect_sim_error([&] { launch(mma_partial_warp_kernel, {dim3(1), dim3(48)}, f.ptr); }, "beyond the last lane");
}

}  // namespace
#endif  // SEEK_CUDA_SIM
