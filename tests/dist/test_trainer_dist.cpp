// Trainer with distributed = true: a run on every rank of the default group (ctest: 2 ranks and 1), its
// checkpoint resumed on the same ranks and, by rank 0 alone (distributed = false, the global batch in one
// process), with the same next losses; only rank 0 prints and writes files; metrics agree over the ranks.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "seek/core/generator.h"
#include "seek/data/dataloader.h"
#include "seek/data/dataset.h"
#include "seek/data/sampler.h"
#include "seek/dist/ddp.h"
#include "seek/dist/process_group.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/optim/adam.h"
#include "seek/train/trainer.h"

using namespace seek;

namespace {

constexpr int64_t kGlobalBatch = 4;
constexpr int64_t kRows = 24;  // 6 global batches per epoch; accumulation 2: 3 steps per epoch

std::shared_ptr<data::TensorDataset> dataset() {
  manual_seed(11);
  Tensor x = randn({kRows, 5}, TensorOptions(kFloat64));
  Tensor y = randint(0, 3, {kRows}, TensorOptions(kInt64));
  return std::make_shared<data::TensorDataset>(x, y);
}

struct Session {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::AdamW> opt;
  std::unique_ptr<data::DataLoader> loader;
  std::unique_ptr<train::Trainer> trainer;
  std::ostringstream progress;

  // world, rank: the sampler's; distributed: the Trainer option.
  Session(int world, int rank, bool distributed, const std::filesystem::path& out, int64_t checkpoint_every = 0) {
    manual_seed(3 + static_cast<uint64_t>(dist::get_rank()));  // DDP makes the ranks' initial weights rank 0's
    model = std::make_shared<nn::Sequential>();
    model->push_back(std::make_shared<nn::Linear>(5, 8));
    model->push_back(std::make_shared<nn::ReLU>());
    model->push_back(std::make_shared<nn::Linear>(8, 3));
    model->to(kFloat64);
    opt = std::make_unique<optim::AdamW>(model->parameters(), optim::AdamWOptions(0.05));
    auto ds = dataset();
    data::DataLoaderOptions lo;
    lo.batch_size = static_cast<size_t>(kGlobalBatch / world);
    lo.sampler = std::make_shared<data::DistributedSampler>(
        ds->size(), world, rank, data::DistributedSamplerOptions{.shuffle = true, .seed = 5});
    loader = std::make_unique<data::DataLoader>(ds, lo);
    train::TrainerOptions o;
    o.epochs = 2;
    o.accumulation_steps = 2;
    o.output_dir = out;
    o.checkpoint_every_steps = checkpoint_every;
    o.progress_options.out = &progress;
    o.progress_options.print_every = 1;
    o.distributed = distributed;
    trainer = std::make_unique<train::Trainer>(*model, *opt, *loader, o);
  }
};

std::filesystem::path shared_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("seek_test_dist_" + name + "_w" + std::to_string(dist::get_world_size()));
  if (dist::get_rank() == 0) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  dist::barrier();
  return dir;
}

}  // namespace

TEST(TrainerDist, CheckpointFromAllRanksResumesOnAllRanksAndOnOne) {
  const int world = dist::get_world_size(), rank = dist::get_rank();
  const auto dir = shared_dir("trainer");
  // Each rank its own output_dir: only rank 0's gets files.
  const auto out = dir / ("rank" + std::to_string(rank));
  Session full(world, rank, true, out, /*checkpoint_every=*/4);
  full.trainer->fit();
  const std::vector<double> losses = full.trainer->step_losses();
  ASSERT_EQ(losses.size(), 6u);
  EXPECT_EQ(std::filesystem::exists(out / "checkpoint"), rank == 0);
  EXPECT_EQ(std::filesystem::exists(out / "metrics.csv"), rank == 0);
  EXPECT_EQ(full.progress.str().empty(), rank != 0) << full.progress.str();
  dist::barrier();
  const auto ckpt = dir / "rank0" / "checkpoint";  // taken after step 4 (epoch 2, mid-epoch)

  Session again(world, rank, true, dir / ("again" + std::to_string(rank)));
  again.trainer->resume(ckpt);
  again.trainer->fit();
  const std::vector<double> next = again.trainer->step_losses();
  ASSERT_EQ(next.size(), 2u);
  for (size_t i = 0; i < next.size(); ++i) EXPECT_EQ(next[i], losses[4 + i]) << "step " << 5 + i;

  if (rank == 0) {  // one process with the global batch, not distributed
    Session one(1, 0, false, dir / "one");
    one.trainer->resume(ckpt);
    one.trainer->fit();
    const std::vector<double> next1 = one.trainer->step_losses();
    ASSERT_EQ(next1.size(), 2u);
    for (size_t i = 0; i < next1.size(); ++i)
      EXPECT_NEAR(next1[i], losses[4 + i], 1e-9 * std::abs(losses[4 + i])) << "step " << 5 + i;
  }
  dist::barrier();
}

TEST(TrainerDist, MetricsAreTheSameOnEveryRank) {
  const int world = dist::get_world_size(), rank = dist::get_rank();
  Session s(world, rank, true, {});
  s.trainer->fit();
  const double loss = s.trainer->last_metrics().at("train_loss");
  const double acc = s.trainer->last_metrics().at("train_accuracy");
  Tensor t = zeros({2}, TensorOptions(kFloat64));
  t.data_ptr<double>()[0] = loss;
  t.data_ptr<double>()[1] = acc;
  Tensor mx = t.clone(), mn = t.clone();
  dist::all_reduce(mx, dist::ReduceOp::Max);
  dist::all_reduce(mn, dist::ReduceOp::Min);
  EXPECT_EQ(mx.data_ptr<double>()[0], mn.data_ptr<double>()[0]);
  EXPECT_EQ(mx.data_ptr<double>()[1], mn.data_ptr<double>()[1]);
  // The epoch's loss is the mean over all rows of the epoch (the last step's losses are of the global batch).
  EXPECT_GT(loss, 0);
}

TEST(TrainerDist, NeedsADistributedSamplerForRanksAboveOne) {
  const int world = dist::get_world_size();
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(5, 3));
  model->to(kFloat64);
  optim::AdamW opt(model->parameters(), optim::AdamWOptions(0.01));
  data::DataLoader loader(dataset(), data::DataLoaderOptions{.batch_size = 2});
  train::TrainerOptions o;
  o.distributed = true;
  if (world > 1) {
    try {
      train::Trainer t(*model, opt, loader, o);
      FAIL() << "expected a ValueError";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("DistributedSampler"), std::string::npos) << e.what();
    }
  } else {
    train::Trainer t(*model, opt, loader, o);  // one process: the whole dataset is its share
    EXPECT_NE(t.ddp(), nullptr);
  }
  nn::Linear bare(2, 2);  // not owned by a shared_ptr
  optim::AdamW opt2(bare.parameters(), optim::AdamWOptions(0.01));
  data::DataLoaderOptions lo;
  lo.sampler = std::make_shared<data::DistributedSampler>(kRows, world, dist::get_rank());
  data::DataLoader loader2(dataset(), lo);
  EXPECT_THROW(train::Trainer(bare, opt2, loader2, o), ValueError);
}
