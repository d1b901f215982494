#pragma once
// More of torch.nn.functional (seek::nn::functional): im2col (unfold / fold), pixel
// shuffles, normalize and distances, channel and alpha dropout, the activations
// with tensor or random arguments (prelu, rrelu, glu, softmin), convolution with
// padding modes, and in-place forms. All composed from seek ops (differentiable, any
// backend); the pointwise activations with scalar arguments are in seek/ops/activation.h.
#include <functional>
#include <string>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek::nn::functional {

// input [N, C, H, W] (or [C, H, W]) -> [N, C*kH*kW, L]: every sliding block as a column
// (channel-major, then kernel row, then column), L blocks in row-major order.
Tensor unfold(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> dilation = {1},
              std::vector<int64_t> padding = {0}, std::vector<int64_t> stride = {1});
// The adjoint of unfold: input [N, C*kH*kW, L] (or [C*kH*kW, L]) summed into
// [N, C, output_size...]; overlapping values add up.
Tensor fold(const Tensor& input, std::vector<int64_t> output_size, std::vector<int64_t> kernel_size,
            std::vector<int64_t> dilation = {1}, std::vector<int64_t> padding = {0}, std::vector<int64_t> stride = {1});
// [*, C*r*r, H, W] -> [*, C, H*r, W*r] and back.
Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

// input / max(||input||_p over dim, eps).
Tensor normalize(const Tensor& input, double p = 2.0, int64_t dim = 1, double eps = 1e-12);
// sum(x1 * x2) / max(||x1|| * ||x2||, eps) over dim (inputs broadcast).
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);
// ||x1 - x2 + eps||_p over the last dim.
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2.0, double eps = 1e-6, bool keepdim = false);

// Zeroes whole channels (input [N, C, *] or [C, *] with `spatial` trailing dims) with
// probability p and scales the rest by 1/(1-p): dropout1d (1 spatial dim), dropout2d, dropout3d.
Tensor channel_dropout(const Tensor& input, int64_t spatial, const char* op, double p = 0.5, bool training = true,
                       Generator* generator = nullptr);
Tensor dropout1d(const Tensor& input, double p = 0.5, bool training = true, Generator* generator = nullptr);
Tensor dropout2d(const Tensor& input, double p = 0.5, bool training = true, Generator* generator = nullptr);
Tensor dropout3d(const Tensor& input, double p = 0.5, bool training = true, Generator* generator = nullptr);
// Dropout that keeps SELU's mean and variance: dropped values become -alpha*scale of
// SELU, then an affine map restores the moments. feature_alpha_dropout drops whole
// channels (dims 0 and 1 of the mask, the rest broadcast).
Tensor alpha_dropout(const Tensor& input, double p = 0.5, bool training = false, Generator* generator = nullptr);
Tensor feature_alpha_dropout(const Tensor& input, double p = 0.5, bool training = false,
                             Generator* generator = nullptr);

// max(0, x) + weight * min(0, x); weight has 1 element or one per channel (dim 1).
Tensor prelu(const Tensor& input, const Tensor& weight);
// Leaky ReLU whose negative slope is drawn uniformly from [lower, upper] per element in
// training, and is (lower + upper) / 2 otherwise.
Tensor rrelu(const Tensor& input, double lower = 1.0 / 8.0, double upper = 1.0 / 3.0, bool training = false,
             Generator* generator = nullptr);
// a * sigmoid(b) for the halves a, b of input along dim (whose size must be even).
Tensor glu(const Tensor& input, int64_t dim = -1);
Tensor softmin(const Tensor& input, int64_t dim);

// Convolution (1-D, 2-D or 3-D by the weight's dims) whose padding is filled with
// padding_mode: "zeros", "reflect", "replicate" or "circular". padding is a size list or,
// in padding_str, "same" / "valid" (padding_str empty: use padding).
Tensor conv_padded(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& padding, const std::string& padding_str,
                   const std::vector<int64_t>& dilation, int64_t groups, const std::string& padding_mode);

// Writes fn(self) into self and returns self, as torch's inplace=True: autograd sees an
// in-place op (an error on a leaf that requires grad, as in torch).
Tensor& apply_inplace(Tensor& self, const std::function<Tensor(const Tensor&)>& fn);

}  // namespace seek::nn::functional
