// torchvision.ops.nms and batched_nms over the shared greedy kernel (nms_core.h). Inputs are
// brought to contiguous host memory once (float64 boxes stay float64, other boxes become float32;
// scores are ordered in float64), the kernel runs, and the kept indices go back to the boxes' device.
#include "seek/vision/nms.h"

#include <cmath>

#include "seek/ops/creation.h"
#include "vision/nms_core.h"

namespace seek::vision {
namespace {

void check_inputs(const Tensor& boxes, const Tensor& scores, double iou_threshold, const char* op) {
  SEEK_CHECK_VALUE(boxes.defined() && scores.defined(), op, ": boxes and scores must be defined tensors");
  SEEK_CHECK_SHAPE(boxes.dim() == 2 && boxes.size(1) == 4, op, ": boxes must have shape [N, 4], got ",
                   shape_str(boxes.sizes()));
  SEEK_CHECK_SHAPE(scores.dim() == 1 && scores.size(0) == boxes.size(0), op, ": scores must have shape [",
                   boxes.size(0), "] to match boxes ", shape_str(boxes.sizes()), ", got ", shape_str(scores.sizes()));
  SEEK_CHECK_DTYPE(boxes.dtype() != kBool && scores.dtype() != kBool, op, ": boxes and scores must be numbers");
  SEEK_CHECK_T(DeviceError, boxes.device() == scores.device(), op, ": boxes are on ", boxes.device().str(),
               " but scores on ", scores.device().str());
  SEEK_CHECK_VALUE(!std::isnan(iou_threshold), op, ": iou_threshold is NaN");
}

template <typename T>
Tensor run_nms(const Tensor& boxes, const Tensor& scores, const Tensor& idxs, double iou_threshold, int64_t max_keep) {
  const DType dt = dtype_of<T>::value;
  const Tensor b = boxes.to(kCPU, dt).contiguous();
  const Tensor s = scores.to(kCPU, kFloat64).contiguous();  // ordered in float64: no ties made by rounding
  Tensor c;
  if (idxs.defined()) c = idxs.to(kCPU, kInt64).contiguous();
  const int64_t n = b.size(0);
  const std::vector<int64_t> order = detail::score_order(s.data_ptr<double>(), n);
  auto cand = detail::gather_candidates(b.data_ptr<T>(), c.defined() ? c.data_ptr<int64_t>() : nullptr, order);
  std::vector<int64_t> keep = detail::run_greedy_nms(cand, iou_threshold, max_keep);
  const int64_t k = static_cast<int64_t>(keep.size());
  return tensor(std::move(keep), Shape{k}, TensorOptions(kInt64)).to(boxes.device());
}

Tensor dispatch(const Tensor& boxes, const Tensor& scores, const Tensor& idxs, double iou_threshold, int64_t max_keep) {
  if (boxes.dtype() == kFloat64) return run_nms<double>(boxes, scores, idxs, iou_threshold, max_keep);
  return run_nms<float>(boxes, scores, idxs, iou_threshold, max_keep);
}

}  // namespace

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  return nms(boxes, scores, iou_threshold, -1);
}

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold, int64_t max_keep) {
  check_inputs(boxes, scores, iou_threshold, "nms");
  if (max_keep == 0) return zeros({0}, TensorOptions(kInt64).device(boxes.device()));
  return dispatch(boxes, scores, Tensor(), iou_threshold, max_keep);
}

Tensor batched_nms(const Tensor& boxes, const Tensor& scores, const Tensor& idxs, double iou_threshold) {
  check_inputs(boxes, scores, iou_threshold, "batched_nms");
  SEEK_CHECK_VALUE(idxs.defined(), "batched_nms: idxs must be a defined tensor");
  SEEK_CHECK_SHAPE(idxs.dim() == 1 && idxs.size(0) == boxes.size(0), "batched_nms: idxs must have shape [",
                   boxes.size(0), "] to match boxes, got ", shape_str(idxs.sizes()));
  SEEK_CHECK_DTYPE(is_integral(idxs.dtype()), "batched_nms: idxs must be an integer tensor, got ",
                   dtype_name(idxs.dtype()));
  return dispatch(boxes, scores, idxs, iou_threshold, -1);
}

}  // namespace seek::vision
