// NMS (seek/vision/nms.h): nms and batched_nms against a brute-force greedy reference on random
// sets with tied scores, duplicated and zero-area boxes; hand-made cases; YOLOv5's
// non_max_suppression on a hand-made prediction; errors.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "seek/vision/nms.h"
#include "support/test_util.h"

namespace seek::vision {
namespace {

// The textbook greedy NMS, written for clarity: visit boxes by decreasing score (ties by index) and
// keep one unless a kept box (of its class, when classes are given) overlaps it by IoU > threshold.
// The IoU is computed in float as torchvision's CPU kernel does.
std::vector<int64_t> naive_nms(const std::vector<float>& b, const std::vector<float>& s, double thr,
                               const std::vector<int64_t>* cls = nullptr) {
  const int64_t n = static_cast<int64_t>(s.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return s[x] > s[y]; });
  auto area = [&](int64_t i) { return (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]); };
  std::vector<int64_t> keep;
  for (int64_t i : order) {
    bool ok = true;
    for (int64_t k : keep) {
      if (cls && (*cls)[k] != (*cls)[i]) continue;
      const float w = std::max(0.f, std::min(b[4 * k + 2], b[4 * i + 2]) - std::max(b[4 * k], b[4 * i]));
      const float h = std::max(0.f, std::min(b[4 * k + 3], b[4 * i + 3]) - std::max(b[4 * k + 1], b[4 * i + 1]));
      const float inter = w * h;
      if (inter / (area(k) + area(i) - inter) > thr) ok = false;
    }
    if (ok) keep.push_back(i);
  }
  return keep;
}

struct RandomSet {
  std::vector<float> boxes, scores;
  std::vector<int64_t> cls;
};

// n boxes in a 100 x 100 image, clustered so that NMS has work to do, with scores quantised to ten
// levels (many ties), some exact duplicates (box and score) and some zero-width or zero-height boxes.
RandomSet random_set(int64_t n, uint64_t seed, int64_t classes) {
  const auto u = testing::uniform_values(static_cast<size_t>(8 * n + 8), 0, 1, seed);
  RandomSet r;
  size_t k = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0 && u[k] < 0.1) {  // duplicate an earlier box and its score
      const int64_t j = static_cast<int64_t>(u[k + 1] * double(i));
      r.boxes.insert(r.boxes.end(), r.boxes.begin() + 4 * j, r.boxes.begin() + 4 * j + 4);
      r.scores.push_back(r.scores[static_cast<size_t>(j)]);
      r.cls.push_back(r.cls[static_cast<size_t>(j)]);
      k += 8;
      continue;
    }
    const float cx = float(20 + 60 * std::floor(u[k + 1] * 4) / 3 + 10 * u[k + 2]);  // 4 clusters in x
    const float cy = float(30 + 40 * u[k + 3]);
    float w = float(5 + 25 * u[k + 4]), h = float(5 + 25 * u[k + 5]);
    if (u[k + 6] < 0.05) w = 0;
    if (u[k + 6] > 0.95) h = 0;
    r.boxes.insert(r.boxes.end(), {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
    r.scores.push_back(float(std::floor(u[k + 7] * 10) / 10));
    r.cls.push_back(static_cast<int64_t>(u[k] * double(classes)) % classes);
    k += 8;
  }
  return r;
}

Tensor as_boxes(const std::vector<float>& b) {
  return tensor(b, Shape{static_cast<int64_t>(b.size() / 4), 4}, TensorOptions(kFloat32));
}
Tensor as_scores(const std::vector<float>& s) {
  return tensor(s, Shape{static_cast<int64_t>(s.size())}, TensorOptions(kFloat32));
}

TEST(Nms, HandMadeCase) {
  // A and B overlap with IoU 81 / 119 = 0.68; C is apart.
  const Tensor boxes = as_boxes({0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30});
  const Tensor scores = as_scores({0.9f, 0.8f, 0.7f});
  EXPECT_EQ(to_vector<int64_t>(nms(boxes, scores, 0.5)), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(to_vector<int64_t>(nms(boxes, scores, 0.7)), (std::vector<int64_t>{0, 1, 2}));
  // Order by score, not by index.
  EXPECT_EQ(to_vector<int64_t>(nms(boxes, as_scores({0.1f, 0.8f, 0.95f}), 0.5)), (std::vector<int64_t>{2, 1}));
  const Tensor keep = nms(boxes, scores, 0.5);
  EXPECT_EQ(keep.dtype(), kInt64);
  EXPECT_EQ(keep.dim(), 1);
}

TEST(Nms, TiesAndIdenticalBoxesKeepTheLowerIndex) {
  const Tensor boxes = as_boxes({5, 5, 9, 9, 0, 0, 4, 4, 0, 0, 4, 4, 0, 0, 4, 4});
  EXPECT_EQ(to_vector<int64_t>(nms(boxes, as_scores({0.5f, 0.7f, 0.7f, 0.7f}), 0.5)), (std::vector<int64_t>{1, 0}));
  // iou_threshold 1: nothing exceeds it, all kept in score order (stable).
  EXPECT_EQ(to_vector<int64_t>(nms(boxes, as_scores({0.5f, 0.7f, 0.7f, 0.7f}), 1.0)),
            (std::vector<int64_t>{1, 2, 3, 0}));
}

TEST(Nms, Float64ScoresAreOrderedInFloat64) {
  // 0.5 and 0.5 + 1e-12 are one float32 value; the higher one must still win.
  const Tensor scores = tensor<double>({0.5, 0.5 + 1e-12});
  EXPECT_EQ(to_vector<int64_t>(nms(as_boxes({0, 0, 4, 4, 0, 0, 4, 4}), scores, 0.5)), (std::vector<int64_t>{1}));
}

TEST(Nms, EmptyAndZeroAreaInputs) {
  const Tensor keep = nms(zeros({0, 4}), zeros({0}), 0.5);
  EXPECT_EQ(keep.sizes(), (Shape{0}));
  EXPECT_EQ(keep.dtype(), kInt64);
  // Identical zero-area boxes: IoU is 0 / 0 (NaN), which does not exceed the threshold: both kept.
  EXPECT_EQ(to_vector<int64_t>(nms(as_boxes({1, 1, 1, 5, 1, 1, 1, 5}), as_scores({0.9f, 0.8f}), 0.1)),
            (std::vector<int64_t>{0, 1}));
}

// n < 256 runs the compacting pass, n >= 256 the grid pass (src/vision/nms_core.h); a negative
// threshold (every later box suppressed, except NaN IoUs) always takes the compacting pass.
TEST(Nms, MatchesBruteForceOnRandomSets) {
  int checked = 0;
  for (int64_t n : {1, 2, 7, 50, 300, 1200}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      const RandomSet r = random_set(n, seed * 1000 + uint64_t(n), 1);
      for (double thr : {-0.1, 0.0, 0.2, 0.45, 0.7, 1.0}) {
        const auto want = naive_nms(r.boxes, r.scores, thr);
        if (n >= 50 && thr == 0.45) {  // the sets do give NMS work: some boxes go, several stay
          EXPECT_LT(want.size(), r.scores.size());
          EXPECT_GT(want.size(), 3u);
        }
        EXPECT_EQ(to_vector<int64_t>(nms(as_boxes(r.boxes), as_scores(r.scores), thr)), want)
            << "n " << n << " seed " << seed << " thr " << thr;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 108);
}

TEST(Nms, NonFiniteCoordinatesTakeTheExhaustivePass) {
  RandomSet r = random_set(400, 5, 1);
  r.boxes[4 * 7 + 2] = std::nanf("");
  r.boxes[4 * 9] = -std::numeric_limits<float>::infinity();
  for (double thr : {0.3, 0.6})
    EXPECT_EQ(to_vector<int64_t>(nms(as_boxes(r.boxes), as_scores(r.scores), thr)), naive_nms(r.boxes, r.scores, thr));
}

TEST(Nms, Float64BoxesAndMaxKeep) {
  const RandomSet r = random_set(400, 11, 1);
  const Tensor b = as_boxes(r.boxes), s = as_scores(r.scores);
  const auto all = to_vector<int64_t>(nms(b, s, 0.3));
  ASSERT_GT(all.size(), 5u);
  EXPECT_EQ(to_vector<int64_t>(nms(b, s, 0.3, 5)), std::vector<int64_t>(all.begin(), all.begin() + 5));
  EXPECT_EQ(to_vector<int64_t>(nms(b, s, 0.3, 0)).size(), 0u);
  EXPECT_EQ(to_vector<int64_t>(nms(b, s, 0.3, 100000)), all);
  // float64 boxes are suppressed in float64; on these float32-representable boxes the result agrees.
  EXPECT_EQ(to_vector<int64_t>(nms(b.to(kFloat64), s.to(kFloat64), 0.3)), all);
}

TEST(BatchedNms, BoxesOfDifferentClassesDoNotSuppressEachOther) {
  const Tensor boxes = as_boxes({0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 11, 11});
  const Tensor scores = as_scores({0.9f, 0.8f, 0.7f});
  EXPECT_EQ(to_vector<int64_t>(batched_nms(boxes, scores, tensor<int64_t>({0, 1, 0}), 0.5)),
            (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(to_vector<int64_t>(batched_nms(boxes, scores, tensor<int64_t>({0, 1, 2}), 0.5)),
            (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(to_vector<int64_t>(batched_nms(boxes, scores, tensor<int64_t>({3, 3, 3}), 0.5)),
            to_vector<int64_t>(nms(boxes, scores, 0.5)));
  EXPECT_EQ(to_vector<int64_t>(batched_nms(boxes, scores, tensor<int32_t>({0, 1, 0}), 0.5)),
            (std::vector<int64_t>{0, 1}));
}

TEST(BatchedNms, MatchesPerClassBruteForce) {
  for (int64_t n : {0, 3, 80, 700}) {
    for (int64_t classes : {1, 3, 7}) {
      const RandomSet r = random_set(n, uint64_t(n * 31 + classes), classes);
      const Tensor idxs = tensor(r.cls, Shape{n}, TensorOptions(kInt64));
      for (double thr : {0.3, 0.6}) {
        EXPECT_EQ(to_vector<int64_t>(batched_nms(as_boxes(r.boxes), as_scores(r.scores), idxs, thr)),
                  naive_nms(r.boxes, r.scores, thr, &r.cls))
            << "n " << n << " classes " << classes << " thr " << thr;
      }
    }
  }
}

TEST(NmsErrors, BadShapesAndArguments) {
  const Tensor b = zeros({3, 4}), s = zeros({3});
  EXPECT_SEEK_ERROR_ALL(nms(zeros({3, 5}), s, 0.5), ShapeError, {"nms", "boxes", "[3, 5]"});
  EXPECT_SEEK_ERROR_ALL(nms(b, zeros({2}), 0.5), ShapeError, {"nms", "scores", "[3]", "[2]"});
  EXPECT_SEEK_ERROR_ALL(nms(b, s, std::nan("")), ValueError, {"iou_threshold"});
  EXPECT_SEEK_ERROR_ALL(nms(Tensor(), s, 0.5), ValueError, {"nms", "defined"});
  EXPECT_SEEK_ERROR_ALL(batched_nms(b, s, zeros({3}), 0.5), DTypeError, {"batched_nms", "idxs", "integer"});
  EXPECT_SEEK_ERROR_ALL(batched_nms(b, s, zeros({2}, kInt64), 0.5), ShapeError, {"batched_nms", "idxs"});
}

// A hand-made prediction: 2 images, 5 rows, nc = 3 (cx, cy, w, h, obj, cls0, cls1, cls2).
Tensor hand_prediction() {
  std::vector<float> rows = {
      50,  50,  20, 20, 0.9f, 0.1f, 0.8f, 0.1f,  // r0: class 1, conf .72 -> box (40, 40, 60, 60)
      51,  50,  20, 20, 0.8f, 0.1f, 0.7f, 0.6f,  // r1: class 1 .56 (class 2 .48), IoU .905 with r0
      100, 100, 10, 10, 0.2f, 1,    0,    0,     // r2: objectness below .25
      51,  51,  20, 20, 0.9f, 0.9f, 0.1f, 0.1f,  // r3: class 0 .81, IoU .82 with r0
      10,  10,  4,  4,  0.5f, 0.3f, 0.3f, 0.4f,  // r4: best conf .2, below .25
  };
  for (int r = 0; r < 5; ++r) {  // image 1: every objectness below the threshold
    rows.insert(rows.end(), {float(10 * r), 10, 5, 5, 0.1f, 1, 1, 1});
  }
  return tensor(rows, Shape{2, 5, 8}, TensorOptions(kFloat32));
}

void expect_rows(const Tensor& got, const std::vector<std::vector<float>>& want) {
  ASSERT_EQ(got.dim(), 2);
  ASSERT_EQ(got.size(0), static_cast<int64_t>(want.size())) << got;
  ASSERT_EQ(got.size(1), 6);
  EXPECT_EQ(got.dtype(), kFloat32);
  const auto v = to_vector<float>(got);
  for (size_t r = 0; r < want.size(); ++r)
    for (size_t c = 0; c < 6; ++c) EXPECT_FLOAT_EQ(v[6 * r + c], want[r][c]) << "row " << r << " col " << c;
}

TEST(NonMaxSuppression, ClassAwareDefault) {
  const auto out = non_max_suppression(hand_prediction(), NmsOptions{});
  ASSERT_EQ(out.size(), 2u);
  expect_rows(out[0], {{41, 41, 61, 61, 0.9f * 0.9f, 0}, {40, 40, 60, 60, 0.8f * 0.9f, 1}});
  expect_rows(out[1], {});
}

TEST(NonMaxSuppression, Agnostic) {
  NmsOptions o;
  o.agnostic = true;
  expect_rows(non_max_suppression(hand_prediction(), o)[0], {{41, 41, 61, 61, 0.9f * 0.9f, 0}});
}

TEST(NonMaxSuppression, MultiLabel) {
  NmsOptions o;
  o.multi_label = true;
  // r1 enters twice (class 1 .56 and class 2 .48); class 1 is suppressed by r0, class 2 stays.
  expect_rows(non_max_suppression(hand_prediction(), o)[0],
              {{41, 41, 61, 61, 0.9f * 0.9f, 0}, {40, 40, 60, 60, 0.8f * 0.9f, 1}, {41, 40, 61, 60, 0.6f * 0.8f, 2}});
}

TEST(NonMaxSuppression, ConfidenceThresholdMaxDetAndMaxNms) {
  NmsOptions o;
  o.conf_threshold = 0.75;  // r0's .72 drops out
  expect_rows(non_max_suppression(hand_prediction(), o)[0], {{41, 41, 61, 61, 0.9f * 0.9f, 0}});
  o = NmsOptions{};
  o.max_det = 1;
  expect_rows(non_max_suppression(hand_prediction(), o)[0], {{41, 41, 61, 61, 0.9f * 0.9f, 0}});
  o = NmsOptions{};
  o.iou_threshold = 0.95;  // r1 survives next to r0
  expect_rows(non_max_suppression(hand_prediction(), o)[0],
              {{41, 41, 61, 61, 0.9f * 0.9f, 0}, {40, 40, 60, 60, 0.8f * 0.9f, 1}, {41, 40, 61, 60, 0.7f * 0.8f, 1}});
  o.max_nms = 2;  // only the two most confident candidates enter NMS
  expect_rows(non_max_suppression(hand_prediction(), o)[0],
              {{41, 41, 61, 61, 0.9f * 0.9f, 0}, {40, 40, 60, 60, 0.8f * 0.9f, 1}});
}

TEST(NonMaxSuppression, OneClassAndEmptyBatch) {
  // nc = 1: multi_label has nothing to add (as YOLOv5), classes are all 0.
  const Tensor p = tensor<float>({14, 10, 4, 4, 0.9f, 0.5f, 11, 10, 4, 4, 0.8f, 1.0f}, Shape{1, 2, 6});  // IoU 4/28
  NmsOptions o;
  o.multi_label = true;
  expect_rows(non_max_suppression(p, o)[0], {{9, 8, 13, 12, 0.8f, 0}, {12, 8, 16, 12, 0.9f * 0.5f, 0}});
  EXPECT_EQ(non_max_suppression(zeros({0, 4, 7})).size(), 0u);
  expect_rows(non_max_suppression(zeros({1, 0, 7}))[0], {});
}

TEST(NonMaxSuppression, Errors) {
  EXPECT_SEEK_ERROR_ALL(non_max_suppression(zeros({5, 8})), ShapeError, {"non_max_suppression", "[B, N, 5 + nc]"});
  EXPECT_SEEK_ERROR_ALL(non_max_suppression(zeros({1, 5, 5})), ShapeError, {"nc >= 1", "[1, 5, 5]"});
  EXPECT_SEEK_ERROR_ALL(non_max_suppression(zeros({1, 5, 8}, kInt64)), DTypeError, {"floating"});
  NmsOptions o;
  o.conf_threshold = 1.5;
  EXPECT_SEEK_ERROR_ALL(non_max_suppression(zeros({1, 5, 8}), o), ValueError, {"conf_threshold", "1.5"});
  o = NmsOptions{};
  o.iou_threshold = -0.1;
  EXPECT_SEEK_ERROR_ALL(non_max_suppression(zeros({1, 5, 8}), o), ValueError, {"iou_threshold"});
  o = NmsOptions{};
  o.max_det = -1;
  EXPECT_SEEK_ERROR_ALL(non_max_suppression(zeros({1, 5, 8}), o), ValueError, {"max_det"});
}

}  // namespace
}  // namespace seek::vision

namespace seek::vision {
namespace {

TEST(NmsCuda, CudaTensorsGiveTheCpuResultOnTheirDevice) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device (simulated or real)";
  const RandomSet r = random_set(60, 21, 3);
  const Tensor b = as_boxes(r.boxes), s = as_scores(r.scores);
  const Tensor idxs = tensor(r.cls, Shape{60}, TensorOptions(kInt64));
  const Tensor keep = nms(b.cuda(), s.cuda(), 0.4);
  EXPECT_TRUE(keep.is_cuda());
  EXPECT_EQ(to_vector<int64_t>(keep.cpu()), to_vector<int64_t>(nms(b, s, 0.4)));
  EXPECT_EQ(to_vector<int64_t>(batched_nms(b.cuda(), s.cuda(), idxs.cuda(), 0.4).cpu()),
            to_vector<int64_t>(batched_nms(b, s, idxs, 0.4)));
  const auto out = non_max_suppression(hand_prediction().cuda());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].is_cuda());
  EXPECT_TRUE(equal(out[0].cpu(), non_max_suppression(hand_prediction())[0]));
}

}  // namespace
}  // namespace seek::vision
