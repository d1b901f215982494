// Trainer behaviour: callbacks, cadences, accumulation counts, early stopping, files, options.
#include <gtest/gtest.h>

#include <sstream>

#include "seek/seek.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

using testing::toy_dataset;
using testing::toy_mlp;

// Records every hook as a line; can ask the trainer to stop after a given step.
class RecordingCallback : public Callback {
 public:
  std::vector<std::string> events;
  int64_t stop_at = -1;
  void on_train_begin(Trainer&) override { events.push_back("train_begin"); }
  void on_train_end(Trainer&) override { events.push_back("train_end"); }
  void on_epoch_begin(Trainer&, int64_t e) override { events.push_back("epoch_begin " + std::to_string(e)); }
  void on_epoch_end(Trainer&, int64_t e, const MetricValues& m) override {
    events.push_back("epoch_end " + std::to_string(e) + (m.count("val_loss") ? " val" : ""));
  }
  void on_step_end(Trainer& t, int64_t step, const StepLoss&) override {
    events.push_back("step " + std::to_string(step));
    if (step == stop_at) t.request_stop("asked by the test");
  }
  void on_evaluate(Trainer&, const MetricValues& m) override {
    events.push_back("evaluate" + std::string(m.count("val_accuracy") ? " acc" : ""));
  }
  int64_t count(const std::string& prefix) const {
    return std::count_if(events.begin(), events.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  }
};

struct Rig {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::SGD> opt;
  std::unique_ptr<data::DataLoader> train, val;
  std::shared_ptr<RecordingCallback> rec = std::make_shared<RecordingCallback>();
  explicit Rig(int64_t n_train, size_t batch = 4, double lr = 0.1) {
    manual_seed(3);
    model = toy_mlp();
    opt = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(lr));
    train = std::make_unique<data::DataLoader>(toy_dataset(n_train), data::DataLoaderOptions{.batch_size = batch});
    val = std::make_unique<data::DataLoader>(toy_dataset(8, 4, 3, 99), data::DataLoaderOptions{.batch_size = 4});
  }
  std::unique_ptr<Trainer> trainer(TrainerOptions o) {
    o.progress = false;
    auto t = std::make_unique<Trainer>(*model, *opt, *train, o);
    t->add_callback(rec);
    return t;
  }
};

TEST(TrainTrainer, CallbacksOrder) {
  Rig s(16);  // 4 batches, 2 steps per epoch
  auto t = s.trainer({.epochs = 2, .accumulation_steps = 2});
  t->set_val_loader(s.val.get());
  t->fit();
  const std::vector<std::string> expected = {"train_begin",  "epoch_begin 0",   "step 1",          "step 2",
                                             "evaluate acc", "epoch_end 0 val", "epoch_begin 1",   "step 3",
                                             "step 4",       "evaluate acc",    "epoch_end 1 val", "train_end"};
  EXPECT_EQ(s.rec->events, expected);
  EXPECT_EQ(t->epoch(), 2);
  EXPECT_EQ(t->global_step(), 4);
  EXPECT_EQ(t->step_losses().size(), 4u);
  EXPECT_TRUE(s.model->is_training());  // back in training mode after the evaluations
}

TEST(TrainTrainer, SchedulerStepsPerOptimizerStepWithAccumulation) {
  Rig s(20);  // 5 batches; k = 2: groups of 2, 2 and a last partial 1 -> 3 steps per epoch
  optim::StepLR sched(*s.opt, 1000);
  auto t = s.trainer({.epochs = 2, .accumulation_steps = 2, .scheduler_interval = "step"});
  t->set_scheduler(&sched);
  t->fit();
  EXPECT_EQ(t->global_step(), 6);
  EXPECT_EQ(sched.last_epoch(), 6);
  EXPECT_EQ(s.rec->count("step "), 6);
}

TEST(TrainTrainer, SchedulerStepsPerEpoch) {
  Rig s(20);
  optim::StepLR sched(*s.opt, 1, 0.5);
  auto t = s.trainer({.epochs = 3, .accumulation_steps = 4, .scheduler_interval = "epoch"});
  t->set_scheduler(&sched);
  t->fit();
  EXPECT_EQ(t->global_step(), 6);  // groups of 4 and 1
  EXPECT_EQ(sched.last_epoch(), 3);
  EXPECT_DOUBLE_EQ(s.opt->param_groups()[0].lr(), 0.1 * 0.125);
}

TEST(TrainTrainer, EvaluationCadence) {
  {
    Rig s(24);  // 6 steps per epoch
    auto t = s.trainer({.epochs = 2, .eval_every_steps = 4, .eval_every_epochs = 0});
    t->set_val_loader(s.val.get());
    t->fit();
    EXPECT_EQ(s.rec->count("evaluate"), 3);  // steps 4, 8, 12
    EXPECT_EQ(s.rec->count("epoch_end 0 val"), 0);
  }
  {
    Rig s(8);  // 2 steps per epoch
    auto t = s.trainer({.epochs = 5, .eval_every_epochs = 2});
    t->set_val_loader(s.val.get());
    t->fit();
    EXPECT_EQ(s.rec->count("evaluate"), 2);  // after epochs 2 and 4
    EXPECT_EQ(s.rec->count("epoch_end 1 val"), 1);
    EXPECT_EQ(s.rec->count("epoch_end 3 val"), 1);
  }
  {
    Rig s(8);  // an evaluation at an epoch's last step is not repeated at the epoch's end
    auto t = s.trainer({.epochs = 2, .eval_every_steps = 2, .eval_every_epochs = 1});
    t->set_val_loader(s.val.get());
    t->fit();
    EXPECT_EQ(s.rec->count("evaluate"), 2);
    EXPECT_EQ(s.rec->count("epoch_end 1 val"), 1);
  }
}

TEST(TrainTrainer, EarlyStoppingPatience) {
  Rig s(8, 4, /*lr=*/0.0);  // lr 0: the loss never changes, so it never improves
  auto t = s.trainer({.epochs = 10, .monitor = "train_loss", .early_stopping_patience = 2});
  t->fit();
  EXPECT_EQ(t->epoch(), 3);  // epoch 1 sets the best, epochs 2 and 3 do not improve
  EXPECT_TRUE(t->stop_requested());
  EXPECT_NE(t->stop_reason().find("early stopping: train_loss"), std::string::npos) << t->stop_reason();
  EXPECT_EQ(t->early_stopping()->bad_count(), 2);
  EXPECT_EQ(s.rec->events.back(), "train_end");
}

TEST(TrainTrainer, CallbackStopAndMaxSteps) {
  {
    Rig s(24);
    s.rec->stop_at = 3;
    auto t = s.trainer({.epochs = 4});
    t->fit();
    EXPECT_EQ(t->global_step(), 3);
    EXPECT_EQ(t->epoch(), 0);  // stopped mid-epoch: no epoch end
    EXPECT_EQ(s.rec->count("epoch_end"), 0);
    EXPECT_EQ(s.rec->events.back(), "train_end");
  }
  {
    Rig s(12);  // 3 steps per epoch
    auto t = s.trainer({.max_steps = 5});
    t->fit();
    EXPECT_EQ(t->global_step(), 5);
    EXPECT_EQ(t->epoch(), 1);
  }
}

TEST(TrainTrainer, ReduceLROnPlateauOnTheMonitor) {
  Rig s(8);
  optim::ReduceLROnPlateau plateau(*s.opt, {.mode = "max", .factor = 0.1, .patience = 0});
  auto t = s.trainer({.epochs = 3, .monitor = "train_accuracy", .mode = "max"});
  t->set_plateau(&plateau);
  // Gradients never reach the parameters, so the accuracy stays the same every epoch.
  t->set_forward_fn([](nn::Module& m, const Tensor& x) { return m.forward(x).detach().requires_grad_(); });
  t->fit();
  EXPECT_EQ(plateau.last_epoch(), 3);
  EXPECT_NEAR(s.opt->param_groups()[0].lr(), 0.1 * 0.01, 1e-12);  // reduced after epochs 2 and 3
}

TEST(TrainTrainer, PluggableLossForwardAndSoftTargets) {
  manual_seed(5);
  auto model = toy_mlp();
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.05));
  // One-hot soft targets, as MixUp/CutMix with lambda 1 would give.
  auto base = toy_dataset(12);
  Tensor data = testing::uniform_tensor({12, 4}, -1, 1, kFloat32, 11);
  Tensor soft = zeros({12, 3});
  for (int64_t i = 0; i < 12; ++i) soft.index_put_({i, (i * 7 + 3) % 3}, 1.0);
  data::DataLoader loader(std::make_shared<data::TensorDataset>(data, soft), {.batch_size = 4});
  int64_t forward_calls = 0, loss_calls = 0;
  Trainer t(*model, opt, loader, {.epochs = 2, .progress = false});
  t.set_forward_fn([&](nn::Module& m, const Tensor& x) {
    ++forward_calls;
    return m.forward(x);
  });
  t.set_loss_fn([&](const Tensor& out, const Tensor& target) {
    ++loss_calls;
    return nn::functional::cross_entropy(out, target);
  });
  t.fit();
  EXPECT_EQ(forward_calls, 6);
  EXPECT_EQ(loss_calls, 6);
  ASSERT_TRUE(t.last_metrics().count("train_accuracy"));
  const double acc = t.last_metrics().at("train_accuracy");
  EXPECT_GE(acc, 0.0);
  EXPECT_LE(acc, 1.0);
  // The same data with index targets gives the same losses (soft one-hot == index targets).
  manual_seed(5);
  auto model2 = toy_mlp();
  optim::SGD opt2(model2->parameters(), optim::SGDOptions(0.05));
  data::DataLoader loader2(base, {.batch_size = 4});
  Trainer t2(*model2, opt2, loader2, {.epochs = 2, .progress = false});
  t2.fit();
  ASSERT_EQ(t.step_losses().size(), t2.step_losses().size());
  for (size_t i = 0; i < t.step_losses().size(); ++i) EXPECT_NEAR(t.step_losses()[i], t2.step_losses()[i], 1e-6);
  EXPECT_DOUBLE_EQ(t.last_metrics().at("train_accuracy"), t2.last_metrics().at("train_accuracy"));
}

TEST(TrainTrainer, GradientClippingByValueAndNorm) {
  for (const bool by_norm : {false, true}) {
    Rig s(4, 4, /*lr=*/1.0);  // one step of plain SGD: the update is -grad
    std::vector<Tensor> before;
    for (const auto& p : s.model->parameters()) before.push_back(p.detach().clone());
    TrainerOptions o{.epochs = 1};
    if (by_norm)
      o.clip_grad_norm = 0.01;
    else
      o.clip_grad_value = 0.001;
    s.trainer(o)->fit();
    double sq = 0, largest = 0;
    const auto params = s.model->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor d = params[i].detach().sub(before[i]).to(kFloat64);
      sq += d.pow(2).sum().item<double>();
      largest = std::max(largest, d.abs().max().item<double>());
    }
    if (by_norm) {
      EXPECT_LE(std::sqrt(sq), 0.01 * (1 + 1e-4));
      EXPECT_GT(std::sqrt(sq), 0.009);  // the toy gradients are far larger than 0.01
    } else {
      EXPECT_LE(largest, 0.001 * (1 + 1e-5));
      EXPECT_GT(largest, 0.0009);
    }
  }
}

TEST(TrainTrainer, MetricsFilesPerEvaluationAndEpoch) {
  const auto dir = testing::fresh_dir("trainer_metrics_files");
  Rig s(16);  // 4 steps per epoch
  auto t = s.trainer({.epochs = 2, .eval_every_steps = 2, .eval_every_epochs = 0, .output_dir = dir});
  t->set_val_loader(s.val.get());
  t->fit();
  const auto csv = testing::split_lines(testing::read_text(dir / "metrics.csv"));
  // header; evaluations at steps 2 and 4, epoch 1; evaluations at steps 6 and 8, epoch 2
  ASSERT_EQ(csv.size(), 7u);
  EXPECT_EQ(csv[0], "epoch,step,lr,train_loss,train_accuracy,val_loss,val_accuracy");
  EXPECT_EQ(csv[1].rfind("0,2,0.1,,,", 0), 0u) << csv[1];     // evaluation at step 2
  EXPECT_EQ(csv[2].rfind("0,4,0.1,,,", 0), 0u) << csv[2];     // evaluation at step 4
  EXPECT_EQ(csv[3].rfind("1,4,0.1,", 0), 0u) << csv[3];       // epoch 1 (no evaluation of its own)
  EXPECT_NE(csv[3].find(",,"), std::string::npos) << csv[3];  // without val values
  EXPECT_EQ(csv[6].rfind("2,8,0.1,", 0), 0u) << csv[6];
  const auto jsonl = testing::split_lines(testing::read_text(dir / "metrics.jsonl"));
  ASSERT_EQ(jsonl.size(), 6u);
  EXPECT_EQ(jsonl[0].rfind("{\"epoch\": 0, \"step\": 2, \"lr\": 0.1, \"val_loss\": ", 0), 0u) << jsonl[0];
  EXPECT_EQ(jsonl[5].rfind("{\"epoch\": 2, \"step\": 8, \"lr\": 0.1, \"train_loss\": ", 0), 0u) << jsonl[5];
}

TEST(TrainTrainer, ProgressBarLinesWhenNotATerminal) {
  Rig s(12);  // 3 steps per epoch
  std::ostringstream out;
  TrainerOptions o{.epochs = 2, .progress_counts_items = true};
  o.progress_options = {.out = &out, .tty = false, .print_every = 2, .unit = "img"};
  Trainer t(*s.model, *s.opt, *s.train, o);
  t.fit();
  const auto lines = testing::split_lines(out.str());
  ASSERT_EQ(lines.size(), 3u);  // steps 2, 4 and 6 (the last)
  EXPECT_EQ(lines[0].rfind("epoch 1/2 [", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("2/6 steps"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("img/s"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[2].rfind("epoch 2/2 [", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find("6/6 steps"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("loss "), std::string::npos) << lines[2];
}

TEST(TrainTrainer, BadOptions) {
  Rig s(8);
  auto make = [&](TrainerOptions o) { Trainer t(*s.model, *s.opt, *s.train, o); };
  EXPECT_SEEK_ERROR_ALL(make({.accumulation_steps = 0}), ValueError, {"Trainer", "accumulation_steps", ">= 1", "0"});
  EXPECT_SEEK_ERROR_ALL(make({.epochs = 0}), ValueError, {"epochs must be >= 1", "0"});
  EXPECT_SEEK_ERROR_ALL(make({.monitor = "val_acc"}), ValueError,
                        {"unknown monitor 'val_acc'", "val_loss", "val_accuracy"});
  EXPECT_SEEK_ERROR_ALL(make({.metrics = {"acc"}}), ValueError, {"options.metrics", "unknown metric 'acc'"});
  EXPECT_SEEK_ERROR(make({.metrics = {"loss"}}), ValueError, "always computed");
  EXPECT_SEEK_ERROR(make({.clip_grad_norm = 1, .clip_grad_value = 1}), ValueError, "not both");
  EXPECT_SEEK_ERROR(make({.clip_grad_norm = -1}), ValueError, "clip_grad_norm must be >= 0");
  EXPECT_SEEK_ERROR_ALL(make({.scheduler_interval = "batch"}), ValueError, {"scheduler_interval", "\"batch\""});
  EXPECT_SEEK_ERROR(make({.mode = "maximum"}), ValueError, "\"maximum\"");
  EXPECT_SEEK_ERROR(make({.early_stopping_patience = 3}), ValueError, "needs options.monitor");
  EXPECT_SEEK_ERROR(make({.checkpoint_every_epochs = 1}), ValueError, "need options.output_dir");
  EXPECT_SEEK_ERROR(make({.eval_every_steps = -1}), ValueError, "eval_every_steps must be >= 0");
  {
    Trainer t(*s.model, *s.opt, *s.train, {.monitor = "val_loss", .progress = false});
    EXPECT_SEEK_ERROR_ALL(t.fit(), ValueError, {"monitor 'val_loss'", "set_val_loader"});
  }
  {
    optim::ReduceLROnPlateau plateau(*s.opt);
    Trainer t(*s.model, *s.opt, *s.train, {.progress = false});
    t.set_plateau(&plateau);
    EXPECT_SEEK_ERROR(t.fit(), ValueError, "set_plateau() needs options.monitor");
  }
  {
    Trainer t(*s.model, *s.opt, *s.train, {.progress = false});
    t.set_loss_fn([](const Tensor& out, const Tensor&) { return out.sum(0); });
    EXPECT_SEEK_ERROR_ALL(t.fit(), ShapeError, {"loss function must return a single value", "[3]"});
    EXPECT_SEEK_ERROR(t.add_callback(nullptr), ValueError, "null callback");
    EXPECT_SEEK_ERROR(t.evaluate(), ValueError, "no validation loader");
  }
}

}  // namespace
}  // namespace seek::train
