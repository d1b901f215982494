// Detection set statistics and anchor suggestions. k-means runs on plain double arrays
// (boxes x clusters is small: tens of thousands x 9) with the corner-aligned IoU, which needs
// only the widths and heights: IoU = min(w) min(h) / (w1 h1 + w2 h2 - min(w) min(h)).
#include "seek/data/detection_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "detection_rng.h"
#include "seek/core/error.h"
#include "seek/ops/creation.h"

namespace seek::data {
namespace {

double corner_iou(double w1, double h1, double w2, double h2) {
  const double inter = std::min(w1, w2) * std::min(h1, h2);
  return inter / (w1 * h1 + w2 * h2 - inter);
}

std::vector<double> shapes(const Tensor& wh, const char* who, const char* what) {
  SEEK_CHECK_VALUE(wh.defined() && wh.dim() == 2 && wh.size(1) == 2 && wh.is_floating_point(), who, ": ", what,
                   " must be a floating-point [n, 2] tensor of (width, height)");
  auto v = to_vector<double>(wh.to(kCPU, kFloat64));
  for (size_t i = 0; i < v.size(); ++i)
    SEEK_CHECK_VALUE(std::isfinite(v[i]) && v[i] > 0, who, ": ", what, " row ", i / 2, " has a non-positive size ",
                     v[i]);
  return v;
}

Histogram histogram(const std::vector<double>& values, int64_t bins, bool sqrt_scale) {
  Histogram h;
  double top = 0;
  for (double v : values) top = std::max(top, sqrt_scale ? std::sqrt(v) : v);
  top = std::max(1.0, std::ceil(top));
  for (int64_t i = 0; i <= bins; ++i) {
    const double e = top * static_cast<double>(i) / static_cast<double>(bins);
    h.edges.push_back(sqrt_scale ? e * e : e);
  }
  h.counts.assign(static_cast<size_t>(bins), 0);
  for (double v : values) {
    const double x = sqrt_scale ? std::sqrt(v) : v;
    const auto b = std::min(bins - 1, static_cast<int64_t>(x / top * static_cast<double>(bins)));
    ++h.counts[static_cast<size_t>(std::max<int64_t>(0, b))];
  }
  return h;
}

std::string bar(int64_t count, int64_t most, int width = 40) {
  const auto n = most > 0 ? static_cast<int>(std::lround(static_cast<double>(count) * width / most)) : 0;
  return std::string(static_cast<size_t>(n), '#');
}

void print_histogram(std::string& out, const char* title, const Histogram& h, int64_t total) {
  out += title;
  out += "\n";
  const int64_t most = h.counts.empty() ? 0 : *std::max_element(h.counts.begin(), h.counts.end());
  char line[200];
  for (size_t i = 0; i < h.counts.size(); ++i) {
    std::snprintf(line, sizeof line, "  [%7.1f, %7.1f%c %7lld %5.1f%% %s\n", h.edges[i], h.edges[i + 1],
                  i + 1 == h.counts.size() ? ']' : ')', static_cast<long long>(h.counts[i]),
                  total > 0 ? 100.0 * static_cast<double>(h.counts[i]) / static_cast<double>(total) : 0.0,
                  bar(h.counts[i], most).c_str());
    out += line;
  }
}

}  // namespace

DetectionStats detection_stats(const DetectionSet& set, int64_t bins) {
  SEEK_CHECK_VALUE(bins >= 1, "detection_stats: bins must be >= 1, got ", bins);
  DetectionStats s;
  s.class_names = set.class_names;
  s.per_class.assign(set.class_names.size(), 0);
  std::vector<double> widths, heights, areas;
  for (const auto& r : set.records) {
    check_detection_record(r, static_cast<int64_t>(set.class_names.size()), str("detection_stats: ", r.image_path));
    const auto b = to_vector<float>(r.boxes);
    const auto l = to_vector<int64_t>(r.labels);
    ++s.images;
    if (l.empty()) ++s.empty_images;
    if (s.boxes_per_image.size() <= l.size()) s.boxes_per_image.resize(l.size() + 1, 0);
    ++s.boxes_per_image[l.size()];
    for (size_t i = 0; i < l.size(); ++i) {
      const auto c = static_cast<size_t>(l[i]);
      if (s.per_class.size() <= c) s.per_class.resize(c + 1, 0);
      ++s.per_class[c];
      const double w = b[4 * i + 2] - b[4 * i], h = b[4 * i + 3] - b[4 * i + 1];
      widths.push_back(w);
      heights.push_back(h);
      areas.push_back(w * h);
      if (w * h < 32.0 * 32.0)
        ++s.coco_small;
      else if (w * h < 96.0 * 96.0)
        ++s.coco_medium;
      else
        ++s.coco_large;
    }
  }
  s.boxes = static_cast<int64_t>(widths.size());
  if (s.boxes > 0) {
    s.mean_width = std::accumulate(widths.begin(), widths.end(), 0.0) / static_cast<double>(s.boxes);
    s.mean_height = std::accumulate(heights.begin(), heights.end(), 0.0) / static_cast<double>(s.boxes);
  }
  s.width = histogram(widths, bins, false);
  s.height = histogram(heights, bins, false);
  s.area = histogram(areas, bins, true);
  std::vector<float> wh;
  wh.reserve(widths.size() * 2);
  for (size_t i = 0; i < widths.size(); ++i) {
    wh.push_back(static_cast<float>(widths[i]));
    wh.push_back(static_cast<float>(heights[i]));
  }
  s.wh = tensor<float>(wh, {s.boxes, 2});
  return s;
}

std::string DetectionStats::summary() const {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "images %lld (without boxes %lld), boxes %lld, %.2f per image\n",
                static_cast<long long>(images), static_cast<long long>(empty_images), static_cast<long long>(boxes),
                images > 0 ? static_cast<double>(boxes) / static_cast<double>(images) : 0.0);
  out += line;
  out += "boxes per image\n";
  const int64_t most_images =
      boxes_per_image.empty() ? 0 : *std::max_element(boxes_per_image.begin(), boxes_per_image.end());
  for (size_t m = 0; m < boxes_per_image.size(); ++m) {
    if (boxes_per_image[m] == 0) continue;
    std::snprintf(line, sizeof line, "  %3zu %7lld %5.1f%% %s\n", m, static_cast<long long>(boxes_per_image[m]),
                  100.0 * static_cast<double>(boxes_per_image[m]) / static_cast<double>(images),
                  bar(boxes_per_image[m], most_images).c_str());
    out += line;
  }
  out += "boxes per class\n";
  const int64_t most_class = per_class.empty() ? 0 : *std::max_element(per_class.begin(), per_class.end());
  for (size_t c = 0; c < per_class.size(); ++c) {
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    std::snprintf(line, sizeof line, "  %3zu %-14s %7lld %5.1f%% %s\n", c, name.c_str(),
                  static_cast<long long>(per_class[c]),
                  boxes > 0 ? 100.0 * static_cast<double>(per_class[c]) / static_cast<double>(boxes) : 0.0,
                  bar(per_class[c], most_class).c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "mean box %.1f x %.1f px; COCO area ranges: small %lld, medium %lld, large %lld\n",
                mean_width, mean_height, static_cast<long long>(coco_small), static_cast<long long>(coco_medium),
                static_cast<long long>(coco_large));
  out += line;
  print_histogram(out, "box width (px)", width, boxes);
  print_histogram(out, "box height (px)", height, boxes);
  print_histogram(out, "box area (px^2)", area, boxes);
  return out;
}

Tensor kmeans_anchors(const Tensor& wh, int64_t k, uint64_t seed, int64_t iterations) {
  const auto v = shapes(wh, "kmeans_anchors", "wh");
  const auto n = static_cast<int64_t>(v.size() / 2);
  SEEK_CHECK_VALUE(k >= 1 && k <= n, "kmeans_anchors: need 1 <= k <= n boxes (", n, "), got k = ", k);
  SEEK_CHECK_VALUE(iterations >= 0, "kmeans_anchors: iterations must be >= 0, got ", iterations);
  detail::Rng rng(seed);
  auto W = [&](int64_t i) { return v[static_cast<size_t>(2 * i)]; };
  auto H = [&](int64_t i) { return v[static_cast<size_t>(2 * i + 1)]; };
  std::vector<double> cw, ch;
  // best[i]: the best IoU of box i with the chosen centres.
  std::vector<double> best(static_cast<size_t>(n), 0.0);
  auto add_centre = [&](int64_t i) {
    cw.push_back(W(i));
    ch.push_back(H(i));
    for (int64_t j = 0; j < n; ++j) best[j] = std::max(best[j], corner_iou(W(j), H(j), cw.back(), ch.back()));
  };
  // Greedy k-means++ (as scikit-learn): each step draws 2 + log(k) candidates with probability
  // proportional to distance^2 and keeps the one that leaves the smallest total distance^2.
  add_centre(rng.integer(0, n - 1));
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  while (static_cast<int64_t>(cw.size()) < k) {
    double total = 0;
    for (int64_t j = 0; j < n; ++j) total += (1 - best[j]) * (1 - best[j]);
    int64_t chosen = -1;
    double chosen_potential = 0;
    for (int t = 0; t < trials; ++t) {
      int64_t pick = rng.integer(0, n - 1);
      if (total > 0) {
        double target = rng.uniform() * total;
        for (int64_t j = 0; j < n; ++j) {
          target -= (1 - best[j]) * (1 - best[j]);
          if (target < 0) {
            pick = j;
            break;
          }
        }
      }
      double potential = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double d = 1 - std::max(best[j], corner_iou(W(j), H(j), W(pick), H(pick)));
        potential += d * d;
      }
      if (chosen < 0 || potential < chosen_potential) {
        chosen = pick;
        chosen_potential = potential;
      }
    }
    add_centre(chosen);
  }
  std::vector<int64_t> cluster(static_cast<size_t>(n), -1);
  for (int64_t it = 0; it < iterations; ++it) {
    bool changed = false;
    std::vector<double> sw(static_cast<size_t>(k), 0), sh(static_cast<size_t>(k), 0), count(static_cast<size_t>(k), 0);
    for (int64_t j = 0; j < n; ++j) {
      int64_t arg = 0;
      double top = -1;
      for (int64_t c = 0; c < k; ++c) {
        const double iou = corner_iou(W(j), H(j), cw[c], ch[c]);
        if (iou > top) {
          top = iou;
          arg = c;
        }
      }
      best[j] = top;
      changed |= cluster[j] != arg;
      cluster[j] = arg;
      sw[arg] += W(j);
      sh[arg] += H(j);
      count[arg] += 1;
    }
    if (!changed) break;
    for (int64_t c = 0; c < k; ++c) {
      if (count[c] > 0) {
        cw[c] = sw[c] / count[c];
        ch[c] = sh[c] / count[c];
      } else {  // an empty cluster takes the box its centre serves worst
        const auto worst = std::min_element(best.begin(), best.end()) - best.begin();
        cw[c] = W(worst);
        ch[c] = H(worst);
        best[worst] = 1;
      }
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return cw[a] * ch[a] != cw[b] * ch[b] ? cw[a] * ch[a] < cw[b] * ch[b] : cw[a] < cw[b];
  });
  std::vector<float> out;
  for (int64_t c : order) {
    out.push_back(static_cast<float>(cw[c]));
    out.push_back(static_cast<float>(ch[c]));
  }
  return tensor<float>(out, {k, 2});
}

double best_possible_recall(const Tensor& wh, const Tensor& anchors, double ratio_threshold) {
  SEEK_CHECK_VALUE(ratio_threshold > 1, "best_possible_recall: ratio_threshold must be > 1, got ", ratio_threshold);
  const auto v = shapes(wh, "best_possible_recall", "wh");
  const auto a = shapes(anchors, "best_possible_recall", "anchors");
  SEEK_CHECK_VALUE(!a.empty(), "best_possible_recall: no anchors");
  if (v.empty()) return 0.0;
  int64_t hits = 0;
  for (size_t i = 0; i < v.size(); i += 2) {
    double best = 0;  // YOLOv5: per anchor the worse of the two side ratios (as r <= 1), best over anchors
    for (size_t j = 0; j < a.size(); j += 2) {
      const double rw = v[i] / a[j], rh = v[i + 1] / a[j + 1];
      best = std::max(best, std::min(std::min(rw, 1 / rw), std::min(rh, 1 / rh)));
    }
    hits += best > 1 / ratio_threshold;
  }
  return static_cast<double>(hits) / static_cast<double>(v.size() / 2);
}

double mean_best_iou(const Tensor& wh, const Tensor& anchors) {
  const auto v = shapes(wh, "mean_best_iou", "wh");
  const auto a = shapes(anchors, "mean_best_iou", "anchors");
  SEEK_CHECK_VALUE(!a.empty(), "mean_best_iou: no anchors");
  if (v.empty()) return 0.0;
  double sum = 0;
  for (size_t i = 0; i < v.size(); i += 2) {
    double best = 0;
    for (size_t j = 0; j < a.size(); j += 2) best = std::max(best, corner_iou(v[i], v[i + 1], a[j], a[j + 1]));
    sum += best;
  }
  return sum / static_cast<double>(v.size() / 2);
}

std::string anchor_summary(const Tensor& wh, int64_t scales, int64_t per_scale, uint64_t seed, double ratio_threshold) {
  SEEK_CHECK_VALUE(scales >= 1 && per_scale >= 1, "anchor_summary: scales and per_scale must be >= 1");
  const Tensor anchors = kmeans_anchors(wh, scales * per_scale, seed);
  const auto a = to_vector<float>(anchors);
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line,
                "anchors (k-means, IoU distance, k = %lld): mean best IoU %.3f, best possible "
                "recall %.4f (ratio < %.1f)\n",
                static_cast<long long>(scales * per_scale), mean_best_iou(wh, anchors),
                best_possible_recall(wh, anchors, ratio_threshold), ratio_threshold);
  out += line;
  for (int64_t s = 0; s < scales; ++s) {
    std::snprintf(line, sizeof line, "  P%lld/%-3lld", static_cast<long long>(s + 3), 8LL << s);
    out += line;
    for (int64_t j = 0; j < per_scale; ++j) {
      const size_t i = static_cast<size_t>(2 * (s * per_scale + j));
      std::snprintf(line, sizeof line, "  %6.1f,%6.1f", a[i], a[i + 1]);
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace seek::data
