// Detection statistics and anchors: counts and histograms of a hand-made set, k-means with
// the corner-aligned IoU (recovers separated groups, converges to a fixed point of the IoU
// assignment, is seeded), best possible recall and mean best IoU by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/data/detection_stats.h"
#include "seek/seek.h"

using namespace seek;
using namespace seek::data;

namespace {

DetectionRecord record(int64_t w, int64_t h, std::vector<float> boxes, std::vector<int64_t> labels) {
  DetectionRecord r;
  r.width = w;
  r.height = h;
  r.boxes = tensor<float>(boxes, {static_cast<int64_t>(labels.size()), 4});
  r.labels = tensor<int64_t>(labels, {static_cast<int64_t>(labels.size())});
  return r;
}

double corner_iou(double w1, double h1, double w2, double h2) {
  const double inter = std::min(w1, w2) * std::min(h1, h2);
  return inter / (w1 * h1 + w2 * h2 - inter);
}

// n box shapes with log-normal sides (a fixed LCG, so the test needs no seek RNG).
Tensor random_wh(int n) {
  std::vector<float> v;
  uint64_t x = 12345;
  auto u = [&] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(x >> 11) * 0x1.0p-53;
  };
  for (int i = 0; i < 2 * n; ++i) v.push_back(static_cast<float>(4 + 60 * u() * u()));
  return tensor<float>(v, {n, 2});
}

}  // namespace

TEST(DetectionStats, CountsAndHistograms) {
  DetectionSet set;
  set.class_names = {"a", "b", "c"};
  set.records.push_back(record(100, 100, {}, {}));
  set.records.push_back(record(100, 100, {0, 0, 10, 20, 50, 50, 100, 90}, {2, 0}));  // 10x20, 50x40
  set.records.push_back(record(200, 200, {0, 0, 100, 100}, {2}));                    // 100x100
  const DetectionStats s = detection_stats(set, 4);
  EXPECT_EQ(s.images, 3);
  EXPECT_EQ(s.boxes, 3);
  EXPECT_EQ(s.empty_images, 1);
  EXPECT_EQ(s.boxes_per_image, (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(s.per_class, (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(s.coco_small, 1);   // 200
  EXPECT_EQ(s.coco_medium, 1);  // 2000
  EXPECT_EQ(s.coco_large, 1);   // 10000
  EXPECT_DOUBLE_EQ(s.mean_width, (10 + 50 + 100) / 3.0);
  EXPECT_DOUBLE_EQ(s.mean_height, (20 + 40 + 100) / 3.0);
  // Widths 10, 50, 100 in 4 bins over [0, 100]: [0, 25) [25, 50) [50, 75) [75, 100].
  EXPECT_EQ(s.width.edges, (std::vector<double>{0, 25, 50, 75, 100}));
  EXPECT_EQ(s.width.counts, (std::vector<int64_t>{1, 0, 1, 1}));
  EXPECT_EQ(s.height.counts, (std::vector<int64_t>{1, 1, 0, 1}));
  // Areas 200, 2000, 10000: sqrt 14.1, 44.7, 100 in sqrt bins over [0, 100].
  EXPECT_EQ(s.area.edges, (std::vector<double>{0, 625, 2500, 5625, 10000}));
  EXPECT_EQ(s.area.counts, (std::vector<int64_t>{1, 1, 0, 1}));
  EXPECT_EQ(to_vector<float>(s.wh), (std::vector<float>{10, 20, 50, 40, 100, 100}));
  const std::string text = s.summary();
  EXPECT_NE(text.find("images 3 (without boxes 1), boxes 3, 1.00 per image"), std::string::npos) << text;
  EXPECT_NE(text.find("c "), std::string::npos) << text;
  EXPECT_NE(text.find("box area (px^2)"), std::string::npos) << text;
  EXPECT_THROW(detection_stats(set, 0), ValueError);
  set.records[1].labels = tensor<int64_t>({2, 5});
  EXPECT_THROW(detection_stats(set), LabelError);
}

TEST(KmeansAnchors, RecoversSeparatedGroupsSortedByArea) {
  std::vector<float> v;
  const float centres[3][2] = {{60, 30}, {8, 8}, {20, 40}};
  for (int g = 0; g < 3; ++g)
    for (int i = 0; i < 20; ++i) {
      const float d = static_cast<float>(i % 5 - 2) * 0.02f;  // +-4% around the centre, mean 0
      v.push_back(centres[g][0] * (1 + d));
      v.push_back(centres[g][1] * (1 - d));
    }
  const Tensor a = kmeans_anchors(tensor<float>(v, {60, 2}), 3, 7);
  ASSERT_EQ(a.sizes(), (Shape{3, 2}));
  const auto got = to_vector<float>(a);
  const std::vector<float> want{8, 8, 20, 40, 60, 30};
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << i;
}

TEST(KmeansAnchors, ConvergesToAFixedPointOfTheIouAssignment) {
  const Tensor wh = random_wh(400);
  const auto w = to_vector<float>(wh);
  const Tensor anchors = kmeans_anchors(wh, 9, 3);
  const auto a = to_vector<float>(anchors);
  // Each anchor is the mean of the boxes whose highest-IoU anchor it is.
  std::vector<double> sw(9, 0), sh(9, 0), n(9, 0);
  for (size_t i = 0; i < w.size(); i += 2) {
    size_t arg = 0;
    for (size_t c = 1; c < 9; ++c)
      if (corner_iou(w[i], w[i + 1], a[2 * c], a[2 * c + 1]) > corner_iou(w[i], w[i + 1], a[2 * arg], a[2 * arg + 1]))
        arg = c;
    sw[arg] += w[i];
    sh[arg] += w[i + 1];
    n[arg] += 1;
  }
  for (size_t c = 0; c < 9; ++c) {
    ASSERT_GT(n[c], 0) << c;
    EXPECT_NEAR(a[2 * c], sw[c] / n[c], 1e-3) << c;
    EXPECT_NEAR(a[2 * c + 1], sh[c] / n[c], 1e-3) << c;
    if (c > 0) EXPECT_LE(a[2 * c - 2] * a[2 * c - 1], a[2 * c] * a[2 * c + 1]);  // sorted by area
  }
  // Seeded: the same seed gives the same anchors; they fit better than the first 9 boxes.
  EXPECT_EQ(to_vector<float>(kmeans_anchors(wh, 9, 3)), a);
  EXPECT_GT(mean_best_iou(wh, anchors), mean_best_iou(wh, wh.slice(0, 0, 9)));
  // k = 1: the mean shape.
  const auto one = to_vector<float>(kmeans_anchors(tensor<float>({2, 4, 6, 8}, {2, 2}), 1, 0));
  EXPECT_EQ(one, (std::vector<float>{4, 6}));
}

TEST(KmeansAnchors, Errors) {
  const Tensor wh = tensor<float>({2, 4, 6, 8}, {2, 2});
  EXPECT_THROW(kmeans_anchors(wh, 3, 0), ValueError);
  EXPECT_THROW(kmeans_anchors(wh, 0, 0), ValueError);
  EXPECT_THROW(kmeans_anchors(tensor<float>({2, 0, 6, 8}, {2, 2}), 1, 0), ValueError);
  EXPECT_THROW(kmeans_anchors(tensor<float>({2, 4, 6}, {3}), 1, 0), ValueError);
}

TEST(AnchorMetrics, BestPossibleRecallAndMeanBestIouByHand) {
  const Tensor anchors = tensor<float>({10, 10}, {1, 2});
  // Side ratios 1, 3.9, 4.1 and 1 / 0.24: two of four under 4.
  const Tensor wh = tensor<float>({10, 10, 39, 10, 41, 10, 10, 2.4f}, {4, 2});
  EXPECT_DOUBLE_EQ(best_possible_recall(wh, anchors, 4.0), 0.5);
  EXPECT_DOUBLE_EQ(best_possible_recall(wh, anchors, 5.0), 1.0);
  EXPECT_DOUBLE_EQ(best_possible_recall(wh, tensor<float>({10, 10, 40, 10}, {2, 2}), 4.0), 0.75);
  EXPECT_DOUBLE_EQ(mean_best_iou(tensor<float>({10, 10, 20, 10}, {2, 2}), anchors), 0.75);
  EXPECT_THROW(best_possible_recall(wh, anchors, 1.0), ValueError);
  const std::string text = anchor_summary(random_wh(100), 3, 3, 0);
  EXPECT_NE(text.find("P3/8"), std::string::npos) << text;
  EXPECT_NE(text.find("P5/32"), std::string::npos) << text;
  EXPECT_NE(text.find("best possible recall"), std::string::npos) << text;
}
