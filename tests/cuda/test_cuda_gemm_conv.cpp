// The CUDA GEMM and conv paths that the per-family harness (tests/cpp/backend) does not reach
// through Backend's entries: the GEMM's two batch levels with a broadcast, column-major operand
// and a padded output (what conv.cu relies on), an empty K, seek's own GEMM against cuBLAS (GPU
// build), conv's chunk loop (several chunks of images, uneven last chunk, the pointwise path),
// and the errors for bad operands.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "kernels/conv.cuh"
#include "kernels/linalg.cuh"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

std::vector<double> values(const Tensor& t) { return to_vector<double>(t.to(kCPU).to(kFloat64).contiguous()); }

// max |got - want| <= tol * max(1, max |want|).
void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 1;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol * scale) << what << " [" << i << "]";
}

struct GemmCase {
  int64_t B0, B1, M, N, K;
};

// out[b0, b1] = alpha * a[b0, b1] @ b[b1] + beta * out[b0, b1] through gemm_forward, with a
// [B0, B1, M, K] row-major, b stored column-major per matrix and broadcast over b0, and out rows
// padded by 3 elements whose sentinels must survive; checked against f64 loops on the host.
void check_batched_gemm(DType dt, const GemmCase& c, double alpha, double beta, double tol) {
  const int64_t ldc = c.N + 3;
  const Tensor a64 = uniform_tensor({c.B0, c.B1, c.M, c.K}, -1, 1, kFloat64, 11);
  const Tensor bt64 = uniform_tensor({c.B1, c.N, c.K}, -1, 1, kFloat64, 12);  // b[b1] transposed
  const Tensor out64 = uniform_tensor({c.B0, c.B1, c.M, ldc}, -1, 1, kFloat64, 13);
  const Tensor a = a64.to(kCUDA, dt), bt = bt64.to(kCUDA, dt), out = out64.to(kCUDA, dt);
  const std::vector<double> av = values(a), bv = values(bt), before = values(out);
  cuda::gemm_forward(dt, {c.B0, c.B1, c.M, c.N, c.K}, {a.data_ptr(), c.B1 * c.M * c.K, c.M * c.K, c.K, 1},
                     {bt.data_ptr(), 0, c.N * c.K, 1, c.K}, {out.data_ptr(), c.B1 * c.M * ldc, c.M * ldc, ldc, 1},
                     alpha, beta, cuda::current_stream());
  std::vector<double> want = before;
  for (int64_t b0 = 0; b0 < c.B0; ++b0)
    for (int64_t b1 = 0; b1 < c.B1; ++b1)
      for (int64_t m = 0; m < c.M; ++m)
        for (int64_t n = 0; n < c.N; ++n) {
          double s = 0;
          for (int64_t k = 0; k < c.K; ++k)
            s += av[static_cast<size_t>(((b0 * c.B1 + b1) * c.M + m) * c.K + k)] *
                 bv[static_cast<size_t>((b1 * c.N + n) * c.K + k)];
          double& o = want[static_cast<size_t>(((b0 * c.B1 + b1) * c.M + m) * ldc + n)];
          o = alpha * s + (beta == 0 ? 0 : beta * o);
        }
  expect_near_all(values(out), want, tol,
                  str(dtype_name(dt), " gemm B", c.B0, "x", c.B1, " ", c.M, "x", c.K, "x", c.N, " beta ", beta));
}

TEST(CudaGemm, TwoBatchLevelsBroadcastTransposedAndPaddedOutput) {
  for (const GemmCase& c : {GemmCase{2, 3, 70, 67, 37}, GemmCase{3, 2, 5, 9, 1}, GemmCase{1, 4, 1, 65, 17}}) {
    check_batched_gemm(kFloat64, c, 1.0, 0.0, 1e-12);
    check_batched_gemm(kFloat32, c, 1.5, 0.5, 1e-5);
    check_batched_gemm(kFloat16, c, 0.5, -1.0, 2e-2);
  }
}

TEST(CudaGemm, EmptySumScalesOrZeroesTheOutput) {
  const Tensor a = empty({2, 3, 0}, TensorOptions(kFloat32).device(kCUDA));
  const Tensor b = empty({2, 0, 4}, TensorOptions(kFloat32).device(kCUDA));
  const Tensor out = full({2, 3, 4}, 2.0, TensorOptions(kFloat32)).to(kCUDA);
  backend(kCUDA).gemm(a, b, out, 1.0, 0.25);
  for (double v : values(out)) EXPECT_EQ(v, 0.5);
  const Tensor nan_out = full({2, 3, 4}, std::nan(""), TensorOptions(kFloat32)).to(kCUDA);
  backend(kCUDA).gemm(a, b, nan_out, 1.0, 0.0);  // beta 0: out is not read
  for (double v : values(nan_out)) EXPECT_EQ(v, 0.0);
}

// In the nvcc build gemm_forward takes cuBLAS; seek's own kernel must agree with it.
TEST(CudaGemm, OwnKernelMatchesLibrary) {
#if defined(SEEK_CUDA_SIM)
  GTEST_SKIP() << "the simulated device has only seek's own GEMM (cuBLAS needs the nvcc build and a GPU)";
#else
  const cuda::GemmImpl saved = cuda::gemm_impl();
  for (DType dt : {kFloat32, kFloat16, kBFloat16, kFloat64}) {
    const Tensor a = uniform_tensor({3, 130, 77}, -1, 1, dt, 21).to(kCUDA);
    const Tensor b = uniform_tensor({3, 99, 77}, -1, 1, dt, 22).to(kCUDA).transpose(1, 2);
    Tensor lib = empty({3, 130, 99}, TensorOptions(dt).device(kCUDA));
    Tensor own = empty({3, 130, 99}, TensorOptions(dt).device(kCUDA));
    cuda::set_gemm_impl(cuda::GemmImpl::Library);
    backend(kCUDA).gemm(a, b, lib, 1.0, 0.0);
    cuda::set_gemm_impl(cuda::GemmImpl::Own);
    backend(kCUDA).gemm(a, b, own, 1.0, 0.0);
    const double tol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-5 : 2e-2;
    expect_near_all(values(own), values(lib), tol, str("own vs cuBLAS gemm, ", dtype_name(dt)));
  }
  cuda::set_gemm_impl(saved);
#endif
}

TEST(CudaGemm, RejectsIntegerAndMismatchedOperands) {
  const Tensor i = empty({1, 2, 2}, TensorOptions(kInt32).device(kCUDA));
  EXPECT_THROW(backend(kCUDA).gemm(i, i, empty({1, 2, 2}, TensorOptions(kInt32).device(kCUDA)), 1, 0), DTypeError);
  const Tensor f = empty({1, 2, 3}, TensorOptions(kFloat32).device(kCUDA));
  EXPECT_THROW(backend(kCUDA).gemm(f, f, empty({1, 2, 3}, TensorOptions(kFloat32).device(kCUDA)), 1, 0), ShapeError);
  EXPECT_FALSE(backend(kCUDA).supports(BackendFamily::Gemm, kInt64));
}

// Restores conv's patch limit when a test ends.
struct PatchLimit {
  int64_t saved;
  explicit PatchLimit(int64_t elems) : saved(cuda::set_conv_patch_limit(elems)) {}
  ~PatchLimit() { cuda::set_conv_patch_limit(saved); }
};

struct ConvCase {
  int64_t N, C, H, W, O, k;
  Conv2dParams p;
  int64_t patch_limit;  // elements: decides the images per chunk
};

TEST(CudaConv, ChunksOfImagesMatchTheCpu) {
  const ConvCase cases[] = {
      {5, 4, 7, 6, 6, 3, {{2, 1}, {1, 1}, {1, 1}, 2}, 2 * 36 * 24},  // 2 images (36 x 24 patches each) a chunk: 2, 2, 1
      {3, 4, 7, 6, 6, 3, {{2, 1}, {1, 1}, {1, 1}, 2}, 1},            // 1 image a chunk
      {5, 6, 5, 4, 4, 1, {{1, 1}, {0, 0}, {1, 1}, 1}, 3 * 6 * 20},   // pointwise: 3, 2
  };
  for (const ConvCase& c : cases) {
    const PatchLimit limit(c.patch_limit);
    for (DType dt : {kFloat32, kFloat64}) {
      const std::string what =
          str("conv N", c.N, " C", c.C, " O", c.O, " k", c.k, " limit ", c.patch_limit, " ", dtype_name(dt));
      const Tensor x = uniform_tensor({c.N, c.C, c.H, c.W}, -1, 1, kFloat64, 31);
      const Tensor w = uniform_tensor({c.O, c.C / c.p.groups, c.k, c.k}, -1, 1, kFloat64, 32);
      const Tensor b = uniform_tensor({c.O}, -1, 1, kFloat64, 33);
      const int64_t OH = (c.H + 2 * c.p.padding[0] - c.k) / c.p.stride[0] + 1;
      const int64_t OW = (c.W + 2 * c.p.padding[1] - c.k) / c.p.stride[1] + 1;
      const Tensor gy = uniform_tensor({c.N, c.O, OH, OW}, -1, 1, kFloat64, 34);
      const auto on_gpu = [&](const Tensor& t) { return t.to(kCUDA, dt); };
      const auto like = [&](const Tensor& t) { return empty(t.sizes(), TensorOptions(dt).device(kCUDA)); };
      const auto like64 = [&](const Tensor& t) { return empty(t.sizes(), TensorOptions(kFloat64)); };
      const double tol = dt == kFloat64 ? 1e-12 : 1e-5;

      Tensor y = like(gy), want_y = like64(gy);
      backend(kCUDA).conv2d_forward(on_gpu(x), on_gpu(w), on_gpu(b), c.p, y);
      backend(kCPU).conv2d_forward(x, w, b, c.p, want_y);
      expect_near_all(values(y), values(want_y), tol, what + " forward");

      Tensor gx = like(x), gw = like(w), gb = like(b);
      Tensor want_gx = like64(x), want_gw = like64(w), want_gb = like64(b);
      backend(kCUDA).conv2d_backward(on_gpu(gy), on_gpu(x), on_gpu(w), c.p, gx, gw, gb);
      backend(kCPU).conv2d_backward(gy, x, w, c.p, want_gx, want_gw, want_gb);
      expect_near_all(values(gx), values(want_gx), tol, what + " grad_input");
      expect_near_all(values(gw), values(want_gw), tol, what + " grad_weight");
      expect_near_all(values(gb), values(want_gb), tol, what + " grad_bias");
    }
  }
}

// In the nvcc build with cuDNN conv2d takes cuDNN; seek's own kernels must agree with it.
TEST(CudaConv, OwnKernelsMatchCudnn) {
  const cuda::ConvImpl saved = cuda::conv_impl();
  cuda::set_conv_impl(cuda::ConvImpl::Library);
  if (cuda::conv_impl() != cuda::ConvImpl::Library)
    GTEST_SKIP() << "conv2d has no cuDNN path in this build (the simulator build, or cuDNN not found)";
  Conv2dParams strided;
  strided.stride = {2, 1}, strided.padding = {1, 2}, strided.dilation = {1, 2}, strided.groups = 2;
  for (const Conv2dParams& p : {Conv2dParams{}, strided}) {
    for (DType dt : {kFloat32, kFloat16, kBFloat16, kFloat64}) {
      const Tensor x = uniform_tensor({4, 6, 13, 11}, -1, 1, dt, 41).to(kCUDA);
      const Tensor w = uniform_tensor({8, 6 / p.groups, 3, 3}, -1, 1, dt, 42).to(kCUDA);
      const Tensor b = uniform_tensor({8}, -1, 1, dt, 43).to(kCUDA);
      const int64_t OH = (13 + 2 * p.padding[0] - p.dilation[0] * 2 - 1) / p.stride[0] + 1;
      const int64_t OW = (11 + 2 * p.padding[1] - p.dilation[1] * 2 - 1) / p.stride[1] + 1;
      const Tensor gy = uniform_tensor({4, 8, OH, OW}, -1, 1, dt, 44).to(kCUDA);
      std::vector<std::vector<double>> results[2];
      for (int own = 0; own < 2; ++own) {
        cuda::set_conv_impl(own ? cuda::ConvImpl::Own : cuda::ConvImpl::Library);
        const auto like = [&](const Tensor& t) { return empty(t.sizes(), TensorOptions(dt).device(kCUDA)); };
        Tensor y = like(gy), gx = like(x), gw = like(w), gb = like(b);
        backend(kCUDA).conv2d_forward(x, w, b, p, y);
        backend(kCUDA).conv2d_backward(gy, x, w, p, gx, gw, gb);
        results[own] = {values(y), values(gx), values(gw), values(gb)};
      }
      const double tol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-5 : 3e-2;
      const char* names[] = {"forward", "grad_input", "grad_weight", "grad_bias"};
      for (int k = 0; k < 4; ++k)
        expect_near_all(results[1][k], results[0][k], tol,
                        str("own vs cuDNN conv2d ", names[k], " groups ", p.groups, " ", dtype_name(dt)));
    }
  }
  cuda::set_conv_impl(saved);
}

TEST(CudaConv, RejectsMismatchedOperands) {
  const TensorOptions o = TensorOptions(kFloat32).device(kCUDA);
  Conv2dParams p;
  // weight's input channels (3) do not match the input's (4)
  EXPECT_THROW(backend(kCUDA).conv2d_forward(empty({1, 4, 5, 5}, o), empty({2, 3, 3, 3}, o), Tensor(), p,
                                             empty({1, 2, 3, 3}, o)),
               ShapeError);
  // out has the wrong spatial size
  EXPECT_THROW(backend(kCUDA).conv2d_forward(empty({1, 4, 5, 5}, o), empty({2, 4, 3, 3}, o), Tensor(), p,
                                             empty({1, 2, 4, 4}, o)),
               ShapeError);
  p.groups = 0;
  EXPECT_THROW(backend(kCUDA).conv2d_forward(empty({1, 4, 5, 5}, o), empty({2, 4, 3, 3}, o), Tensor(), p,
                                             empty({1, 2, 3, 3}, o)),
               ValueError);
}

TEST(CudaPool, MaxPoolBackwardRejectsOutOfRangeIndices) {
  const TensorOptions o = TensorOptions(kFloat32).device(kCUDA);
  const Tensor gy = full({1, 1, 2, 2}, 1.0, TensorOptions(kFloat32)).to(kCUDA);
  const Tensor idx = tensor(std::vector<int64_t>{0, 3, 16, 5}, {1, 1, 2, 2}).to(kCUDA);  // 16 > 4x4
  EXPECT_THROW(backend(kCUDA).max_pool2d_backward(gy, idx, empty({1, 1, 4, 4}, o)), IndexError);
}

}  // namespace
