#pragma once
// Activation functions that are rows of the unary table (seek/core/op_rows.h, "issue 12:
// nn activations"), as free functions with torch.nn.functional's arguments. Each is one
// fused elementwise kernel forward and backward, floating (integer inputs give float32).
#include "seek/core/tensor.h"

namespace seek {

// scale * (x > 0 ? x : alpha * (exp(x) - 1)) (torch's elu has scale 1).
Tensor elu(const Tensor& t, double alpha = 1.0, double scale = 1.0);
// elu with alpha 1.6732632423543772 and scale 1.0507009873554805.
Tensor selu(const Tensor& t);
// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); alpha 0 is a ValueError.
Tensor celu(const Tensor& t, double alpha = 1.0);
// x * tanh(softplus(x)).
Tensor mish(const Tensor& t);
// log(sigmoid(x)), stable.
Tensor logsigmoid(const Tensor& t);
// x / (1 + |x|).
Tensor softsign(const Tensor& t);
// clamp(x, min_val, max_val) with the gradient zero outside (min_val, max_val);
// min_val > max_val is a ValueError.
Tensor hardtanh(const Tensor& t, double min_val = -1.0, double max_val = 1.0);
// x where x > threshold, else value.
Tensor threshold(const Tensor& t, double threshold, double value);
// x - lambd above lambd, x + lambd below -lambd, else 0; lambd < 0 is a ValueError.
Tensor softshrink(const Tensor& t, double lambd = 0.5);
// x where |x| > lambd, else 0.
Tensor hardshrink(const Tensor& t, double lambd = 0.5);
// x - tanh(x).
Tensor tanhshrink(const Tensor& t);

}  // namespace seek
