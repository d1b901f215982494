#pragma once
// Conv + batch norm folding for inference, like torch.nn.utils.fusion.fuse_conv_bn_eval: an
// eval-mode BatchNorm2d after a Conv2d is an affine map per output channel, so it folds into
// the convolution's weight and bias:
//   s = bn.weight / sqrt(running_var + eps)          (weight 1 without affine)
//   W' = W * s[o],  b' = (b - running_mean) * s + bn.bias   (b = 0 without a conv bias)
// computed in f64 and stored in the conv weight's dtype.
#include <cstdint>
#include <memory>

#include "seek/nn/conv.h"
#include "seek/nn/normalization.h"

namespace seek::nn {

// A new Conv2d (eval mode, with a bias) equal to bn(conv(x)) for bn's running statistics. Both
// modules must be in eval mode and bn must track running statistics of conv's out channels
// (ValueError otherwise).
std::shared_ptr<Conv2d> fuse_conv_bn_eval(Conv2d& conv, BatchNormBase& bn);

// The model pass: in every Sequential of `model` (itself included, at any depth), each Conv2d
// directly followed by a BatchNorm2d becomes the fused Conv2d and the BatchNorm2d an Identity,
// so indices and the rest of the model (a following ReLU stays as it is) are unchanged. The
// model must be in eval mode (ValueError). Returns how many pairs were fused.
int64_t fuse_conv_bn(Module& model);

}  // namespace seek::nn
