// Trainer with mixed precision (options.amp): autocast around forward, loss and evaluation;
// the fp16 loss scaler (skipped steps on inf/NaN, unscaling before clipping); the scaler's
// state in checkpoints and bit-exact resume with "bf16" and "fp16".
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

using testing::StopAtStep;

using testing::tensor_bytes;
using testing::toy_dataset;
using testing::toy_mlp;

DType low_dtype(const std::string& amp) { return amp == "fp16" ? kFloat16 : kBFloat16; }

std::vector<std::string> param_bytes(nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& p : model.parameters()) out.push_back(tensor_bytes(p));
  return out;
}

double mean(const std::vector<double>& v, size_t first, size_t count) {
  double s = 0;
  for (size_t i = first; i < first + count; ++i) s += v[i];
  return s / static_cast<double>(count);
}

// A toy classification run; n_train examples in batches of 4.
struct Rig {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<data::DataLoader> train, val;
  explicit Rig(int64_t n_train = 16, bool adam = true, double sgd_lr = 0.1) {
    manual_seed(3);
    model = toy_mlp(4, 16, 3);
    if (adam)
      opt = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(0.02));
    else
      opt = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(sgd_lr));
    train = std::make_unique<data::DataLoader>(toy_dataset(n_train), data::DataLoaderOptions{.batch_size = 4});
    val = std::make_unique<data::DataLoader>(toy_dataset(8, 4, 3, 99), data::DataLoaderOptions{.batch_size = 4});
  }
  std::unique_ptr<Trainer> trainer(TrainerOptions o) {
    o.progress = false;
    return std::make_unique<Trainer>(*model, *opt, *train, o);
  }
};

TEST(TrainTrainerAmp, BadAmpValueIsAValueError) {
  Rig r;
  for (const char* bad : {"fp32", "FP16", "float16", "bfloat16"})
    EXPECT_SEEK_ERROR_ALL(r.trainer({.amp = bad}), ValueError, {"Trainer", "amp", std::string("\"") + bad + "\""});
  EXPECT_SEEK_ERROR_ALL(r.trainer({.amp = "fp16", .grad_scaler = {.growth_interval = 0}}), ValueError,
                        {"Trainer", "grad_scaler", "growth_interval"});
  EXPECT_SEEK_ERROR_ALL(r.trainer({.amp = "fp16", .grad_scaler = {.backoff_factor = 2.0}}), ValueError,
                        {"Trainer", "grad_scaler", "backoff_factor"});
  EXPECT_EQ(r.trainer({})->grad_scaler(), nullptr);
  EXPECT_EQ(r.trainer({.amp = "bf16"})->grad_scaler(), nullptr);  // bf16 needs no loss scaling
  auto t = r.trainer({.amp = "fp16", .grad_scaler = {.init_scale = 256.0}});
  ASSERT_NE(t->grad_scaler(), nullptr);
  EXPECT_EQ(t->grad_scaler()->get_scale(), 256.0);
}

class TrainTrainerAmpDtype : public ::testing::TestWithParam<std::string> {};

// Forward, loss and evaluation run under autocast for the CPU with the amp dtype; backward
// and everything after fit() run without it. The training loss goes down.
TEST_P(TrainTrainerAmpDtype, AutocastScopeAndLossGoesDown) {
  const std::string amp = GetParam();
  Rig r(32);
  int forward_train = 0, forward_eval = 0, loss_calls = 0, backward_hooks = 0;
  bool wrong_scope = false;
  auto t = r.trainer({.epochs = 12, .amp = amp, .grad_scaler = {.init_scale = 1024.0}});
  t->set_val_loader(r.val.get());
  auto in_scope = [&] {
    return amp::is_autocast_enabled(DeviceType::CPU) && amp::get_autocast_dtype(DeviceType::CPU) == low_dtype(amp);
  };
  t->set_forward_fn([&](nn::Module& m, const Tensor& x) {
    if (!in_scope()) wrong_scope = true;
    ++(m.is_training() ? forward_train : forward_eval);
    Tensor out = m.forward(x);
    if (out.requires_grad()) {
      out.register_hook([&](const Tensor&) {
        if (amp::is_autocast_enabled(DeviceType::CPU)) wrong_scope = true;
        ++backward_hooks;
        return Tensor();
      });
    }
    return out;
  });
  t->set_loss_fn([&](const Tensor& out, const Tensor& y) {
    if (!in_scope()) wrong_scope = true;
    ++loss_calls;
    return nn::functional::cross_entropy(out, y);
  });
  t->fit();
  EXPECT_FALSE(wrong_scope);
  EXPECT_FALSE(amp::is_autocast_enabled(DeviceType::CPU));
  EXPECT_EQ(forward_train, 12 * 8);
  EXPECT_EQ(backward_hooks, 12 * 8);
  EXPECT_EQ(forward_eval, 12 * 2);
  EXPECT_EQ(loss_calls, 12 * 8 + 12 * 2);  // training steps and the evaluations' loss metric
  const auto& losses = t->step_losses();
  ASSERT_EQ(losses.size(), 12u * 8u);
  for (double l : losses) EXPECT_TRUE(std::isfinite(l));
  EXPECT_LT(mean(losses, losses.size() - 8, 8), 0.9 * mean(losses, 0, 8));
  for (const auto& p : r.model->parameters()) EXPECT_EQ(p.dtype(), kFloat32);  // the master weights stay f32
  if (amp == "fp16") {  // update() ran after the steps: the last ones were clean; the scale never grew
    EXPECT_GT(t->grad_scaler()->growth_tracker(), 0);
    EXPECT_LE(t->grad_scaler()->get_scale(), 1024.0);
  }
}

// Needs the autocast hooks in linear/matmul and the losses (the "autocast" engineer's work).
TEST_P(TrainTrainerAmpDtype, LogitsAreLowPrecisionAndTheLossFloat32) {
  const std::string amp = GetParam();
  Rig r;
  std::vector<DType> out_dtypes, loss_dtypes;
  auto t = r.trainer({.epochs = 1, .amp = amp});
  t->set_val_loader(r.val.get());
  t->set_forward_fn([&](nn::Module& m, const Tensor& x) {
    Tensor out = m.forward(x);
    out_dtypes.push_back(out.dtype());
    return out;
  });
  t->set_loss_fn([&](const Tensor& out, const Tensor& y) {
    Tensor loss = nn::functional::cross_entropy(out, y);
    loss_dtypes.push_back(loss.dtype());
    return loss;
  });
  t->fit();
  ASSERT_EQ(out_dtypes.size(), 4u + 2u);  // 4 training batches, 2 evaluation batches
  for (DType d : out_dtypes) EXPECT_EQ(d, low_dtype(amp));
  for (DType d : loss_dtypes) EXPECT_EQ(d, kFloat32);
}

INSTANTIATE_TEST_SUITE_P(Amp, TrainTrainerAmpDtype, ::testing::Values("bf16", "fp16"));

// Records, after every optimizer step, the parameters, the loss scale and the lr.
class StepRecorder : public Callback {
 public:
  std::vector<std::vector<std::string>> params;
  std::vector<double> scales, lrs;
  std::vector<int64_t> trackers;
  void on_step_end(Trainer& t, int64_t, const StepLoss&) override {
    params.push_back(param_bytes(t.model()));
    scales.push_back(t.grad_scaler()->get_scale());
    trackers.push_back(t.grad_scaler()->growth_tracker());
    lrs.push_back(t.optimizer().param_groups()[0].lr());
  }
};

TEST(TrainTrainerAmp, Fp16SkipsTheStepOfAnInfiniteLossButCountsIt) {
  for (const double bad : {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE(bad);
    Rig r(16, /*adam=*/false);  // 4 steps per epoch
    optim::StepLR sched(*r.opt, 1, 0.5);
    auto t = r.trainer({.epochs = 2, .amp = "fp16", .grad_scaler = {.init_scale = 1024.0}});
    t->set_scheduler(&sched);
    int calls = 0;
    t->set_loss_fn([&](const Tensor& out, const Tensor& y) {
      Tensor loss = nn::functional::cross_entropy(out, y);
      return ++calls == 3 ? loss.mul(bad) : loss;  // the 3rd step's loss is inf / NaN
    });
    auto rec = std::make_shared<StepRecorder>();
    t->add_callback(rec);
    const auto initial = param_bytes(*r.model);
    t->fit();
    ASSERT_EQ(t->global_step(), 8);  // the skipped step counts
    ASSERT_EQ(rec->params.size(), 8u);
    EXPECT_NE(rec->params[0], initial);
    EXPECT_NE(rec->params[1], rec->params[0]);
    EXPECT_EQ(rec->params[2], rec->params[1]);  // step 3 skipped: parameters unchanged
    EXPECT_NE(rec->params[3], rec->params[2]);
    EXPECT_EQ(rec->scales[1], 1024.0);
    EXPECT_EQ(rec->trackers[1], 2);
    EXPECT_EQ(rec->scales[2], 512.0);  // backed off
    EXPECT_EQ(rec->trackers[2], 0);
    EXPECT_EQ(rec->trackers[3], 1);
    for (size_t i = 0; i < rec->lrs.size(); ++i)  // the scheduler stepped at every step, skipped or not
      EXPECT_DOUBLE_EQ(rec->lrs[i], 0.1 * std::pow(0.5, static_cast<double>(i + 1))) << "step " << i + 1;
    EXPECT_FALSE(std::isfinite(t->step_losses()[2]));
    for (const auto& p : r.model->parameters())
      EXPECT_TRUE(p.abs().max().item<double>() < std::numeric_limits<double>::infinity());
  }
}

// With clipping, the gradients are unscaled before they are clipped: fp16 training with a
// clip follows the f32 training with the same clip (clipping the scaled gradients would cut
// them to 0.3 / 65536 of their norm and leave almost no update). SGD, since Adam would hide it.
TEST(TrainTrainerAmp, Fp16UnscalesBeforeClipping) {
  auto run = [](const std::string& amp) {
    Rig r(16, /*adam=*/false, /*sgd_lr=*/1.0);
    auto t = r.trainer({.epochs = 6, .clip_grad_norm = 0.3, .amp = amp});
    t->fit();
    return t->step_losses();
  };
  const std::vector<double> f32 = run(""), f16 = run("fp16");
  ASSERT_EQ(f16.size(), f32.size());
  const double drop = mean(f32, 0, 4) - mean(f32, f32.size() - 4, 4);
  ASSERT_GT(drop, 0.05);
  for (size_t i = 0; i < f32.size(); ++i) EXPECT_NEAR(f16[i], f32[i], 0.2 * drop) << "step " << i + 1;
}

// ---- checkpoints and resume ----

constexpr int64_t kEpochs = 3, kStepsPerEpoch = 3;  // 5 batches of 4, accumulation 2: groups 2, 2, 1

// Dropout, AdamW, a per-step scheduler, shuffling and accumulation, as in test_trainer_resume;
// fp16 starts at a scale that is no power of two and grows it x3 every 2 clean steps, so that
// unscaling rounds differently at every scale and the restored scale matters for the bits.
struct Session {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::AdamW> opt;
  std::unique_ptr<optim::WarmupCosineLR> sched;
  std::unique_ptr<data::DataLoader> train, val;
  std::unique_ptr<Trainer> trainer;

  Session(uint64_t init_seed, const std::string& amp, const std::filesystem::path& out, int64_t checkpoint_every = 0) {
    manual_seed(init_seed);
    model = toy_mlp(4, 16, 3, /*dropout=*/0.3);
    opt = std::make_unique<optim::AdamW>(model->parameters(), optim::AdamWOptions(0.02));
    sched = std::make_unique<optim::WarmupCosineLR>(*opt, 2, kEpochs * kStepsPerEpoch, 1e-3);
    train = std::make_unique<data::DataLoader>(toy_dataset(20),
                                               data::DataLoaderOptions{.batch_size = 4, .shuffle = true, .seed = 9});
    val = std::make_unique<data::DataLoader>(toy_dataset(8, 4, 3, 99), data::DataLoaderOptions{.batch_size = 8});
    TrainerOptions o{.epochs = kEpochs,
                     .accumulation_steps = 2,
                     .output_dir = out,
                     .checkpoint_every_steps = checkpoint_every,
                     .amp = amp,
                     .grad_scaler = {.init_scale = 3000.0, .growth_factor = 3.0, .growth_interval = 2},
                     .progress = false};
    trainer = std::make_unique<Trainer>(*model, *opt, *train, o);
    trainer->set_val_loader(val.get());
    trainer->set_scheduler(sched.get());
  }
};

class TrainTrainerAmpResume : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainTrainerAmpResume, SameLossesBitForBitAndTheScaleIsRestored) {
  const std::string amp = GetParam();
  const auto ref_dir = testing::fresh_dir("amp_resume_reference_" + amp);
  Session reference(1, amp, ref_dir);
  reference.trainer->fit();
  const std::vector<double> expected = reference.trainer->step_losses();
  ASSERT_EQ(expected.size(), static_cast<size_t>(kEpochs * kStepsPerEpoch));
  const std::string expected_csv = testing::read_text(ref_dir / "metrics.csv");

  for (int64_t stop : {2, 4, 7}) {
    SCOPED_TRACE("stopped after step " + std::to_string(stop));
    const auto dir = testing::fresh_dir("amp_resume_" + amp + "_" + std::to_string(stop));
    std::vector<double> losses;
    amp::GradScalerState saved_scaler;
    {
      Session first(1, amp, dir, /*checkpoint_every=*/stop);
      first.trainer->add_callback(std::make_shared<StopAtStep>(stop));
      first.trainer->fit();
      ASSERT_EQ(first.trainer->global_step(), stop);
      losses = first.trainer->step_losses();
      if (first.trainer->grad_scaler()) saved_scaler = first.trainer->grad_scaler()->state_dict();
    }
    Session second(12345, amp, dir);
    second.trainer->resume(dir / "checkpoint");
    if (amp == "fp16") {
      ASSERT_NE(second.trainer->grad_scaler(), nullptr);
      EXPECT_EQ(second.trainer->grad_scaler()->state_dict(), saved_scaler);
      EXPECT_NE(saved_scaler.at("scale"), 3000.0);  // it grew: restoring it is what is tested
    }
    second.trainer->fit();
    for (double l : second.trainer->step_losses()) losses.push_back(l);
    ASSERT_EQ(losses.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(losses[i], expected[i]) << "step " << i + 1;
    EXPECT_EQ(testing::read_text(dir / "metrics.csv"), expected_csv);
    if (amp == "fp16")
      EXPECT_EQ(second.trainer->grad_scaler()->state_dict(), reference.trainer->grad_scaler()->state_dict());
    for (size_t i = 0; i < reference.model->parameters().size(); ++i)
      EXPECT_EQ(tensor_bytes(second.model->parameters()[i]), tensor_bytes(reference.model->parameters()[i]));
  }
}

INSTANTIATE_TEST_SUITE_P(Amp, TrainTrainerAmpResume, ::testing::Values("bf16", "fp16"));

TEST(TrainTrainerAmp, CheckpointHoldsTheScalerStateOnlyWithFp16) {
  const auto fp16_dir = testing::fresh_dir("amp_ckpt_fp16"), plain_dir = testing::fresh_dir("amp_ckpt_plain");
  {
    Session s(1, "fp16", fp16_dir, /*checkpoint_every=*/kStepsPerEpoch);
    s.trainer->fit();
  }
  {
    Session s(1, "", plain_dir, /*checkpoint_every=*/kStepsPerEpoch);
    s.trainer->fit();
  }
  const std::string fp16_json = testing::read_text(fp16_dir / "checkpoint" / "trainer.json");
  for (const char* key : {"\"grad_scaler\"", "\"scale\"", "\"_growth_tracker\"", "\"growth_interval\""})
    EXPECT_NE(fp16_json.find(key), std::string::npos) << key;
  EXPECT_EQ(testing::read_text(plain_dir / "checkpoint" / "trainer.json").find("grad_scaler"), std::string::npos);

  // A checkpoint without the scaler (saved with amp off) loads without amp and with bf16 ...
  for (const char* amp : {"", "bf16"}) {
    Session s(2, amp, plain_dir);
    s.trainer->resume(plain_dir / "checkpoint");
    EXPECT_EQ(s.trainer->global_step(), kEpochs * kStepsPerEpoch);
  }
  // ... and an fp16 checkpoint loads without amp (the scaler state is not asked for).
  {
    Session s(2, "", fp16_dir);
    s.trainer->resume(fp16_dir / "checkpoint");
    EXPECT_EQ(s.trainer->global_step(), kEpochs * kStepsPerEpoch);
  }
  // fp16 needs the scaler state: an IOError, and nothing changes.
  Session s(2, "fp16", plain_dir);
  const auto before = param_bytes(*s.model);
  EXPECT_SEEK_ERROR_ALL(s.trainer->resume(plain_dir / "checkpoint"), IOError,
                        {"load_checkpoint", "trainer.json", "without the grad scaler"});
  EXPECT_EQ(s.trainer->global_step(), 0);
  EXPECT_EQ(param_bytes(*s.model), before);
  EXPECT_EQ(s.trainer->grad_scaler()->get_scale(), 3000.0);
}

TEST(TrainTrainerAmp, BadScalerStateInACheckpointIsAnIOError) {
  const auto dir = testing::fresh_dir("amp_ckpt_bad_scaler");
  Session s(1, "fp16", dir, /*checkpoint_every=*/kStepsPerEpoch);
  s.trainer->fit();
  // Save a checkpoint whose scaler state is invalid, through the public checkpoint API.
  amp::GradScaler disabled({.enabled = false});
  CheckpointParts parts;
  parts.model = s.model.get();
  parts.grad_scaler = &disabled;  // saves an empty state, as PyTorch's disabled scaler does
  save_checkpoint(dir / "bad", parts, TrainingProgress{});
  amp::GradScaler scaler({.init_scale = 8.0});
  parts.grad_scaler = &scaler;
  const auto before = param_bytes(*s.model);
  EXPECT_SEEK_ERROR_ALL(load_checkpoint(dir / "bad", parts), IOError, {"load_checkpoint", "grad scaler", "empty"});
  EXPECT_EQ(scaler.get_scale(), 8.0);
  EXPECT_EQ(param_bytes(*s.model), before);
}

}  // namespace
}  // namespace seek::train
