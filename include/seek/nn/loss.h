#pragma once
// Loss functions (seek::nn::functional) and their module forms (seek::nn),
// with torch's formulas, defaults and reductions ("mean" | "sum" | "none").
//
// cross_entropy / nll_loss take input [N, C] or [N, C, d...] (or unbatched [C])
// and either class indices (int64, shape of input without the class dim; the
// value ignore_index is skipped) or class probabilities (floating, same shape
// as input). With per-class weight w and indices, "mean" divides by the sum of
// w[target] over the non-ignored elements. label_smoothing eps mixes in the
// uniform distribution: (1 - eps) * nll + eps / C * smooth, where smooth is
// -sum_c w_c log p_c, reduced with the same denominator as nll.
#include <cstdint>
#include <string>

#include "seek/core/tensor.h"
#include "seek/nn/module.h"

namespace seek::nn::functional {

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                     int64_t ignore_index = -100, const std::string& reduction = "mean", double label_smoothing = 0.0);
// input holds log-probabilities; target class indices (int64).
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(), int64_t ignore_index = -100,
                const std::string& reduction = "mean");
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0: l1_loss).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
                      double beta = 1.0);
// input probabilities in [0, 1] (ValueError otherwise); logs are clamped at -100.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                            const std::string& reduction = "mean");
// Stable sigmoid + BCE: (1 - t) x + (1 + (pw - 1) t) (log1p(exp(-|x|)) + max(-x, 0)).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                                        const std::string& reduction = "mean", const Tensor& pos_weight = Tensor());
// input log-probabilities; target probabilities (log-probabilities with log_target).
// "batchmean" divides the sum by input.size(0).
Tensor kl_div(const Tensor& input, const Tensor& target, const std::string& reduction = "mean",
              bool log_target = false);

}  // namespace seek::nn::functional

namespace seek::nn {

// Losses take (input, target); the single-input Module::forward throws.
class Loss : public Module {
 public:
  Loss(std::string type_name, std::string reduction);
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  using Module::forward;
  using Module::operator();
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string extra_repr() const override;
  const std::string& reduction() const { return reduction_; }

 protected:
  std::string reduction_;
};

class CrossEntropyLoss : public Loss {
 public:
  // weight (per class, optional) is a buffer named "weight" like torch's.
  explicit CrossEntropyLoss(const Tensor& weight = Tensor(), int64_t ignore_index = -100,
                            std::string reduction = "mean", double label_smoothing = 0.0);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;

 private:
  bool has_weight_;
  int64_t ignore_index_;
  double label_smoothing_;
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(const Tensor& weight = Tensor(), int64_t ignore_index = -100, std::string reduction = "mean");
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;

 private:
  bool has_weight_;
  int64_t ignore_index_;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(std::string reduction = "mean") : Loss("MSELoss", std::move(reduction)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(std::string reduction = "mean") : Loss("L1Loss", std::move(reduction)) {}
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(std::string reduction = "mean", double beta = 1.0);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;

 private:
  double beta_;
};

class BCELoss : public Loss {
 public:
  explicit BCELoss(const Tensor& weight = Tensor(), std::string reduction = "mean");
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;

 private:
  bool has_weight_;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(const Tensor& weight = Tensor(), std::string reduction = "mean",
                             const Tensor& pos_weight = Tensor());
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;

 private:
  bool has_weight_, has_pos_weight_;
};

class KLDivLoss : public Loss {
 public:
  explicit KLDivLoss(std::string reduction = "mean", bool log_target = false);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  using Loss::forward;

 private:
  bool log_target_;
};

}  // namespace seek::nn
