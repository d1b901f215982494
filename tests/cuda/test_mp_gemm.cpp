// The tensor-core mixed-precision GEMM (kernels/linalg_mp_gemm.cu) against its CPU twin
// (seek::cpu::mp_gemm) on the simulated device: every input/output dtype, both layouts of
// a and b, tails around the 128x128x32 tile, batches (strided, broadcast, two levels), each
// epilogue, misaligned operands (the element-wise load path), K = 0, the errors, and
// matmul / nn::Linear under autocast, which reach it through gemm_forward. The tolerances are
// explained in mp_gemm_testing.h.
#include "mp_gemm_testing.h"

namespace {

using namespace mp_gemm_testing;

const DType kIns[] = {DType::BFloat16, DType::Float16};
const DType kOuts[] = {DType::Float32, DType::BFloat16, DType::Float16};

TEST(CudaMpGemm, EveryDtypeAndLayoutExact) {
  for (DType in : kIns)
    for (DType out : kOuts)
      for (int layout = 0; layout < 4; ++layout) {
        Case c;
        c.M = 33, c.N = 17 + 8 * layout, c.K = 65, c.in = in, c.out = out;
        c.a_col = layout & 1, c.b_col = layout & 2, c.integers = true, c.seed = 10 + layout;
        check(c);
      }
}

TEST(CudaMpGemm, EveryDtypeAndLayoutRandom) {
  for (DType in : kIns)
    for (DType out : kOuts)
      for (int layout = 0; layout < 4; ++layout) {
        Case c;
        c.M = 40, c.N = 24, c.K = 96, c.in = in, c.out = out;
        c.a_col = layout & 1, c.b_col = layout & 2, c.seed = 20 + layout;
        check(c);
      }
}

TEST(CudaMpGemm, Tails) {
  const int64_t sizes[] = {1, 17, 33, 65, 130};
  int i = 0;
  for (int64_t M : sizes)
    for (int64_t N : sizes)
      for (int64_t K : sizes) {
        Case c;
        c.M = M, c.N = N, c.K = K, c.a_col = i & 1, c.b_col = (i >> 1) & 1, c.in = kIns[i % 2];
        c.integers = i % 3 == 0, c.seed = static_cast<uint32_t>(100 + i++);
        check(c);
      }
}

TEST(CudaMpGemm, FullTilesAndPaddedRows) {
  for (bool a_col : {false, true})
    for (bool b_col : {false, true}) {
      Case c;
      c.M = c.N = c.K = 128, c.a_col = a_col, c.b_col = b_col, c.integers = true;
      check(c);
      c.M = 128, c.N = 256, c.K = 96, c.pad = 8, c.integers = false, c.out = DType::BFloat16;  // 16-byte padded rows
      check(c);
    }
}

TEST(CudaMpGemm, Batched) {
  Case c;
  c.M = 33, c.N = 40, c.K = 48, c.batch = 3, c.integers = true;
  check(c);
  c.a_col = true, c.b_col = true, c.pad = 3, c.integers = false, c.out = DType::Float16;  // odd rows: element path
  check(c);
  c = Case{};
  c.M = 20, c.N = 9, c.K = 70, c.batch = 2, c.batch_inner = 3, c.a_broadcast = true, c.b_col = true;
  check(c);
}

TEST(CudaMpGemm, Epilogues) {
  const MpActivation acts[] = {MpActivation::None, MpActivation::Relu, MpActivation::GeluTanh, MpActivation::GeluErf};
  int i = 0;
  for (MpActivation act : acts)
    for (DType out : kOuts) {
      Case c;
      c.M = 35, c.N = 21, c.K = 40, c.out = out, c.act = act, c.bias = true, c.seed = static_cast<uint32_t>(200 + i);
      c.a_col = i & 1, c.in = kIns[(i >> 1) & 1];
      check(c);  // bias + activation
      c.residual = true, c.alpha = 0.5f, c.beta = -1.25f;
      check(c);  // everything
      c.bias = false, c.c_is_out = true, c.integers = true;
      check(c);  // in-place beta, exact for None/ReLU
      ++i;
    }
  Case c;
  c.alpha = 2.0f, c.beta = 0.0f, c.residual = true, c.integers = true;  // residual alone
  check(c);
}

TEST(CudaMpGemm, MisalignedOperandsTakeTheElementPath) {
  for (size_t mis : {size_t{1}, size_t{2}, size_t{4}})
    for (int layout = 0; layout < 4; ++layout) {
      Case c;
      c.M = 37, c.N = 29, c.K = 45, c.misalign = mis, c.a_col = layout & 1, c.b_col = layout & 2, c.integers = true;
      check(c);
    }
  Case c;  // aligned bases, odd leading dimensions
  c.M = 24, c.N = 24, c.K = 24, c.pad = 1, c.in = DType::Float16, c.out = DType::Float16;
  check(c);
}

TEST(CudaMpGemm, EmptyK) {
  Case c;
  c.M = 19, c.N = 23, c.K = 0, c.beta = 0.5f, c.bias = true, c.act = MpActivation::Relu, c.integers = true;
  check(c);
}

TEST(CudaMpGemm, BadArgumentsAreNamed) {
  void* dev = nullptr;
  ASSERT_EQ(cudaMalloc(&dev, 4096), cudaSuccess);
  std::vector<uint16_t> host(2048);
  auto base = [&] {
    MpGemmArgs g;
    g.M = g.N = g.K = 16;
    g.a = {dev, 16, 0, 0, false};
    g.b = {dev, 16, 0, 0, false};
    g.out = {dev, 16, 0, 0, false};
    return g;
  };
  auto expect_error = [&](const MpGemmArgs& g, const std::string& needle) {
    try {
      cuda::mp_gemm(g, cuda::current_stream());
      ADD_FAILURE() << "no error; expected one naming " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  MpGemmArgs g = base();
  g.in_dtype = DType::Float32;
  expect_error(g, "in_dtype");
  g = base(), g.out_dtype = DType::Int32;
  expect_error(g, "out_dtype");
  g = base(), g.a.data = nullptr;
  expect_error(g, "a is null");
  g = base(), g.b.ld = 15;
  expect_error(g, "b.ld 15");
  g = base(), g.a.col_major = true, g.a.ld = 8;
  expect_error(g, "a.ld 8");
  g = base(), g.out.col_major = true;
  expect_error(g, "out must be row-major");
  g = base(), g.beta = 1.0f;
  expect_error(g, "c is null");
  g = base(), g.b.data = static_cast<char*>(dev) + 1;
  expect_error(g, "b (");
  g = base(), g.K = -1;
  expect_error(g, "K=-1");
  g = base(), g.a.data = host.data();
  expect_error(g, "a (");
  g = base(), g.bias = host.data();
  expect_error(g, "bias");
  g = base(), g.batch = 0;
  expect_error(g, "batch");
  ASSERT_EQ(cudaFree(dev), cudaSuccess);
  g = base(), g.in_dtype = DType::Float32;  // the twin checks the same way
  try {
    cpu::mp_gemm(g);
    ADD_FAILURE() << "cpu::mp_gemm took in_dtype float32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cpu::mp_gemm: in_dtype"), std::string::npos) << e.what();
  }
}

// matmul and Linear of 16-bit CUDA tensors go through gemm_forward's mp_gemm hook on the
// simulated device: integer-valued operands give the exact products.
TEST(CudaMpGemm, MatmulAndLinearUnderAutocast) {
  // Sums up to 50 in magnitude: exact in bf16 and f16.
  const Tensor a = randint(-1, 2, {2, 37, 50}, kFloat32);
  const Tensor b = randint(-1, 2, {50, 21}, kFloat32);
  const Tensor want = matmul(a.to(kFloat64), b.to(kFloat64));
  for (DType dt : {kBFloat16, kFloat16}) {
    const Tensor got = matmul(a.to(kCUDA, dt), b.to(kCUDA, dt));
    EXPECT_TRUE(equal(got.to(kCPU).to(kFloat64), want)) << dt;
    const Tensor got_t = matmul(a.to(kCUDA, dt), b.t().contiguous().t().to(kCUDA, dt));  // column-major b
    EXPECT_TRUE(equal(got_t.to(kCPU).to(kFloat64), want)) << dt;
  }
  nn::Linear lin(50, 21);  // |x W^T + bias| <= 202: exact in bf16
  {
    NoGradGuard ng;
    lin.param("weight").copy_(randint(-2, 3, {21, 50}, kFloat32));
    lin.param("bias").copy_(randint(-2, 3, {21}, kFloat32));
  }
  const Tensor x = randint(-2, 3, {37, 50}, kFloat32);
  const Tensor want_lin = lin.forward(x);
  lin.to(kCUDA);
  amp::AutocastGuard guard(DeviceType::CUDA, kBFloat16);
  const Tensor y = lin.forward(x.to(kCUDA));
  EXPECT_EQ(y.dtype(), kBFloat16);
  EXPECT_TRUE(equal(y.to(kCPU).to(kFloat32), want_lin));
}

}  // namespace
