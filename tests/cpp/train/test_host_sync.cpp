// Host synchronisation of the train layer: metrics updates and training steps between log points
// read nothing back from the device (counted by detail::host_reads()); log points, compute() and
// the user's own reads do, a bounded number of times.
#include <gtest/gtest.h>

#include <sstream>

#include "seek/seek.h"
#include "seek/train/host_read.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

using detail::host_reads;
using testing::toy_dataset;
using testing::toy_mlp;

Tensor logits_3x2() { return tensor<float>({2.f, 1.f, 0.f, 3.f, 5.f, 4.f}, Shape{3, 2}); }
Tensor targets_3() { return tensor<int64_t>({0, 1, 1}, Shape{3}); }

TEST(TrainHostSync, MetricUpdatesReadNothingComputeReadsOnce) {
  Accuracy acc;
  TopKAccuracy top1(1);
  LossMetric loss;
  const int64_t before = host_reads();
  for (int i = 0; i < 5; ++i) {
    acc.update(logits_3x2(), targets_3());
    top1.update(logits_3x2(), targets_3());
    loss.update(logits_3x2(), targets_3());
  }
  EXPECT_EQ(host_reads(), before);
  EXPECT_DOUBLE_EQ(acc.compute(), 2.0 / 3.0);  // rows 0 and 1 right, row 2 wrong
  EXPECT_EQ(host_reads(), before + 1);
  EXPECT_DOUBLE_EQ(acc.compute(), 2.0 / 3.0);  // unchanged since: no new read
  EXPECT_EQ(acc.state(), (std::vector<double>{10.0, 15.0}));
  EXPECT_EQ(host_reads(), before + 1);
  EXPECT_DOUBLE_EQ(top1.compute(), acc.compute());
  EXPECT_GT(loss.compute(), 0.0);
  EXPECT_EQ(host_reads(), before + 3);
  acc.update(logits_3x2(), targets_3());
  EXPECT_EQ(host_reads(), before + 3);
  EXPECT_DOUBLE_EQ(acc.compute(), 12.0 / 18.0);
  EXPECT_EQ(host_reads(), before + 4);
}

// The device sum is the same double as the host sum of the same terms, in the same order, also
// across a read in the middle and after load_state().
TEST(TrainHostSync, LossMetricDeviceSumEqualsTheHostSumBitForBit) {
  const std::vector<float> values = {0.1f, 2.3456789f, 1e-7f, 3.3333333f, 0.7f, 12345.678f, 0.3f};
  const std::vector<double> counts = {3, 7, 1, 5, 2, 9, 4};
  LossMetric on_host, on_device;
  for (size_t i = 0; i < values.size(); ++i) {
    on_host.add(static_cast<double>(values[i]), counts[i]);
    on_device.add(scalar_tensor(values[i], kFloat32), counts[i]);
    if (i == 3) EXPECT_EQ(on_device.compute(), on_host.compute());
  }
  EXPECT_EQ(on_device.compute(), on_host.compute());
  EXPECT_EQ(on_device.state(), on_host.state());
  LossMetric resumed;
  resumed.load_state(on_host.state());
  resumed.add(scalar_tensor(0.25f, kFloat32), 3);
  on_host.add(0.25, 3);
  EXPECT_EQ(resumed.compute(), on_host.compute());
  EXPECT_THROW(on_device.add(tensor<float>({1.f, 2.f}, Shape{2}), 1), ShapeError);
}

// Reads (host_reads() after each on_step_end, counted from on_epoch_begin) and, optionally,
// the step loss read by the callback.
class ReadCounter : public Callback {
 public:
  std::vector<int64_t> reads_after_step;  // index: step - 1
  int64_t at_epoch_begin = -1, at_epoch_end = -1;
  bool read_loss = false;
  std::vector<double> losses_read;
  void on_epoch_begin(Trainer&, int64_t) override { at_epoch_begin = host_reads(); }
  void on_step_end(Trainer&, int64_t, const StepLoss& loss) override {
    if (read_loss) losses_read.push_back(loss.item());
    reads_after_step.push_back(host_reads());
  }
  void on_epoch_end(Trainer&, int64_t, const MetricValues&) override { at_epoch_end = host_reads(); }
  // The reads made by each step (and its log point, if any).
  std::vector<int64_t> per_step() const {
    std::vector<int64_t> d;
    int64_t last = at_epoch_begin;
    for (int64_t r : reads_after_step) {
      d.push_back(r - last);
      last = r;
    }
    return d;
  }
};

struct SyncRig {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::SGD> opt;
  std::unique_ptr<data::DataLoader> loader;
  std::shared_ptr<ReadCounter> counter = std::make_shared<ReadCounter>();
  explicit SyncRig(int64_t examples = 32) {
    manual_seed(5);
    model = toy_mlp();
    opt = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(0.1));
    loader = std::make_unique<data::DataLoader>(toy_dataset(examples), data::DataLoaderOptions{.batch_size = 2});
  }
  std::unique_ptr<Trainer> trainer(TrainerOptions o) {
    o.metrics = {"accuracy", "top2_accuracy"};
    auto t = std::make_unique<Trainer>(*model, *opt, *loader, o);
    t->add_callback(counter);
    return t;
  }
};

TEST(TrainHostSync, StepsWithoutLogPointsReadNothing) {
  SyncRig rig;  // 16 batches, accumulation 2: 8 steps
  auto t = rig.trainer({.epochs = 1, .accumulation_steps = 2, .progress = false});
  t->fit();
  EXPECT_EQ(rig.counter->per_step(), std::vector<int64_t>(8, 0));
  // The epoch end reads the three metrics and the step losses (once for all).
  EXPECT_EQ(rig.counter->at_epoch_end - rig.counter->reads_after_step.back(), 4);
  const int64_t after_fit = host_reads();
  EXPECT_EQ(t->step_losses().size(), 8u);
  EXPECT_EQ(host_reads(), after_fit);  // already read at the epoch's end
}

TEST(TrainHostSync, LogEveryStepsReadsOnlyAtItsSteps) {
  SyncRig rig;
  auto t = rig.trainer({.epochs = 1, .progress = false, .log_every_steps = 5});
  t->fit();
  std::vector<int64_t> expected(16, 0);
  // The running loss, the step's loss for the line and the step losses so far.
  expected[4] = expected[9] = expected[14] = 3;
  EXPECT_EQ(rig.counter->per_step(), expected);
}

TEST(TrainHostSync, ProgressBarReadsOnlyWhereItPrints) {
  SyncRig rig;
  std::ostringstream out;
  TrainerOptions o{.epochs = 1};
  o.progress_options.out = &out;
  o.progress_options.tty = false;
  o.progress_options.print_every = 6;
  auto t = rig.trainer(o);
  t->fit();
  std::vector<int64_t> expected(16, 0);
  expected[5] = expected[11] = expected[15] = 2;  // the running loss and the step losses; 16: the last step
  EXPECT_EQ(rig.counter->per_step(), expected);
  const auto lines = testing::split_lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find(" 6/16 steps"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("loss "), std::string::npos) << lines[0];
}

TEST(TrainHostSync, ACallbackThatReadsTheLossReadsItOncePerStep) {
  SyncRig rig;
  rig.counter->read_loss = true;
  auto t = rig.trainer({.epochs = 1, .accumulation_steps = 4, .progress = false});
  t->fit();
  EXPECT_EQ(rig.counter->per_step(), std::vector<int64_t>(4, 1));
  EXPECT_EQ(rig.counter->losses_read, t->step_losses());  // the same numbers, bit for bit
}

// More steps than the Trainer keeps unread one by one (it stacks them in chunks on the device).
TEST(TrainHostSync, ManyStepsWithoutLogPointsKeepTheirLossesInOrder) {
  SyncRig rig(1300);  // 650 steps
  rig.counter->read_loss = true;
  auto t = rig.trainer({.epochs = 1, .progress = false});
  t->fit();
  EXPECT_EQ(rig.counter->per_step(), std::vector<int64_t>(650, 1));  // the callback's own reads only
  EXPECT_EQ(rig.counter->at_epoch_end - rig.counter->reads_after_step.back(), 4);
  EXPECT_EQ(rig.counter->losses_read, t->step_losses());
}

TEST(TrainHostSync, ProgressBarAdvanceShowsTheLastLoss) {
  std::ostringstream out;
  ProgressOptions o;
  o.out = &out;
  o.tty = false;
  o.print_every = 2;
  ProgressBar bar(4, o);
  EXPECT_FALSE(bar.prints_at(1));
  EXPECT_TRUE(bar.prints_at(2));
  EXPECT_TRUE(bar.prints_at(4));
  bar.start();
  bar.advance(1);
  bar.advance(2);  // no loss given yet: none shown
  bar.update(3, 0.25);
  bar.advance(4);
  const auto lines = testing::split_lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find("loss"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("loss 0.2500"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace seek::train
