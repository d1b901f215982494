#include <gtest/gtest.h>

#include <cmath>

#include "seek/train/metrics.h"
#include "support/test_util.h"

namespace seek::train {
namespace {

// Rows' argmax: 1, 0, 2, 2; rows' top-2: {1, 2}, {0, 1}, {2, 0}, {2, 1}.
Tensor logits() {
  return tensor<float>({0.1f, 2.0f, 0.5f,   //
                        3.0f, 1.0f, -1.0f,  //
                        0.4f, -2.0f, 5.0f,  //
                        0.0f, 0.3f, 0.9f},
                       Shape{4, 3});
}

TEST(TrainMetrics, AccuracyCountsArgmaxHits) {
  Accuracy acc;
  acc.update(logits(), tensor<int64_t>({1, 0, 1, 2}));  // hits rows 0, 1, 3
  EXPECT_DOUBLE_EQ(acc.compute(), 0.75);
  acc.update(logits().narrow(0, 0, 2), tensor<int64_t>({2, 2}));  // no hits
  EXPECT_DOUBLE_EQ(acc.compute(), 3.0 / 6.0);
  EXPECT_EQ(acc.name(), "accuracy");
  acc.reset();
  EXPECT_SEEK_ERROR(acc.compute(), ValueError, "before any update");
}

TEST(TrainMetrics, AccuracyTakesSoftTargetsByArgmax) {
  Accuracy acc;
  // MixUp-like targets whose argmax is 1, 1, 2, 0: rows 0 and 2 hit.
  Tensor soft = tensor<float>({0.3f, 0.7f, 0.0f, 0.4f, 0.6f, 0.0f, 0.0f, 0.1f, 0.9f, 0.8f, 0.0f, 0.2f}, Shape{4, 3});
  acc.update(logits(), soft);
  EXPECT_DOUBLE_EQ(acc.compute(), 0.5);
}

TEST(TrainMetrics, TopKAccuracy) {
  TopKAccuracy top2(2);
  EXPECT_EQ(top2.name(), "top2_accuracy");
  // targets 2 (in {1,2}), 2 (not in {0,1}), 0 (in {2,0}), 0 (not in {2,1}).
  top2.update(logits(), tensor<int64_t>({2, 2, 0, 0}));
  EXPECT_DOUBLE_EQ(top2.compute(), 0.5);
  TopKAccuracy top1(1);
  top1.update(logits(), tensor<int64_t>({1, 0, 1, 2}));
  EXPECT_DOUBLE_EQ(top1.compute(), 0.75);
  TopKAccuracy top3(3);
  top3.update(logits(), tensor<int64_t>({2, 2, 0, 0}));
  EXPECT_DOUBLE_EQ(top3.compute(), 1.0);
  EXPECT_SEEK_ERROR(TopKAccuracy(0), ValueError, "k must be >= 1");
  TopKAccuracy top4(4);
  EXPECT_SEEK_ERROR_ALL(top4.update(logits(), tensor<int64_t>({0, 0, 0, 0})), ValueError,
                        {"TopKAccuracy", "k = 4", "3"});
}

TEST(TrainMetrics, LossMetricWeighsByBatchSize) {
  LossMetric loss;
  Tensor out = logits();
  Tensor target = tensor<int64_t>({1, 0, 1, 2});
  // Hand-computed cross entropy of the four rows, in float64.
  const double rows[4][3] = {{0.1, 2.0, 0.5}, {3.0, 1.0, -1.0}, {0.4, -2.0, 5.0}, {0.0, 0.3, 0.9}};
  const int t[4] = {1, 0, 1, 2};
  double ce[4];
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (double v : rows[i]) s += std::exp(v);
    ce[i] = std::log(s) - rows[i][t[i]];
  }
  loss.update(out, target);
  EXPECT_NEAR(loss.compute(), (ce[0] + ce[1] + ce[2] + ce[3]) / 4, 1e-5);
  loss.update(out.narrow(0, 0, 1), target.narrow(0, 0, 1));  // one more example
  EXPECT_NEAR(loss.compute(), (2 * ce[0] + ce[1] + ce[2] + ce[3]) / 5, 1e-5);
  loss.reset();
  loss.add(2.0, 1);
  loss.add(5.0, 3);
  EXPECT_DOUBLE_EQ(loss.compute(), 17.0 / 4.0);
  EXPECT_SEEK_ERROR(loss.add(1.0, 0), ValueError, "count > 0");
}

TEST(TrainMetrics, StateRoundTrips) {
  Accuracy a;
  a.update(logits(), tensor<int64_t>({1, 0, 1, 2}));
  Accuracy b;
  b.load_state(a.state());
  EXPECT_DOUBLE_EQ(b.compute(), 0.75);
  EXPECT_SEEK_ERROR(b.load_state({1.0}), ValueError, "2 numbers");
}

TEST(TrainMetrics, MakeMetricByName) {
  EXPECT_EQ(make_metric("accuracy")->name(), "accuracy");
  EXPECT_EQ(make_metric("top5_accuracy")->name(), "top5_accuracy");
  EXPECT_EQ(make_metric("loss")->name(), "loss");
  EXPECT_SEEK_ERROR_ALL(make_metric("acc"), ValueError, {"unknown metric 'acc'", "top<k>_accuracy"});
  EXPECT_SEEK_ERROR(make_metric("top0_accuracy"), ValueError, "unknown metric 'top0_accuracy'");
  EXPECT_SEEK_ERROR(make_metric("topx_accuracy"), ValueError, "unknown metric");
}

TEST(TrainMetrics, BadShapes) {
  Accuracy acc;
  EXPECT_SEEK_ERROR_ALL(acc.update(logits().flatten(), tensor<int64_t>({1})), ShapeError, {"Accuracy", "[N, C]"});
  EXPECT_SEEK_ERROR_ALL(acc.update(logits(), tensor<int64_t>({1, 0})), ShapeError, {"Accuracy", "[4]", "[2]"});
  EXPECT_SEEK_ERROR_ALL(acc.update(logits(), tensor<float>({0.5f, 0.5f}, Shape{1, 2})), ShapeError,
                        {"soft targets", "[4, 3]"});
}

}  // namespace
}  // namespace seek::train
