// The losses of seek/nn/loss_extra.h, as torch 1.13 computes them.
#include "seek/nn/loss_extra.h"

#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/functional_extra.h"
#include "seek/ops/activation.h"
#include "seek/ops/binary.h"
#include "seek/ops/creation.h"
#include "seek/ops/reduce.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek::nn::functional {

namespace {

Tensor reduced(const Tensor& loss, const std::string& reduction, const char* op) {
  SEEK_CHECK_VALUE(reduction == "mean" || reduction == "sum" || reduction == "none", op,
                   ": reduction must be 'mean', 'sum' or 'none', got '", reduction, "'");
  if (reduction == "none") return loss;
  return reduction == "sum" ? loss.sum() : loss.mean();
}

void check_defined(std::initializer_list<Tensor> ts, const char* op) {
  for (const Tensor& t : ts) SEEK_CHECK(t.defined(), op, ": an input is undefined");
}

}  // namespace

Tensor huber_loss(const Tensor& input, const Tensor& target, const std::string& reduction, double delta) {
  check_defined({input, target}, "huber_loss");
  SEEK_CHECK_VALUE(delta > 0, "huber_loss: delta must be positive, got ", delta);
  Tensor d = input - target, a = d.abs();
  return reduced(where(a < delta, d.square() * 0.5, (a - 0.5 * delta) * delta), reduction, "huber_loss");
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           const std::string& reduction) {
  check_defined({input1, input2, target}, "margin_ranking_loss");
  return reduced((-target * (input1 - input2) + margin).clamp_min(0), reduction, "margin_ranking_loss");
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, const std::string& reduction) {
  check_defined({anchor, positive, negative}, "triplet_margin_loss");
  SEEK_CHECK_SHAPE(anchor.dim() == positive.dim() && anchor.dim() == negative.dim(),
                   "triplet_margin_loss: anchor, positive and negative must have the same number of dims, got ",
                   anchor.dim(), ", ", positive.dim(), " and ", negative.dim());
  Tensor d_ap = pairwise_distance(anchor, positive, p, eps);
  Tensor d_an = pairwise_distance(anchor, negative, p, eps);
  if (swap) d_an = minimum(d_an, pairwise_distance(positive, negative, p, eps));
  return reduced((d_ap - d_an + margin).clamp_min(0), reduction, "triplet_margin_loss");
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             const std::string& reduction) {
  check_defined({input1, input2, target}, "cosine_embedding_loss");
  SEEK_CHECK_SHAPE(input1.dim() == 1 || input1.dim() == 2, "cosine_embedding_loss: expected 1-D or 2-D inputs, got ",
                   shape_str(input1.sizes()));
  SEEK_CHECK_SHAPE(input1.sizes() == input2.sizes(), "cosine_embedding_loss: input1 ", shape_str(input1.sizes()),
                   " and input2 ", shape_str(input2.sizes()), " must have the same shape");
  SEEK_CHECK_SHAPE(target.dim() == input1.dim() - 1, "cosine_embedding_loss: ", target.dim(),
                   "D target tensor expects ", target.dim() + 1, "D input tensors, but found inputs with sizes ",
                   shape_str(input1.sizes()), " and ", shape_str(input2.sizes()));
  const int64_t dim = input1.dim() - 1;
  constexpr double kEps = 1e-12;
  Tensor prod = (input1 * input2).sum(dim);
  Tensor m1 = (input1 * input1).sum(dim) + kEps, m2 = (input2 * input2).sum(dim) + kEps;
  Tensor cos = prod / (m1 * m2).sqrt();
  Tensor pos = where(target == 1, 1 - cos, 0.0);
  Tensor neg = where(target == -1, (cos - margin).clamp_min(0), 0.0);
  return reduced(pos + neg, reduction, "cosine_embedding_loss");
}

Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        const std::string& reduction) {
  check_defined({input, target}, "poisson_nll_loss");
  Tensor loss = log_input ? input.exp() - target * input : input - target * (input + eps).log();
  if (full) {
    Tensor t = target.detach();
    Tensor stirling = t * t.log() - t + (t * (2 * M_PI)).log() * 0.5;
    loss = loss + where(t > 1, stirling, 0.0);
  }
  return reduced(loss, reduction, "poisson_nll_loss");
}

Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   const std::string& reduction) {
  check_defined({input, target}, "multilabel_soft_margin_loss");
  SEEK_CHECK_SHAPE(input.dim() >= 1, "multilabel_soft_margin_loss: input must have at least 1 dim");
  Tensor loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input));
  if (weight.defined()) loss = loss * weight;
  const int64_t class_dim = input.dim() - 1;
  loss = loss.sum(class_dim) / static_cast<double>(input.size(class_dim));
  return reduced(loss, reduction, "multilabel_soft_margin_loss");
}

Tensor soft_margin_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  check_defined({input, target}, "soft_margin_loss");
  return reduced((-target * input).exp().log1p(), reduction, "soft_margin_loss");
}

Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin, const std::string& reduction) {
  check_defined({input, target}, "hinge_embedding_loss");
  Tensor m = where(target != 1, (margin - input).clamp_min(0), 0.0);
  Tensor s = where(target != -1, input, 0.0);
  return reduced(m + s, reduction, "hinge_embedding_loss");
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var_in, bool full, double eps,
                         const std::string& reduction) {
  check_defined({input, target, var_in}, "gaussian_nll_loss");
  Tensor var = var_in;
  if (var.sizes() != input.sizes()) {
    const Shape& is = input.sizes();
    const Shape& vs = var.sizes();
    const bool one_less = input.dim() == var.dim() + 1 && Shape(is.begin(), is.end() - 1) == vs;
    const bool last_one = input.dim() == var.dim() && input.dim() > 0 && vs.back() == 1 &&
                          Shape(is.begin(), is.end() - 1) == Shape(vs.begin(), vs.end() - 1);
    SEEK_CHECK_VALUE(one_less || last_one, "gaussian_nll_loss: var of shape ", shape_str(vs),
                     " is not broadcastable to input of shape ", shape_str(is));
    if (one_less) var = var.unsqueeze(-1);
  }
  SEEK_CHECK_VALUE(reduction == "mean" || reduction == "sum" || reduction == "none",
                   "gaussian_nll_loss: reduction must be 'mean', 'sum' or 'none', got '", reduction, "'");
  {
    NoGradGuard guard;
    SEEK_CHECK_VALUE(!(var < 0).any().item<bool>(), "gaussian_nll_loss: var has negative entry/entries");
  }
  var = var + (var.clamp_min(eps) - var).detach();  // clamped value, identity gradient
  Tensor loss = ((var.log() + (input - target).square() / var)) * 0.5;
  if (full) loss = loss + 0.5 * std::log(2 * M_PI);
  return reduced(loss, reduction, "gaussian_nll_loss");
}

}  // namespace seek::nn::functional
