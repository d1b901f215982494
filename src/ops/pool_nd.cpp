// 1-D / 3-D pooling on the 2-D pooling kernels, and adaptive max pooling: one
// max_pool2d when the windows tile the input evenly, else a max per window.
#include "seek/ops/pool_nd.h"

#include "ops/op_utils.h"
#include "seek/core/shape_util.h"
#include "seek/ops/conv_nd.h"
#include "seek/ops/creation.h"
#include "seek/ops/pool.h"
#include "seek/ops/reduce.h"
#include "seek/ops/shape.h"

namespace seek {

namespace {

void check_input(const Tensor& input, int64_t spatial, const char* op) {
  ops_detail::check_defined(input, op);
  SEEK_CHECK_SHAPE(input.dim() == spatial + 1 || input.dim() == spatial + 2, op, ": expected a ", spatial + 1,
                   "-D (unbatched) or ", spatial + 2, "-D (batched) input, got shape ", shape_str(input.sizes()));
}

// [..., L] as [..., 1, L] for the 2-D kernels, and back.
Tensor as_2d(const Tensor& x) { return x.unsqueeze(-2); }
Tensor from_2d(const Tensor& y) { return y.squeeze(-2); }

}  // namespace

Tensor max_pool1d(const Tensor& input, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding,
                  int64_t dilation, bool ceil_mode) {
  check_input(input, 1, "max_pool1d");
  return from_2d(max_pool2d(as_2d(input), Int2(1, kernel_size), Int2(1, stride.value_or(kernel_size)), Int2(0, padding),
                            Int2(1, dilation), ceil_mode));
}

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size,
                                                  std::optional<int64_t> stride, int64_t padding, int64_t dilation,
                                                  bool ceil_mode) {
  check_input(input, 1, "max_pool1d");
  auto [v, i] = max_pool2d_with_indices(as_2d(input), Int2(1, kernel_size), Int2(1, stride.value_or(kernel_size)),
                                        Int2(0, padding), Int2(1, dilation), ceil_mode);
  return {from_2d(v), from_2d(i)};  // the height is 1, so h * W + w is w
}

Tensor avg_pool1d(const Tensor& input, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding,
                  bool ceil_mode, bool count_include_pad) {
  check_input(input, 1, "avg_pool1d");
  return from_2d(avg_pool2d(as_2d(input), Int2(1, kernel_size), Int2(1, stride.value_or(kernel_size)), Int2(0, padding),
                            ceil_mode, count_include_pad));
}

namespace {

// A 3-D pool as pool2d over (H, W) with D as channels, then pool2d over D as width.
template <typename Pool2d, typename PoolD>
Tensor pool3d(const Tensor& input, const char* op, Pool2d hw, PoolD dd) {
  check_input(input, 3, op);
  const bool unbatched = input.dim() == 4;
  Tensor x = unbatched ? input.unsqueeze(0) : input;
  const int64_t n = x.size(0), c = x.size(1), d = x.size(2);
  Tensor y = hw(x.reshape({n * c, d, x.size(3), x.size(4)}));  // [N*C, D, OH, OW]
  const int64_t oh = y.size(2), ow = y.size(3);
  Tensor z = dd(y.reshape({n * c, d, oh * ow}).transpose(1, 2).unsqueeze(1));  // [N*C, 1, OH*OW, OD]
  Tensor out = z.squeeze(1).transpose(1, 2).reshape({n, c, z.size(3), oh, ow});
  return unbatched ? out.squeeze(0) : out;
}

}  // namespace

Tensor max_pool3d(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, std::vector<int64_t> dilation, bool ceil_mode) {
  const auto k = expand_param(kernel_size, 3, "max_pool3d", "kernel_size");
  const auto s = stride.empty() ? k : expand_param(stride, 3, "max_pool3d", "stride");
  const auto p = expand_param(padding, 3, "max_pool3d", "padding");
  const auto d = expand_param(dilation, 3, "max_pool3d", "dilation");
  return pool3d(
      input, "max_pool3d",
      [&](const Tensor& x) {
        return max_pool2d(x, Int2(k[1], k[2]), Int2(s[1], s[2]), Int2(p[1], p[2]), Int2(d[1], d[2]), ceil_mode);
      },
      [&](const Tensor& x) {
        return max_pool2d(x, Int2(1, k[0]), Int2(1, s[0]), Int2(0, p[0]), Int2(1, d[0]), ceil_mode);
      });
}

Tensor avg_pool3d(const Tensor& input, std::vector<int64_t> kernel_size, std::vector<int64_t> stride,
                  std::vector<int64_t> padding, bool ceil_mode, bool count_include_pad) {
  const auto k = expand_param(kernel_size, 3, "avg_pool3d", "kernel_size");
  const auto s = stride.empty() ? k : expand_param(stride, 3, "avg_pool3d", "stride");
  const auto p = expand_param(padding, 3, "avg_pool3d", "padding");
  return pool3d(
      input, "avg_pool3d",
      [&](const Tensor& x) {
        return avg_pool2d(x, Int2(k[1], k[2]), Int2(s[1], s[2]), Int2(p[1], p[2]), ceil_mode, count_include_pad);
      },
      [&](const Tensor& x) {
        return avg_pool2d(x, Int2(1, k[0]), Int2(1, s[0]), Int2(0, p[0]), ceil_mode, count_include_pad);
      });
}

Tensor adaptive_avg_pool1d(const Tensor& input, int64_t output_size) {
  check_input(input, 1, "adaptive_avg_pool1d");
  return from_2d(adaptive_avg_pool2d(as_2d(input), Int2(1, output_size)));
}

std::pair<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, std::vector<int64_t> output_size) {
  check_input(input, 2, "adaptive_max_pool2d");
  const auto os = expand_param(output_size, 2, "adaptive_max_pool2d", "output_size");
  const int64_t h = input.size(-2), w = input.size(-1), oh = os[0], ow = os[1];
  SEEK_CHECK_VALUE(oh > 0 && ow > 0, "adaptive_max_pool2d: output_size must be positive, got (", oh, ", ", ow, ")");
  SEEK_CHECK_SHAPE(h > 0 && w > 0, "adaptive_max_pool2d: the input's spatial size must be positive, got shape ",
                   shape_str(input.sizes()));
  if (h % oh == 0 && w % ow == 0)  // equal windows that tile the input: one max_pool2d
    return max_pool2d_with_indices(input, Int2(h / oh, w / ow), Int2(h / oh, w / ow));
  std::vector<Tensor> vals, idxs;
  vals.reserve(oh * ow);
  idxs.reserve(oh * ow);
  for (int64_t i = 0; i < oh; ++i) {
    const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
    for (int64_t j = 0; j < ow; ++j) {
      const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
      Tensor region = input.slice(-2, h0, h1).slice(-1, w0, w1).flatten(-2, -1);
      auto [v, li] = region.max(-1);
      const int64_t ww = w1 - w0;
      vals.push_back(v);
      Tensor lf = li.to(kFloat64), q = (lf / static_cast<double>(ww)).floor();  // exact: small integers
      idxs.push_back(((q + h0) * w + w0 + (lf - q * ww)).to(kInt64));
    }
  }
  Shape shape = input.sizes();
  shape[shape.size() - 2] = oh;
  shape[shape.size() - 1] = ow;
  return {stack(vals, -1).view(shape), stack(idxs, -1).view(shape)};
}

std::pair<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, int64_t output_size) {
  check_input(input, 1, "adaptive_max_pool1d");
  auto [v, i] = adaptive_max_pool2d(as_2d(input), {1, output_size});
  return {from_2d(v), from_2d(i)};
}

}  // namespace seek
