// The GPU-specific paths of kernels/optim.cu that the cross-backend harness
// (tests/cpp/backend/test_optim.cpp: small f32/f64 tensors) does not reach: a
// gradient norm over tensors that need the capped grid of several blocks plus
// the final combining block, its NaN/inf results, f16/bf16 gradients for the
// norm and unscale-and-check, empty tensors in the list, an undefined found_inf,
// and tensors on the wrong device. Expected values come from the CPU backend.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "seek/backend/backend.h"
#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaOptim : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
  static Device gpu() { return Device(DeviceType::CUDA, 0); }
};

Tensor ramp(int64_t n, double lo, double hi, uint64_t seed, DType dt) {
  std::vector<double> v(static_cast<size_t>(n));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * static_cast<double>(s >> 11) / 9007199254740992.0;
  }
  return tensor<double>(v, {n}).to(dt);
}

double scalar_of(const Tensor& t) { return to_vector<double>(t.to(kCPU).to(kFloat64))[0]; }

// The norm of `grads` (CPU tensors) on the GPU and on the CPU, as doubles.
std::pair<double, double> norms(const std::vector<Tensor>& grads, double p, DType dt, Device gpu) {
  OptimArgs dev, host;
  for (const Tensor& g : grads) {
    dev.grads.push_back(g.to(gpu));
    host.grads.push_back(g);
  }
  dev.norm_type = host.norm_type = p;
  dev.out = empty({}, TensorOptions(dt).device(gpu));
  host.out = empty({}, TensorOptions(dt));
  backend(gpu).optim(OptimOp::GradNorm, dev);
  backend(kCPU).optim(OptimOp::GradNorm, host);
  return {scalar_of(dev.out), scalar_of(host.out)};
}

TEST_F(CudaOptim, GradNormOverManyBlocksMatchesTheCpu) {
  const double kInf = std::numeric_limits<double>::infinity();
  for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16}) {
    // 40000 elements: the capped grid of 64 blocks, each thread several elements; an empty tensor between.
    const std::vector<Tensor> grads = {ramp(40000, -1, 1, 1, dt), ramp(0, 0, 1, 2, dt), ramp(333, -3, 3, 3, dt)};
    for (double p : {2.0, 1.0, 3.0, kInf}) {
      const auto [got, want] = norms(grads, p, dt, gpu());
      const double rel = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-6 : 1e-2;
      EXPECT_NEAR(got, want, rel * want) << dtype_name(dt) << " p=" << p;
    }
  }
}

TEST_F(CudaOptim, GradNormOfNonFiniteGrads) {
  const double kInf = std::numeric_limits<double>::infinity(), kNaN = std::numeric_limits<double>::quiet_NaN();
  for (double bad : {kInf, kNaN}) {
    std::vector<double> v(5000, 0.5);
    v[4321] = bad;
    const std::vector<Tensor> grads = {ramp(700, -1, 1, 4, kFloat32), tensor<double>(v, {5000}).to(kFloat32)};
    for (double p : {2.0, 1.0, kInf}) {
      const auto [got, want] = norms(grads, p, kFloat32, gpu());
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(got)) << "bad " << bad << " p=" << p << ": " << got;
      else
        EXPECT_EQ(got, want) << "bad " << bad << " p=" << p;
    }
  }
}

TEST_F(CudaOptim, ScaleGradsInReducedPrecisionAndWithoutAFlag) {
  for (DType dt : {kFloat16, kBFloat16, kFloat32}) {
    for (bool with_flag : {true, false}) {
      std::vector<double> v = to_vector<double>(ramp(3000, -4, 4, 5, kFloat64));
      v[2999] = std::numeric_limits<double>::infinity();
      const Tensor host = tensor<double>(v, {3000}).to(dt);
      OptimArgs dev;
      dev.grads = {host.to(gpu()), empty({0}, TensorOptions(dt).device(gpu()))};
      dev.scale = scalar_tensor(0.125, TensorOptions(kFloat32)).to(gpu());
      if (with_flag) dev.found_inf = zeros({}, TensorOptions(kFloat32).device(gpu()));
      backend(gpu()).optim(OptimOp::ScaleGrads, dev);
      OptimArgs cpu;
      cpu.grads = {host.clone()};
      cpu.scale = scalar_tensor(0.125, TensorOptions(kFloat32));
      cpu.found_inf = zeros({}, TensorOptions(kFloat32));
      backend(kCPU).optim(OptimOp::ScaleGrads, cpu);
      EXPECT_EQ(to_vector<double>(dev.grads[0].to(kCPU).to(kFloat64)), to_vector<double>(cpu.grads[0].to(kFloat64)))
          << dtype_name(dt);
      if (with_flag) EXPECT_EQ(scalar_of(dev.found_inf), 1.0) << dtype_name(dt);
    }
  }
}

TEST_F(CudaOptim, TensorsOnAnotherDeviceAreRejected) {
  OptimArgs a;
  a.params = {zeros({4}, TensorOptions(kFloat32).device(gpu()))};
  a.grads = {zeros({4}, TensorOptions(kFloat32))};  // on the host
  a.steps = {1};
  a.hyper.lr = 0.1;
  EXPECT_THROW(backend(gpu()).optim(OptimOp::SGD, a), DeviceError);
  a.grads = {zeros({4}, TensorOptions(kFloat32).device(gpu()))};
  a.params = {zeros({4}, TensorOptions(kFloat16).device(gpu()))};
  EXPECT_THROW(backend(gpu()).optim(OptimOp::SGD, a), DTypeError);
}

}  // namespace
