// COCO bbox evaluation (pycocotools' COCOeval): per image and category a greedy matching at every IoU
// threshold, then per category and area range one stable sort of all detections by score, from which the
// maxDets 1 / 10 / 100 lists are prefixes (a filtered stable sort is the stable sort of the filtered list).
// The per-threshold flags of a detection are packed in 16-bit masks (T = 10), one pair per area range, so a
// category's detections are sorted once for all four area ranges.
#include "seek/vision/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "seek/core/error.h"

namespace seek::vision {
namespace {

constexpr int64_t kT = 10, kR = 101, kA = 4, kM = 3;
constexpr int64_t kMaxDet = 100;
// numpy.spacing(1): added to tp + fp so that 0 / 0 gives 0.
constexpr double kEps = 2.220446049250313e-16;
constexpr std::array<std::array<double, 2>, kA> kAreaRanges{{{0, 1e10}, {0, 1024}, {1024, 9216}, {9216, 1e10}}};

// numpy.linspace(start, stop, num): i * ((stop - start) / (num - 1)) + start, the last value exactly stop.
std::vector<double> linspace(double start, double stop, int64_t num) {
  std::vector<double> v(static_cast<size_t>(num));
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (int64_t i = 0; i < num; ++i) v[static_cast<size_t>(i)] = static_cast<double>(i) * step + start;
  v.back() = stop;
  return v;
}

// numpy's pairwise summation (np.add.reduce on a contiguous float64 array), so means match np.mean bit for bit.
double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double s = 0.;  // numpy starts from -0.0 and adds; 0.0 gives the same sum for these non-negative values
    for (size_t i = 0; i < n; ++i) s += a[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += a[i];
    return s;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

// np.mean(s[s > -1]), or -1 when nothing is left.
double mean_valid(const std::vector<double>& values) {
  std::vector<double> kept;
  kept.reserve(values.size());
  for (double v : values)
    if (v > -1) kept.push_back(v);
  if (kept.empty()) return -1;
  return pairwise_sum(kept.data(), kept.size()) / static_cast<double>(kept.size());
}

void check_box(const std::array<double, 4>& b, const std::string& what) {
  for (double v : b) SEEK_CHECK_VALUE(std::isfinite(v), what, ": bbox has a non-finite value");
  SEEK_CHECK_VALUE(b[2] >= 0 && b[3] >= 0, what, ": bbox [", b[0], ", ", b[1], ", ", b[2], ", ", b[3],
                   "] has a negative width or height");
}

std::vector<int64_t> sorted_unique(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// One detection of a category after matching: its flags per IoU threshold (bit t) for each area range.
struct Entry {
  double score;
  int64_t rank;  // position among its image's detections of this category (by score)
  std::array<uint16_t, kA> matched, ignored;
};

}  // namespace

int64_t CocoMetrics::iou_index(double iou_threshold) const {
  for (size_t t = 0; t < iou_thresholds.size(); ++t)
    if (std::fabs(iou_thresholds[t] - iou_threshold) < 1e-9) return static_cast<int64_t>(t);
  throw ValueError(str("CocoMetrics: IoU threshold ", iou_threshold, " is not one of .50:.05:.95"));
}

double CocoMetrics::precision_at(int64_t t, int64_t r, int64_t k, int64_t a, int64_t m) const {
  const int64_t K = static_cast<int64_t>(category_ids.size());
  SEEK_CHECK_INDEX(t >= 0 && t < kT && r >= 0 && r < kR && k >= 0 && k < K && a >= 0 && a < kA && m >= 0 && m < kM,
                   "CocoMetrics::precision_at: index (", t, ", ", r, ", ", k, ", ", a, ", ", m, ") out of range for [",
                   kT, ", ", kR, ", ", K, ", ", kA, ", ", kM, "]");
  return precision[static_cast<size_t>((((t * kR + r) * K + k) * kA + a) * kM + m)];
}

double CocoMetrics::recall_at(int64_t t, int64_t k, int64_t a, int64_t m) const {
  const int64_t K = static_cast<int64_t>(category_ids.size());
  SEEK_CHECK_INDEX(t >= 0 && t < kT && k >= 0 && k < K && a >= 0 && a < kA && m >= 0 && m < kM,
                   "CocoMetrics::recall_at: index (", t, ", ", k, ", ", a, ", ", m, ") out of range for [", kT, ", ", K,
                   ", ", kA, ", ", kM, "]");
  return recall[static_cast<size_t>(((t * K + k) * kA + a) * kM + m)];
}

std::string CocoMetrics::summary() const {
  std::string out;
  auto line = [&](bool ap, int stat, const char* iou, const char* area, int64_t max_det) {
    char buf[160];
    std::snprintf(buf, sizeof buf, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld ] = %0.3f\n",
                  ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iou, area,
                  static_cast<long long>(max_det), stats[static_cast<size_t>(stat)]);
    out += buf;
  };
  line(true, 0, "0.50:0.95", "all", 100);
  line(true, 1, "0.50", "all", 100);
  line(true, 2, "0.75", "all", 100);
  line(true, 3, "0.50:0.95", "small", 100);
  line(true, 4, "0.50:0.95", "medium", 100);
  line(true, 5, "0.50:0.95", "large", 100);
  line(false, 6, "0.50:0.95", "all", 1);
  line(false, 7, "0.50:0.95", "all", 10);
  line(false, 8, "0.50:0.95", "all", 100);
  line(false, 9, "0.50:0.95", "small", 100);
  line(false, 10, "0.50:0.95", "medium", 100);
  line(false, 11, "0.50:0.95", "large", 100);
  return out;
}

CocoEvaluator::CocoEvaluator(std::vector<CocoGroundTruth> gt, std::vector<int64_t> image_ids,
                             std::vector<int64_t> category_ids)
    : image_ids_(sorted_unique(std::move(image_ids))), category_ids_(sorted_unique(std::move(category_ids))) {
  SEEK_CHECK_VALUE(!category_ids_.empty(), "CocoEvaluator: no categories");
  const int64_t I = static_cast<int64_t>(image_ids_.size());
  const int64_t cells = static_cast<int64_t>(category_ids_.size()) * I;
  // Counting sort of the ground truth by cell (stable: input order within a cell, as pycocotools keeps it).
  std::vector<int64_t> cell_of(gt.size());
  gt_cell_start_.assign(static_cast<size_t>(cells + 1), 0);
  for (size_t n = 0; n < gt.size(); ++n) {
    const CocoGroundTruth& g = gt[n];
    check_box(g.bbox, str("CocoEvaluator: ground truth ", n));
    SEEK_CHECK_VALUE(std::isfinite(g.area), "CocoEvaluator: ground truth ", n, ": area is not finite");
    cell_of[n] = category_index(g.category_id, "ground truth", n) * I + image_index(g.image_id, "ground truth", n);
    ++gt_cell_start_[static_cast<size_t>(cell_of[n] + 1)];
  }
  std::partial_sum(gt_cell_start_.begin(), gt_cell_start_.end(), gt_cell_start_.begin());
  gts_.resize(gt.size());
  std::vector<int64_t> fill(gt_cell_start_.begin(), gt_cell_start_.end() - 1);
  for (size_t n = 0; n < gt.size(); ++n) {
    const CocoGroundTruth& g = gt[n];
    gts_[static_cast<size_t>(fill[static_cast<size_t>(cell_of[n])]++)] =
        Box{g.bbox, g.area == -1 ? g.bbox[2] * g.bbox[3] : g.area, g.iscrowd};
  }
}

int64_t CocoEvaluator::image_index(int64_t image_id, const char* what, size_t n) const {
  auto it = std::lower_bound(image_ids_.begin(), image_ids_.end(), image_id);
  SEEK_CHECK_VALUE(it != image_ids_.end() && *it == image_id, "CocoEvaluator: ", what, " ", n, " names image id ",
                   image_id, ", which is not among the ", image_ids_.size(), " evaluated images");
  return it - image_ids_.begin();
}

int64_t CocoEvaluator::category_index(int64_t category_id, const char* what, size_t n) const {
  auto it = std::lower_bound(category_ids_.begin(), category_ids_.end(), category_id);
  SEEK_CHECK_VALUE(it != category_ids_.end() && *it == category_id, "CocoEvaluator: ", what, " ", n,
                   " names category id ", category_id, ", which is not among the ", category_ids_.size(),
                   " categories");
  return it - category_ids_.begin();
}

void CocoEvaluator::add(const std::vector<CocoDetection>& dets) {
  const int64_t I = static_cast<int64_t>(image_ids_.size());
  std::vector<Det> added;
  added.reserve(dets.size());
  for (size_t n = 0; n < dets.size(); ++n) {
    const CocoDetection& d = dets[n];
    const size_t index = dets_.size() + n;
    check_box(d.bbox, str("CocoEvaluator::add: detection ", index));
    SEEK_CHECK_VALUE(std::isfinite(d.score), "CocoEvaluator::add: detection ", index, ": score is not finite");
    added.push_back(
        Det{d.bbox, d.score,
            category_index(d.category_id, "detection", index) * I + image_index(d.image_id, "detection", index)});
  }
  dets_.insert(dets_.end(), added.begin(), added.end());  // all or nothing
}

CocoMetrics CocoEvaluator::evaluate() const {
  const int64_t I = static_cast<int64_t>(image_ids_.size());
  const int64_t K = static_cast<int64_t>(category_ids_.size());
  CocoMetrics out;
  out.category_ids = category_ids_;
  out.iou_thresholds = linspace(0.5, 0.95, kT);
  out.recall_thresholds = linspace(0.0, 1.0, kR);
  out.precision.assign(static_cast<size_t>(kT * kR * K * kA * kM), -1.0);
  out.scores.assign(out.precision.size(), -1.0);
  out.recall.assign(static_cast<size_t>(kT * K * kA * kM), -1.0);

  // Detections grouped by cell, in the order added (counting sort).
  std::vector<int64_t> det_start(static_cast<size_t>(K * I + 1), 0);
  for (const Det& d : dets_) ++det_start[static_cast<size_t>(d.cell + 1)];
  std::partial_sum(det_start.begin(), det_start.end(), det_start.begin());
  std::vector<int64_t> det_order(dets_.size());
  {
    std::vector<int64_t> fill(det_start.begin(), det_start.end() - 1);
    for (size_t n = 0; n < dets_.size(); ++n)
      det_order[static_cast<size_t>(fill[static_cast<size_t>(dets_[n].cell)]++)] = static_cast<int64_t>(n);
  }
  std::array<double, kT> thr{};
  for (int64_t t = 0; t < kT; ++t) thr[t] = std::min(out.iou_thresholds[static_cast<size_t>(t)], 1 - 1e-10);

  std::vector<Entry> entries;
  std::vector<int64_t> dt;        // a cell's detections, best score first
  std::vector<double> iou;        // [D, G]
  std::vector<int64_t> gt_order;  // non-ignored ground truth first
  std::vector<uint8_t> gt_ignore;
  std::vector<uint16_t> gt_matched;
  std::vector<double> rc, pr, sc;
  for (int64_t k = 0; k < K; ++k) {
    entries.clear();
    std::array<int64_t, kA> npig{};
    for (int64_t i = 0; i < I; ++i) {
      const int64_t cell = k * I + i;
      const Box* g = gts_.data() + gt_cell_start_[static_cast<size_t>(cell)];
      const int64_t G = gt_cell_start_[static_cast<size_t>(cell + 1)] - gt_cell_start_[static_cast<size_t>(cell)];
      dt.assign(det_order.begin() + det_start[static_cast<size_t>(cell)],
                det_order.begin() + det_start[static_cast<size_t>(cell + 1)]);
      if (G == 0 && dt.empty()) continue;
      std::stable_sort(dt.begin(), dt.end(), [&](int64_t a, int64_t b) { return dets_[a].score > dets_[b].score; });
      if (static_cast<int64_t>(dt.size()) > kMaxDet) dt.resize(kMaxDet);
      const int64_t D = static_cast<int64_t>(dt.size());
      // IoU as pycocotools' bbIou (same operations in the same order); a crowd region divides by the
      // detection's area only.
      iou.assign(static_cast<size_t>(D * G), 0.0);
      for (int64_t gi = 0; gi < G; ++gi) {
        const auto& gb = g[gi].bbox;
        const double ga = gb[2] * gb[3];
        for (int64_t di = 0; di < D; ++di) {
          const auto& db = dets_[static_cast<size_t>(dt[static_cast<size_t>(di)])].bbox;
          const double da = db[2] * db[3];
          const double w = std::fmin(db[2] + db[0], gb[2] + gb[0]) - std::fmax(db[0], gb[0]);
          if (w <= 0) continue;
          const double h = std::fmin(db[3] + db[1], gb[3] + gb[1]) - std::fmax(db[1], gb[1]);
          if (h <= 0) continue;
          const double inter = w * h;
          const double uni = g[gi].crowd ? da : da + ga - inter;
          iou[static_cast<size_t>(di * G + gi)] = inter / uni;
        }
      }
      const size_t first = entries.size();
      for (int64_t di = 0; di < D; ++di)
        entries.push_back(Entry{dets_[static_cast<size_t>(dt[static_cast<size_t>(di)])].score, di, {}, {}});
      for (int64_t a = 0; a < kA; ++a) {
        const double lo = kAreaRanges[a][0], hi = kAreaRanges[a][1];
        gt_order.clear();
        gt_ignore.clear();
        for (int pass = 0; pass < 2; ++pass)  // stable sort by the ignore flag
          for (int64_t gi = 0; gi < G; ++gi) {
            const bool ig = g[gi].crowd || g[gi].area < lo || g[gi].area > hi;
            if (ig == (pass == 1)) {
              gt_order.push_back(gi);
              gt_ignore.push_back(ig);
            }
          }
        for (uint8_t ig : gt_ignore) npig[a] += ig ? 0 : 1;
        gt_matched.assign(static_cast<size_t>(G), 0);
        for (int64_t t = 0; t < kT; ++t) {
          const uint16_t bit = static_cast<uint16_t>(1u << t);
          for (int64_t di = 0; di < D; ++di) {
            double best = thr[t];
            int64_t m = -1;
            for (int64_t j = 0; j < G; ++j) {
              const int64_t gi = gt_order[static_cast<size_t>(j)];
              if ((gt_matched[j] & bit) && !g[gi].crowd) continue;  // taken, and not a crowd region
              if (m > -1 && !gt_ignore[m] && gt_ignore[j]) break;   // a real match beats any ignored one
              const double v = iou[static_cast<size_t>(di * G + gi)];
              if (v < best) continue;
              best = v;
              m = j;
            }
            if (m == -1) continue;
            Entry& e = entries[first + static_cast<size_t>(di)];
            e.matched[a] |= bit;
            if (gt_ignore[m]) e.ignored[a] |= bit;
            gt_matched[m] |= bit;
          }
        }
        // Unmatched detections outside the area range are ignored.
        for (int64_t di = 0; di < D; ++di) {
          const auto& db = dets_[static_cast<size_t>(dt[static_cast<size_t>(di)])].bbox;
          const double area = db[2] * db[3];
          if (area < lo || area > hi) {
            Entry& e = entries[first + static_cast<size_t>(di)];
            e.ignored[a] |= static_cast<uint16_t>(~e.matched[a] & ((1u << kT) - 1));
          }
        }
      }
    }
    // accumulate(): all images' detections of category k by score (stable: image order, then rank).
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.score > b.score; });
    for (int64_t a = 0; a < kA; ++a) {
      if (npig[a] == 0) continue;  // no ground truth: precision and recall stay -1
      for (int64_t m = 0; m < kM; ++m) {
        const int64_t max_det = out.max_dets[static_cast<size_t>(m)];
        for (int64_t t = 0; t < kT; ++t) {
          const uint16_t bit = static_cast<uint16_t>(1u << t);
          rc.clear();
          pr.clear();
          sc.clear();
          double tp = 0, fp = 0;
          for (const Entry& e : entries) {
            if (e.rank >= max_det) continue;
            if (!(e.ignored[a] & bit)) (e.matched[a] & bit) ? ++tp : ++fp;
            rc.push_back(tp / static_cast<double>(npig[a]));
            pr.push_back(tp / (fp + tp + kEps));
            sc.push_back(e.score);
          }
          const size_t nd = rc.size();
          out.recall[static_cast<size_t>(((t * K + k) * kA + a) * kM + m)] = nd ? rc.back() : 0.0;
          for (size_t n = nd; n-- > 1;)  // the precision envelope
            if (pr[n] > pr[n - 1]) pr[n - 1] = pr[n];
          // searchsorted(rc, recThrs, 'left'); past the last recall reached the precision stays 0.
          size_t pos = 0;
          for (int64_t r = 0; r < kR; ++r) {
            const double rt = out.recall_thresholds[static_cast<size_t>(r)];
            while (pos < nd && rc[pos] < rt) ++pos;
            const size_t at = static_cast<size_t>((((t * kR + r) * K + k) * kA + a) * kM + m);
            out.precision[at] = pos < nd ? pr[pos] : 0.0;
            out.scores[at] = pos < nd ? sc[pos] : 0.0;
          }
        }
      }
    }
  }

  // summarize()
  auto ap = [&](int64_t t_only, int64_t a, int64_t m) {
    std::vector<double> s;
    for (int64_t t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int64_t r = 0; r < kR; ++r)
        for (int64_t k = 0; k < K; ++k)
          s.push_back(out.precision[static_cast<size_t>((((t * kR + r) * K + k) * kA + a) * kM + m)]);
    }
    return mean_valid(s);
  };
  auto ar = [&](int64_t a, int64_t m) {
    std::vector<double> s;
    for (int64_t t = 0; t < kT; ++t)
      for (int64_t k = 0; k < K; ++k) s.push_back(out.recall[static_cast<size_t>(((t * K + k) * kA + a) * kM + m)]);
    return mean_valid(s);
  };
  out.stats = {ap(-1, 0, 2), ap(0, 0, 2), ap(5, 0, 2), ap(-1, 1, 2), ap(-1, 2, 2), ap(-1, 3, 2),
               ar(0, 0),     ar(0, 1),    ar(0, 2),    ar(1, 2),     ar(2, 2),     ar(3, 2)};
  out.map50_95 = out.stats[0];
  out.map50 = out.stats[1];
  out.map75 = out.stats[2];
  for (int64_t k = 0; k < K; ++k) {
    std::vector<double> all, at50;
    for (int64_t t = 0; t < kT; ++t)
      for (int64_t r = 0; r < kR; ++r) {
        const double p = out.precision[static_cast<size_t>((((t * kR + r) * K + k) * kA + 0) * kM + 2)];
        all.push_back(p);
        if (t == 0) at50.push_back(p);
      }
    out.per_class_ap50_95.push_back(mean_valid(all));
    out.per_class_ap50.push_back(mean_valid(at50));
  }
  return out;
}

}  // namespace seek::vision
