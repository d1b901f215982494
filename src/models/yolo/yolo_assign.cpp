// YoloLoss's target assigners (see yolo_assign.h). The ratio assigner repeats YOLOv5's build_targets
// decision for decision, in float like YOLOv5, as loops over the targets on the host; SimOTA gathers
// only its candidates' prediction rows and scores them with tensor ops, then picks on the host.
#include "seek/models/yolo/yolo_assign.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include "seek/autograd/grad_mode.h"
#include "seek/nn/loss.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"

namespace seek::models::yolo {

namespace {

struct Match {
  int64_t b, a, gj, gi, cls;
  float tx, ty, tw, th;
};

// The dtype the loss computes in: the predictions' own when float32/float64, else float32.
DType compute_dtype(DType d) { return d == kFloat64 ? kFloat64 : kFloat32; }

// Matches per scale -> the Assigned tensors on the predictions' device; the anchor of each match is
// gathered from out.anchors (differentiable) and divided by the stride (grid units).
YoloLoss::Assigned pack(const YoloOutput& out, const YoloGeometry& geo, const std::vector<std::vector<Match>>& scales) {
  YoloLoss::Assigned r;
  for (size_t i = 0; i < scales.size(); ++i) {
    const auto& ms = scales[i];
    const auto n = static_cast<int64_t>(ms.size());
    std::vector<int64_t> b, a, gj, gi, c, ba;
    std::vector<float> tb;
    tb.reserve(ms.size() * 4);
    for (const auto& m : ms) {
      b.push_back(m.b), a.push_back(m.a), gj.push_back(m.gj), gi.push_back(m.gi), c.push_back(m.cls);
      ba.push_back(m.b * geo.num_anchors + m.a);
      tb.insert(tb.end(), {m.tx, m.ty, m.tw, m.th});
    }
    Device dev = out.preds[i].device();
    r.b.push_back(tensor(b, {n}).to(dev));
    r.a.push_back(tensor(a, {n}).to(dev));
    r.gj.push_back(tensor(gj, {n}).to(dev));
    r.gi.push_back(tensor(gi, {n}).to(dev));
    r.tcls.push_back(tensor(c, {n}).to(dev));
    r.tbox.push_back(tensor(tb, {n, 4}).to(dev, compute_dtype(out.preds[i].dtype())));
    Tensor anchors = out.anchors[i].reshape({geo.batch * geo.num_anchors, 2});
    r.anch.push_back(anchors.index_select(0, tensor(ba, {n}).to(dev)) / static_cast<double>(geo.stride[i]));
  }
  return r;
}

// YOLOv5's shape test: the larger of w/aw, aw/w, h/ah, ah/h below anchor_t.
bool ratio_ok(float gw, float gh, float aw, float ah, double anchor_t) {
  float rw = gw / aw, rh = gh / ah;
  return std::max(std::max(rw, 1.0f / rw), std::max(rh, 1.0f / rh)) < static_cast<float>(anchor_t);
}

}  // namespace

YoloGeometry check_yolo_output(const YoloOutput& out, int64_t num_classes, int64_t image_size) {
  const size_t nl = out.preds.size();
  SEEK_CHECK_T(ValueError, nl >= 1, "YoloLoss: YoloOutput has no scales (preds is empty)");
  SEEK_CHECK_T(ValueError, out.anchors.size() == nl && out.strides.size() == nl, "YoloLoss: YoloOutput has ", nl,
               " preds but ", out.anchors.size(), " anchors and ", out.strides.size(), " strides");
  SEEK_CHECK_T(ValueError, image_size > 0, "YoloLoss: image_size must be positive, got ", image_size);
  YoloGeometry g;
  for (size_t i = 0; i < nl; ++i) {
    const Tensor& p = out.preds[i];
    const Tensor& an = out.anchors[i];
    SEEK_CHECK_T(ShapeError, p.defined() && p.dim() == 5, "YoloLoss: preds[", i, "] must be [B, A, H, W, 5 + nc], got ",
                 p.defined() ? shape_str(p.sizes()) : "undefined");
    SEEK_CHECK_T(DTypeError, p.is_floating_point(), "YoloLoss: preds[", i, "] must be floating, got ",
                 dtype_name(p.dtype()));
    if (i == 0) g.batch = p.size(0), g.num_anchors = p.size(1), g.num_outputs = p.size(4);
    SEEK_CHECK_T(ShapeError, p.size(0) == g.batch && p.size(1) == g.num_anchors, "YoloLoss: preds[", i, "] is ",
                 shape_str(p.sizes()), " but preds[0] has B = ", g.batch, ", A = ", g.num_anchors);
    SEEK_CHECK_T(ShapeError, p.size(4) == 5 + num_classes, "YoloLoss: preds[", i, "] has ", p.size(4),
                 " outputs per anchor, expected 5 + num_classes = ", 5 + num_classes);
    SEEK_CHECK_T(
        ShapeError,
        an.defined() && an.dim() == 3 && an.size(0) == g.batch && an.size(1) == g.num_anchors && an.size(2) == 2,
        "YoloLoss: anchors[", i, "] must be [B, A, 2] = [", g.batch, ", ", g.num_anchors, ", 2], got ",
        an.defined() ? shape_str(an.sizes()) : "undefined");
    SEEK_CHECK_T(DeviceError, an.device() == p.device(), "YoloLoss: anchors[", i, "] is on ", an.device().str(),
                 " but preds[", i, "] on ", p.device().str());
    const int64_t s = out.strides[i];
    SEEK_CHECK_T(ValueError, s > 0 && p.size(2) * s == image_size && p.size(3) * s == image_size, "YoloLoss: scale ", i,
                 " has a ", p.size(2), "x", p.size(3), " grid at stride ", s, ", which does not cover the ", image_size,
                 "x", image_size, " image");
    g.height.push_back(p.size(2)), g.width.push_back(p.size(3)), g.stride.push_back(s);
    std::vector<float> ag = to_vector<float>(an.detach());
    for (auto& v : ag) {
      SEEK_CHECK_T(ValueError, std::isfinite(v) && v > 0, "YoloLoss: anchors[", i,
                   "] holds a non-positive or non-finite size ", v);
      v /= static_cast<float>(s);
    }
    g.anchors_grid.push_back(std::move(ag));
  }
  return g;
}

std::vector<TargetRow> check_yolo_targets(const Tensor& targets, int64_t batch, int64_t num_classes) {
  SEEK_CHECK_T(ShapeError, targets.defined() && targets.dim() == 2 && targets.size(1) == 6,
               "YoloLoss: targets must be [T, 6] (batch index, class, cx, cy, w, h), got ",
               targets.defined() ? shape_str(targets.sizes()) : "undefined");
  const std::vector<double> v = to_vector<double>(targets.detach());
  constexpr double kTol = 0.01;  // clipped boxes may round a hair past the border
  std::vector<TargetRow> rows(static_cast<size_t>(targets.size(0)));
  for (size_t r = 0; r < rows.size(); ++r) {
    const double* t = &v[r * 6];
    for (int k = 0; k < 6; ++k)
      SEEK_CHECK_T(ValueError, std::isfinite(t[k]), "YoloLoss: targets row ", r, " is not finite");
    SEEK_CHECK_T(ValueError, t[0] == std::floor(t[0]) && t[0] >= 0 && t[0] < static_cast<double>(batch),
                 "YoloLoss: targets row ", r, " has batch index ", t[0], ", expected an integer in [0, ", batch, ")");
    SEEK_CHECK_T(ValueError, t[1] == std::floor(t[1]) && t[1] >= 0 && t[1] < static_cast<double>(num_classes),
                 "YoloLoss: targets row ", r, " has class ", t[1], ", expected an integer in [0, ", num_classes, ")");
    SEEK_CHECK_T(ValueError, t[4] > 0 && t[5] > 0, "YoloLoss: targets row ", r, " has a non-positive size (w ", t[4],
                 ", h ", t[5], ")");
    SEEK_CHECK_T(
        ValueError,
        t[2] >= -kTol && t[2] <= 1 + kTol && t[3] >= -kTol && t[3] <= 1 + kTol && t[4] <= 1 + kTol && t[5] <= 1 + kTol,
        "YoloLoss: targets row ", r, " (cx ", t[2], ", cy ", t[3], ", w ", t[4], ", h ", t[5],
        ") is not normalised by the image size (expected values in [0, 1])");
    rows[r] = TargetRow{static_cast<int64_t>(t[0]), static_cast<int64_t>(t[1]), static_cast<float>(t[2]),
                        static_cast<float>(t[3]),   static_cast<float>(t[4]),   static_cast<float>(t[5])};
  }
  return rows;
}

YoloLoss::Assigned assign_ratio(const YoloOutput& out, const YoloGeometry& geo, const std::vector<TargetRow>& targets,
                                double anchor_t) {
  const int64_t na = geo.num_anchors;
  std::vector<std::vector<Match>> scales(geo.height.size());
  for (size_t i = 0; i < scales.size(); ++i) {
    const auto W = static_cast<float>(geo.width[i]), H = static_cast<float>(geo.height[i]);
    const auto& ag = geo.anchors_grid[i];
    // (anchor, target) pairs passing the shape test, anchor-major like YOLOv5's t[j] over (na, nt).
    std::vector<std::pair<int64_t, size_t>> pass;
    for (int64_t a = 0; a < na; ++a)
      for (size_t t = 0; t < targets.size(); ++t) {
        const TargetRow& tr = targets[t];
        const float* an = &ag[static_cast<size_t>((tr.image * na + a) * 2)];
        if (ratio_ok(tr.w * W, tr.h * H, an[0], an[1], anchor_t)) pass.emplace_back(a, t);
      }
    // Offsets (0,0), (1,0), (0,1), (-1,0), (0,-1) times g = 0.5: the own cell, then the left, upper,
    // right and lower neighbours, each taken when the centre lies in that half of its cell and the
    // neighbour is inside the grid (gxy > 1, resp. the distance to the far edge > 1).
    auto& ms = scales[i];
    for (int o = 0; o < 5; ++o)
      for (const auto& [a, t] : pass) {
        const TargetRow& tr = targets[t];
        const float gx = tr.cx * W, gy = tr.cy * H, gxi = W - gx, gyi = H - gy;
        float ox = 0, oy = 0;
        if (o == 1) {
          if (!(std::fmod(gx, 1.0f) < 0.5f && gx > 1)) continue;
          ox = 0.5f;
        } else if (o == 2) {
          if (!(std::fmod(gy, 1.0f) < 0.5f && gy > 1)) continue;
          oy = 0.5f;
        } else if (o == 3) {
          if (!(std::fmod(gxi, 1.0f) < 0.5f && gxi > 1)) continue;
          ox = -0.5f;
        } else if (o == 4) {
          if (!(std::fmod(gyi, 1.0f) < 0.5f && gyi > 1)) continue;
          oy = -0.5f;
        }
        // .long() truncates; the cell is clamped into the grid (a centre on the far border).
        const int64_t gi = std::clamp<int64_t>(static_cast<int64_t>(gx - ox), 0, geo.width[i] - 1);
        const int64_t gj = std::clamp<int64_t>(static_cast<int64_t>(gy - oy), 0, geo.height[i] - 1);
        ms.push_back(Match{tr.image, a, gj, gi, tr.cls, gx - static_cast<float>(gi), gy - static_cast<float>(gj),
                           tr.w * W, tr.h * H});
      }
  }
  return pack(out, geo, scales);
}

YoloLoss::Assigned assign_simota(const YoloOutput& out, const YoloGeometry& geo, const std::vector<TargetRow>& targets,
                                 double anchor_t, double radius, int64_t topk, double iou_weight) {
  SEEK_CHECK_T(ValueError, radius > 0 && topk >= 1 && iou_weight >= 0,
               "YoloLoss: simota needs radius > 0, topk >= 1 and iou_weight >= 0");
  const int64_t na = geo.num_anchors, nc = geo.num_outputs - 5;
  const size_t nl = geo.height.size();
  struct Cand {
    size_t t;
    size_t scale;
    int64_t a, gj, gi;
  };
  // Candidates, target-major: every scale, every anchor passing the shape test, every cell of the centre region.
  std::vector<Cand> cands;
  std::vector<size_t> first(targets.size() + 1, 0);
  for (size_t t = 0; t < targets.size(); ++t) {
    first[t] = cands.size();
    const TargetRow& tr = targets[t];
    for (size_t i = 0; i < nl; ++i) {
      const auto W = static_cast<float>(geo.width[i]), H = static_cast<float>(geo.height[i]);
      const float gx = tr.cx * W, gy = tr.cy * H;
      const auto lo_i = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(gx - 0.5 - radius)));
      const auto hi_i = std::min<int64_t>(geo.width[i] - 1, static_cast<int64_t>(std::floor(gx - 0.5 + radius)));
      const auto lo_j = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(gy - 0.5 - radius)));
      const auto hi_j = std::min<int64_t>(geo.height[i] - 1, static_cast<int64_t>(std::floor(gy - 0.5 + radius)));
      for (int64_t a = 0; a < na; ++a) {
        const float* an = &geo.anchors_grid[i][static_cast<size_t>((tr.image * na + a) * 2)];
        if (!ratio_ok(tr.w * W, tr.h * H, an[0], an[1], anchor_t)) continue;
        for (int64_t gj = lo_j; gj <= hi_j; ++gj)
          for (int64_t gi = lo_i; gi <= hi_i; ++gi) cands.push_back(Cand{t, i, a, gj, gi});
      }
    }
  }
  first[targets.size()] = cands.size();

  // Costs with tensor ops, one gather per scale.
  std::vector<double> iou(cands.size()), cost(cands.size());
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < nl; ++i) {
      std::vector<size_t> ids;
      std::vector<int64_t> flat, ba;
      std::vector<float> grid, gbox, onehot;
      const int64_t H = geo.height[i], W = geo.width[i];
      const double S = static_cast<double>(W * geo.stride[i]);
      for (size_t k = 0; k < cands.size(); ++k) {
        const Cand& c = cands[k];
        if (c.scale != i) continue;
        const TargetRow& tr = targets[c.t];
        ids.push_back(k);
        flat.push_back(((tr.image * na + c.a) * H + c.gj) * W + c.gi);
        ba.push_back(tr.image * na + c.a);
        grid.insert(grid.end(), {static_cast<float>(c.gi), static_cast<float>(c.gj)});
        gbox.insert(gbox.end(), {static_cast<float>(tr.cx * S), static_cast<float>(tr.cy * S),
                                 static_cast<float>(tr.w * S), static_cast<float>(tr.h * S)});
        for (int64_t q = 0; q < nc; ++q) onehot.push_back(q == tr.cls ? 1.0f : 0.0f);
      }
      if (ids.empty()) continue;
      const auto n = static_cast<int64_t>(ids.size());
      const Tensor& p = out.preds[i];
      Device dev = p.device();
      DType dt = compute_dtype(p.dtype());
      Tensor rows = p.detach().reshape({-1, geo.num_outputs}).index_select(0, tensor(flat, {n}).to(dev)).to(dt);
      Tensor anchor_px = out.anchors[i].detach().reshape({-1, 2}).index_select(0, tensor(ba, {n}).to(dev)).to(dt);
      const auto s = static_cast<double>(geo.stride[i]);
      Tensor pxy = (rows.narrow(1, 0, 2).sigmoid() * 2.0 - 0.5 + tensor(grid, {n, 2}).to(dev, dt)) * s;
      Tensor pwh = (rows.narrow(1, 2, 2).sigmoid() * 2.0).pow(2) * anchor_px;
      Tensor ious = vision::bbox_iou(cat({pxy, pwh}, 1), tensor(gbox, {n, 4}).to(dev, dt), true, vision::IouType::IoU);
      Tensor cls_cost = nn::functional::binary_cross_entropy_with_logits(
                            rows.narrow(1, 5, nc), tensor(onehot, {n, nc}).to(dev, dt), Tensor(), "none")
                            .sum(1);
      const std::vector<double> iv = to_vector<double>(ious), cv = to_vector<double>(cls_cost);
      for (size_t k = 0; k < ids.size(); ++k) {
        iou[ids[k]] = iv[k];
        cost[ids[k]] = cv[k] + iou_weight * (1.0 - iv[k]);
      }
    }
  }

  // Per target: dynamic k cheapest candidates; a cell wanted by several targets goes to the cheapest.
  std::map<std::array<int64_t, 5>, size_t> owner;  // (scale, b, a, gj, gi) -> candidate
  for (size_t t = 0; t < targets.size(); ++t) {
    const size_t lo = first[t], hi = first[t + 1];
    if (lo == hi) continue;
    std::vector<size_t> order(hi - lo);
    std::iota(order.begin(), order.end(), lo);
    std::vector<double> top;
    for (size_t k = lo; k < hi; ++k) top.push_back(iou[k]);
    std::sort(top.begin(), top.end(), std::greater<>());
    double sum = 0;
    for (size_t q = 0; q < top.size() && q < static_cast<size_t>(topk); ++q) sum += std::max(0.0, top[q]);
    const size_t k = std::min(order.size(), std::max<size_t>(1, static_cast<size_t>(std::floor(sum))));
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return cost[x] < cost[y]; });
    for (size_t q = 0; q < k; ++q) {
      const Cand& c = cands[order[q]];
      std::array<int64_t, 5> key{static_cast<int64_t>(c.scale), targets[t].image, c.a, c.gj, c.gi};
      auto it = owner.find(key);
      if (it == owner.end())
        owner.emplace(key, order[q]);
      else if (cost[order[q]] < cost[it->second])
        it->second = order[q];
    }
  }
  std::vector<size_t> winners;
  for (const auto& [key, k] : owner) winners.push_back(k);
  std::sort(winners.begin(), winners.end());  // target-major, then the candidate order
  std::vector<std::vector<Match>> scales(nl);
  for (size_t k : winners) {
    const Cand& c = cands[k];
    const TargetRow& tr = targets[c.t];
    const auto W = static_cast<float>(geo.width[c.scale]), H = static_cast<float>(geo.height[c.scale]);
    const float gx = tr.cx * W, gy = tr.cy * H;
    scales[c.scale].push_back(Match{tr.image, c.a, c.gj, c.gi, tr.cls, gx - static_cast<float>(c.gi),
                                    gy - static_cast<float>(c.gj), tr.w * W, tr.h * H});
  }
  return pack(out, geo, scales);
}

}  // namespace seek::models::yolo
