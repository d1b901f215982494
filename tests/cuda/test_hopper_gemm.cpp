// The Hopper GEMM (kernels/linalg_hopper_gemm.cu: TMA, mbarriers, warp-specialised wgmma) against
// its CPU twin on the simulated device, where kernels/hopper_primitives.cuh's simulator
// implementation runs it: bf16/f16 in, every output dtype, the four operand layouts (K-major and
// M/N-major boxes, wgmma's transpose flags), tails around the 128x128x64 tile (TMA's zero fill),
// several k-tiles (the 4-stage ring wraps, so the mbarrier phases flip), batches (strided,
// broadcast, two levels), each epilogue, and the operands it refuses. Tolerances as in
// mp_gemm_testing.h. (On a GPU it needs sm_90; the test skips elsewhere.)
#include "kernels/linalg_hopper_gemm.cuh"
#include "mp_gemm_testing.h"

namespace {

using namespace mp_gemm_testing;

bool hopper_available() {
#if defined(SEEK_CUDA_SIM)
  return true;
#else
  int major = 0, minor = 0;
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0);
  return major == 9 && minor == 0;
#endif
}

#define SKIP_WITHOUT_HOPPER() \
  if (!hopper_available()) GTEST_SKIP() << "the Hopper GEMM needs an sm_90 GPU"

void hcheck(Case c) {
  c.ld_align = 8;  // TMA: leading dimensions (and batch strides) in multiples of 16 bytes
  check(c, cuda::hopper_gemm);
}

const DType kIns[] = {DType::BFloat16, DType::Float16};
const DType kOuts[] = {DType::Float32, DType::BFloat16, DType::Float16};

TEST(CudaHopperGemm, EveryDtypeAndLayoutExact) {
  SKIP_WITHOUT_HOPPER();
  for (DType in : kIns)
    for (DType out : kOuts)
      for (int layout = 0; layout < 4; ++layout) {
        Case c;
        c.M = 72, c.N = 40 + 8 * layout, c.K = 80, c.in = in, c.out = out;
        c.a_col = layout & 1, c.b_col = layout & 2, c.integers = true, c.seed = 10 + layout;
        hcheck(c);
      }
}

TEST(CudaHopperGemm, RandomDataSeveralTilesAndRingWraps) {
  SKIP_WITHOUT_HOPPER();
  for (int layout = 0; layout < 4; ++layout) {
    Case c;  // 2 x 2 tiles, 6 k-tiles: the 4-stage ring wraps and the phases flip
    c.M = 200, c.N = 136, c.K = 352, c.in = kIns[layout % 2], c.out = DType::Float32;
    c.a_col = layout & 1, c.b_col = layout & 2, c.seed = 30 + layout;
    hcheck(c);
  }
}

TEST(CudaHopperGemm, Tails) {
  SKIP_WITHOUT_HOPPER();
  const int64_t sizes[] = {1, 9, 63, 65, 129};
  int i = 0;
  for (int64_t M : sizes)
    for (int64_t N : sizes) {
      Case c;
      c.M = M, c.N = N, c.K = sizes[i % 5] + 7, c.a_col = i & 1, c.b_col = (i >> 1) & 1, c.in = kIns[(i >> 2) % 2];
      c.integers = i % 2 == 0, c.seed = static_cast<uint32_t>(100 + i++);
      hcheck(c);
    }
}

TEST(CudaHopperGemm, Batched) {
  SKIP_WITHOUT_HOPPER();
  Case c;
  c.M = 33, c.N = 40, c.K = 48, c.batch = 3, c.integers = true;
  hcheck(c);
  c.a_col = true, c.b_col = true, c.integers = false, c.out = DType::Float16;
  hcheck(c);
  c = Case{};
  c.M = 20, c.N = 9, c.K = 70, c.batch = 2, c.batch_inner = 3, c.a_broadcast = true, c.b_col = true;
  hcheck(c);
}

TEST(CudaHopperGemm, Epilogues) {
  SKIP_WITHOUT_HOPPER();
  const MpActivation acts[] = {MpActivation::None, MpActivation::Relu, MpActivation::GeluTanh, MpActivation::GeluErf};
  int i = 0;
  for (MpActivation act : acts) {
    Case c;
    c.M = 35, c.N = 21, c.K = 40, c.out = kOuts[i % 3], c.act = act, c.bias = true;
    c.a_col = i & 1, c.in = kIns[(i >> 1) & 1], c.seed = static_cast<uint32_t>(200 + i);
    hcheck(c);  // bias + activation
    c.residual = true, c.alpha = 0.5f, c.beta = -1.25f;
    hcheck(c);  // everything
    c.bias = false, c.c_is_out = true, c.integers = true;
    hcheck(c);  // in-place beta
    ++i;
  }
}

TEST(CudaHopperGemm, EmptyK) {
  SKIP_WITHOUT_HOPPER();
  Case c;
  c.M = 19, c.N = 23, c.K = 0, c.beta = 0.5f, c.bias = true, c.act = MpActivation::Relu, c.integers = true;
  hcheck(c);
}

TEST(CudaHopperGemm, RefusesWhatTmaCannotLoad) {
  void* dev = nullptr;
  ASSERT_EQ(cudaMalloc(&dev, 1 << 16), cudaSuccess);
  MpGemmArgs g;
  g.M = g.N = g.K = 16;
  g.a = {dev, 16, 0, 0, false};
  g.b = {dev, 16, 0, 0, false};
  g.out = {dev, 16, 0, 0, false};
  EXPECT_EQ(cuda::hopper_gemm_unsupported(g), "");
  MpGemmArgs odd = g;
  odd.a.ld = 17;
  EXPECT_EQ(cuda::hopper_gemm_unsupported(odd), "a.ld 17 is not a multiple of 8 elements");
  MpGemmArgs mis = g;
  mis.b.data = static_cast<char*>(dev) + 2;
  EXPECT_EQ(cuda::hopper_gemm_unsupported(mis), "b is not 16-byte aligned");
  MpGemmArgs bat = g;
  bat.batch = 2, bat.a.batch_stride = 260;
  EXPECT_EQ(cuda::hopper_gemm_unsupported(bat), "a.batch_stride is not a multiple of 8 elements");
  bat.a.batch_stride = 128;  // 16 x 16 matrices 128 elements apart
  EXPECT_EQ(cuda::hopper_gemm_unsupported(bat), "a's outer batch matrices overlap");
  try {
    cuda::hopper_gemm(odd, cuda::current_stream());
    ADD_FAILURE() << "expected seek::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda::hopper_gemm: a.ld 17 is not a multiple of 8"), std::string::npos)
        << e.what();
  }
  cudaFree(dev);
}

}  // namespace
