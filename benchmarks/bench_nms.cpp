// Fast CPU NMS (seek::vision::nms: one sort, flat columns, precomputed areas, survivors compacted
// so suppressed boxes are never read again) against the textbook greedy NMS (every candidate
// checked against every kept box, areas recomputed, array-of-structs), at 1k / 5k / 30k boxes.
// Two box sets in a 640 x 640 image: "clustered" (YOLO-like: many candidates around 60 objects)
// and "uniform" (sizes 8..64 px anywhere). Plain main; prints a markdown table.
//   ./build/benchmarks/bench_nms [--runs 5] [--iou 0.45]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "seek/ops/creation.h"
#include "seek/vision/nms.h"
#include "vision/nms_core.h"  // the flat pass alone, for the table

namespace {

struct Set {
  std::vector<float> boxes, scores;
};

Set make_set(int64_t n, bool clustered, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<std::array<float, 4>> objects(60);
  for (auto& o : objects) o = {40 + 560 * u(rng), 40 + 560 * u(rng), 16 + 100 * u(rng), 16 + 100 * u(rng)};
  Set s;
  for (int64_t i = 0; i < n; ++i) {
    float cx, cy, w, h;
    if (clustered) {
      const auto& o = objects[static_cast<size_t>(u(rng) * 59.999f)];
      cx = o[0] + o[2] * 0.3f * (u(rng) - 0.5f), cy = o[1] + o[3] * 0.3f * (u(rng) - 0.5f);
      w = o[2] * (0.7f + 0.6f * u(rng)), h = o[3] * (0.7f + 0.6f * u(rng));
    } else {
      cx = 640 * u(rng), cy = 640 * u(rng), w = 8 + 56 * u(rng), h = 8 + 56 * u(rng);
    }
    s.boxes.insert(s.boxes.end(), {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
    s.scores.push_back(u(rng));
  }
  return s;
}

// The textbook greedy NMS (the reference of tests/cpp/vision/test_nms.cpp).
std::vector<int64_t> naive_nms(const std::vector<float>& b, const std::vector<float>& s, double thr) {
  const int64_t n = static_cast<int64_t>(s.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return s[x] > s[y]; });
  auto area = [&](int64_t i) { return (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]); };
  std::vector<int64_t> keep;
  for (int64_t i : order) {
    bool ok = true;
    for (int64_t k : keep) {
      const float w = std::max(0.f, std::min(b[4 * k + 2], b[4 * i + 2]) - std::max(b[4 * k], b[4 * i]));
      const float h = std::max(0.f, std::min(b[4 * k + 3], b[4 * i + 3]) - std::max(b[4 * k + 1], b[4 * i + 1]));
      const float inter = w * h;
      if (inter / (area(k) + area(i) - inter) > thr) ok = false;
    }
    if (ok) keep.push_back(i);
  }
  return keep;
}

// seek's flat compacting pass without the grid (what nms runs below 256 boxes).
std::vector<int64_t> flat_nms(const std::vector<float>& b, const std::vector<float>& s, double thr) {
  const auto order = seek::vision::detail::score_order(s.data(), static_cast<int64_t>(s.size()));
  auto c = seek::vision::detail::gather_candidates(b.data(), nullptr, order);
  return seek::vision::detail::greedy_nms(c, thr, -1);
}

template <typename F>
double median_ms(int runs, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  double iou = 0.45;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--iou"))
      iou = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_nms [--runs N] [--iou T]\n");
      return 2;
    }
  }
  std::printf("| boxes | set | kept | naive | flat pass only | fast (seek::vision::nms) | speed-up (naive / fast) |\n");
  std::printf("|------:|-----|-----:|------:|------:|------:|------:|\n");
  for (int64_t n : {1000, 5000, 30000}) {
    for (bool clustered : {true, false}) {
      const Set s = make_set(n, clustered, 1234u + static_cast<uint32_t>(n));
      const seek::Tensor b = seek::tensor(s.boxes, {n, 4}), sc = seek::tensor(s.scores, {n});
      std::vector<int64_t> want, flat, got;
      const double naive = median_ms(runs, [&] { want = naive_nms(s.boxes, s.scores, iou); });
      const double flat_ms = median_ms(runs, [&] { flat = flat_nms(s.boxes, s.scores, iou); });
      const double fast = median_ms(runs, [&] { got = seek::to_vector<int64_t>(seek::vision::nms(b, sc, iou)); });
      if (got != want || flat != want) {
        std::fprintf(stderr, "bench_nms: the fast and naive results differ at n = %lld\n", static_cast<long long>(n));
        return 1;
      }
      std::printf("| %lld | %s | %zu | %.3f ms | %.3f ms | %.3f ms | %.1fx |\n", static_cast<long long>(n),
                  clustered ? "clustered" : "uniform", got.size(), naive, flat_ms, fast, naive / fast);
    }
  }
  // YOLOv5's post-processing of one 640 x 640 image's raw prediction: [1, 25200, 85] (80 classes),
  // objectness u^4 (about 30 % of the rows above conf 0.25), boxes from the clustered set.
  const int64_t rows = 25200, nc = 80;
  const Set s = make_set(rows, true, 99);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> p(static_cast<size_t>(rows * (5 + nc)));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = p.data() + r * (5 + nc);
    const float* bx = s.boxes.data() + 4 * r;
    row[0] = (bx[0] + bx[2]) / 2, row[1] = (bx[1] + bx[3]) / 2, row[2] = bx[2] - bx[0], row[3] = bx[3] - bx[1];
    const float o = u(rng);
    row[4] = o * o * o * o;
    for (int64_t k = 0; k < nc; ++k) row[5 + k] = u(rng);
  }
  const seek::Tensor pred = seek::tensor(p, {1, rows, 5 + nc});
  size_t dets = 0;
  const double post = median_ms(runs, [&] { dets = size_t(seek::vision::non_max_suppression(pred)[0].size(0)); });
  std::printf("\nnon_max_suppression [1, %lld, %lld], default NmsOptions: %.3f ms, %zu detections\n",
              static_cast<long long>(rows), static_cast<long long>(5 + nc), post, dets);
  return 0;
}
