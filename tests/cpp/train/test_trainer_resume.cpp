// A run stopped after any optimizer step and resumed from its checkpoint gives the same
// losses, bit for bit, and the same metrics.csv as the uninterrupted run (CPU). The run
// uses what carries state across steps: shuffling, dropout (the default generator),
// AdamW moments, a per-step scheduler, gradient accumulation with a partial last group,
// a ReduceLROnPlateau and early stopping on val_loss, and the running train metrics of an
// unfinished epoch.
#include <gtest/gtest.h>

#include "seek/seek.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

using testing::StopAtStep;

constexpr int64_t kEpochs = 3;
constexpr int64_t kStepsPerEpoch = 3;  // 5 batches of 4 with accumulation 2: groups 2, 2, 1

// One training session: a fresh model (initialised from `init_seed`), optimizer, scheduler,
// plateau and loaders.
struct Session {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::AdamW> opt;
  std::unique_ptr<optim::WarmupCosineLR> sched;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau;
  std::unique_ptr<data::DataLoader> train, val;
  std::unique_ptr<Trainer> trainer;

  // checkpoint_every: checkpoint_every_steps (checkpoints are slow: fsync); save_best: keep <out>/best.
  Session(uint64_t init_seed, const std::filesystem::path& out, int64_t checkpoint_every = 0, bool save_best = false,
          int64_t checkpoint_every_epochs = 0) {
    manual_seed(init_seed);
    model = testing::toy_mlp(4, 16, 3, /*dropout=*/0.3);
    opt = std::make_unique<optim::AdamW>(model->parameters(), optim::AdamWOptions(0.02));
    sched = std::make_unique<optim::WarmupCosineLR>(*opt, 2, kEpochs * kStepsPerEpoch, 1e-3);
    plateau = std::make_unique<optim::ReduceLROnPlateau>(*opt, optim::ReduceLROnPlateauOptions{.patience = 0});
    train = std::make_unique<data::DataLoader>(testing::toy_dataset(20),
                                               data::DataLoaderOptions{.batch_size = 4, .shuffle = true, .seed = 9});
    val =
        std::make_unique<data::DataLoader>(testing::toy_dataset(8, 4, 3, 99), data::DataLoaderOptions{.batch_size = 8});
    TrainerOptions o{.epochs = kEpochs,
                     .accumulation_steps = 2,
                     .monitor = "val_loss",
                     .early_stopping_patience = 50,
                     .output_dir = out,
                     .checkpoint_every_epochs = checkpoint_every_epochs,
                     .checkpoint_every_steps = checkpoint_every,
                     .save_best = save_best,
                     .progress = false};
    trainer = std::make_unique<Trainer>(*model, *opt, *train, o);
    trainer->set_val_loader(val.get());
    trainer->set_scheduler(sched.get());
    trainer->set_plateau(plateau.get());
  }
};

TEST(TrainTrainerResume, SameLossesBitForBitAfterAnyStep) {
  const auto ref_dir = testing::fresh_dir("resume_reference");
  Session reference(1, ref_dir);
  reference.trainer->fit();
  const std::vector<double> expected = reference.trainer->step_losses();
  ASSERT_EQ(expected.size(), static_cast<size_t>(kEpochs * kStepsPerEpoch));
  const std::string expected_csv = testing::read_text(ref_dir / "metrics.csv");

  for (int64_t stop = 1; stop < kEpochs * kStepsPerEpoch; ++stop) {
    SCOPED_TRACE("stopped after step " + std::to_string(stop));
    const auto dir = testing::fresh_dir("resume_" + std::to_string(stop));
    std::vector<double> losses;
    {
      Session first(1, dir, /*checkpoint_every=*/stop);  // saves once, at the stop
      first.trainer->add_callback(std::make_shared<StopAtStep>(stop));
      first.trainer->fit();
      ASSERT_EQ(first.trainer->global_step(), stop);
      losses = first.trainer->step_losses();
    }
    ASSERT_TRUE(checkpoint_exists(dir / "checkpoint"));
    Session second(12345, dir);  // other initial weights and generator state: all must come from the checkpoint
    second.trainer->resume(dir / "checkpoint");
    EXPECT_EQ(second.trainer->global_step(), stop);
    EXPECT_EQ(second.trainer->epoch(), stop / kStepsPerEpoch);
    second.trainer->fit();
    for (double l : second.trainer->step_losses()) losses.push_back(l);
    ASSERT_EQ(losses.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(losses[i], expected[i]) << "step " << i + 1;
    EXPECT_EQ(testing::read_text(dir / "metrics.csv"), expected_csv);
    for (size_t i = 0; i < reference.model->parameters().size(); ++i) {
      EXPECT_EQ(to_vector<float>(second.model->parameters()[i].contiguous()),
                to_vector<float>(reference.model->parameters()[i].contiguous()));
    }
  }
}

TEST(TrainTrainerResume, ResumingFromAnOlderCheckpointRollsTheLogsBack) {
  // The run logged epochs 2 and 3 after its epoch-1 checkpoint; resuming from that checkpoint
  // logs them again, and the logs must hold each once (as the uninterrupted run's do).
  const auto ref_dir = testing::fresh_dir("rollback_reference");
  Session reference(1, ref_dir);
  reference.trainer->fit();
  const std::string expected_csv = testing::read_text(ref_dir / "metrics.csv");
  const std::string expected_jsonl = testing::read_text(ref_dir / "metrics.jsonl");

  const auto dir = testing::fresh_dir("rollback");
  {
    Session first(1, dir, 0, false, /*checkpoint_every_epochs=*/1);
    first.trainer->add_callback(std::make_shared<StopAtStep>(kStepsPerEpoch));
    first.trainer->fit();
  }
  std::filesystem::copy(dir / "checkpoint", dir / "epoch1");
  {
    Session rest(12345, dir);
    rest.trainer->resume(dir / "checkpoint");
    rest.trainer->fit();
  }
  ASSERT_EQ(testing::read_text(dir / "metrics.csv"), expected_csv);  // the complete run
  Session again(777, dir);
  again.trainer->resume(dir / "epoch1");
  again.trainer->fit();
  EXPECT_EQ(testing::read_text(dir / "metrics.csv"), expected_csv);
  EXPECT_EQ(testing::read_text(dir / "metrics.jsonl"), expected_jsonl);
}

TEST(TrainTrainerResume, RestoresEarlyStoppingCounters) {
  const auto dir = testing::fresh_dir("resume_early_stopping");
  int64_t bad_count = 0;
  bool has_best = false;
  double best = 0;
  {
    Session first(1, dir, /*checkpoint_every=*/2 * kStepsPerEpoch);
    first.trainer->add_callback(std::make_shared<StopAtStep>(2 * kStepsPerEpoch));
    first.trainer->fit();
    bad_count = first.trainer->early_stopping()->bad_count();
    has_best = first.trainer->early_stopping()->has_best();
    best = first.trainer->early_stopping()->best();
  }
  Session second(7, dir);
  second.trainer->resume(dir / "checkpoint");
  EXPECT_TRUE(has_best);
  EXPECT_EQ(second.trainer->early_stopping()->has_best(), has_best);
  EXPECT_EQ(second.trainer->early_stopping()->best(), best);
  EXPECT_EQ(second.trainer->early_stopping()->bad_count(), bad_count);
  EXPECT_EQ(second.plateau->best(), best);  // the plateau saw the same values
}

TEST(TrainTrainerResume, BestCheckpointFollowsTheMonitor) {
  const auto dir = testing::fresh_dir("resume_best");
  Session s(1, dir, /*checkpoint_every=*/0, /*save_best=*/true);
  s.trainer->fit();
  ASSERT_TRUE(checkpoint_exists(dir / "best"));
  EXPECT_FALSE(checkpoint_exists(dir / "checkpoint"));
  Session restored(3, dir);
  restored.trainer->resume(dir / "best");
  // The best checkpoint was taken at the end of an epoch whose val_loss set the best.
  EXPECT_EQ(restored.trainer->global_step() % kStepsPerEpoch, 0);
  EXPECT_EQ(restored.trainer->evaluate().at("val_loss"), s.trainer->early_stopping()->best());
}

TEST(TrainTrainerResume, MissingCheckpointLeavesTheTrainerAsItWas) {
  const auto dir = testing::fresh_dir("resume_missing");
  Session s(1, dir);
  EXPECT_SEEK_ERROR_ALL(s.trainer->resume(dir / "nowhere"), IOError, {"load_checkpoint", "nowhere"});
  EXPECT_EQ(s.trainer->global_step(), 0);
  EXPECT_EQ(s.trainer->epoch(), 0);
}

TEST(TrainTrainerResume, CheckpointEveryNEpochs) {
  const auto dir = testing::fresh_dir("resume_every_epochs");
  Session s(1, dir, 0, false, /*checkpoint_every_epochs=*/2);
  s.trainer->fit();
  Session restored(3, dir);
  restored.trainer->resume(dir / "checkpoint");
  EXPECT_EQ(restored.trainer->epoch(), 2);  // saved after epoch 2, not after epoch 3
  EXPECT_EQ(restored.trainer->global_step(), 2 * kStepsPerEpoch);
  EXPECT_EQ(restored.train->state(), (data::DataLoaderState{1, 0}));
}

}  // namespace
}  // namespace seek::train
