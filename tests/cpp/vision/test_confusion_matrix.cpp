// DetectionConfusionMatrix on hand-made images whose matrices are worked out by hand (3 classes, so the
// matrix is 4 x 4 with the background last): a perfect match, a wrong class, a miss, a false positive, two
// detections on one box, the confidence threshold, IoU just under and over the threshold, greedy matching;
// precision / recall, the table and CSV; the picture (size, column normalisation, PNG round trip); errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "seek/core/error.h"
#include "seek/data/image_folder.h"
#include "seek/ops/creation.h"
#include "seek/vision/confusion_matrix.h"

namespace seek::vision {
namespace {

namespace fs = std::filesystem;

using Rows = std::vector<std::vector<int64_t>>;

Tensor dets(const std::vector<std::vector<double>>& rows) {
  std::vector<float> v;
  for (const auto& r : rows) v.insert(v.end(), r.begin(), r.end());
  return tensor<float>(v, Shape{static_cast<int64_t>(rows.size()), 6});
}
Tensor boxes(const std::vector<std::vector<double>>& rows) {
  std::vector<float> v;
  for (const auto& r : rows) v.insert(v.end(), r.begin(), r.end());
  return tensor<float>(v, Shape{static_cast<int64_t>(rows.size()), 4});
}
Tensor labels(const std::vector<int64_t>& l) { return tensor<int64_t>(l, Shape{static_cast<int64_t>(l.size())}); }

Rows rows_of(const DetectionConfusionMatrix& cm) {
  const int64_t n = cm.num_classes() + 1;
  const std::vector<int64_t> v = to_vector<int64_t>(cm.matrix());
  Rows out(static_cast<size_t>(n));
  for (int64_t p = 0; p < n; ++p) out[static_cast<size_t>(p)].assign(v.begin() + p * n, v.begin() + (p + 1) * n);
  return out;
}

// A 4 x 4 matrix of zeros with the given cells (predicted, true) set.
Rows expect_cells(std::initializer_list<std::array<int64_t, 3>> cells) {
  Rows m(4, std::vector<int64_t>(4, 0));
  for (const auto& c : cells) m[static_cast<size_t>(c[0])][static_cast<size_t>(c[1])] = c[2];
  return m;
}

const std::vector<double> kBox{0, 0, 10, 10};
constexpr int64_t kBg = 3;

TEST(DetectionConfusionMatrix, PerfectMatch) {
  DetectionConfusionMatrix cm(3);
  EXPECT_EQ(cm.matrix().sizes(), (Shape{4, 4}));
  EXPECT_EQ(cm.matrix().dtype(), kInt64);
  cm.update(dets({{0, 0, 10, 10, 0.9, 1}}), boxes({kBox}), labels({1}));
  EXPECT_EQ(rows_of(cm), expect_cells({{1, 1, 1}}));
}

TEST(DetectionConfusionMatrix, WrongClassCountsUnderThePredictedRow) {
  DetectionConfusionMatrix cm(3);
  cm.update(dets({{0, 0, 10, 10, 0.9, 2}}), boxes({kBox}), labels({0}));
  EXPECT_EQ(rows_of(cm), expect_cells({{2, 0, 1}}));
}

TEST(DetectionConfusionMatrix, MissAndFalsePositive) {
  DetectionConfusionMatrix cm(3);
  cm.update(Tensor(), boxes({kBox}), labels({1}));  // nothing detected: a miss
  EXPECT_EQ(rows_of(cm), expect_cells({{kBg, 1, 1}}));
  cm.reset();
  cm.update(dets({{50, 50, 60, 60, 0.8, 2}}), Tensor(), Tensor());  // nothing there: a false positive
  EXPECT_EQ(rows_of(cm), expect_cells({{2, kBg, 1}}));
  cm.reset();
  // Both in one image: the detection does not overlap the box.
  cm.update(dets({{50, 50, 60, 60, 0.8, 0}}), boxes({kBox}), labels({1}));
  EXPECT_EQ(rows_of(cm), expect_cells({{kBg, 1, 1}, {0, kBg, 1}}));
}

TEST(DetectionConfusionMatrix, TwoDetectionsOnOneBoxTheBetterIoUMatches) {
  DetectionConfusionMatrix cm(3);
  // IoU 1 (class 0, lower confidence) and IoU 0.9 (class 1): the box goes to the higher IoU, the other
  // detection is a false positive of its class.
  cm.update(dets({{0, 0, 10, 9, 0.9, 1}, {0, 0, 10, 10, 0.5, 0}}), boxes({kBox}), labels({0}));
  EXPECT_EQ(rows_of(cm), expect_cells({{0, 0, 1}, {1, kBg, 1}}));
}

TEST(DetectionConfusionMatrix, ConfidenceThresholdIsInclusive) {
  DetectionConfusionMatrix cm(3);                                         // conf 0.25
  cm.update(dets({{0, 0, 10, 10, 0.2, 0}}), boxes({kBox}), labels({0}));  // ignored: a miss, no false positive
  EXPECT_EQ(rows_of(cm), expect_cells({{kBg, 0, 1}}));
  cm.reset();
  cm.update(dets({{0, 0, 10, 10, 0.25, 0}}), boxes({kBox}), labels({0}));  // exactly at the threshold: counts
  EXPECT_EQ(rows_of(cm), expect_cells({{0, 0, 1}}));
  DetectionConfusionMatrix strict(3, 0.5);
  strict.update(dets({{0, 0, 10, 10, 0.4, 0}}), Tensor(), Tensor());
  EXPECT_EQ(rows_of(strict), expect_cells({}));
}

TEST(DetectionConfusionMatrix, IoUMustBeAboveTheThreshold) {
  // Box 20 x 10 (area 200). A 9 x 10 detection inside it: IoU 90 / 200 = 0.45, not > 0.45 -> a miss and a
  // false positive. A 9.5 x 10 one: IoU 0.475 -> a match.
  DetectionConfusionMatrix cm(3);
  cm.update(dets({{0, 0, 9, 10, 0.9, 0}}), boxes({{0, 0, 20, 10}}), labels({0}));
  EXPECT_EQ(rows_of(cm), expect_cells({{kBg, 0, 1}, {0, kBg, 1}}));
  cm.reset();
  cm.update(dets({{0, 0, 9.5, 10, 0.9, 0}}), boxes({{0, 0, 20, 10}}), labels({0}));
  EXPECT_EQ(rows_of(cm), expect_cells({{0, 0, 1}}));
  DetectionConfusionMatrix loose(3, 0.25, 0.4);
  loose.update(dets({{0, 0, 9, 10, 0.9, 0}}), boxes({{0, 0, 20, 10}}), labels({0}));
  EXPECT_EQ(rows_of(loose), expect_cells({{0, 0, 1}}));
}

TEST(DetectionConfusionMatrix, GreedyMatchingByIoU) {
  // Boxes A = [0, 10] (class 0) and B = [4, 14] (class 1) in x, both 10 high. d2 = [4, 13] has IoU 0.9 with
  // B; d1 = [3, 12] has IoU 8/11 = 0.727 with B and 7/12 = 0.583 with A. Greedy: (B, d2), then d1 takes A.
  // (YOLOv5 keeps each detection's best box first, so d1 would lose B to d2 and A would stay unmatched.)
  DetectionConfusionMatrix cm(3);
  cm.update(dets({{3, 0, 12, 10, 0.6, 0}, {4, 0, 13, 10, 0.7, 1}}), boxes({{0, 0, 10, 10}, {4, 0, 14, 10}}),
            labels({0, 1}));
  EXPECT_EQ(rows_of(cm), expect_cells({{0, 0, 1}, {1, 1, 1}}));
}

TEST(DetectionConfusionMatrix, MatchingIgnoresClassesAndAccumulates) {
  DetectionConfusionMatrix cm(3);
  // Image 1: two boxes, swapped classes on the detections; a third, unmatched detection.
  cm.update(dets({{20, 0, 30, 10, 0.9, 0}, {0, 0, 10, 10, 0.8, 2}, {40, 40, 50, 50, 0.7, 2}}),
            boxes({{0, 0, 10, 10}, {20, 0, 30, 10}}), labels({0, 2}));
  // Image 2: a correct class 2, a missed class 1 (its detection is below the confidence threshold).
  cm.update(dets({{0, 0, 10, 10, 0.9, 2}, {20, 0, 30, 10, 0.1, 1}}), boxes({{0, 0, 10, 10}, {20, 0, 30, 10}}),
            labels({2, 1}));
  EXPECT_EQ(rows_of(cm), expect_cells({{0, 2, 1}, {2, 0, 1}, {2, kBg, 1}, {2, 2, 1}, {kBg, 1, 1}}));
  EXPECT_EQ(cm.count(2, kBg), 1);
  EXPECT_EQ(cm.true_positives(), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(cm.false_positives(), (std::vector<int64_t>{1, 0, 2}));  // row 2: (2, 0) and (2, bg)
  EXPECT_EQ(cm.false_negatives(), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(cm.precision(), (std::vector<double>{0.0, -1.0, 1.0 / 3.0}));  // class 1 never predicted
  EXPECT_EQ(cm.recall(), (std::vector<double>{0.0, 0.0, 0.5}));
}

TEST(DetectionConfusionMatrix, TableAndCsv) {
  DetectionConfusionMatrix cm(2);
  cm.update(dets({{0, 0, 10, 10, 0.9, 0}, {20, 0, 30, 10, 0.9, 0}, {40, 0, 50, 10, 0.9, 1}}),
            boxes({{0, 0, 10, 10}, {20, 0, 30, 10}, {60, 0, 70, 10}}), labels({0, 1, 1}));
  // M = [[1, 1, 0], [0, 0, 1], [0, 1, 0]]
  EXPECT_EQ(cm.csv({"cat", "dog, big"}),
            "predicted \\ true,cat,\"dog, big\",background\n"
            "cat,1,1,0\n"
            "\"dog, big\",0,0,1\n"
            "background,0,1,0\n");
  EXPECT_EQ(cm.csv(), "predicted \\ true,0,1,background\n0,1,1,0\n1,0,0,1\nbackground,0,1,0\n");
  const std::string t = cm.table({"cat", "dog"});
  EXPECT_NE(t.find("                    0     1    bg  precision\n"), std::string::npos) << t;
  EXPECT_NE(t.find("confidence >= 0.25, IoU > 0.45"), std::string::npos) << t;
  EXPECT_NE(t.find("  0 cat             1     1     0      0.500\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  1 dog             0     0     1      0.000\n"), std::string::npos) << t;
  EXPECT_NE(t.find(" bg background      0     1     -\n"), std::string::npos) << t;
  EXPECT_NE(t.find("    recall      1.000 0.000\n"), std::string::npos) << t;

  const fs::path p = fs::temp_directory_path() / ("seek_cm_" + std::to_string(::getpid()) + ".csv");
  cm.write_csv(p.string());
  EXPECT_TRUE(fs::exists(p));
  EXPECT_EQ(fs::file_size(p), cm.csv().size());
  fs::remove(p);
}

// Pixels of exactly colour c.
int64_t count_color(const Tensor& img, std::array<uint8_t, 3> c) {
  const Tensor t = img.contiguous();
  const uint8_t* p = t.data_ptr<uint8_t>();
  const int64_t hw = t.size(1) * t.size(2);
  int64_t n = 0;
  for (int64_t i = 0; i < hw; ++i) n += p[i] == c[0] && p[hw + i] == c[1] && p[2 * hw + i] == c[2];
  return n;
}

TEST(DetectionConfusionMatrix, PlotNormalisesPerTrueClass) {
  const std::array<uint8_t, 3> darkest{8, 48, 107};  // the colour of 1.0
  DetectionConfusionMatrix cm(1);
  // M = [[2, 1], [0, 0]]: two matches and a false positive. Per true-class column both non-empty cells are
  // 1.0 (two darkest cells); per row (2/3, 1/3) or by the largest count (1, 0.5) there would be fewer.
  cm.update(dets({{0, 0, 10, 10, 0.9, 0}, {20, 0, 30, 10, 0.9, 0}, {40, 0, 50, 10, 0.9, 0}}),
            boxes({{0, 0, 10, 10}, {20, 0, 30, 10}}), labels({0, 0}));
  ConfusionPlotOptions o;
  const int64_t cell = o.cell_width * o.cell_height;
  const Tensor img = cm.plot({"shirt"}, o);
  EXPECT_EQ(img.dtype(), kUInt8);
  ASSERT_EQ(img.dim(), 3);
  EXPECT_EQ(img.size(0), 3);
  // Two cells minus their "1.00" text, plus the colour bar's top row (12 px).
  const int64_t dark = count_color(img, darkest);
  EXPECT_GT(dark, 2 * cell * 3 / 4);
  EXPECT_LE(dark, 2 * cell + 12);
  o.normalize = false;  // by the largest count: one darkest cell
  const int64_t dark_counts = count_color(cm.plot({"shirt"}, o), darkest);
  EXPECT_GT(dark_counts, cell * 3 / 4);
  EXPECT_LE(dark_counts, cell + 12);
  // An empty matrix has no dark cell at all.
  EXPECT_LE(count_color(DetectionConfusionMatrix(1).plot(), darkest), 12);
}

TEST(DetectionConfusionMatrix, PlotSizeFollowsTheCells) {
  DetectionConfusionMatrix cm(10);
  ConfusionPlotOptions a, b;
  b.cell_width = a.cell_width + 10;
  b.cell_height = a.cell_height + 4;
  const Tensor pa = cm.plot({}, a), pb = cm.plot({}, b);
  EXPECT_EQ(pb.size(2) - pa.size(2), 11 * 10);  // 11 columns, the background included
  EXPECT_EQ(pb.size(1) - pa.size(1), 11 * 4);
}

TEST(DetectionConfusionMatrix, SavePlotWritesAPngThatDecodesToThePicture) {
  DetectionConfusionMatrix cm(3);
  cm.update(dets({{0, 0, 10, 10, 0.9, 1}, {20, 0, 30, 10, 0.9, 2}}), boxes({kBox, {20, 0, 30, 10}}), labels({1, 0}));
  const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover"};
  const Tensor img = cm.plot(names);
  const fs::path p = fs::temp_directory_path() / ("seek_cm_" + std::to_string(::getpid()) + ".png");
  cm.save_plot(p.string(), names);
  const Tensor back = data::read_image(p.string(), 3);
  fs::remove(p);
  ASSERT_EQ(back.sizes(), img.sizes());
  EXPECT_EQ(to_vector<uint8_t>((back * 255.0).round().to(kUInt8)), to_vector<uint8_t>(img));
  // The picture is wide enough for 4 cells and the longest name.
  EXPECT_GT(img.size(2), 4 * ConfusionPlotOptions().cell_width + 60);
}

TEST(DetectionConfusionMatrix, BadInputNamesTheProblemAndCountsNothing) {
  DetectionConfusionMatrix cm(3);
  cm.update(dets({{0, 0, 10, 10, 0.9, 1}}), boxes({kBox}), labels({1}));
  const Rows before = rows_of(cm);
  auto expect_error = [&](auto&& fn, const std::string& part, bool shape) {
    try {
      fn();
      ADD_FAILURE() << "no error, expected one mentioning '" << part << "'";
    } catch (const ShapeError& e) {
      EXPECT_TRUE(shape) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    } catch (const ValueError& e) {
      EXPECT_FALSE(shape) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error([&] { cm.update(zeros({2, 5}), boxes({kBox}), labels({0})); }, "detections must be [n, 6]", true);
  expect_error([&] { cm.update(dets({}), zeros({1, 3}), labels({0})); }, "gt_boxes must be [m, 4]", true);
  expect_error([&] { cm.update(dets({}), boxes({kBox}), labels({0, 1})); }, "gt_labels must be [m] with m = 1", true);
  expect_error([&] { cm.update(dets({}), boxes({kBox}), Tensor()); }, "gt_labels must be [m]", true);
  expect_error(
      [&] {
        cm.update(dets({{0, 0, 10, 10, 0.9, 1}, {0, 0, 10, 10, 0.9, 3}}), boxes({kBox}), labels({0}));
      },
      "detection 1 has class 3, not a class index in [0, 3)", false);
  expect_error(
      [&] {
        cm.update(dets({{0, 0, 10, 10, 0.9, 0.5}}), boxes({kBox}), labels({0}));
      },
      "detection 0 has class 0.5", false);
  expect_error(
      [&] {
        cm.update(dets({{0, 0, 10, 10, 0.9, 0}}), boxes({kBox}), labels({5}));
      },
      "gt_labels[0] = 5 is not a class index in [0, 3)", false);
  expect_error(
      [&] {
        cm.update(dets({{0, 0, 10, 10, 0.9, 0}}), boxes({kBox}), labels({-1}));
      },
      "gt_labels[0] = -1", false);
  expect_error(
      [&] {
        cm.update(dets({}), boxes({{10, 0, 0, 10}}), labels({0}));
      },
      "ground-truth box 0 is not x1 y1 x2 y2", false);
  expect_error(
      [&] {
        cm.update(dets({{0, 0, 10, NAN, 0.9, 0}}), Tensor(), Tensor());
      },
      "detection 0 has a non-finite coordinate", false);
  expect_error(
      [&] {
        cm.update(dets({{0, 0, 10, 10, NAN, 0}}), Tensor(), Tensor());
      },
      "detection 0 has a non-finite confidence", false);
  EXPECT_EQ(rows_of(cm), before);  // nothing counted from the images that raised

  expect_error([&] { (void)cm.table({"a", "b"}); }, "2 class names for 3 classes", false);
  expect_error([&] { (void)cm.plot({"a"}); }, "1 class names for 3 classes", false);
  ConfusionPlotOptions tiny;
  tiny.cell_width = 10;
  expect_error([&] { (void)cm.plot({}, tiny); }, "cells must be at least 30 x 14", false);
  expect_error([] { DetectionConfusionMatrix(0); }, "num_classes must be >= 1", false);
  expect_error([] { DetectionConfusionMatrix(3, 1.5); }, "conf_threshold must be in [0, 1]", false);
  expect_error([] { DetectionConfusionMatrix(3, 0.25, -0.1); }, "iou_threshold must be in [0, 1]", false);
  EXPECT_THROW((void)cm.count(4, 0), IndexError);
}

}  // namespace
}  // namespace seek::vision
