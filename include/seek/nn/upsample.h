#pragma once
// interpolate / nn::Upsample like torch: "nearest" for [N, C, L], [N, C, H, W]
// and [N, C, D, H, W]; "bilinear" (align_corners false or true) for [N, C, H, W].
// Built from index_select and elementwise ops, so it differentiates and runs on
// every backend (one gather per spatial dim; bilinear is separable: rows, then
// columns).
#include <optional>
#include <string>
#include <vector>

#include "seek/nn/module.h"

namespace seek::nn::functional {

// Exactly one of size / scale_factor; either holds one value (used for every
// spatial dim) or one per spatial dim. Output size = floor(input size * scale).
// As torch (recompute_scale_factor unset), a given scale_factor maps coordinates
// with 1 / scale_factor, a given size with input / output.
Tensor interpolate(const Tensor& input, const std::optional<std::vector<int64_t>>& size = std::nullopt,
                   const std::optional<std::vector<double>>& scale_factor = std::nullopt,
                   const std::string& mode = "nearest", std::optional<bool> align_corners = std::nullopt);

}  // namespace seek::nn::functional

namespace seek::nn {

class Upsample : public Module {
 public:
  Upsample(std::optional<std::vector<int64_t>> size, std::optional<std::vector<double>> scale_factor = std::nullopt,
           std::string mode = "nearest", std::optional<bool> align_corners = std::nullopt);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  std::optional<std::vector<int64_t>> size_;
  std::optional<std::vector<double>> scale_;
  std::string mode_;
  std::optional<bool> align_corners_;
};

}  // namespace seek::nn
