#pragma once
// The greedy NMS kernel shared by nms, batched_nms and non_max_suppression (host only).
//
// Design: the candidates are sorted by score once and copied into flat structure-of-arrays columns
// (x1, y1, x2, y2, precomputed area, class, original index). The greedy pass keeps the first live
// candidate and compacts the live tail in place, keeping only the boxes it does not suppress, so
// every later pass touches only survivors (suppressed boxes are never read again) and the pass ends
// as soon as no candidate is left or max_keep boxes are kept. The IoU is computed exactly as
// torchvision's CPU kernel does (inter / (area_kept + area_other - inter) in the boxes' precision),
// so the decisions match a brute-force reference bit for bit.
//
// Large sets (>= kGridMinBoxes, iou_threshold >= 0, finite coordinates) go through a uniform grid
// instead: each candidate, in score order, is checked only against the kept boxes registered in the
// grid cells it covers. With iou_threshold >= 0 a box can only be suppressed by a box it intersects
// with positive area, and two such boxes always share a cell (the cell of a point inside both), so
// the result is the same as the exhaustive pass while the work per candidate is the number of kept
// boxes nearby rather than the number kept so far.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <limits>
#include <vector>

namespace seek::vision::detail {

template <typename T>
struct NmsCandidates {
  std::vector<T> x1, y1, x2, y2, area;
  std::vector<int64_t> cls;    // empty: class-agnostic
  std::vector<int64_t> index;  // position in the caller's input
  size_t size() const { return index.size(); }
};

// Order of the candidates by decreasing score, stable (ties keep index order), NaN last.
template <typename S>
std::vector<int64_t> score_order(const S* scores, int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [scores](int64_t a, int64_t b) {
    const S sa = scores[a], sb = scores[b];
    if (std::isnan(sb)) return !std::isnan(sa);
    return sa > sb;
  });
  return order;
}

// Gathers the boxes ([n, 4] row-major xyxy) in `order` into columns; cls may be null.
template <typename T>
NmsCandidates<T> gather_candidates(const T* boxes, const int64_t* cls, const std::vector<int64_t>& order) {
  NmsCandidates<T> c;
  const size_t n = order.size();
  for (auto* v : {&c.x1, &c.y1, &c.x2, &c.y2, &c.area}) v->resize(n);
  c.index = order;
  if (cls) c.cls.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const T* b = boxes + 4 * order[k];
    c.x1[k] = b[0], c.y1[k] = b[1], c.x2[k] = b[2], c.y2[k] = b[3];
    c.area[k] = (b[2] - b[0]) * (b[3] - b[1]);
    if (cls) c.cls[k] = cls[order[k]];
  }
  return c;
}

// Greedy suppression over candidates already in score order. Returns the kept entries of c.index.
// Destroys c (the columns are compacted in place).
template <typename T>
std::vector<int64_t> greedy_nms(NmsCandidates<T>& c, double iou_threshold, int64_t max_keep) {
  std::vector<int64_t> keep;
  size_t live = c.size();
  const bool by_class = !c.cls.empty();
  T* x1 = c.x1.data();
  T* y1 = c.y1.data();
  T* x2 = c.x2.data();
  T* y2 = c.y2.data();
  T* area = c.area.data();
  int64_t* cls = by_class ? c.cls.data() : nullptr;
  int64_t* index = c.index.data();
  for (size_t i = 0; i < live; ++i) {
    keep.push_back(index[i]);
    if (max_keep >= 0 && static_cast<int64_t>(keep.size()) >= max_keep) break;
    const T ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
    const int64_t icls = by_class ? cls[i] : 0;
    size_t w = i + 1;  // next slot of the compacted tail
    for (size_t j = i + 1; j < live; ++j) {
      const T xx1 = std::max(ix1, x1[j]), yy1 = std::max(iy1, y1[j]);
      const T xx2 = std::min(ix2, x2[j]), yy2 = std::min(iy2, y2[j]);
      const T iw = std::max(T(0), xx2 - xx1), ih = std::max(T(0), yy2 - yy1);
      const T inter = iw * ih;
      const T ovr = inter / (iarea + area[j] - inter);
      const bool suppressed = ovr > iou_threshold && (!by_class || cls[j] == icls);
      if (!suppressed) {
        if (w != j) {
          x1[w] = x1[j], y1[w] = y1[j], x2[w] = x2[j], y2[w] = y2[j], area[w] = area[j], index[w] = index[j];
          if (by_class) cls[w] = cls[j];
        }
        ++w;
      }
    }
    live = w;
  }
  return keep;
}

inline constexpr size_t kGridMinBoxes = 256;

// The grid pass (see the header comment). Needs iou_threshold >= 0 and finite coordinates.
template <typename T>
std::vector<int64_t> greedy_nms_grid(const NmsCandidates<T>& c, double iou_threshold, int64_t max_keep) {
  const size_t n = c.size();
  const bool by_class = !c.cls.empty();
  T lo_x = std::numeric_limits<T>::max(), lo_y = lo_x, hi_x = std::numeric_limits<T>::lowest(), hi_y = hi_x;
  double side = 0;  // mean box side, for the cell size
  for (size_t k = 0; k < n; ++k) {
    lo_x = std::min({lo_x, c.x1[k], c.x2[k]}), hi_x = std::max({hi_x, c.x1[k], c.x2[k]});
    lo_y = std::min({lo_y, c.y1[k], c.y2[k]}), hi_y = std::max({hi_y, c.y1[k], c.y2[k]});
    side += std::abs(double(c.x2[k]) - double(c.x1[k])) + std::abs(double(c.y2[k]) - double(c.y1[k]));
  }
  side = std::max(side / double(2 * n), 1e-12);
  // Cells about twice the mean side, at most 64 per axis: a typical box covers one to four cells.
  const double ext_x = double(hi_x) - double(lo_x), ext_y = double(hi_y) - double(lo_y);
  const int64_t gx = std::max<int64_t>(1, static_cast<int64_t>(std::min(ext_x / (2 * side), 64.0)));
  const int64_t gy = std::max<int64_t>(1, static_cast<int64_t>(std::min(ext_y / (2 * side), 64.0)));
  const double sx = ext_x > 0 ? double(gx) / ext_x : 0, sy = ext_y > 0 ? double(gy) / ext_y : 0;
  // Monotone in the coordinate, so intervals that overlap share a cell.
  auto cell_x = [&](T x) {
    return std::min<int64_t>(static_cast<int64_t>(std::min((double(x) - lo_x) * sx, 64.0)), gx - 1);
  };
  auto cell_y = [&](T y) {
    return std::min<int64_t>(static_cast<int64_t>(std::min((double(y) - lo_y) * sy, 64.0)), gy - 1);
  };
  std::vector<std::vector<uint32_t>> cells(static_cast<size_t>(gx * gy));
  std::vector<int64_t> keep;
  for (size_t i = 0; i < n; ++i) {
    const T ix1 = c.x1[i], iy1 = c.y1[i], ix2 = c.x2[i], iy2 = c.y2[i], iarea = c.area[i];
    const int64_t cx0 = cell_x(ix1), cx1 = cell_x(ix2), cy0 = cell_y(iy1), cy1 = cell_y(iy2);
    bool suppressed = false;
    for (int64_t gyi = cy0; gyi <= cy1 && !suppressed; ++gyi) {
      for (int64_t gxi = cx0; gxi <= cx1 && !suppressed; ++gxi) {
        for (uint32_t k : cells[static_cast<size_t>(gyi * gx + gxi)]) {
          if (by_class && c.cls[k] != c.cls[i]) continue;
          // The kept box plays torchvision's "i" (its area first), as in greedy_nms.
          const T xx1 = std::max(c.x1[k], ix1), yy1 = std::max(c.y1[k], iy1);
          const T xx2 = std::min(c.x2[k], ix2), yy2 = std::min(c.y2[k], iy2);
          const T iw = std::max(T(0), xx2 - xx1), ih = std::max(T(0), yy2 - yy1);
          const T inter = iw * ih;
          if (inter / (c.area[k] + iarea - inter) > iou_threshold) {
            suppressed = true;
            break;
          }
        }
      }
    }
    if (suppressed) continue;
    keep.push_back(c.index[i]);
    if (max_keep >= 0 && static_cast<int64_t>(keep.size()) >= max_keep) break;
    for (int64_t gyi = cy0; gyi <= cy1; ++gyi)
      for (int64_t gxi = cx0; gxi <= cx1; ++gxi) cells[static_cast<size_t>(gyi * gx + gxi)].push_back(uint32_t(i));
  }
  return keep;
}

// Picks the grid pass where it is exact and worth it, else the compacting pass.
template <typename T>
std::vector<int64_t> run_greedy_nms(NmsCandidates<T>& c, double iou_threshold, int64_t max_keep) {
  bool grid = c.size() >= kGridMinBoxes && iou_threshold >= 0 && c.size() < (size_t(1) << 32);
  for (size_t k = 0; grid && k < c.size(); ++k)
    grid = std::isfinite(c.x1[k]) && std::isfinite(c.y1[k]) && std::isfinite(c.x2[k]) && std::isfinite(c.y2[k]);
  return grid ? greedy_nms_grid(c, iou_threshold, max_keep) : greedy_nms(c, iou_threshold, max_keep);
}

}  // namespace seek::vision::detail
