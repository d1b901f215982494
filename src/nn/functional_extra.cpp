// unfold / fold are conv2d / conv_transpose2d of each channel with a one-hot
// kernel per kernel position (so they run on the conv kernels and differentiate
// through them); the rest are short compositions of seek ops.
#include "seek/nn/functional_extra.h"

#include <algorithm>
#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/binary.h"
#include "seek/ops/conv.h"
#include "seek/ops/conv_nd.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/ops/reduce.h"
#include "seek/ops/shape.h"
#include "seek/ops/softmax.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek::nn::functional {

namespace {

Int2 int2(const std::vector<int64_t>& v, const char* op, const char* arg) {
  const auto e = expand_param(v, 2, op, arg);
  return Int2(e[0], e[1]);
}

// [kH*kW, 1, kH, kW]: the one-hot kernel of each kernel position.
Tensor one_hot_kernels(Int2 k, const Tensor& like) {
  return eye(k.h * k.w, std::nullopt, TensorOptions(like.dtype()).device(like.device())).view({k.h * k.w, 1, k.h, k.w});
}

}  // namespace

Tensor unfold(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> dilation,
              std::vector<int64_t> padding, std::vector<int64_t> stride) {
  SEEK_CHECK(input.defined(), "unfold: input is undefined");
  SEEK_CHECK_SHAPE(input.dim() == 3 || input.dim() == 4, "unfold: expected a 3-D or 4-D input, got shape ",
                   shape_str(input.sizes()));
  const bool unbatched = input.dim() == 3;
  const Tensor x = unbatched ? input.unsqueeze(0) : input;
  const Int2 k = int2(kernel_size, "unfold", "kernel_size");
  const int64_t n = x.size(0), c = x.size(1);
  Tensor cols =
      conv2d(x.reshape({n * c, 1, x.size(2), x.size(3)}), one_hot_kernels(k, x), {}, int2(stride, "unfold", "stride"),
             int2(padding, "unfold", "padding"), int2(dilation, "unfold", "dilation"));  // [N*C, kH*kW, OH, OW]
  Tensor out = cols.reshape({n, c * k.h * k.w, cols.size(2) * cols.size(3)});
  return unbatched ? out.squeeze(0) : out;
}

Tensor fold(const Tensor& input, std::vector<int64_t> output_size, std::vector<int64_t> kernel_size,
            std::vector<int64_t> dilation, std::vector<int64_t> padding, std::vector<int64_t> stride) {
  SEEK_CHECK(input.defined(), "fold: input is undefined");
  SEEK_CHECK_SHAPE(input.dim() == 2 || input.dim() == 3, "fold: expected a 2-D or 3-D input, got shape ",
                   shape_str(input.sizes()));
  const bool unbatched = input.dim() == 2;
  const Tensor x = unbatched ? input.unsqueeze(0) : input;
  const Int2 k = int2(kernel_size, "fold", "kernel_size"), o = int2(output_size, "fold", "output_size");
  const Int2 d = int2(dilation, "fold", "dilation"), p = int2(padding, "fold", "padding"),
             s = int2(stride, "fold", "stride");
  const int64_t kk = k.h * k.w;
  SEEK_CHECK_SHAPE(x.size(1) % kk == 0, "fold: expected size of input's dimension 1 to be divisible by the product ",
                   "of kernel_size (", kk, "), but got input.size(1)=", x.size(1));
  const int64_t bh = (o.h + 2 * p.h - d.h * (k.h - 1) - 1) / s.h + 1;
  const int64_t bw = (o.w + 2 * p.w - d.w * (k.w - 1) - 1) / s.w + 1;
  SEEK_CHECK_SHAPE(bh > 0 && bw > 0 && x.size(2) == bh * bw, "fold: expected input's dimension 2 to match the ",
                   "number of sliding blocks ", bh, " * ", bw, " = ", bh * bw, " for output_size (", o.h, ", ", o.w,
                   "), but got input.size(2)=", x.size(2));
  const int64_t n = x.size(0), c = x.size(1) / kk;
  // conv_transpose2d's output may fall short of output_size by up to stride - 1: output_padding.
  const int64_t base_h = (bh - 1) * s.h - 2 * p.h + d.h * (k.h - 1) + 1;
  const int64_t base_w = (bw - 1) * s.w - 2 * p.w + d.w * (k.w - 1) + 1;
  Tensor y = conv_transpose2d(x.reshape({n * c, kk, bh, bw}), one_hot_kernels(k, x), {}, s, p,
                              Int2(o.h - base_h, o.w - base_w), 1, d);
  Tensor out = y.view({n, c, o.h, o.w});
  return unbatched ? out.squeeze(0) : out;
}

Tensor pixel_shuffle(const Tensor& input, int64_t r) {
  SEEK_CHECK(input.defined(), "pixel_shuffle: input is undefined");
  SEEK_CHECK_SHAPE(input.dim() >= 3, "pixel_shuffle: expected at least 3 dims, got shape ", shape_str(input.sizes()));
  SEEK_CHECK_VALUE(r > 0, "pixel_shuffle: upscale_factor must be positive, got ", r);
  const int64_t nd = input.dim(), c = input.size(-3), h = input.size(-2), w = input.size(-1);
  SEEK_CHECK_SHAPE(c % (r * r) == 0, "pixel_shuffle: the channel dim ", c,
                   " is not divisible by upscale_factor^2 = ", r * r);
  Shape lead(input.sizes().begin(), input.sizes().end() - 3);
  Shape s1 = lead;
  for (int64_t v : {c / (r * r), r, r, h, w}) s1.push_back(v);
  std::vector<int64_t> perm;
  const int64_t b = nd - 3;
  for (int64_t i = 0; i < b; ++i) perm.push_back(i);
  for (int64_t v : {0, 3, 1, 4, 2}) perm.push_back(b + v);  // C, H, r, W, r
  Shape out = lead;
  for (int64_t v : {c / (r * r), h * r, w * r}) out.push_back(v);
  return input.reshape(s1).permute(perm).reshape(out);
}

Tensor pixel_unshuffle(const Tensor& input, int64_t r) {
  SEEK_CHECK(input.defined(), "pixel_unshuffle: input is undefined");
  SEEK_CHECK_SHAPE(input.dim() >= 3, "pixel_unshuffle: expected at least 3 dims, got shape ", shape_str(input.sizes()));
  SEEK_CHECK_VALUE(r > 0, "pixel_unshuffle: downscale_factor must be positive, got ", r);
  const int64_t nd = input.dim(), c = input.size(-3), h = input.size(-2), w = input.size(-1);
  SEEK_CHECK_SHAPE(h % r == 0 && w % r == 0, "pixel_unshuffle: the spatial size (", h, ", ", w,
                   ") is not divisible by downscale_factor ", r);
  Shape lead(input.sizes().begin(), input.sizes().end() - 3);
  Shape s1 = lead;
  for (int64_t v : {c, h / r, r, w / r, r}) s1.push_back(v);
  std::vector<int64_t> perm;
  const int64_t b = nd - 3;
  for (int64_t i = 0; i < b; ++i) perm.push_back(i);
  for (int64_t v : {0, 2, 4, 1, 3}) perm.push_back(b + v);  // C, r, r, H/r, W/r
  Shape out = lead;
  for (int64_t v : {c * r * r, h / r, w / r}) out.push_back(v);
  return input.reshape(s1).permute(perm).reshape(out);
}

Tensor normalize(const Tensor& input, double p, int64_t dim, double eps) {
  SEEK_CHECK(input.defined(), "normalize: input is undefined");
  return input / input.norm(p, {dim}, true).clamp_min(eps).expand_as(input);
}

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
  SEEK_CHECK(x1.defined() && x2.defined(), "cosine_similarity: an input is undefined");
  Tensor w12 = (x1 * x2).sum(dim);
  Tensor w1 = (x1 * x1).sum(dim), w2 = (x2 * x2).sum(dim);
  return w12 / (w1 * w2).clamp_min(eps * eps).sqrt();
}

Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  SEEK_CHECK(x1.defined() && x2.defined(), "pairwise_distance: an input is undefined");
  const int64_t d = std::max(x1.dim(), x2.dim());
  Tensor diff = x1 - x2 + eps;
  return diff.norm(p, {d == 0 ? 0 : -1}, keepdim);
}

Tensor channel_dropout(const Tensor& input, int64_t spatial, const char* op, double p, bool training,
                       Generator* generator) {
  SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, op, ": dropout probability has to be between 0 and 1, but got ", p);
  SEEK_CHECK(input.defined(), op, ": input is undefined");
  SEEK_CHECK_SHAPE(input.dim() == spatial + 1 || input.dim() == spatial + 2, op, ": expected a ", spatial + 1,
                   "-D (unbatched) or ", spatial + 2, "-D (batched) input, got shape ", shape_str(input.sizes()));
  if (!training || p == 0.0) return input;
  Shape mask_shape = input.sizes();
  for (size_t i = mask_shape.size() - spatial; i < mask_shape.size(); ++i) mask_shape[i] = 1;
  if (p == 1.0) return input * zeros(mask_shape, TensorOptions(input.dtype()).device(input.device()));
  Tensor keep = bernoulli(mask_shape, 1.0 - p, TensorOptions(input.dtype()).device(input.device()), generator);
  return input * keep.mul(1.0 / (1.0 - p));
}
Tensor dropout1d(const Tensor& input, double p, bool training, Generator* generator) {
  return channel_dropout(input, 1, "dropout1d", p, training, generator);
}
Tensor dropout2d(const Tensor& input, double p, bool training, Generator* generator) {
  return channel_dropout(input, 2, "dropout2d", p, training, generator);
}
Tensor dropout3d(const Tensor& input, double p, bool training, Generator* generator) {
  return channel_dropout(input, 3, "dropout3d", p, training, generator);
}

namespace {

Tensor alpha_dropout_impl(const Tensor& input, double p, bool training, bool feature, Generator* generator,
                          const char* op) {
  SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, op, ": dropout probability has to be between 0 and 1, but got ", p);
  SEEK_CHECK(input.defined(), op, ": input is undefined");
  if (!training || p == 0.0) return input;
  if (p == 1.0) return input * zeros_like(input);
  Shape mask_shape = input.sizes();
  if (feature) {
    SEEK_CHECK_SHAPE(input.dim() >= 2, op, ": expected at least 2 dims (N, C, ...), got shape ",
                     shape_str(input.sizes()));
    for (size_t i = 2; i < mask_shape.size(); ++i) mask_shape[i] = 1;
  }
  const double alpha = 1.7580993408473766;  // -SELU's negative saturation, scale * alpha
  const double a = 1.0 / std::sqrt((alpha * alpha * p + 1) * (1 - p));
  Tensor keep = bernoulli(mask_shape, 1.0 - p, TensorOptions(input.dtype()).device(input.device()), generator);
  Tensor b = (keep - 1.0) * (alpha * a) + alpha * a * p;
  return input * (keep * a) + b;
}

}  // namespace

Tensor alpha_dropout(const Tensor& input, double p, bool training, Generator* generator) {
  return alpha_dropout_impl(input, p, training, false, generator, "alpha_dropout");
}
Tensor feature_alpha_dropout(const Tensor& input, double p, bool training, Generator* generator) {
  return alpha_dropout_impl(input, p, training, true, generator, "feature_alpha_dropout");
}

Tensor prelu(const Tensor& input, const Tensor& weight) {
  SEEK_CHECK(input.defined() && weight.defined(), "prelu: input or weight is undefined");
  const int64_t nw = weight.numel();
  Tensor w = weight.reshape({nw});
  if (nw != 1) {
    SEEK_CHECK_SHAPE(input.dim() >= 2 && input.size(1) == nw, "prelu: weight has ", nw,
                     " elements but the input's channel dim (1) is ",
                     input.dim() >= 2 ? std::to_string(input.size(1)) : std::string("missing"), " (input shape ",
                     shape_str(input.sizes()), ")");
    Shape s(input.dim(), 1);
    s[1] = nw;
    w = w.view(s);
  }
  return where(input > 0, input, input * w);
}

Tensor rrelu(const Tensor& input, double lower, double upper, bool training, Generator* generator) {
  SEEK_CHECK(input.defined(), "rrelu: input is undefined");
  SEEK_CHECK_VALUE(lower <= upper, "rrelu: lower bound (", lower, ") must not be greater than upper bound (", upper,
                   ")");
  if (!training) return where(input >= 0, input, input * ((lower + upper) / 2));
  Tensor slope =
      rand(input.sizes(), TensorOptions(input.dtype()).device(input.device()), generator) * (upper - lower) + lower;
  return where(input >= 0, input, input * slope);
}

Tensor glu(const Tensor& input, int64_t dim) {
  SEEK_CHECK(input.defined(), "glu: input is undefined");
  SEEK_CHECK_SHAPE(input.dim() > 0, "glu: does not support scalars because halving size must be even");
  const int64_t d = dim < 0 ? dim + input.dim() : dim;
  SEEK_CHECK_INDEX(d >= 0 && d < input.dim(), "glu: dim ", dim, " is out of range for a ", input.dim(), "-D input");
  SEEK_CHECK_SHAPE(input.size(d) % 2 == 0, "glu: halving dimension must be even, but dimension ", d, " is size ",
                   input.size(d));
  auto halves = input.chunk(2, d);
  return halves[0] * halves[1].sigmoid();
}

Tensor softmin(const Tensor& input, int64_t dim) { return (-input).softmax(dim); }

Tensor conv_padded(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& padding, const std::string& padding_str,
                   const std::vector<int64_t>& dilation, int64_t groups, const std::string& padding_mode) {
  SEEK_CHECK(weight.defined(), "conv: weight is undefined");
  const int64_t dims = weight.dim() - 2;
  SEEK_CHECK_VALUE(
      padding_mode == "zeros" || padding_mode == "reflect" || padding_mode == "replicate" || padding_mode == "circular",
      "conv: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got '", padding_mode, "'");
  if (padding_mode == "zeros") {
    if (!padding_str.empty()) return convolution(input, weight, bias, stride, padding_str, dilation, groups);
    return convolution(input, weight, bias, stride, padding, dilation, groups);
  }
  // pad() pairs, last dim first, then an unpadded convolution.
  std::vector<int64_t> pads;
  if (padding_str == "same") {
    const auto d = expand_param(dilation, dims, "conv", "dilation");
    for (int64_t i = dims - 1; i >= 0; --i) {
      const int64_t total = d[i] * (weight.size(2 + i) - 1);
      pads.push_back(total / 2);
      pads.push_back(total - total / 2);
    }
    for (int64_t v : expand_param(stride, dims, "conv", "stride"))
      SEEK_CHECK_VALUE(v == 1, "conv: padding='same' is not supported for strided convolutions");
  } else if (padding_str.empty()) {
    const auto p = expand_param(padding, dims, "conv", "padding");
    for (int64_t i = dims - 1; i >= 0; --i) {
      pads.push_back(p[i]);
      pads.push_back(p[i]);
    }
  } else {
    SEEK_CHECK_VALUE(padding_str == "valid", "conv: padding must be 'valid', 'same' or a size, got '", padding_str,
                     "'");
  }
  const Tensor x = pads.empty() ? input : pad(input, pads, padding_mode);
  return convolution(x, weight, bias, stride, std::vector<int64_t>{0}, dilation, groups);
}

Tensor& apply_inplace(Tensor& self, const std::function<Tensor(const Tensor&)>& fn) {
  SEEK_CHECK(self.defined(), "inplace: input is undefined");
  if (GradMode::is_enabled() && self.requires_grad()) {
    self.copy_(fn(self.clone()));  // the clone keeps the value fn's backward saved
  } else {
    NoGradGuard guard;
    self.copy_(fn(self));
  }
  return self;
}

}  // namespace seek::nn::functional
