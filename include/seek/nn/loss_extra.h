#pragma once
// More losses of torch.nn.functional (seek::nn::functional), with torch's formulas,
// defaults and reductions ("mean" | "sum" | "none"; anything else is a ValueError).
// Composed from seek ops, so all are differentiable.
#include <string>

#include "seek/core/tensor.h"

namespace seek::nn::functional {

// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); d = input - target.
Tensor huber_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean", double delta = 1.0);
// max(0, -y (x1 - x2) + margin), y in {1, -1}.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                           const std::string& reduction = "mean");
// max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance; swap uses
// min(d(a, n), d(p, n)).
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin = 1.0,
                           double p = 2.0, double eps = 1e-6, bool swap = false, const std::string& reduction = "mean");
// 1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1.
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                             const std::string& reduction = "mean");
// log_input: exp(x) - t x; else x - t log(x + eps). full adds Stirling's term
// t log t - t + 0.5 log(2 pi t) where t > 1.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input = true, bool full = false,
                        double eps = 1e-8, const std::string& reduction = "mean");
// Mean over the classes (last dim) of -(t log s(x) + (1 - t) log s(-x)) times weight.
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                                   const std::string& reduction = "mean");
// log(1 + exp(-y x)).
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
// x where y == 1, max(0, margin - x) where y == -1.
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin = 1.0,
                            const std::string& reduction = "mean");
// 0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with full);
// var has input's shape, or one dim fewer, or a last dim of 1. The clamp at eps passes
// the gradient through, as torch's.
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full = false,
                         double eps = 1e-6, const std::string& reduction = "mean");

}  // namespace seek::nn::functional
