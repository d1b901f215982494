// Losses written with seek ops (so autograd and every backend come for free).
// Class-index losses check the targets on the host (one any() per call) so a
// bad class index is an IndexError, never an out-of-bounds gather.
// cross_entropy with class-index targets runs the fused Backend::cross_entropy_forward
// (seek/backend/cross_entropy_op.h) where the device has it: per-row losses and lse in one
// kernel, one autograd node whose backward is the fused backward kernel; the reduction is a
// sum (and, for 'mean', a division by the summed target weights) over the per-row losses.
#include "seek/nn/loss.h"

#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/backend/backend.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/cuda/graph.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/ternary.h"

namespace seek::nn::functional {

namespace {

void check_reduction(const std::string& r, const char* op, bool allow_batchmean = false) {
  SEEK_CHECK_VALUE(r == "mean" || r == "sum" || r == "none" || (allow_batchmean && r == "batchmean"), op,
                   ": reduction must be 'mean', 'sum' or 'none'", allow_batchmean ? " or 'batchmean'" : "", ", got '",
                   r, "'");
}

Tensor reduce(const Tensor& loss, const std::string& r) {
  if (r == "none") return loss;
  return r == "sum" ? loss.sum() : loss.mean();
}

void check_floating(const Tensor& t, const char* op, const char* what) {
  SEEK_CHECK_VALUE(t.defined(), op, ": ", what, " is undefined");
  SEEK_CHECK_DTYPE(t.is_floating_point(), op, ": ", what, " must be floating, got ", dtype_name(t.dtype()));
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  SEEK_CHECK_VALUE(target.defined(), op, ": target is undefined");
  SEEK_CHECK_SHAPE(input.sizes() == target.sizes(), op, ": target shape ", shape_str(target.sizes()),
                   " must equal input shape ", shape_str(input.sizes()));
}

// Shape [1, C, 1, ...] that broadcasts a per-class weight against input.
Tensor class_broadcast(const Tensor& weight, const Tensor& input, int64_t class_dim) {
  Shape s(static_cast<size_t>(input.dim()), 1);
  s[static_cast<size_t>(class_dim)] = weight.size(0);
  return weight.view(s);
}

struct ClassInput {
  int64_t class_dim, classes;
};

ClassInput check_class_input(const Tensor& input, const Tensor& weight, const char* op) {
  check_floating(input, op, "input");
  SEEK_CHECK_SHAPE(input.dim() >= 1, op, ": input must have a class dimension, got a 0-d tensor");
  ClassInput ci{input.dim() == 1 ? 0 : 1, 0};
  ci.classes = input.size(ci.class_dim);
  if (weight.defined()) {
    check_floating(weight, op, "weight");
    SEEK_CHECK_SHAPE(weight.dim() == 1 && weight.size(0) == ci.classes, op, ": weight must be [", ci.classes,
                     "] (one per class), got ", shape_str(weight.sizes()));
  }
  return ci;
}

// Per-element weight of each target (0 where ignored) and the gather-safe targets.
struct Picked {
  Tensor valid, w_t, safe;
};

// Class-index targets: int64, input's shape less the class dim, each in [0, C) or ignore_index.
// Returns the mask of non-ignored targets.
Tensor check_class_targets(const Tensor& input, const Tensor& target, int64_t ignore_index, const ClassInput& ci,
                           const char* op) {
  SEEK_CHECK_DTYPE(target.dtype() == kInt64, op, ": class-index target must be int64, got ",
                   dtype_name(target.dtype()));
  Shape expected = input.sizes();
  expected.erase(expected.begin() + ci.class_dim);
  SEEK_CHECK_SHAPE(target.sizes() == expected, op, ": target shape ", shape_str(target.sizes()),
                   " does not match input ", shape_str(input.sizes()), " (expected ", shape_str(expected), ")");
  Tensor valid = target.ne(ignore_index);
  // Inside a CUDA graph capture the targets cannot be read on the host: the fused kernels
  // then turn an out-of-range target into a NaN loss (kernels/softmax_cross_entropy.cu).
  if (target.is_cuda() && cuda::is_current_stream_capturing()) return valid;
  Tensor bad = valid.logical_and(target.lt(0).logical_or(target.ge(ci.classes)));
  if (bad.any().item<bool>()) {
    int64_t v = target.masked_select(bad).select(0, 0).item<int64_t>();
    throw IndexError(str(op, ": target ", v, " is out of bounds for ", ci.classes, " classes (expected 0 <= target < ",
                         ci.classes, " or ignore_index ", ignore_index, ")"));
  }
  return valid;
}

Picked prepare_indices(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                       const ClassInput& ci, const char* op) {
  Picked p;
  p.valid = check_class_targets(input, target, ignore_index, ci, op);
  p.safe = where(p.valid, target, zeros_like(target));
  Tensor valid_f = p.valid.to(input.dtype());
  p.w_t = weight.defined() ? weight.index_select(0, p.safe.flatten()).view(target.sizes()) * valid_f : valid_f;
  return p;
}

// nll from log-probabilities with the weighted-mean denominator sum(w_t).
Tensor nll_from_logp(const Tensor& logp, const Picked& p, const ClassInput& ci, const std::string& reduction) {
  Tensor picked = logp.gather(ci.class_dim, p.safe.unsqueeze(ci.class_dim)).squeeze(ci.class_dim);
  Tensor loss = -picked * p.w_t;
  if (reduction == "none") return loss;
  return reduction == "sum" ? loss.sum() : loss.sum() / p.w_t.sum();
}

// The fused path for class-index targets (checked by prepare_indices first). The logits are
// read in their own dtype (f16/bf16 computed in float); the result has autocast's dtype (float)
// when autocast is on for f16/bf16 logits, else the logits' dtype, as torch.
Tensor fused_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, const ClassInput& ci,
                           int64_t ignore_index, const std::string& reduction, double label_smoothing) {
  const DType ct = input.dtype() == kFloat64 ? kFloat64 : kFloat32;
  const bool half = input.dtype() == kFloat16 || input.dtype() == kBFloat16;
  const DType out_dtype = half && amp::is_autocast_enabled(input.device().type) ? kFloat32 : input.dtype();
  const CrossEntropyParams params{ignore_index, label_smoothing};
  Tensor x, t, w, loss, lse, wt;
  {
    NoGradGuard no_grad;
    x = input.contiguous().detach();
    t = target.contiguous();
    if (weight.defined()) w = weight.to(ct).contiguous();
    const TensorOptions opts = TensorOptions(ct).device(input.device());
    loss = empty(target.sizes(), opts);
    lse = empty(target.sizes(), opts);
    wt = empty(target.sizes(), opts);
    backend(input.device()).cross_entropy_forward(x, t, w, ci.class_dim, params, loss, lse, wt);
  }
  if (autograd::needs_grad({input})) {
    const int64_t class_dim = ci.class_dim;
    autograd::record("CrossEntropyBackward", {input}, {loss},
                     [x, t, w, lse, class_dim, params](const autograd::variable_list& g, const std::vector<bool>&) {
                       Tensor gl = g[0].to(lse.dtype()).contiguous();
                       Tensor gi = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
                       backend(x.device()).cross_entropy_backward(gl, x, t, w, lse, class_dim, params, gi);
                       return autograd::variable_list{gi};
                     });
  }
  Tensor out = reduction == "none" ? loss : reduction == "sum" ? loss.sum() : loss.sum() / wt.sum();
  return out.to(out_dtype);
}

// Whether fused_cross_entropy takes these operands: a device with the fused kernels for the
// logits' dtype and a weight that needs no gradient (torch has none for it either).
bool fusable_cross_entropy(const Tensor& input, const Tensor& weight) {
  if (weight.defined() && (weight.requires_grad() || weight.device() != input.device())) return false;
  return backend(input.device()).supports(BackendFamily::Softmax, input.dtype());
}

}  // namespace

Tensor nll_loss(const Tensor& input_arg, const Tensor& target, const Tensor& weight_arg, int64_t ignore_index,
                const std::string& reduction) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor weight = amp::autocast_fp32(weight_arg);
  check_reduction(reduction, "nll_loss");
  ClassInput ci = check_class_input(input, weight, "nll_loss");
  SEEK_CHECK_VALUE(target.defined(), "nll_loss: target is undefined");
  Picked p = prepare_indices(input, target, weight, ignore_index, ci, "nll_loss");
  return nll_from_logp(input, p, ci, reduction);
}

Tensor cross_entropy(const Tensor& input_arg, const Tensor& target_arg, const Tensor& weight_arg, int64_t ignore_index,
                     const std::string& reduction, double label_smoothing) {
  const char* op = "cross_entropy";
  if (target_arg.defined() && !target_arg.is_floating_point() && input_arg.defined() && input_arg.is_floating_point() &&
      fusable_cross_entropy(input_arg, weight_arg)) {
    // Class indices on the fused path: the kernel reads f16/bf16 logits itself (autocast's f32 result).
    check_reduction(reduction, op);
    ClassInput ci = check_class_input(input_arg, weight_arg, op);
    SEEK_CHECK_VALUE(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
                     ": label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
    check_class_targets(input_arg, target_arg, ignore_index, ci, op);
    return fused_cross_entropy(input_arg, target_arg, weight_arg, ci, ignore_index, reduction, label_smoothing);
  }
  // Autocast: fp32 op (class-index targets are int64 and stay untouched).
  const Tensor input = amp::autocast_fp32(input_arg);
  const Tensor target = amp::autocast_fp32(target_arg);
  const Tensor weight = amp::autocast_fp32(weight_arg);
  check_reduction(reduction, op);
  ClassInput ci = check_class_input(input, weight, op);
  SEEK_CHECK_VALUE(target.defined(), op, ": target is undefined");
  SEEK_CHECK_VALUE(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
                   ": label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  Tensor logp = input.log_softmax(ci.class_dim);
  const double C = static_cast<double>(ci.classes);

  if (target.is_floating_point()) {  // class probabilities
    SEEK_CHECK_SHAPE(target.sizes() == input.sizes(), op, ": probability target shape ", shape_str(target.sizes()),
                     " must equal input shape ", shape_str(input.sizes()));
    Tensor t = label_smoothing > 0 ? target * (1.0 - label_smoothing) + label_smoothing / C : target;
    Tensor prod = logp * t;
    if (weight.defined()) prod = prod * class_broadcast(weight, input, ci.class_dim);
    Tensor loss = -prod.sum(ci.class_dim);
    if (reduction == "none") return loss;
    if (reduction == "sum") return loss.sum();
    return loss.sum() / (static_cast<double>(input.numel()) / C);  // mean over the batch elements
  }

  Picked p = prepare_indices(input, target, weight, ignore_index, ci, op);
  Tensor nll = nll_from_logp(logp, p, ci, reduction);
  if (label_smoothing == 0.0) return nll;
  // Uniform part: -sum_c w_c log p_c per element, zero where ignored, same denominator as nll.
  Tensor smooth = weight.defined() ? -(logp * class_broadcast(weight, input, ci.class_dim)).sum(ci.class_dim)
                                   : -logp.sum(ci.class_dim);
  smooth = smooth.masked_fill(p.valid.logical_not(), 0);
  Tensor smooth_red = reduction == "none" ? smooth : reduction == "sum" ? smooth.sum() : smooth.sum() / p.w_t.sum();
  return nll * (1.0 - label_smoothing) + smooth_red * (label_smoothing / C);
}

Tensor mse_loss(const Tensor& input_arg, const Tensor& target_arg, const std::string& reduction) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor target = amp::autocast_fp32(target_arg);
  check_reduction(reduction, "mse_loss");
  check_floating(input, "mse_loss", "input");
  check_same_shape(input, target, "mse_loss");
  return reduce((input - target).square(), reduction);
}

Tensor l1_loss(const Tensor& input_arg, const Tensor& target_arg, const std::string& reduction) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor target = amp::autocast_fp32(target_arg);
  check_reduction(reduction, "l1_loss");
  check_floating(input, "l1_loss", "input");
  check_same_shape(input, target, "l1_loss");
  return reduce((input - target).abs(), reduction);
}

Tensor smooth_l1_loss(const Tensor& input_arg, const Tensor& target_arg, const std::string& reduction, double beta) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor target = amp::autocast_fp32(target_arg);
  check_reduction(reduction, "smooth_l1_loss");
  check_floating(input, "smooth_l1_loss", "input");
  check_same_shape(input, target, "smooth_l1_loss");
  SEEK_CHECK_VALUE(beta >= 0.0, "smooth_l1_loss: beta must be >= 0, got ", beta);
  Tensor d = (input - target).abs();
  if (beta == 0.0) return reduce(d, reduction);
  return reduce(where(d.lt(beta), d.square() * (0.5 / beta), d - 0.5 * beta), reduction);
}

Tensor binary_cross_entropy(const Tensor& input_arg, const Tensor& target_arg, const Tensor& weight_arg,
                            const std::string& reduction) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor target = amp::autocast_fp32(target_arg);
  const Tensor weight = amp::autocast_fp32(weight_arg);
  const char* op = "binary_cross_entropy";
  check_reduction(reduction, op);
  check_floating(input, op, "input");
  check_same_shape(input, target, op);
  SEEK_CHECK_VALUE(!input.lt(0).logical_or(input.gt(1)).any().item<bool>(), op,
                   ": all elements of input should be between 0 and 1");
  Tensor log_x = input.log().clamp_min(-100);
  Tensor log_1mx = (1.0 - input).log().clamp_min(-100);
  Tensor loss = -(target * log_x + (1.0 - target) * log_1mx);
  if (weight.defined()) loss = loss * weight;
  return reduce(loss, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input_arg, const Tensor& target_arg, const Tensor& weight_arg,
                                        const std::string& reduction, const Tensor& pos_weight_arg) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor target = amp::autocast_fp32(target_arg);
  const Tensor weight = amp::autocast_fp32(weight_arg);
  const Tensor pos_weight = amp::autocast_fp32(pos_weight_arg);
  const char* op = "binary_cross_entropy_with_logits";
  check_reduction(reduction, op);
  check_floating(input, op, "input");
  check_same_shape(input, target, op);
  // log(1 + exp(-x)) = log1p(exp(-|x|)) + max(-x, 0) never overflows.
  Tensor softplus_neg = (-input.abs()).exp().log1p() + (-input).relu();
  Tensor loss = pos_weight.defined() ? (1.0 - target) * input + ((pos_weight - 1.0) * target + 1.0) * softplus_neg
                                     : (1.0 - target) * input + softplus_neg;
  if (weight.defined()) loss = loss * weight;
  return reduce(loss, reduction);
}

Tensor kl_div(const Tensor& input_arg, const Tensor& target_arg, const std::string& reduction, bool log_target) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor target = amp::autocast_fp32(target_arg);
  check_reduction(reduction, "kl_div", /*allow_batchmean=*/true);
  check_floating(input, "kl_div", "input");
  check_same_shape(input, target, "kl_div");
  Tensor loss;
  if (log_target) {
    loss = target.exp() * (target - input);
  } else {
    // xlogy(t, t) - t * input: 0 where t == 0 (log taken of a safe 1 there).
    Tensor pos = target.gt(0);
    Tensor safe = where(pos, target, ones_like(target));
    loss = target * safe.log() - target * input;
  }
  if (reduction == "batchmean") return input.dim() == 0 ? loss.sum() : loss.sum() / static_cast<double>(input.size(0));
  return reduce(loss, reduction);
}

}  // namespace seek::nn::functional

namespace seek::nn {

namespace F = functional;

Loss::Loss(std::string type_name, std::string reduction)
    : Module(std::move(type_name)), reduction_(std::move(reduction)) {
  SEEK_CHECK_VALUE(reduction_ == "mean" || reduction_ == "sum" || reduction_ == "none" ||
                       (this->type_name() == "KLDivLoss" && reduction_ == "batchmean"),
                   this->type_name(), ": reduction must be 'mean', 'sum' or 'none', got '", reduction_, "'");
}

std::string Loss::extra_repr() const { return reduction_ == "mean" ? "" : str("reduction='", reduction_, "'"); }

CrossEntropyLoss::CrossEntropyLoss(const Tensor& weight, int64_t ignore_index, std::string reduction,
                                   double label_smoothing)
    : Loss("CrossEntropyLoss", std::move(reduction)),
      has_weight_(weight.defined()),
      ignore_index_(ignore_index),
      label_smoothing_(label_smoothing) {
  SEEK_CHECK_VALUE(label_smoothing >= 0.0 && label_smoothing <= 1.0,
                   "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  if (has_weight_) register_buffer("weight", weight);
}
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return F::cross_entropy(input, target, has_weight_ ? buffer("weight") : Tensor(), ignore_index_, reduction_,
                          label_smoothing_);
}

NLLLoss::NLLLoss(const Tensor& weight, int64_t ignore_index, std::string reduction)
    : Loss("NLLLoss", std::move(reduction)), has_weight_(weight.defined()), ignore_index_(ignore_index) {
  if (has_weight_) register_buffer("weight", weight);
}
Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return F::nll_loss(input, target, has_weight_ ? buffer("weight") : Tensor(), ignore_index_, reduction_);
}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) { return F::mse_loss(input, target, reduction_); }
Tensor L1Loss::forward(const Tensor& input, const Tensor& target) { return F::l1_loss(input, target, reduction_); }

SmoothL1Loss::SmoothL1Loss(std::string reduction, double beta)
    : Loss("SmoothL1Loss", std::move(reduction)), beta_(beta) {
  SEEK_CHECK_VALUE(beta >= 0.0, "SmoothL1Loss: beta must be >= 0, got ", beta);
}
Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return F::smooth_l1_loss(input, target, reduction_, beta_);
}

BCELoss::BCELoss(const Tensor& weight, std::string reduction)
    : Loss("BCELoss", std::move(reduction)), has_weight_(weight.defined()) {
  if (has_weight_) register_buffer("weight", weight);
}
Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy(input, target, has_weight_ ? buffer("weight") : Tensor(), reduction_);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(const Tensor& weight, std::string reduction, const Tensor& pos_weight)
    : Loss("BCEWithLogitsLoss", std::move(reduction)),
      has_weight_(weight.defined()),
      has_pos_weight_(pos_weight.defined()) {
  if (has_weight_) register_buffer("weight", weight);
  if (has_pos_weight_) register_buffer("pos_weight", pos_weight);
}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy_with_logits(input, target, has_weight_ ? buffer("weight") : Tensor(), reduction_,
                                             has_pos_weight_ ? buffer("pos_weight") : Tensor());
}

KLDivLoss::KLDivLoss(std::string reduction, bool log_target)
    : Loss("KLDivLoss", std::move(reduction)), log_target_(log_target) {}
Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  return F::kl_div(input, target, reduction_, log_target_);
}

}  // namespace seek::nn
