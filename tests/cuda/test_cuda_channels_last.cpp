// channels_last on the CUDA backend (the simulated device in CI): conv, batch norm (built from elementwise ops
// and reductions on CUDA), pooling and a ResNet basic block give channels_last outputs and input gradients
// equal to the NCHW path (tests/cpp/ops/channels_last_checks.h), copies between devices keep the layout, and a
// channels_last CNN on the device matches the same one on the CPU.
#include <gtest/gtest.h>

#include "ops/channels_last_checks.h"
#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;
using seek::testing::cl_values;
using seek::testing::expect_same_values;

namespace {
class CudaChannelsLast : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};
constexpr MemoryFormat kCL = MemoryFormat::ChannelsLast;
}  // namespace

TEST_F(CudaChannelsLast, CnnOpsMatchNchw) { seek::testing::check_cnn_ops_channels_last(kFloat32, kCUDA, 1e-4); }

TEST_F(CudaChannelsLast, CopiesAndElementwiseKeepTheLayout) {
  Tensor host = cl_values({2, 3, 4, 5}, kFloat32, kCPU, 1).contiguous(kCL);
  Tensor dev = host.to(kCUDA);
  EXPECT_EQ(dev.strides(), host.strides());
  EXPECT_TRUE(host.contiguous().to(kCUDA, false, false, kCL).is_contiguous(kCL));
  EXPECT_TRUE(dev.to(kCPU, kFloat64).is_contiguous(kCL));
  Tensor b = cl_values({3, 1, 1}, kFloat32, kCUDA, 2);
  Tensor y = relu(dev * 2 + b);
  EXPECT_TRUE(y.is_contiguous(kCL));
  expect_same_values(y, relu(host * 2 + b.cpu()), 1e-6, "relu(2x + b)");
  EXPECT_TRUE(empty_like(dev).is_contiguous(kCL));
  EXPECT_TRUE(dev.clone().is_contiguous(kCL));
}

TEST_F(CudaChannelsLast, ConvBnReluPoolMatchesTheCpu) {
  Tensor w = cl_values({5, 3, 3, 3}, kFloat32, kCPU, 3), g = cl_values({5}, kFloat32, kCPU, 4).add(2);
  auto run = [&](Device d) {
    Tensor x = cl_values({2, 3, 6, 6}, kFloat32, kCPU, 5).to(d, false, false, kCL).requires_grad_(true);
    Tensor wd = w.to(d, false, false, kCL).requires_grad_(true);
    Tensor rm = zeros({5}, TensorOptions(kFloat32).device(d)), rv = ones({5}, TensorOptions(kFloat32).device(d));
    Tensor y = max_pool2d(relu(batch_norm(conv2d(x, wd, Tensor(), 1, 1), rm, rv, g.to(d), Tensor(), true)), 2);
    EXPECT_TRUE(y.is_contiguous(kCL));
    y.square().sum().backward();
    EXPECT_TRUE(x.grad().is_contiguous(kCL));
    EXPECT_TRUE(wd.grad().is_contiguous(kCL));
    return std::vector<Tensor>{y.detach().cpu(), x.grad().cpu(), wd.grad().cpu()};
  };
  auto c = run(kCPU), d = run(kCUDA);
  expect_same_values(c[0], d[0], 1e-4, "output");
  expect_same_values(c[1], d[1], 1e-3, "input grad");
  expect_same_values(c[2], d[2], 1e-3, "weight grad");
}
