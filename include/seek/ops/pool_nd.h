#pragma once
// 1-D and 3-D pooling and adaptive max pooling, like torch.nn.functional's
// max_pool1d / avg_pool1d / max_pool3d / avg_pool3d / adaptive_max_pool1d/2d /
// adaptive_avg_pool1d. Built on the 2-D pooling kernels (1-D as height 1; 3-D as a
// 2-D pool over (H, W) followed by one over D, exact because a box window's max,
// sum and valid count all separate by dim), so all are differentiable.
// Size arguments are lists of one value or one per spatial dim; an empty stride
// is the kernel size.
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// input [N, C, L] or [C, L]; indices are positions along L.
Tensor max_pool1d(const Tensor& input, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                  int64_t padding = 0, int64_t dilation = 1, bool ceil_mode = false);
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size,
                                                  std::optional<int64_t> stride = std::nullopt, int64_t padding = 0,
                                                  int64_t dilation = 1, bool ceil_mode = false);
Tensor avg_pool1d(const Tensor& input, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                  int64_t padding = 0, bool ceil_mode = false, bool count_include_pad = true);
// input [N, C, D, H, W] or [C, D, H, W].
Tensor max_pool3d(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> stride = {},
                  std::vector<int64_t> padding = {0}, std::vector<int64_t> dilation = {1}, bool ceil_mode = false);
Tensor avg_pool3d(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> stride = {},
                  std::vector<int64_t> padding = {0}, bool ceil_mode = false, bool count_include_pad = true);
// Output [.., OL]; window i spans [floor(i*L/OL), ceil((i+1)*L/OL)).
Tensor adaptive_avg_pool1d(const Tensor& input, int64_t output_size);
// (values, indices): indices (int64) are positions along L (1-D) or flat h * W + w (2-D),
// as torch's return_indices.
std::pair<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, int64_t output_size);
std::pair<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, std::vector<int64_t> output_size);

}  // namespace seek
