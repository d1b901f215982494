// YOLOv5's non_max_suppression (utils/general.py) on the host: one pass over each image's rows
// builds the candidates (objectness filter, conf = obj * cls, cxcywh -> xyxy), then the candidates
// are sorted once, cut to max_nms, and the class-aware greedy kernel of nms_core.h keeps at most
// max_det of them. Classes are compared directly instead of offsetting boxes by class * 7680.
#include <cmath>

#include "seek/ops/creation.h"
#include "seek/vision/nms.h"
#include "vision/nms_core.h"

namespace seek::vision {
namespace {

struct Candidate {
  float box[4];
  float conf;
  int64_t cls;
};

void check_options(const NmsOptions& o) {
  SEEK_CHECK_VALUE(o.conf_threshold >= 0 && o.conf_threshold <= 1,
                   "non_max_suppression: conf_threshold must lie in [0, 1], got ", o.conf_threshold);
  SEEK_CHECK_VALUE(o.iou_threshold >= 0 && o.iou_threshold <= 1,
                   "non_max_suppression: iou_threshold must lie in [0, 1], got ", o.iou_threshold);
  SEEK_CHECK_VALUE(o.max_det >= 0, "non_max_suppression: max_det must not be negative, got ", o.max_det);
  SEEK_CHECK_VALUE(o.max_nms >= 0, "non_max_suppression: max_nms must not be negative, got ", o.max_nms);
}

// The candidates of one image's rows p [n, 5 + nc], in row order (then class order).
std::vector<Candidate> image_candidates(const float* p, int64_t n, int64_t nc, const NmsOptions& o, bool multi_label) {
  std::vector<Candidate> out;
  const float conf_t = static_cast<float>(o.conf_threshold);  // torch compares in the tensor's float32
  for (int64_t r = 0; r < n; ++r) {
    const float* row = p + r * (5 + nc);
    const float obj = row[4];
    if (!(obj > conf_t)) continue;
    Candidate c;
    c.box[0] = row[0] - row[2] / 2, c.box[1] = row[1] - row[3] / 2;
    c.box[2] = row[0] + row[2] / 2, c.box[3] = row[1] + row[3] / 2;
    if (multi_label) {
      for (int64_t k = 0; k < nc; ++k) {
        const float conf = row[5 + k] * obj;
        if (conf > conf_t) out.push_back({{c.box[0], c.box[1], c.box[2], c.box[3]}, conf, k});
      }
    } else {
      int64_t best = 0;
      float best_conf = row[5] * obj;
      for (int64_t k = 1; k < nc; ++k) {  // the first maximum, as torch.max(dim)
        const float conf = row[5 + k] * obj;
        if (conf > best_conf || (std::isnan(conf) && !std::isnan(best_conf))) best_conf = conf, best = k;
      }
      if (best_conf > conf_t) c.conf = best_conf, c.cls = best, out.push_back(c);
    }
  }
  return out;
}

Tensor suppress_image(const std::vector<Candidate>& cands, const NmsOptions& o, Device device) {
  std::vector<float> conf(cands.size());
  for (size_t k = 0; k < cands.size(); ++k) conf[k] = cands[k].conf;
  std::vector<int64_t> order = detail::score_order(conf.data(), static_cast<int64_t>(cands.size()));
  if (static_cast<int64_t>(order.size()) > o.max_nms) order.resize(static_cast<size_t>(o.max_nms));
  std::vector<float> boxes(4 * cands.size());
  std::vector<int64_t> cls(cands.size());
  for (size_t k = 0; k < cands.size(); ++k) {
    std::copy(cands[k].box, cands[k].box + 4, boxes.begin() + 4 * k);
    cls[k] = cands[k].cls;
  }
  auto columns = detail::gather_candidates(boxes.data(), o.agnostic ? nullptr : cls.data(), order);
  const std::vector<int64_t> keep = detail::run_greedy_nms(columns, o.iou_threshold, o.max_det);
  std::vector<float> rows;
  rows.reserve(6 * keep.size());
  for (int64_t i : keep) {
    const Candidate& c = cands[static_cast<size_t>(i)];
    rows.insert(rows.end(), {c.box[0], c.box[1], c.box[2], c.box[3], c.conf, static_cast<float>(c.cls)});
  }
  const int64_t k = static_cast<int64_t>(keep.size());
  return tensor(std::move(rows), Shape{k, 6}, TensorOptions(kFloat32)).to(device);
}

}  // namespace

std::vector<Tensor> non_max_suppression(const Tensor& prediction, const NmsOptions& options) {
  SEEK_CHECK_VALUE(prediction.defined(), "non_max_suppression: prediction is an undefined tensor");
  SEEK_CHECK_SHAPE(prediction.dim() == 3 && prediction.size(2) >= 6,
                   "non_max_suppression: prediction must have shape [B, N, 5 + nc] with nc >= 1, got ",
                   shape_str(prediction.sizes()));
  SEEK_CHECK_DTYPE(prediction.is_floating_point(), "non_max_suppression: prediction must be floating, got ",
                   dtype_name(prediction.dtype()));
  check_options(options);
  const int64_t batch = prediction.size(0), n = prediction.size(1), nc = prediction.size(2) - 5;
  const bool multi_label = options.multi_label && nc > 1;  // as YOLOv5: one class needs no per-class rows
  const Tensor p = prediction.detach().to(kCPU, kFloat32).contiguous();
  const float* data = p.data_ptr<float>();
  std::vector<Tensor> out;
  out.reserve(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    const auto cands = image_candidates(data + b * n * (5 + nc), n, nc, options, multi_label);
    out.push_back(suppress_image(cands, options, prediction.device()));
  }
  return out;
}

}  // namespace seek::vision
