// YoloLoss: YOLOv5's ComputeLoss over YoloOutput. Per scale the matched prediction rows are one
// index_select of the flattened [B*A*H*W, 5+nc] predictions (a flat cell index per match), the
// objectness target is a zero vector with the detached IoUs put at the matched cells (for a cell
// matched twice the last match wins, as YOLOv5's tobj[b, a, gj, gi] = iou; deduplicated on the host
// so it holds on every device), and the class targets are built on the host.
#include "seek/models/yolo/yolo_loss.h"

#include <cmath>
#include <unordered_map>

#include "seek/models/yolo/yolo_assign.h"
#include "seek/nn/loss.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"

namespace seek::models::yolo {

YoloLoss::YoloLoss(YoloLossOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  SEEK_CHECK_T(ValueError, o.num_classes >= 1, "YoloLoss: num_classes must be >= 1, got ", o.num_classes);
  SEEK_CHECK_T(ValueError, o.assigner == "ratio" || o.assigner == "simota", "YoloLoss: assigner '", o.assigner,
               "' is not one of ratio, simota");
  SEEK_CHECK_T(ValueError, o.anchor_t > 1, "YoloLoss: anchor_t must be > 1, got ", o.anchor_t);
  SEEK_CHECK_T(ValueError, o.label_smoothing >= 0 && o.label_smoothing < 1,
               "YoloLoss: label_smoothing must be in [0, 1), got ", o.label_smoothing);
  SEEK_CHECK_T(ValueError, o.iou_ratio >= 0 && o.iou_ratio <= 1, "YoloLoss: iou_ratio must be in [0, 1], got ",
               o.iou_ratio);
  SEEK_CHECK_T(ValueError, o.box >= 0 && o.obj >= 0 && o.cls >= 0, "YoloLoss: box, obj, cls gains must be >= 0");
  SEEK_CHECK_T(ValueError, o.reference_image_size > 0, "YoloLoss: reference_image_size must be positive");
}

std::vector<double> YoloLoss::gains(int64_t num_scales, int64_t image_size) const {
  const auto& o = options_;
  if (!o.scale_hyp) return {o.box, o.obj, o.cls};
  const double per_layer = 3.0 / static_cast<double>(num_scales);
  const double img = static_cast<double>(image_size) / o.reference_image_size;
  return {o.box * per_layer, o.obj * img * img * per_layer,
          o.cls * static_cast<double>(o.num_classes) / 80.0 * per_layer};
}

YoloLoss::Assigned YoloLoss::assign(const YoloOutput& out, const Tensor& targets, int64_t image_size) const {
  const YoloGeometry geo = check_yolo_output(out, options_.num_classes, image_size);
  const std::vector<TargetRow> rows = check_yolo_targets(targets, geo.batch, options_.num_classes);
  if (options_.assigner == "simota")
    return assign_simota(out, geo, rows, options_.anchor_t, options_.simota_radius, options_.simota_topk,
                         options_.simota_iou_weight);
  return assign_ratio(out, geo, rows, options_.anchor_t);
}

YoloLossItems YoloLoss::operator()(const YoloOutput& out, const Tensor& targets) const {
  const auto& o = options_;
  SEEK_CHECK_T(ValueError,
               !out.preds.empty() && !out.strides.empty() && out.preds[0].defined() && out.preds[0].dim() == 5,
               "YoloLoss: YoloOutput needs preds [B, A, H, W, 5 + nc] and strides per scale");
  const int64_t nl = static_cast<int64_t>(out.preds.size());
  SEEK_CHECK_T(ValueError, static_cast<int64_t>(o.balance.size()) == nl, "YoloLoss: balance has ", o.balance.size(),
               " weights but the output has ", nl, " scales");
  const int64_t image_size = out.preds[0].size(3) * out.strides[0];
  const Assigned as = assign(out, targets, image_size);
  const int64_t nc = o.num_classes, no = 5 + nc;
  const double cp = 1.0 - 0.5 * o.label_smoothing, cn = 0.5 * o.label_smoothing;  // smooth_BCE

  const DType dt = out.preds[0].dtype() == kFloat64 ? kFloat64 : kFloat32;
  const Device dev = out.preds[0].device();
  Tensor lbox = zeros({}, TensorOptions(dt).device(dev));
  Tensor lobj = lbox, lcls = lbox;
  for (int64_t i = 0; i < nl; ++i) {
    Tensor pi = out.preds[static_cast<size_t>(i)].to(dt);
    const int64_t B = pi.size(0), A = pi.size(1), H = pi.size(2), W = pi.size(3);
    Tensor tobj = zeros({B * A * H * W}, TensorOptions(dt).device(dev));
    const int64_t n = as.b[static_cast<size_t>(i)].size(0);
    if (n > 0) {
      // flat cell index of every match, and the last match of each cell for the objectness target
      const auto b = to_vector<int64_t>(as.b[i]), a = to_vector<int64_t>(as.a[i]);
      const auto gj = to_vector<int64_t>(as.gj[i]), gi = to_vector<int64_t>(as.gi[i]);
      const auto cls = to_vector<int64_t>(as.tcls[i]);
      std::vector<int64_t> flat(static_cast<size_t>(n));
      std::unordered_map<int64_t, int64_t> last;
      for (int64_t k = 0; k < n; ++k) {
        flat[k] = ((b[k] * A + a[k]) * H + gj[k]) * W + gi[k];
        last[flat[k]] = k;
      }
      Tensor rows = pi.reshape({-1, no}).index_select(0, tensor(flat, {n}).to(dev));  // [n, 5 + nc]
      Tensor pxy = rows.narrow(1, 0, 2).sigmoid() * 2.0 - 0.5;
      Tensor pwh = (rows.narrow(1, 2, 2).sigmoid() * 2.0).pow(2) * as.anch[i].to(dt);
      Tensor iou = vision::bbox_iou(cat({pxy, pwh}, 1), as.tbox[i], true, o.iou_type);  // [n]
      lbox = lbox + (1.0 - iou).mean();

      std::vector<int64_t> keep, cells;
      for (int64_t k = 0; k < n; ++k)
        if (last[flat[k]] == k) keep.push_back(k), cells.push_back(flat[k]);
      const auto nk = static_cast<int64_t>(keep.size());
      Tensor score = iou.detach().clamp_min(0).index_select(0, tensor(keep, {nk}).to(dev));
      if (o.iou_ratio < 1) score = score * o.iou_ratio + (1.0 - o.iou_ratio);
      tobj.index_put_({tensor(cells, {nk}).to(dev)}, score);

      if (nc > 1) {  // YOLOv5 skips the class loss for a single class
        std::vector<double> t(static_cast<size_t>(n * nc), cn);
        for (int64_t k = 0; k < n; ++k) t[k * nc + cls[k]] = cp;
        lcls = lcls +
               nn::functional::binary_cross_entropy_with_logits(rows.narrow(1, 5, nc), tensor(t, {n, nc}).to(dev, dt));
      }
    }
    Tensor obj_logits = pi.select(-1, 4).reshape({-1});
    lobj = lobj + nn::functional::binary_cross_entropy_with_logits(obj_logits, tobj) * o.balance[i];
  }
  const std::vector<double> g = gains(nl, image_size);
  lbox = lbox * g[0], lobj = lobj * g[1], lcls = lcls * g[2];
  YoloLossItems items;
  const auto bs = static_cast<double>(out.preds[0].size(0));
  items.loss = (lbox + lobj + lcls) * bs;
  items.box = lbox.item<double>(), items.obj = lobj.item<double>(), items.cls = lcls.item<double>();
  return items;
}

}  // namespace seek::models::yolo
