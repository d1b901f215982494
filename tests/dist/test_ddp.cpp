// DistributedDataParallel on the default group (ctest runs it under mpirun -np 2 and alone): every rank also
// trains a reference model in one process on the global batch (2b rows, the ranks' rows in rank order), and
// the DDP model must stay equal to it (float64, 1e-6 relative) step after step.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "seek/autograd/engine.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/generator.h"
#include "seek/dist/ddp.h"
#include "seek/dist/sync_batch_norm.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/loss.h"
#include "seek/nn/normalization.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/optim/adam.h"
#include "seek/optim/sgd.h"

using namespace seek;
namespace F = seek::nn::functional;

namespace {

constexpr int64_t kB = 3;  // rows per rank
constexpr int kSteps = 20;

int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

enum class Norm { None, Batch };

std::shared_ptr<nn::Sequential> make_model(uint64_t seed, Norm norm = Norm::None) {
  manual_seed(seed);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(8, 16));
  if (norm == Norm::Batch) m->push_back(std::make_shared<nn::BatchNorm1d>(16));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(16, 4));
  m->to(kFloat64);
  return m;
}

// The global batches: the same on every rank.
struct Data {
  Tensor x, y;  // [steps, world * kB, ...]
  Data(int steps, uint64_t seed = 123) {
    manual_seed(seed);
    x = randn({steps, world() * kB, 8}, TensorOptions(kFloat64));
    y = randn({steps, world() * kB, 4}, TensorOptions(kFloat64));
  }
  Tensor gx(int s) const { return x[s]; }
  Tensor gy(int s) const { return y[s]; }
  Tensor lx(int s) const { return x[s].narrow(0, rank() * kB, kB); }
  Tensor ly(int s) const { return y[s].narrow(0, rank() * kB, kB); }
};

// Over parameters and buffers (only parameters with params_only).
double max_rel_diff(const nn::Module& a, const nn::Module& b, bool params_only = false) {
  auto pa = params_only ? a.named_parameters() : a.state_dict();
  auto pb = params_only ? b.named_parameters() : b.state_dict();
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    Tensor x = pa[i].second.to(kFloat64), y = pb[i].second.to(kFloat64);
    double scale = std::max(1e-3, y.abs().max().item<double>());
    worst = std::max(worst, (x - y).abs().max().item<double>() / scale);
  }
  return worst;
}

using OptFactory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;
OptFactory sgd() {
  return [](std::vector<Tensor> p) {
    optim::SGDOptions o(0.05);
    o.momentum = 0.9;
    o.weight_decay = 1e-3;
    return std::make_unique<optim::SGD>(std::move(p), o);
  };
}
OptFactory adamw() {
  return [](std::vector<Tensor> p) { return std::make_unique<optim::AdamW>(std::move(p), optim::AdamWOptions(0.01)); };
}

// DDP (rank seeds differ: construction must broadcast rank 0's values) against the one-process reference.
void expect_equivalent(const OptFactory& make_opt, double bucket_cap_mb = 25, int micro = 1) {
  Data data(kSteps * micro);
  auto ref = make_model(7);
  auto local = make_model(7 + rank());
  nn::DistributedDataParallelOptions o;
  o.bucket_cap_mb = bucket_cap_mb;
  auto ddp = std::make_shared<nn::DistributedDataParallel>(local, o);
  ASSERT_LT(max_rel_diff(*local, *ref), 1e-15) << "construction broadcasts rank 0's parameters";
  auto opt_ref = make_opt(ref->parameters());
  auto opt = make_opt(ddp->parameters());
  for (int s = 0; s < kSteps; ++s) {
    opt_ref->zero_grad();
    opt->zero_grad();
    for (int m = 0; m < micro; ++m) {
      const int i = s * micro + m;
      (F::mse_loss(ref->forward(data.gx(i)), data.gy(i)) / micro).backward();
      if (m + 1 < micro) {
        auto guard = ddp->no_sync();
        (F::mse_loss(ddp->forward(data.lx(i)), data.ly(i)) / micro).backward();
      } else {
        (F::mse_loss(ddp->forward(data.lx(i)), data.ly(i)) / micro).backward();
      }
    }
    opt_ref->step();
    opt->step();
    ASSERT_LT(max_rel_diff(*local, *ref), 1e-6) << "step " << s;
  }
  EXPECT_EQ(ddp->reducer().num_synced_backwards(), kSteps);
}

}  // namespace

TEST(DDP, SGDEqualsOneProcessOnTheGlobalBatch) { expect_equivalent(sgd()); }
TEST(DDP, AdamWEqualsOneProcessOnTheGlobalBatch) { expect_equivalent(adamw()); }
TEST(DDP, NoSyncAccumulationEqualsOneProcess) {
  expect_equivalent(sgd(), 25, 3);
  expect_equivalent(adamw(), 25, 2);
}

TEST(DDP, SmallBucketsSplitAndStayEqual) {
  auto m = make_model(1);
  nn::DistributedDataParallelOptions o;
  o.bucket_cap_mb = 200.0 / (1024 * 1024);  // 200 bytes: 25 float64 values
  nn::DistributedDataParallel ddp(m, o);
  const auto& buckets = ddp.reducer().bucket_indices();
  // fc2.bias (4) + ... : weights 64 and 128 values each exceed the cap alone
  EXPECT_GE(buckets.size(), 3u);
  // Reverse registration order, every parameter once.
  std::vector<size_t> flat;
  for (auto& b : buckets) flat.insert(flat.end(), b.begin(), b.end());
  ASSERT_EQ(flat.size(), m->parameters().size());
  for (size_t k = 0; k < flat.size(); ++k) EXPECT_EQ(flat[k], flat.size() - 1 - k);
  expect_equivalent(sgd(), 200.0 / (1024 * 1024));
}

TEST(DDP, FirstBucketHoldsAtMostOneMiB) {
  manual_seed(0);
  auto m = std::make_shared<nn::Sequential>();
  for (int i = 0; i < 3; ++i) m->push_back(std::make_shared<nn::Linear>(256, 256));  // 514 KiB each in float64
  m->to(kFloat64);
  nn::DistributedDataParallel ddp(m);  // default 25 MB
  const auto& buckets = ddp.reducer().bucket_indices();
  ASSERT_EQ(buckets.size(), 2u);
  int64_t first = 0;
  for (size_t i : buckets[0]) first += static_cast<int64_t>(m->parameters()[i].nbytes());
  EXPECT_LE(first, 1 << 20);
  EXPECT_EQ(buckets[0].front(), m->parameters().size() - 1);
}

TEST(DDP, BatchNormUsesLocalStatisticsAndRankZerosBuffers) {
  // torch's DDP: each rank normalises with its own batch; running stats come from rank 0 (broadcast before
  // each forward). The reference runs each rank's half separately and averages the losses.
  Data data(kSteps);
  auto ref = make_model(3, Norm::Batch);
  auto local = make_model(3, Norm::Batch);
  auto ddp = std::make_shared<nn::DistributedDataParallel>(local);
  auto opt_ref = sgd()(ref->parameters());
  auto opt = sgd()(ddp->parameters());
  for (int s = 0; s < kSteps; ++s) {
    opt_ref->zero_grad();
    opt->zero_grad();
    Tensor loss;
    std::vector<Tensor> rank0_buffers;
    for (int r = world() - 1; r >= 0; --r) {  // rank 0 last: its running stats stay
      std::vector<Tensor> saved;
      for (auto& b : ref->buffers()) saved.push_back(b.clone());
      Tensor l = F::mse_loss(ref->forward(data.gx(s).narrow(0, r * kB, kB)), data.gy(s).narrow(0, r * kB, kB));
      loss = loss.defined() ? loss + l : l;
      if (r > 0) {
        NoGradGuard g;
        auto bs = ref->buffers();
        for (size_t k = 0; k < bs.size(); ++k) bs[k].copy_(saved[k]);
      }
    }
    (loss / world()).backward();
    F::mse_loss(ddp->forward(data.lx(s)), data.ly(s)).backward();
    opt_ref->step();
    opt->step();
    // Rank 0's running stats are the reference's; the others' differ until the next forward's broadcast.
    ASSERT_LT(max_rel_diff(*local, *ref, /*params_only=*/rank() != 0), 1e-6) << "step " << s;
  }
}

TEST(DDP, SyncBatchNormEqualsOneProcessOnTheGlobalBatch) {
  Data data(kSteps);
  auto ref = make_model(5, Norm::Batch);
  auto local = make_model(5, Norm::Batch);
  auto converted = nn::SyncBatchNorm::convert_sync_batchnorm(local);
  ASSERT_EQ(converted, local);
  ASSERT_EQ((*local)[1]->type_name(), "SyncBatchNorm");
  auto ddp = std::make_shared<nn::DistributedDataParallel>(local);
  for (auto make : {sgd(), adamw()}) {
    auto opt_ref = make(ref->parameters());
    auto opt = make(ddp->parameters());
    for (int s = 0; s < kSteps; ++s) {
      opt_ref->zero_grad();
      opt->zero_grad();
      F::mse_loss(ref->forward(data.gx(s)), data.gy(s)).backward();
      F::mse_loss(ddp->forward(data.lx(s)), data.ly(s)).backward();
      opt_ref->step();
      opt->step();
      ASSERT_LT(max_rel_diff(*local, *ref), 1e-6) << "step " << s;  // running stats included
    }
  }
  // Eval mode: the running statistics, no communication.
  ddp->eval();
  ref->eval();
  Tensor a = ddp->forward(data.lx(0)), b = ref->forward(data.lx(0));
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-9);
}

TEST(DDP, ConvertSyncBatchNormKeepsTheSameTensors) {
  auto m = make_model(5, Norm::Batch);
  Tensor w = m->named_parameters()[2].second;  // 1.weight
  auto c = nn::SyncBatchNorm::convert_sync_batchnorm(m);
  EXPECT_EQ(c->named_parameters()[2].second.impl(), w.impl());
  auto bn = std::make_shared<nn::BatchNorm2d>(3, 1e-3, std::nullopt, false, true);
  auto s = std::dynamic_pointer_cast<nn::SyncBatchNorm>(nn::SyncBatchNorm::convert_sync_batchnorm(bn));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->eps(), 1e-3);
  EXPECT_FALSE(s->momentum().has_value());
  EXPECT_FALSE(s->affine());
  EXPECT_EQ(s->state_dict().size(), bn->state_dict().size());
}

TEST(DDP, UnusedParametersNeedTheOption) {
  // A module with a branch its forward skips.
  struct Branchy : nn::Module {
    std::shared_ptr<nn::Linear> used, unused;
    Branchy() : Module("Branchy") {
      used = register_module("used", std::make_shared<nn::Linear>(4, 2));
      unused = register_module("unused", std::make_shared<nn::Linear>(4, 2));
      to(kFloat64);
    }
    Tensor forward(const Tensor& x) override { return used->forward(x); }
  };
  manual_seed(0);
  Tensor x = randn({2, 4}, TensorOptions(kFloat64));
  {
    auto ddp = std::make_shared<nn::DistributedDataParallel>(std::make_shared<Branchy>());
    try {
      ddp->forward(x).sum().backward();
      FAIL() << "expected an error naming the unused parameters";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("unused.weight"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("find_unused_parameters"), std::string::npos) << e.what();
    }
  }
  nn::DistributedDataParallelOptions o;
  o.find_unused_parameters = true;
  auto m = std::make_shared<Branchy>();
  auto ddp = std::make_shared<nn::DistributedDataParallel>(m, o);
  for (int i = 0; i < 2; ++i) {
    ddp->zero_grad();
    Tensor xr = x * (rank() + 1);
    ddp->forward(xr).sum().backward();
    EXPECT_FALSE(m->unused->param("weight").grad().defined()) << "unused on every rank: no gradient";
    // The used layer's gradient is the average over the ranks of x_r summed over rows.
    double mean_scale = (world() + 1) / 2.0;
    Tensor expect = (x.sum(std::vector<int64_t>{0}) * mean_scale).unsqueeze(0).expand({2, 4});
    EXPECT_LT((m->used->param("weight").grad() - expect).abs().max().item<double>(), 1e-12);
  }
}

TEST(DDP, BadArgumentsAreErrors) {
  nn::DistributedDataParallelOptions o;
  o.bucket_cap_mb = 0;
  EXPECT_THROW(nn::DistributedDataParallel(make_model(1), o), ValueError);
  EXPECT_THROW(nn::DistributedDataParallel(nullptr), ValueError);
  EXPECT_THROW(autograd::queue_callback([] {}), AutogradError);
}

TEST(DDP, StateDictHasModulePrefix) {
  nn::DistributedDataParallel ddp(make_model(1));
  EXPECT_EQ(ddp.state_dict()[0].first, "module.0.weight");
  EXPECT_EQ(ddp.module()->state_dict()[0].first, "0.weight");
}
