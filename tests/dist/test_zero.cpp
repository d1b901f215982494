// ZeroRedundancyOptimizer (ZeRO-1) under DDP against plain AdamW in one process on the global batch; its
// state is sharded (bytes per rank) and its consolidated state_dict is plain AdamW's.
#include <gtest/gtest.h>

#include "seek/core/generator.h"
#include "seek/dist/ddp.h"
#include "seek/dist/zero_optimizer.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/loss.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/optim/adam.h"

using namespace seek;
namespace F = seek::nn::functional;

namespace {

constexpr int64_t kB = 4;

std::shared_ptr<nn::Sequential> make_model(uint64_t seed) {
  manual_seed(seed);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(6, 12));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(12, 10));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(10, 3));
  m->to(kFloat64);
  return m;
}

double max_diff(const Tensor& a, const Tensor& b) {
  return (a.to(kFloat64) - b.to(kFloat64)).abs().max().item<double>() /
         std::max(1e-3, b.to(kFloat64).abs().max().item<double>());
}

int64_t state_bytes(const optim::OptimizerStateDict& d) {
  int64_t n = 0;
  for (auto& [k, t] : d)
    if (k.rfind("state.", 0) == 0) n += static_cast<int64_t>(t.nbytes());
  return n;
}

}  // namespace

TEST(ZeRO, EqualsAdamWAndShardsTheState) {
  const int world = dist::get_world_size(), rank = dist::get_rank();
  manual_seed(99);
  Tensor x = randn({21, world * kB, 6}, TensorOptions(kFloat64));
  Tensor y = randn({21, world * kB, 3}, TensorOptions(kFloat64));
  auto ref = make_model(1);
  auto local = make_model(1);
  auto ddp = std::make_shared<nn::DistributedDataParallel>(local);
  optim::AdamWOptions o(0.01);
  optim::AdamW opt_ref(ref->parameters(), o);
  auto zero = optim::ZeroRedundancyOptimizer::create<optim::AdamW>(local->parameters(), o);
  auto compare = [&](int s) {
    auto a = local->parameters(), b = ref->parameters();
    for (size_t i = 0; i < a.size(); ++i) ASSERT_LT(max_diff(a[i], b[i]), 1e-6) << "step " << s << " param " << i;
  };
  auto train_step = [&](int s, optim::Optimizer& z) {
    opt_ref.zero_grad();
    z.zero_grad();
    F::mse_loss(ref->forward(x[s]), y[s]).backward();
    F::mse_loss(ddp->forward(x[s].narrow(0, rank * kB, kB)), y[s].narrow(0, rank * kB, kB)).backward();
    opt_ref.step();
    z.step();
    compare(s);
  };
  for (int s = 0; s < 20; ++s) train_step(s, *zero);

  // The shards: every rank owns parameters (world 2), and the ranks' state adds up to AdamW's.
  std::vector<int> owned(static_cast<size_t>(world), 0);
  for (size_t i = 0; i < local->parameters().size(); ++i) owned[static_cast<size_t>(zero->owner(0, i))]++;
  for (int r = 0; r < world; ++r) EXPECT_GT(owned[static_cast<size_t>(r)], 0) << "rank " << r << " owns nothing";
  const int64_t full = state_bytes(opt_ref.state_dict());
  Tensor mine = full_like(zeros({1}, TensorOptions(kFloat64)), static_cast<double>(zero->local_state_bytes()));
  dist::all_reduce(mine, dist::ReduceOp::Sum);
  EXPECT_EQ(static_cast<int64_t>(mine.item<double>()), full);
  if (world > 1) EXPECT_LT(zero->local_state_bytes(), full);

  // The consolidated state_dict is AdamW's (same keys, same values).
  auto sd = zero->state_dict();
  auto sd_ref = opt_ref.state_dict();
  ASSERT_EQ(sd.size(), sd_ref.size());
  for (size_t i = 0; i < sd.size(); ++i) {
    EXPECT_EQ(sd[i].first, sd_ref[i].first);
    EXPECT_LT(max_diff(sd[i].second, sd_ref[i].second), 1e-6) << sd[i].first;
  }
  // It loads into a fresh ZeroRedundancyOptimizer, which goes on as AdamW does.
  auto zero2 = optim::ZeroRedundancyOptimizer::create<optim::AdamW>(local->parameters(), o);
  zero2->load_state_dict(sd);
  train_step(20, *zero2);
}

TEST(ZeRO, LearningRateChangesReachTheShard) {
  auto m = make_model(2);
  optim::AdamWOptions o(0.01);
  auto zero = optim::ZeroRedundancyOptimizer::create<optim::AdamW>(m->parameters(), o);
  zero->param_groups()[0].set_lr(0.5);
  for (auto& p : m->parameters()) p.set_grad(ones_like(p));
  zero->step();
  if (zero->local_optimizer()) EXPECT_EQ(zero->local_optimizer()->param_groups()[0].lr(), 0.5);
}
