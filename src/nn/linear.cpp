#include "seek/nn/linear.h"

#include <cmath>

#include "seek/core/error.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/ops/creation.h"

namespace seek::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, TensorOptions options)
    : Module("Linear"), in_features_(in_features), out_features_(out_features), has_bias_(bias) {
  SEEK_CHECK_VALUE(in_features >= 0 && out_features >= 0,
                   "Linear: feature counts must be >= 0, got in_features=", in_features,
                   " out_features=", out_features);
  register_parameter("weight", zeros({out_features, in_features}, options.requires_grad(false)));
  if (bias) register_parameter("bias", zeros({out_features}, options.requires_grad(false)));
  reset_parameters();
}

void Linear::reset_parameters() {
  init::kaiming_uniform_(param("weight"), std::sqrt(5.0));
  if (has_bias_) {
    double bound = in_features_ > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features_)) : 0.0;
    init::uniform_(param("bias"), -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  return functional::linear(input, param("weight"), has_bias_ ? param("bias") : Tensor());
}

std::string Linear::extra_repr() const {
  return str("in_features=", in_features_, ", out_features=", out_features_, ", bias=", has_bias_ ? "True" : "False");
}

}  // namespace seek::nn
