// DDP with CUDA tensors through the MPI group (on the simulated device the group stages them through host
// memory): 2 ranks equal one process on the global batch. Skipped where no CUDA device is visible.
#include <gtest/gtest.h>

#include "seek/core/generator.h"
#include "seek/cuda.h"
#include "seek/dist/ddp.h"
#include "seek/dist/sync_batch_norm.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/loss.h"
#include "seek/nn/normalization.h"
#include "seek/ops/random.h"
#include "seek/optim/sgd.h"

using namespace seek;
namespace F = seek::nn::functional;

TEST(DDPCuda, CudaTensorsEqualOneProcess) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const int world = dist::get_world_size(), rank = dist::get_rank();
  constexpr int64_t b = 4;
  auto make = [](uint64_t seed) {
    manual_seed(seed);
    auto m = std::make_shared<nn::Sequential>();
    m->push_back(std::make_shared<nn::Linear>(5, 8));
    m->push_back(std::make_shared<nn::BatchNorm1d>(8));
    m->push_back(std::make_shared<nn::ReLU>());
    m->push_back(std::make_shared<nn::Linear>(8, 2));
    m->to(kCUDA);
    return m;
  };
  manual_seed(5);
  Tensor x = randn({4, world * b, 5}).to(kCUDA);
  Tensor y = randn({4, world * b, 2}).to(kCUDA);
  auto ref = make(1);
  auto local = make(1 + rank);
  nn::SyncBatchNorm::convert_sync_batchnorm(local);
  auto ddp = std::make_shared<nn::DistributedDataParallel>(local);
  optim::SGD opt_ref(ref->parameters(), optim::SGDOptions(0.1));
  optim::SGD opt(ddp->parameters(), optim::SGDOptions(0.1));
  for (int s = 0; s < 4; ++s) {
    opt_ref.zero_grad();
    opt.zero_grad();
    F::mse_loss(ref->forward(x[s]), y[s]).backward();
    F::mse_loss(ddp->forward(x[s].narrow(0, rank * b, b)), y[s].narrow(0, rank * b, b)).backward();
    opt_ref.step();
    opt.step();
    auto a = local->state_dict(), r = ref->state_dict();
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].second.device().type, kCUDA);
      const double d = (a[i].second.cpu().to(kFloat64) - r[i].second.cpu().to(kFloat64)).abs().max().item<double>();
      EXPECT_LT(d, 1e-4) << a[i].first << " step " << s;
    }
  }
}
