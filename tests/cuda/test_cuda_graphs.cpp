// CUDA graphs through seek's API (seek/cuda/graph.h): ops captured once and replayed on new
// static inputs equal eager execution; a whole training step (forward, MSE loss, backward,
// SGD with momentum) captured with torch's recipe (warm-up steps on a side stream, static
// input and target tensors, gradients set to none before the capture) and replayed N times
// gives bit for bit the parameters of N eager steps; host reads and synchronisations during
// a capture raise seek::Error; the graph's private memory pool is kept until reset().
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "cuda_device_test.h"
#include "seek/cuda.h"
#include "seek/cuda/graph.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

using seek::cuda_test::CudaDeviceTest;
using CudaGraphs = CudaDeviceTest;

Tensor on_cuda(const Tensor& t) { return t.to(Device(DeviceType::CUDA, 0)); }

std::vector<float> values(const Tensor& t) {
  Tensor c = t.cpu().contiguous();
  std::vector<float> v(static_cast<size_t>(c.numel()));
  std::memcpy(v.data(), c.data_ptr(), v.size() * sizeof(float));
  return v;
}

TEST_F(CudaGraphs, CapturedOpsReplayOnNewStaticInputs) {
  Tensor x = on_cuda(seek::testing::uniform_tensor({5, 7}, -1, 1, kFloat32, 3));
  Tensor w = on_cuda(seek::testing::uniform_tensor({7, 4}, -1, 1, kFloat32, 4));
  cuda::CUDAGraph g;
  Tensor y;
  {
    cuda::GraphCapture capture(g);
    y = x.matmul(w).mul(2.0).add(1.0).tanh().sum(1);
  }
  ASSERT_TRUE(g.captured());
  for (uint64_t seed : {10, 11, 12}) {
    Tensor fresh = seek::testing::uniform_tensor({5, 7}, -2, 2, kFloat32, seed);
    x.copy_(on_cuda(fresh));
    g.replay();
    const Tensor want = x.matmul(w).mul(2.0).add(1.0).tanh().sum(1);  // eager
    EXPECT_EQ(values(y), values(want)) << "seed " << seed;
  }
}

TEST_F(CudaGraphs, CapturedWorkRunsOncePerReplayNotAtCapture) {
  Tensor z = on_cuda(zeros({8}, kFloat32));
  cuda::CUDAGraph g;
  {
    cuda::GraphCapture capture(g);
    z.add_(1.0);
  }
  EXPECT_EQ(values(z), std::vector<float>(8, 0.0f));
  g.replay();
  g.replay();
  g.replay();
  EXPECT_EQ(values(z), std::vector<float>(8, 3.0f));
}

TEST_F(CudaGraphs, CaptureNeedsASideStreamAndOneCaptureAtATime) {
  cuda::CUDAGraph g;
  EXPECT_THROW(g.capture_begin(), Error);  // the default stream is current
  EXPECT_THROW(g.replay(), Error);         // nothing captured
  {
    cuda::GraphCapture capture(g);
    EXPECT_TRUE(cuda::is_current_stream_capturing());
    EXPECT_THROW(g.capture_begin(), Error);
  }
  EXPECT_FALSE(cuda::is_current_stream_capturing());
  EXPECT_THROW(cuda::GraphCapture again(g), Error);  // already holds a graph
  g.reset();
  EXPECT_FALSE(g.captured());
  { cuda::GraphCapture capture(g); }
  EXPECT_TRUE(g.captured());
}

TEST_F(CudaGraphs, HostReadsDuringCaptureRaiseAndAbandonTheCapture) {
  Tensor x = on_cuda(ones({4}, kFloat32));
  cuda::CUDAGraph g;
  for (int what = 0; what < 3; ++what) {
    try {
      cuda::GraphCapture capture(g);
      Tensor y = x.mul(3.0);
      if (what == 0) (void)y.sum().item<float>();
      if (what == 1) (void)y.cpu();
      if (what == 2) (void)y.to_string();
      ADD_FAILURE() << "no error for host read " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("captured into a CUDA graph"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(g.captured());
    EXPECT_FALSE(cuda::is_current_stream_capturing());
  }
  EXPECT_EQ(values(x.mul(3.0)), std::vector<float>(4, 3.0f));  // the device works on after it
}

TEST_F(CudaGraphs, SynchronizingDuringCaptureInvalidatesIt) {
  Tensor x = on_cuda(ones({4}, kFloat32));
  cuda::CUDAGraph g;
  try {
    cuda::GraphCapture capture(g);
    Tensor y = x.mul(3.0);
    cuda::synchronize();
    ADD_FAILURE() << "synchronize() during a capture did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cudaErrorStreamCaptureUnsupported"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(g.captured());
  // Without the scope: the capture stays invalidated until capture_end, which reports it.
  cuda::Stream side;
  cuda::StreamGuard guard(side);
  g.capture_begin();
  Tensor y = x.mul(2.0);
  EXPECT_THROW(side.synchronize(), Error);
  try {
    g.capture_end();
    ADD_FAILURE() << "capture_end accepted an invalidated capture";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalidated"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(g.captured());
}

TEST_F(CudaGraphs, NonCapturableAdamRefusesToBeCaptured) {
  Tensor p = on_cuda(ones({3}, kFloat32)).requires_grad_(true);
  optim::Adam adam(std::vector<Tensor>{p}, optim::AdamOptions(0.1));
  p.sum().backward();
  adam.step();  // eager: fine
  cuda::CUDAGraph g;
  try {
    cuda::GraphCapture capture(g);
    adam.step();
    ADD_FAILURE() << "Adam.step was captured";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be captured into a CUDA graph"), std::string::npos) << e.what();
  }
}

TEST_F(CudaGraphs, GraphPoolIsKeptUntilReset) {
  const TensorOptions opts = TensorOptions(kFloat32).device(Device(DeviceType::CUDA, 0));
  cuda::Stream side;
  const int64_t n = 1000;  // floats: one 4096-byte small-pool block
  cuda::CUDAGraph g;
  void* inside = nullptr;
  cuda::empty_cache();
  const auto before = cuda::memory_stats();
  {
    cuda::GraphCapture capture(g, 0, side);
    Tensor tmp = empty({n}, opts);  // freed inside the capture
    tmp.fill_(1.0);
    inside = tmp.data_ptr();
  }
  const auto after = cuda::memory_stats();
  EXPECT_EQ(after.allocated_bytes.all.current, before.allocated_bytes.all.current);  // nothing live
  EXPECT_GT(after.reserved_bytes.all.current, before.reserved_bytes.all.current);    // the pool holds it
  {
    cuda::StreamGuard guard(side);
    Tensor eager = empty({n}, opts);
    EXPECT_NE(eager.data_ptr(), inside) << "eager code got a block of the graph's pool";
  }
  cuda::empty_cache();  // does not return the graph's blocks either
  EXPECT_GE(cuda::memory_stats().reserved_bytes.all.current,
            before.reserved_bytes.all.current + static_cast<int64_t>(n * sizeof(float)));
  g.reset();
  {
    cuda::StreamGuard guard(side);
    Tensor eager = empty({n}, opts);
    EXPECT_EQ(eager.data_ptr(), inside) << "the released pool's block was not reused";
  }
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_stats().reserved_bytes.all.current, before.reserved_bytes.all.current);
}

TEST_F(CudaGraphs, GraphsShareAPool) {
  cuda::CUDAGraph a, b;
  Tensor x = on_cuda(ones({16}, kFloat32));
  Tensor ya, yb;
  {
    cuda::GraphCapture capture(a);
    ya = x.mul(2.0);
  }
  {
    cuda::GraphCapture capture(b, a.pool());
    yb = ya.add(1.0);
  }
  EXPECT_EQ(a.pool(), b.pool());
  a.replay();
  b.replay();
  EXPECT_EQ(values(yb), std::vector<float>(16, 3.0f));
  EXPECT_NE(cuda::graph_pool_handle(), cuda::graph_pool_handle());
}

// ---- a whole training step ----

std::shared_ptr<nn::Sequential> mlp() {
  manual_seed(11);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(6, 16));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(16, 3));
  m->to(Device(DeviceType::CUDA, 0));
  return m;
}

Tensor batch(int64_t rows, int64_t cols, uint64_t seed) {
  return on_cuda(seek::testing::uniform_tensor({rows, cols}, -1, 1, kFloat32, seed));
}

void train_step(nn::Sequential& m, optim::Optimizer& opt, const Tensor& x, const Tensor& t) {
  opt.zero_grad(true);
  Tensor loss = nn::functional::mse_loss(m.forward(x), t);
  loss.backward();
  opt.step();
}

std::vector<std::vector<float>> params_of(nn::Sequential& m) {
  std::vector<std::vector<float>> out;
  for (const Tensor& p : m.parameters()) out.push_back(values(p));
  return out;
}

TEST_F(CudaGraphs, ReplayedTrainingStepEqualsEagerStepsBitwise) {
  constexpr int kWarmup = 3, kSteps = 6;
  const optim::SGDOptions sgd = optim::SGDOptions(0.05).momentum_(0.9);

  // Eager reference: the warm-up steps, then kSteps steps on fresh batches.
  auto eager = mlp();
  optim::SGD eager_opt(eager->parameters(), sgd);
  for (int i = 0; i < kWarmup; ++i) train_step(*eager, eager_opt, batch(8, 6, 100 + i), batch(8, 3, 200 + i));
  for (int i = 0; i < kSteps; ++i) train_step(*eager, eager_opt, batch(8, 6, 300 + i), batch(8, 3, 400 + i));

  // Graphed: torch's recipe.
  auto model = mlp();
  optim::SGD opt(model->parameters(), sgd);
  Tensor static_x = batch(8, 6, 100), static_t = batch(8, 3, 200);
  cuda::Stream side;
  side.wait_stream(cuda::current_stream());
  {
    cuda::StreamGuard guard(side);
    for (int i = 0; i < kWarmup; ++i) {
      static_x.copy_(batch(8, 6, 100 + i));
      static_t.copy_(batch(8, 3, 200 + i));
      train_step(*model, opt, static_x, static_t);
    }
  }
  cuda::current_stream().wait_stream(side);
  cuda::CUDAGraph g;
  opt.zero_grad(true);
  {
    cuda::GraphCapture capture(g);
    Tensor loss = nn::functional::mse_loss(model->forward(static_x), static_t);
    loss.backward();
    opt.step();
  }
  for (int i = 0; i < kSteps; ++i) {
    static_x.copy_(batch(8, 6, 300 + i));
    static_t.copy_(batch(8, 3, 400 + i));
    g.replay();
  }
  const auto want = params_of(*eager), got = params_of(*model);
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "parameter " << i;
  // And the graph did train: the parameters moved away from the warm-up's.
  EXPECT_NE(got, params_of(*mlp()));
}

TEST_F(CudaGraphs, ReplayedClassifierStepWithCrossEntropyEqualsEager) {
  // Class targets cannot be checked on the host inside a capture: the fused cross-entropy
  // kernels check them instead (an out-of-range target gives a NaN loss, never a stray read).
  constexpr int kSteps = 4;
  const optim::SGDOptions sgd = optim::SGDOptions(0.1).momentum_(0.9);
  auto targets = [](int i) {
    return on_cuda(tensor<int64_t>({i % 3, (i + 1) % 3, 2, 0, 1, (2 * i) % 3, 1, 2}, Shape{8}));
  };
  auto eager = mlp();
  optim::SGD eager_opt(eager->parameters(), sgd);
  auto model = mlp();
  optim::SGD opt(model->parameters(), sgd);
  auto ce_step = [](nn::Sequential& m, optim::Optimizer& o, const Tensor& x, const Tensor& t) {
    o.zero_grad(true);
    nn::functional::cross_entropy(m.forward(x), t).backward();
    o.step();
  };
  ce_step(*eager, eager_opt, batch(8, 6, 500), targets(0));
  Tensor static_x = batch(8, 6, 500), static_t = targets(0);
  {
    cuda::Stream side;
    cuda::StreamGuard guard(side);
    ce_step(*model, opt, static_x, static_t);  // warm-up
  }
  cuda::CUDAGraph g;
  opt.zero_grad(true);
  Tensor static_loss;
  {
    cuda::GraphCapture capture(g);
    static_loss = nn::functional::cross_entropy(model->forward(static_x), static_t);
    static_loss.backward();
    opt.step();
  }
  for (int i = 1; i <= kSteps; ++i) {
    ce_step(*eager, eager_opt, batch(8, 6, 500 + i), targets(i));
    static_x.copy_(batch(8, 6, 500 + i));
    static_t.copy_(targets(i));
    g.replay();
  }
  const auto want = params_of(*eager), got = params_of(*model);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "parameter " << i;

  static_t.copy_(on_cuda(tensor<int64_t>({0, 1, 2, 7, 0, 1, 2, 0}, Shape{8})));  // 7: out of range
  g.replay();
  EXPECT_TRUE(std::isnan(static_loss.item<float>()));
  EXPECT_THROW(nn::functional::cross_entropy(model->forward(static_x), static_t), IndexError);  // eager: checked
}

TEST_F(CudaGraphs, CapturableAdamIsAdamWithItsStepCountOnTheDevice) {
  for (bool decoupled : {false, true}) {
    auto a = mlp(), b = mlp();
    optim::AdamOptions o(0.01);
    o.weight_decay_(0.01);
    std::unique_ptr<optim::Optimizer> plain, capt;
    if (decoupled) {
      plain = std::make_unique<optim::AdamW>(a->parameters(), optim::AdamWOptions(0.01));
      capt = std::make_unique<optim::AdamW>(b->parameters(), optim::AdamWOptions(0.01).capturable_(true));
    } else {
      plain = std::make_unique<optim::Adam>(a->parameters(), o);
      capt = std::make_unique<optim::Adam>(b->parameters(), optim::AdamOptions(o).capturable_(true));
    }
    for (int i = 0; i < 4; ++i) {
      train_step(*a, *plain, batch(8, 6, 600 + i), batch(8, 3, 700 + i));
      train_step(*b, *capt, batch(8, 6, 600 + i), batch(8, 3, 700 + i));
    }
    const auto want = params_of(*a), got = params_of(*b);
    for (size_t i = 0; i < want.size(); ++i)
      for (size_t k = 0; k < want[i].size(); ++k)
        EXPECT_NEAR(got[i][k], want[i][k], 1e-5) << (decoupled ? "AdamW" : "Adam") << " parameter " << i;
  }
}

TEST_F(CudaGraphs, ReplayedCapturableAdamStepEqualsEagerBitwise) {
  constexpr int kSteps = 5;
  const auto opts = optim::AdamWOptions(0.01).capturable_(true);
  auto eager = mlp();
  optim::AdamW eager_opt(eager->parameters(), opts);
  auto model = mlp();
  optim::AdamW opt(model->parameters(), opts);
  Tensor static_x = batch(8, 6, 800), static_t = batch(8, 3, 900);
  train_step(*eager, eager_opt, static_x, static_t);
  {
    cuda::Stream side;
    cuda::StreamGuard guard(side);
    train_step(*model, opt, static_x, static_t);  // warm-up: makes the state
  }
  cuda::CUDAGraph g;
  opt.zero_grad(true);
  {
    cuda::GraphCapture capture(g);
    nn::functional::mse_loss(model->forward(static_x), static_t).backward();
    opt.step();
  }
  for (int i = 1; i <= kSteps; ++i) {
    train_step(*eager, eager_opt, batch(8, 6, 800 + i), batch(8, 3, 900 + i));
    static_x.copy_(batch(8, 6, 800 + i));
    static_t.copy_(batch(8, 3, 900 + i));
    g.replay();
  }
  const auto want = params_of(*eager), got = params_of(*model);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "parameter " << i;
}

}  // namespace
