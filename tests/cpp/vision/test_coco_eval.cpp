// COCO mAP: parity with pycocotools' COCOeval on tests/data/coco (made by make_coco_reference.py: crowd
// regions, all area ranges, >100 detections on one image, images without ground truth or detections, score
// ties, categories without detections or ground truth), hand-made cases with known answers, json files,
// precision-recall curves and bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "seek/core/error.h"
#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/ops/creation.h"
#include "seek/vision/coco_eval.h"

using namespace seek;
using namespace seek::vision;
namespace fs = std::filesystem;
namespace json = seek::io::json;

namespace {

const fs::path kData = fs::path(SEEK_SOURCE_DIR) / "tests" / "data" / "coco";

std::vector<double> doubles(const json::Value& v) {
  std::vector<double> out;
  for (const json::Value& e : v.as_array()) out.push_back(e.as_double());
  return out;
}

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("seek_coco_eval_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

// One category (1), images 1..n; boxes x, y, w, h.
CocoGroundTruth gt_box(int64_t image, double x, double y, double w, double h, bool crowd = false) {
  return CocoGroundTruth{image, 1, {x, y, w, h}, -1, crowd};
}
CocoDetection det_box(int64_t image, double x, double y, double w, double h, double score, int64_t cat = 1) {
  return CocoDetection{image, cat, {x, y, w, h}, score};
}

CocoMetrics run(std::vector<CocoGroundTruth> gt, const std::vector<CocoDetection>& dets, int64_t images = 1,
                std::vector<int64_t> cats = {1}) {
  std::vector<int64_t> ids;
  for (int64_t i = 1; i <= images; ++i) ids.push_back(i);
  CocoEvaluator ev(std::move(gt), ids, std::move(cats));
  ev.add(dets);
  return ev.evaluate();
}

}  // namespace

TEST(CocoEval, MatchesPycocotools) {
  const json::Value expected = json::parse(io::read_file(kData / "expected.json", "test"));
  CocoEvaluator ev = CocoEvaluator::from_json((kData / "gt.json").string());
  const std::vector<CocoDetection> dets = read_coco_detections((kData / "dets.json").string());
  ASSERT_EQ(static_cast<int64_t>(dets.size()), expected.find("num_dets")->as_int64());
  ASSERT_EQ(static_cast<int64_t>(ev.num_ground_truth()), expected.find("num_gt")->as_int64());
  ev.add(dets);
  const CocoMetrics m = ev.evaluate();

  // The thresholds are numpy.linspace's values bit for bit.
  EXPECT_EQ(m.iou_thresholds, doubles(*expected.find("iou_thresholds")));
  EXPECT_EQ(m.recall_thresholds, doubles(*expected.find("recall_thresholds")));
  std::vector<int64_t> cats;
  for (const json::Value& c : expected.find("category_ids")->as_array()) cats.push_back(c.as_int64());
  EXPECT_EQ(m.category_ids, cats);

  double worst = 0;
  auto near = [&](double got, double want, const std::string& what) {
    worst = std::max(worst, std::fabs(got - want));
    EXPECT_NEAR(got, want, 1e-12) << what;
  };
  const std::vector<double> stats = doubles(*expected.find("stats"));
  ASSERT_EQ(stats.size(), 12u);
  for (size_t i = 0; i < 12; ++i) near(m.stats[i], stats[i], "stats[" + std::to_string(i) + "]");
  EXPECT_EQ(m.map50_95, m.stats[0]);
  EXPECT_EQ(m.map50, m.stats[1]);
  EXPECT_EQ(m.map75, m.stats[2]);
  const std::vector<double> ap = doubles(*expected.find("per_class_ap50_95"));
  const std::vector<double> ap50 = doubles(*expected.find("per_class_ap50"));
  ASSERT_EQ(m.per_class_ap50_95.size(), ap.size());
  ASSERT_EQ(m.per_class_ap50.size(), ap50.size());
  for (size_t k = 0; k < ap.size(); ++k) {
    near(m.per_class_ap50_95[k], ap[k], "per_class_ap50_95[" + std::to_string(k) + "]");
    near(m.per_class_ap50[k], ap50[k], "per_class_ap50[" + std::to_string(k) + "]");
  }
  EXPECT_EQ(m.per_class_ap50_95.back(), -1.0);  // a category without ground truth
  const std::vector<double> recall = doubles(*expected.find("recall"));
  ASSERT_EQ(m.recall.size(), recall.size());
  for (size_t i = 0; i < recall.size(); ++i) near(m.recall[i], recall[i], "recall[" + std::to_string(i) + "]");
  const int64_t K = static_cast<int64_t>(cats.size());
  for (auto [key, t] : {std::pair{"precision_iou50", 0}, std::pair{"precision_iou75", 5}}) {
    const std::vector<double> p = doubles(*expected.find(key));
    ASSERT_EQ(static_cast<int64_t>(p.size()), 101 * K);
    for (int64_t r = 0; r < 101; ++r)
      for (int64_t k = 0; k < K; ++k)
        near(m.precision_at(t, r, k, 0, 2), p[static_cast<size_t>(r * K + k)],
             std::string(key) + " r=" + std::to_string(r) + " k=" + std::to_string(k));
  }
  // The printout is pycocotools' line for line.
  std::string want;
  for (const json::Value& line : expected.find("summary")->as_array()) want += line.as_string() + "\n";
  EXPECT_EQ(m.summary(), want);
  std::cout << "largest difference from pycocotools: " << worst << "\n" << m.summary();
}

TEST(CocoEval, DetectionsAddedInBatchesGiveTheSameResult) {
  CocoEvaluator all = CocoEvaluator::from_json((kData / "gt.json").string());
  CocoEvaluator batches = CocoEvaluator::from_json((kData / "gt.json").string());
  const std::vector<CocoDetection> dets = read_coco_detections((kData / "dets.json").string());
  all.add(dets);
  for (size_t i = 0; i < dets.size(); i += 37)
    batches.add(std::vector<CocoDetection>(dets.begin() + i, dets.begin() + std::min(dets.size(), i + 37)));
  EXPECT_EQ(all.evaluate().precision, batches.evaluate().precision);
  EXPECT_EQ(all.evaluate().stats, batches.evaluate().stats);
  batches.clear_detections();
  EXPECT_EQ(batches.num_detections(), 0u);
  EXPECT_EQ(batches.evaluate().stats[0], 0.0);  // ground truth, no detections: AP 0, not -1
}

TEST(CocoEval, OnePerfectDetection) {
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50)}, {det_box(1, 10, 10, 50, 50, 0.9)});
  // medium box: small and large have no ground truth (-1). Precision is tp / (tp + fp + eps) as in
  // pycocotools, so 1 - 2.2e-16 rather than 1.
  const std::array<double, 12> want{1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1};
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(m.stats[i], want[i], 1e-15) << i;
  EXPECT_EQ(m.precision_at(0, 0, 0, 0, 2), 1 / (1 + 2.220446049250313e-16));
  EXPECT_NEAR(m.per_class_ap50_95.at(0), 1.0, 1e-15);
  EXPECT_NEAR(m.per_class_ap50.at(0), 1.0, 1e-15);
}

TEST(CocoEval, FalsePositiveAboveTruePositiveHalvesAp) {
  const CocoMetrics m =
      run({gt_box(1, 10, 10, 50, 50)}, {det_box(1, 100, 100, 50, 50, 0.9), det_box(1, 10, 10, 50, 50, 0.8)});
  EXPECT_DOUBLE_EQ(m.map50, 0.5);
  EXPECT_DOUBLE_EQ(m.map50_95, 0.5);
  EXPECT_DOUBLE_EQ(m.stats[8], 1.0);  // recall with 100 detections
  EXPECT_DOUBLE_EQ(m.stats[6], 0.0);  // maxDets 1 keeps the false positive only
  const CocoMetrics swapped =
      run({gt_box(1, 10, 10, 50, 50)}, {det_box(1, 100, 100, 50, 50, 0.8), det_box(1, 10, 10, 50, 50, 0.9)});
  EXPECT_DOUBLE_EQ(swapped.map50, 1.0);
}

TEST(CocoEval, EqualScoresKeepTheOrderTheyWereAdded) {
  const std::vector<CocoGroundTruth> gt{gt_box(1, 10, 10, 50, 50)};
  EXPECT_DOUBLE_EQ(run(gt, {det_box(1, 100, 100, 50, 50, 0.5), det_box(1, 10, 10, 50, 50, 0.5)}).map50, 0.5);
  EXPECT_DOUBLE_EQ(run(gt, {det_box(1, 10, 10, 50, 50, 0.5), det_box(1, 100, 100, 50, 50, 0.5)}).map50, 1.0);
}

TEST(CocoEval, IouThresholdsGradeTheBoxes) {
  // IoU of a 50x50 box shifted by 10 px: 40*50 / (2*2500 - 2000) = 2/3: a match at .50:.65 only.
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50)}, {det_box(1, 20, 10, 50, 50, 0.9)});
  EXPECT_DOUBLE_EQ(m.map50, 1.0);
  EXPECT_DOUBLE_EQ(m.map75, 0.0);
  EXPECT_NEAR(m.map50_95, 0.4, 1e-15);  // 4 of 10 thresholds
  EXPECT_NEAR(m.stats[8], 0.4, 1e-15);
}

TEST(CocoEval, CrowdRegionsAreNeitherMissedNorFalsePositives) {
  // A crowd region with three detections inside (IoU = intersection / detection area = 1 for each) and a
  // regular object detected once: AP 1; without the crowd flag the region is a missed object with two
  // false positives.
  const std::vector<CocoDetection> dets{det_box(1, 210, 210, 20, 20, 0.95), det_box(1, 250, 250, 20, 20, 0.9),
                                        det_box(1, 10, 10, 50, 50, 0.85), det_box(1, 300, 300, 30, 30, 0.8)};
  const CocoMetrics crowd = run({gt_box(1, 10, 10, 50, 50), gt_box(1, 200, 200, 150, 150, true)}, dets);
  EXPECT_DOUBLE_EQ(crowd.map50, 1.0);
  EXPECT_DOUBLE_EQ(crowd.stats[8], 1.0);
  const CocoMetrics regular = run({gt_box(1, 10, 10, 50, 50), gt_box(1, 200, 200, 150, 150)}, dets);
  EXPECT_LT(regular.map50, 0.5);
  // Only crowd ground truth: nothing to find, -1.
  EXPECT_EQ(run({gt_box(1, 200, 200, 150, 150, true)}, dets).map50, -1.0);
}

TEST(CocoEval, MaxDetsLimitsDetectionsPerImage) {
  // Two objects, detected with scores .9 and .8: recall 1/2 with one detection per image, 1 with 10.
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50), gt_box(1, 100, 100, 50, 50)},
                            {det_box(1, 10, 10, 50, 50, 0.9), det_box(1, 100, 100, 50, 50, 0.8)});
  EXPECT_DOUBLE_EQ(m.stats[6], 0.5);
  EXPECT_DOUBLE_EQ(m.stats[7], 1.0);
  // 101 false positives above the true positive on one image: it falls out of the top 100.
  std::vector<CocoDetection> many;
  for (int i = 0; i < 100; ++i) many.push_back(det_box(1, 300, 300, 10, 10, 0.9));
  many.push_back(det_box(1, 10, 10, 50, 50, 0.1));
  EXPECT_DOUBLE_EQ(run({gt_box(1, 10, 10, 50, 50)}, many).stats[8], 0.0);
  many.pop_back();
  many.pop_back();
  many.push_back(det_box(1, 10, 10, 50, 50, 0.1));  // now 100 in all: found, behind 99 false positives
  EXPECT_DOUBLE_EQ(run({gt_box(1, 10, 10, 50, 50)}, many).stats[8], 1.0);
}

TEST(CocoEval, ImagesWithoutGroundTruthContributeFalsePositives) {
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50)},
                            {det_box(1, 10, 10, 50, 50, 0.5), det_box(2, 10, 10, 50, 50, 0.9)}, /*images=*/2);
  EXPECT_DOUBLE_EQ(m.map50, 0.5);
}

TEST(CocoEval, AreaRangesUseTheAreaFieldForGroundTruth) {
  // A 50x50 box whose (segmentation) area is 500 counts as small; the detection's area is w * h = 2500,
  // but a matched detection follows its ground truth.
  CocoGroundTruth g = gt_box(1, 10, 10, 50, 50);
  g.area = 500;
  const CocoMetrics m = run({g}, {det_box(1, 10, 10, 50, 50, 0.9)});
  EXPECT_DOUBLE_EQ(m.stats[3], 1.0);  // small
  EXPECT_EQ(m.stats[4], -1.0);        // medium: no ground truth
  // An unmatched detection outside an area range is ignored there: a small object with a large false
  // positive above it keeps AP small = 1 but AP all = 0.5.
  const CocoMetrics fp =
      run({gt_box(1, 10, 10, 20, 20)}, {det_box(1, 100, 100, 120, 120, 0.9), det_box(1, 10, 10, 20, 20, 0.8)});
  EXPECT_DOUBLE_EQ(fp.stats[3], 1.0);
  EXPECT_DOUBLE_EQ(fp.map50_95, 0.5);
}

TEST(CocoEval, CategoriesAreEvaluatedApart) {
  // A detection of the wrong category is a false positive of its own category, not a match.
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50), CocoGroundTruth{1, 3, {100, 100, 40, 40}}},
                            {det_box(1, 10, 10, 50, 50, 0.9, 3), det_box(1, 100, 100, 40, 40, 0.8, 3)}, 1, {1, 3});
  EXPECT_EQ(m.category_ids, (std::vector<int64_t>{1, 3}));
  EXPECT_DOUBLE_EQ(m.per_class_ap50[0], 0.0);  // category 1: never detected
  EXPECT_DOUBLE_EQ(m.per_class_ap50[1], 0.5);  // category 3: a false positive above its true positive
  EXPECT_DOUBLE_EQ(m.map50, 0.25);
}

TEST(CocoEval, PrecisionRecallCurve) {
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50), gt_box(1, 100, 100, 50, 50)},
                            {det_box(1, 10, 10, 50, 50, 0.9), det_box(1, 300, 300, 20, 20, 0.7)}, 1, {1, 2});
  const PrCurve c = pr_curve(m, 0);
  ASSERT_EQ(c.recall.size(), 101u);
  ASSERT_EQ(c.precision.size(), 101u);
  EXPECT_DOUBLE_EQ(c.precision[0], 1.0);
  EXPECT_DOUBLE_EQ(c.precision[50], 1.0);  // recall .5 reached with the first detection
  EXPECT_DOUBLE_EQ(c.precision[51], 0.0);  // never beyond
  EXPECT_DOUBLE_EQ(c.score[50], 0.9);
  EXPECT_EQ(pr_curve(m, 1).precision, std::vector<double>(101, -1.0));  // no ground truth
  EXPECT_EQ(pr_curve(m, -1).precision, c.precision);                    // the mean skips category 2
  const std::string csv = pr_curve_csv(m, {"shirt", "shoe"});
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "recall,shirt,shoe,mean");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 102);
  EXPECT_NE(csv.find("\n0.5,0.9999999999999998,,0.9999999999999998\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n0.51,0,,0\n"), std::string::npos) << csv;
  EXPECT_EQ(pr_curve_csv(m).substr(0, 15), "recall,1,2,mean");
  EXPECT_THROW(pr_curve(m, 0, 0.42), ValueError);
  EXPECT_THROW(pr_curve(m, 2), IndexError);
  EXPECT_THROW(pr_curve_csv(m, {"one"}), ValueError);
  const fs::path path = temp_dir() / "pr.csv";
  write_pr_curve_csv(path.string(), m, {"shirt", "shoe"}, 0.75);
  EXPECT_EQ(io::read_file(path, "test"), pr_curve_csv(m, {"shirt", "shoe"}, 0.75));
}

TEST(CocoEval, DetectionsFileRoundTrip) {
  const std::vector<CocoDetection> dets{det_box(3, 0.1, 1.0 / 3, 10.25, 1e-3, 0.123456789012345678, 7),
                                        det_box(12, 5, 6, 7, 8, 1)};
  const fs::path path = temp_dir() / "dets.json";
  write_coco_detections(dets, path.string());
  const std::vector<CocoDetection> back = read_coco_detections(path.string());
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].image_id, dets[i].image_id);
    EXPECT_EQ(back[i].category_id, dets[i].category_id);
    EXPECT_EQ(back[i].bbox, dets[i].bbox);  // doubles round-trip exactly
    EXPECT_EQ(back[i].score, dets[i].score);
  }
  write_coco_detections({}, path.string());
  EXPECT_TRUE(read_coco_detections(path.string()).empty());
}

TEST(CocoEval, DetectionsFromNmsOutput) {
  const Tensor t = tensor<float>(std::vector<float>{10, 20, 40, 60, 0.5f, 2, 0, 0, 8, 4, 0.25f, 0}, Shape{2, 6});
  const std::vector<CocoDetection> d = coco_detections_from_xyxy(t, 42);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].image_id, 42);
  EXPECT_EQ(d[0].category_id, 3);
  EXPECT_EQ(d[0].bbox, (std::array<double, 4>{10, 20, 30, 40}));
  EXPECT_EQ(d[0].score, 0.5);
  EXPECT_EQ(d[1].category_id, 1);
  EXPECT_EQ(coco_detections_from_xyxy(t, 1, 0)[1].category_id, 0);
  EXPECT_THROW(coco_detections_from_xyxy(tensor<float>(std::vector<float>{1, 2, 3}, Shape{3}), 1), ShapeError);
  EXPECT_THROW(coco_detections_from_xyxy(tensor<float>(std::vector<float>{0, 0, 1, 1, 0.5f, 1.5f}, Shape{1, 6}), 1),
               ValueError);
}

TEST(CocoEval, GroundTruthFromTensors) {
  const Tensor boxes = tensor<float>(std::vector<float>{10, 20, 40, 60, 0, 0, 8, 4}, Shape{2, 4});
  const Tensor labels = tensor<int64_t>(std::vector<int64_t>{2, 0}, Shape{2});
  const std::vector<CocoGroundTruth> g = coco_ground_truth_from_xyxy(boxes, labels, 7);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].image_id, 7);
  EXPECT_EQ(g[0].category_id, 3);
  EXPECT_EQ(g[0].bbox, (std::array<double, 4>{10, 20, 30, 40}));
  EXPECT_EQ(g[0].area, -1);
  EXPECT_FALSE(g[0].iscrowd);
  EXPECT_EQ(g[1].category_id, 1);
  // ground truth and detections from the same boxes: AP 1
  CocoEvaluator ev(g, {7}, {1, 2, 3});
  ev.add(coco_detections_from_xyxy(
      tensor<float>(std::vector<float>{10, 20, 40, 60, 0.9f, 2, 0, 0, 8, 4, 0.8f, 0}, Shape{2, 6}), 7));
  EXPECT_NEAR(ev.evaluate().map50_95, 1.0, 1e-15);
  EXPECT_THROW(coco_ground_truth_from_xyxy(boxes, tensor<int64_t>(std::vector<int64_t>{1}, Shape{1}), 7), ShapeError);
  EXPECT_THROW(coco_ground_truth_from_xyxy(boxes, tensor<int64_t>(std::vector<int64_t>{1, -1}, Shape{2}), 7),
               ValueError);
}

TEST(CocoEval, BadInputIsRejectedWithAClearMessage) {
  auto message = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  CocoEvaluator ev({gt_box(1, 0, 0, 10, 10)}, {1, 2}, {1});
  EXPECT_NE(message([&] { ev.add({det_box(3, 0, 0, 1, 1, 0.5)}); }).find("image id 3"), std::string::npos);
  EXPECT_NE(message([&] { ev.add({det_box(1, 0, 0, 1, 1, 0.5, 5)}); }).find("category id 5"), std::string::npos);
  EXPECT_NE(message([&] { ev.add({det_box(1, 0, 0, -1, 1, 0.5)}); }).find("negative width"), std::string::npos);
  EXPECT_NE(message([&] { ev.add({det_box(1, 0, 0, 1, 1, NAN)}); }).find("score is not finite"), std::string::npos);
  EXPECT_EQ(ev.num_detections(), 0u);  // a failed add adds nothing
  ev.add({det_box(1, 0, 0, 1, 1, 0.5), det_box(2, 0, 0, 1, 1, 0.5)});
  EXPECT_THROW(ev.add({det_box(1, 0, 0, 1, 1, 0.5), det_box(9, 0, 0, 1, 1, 0.5)}), ValueError);
  EXPECT_EQ(ev.num_detections(), 2u);
  EXPECT_NE(message([] { CocoEvaluator({gt_box(5, 0, 0, 1, 1)}, {1}, {1}); }).find("ground truth 0 names image id 5"),
            std::string::npos);
  EXPECT_THROW(CocoEvaluator({}, {1}, {}), ValueError);
  EXPECT_THROW(CocoEvaluator({gt_box(1, 0, 0, INFINITY, 1)}, {1}, {1}), ValueError);

  const fs::path dir = temp_dir();
  auto gt_error = [&](const std::string& text) {
    write_text(dir / "gt.json", text);
    return message([&] { CocoEvaluator::from_json((dir / "gt.json").string()); });
  };
  const std::string head = R"({"images":[{"id":1}],"categories":[{"id":1}],"annotations":[)";
  EXPECT_NE(gt_error(head + R"({"image_id":1,"category_id":1,"bbox":[0,0,1]}]})")
                .find("\"annotations\"[0] \"bbox\" has 3 numbers"),
            std::string::npos);
  EXPECT_NE(gt_error(head + R"({"image_id":1,"category_id":1,"bbox":[0,0,1,1]},{"image_id":1,"bbox":[0,0,1,1]}]})")
                .find("\"annotations\"[1] has no \"category_id\""),
            std::string::npos);
  EXPECT_NE(gt_error(head + R"({"image_id":2,"category_id":1,"bbox":[0,0,1,1]}]})").find("image id 2"),
            std::string::npos);
  EXPECT_NE(gt_error(head + R"({"image_id":1,"category_id":1,"bbox":[0,0,1,1],"iscrowd":2}]})").find("iscrowd"),
            std::string::npos);
  EXPECT_NE(gt_error(head + R"({"image_id":"1","category_id":1,"bbox":[0,0,1,1]}]})").find("is a string"),
            std::string::npos);
  EXPECT_NE(gt_error(R"({"images":[],"annotations":[]})").find("no \"categories\""), std::string::npos);
  EXPECT_NE(gt_error(head + "{").find("invalid JSON"), std::string::npos);
  EXPECT_NE(gt_error(head).find((dir / "gt.json").string()), std::string::npos);  // names the file
  EXPECT_THROW(CocoEvaluator::from_json((dir / "missing.json").string()), IOError);
  // A valid file: crowd flags as 0/1 or bools, area optional, other members skipped.
  write_text(dir / "gt.json", head + R"({"id":4,"image_id":1,"category_id":1,"bbox":[0,0,10,10],"iscrowd":false,
    "segmentation":[[0,0,1,1]]},{"image_id":1,"category_id":1,"bbox":[20,20,10,10],"area":5,"iscrowd":0}],"info":{}})");
  CocoEvaluator ok = CocoEvaluator::from_json((dir / "gt.json").string());
  EXPECT_EQ(ok.num_ground_truth(), 2u);
  ok.add({det_box(1, 0, 0, 10, 10, 0.9), det_box(1, 20, 20, 10, 10, 0.8)});
  EXPECT_DOUBLE_EQ(ok.evaluate().map50_95, 1.0);

  auto dets_error = [&](const std::string& text) {
    write_text(dir / "dets.json", text);
    return message([&] { read_coco_detections((dir / "dets.json").string()); });
  };
  EXPECT_NE(dets_error(R"([{"image_id":1,"category_id":1,"bbox":[0,0,1,1]}])").find("detection 0 has no \"score\""),
            std::string::npos);
  EXPECT_NE(dets_error(R"({"image_id":1})").find("not an array"), std::string::npos);
  EXPECT_NE(dets_error(R"([{"image_id":1.5,"category_id":1,"bbox":[0,0,1,1],"score":1}])").find("not an integer"),
            std::string::npos);
  EXPECT_NE(dets_error("[").find("invalid JSON"), std::string::npos);
  EXPECT_THROW(write_coco_detections({det_box(1, 0, 0, 1, 1, INFINITY)}, (dir / "x.json").string()), ValueError);
}

TEST(CocoEval, SummaryFormat) {
  const CocoMetrics m = run({gt_box(1, 10, 10, 50, 50)}, {det_box(1, 10, 10, 50, 50, 0.9)});
  const std::string s = m.summary();
  EXPECT_EQ(s.substr(0, s.find('\n')),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000");
  EXPECT_NE(s.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000"),
            std::string::npos);
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 12);
}
