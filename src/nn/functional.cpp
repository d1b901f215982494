#include "seek/nn/functional.h"

#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/linalg.h"
#include "seek/ops/random.h"
#include "seek/ops/ternary.h"

namespace seek::nn::functional {

Tensor linear(const Tensor& input_arg, const Tensor& weight_arg, const Tensor& bias_arg) {
  const Tensor input = amp::autocast_lower(input_arg);  // autocast: lower-precision op
  const Tensor weight = amp::autocast_lower(weight_arg);
  const Tensor bias = amp::autocast_lower(bias_arg);
  SEEK_CHECK_VALUE(input.defined() && weight.defined(), "linear: input and weight must be defined");
  SEEK_CHECK_SHAPE(weight.dim() == 2, "linear: weight must be 2-D [out_features, in_features], got ",
                   shape_str(weight.sizes()));
  SEEK_CHECK_SHAPE(input.dim() >= 1 && input.size(-1) == weight.size(1), "linear: input ", shape_str(input.sizes()),
                   " does not match weight ", shape_str(weight.sizes()), " (expected input [..., ", weight.size(1),
                   "])");
  if (bias.defined())
    SEEK_CHECK_SHAPE(bias.dim() == 1 && bias.size(0) == weight.size(0), "linear: bias must be [", weight.size(0),
                     "], got ", shape_str(bias.sizes()));
  // One GEMM with the bias in its epilogue (cuBLASLt's on a GPU; Backend::gemm_epilogue).
  if (bias.defined() && is_floating(input.dtype()) && weight.dtype() == input.dtype() && bias.dtype() == input.dtype())
    return fused_linear(input, weight, bias);
  if (input.dim() == 2 && bias.defined()) return addmm(bias, input, weight.t());
  Tensor y = input.matmul(weight.t());
  return bias.defined() ? y + bias : y;
}

Tensor dropout(const Tensor& input, double p, bool training, Generator* generator) {
  SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return input;
  SEEK_CHECK_DTYPE(input.is_floating_point(), "dropout: input must be floating, got ", dtype_name(input.dtype()));
  if (p == 1.0) return input * zeros_like(input);
  Tensor keep = bernoulli(input.sizes(), 1.0 - p, TensorOptions(input.dtype()).device(input.device()), generator);
  return input * keep.mul(1.0 / (1.0 - p));
}

Tensor layer_norm(const Tensor& input_arg, const Shape& normalized_shape, const Tensor& weight_arg,
                  const Tensor& bias_arg, double eps) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor weight = amp::autocast_fp32(weight_arg);
  const Tensor bias = amp::autocast_fp32(bias_arg);
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  SEEK_CHECK_SHAPE(k >= 1 && input.dim() >= k, "layer_norm: normalized_shape ", shape_str(normalized_shape),
                   " needs at least as many dims as input ", shape_str(input.sizes()));
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < k; ++i) {
    int64_t d = input.dim() - k + i;
    SEEK_CHECK_SHAPE(input.size(d) == normalized_shape[i], "layer_norm: input ", shape_str(input.sizes()),
                     " does not end with normalized_shape ", shape_str(normalized_shape));
    dims.push_back(d);
  }
  SEEK_CHECK_DTYPE(input.is_floating_point(), "layer_norm: input must be floating, got ", dtype_name(input.dtype()));
  if (weight.defined())
    SEEK_CHECK_SHAPE(weight.sizes() == normalized_shape, "layer_norm: weight must have shape ",
                     shape_str(normalized_shape), ", got ", shape_str(weight.sizes()));
  if (bias.defined())
    SEEK_CHECK_SHAPE(bias.sizes() == normalized_shape, "layer_norm: bias must have shape ", shape_str(normalized_shape),
                     ", got ", shape_str(bias.sizes()));
  Tensor mean = input.mean(dims, /*keepdim=*/true);
  Tensor centered = input - mean;
  Tensor var = centered.square().mean(dims, /*keepdim=*/true);
  Tensor y = centered * (var + eps).rsqrt();
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
  SEEK_CHECK_SHAPE(weight.dim() == 2, "embedding: weight must be 2-D, got ", shape_str(weight.sizes()));
  int64_t pad = -1;
  if (padding_idx) {
    int64_t n = weight.size(0);
    SEEK_CHECK_INDEX(*padding_idx >= -n && *padding_idx < n, "embedding: padding_idx ", *padding_idx,
                     " out of range for ", n, " embeddings");
    pad = *padding_idx < 0 ? *padding_idx + n : *padding_idx;
  }
  return ::seek::embedding(weight, input, pad);
}

Tensor relu(const Tensor& input) { return input.relu(); }
Tensor relu6(const Tensor& input) { return input.clamp(0, 6); }
Tensor leaky_relu(const Tensor& input, double negative_slope) {
  return where(input.gt(0), input, input * negative_slope);
}
Tensor gelu(const Tensor& input, const std::string& approximate) { return input.gelu(approximate); }
Tensor silu(const Tensor& input) { return input.silu(); }
Tensor softmax(const Tensor& input, int64_t dim) { return input.softmax(dim); }
Tensor log_softmax(const Tensor& input, int64_t dim) { return input.log_softmax(dim); }

}  // namespace seek::nn::functional
