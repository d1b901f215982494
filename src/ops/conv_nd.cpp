// conv1d and conv3d on the conv2d kernels, and padding="same"/"valid".
// conv3d stacks the kD depth taps of every output depth into the channel dim,
// grouped as (group, tap, channel), so one conv2d of the reshaped weight
// [O, kD * C/groups, kH, kW] computes all output depths at once.
#include "seek/ops/conv_nd.h"

#include "ops/op_utils.h"
#include "seek/core/shape_util.h"
#include "seek/ops/conv.h"
#include "seek/ops/shape.h"

namespace seek {

std::vector<int64_t> expand_param(const std::vector<int64_t>& v, size_t dims, const char* op, const char* arg) {
  SEEK_CHECK_VALUE(v.size() == 1 || v.size() == dims, op, ": ", arg, " must be an int or a tuple of ", dims,
                   " ints, got ", v.size(), " values");
  return v.size() == dims ? v : std::vector<int64_t>(dims, v[0]);
}

namespace {

// The batched form of input (unsqueezing an unbatched one) and whether it was unbatched.
std::pair<Tensor, bool> batched(const Tensor& input, int64_t spatial, const char* op) {
  ops_detail::check_defined(input, op);
  SEEK_CHECK_SHAPE(input.dim() == spatial + 1 || input.dim() == spatial + 2, op, ": expected a ", spatial + 1,
                   "-D (unbatched) or ", spatial + 2, "-D (batched) input, got ", input.dim(), "-D input of shape ",
                   shape_str(input.sizes()));
  if (input.dim() == spatial + 1) return {input.unsqueeze(0), true};
  return {input, false};
}

void check_weight(const Tensor& weight, int64_t spatial, const char* op) {
  ops_detail::check_defined(weight, op, "weight");
  SEEK_CHECK_SHAPE(weight.dim() == spatial + 2, op, ": expected a ", spatial + 2, "-D weight, got shape ",
                   shape_str(weight.sizes()));
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
  auto [x, unbatched] = batched(input, 1, "conv1d");
  check_weight(weight, 1, "conv1d");
  const int64_t s = expand_param(stride, 1, "conv1d", "stride")[0];
  const int64_t p = expand_param(padding, 1, "conv1d", "padding")[0];
  const int64_t d = expand_param(dilation, 1, "conv1d", "dilation")[0];
  Tensor y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, Int2(1, s), Int2(0, p), Int2(1, d), groups).squeeze(2);
  return unbatched ? y.squeeze(0) : y;
}

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::vector<int64_t> stride,
              std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
  auto [x, unbatched] = batched(input, 3, "conv3d");
  check_weight(weight, 3, "conv3d");
  const auto s = expand_param(stride, 3, "conv3d", "stride");
  const auto p = expand_param(padding, 3, "conv3d", "padding");
  const auto d = expand_param(dilation, 3, "conv3d", "dilation");
  SEEK_CHECK_VALUE(groups > 0, "conv3d: groups must be positive, got ", groups);
  SEEK_CHECK_VALUE(s[0] > 0 && d[0] > 0 && p[0] >= 0, "conv3d: stride and dilation must be positive and padding ",
                   "non-negative");
  const int64_t n = x.size(0), c = x.size(1), kd = weight.size(2), o = weight.size(0);
  SEEK_CHECK_SHAPE(c % groups == 0 && weight.size(1) * groups == c, "conv3d: input has ", c,
                   " channels but weight of shape ", shape_str(weight.sizes()), " with groups=", groups, " expects ",
                   weight.size(1) * groups);
  if (p[0] > 0) x = pad(x, {0, 0, 0, 0, p[0], p[0]});
  const int64_t depth = x.size(2);
  const int64_t od = (depth - d[0] * (kd - 1) - 1) / s[0] + 1;
  SEEK_CHECK_SHAPE(depth - d[0] * (kd - 1) - 1 >= 0 && od > 0, "conv3d: the (padded) input depth ", depth,
                   " is smaller than the dilated kernel depth ", d[0] * (kd - 1) + 1);
  std::vector<Tensor> taps;
  taps.reserve(kd);
  for (int64_t t = 0; t < kd; ++t) taps.push_back(x.slice(2, t * d[0], t * d[0] + (od - 1) * s[0] + 1, s[0]));
  const int64_t cg = c / groups, h = x.size(3), w = x.size(4);
  // [N, kD, C, OD, H, W] -> [N, OD, groups, kD, C/groups, H, W] -> [N*OD, groups*kD*C/groups, H, W]
  Tensor cols = stack(taps, 1)
                    .view({n, kd, groups, cg, od, h, w})
                    .permute({0, 4, 2, 1, 3, 5, 6})
                    .reshape({n * od, groups * kd * cg, h, w});
  // [O, C/groups, kD, kH, kW] -> [O, kD * C/groups, kH, kW]
  Tensor w2 = weight.permute({0, 2, 1, 3, 4}).reshape({o, kd * cg, weight.size(3), weight.size(4)});
  Tensor y = conv2d(cols, w2, bias, Int2(s[1], s[2]), Int2(p[1], p[2]), Int2(d[1], d[2]), groups);
  y = y.view({n, od, o, y.size(2), y.size(3)}).transpose(1, 2).contiguous();
  return unbatched ? y.squeeze(0) : y;
}

Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, int64_t groups) {
  ops_detail::check_defined(weight, "convolution", "weight");
  switch (weight.dim()) {
    case 3: return conv1d(input, weight, bias, stride, padding, dilation, groups);
    case 4: {
      const auto s = expand_param(stride, 2, "conv2d", "stride");
      const auto p = expand_param(padding, 2, "conv2d", "padding");
      const auto d = expand_param(dilation, 2, "conv2d", "dilation");
      return conv2d(input, weight, bias, Int2(s[0], s[1]), Int2(p[0], p[1]), Int2(d[0], d[1]), groups);
    }
    case 5: return conv3d(input, weight, bias, stride, padding, dilation, groups);
    default:
      throw ShapeError(str("convolution: expected a 3-D, 4-D or 5-D weight, got shape ", shape_str(weight.sizes())));
  }
}

Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const std::vector<int64_t>& stride,
                   const std::string& padding, const std::vector<int64_t>& dilation, int64_t groups) {
  ops_detail::check_defined(weight, "convolution", "weight");
  const int64_t dims = weight.dim() - 2;
  SEEK_CHECK_SHAPE(dims >= 1 && dims <= 3, "convolution: expected a 3-D, 4-D or 5-D weight, got shape ",
                   shape_str(weight.sizes()));
  const char* op = dims == 1 ? "conv1d" : (dims == 2 ? "conv2d" : "conv3d");
  SEEK_CHECK_VALUE(padding == "same" || padding == "valid", op, ": padding must be 'valid', 'same' or a size, got '",
                   padding, "'");
  if (padding == "valid") return convolution(input, weight, bias, stride, std::vector<int64_t>{0}, dilation, groups);
  const auto s = expand_param(stride, dims, op, "stride");
  const auto d = expand_param(dilation, dims, op, "dilation");
  for (int64_t v : s) SEEK_CHECK_VALUE(v == 1, op, ": padding='same' is not supported for strided convolutions");
  std::vector<int64_t> sym(dims), extra;  // symmetric part, and pad() pairs (last dim first) for the odd remainder
  bool asymmetric = false;
  for (int64_t i = 0; i < dims; ++i) {
    const int64_t total = d[i] * (weight.size(2 + i) - 1);
    sym[i] = total / 2;
    asymmetric = asymmetric || total % 2 != 0;
  }
  Tensor x = input;
  if (asymmetric) {
    for (int64_t i = dims - 1; i >= 0; --i) {
      extra.push_back(0);
      extra.push_back((d[i] * (weight.size(2 + i) - 1)) % 2);
    }
    x = pad(input, extra);
  }
  return convolution(x, weight, bias, stride, sym, dilation, groups);
}

}  // namespace seek
