#pragma once
// seek::nn::functional: stateless layer functions, like torch.nn.functional.
// Everything is composed from seek ops, so it differentiates and runs on every
// backend. Losses live in seek/nn/loss.h (also in this namespace).
#include <cstdint>
#include <optional>
#include <string>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek::nn::functional {

// y = x @ weight^T + bias; x [..., in], weight [out, in], bias [out] (optional).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());
// Inverted dropout: zeroes each element with probability p and scales the rest by
// 1 / (1 - p). Identity when !training or p == 0. p outside [0, 1] is a ValueError.
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true, Generator* generator = nullptr);
// Normalises over the trailing dims given by normalized_shape (biased variance),
// then applies the optional elementwise weight and bias (of normalized_shape).
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// Rows of weight for the indices in input (torch argument order); padding_idx
// (negative counts from the end) gets no gradient.
Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);

Tensor relu(const Tensor& input);
Tensor relu6(const Tensor& input);
Tensor leaky_relu(const Tensor& input, double negative_slope = 0.01);
Tensor gelu(const Tensor& input, const std::string& approximate = "none");
Tensor silu(const Tensor& input);
Tensor softmax(const Tensor& input, int64_t dim);
Tensor log_softmax(const Tensor& input, int64_t dim);

}  // namespace seek::nn::functional
