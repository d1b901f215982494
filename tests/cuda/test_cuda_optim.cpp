// The GPU-specific paths of kernels/optim.cu that the cross-backend harness
// (tests/cpp/backend/test_optim.cpp: small f32/f64 tensors) does not reach: a
// gradient norm over tensors that need the capped grid of several blocks plus
// the final combining block, its NaN/inf results, f16/bf16 gradients for the
// norm and unscale-and-check, empty tensors in the list, an undefined found_inf,
// and tensors on the wrong device. Expected values come from the CPU backend.
// The multi-tensor launches (kernels/multi_tensor_apply.cuh): the host batching covers every
// chunk once, lists of many odd-sized tensors (one over a chunk, more tensors than one launch
// takes) step as on the CPU (bit for bit on the simulated device, whose kernels are compiled by
// the host compiler; within a few ulps on a GPU, where nvcc contracts multiply-adds), and the
// launch counter shows one launch per batch.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kernels/multi_tensor_apply.cuh"
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

// ---- multi-tensor launches ----

TEST(MultiTensorApply, EveryChunkOnceWithCarryOver) {
  // Sizes: empties, one tensor that overflows a batch's blocks, then more tensors than a batch's slots.
  std::vector<int64_t> numel = {0, 3, cuda::kChunkElements * (cuda::kMaxBlocks + 5) + 11, 0};
  for (int i = 0; i < cuda::kMaxTensors + 7; ++i) numel.push_back(1 + i * 97);
  std::vector<size_t> items;
  for (size_t i = 0; i < numel.size(); ++i) items.push_back(i);
  std::set<std::pair<size_t, int64_t>> seen;
  int64_t launches = 0, next_first = 0;
  const int64_t total = cuda::multi_tensor_apply(
      items, numel,
      [](cuda::MultiTensorBatch& b, int slot, size_t i) { b.ptr[0][slot] = reinterpret_cast<void*>(i + 1); },
      [&](const cuda::MultiTensorBatch& b, int blocks) {
        ASSERT_LE(blocks, cuda::kMaxBlocks);
        EXPECT_EQ(b.first_block, next_first);
        next_first += blocks;
        ++launches;
        for (int k = 0; k < blocks; ++k) {
          const int t = b.block_tensor[k];
          ASSERT_LT(t, cuda::kMaxTensors);
          const size_t item = reinterpret_cast<size_t>(b.ptr[0][t]) - 1;
          EXPECT_EQ(b.size[t], numel[item]);
          EXPECT_LT(b.block_chunk[k] * cuda::kChunkElements, numel[item]);
          EXPECT_TRUE(seen.insert({item, b.block_chunk[k]}).second) << "chunk done twice";
        }
      });
  int64_t chunks = 0;
  for (int64_t n : numel) chunks += cuda::chunk_count(n);
  EXPECT_EQ(total, chunks);
  EXPECT_EQ(static_cast<int64_t>(seen.size()), chunks);
  // The big tensor fills one batch and carries on; the small ones then need two more batches.
  EXPECT_EQ(launches, 3);
}

// `count` odd-sized f32/f64 tensors (one over a chunk) and a copy on the GPU.
std::vector<Tensor> odd_list(int count, DType dt, uint64_t seed, double lo, double hi) {
  std::vector<Tensor> out;
  for (int i = 0; i < count; ++i) {
    const int64_t n = i == 3 ? cuda::kChunkElements + 1234 : i == 5 ? 0 : 1 + (i * 37) % 500;
    out.push_back(ramp(n, lo, hi, seed * 1000 + static_cast<uint64_t>(i), dt));
  }
  return out;
}

std::vector<Tensor> to_gpu(const std::vector<Tensor>& ts, Device gpu) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(t.to(gpu));
  return out;
}

std::vector<Tensor> clones(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(t.clone());
  return out;
}

bool simulated() {
  static const bool sim = cuda::build_info().find("simulated") != std::string::npos;
  return sim;
}

// GPU tensors equal the CPU ones: bit for bit on the simulator, within a few ulps on a GPU.
void expect_lists_match(const std::vector<Tensor>& gpu, const std::vector<Tensor>& cpu, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size());
  for (size_t i = 0; i < gpu.size(); ++i) {
    const auto g = to_vector<double>(gpu[i].to(kCPU).to(kFloat64));
    const auto c = to_vector<double>(cpu[i].to(kFloat64));
    ASSERT_EQ(g.size(), c.size());
    const double rel = cpu[i].dtype() == kFloat32 ? 1e-5 : 1e-13;
    for (size_t j = 0; j < g.size(); ++j) {
      if (std::isnan(c[j])) {
        ASSERT_TRUE(std::isnan(g[j])) << what << " tensor " << i << " element " << j;
      } else if (simulated())
        ASSERT_EQ(g[j], c[j]) << what << " tensor " << i << " element " << j;
      else
        ASSERT_NEAR(g[j], c[j], rel * (std::abs(c[j]) + 1e-30)) << what << " tensor " << i << " element " << j;
    }
  }
}

// Runs `op` over 40 tensors (two batches) on both devices, twice (the second step with states
// that are no longer fresh), and checks the results and the launch count.
void check_step(OptimOp op, const OptimHyper& h, int states, DType dt, Device gpu, const std::string& what) {
  const int count = cuda::kMaxTensors + 8;
  OptimArgs host, dev;
  host.params = odd_list(count, dt, 1, -1, 1);
  host.grads = odd_list(count, dt, 2, -0.5, 0.5);
  for (int k = 0; k < states; ++k) {
    // Adam's second moments and RMSprop's square averages must stay >= 0.
    host.states.push_back(odd_list(count, dt, 3 + static_cast<uint64_t>(k), k == 0 ? -0.1 : 0.0, 0.1));
  }
  if (op == OptimOp::RMSprop && states >= 1) host.states[0] = odd_list(count, dt, 3, 0.0, 0.1);
  host.hyper = dev.hyper = h;
  for (int i = 0; i < count; ++i) {
    host.steps.push_back(1 + i % 3);
    host.fresh.push_back(i % 2 == 0 ? 1 : 0);
  }
  dev.params = to_gpu(host.params, gpu);
  dev.grads = to_gpu(host.grads, gpu);
  for (const auto& list : host.states) dev.states.push_back(to_gpu(list, gpu));
  dev.steps = host.steps;
  dev.fresh = host.fresh;
  if (op != OptimOp::SGD || h.momentum == 0.0) {
    host.fresh.clear();
    dev.fresh.clear();
  }
  for (int round = 0; round < 2; ++round) {
    const int64_t before = cuda::optim_kernel_launches();
    backend(gpu).optim(op, dev);
    EXPECT_EQ(cuda::optim_kernel_launches() - before, 2) << what << ": one launch per batch of tensors";
    backend(kCPU).optim(op, host);
    expect_lists_match(dev.params, host.params, what + " params round " + std::to_string(round));
    for (size_t k = 0; k < host.states.size(); ++k)
      expect_lists_match(dev.states[k], host.states[k], what + " state " + std::to_string(k));
    for (auto& s : host.steps) ++s;
    dev.steps = host.steps;
    std::fill(host.fresh.begin(), host.fresh.end(), 0);
    dev.fresh = host.fresh;
  }
}

TEST_F(CudaOptim, StepsOverManyOddTensorsMatchTheCpu) {
  for (DType dt : {kFloat32, kFloat64}) {
    OptimHyper sgd;
    sgd.lr = 0.1;
    sgd.momentum = 0.9;
    sgd.dampening = 0.1;
    sgd.weight_decay = 0.01;
    sgd.nesterov = false;
    check_step(OptimOp::SGD, sgd, 1, dt, gpu(), std::string("sgd ") + dtype_name(dt));
    sgd.nesterov = true;
    sgd.dampening = 0.0;
    sgd.maximize = true;
    check_step(OptimOp::SGD, sgd, 1, dt, gpu(), std::string("sgd nesterov ") + dtype_name(dt));
    OptimHyper plain;
    plain.lr = 0.05;
    check_step(OptimOp::SGD, plain, 0, dt, gpu(), std::string("sgd plain ") + dtype_name(dt));

    OptimHyper adam;
    adam.lr = 1e-3;
    adam.weight_decay = 0.01;
    check_step(OptimOp::Adam, adam, 2, dt, gpu(), std::string("adam ") + dtype_name(dt));
    adam.decoupled = true;
    adam.amsgrad = true;
    check_step(OptimOp::Adam, adam, 3, dt, gpu(), std::string("adamw amsgrad ") + dtype_name(dt));

    OptimHyper rms;
    rms.lr = 1e-2;
    rms.alpha = 0.9;
    rms.eps = 1e-6;
    rms.weight_decay = 0.1;
    check_step(OptimOp::RMSprop, rms, 1, dt, gpu(), std::string("rmsprop ") + dtype_name(dt));
    rms.centered = true;
    rms.momentum = 0.5;
    check_step(OptimOp::RMSprop, rms, 3, dt, gpu(), std::string("rmsprop centered ") + dtype_name(dt));
  }
}

TEST_F(CudaOptim, GradNormIsOnePassPlusOneReductionAndDeterministic) {
  // A tensor over a batch's blocks (carried into a second launch), then more tensors than a batch takes.
  std::vector<Tensor> grads = {ramp(cuda::kChunkElements * cuda::kMaxBlocks + 5, -1, 1, 9, kFloat32)};
  for (int i = 0; i < cuda::kMaxTensors + 3; ++i) grads.push_back(ramp(1 + i * 13, -2, 2, 10 + i, kFloat32));
  std::vector<Tensor> dev = to_gpu(grads, gpu());
  OptimArgs a;
  a.grads = dev;
  a.norm_type = 2.0;
  a.out = empty({}, TensorOptions(kFloat64).device(gpu()));
  const int64_t before = cuda::optim_kernel_launches();
  backend(gpu()).optim(OptimOp::GradNorm, a);
  // Batches: the big tensor's first 128 chunks; its last chunk with 31 small tensors; 4 small ones; then the final reduction.
  EXPECT_EQ(cuda::optim_kernel_launches() - before, 4);
  const double first = scalar_of(a.out);
  for (int run = 0; run < 3; ++run) {
    a.out = empty({}, TensorOptions(kFloat64).device(gpu()));
    backend(gpu()).optim(OptimOp::GradNorm, a);
    EXPECT_EQ(scalar_of(a.out), first) << "run " << run << ": the same list gives the same bits";
  }
  OptimArgs host;
  host.grads = grads;
  host.norm_type = 2.0;
  host.out = empty({}, TensorOptions(kFloat64));
  backend(kCPU).optim(OptimOp::GradNorm, host);
  EXPECT_NEAR(first, scalar_of(host.out), 1e-12 * scalar_of(host.out));
}

TEST_F(CudaOptim, GradNormOverMixedDtypes) {
  const std::vector<Tensor> grads = {ramp(300, -1, 1, 20, kFloat16), ramp(70000, -1, 1, 21, kFloat32),
                                     ramp(50, -3, 3, 22, kBFloat16), ramp(9, -1, 1, 23, kFloat32)};
  const auto [got, want] = norms(grads, 2.0, kFloat32, gpu());
  EXPECT_NEAR(got, want, 1e-6 * want);
}

TEST_F(CudaOptim, ScaleGradsFindsInfInALateTensorInOnePass) {
  for (double bad : {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(), 0.25}) {
    for (DType dt : {kFloat32, kFloat16}) {
      std::vector<Tensor> host = odd_list(cuda::kMaxTensors + 8, dt, 30, -100, 100);
      std::vector<double> v = to_vector<double>(host[cuda::kMaxTensors + 6].to(kFloat64));
      v[v.size() / 2] = bad;  // in the second batch
      host[cuda::kMaxTensors + 6] = tensor<double>(v, {static_cast<int64_t>(v.size())}).to(dt);
      OptimArgs dev, cpu;
      dev.grads = to_gpu(host, gpu());
      dev.scale = scalar_tensor(1.0 / 65536, TensorOptions(kFloat32)).to(gpu());
      dev.found_inf = zeros({}, TensorOptions(kFloat32).device(gpu()));
      cpu.grads = clones(host);
      cpu.scale = scalar_tensor(1.0 / 65536, TensorOptions(kFloat32));
      cpu.found_inf = zeros({}, TensorOptions(kFloat32));
      const int64_t before = cuda::optim_kernel_launches();
      backend(gpu()).optim(OptimOp::ScaleGrads, dev);
      EXPECT_EQ(cuda::optim_kernel_launches() - before, 2) << "one pass: a launch per batch, nothing else";
      backend(kCPU).optim(OptimOp::ScaleGrads, cpu);
      EXPECT_EQ(scalar_of(dev.found_inf), scalar_of(cpu.found_inf)) << bad << " " << dtype_name(dt);
      EXPECT_EQ(scalar_of(dev.found_inf), std::isfinite(bad) ? 0.0 : 1.0) << bad << " " << dtype_name(dt);
      for (size_t i = 0; i < host.size(); ++i) {
        const auto g = to_vector<double>(dev.grads[i].to(kCPU).to(kFloat64));
        const auto c = to_vector<double>(cpu.grads[i].to(kFloat64));
        for (size_t j = 0; j < g.size(); ++j)
          if (!(std::isnan(g[j]) && std::isnan(c[j]))) ASSERT_EQ(g[j], c[j]) << "tensor " << i << " element " << j;
      }
    }
  }
}

}  // namespace
