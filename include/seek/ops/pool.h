#pragma once
// 2-D pooling, like torch.nn.functional.max_pool2d / avg_pool2d /
// adaptive_avg_pool2d. input [N, C, H, W] or unbatched [C, H, W], floating.
// All are differentiable. `stride` left unset ({}) is the kernel size.
#include <utility>

#include "seek/backend/conv_params.h"
#include "seek/core/tensor.h"

namespace seek {

Tensor max_pool2d(const Tensor& input, Int2 kernel_size, Int2 stride = {}, Int2 padding = 0, Int2 dilation = 1,
                  bool ceil_mode = false);
// (values, indices): indices (int64) are flat h * W + w positions in each input plane.
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, Int2 kernel_size, Int2 stride = {},
                                                  Int2 padding = 0, Int2 dilation = 1, bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& input, Int2 kernel_size, Int2 stride = {}, Int2 padding = 0, bool ceil_mode = false,
                  bool count_include_pad = true);
// Output [.., OH, OW]; window i spans [floor(i*H/OH), ceil((i+1)*H/OH)).
Tensor adaptive_avg_pool2d(const Tensor& input, Int2 output_size);

}  // namespace seek
