#pragma once
// 1-D and 3-D convolution, like torch.nn.functional.conv1d / conv3d, and the
// padding='same' / 'valid' forms of conv1d/2d/3d. Both are built on the conv2d
// kernels (conv1d as a conv2d of height 1; conv3d as one conv2d over the depth
// windows stacked into channels), so they differentiate and run on every backend.
// Size arguments are lists of one value (used for every spatial dim) or one per dim.
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// input [N, C, L] or [C, L]; weight [O, C/groups, k] -> [N, O, OL].
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, std::vector<int64_t> stride = {1},
              std::vector<int64_t> padding = {0}, std::vector<int64_t> dilation = {1}, int64_t groups = 1);
// input [N, C, D, H, W] or [C, D, H, W]; weight [O, C/groups, kD, kH, kW] -> [N, O, OD, OH, OW].
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, std::vector<int64_t> stride = {1},
              std::vector<int64_t> padding = {0}, std::vector<int64_t> dilation = {1}, int64_t groups = 1);
// conv1d / conv2d / conv3d by weight.dim() (3, 4 or 5).
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, int64_t groups);
// padding "valid" (none) or "same" (output size = input size; needs stride 1, else
// ValueError): the total padding dilation * (k - 1) per dim, the extra one on the right
// when it is odd, as torch.
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
                   const std::string& padding, const std::vector<int64_t>& dilation, int64_t groups);

// A size argument of `dims` values from a list of 1 or `dims` (ValueError otherwise).
std::vector<int64_t> expand_param(const std::vector<int64_t>& v, size_t dims, const char* op, const char* arg);

}  // namespace seek
