// Conv family: conv2d and conv_transpose2d through Backend::conv2d_forward /
// conv2d_backward. conv_transpose2d's forward is conv2d's backward-data; its
// backward is conv2d's forward (for the input) and conv2d's backward-weight
// with the roles of input and grad_out swapped (for the weight).
#include "seek/ops/conv.h"

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/backend/backend.h"
#include "seek/core/autocast.h"
#include "seek/core/shape_util.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

// Checks dtypes, devices and the 4-D weight shared by both ops; returns the params.
Conv2dParams check_common(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias, Int2 stride,
                          Int2 padding, Int2 dilation, int64_t groups) {
  check_defined(input, op);
  check_defined(weight, op, "weight");
  check_same_device(op, {input, weight, bias});
  check_floating(input, op);
  SEEK_CHECK_DTYPE(weight.dtype() == input.dtype() && (!bias.defined() || bias.dtype() == input.dtype()), op,
                   ": expected input, weight and bias to have one dtype, got input ", input.dtype(), ", weight ",
                   weight.dtype(), bias.defined() ? str(", bias ", bias.dtype()) : std::string());
  SEEK_CHECK_SHAPE(weight.dim() == 4, op, ": expected a 4-D weight, got weight of size ", shape_str(weight.sizes()));
  SEEK_CHECK_SHAPE(input.dim() == 4, op, ": expected 3-D (unbatched) or 4-D (batched) input, got input of size ",
                   shape_str(input.sizes()));
  SEEK_CHECK_VALUE(groups > 0, op, ": groups must be positive, got ", groups);
  SEEK_CHECK_VALUE(stride.h > 0 && stride.w > 0, op, ": stride must be positive, got (", stride.h, ", ", stride.w, ")");
  SEEK_CHECK_VALUE(dilation.h > 0 && dilation.w > 0, op, ": dilation must be positive, got (", dilation.h, ", ",
                   dilation.w, ")");
  SEEK_CHECK_VALUE(padding.h >= 0 && padding.w >= 0, op, ": padding must be non-negative, got (", padding.h, ", ",
                   padding.w, ")");
  Conv2dParams p;
  p.stride = stride.arr(), p.padding = padding.arr(), p.dilation = dilation.arr(), p.groups = groups;
  return p;
}

Tensor conv2d_4d(const Tensor& input, const Tensor& weight, const Tensor& bias, Int2 stride, Int2 padding,
                 Int2 dilation, int64_t groups) {
  const char* op = "conv2d";
  Conv2dParams p = check_common(op, input, weight, bias, stride, padding, dilation, groups);
  const int64_t O = weight.size(0), C = input.size(1);
  SEEK_CHECK_SHAPE(O % groups == 0, op, ": given groups=", groups, ", expected weight to be divisible by ", groups,
                   " at dimension 0, but got weight of size ", shape_str(weight.sizes()), " instead");
  SEEK_CHECK_SHAPE(C == weight.size(1) * groups, op, ": Given groups=", groups, ", weight of size ",
                   shape_str(weight.sizes()), ", expected input", shape_str(input.sizes()), " to have ",
                   weight.size(1) * groups, " channels, but got ", C, " channels instead");
  SEEK_CHECK_SHAPE(!bias.defined() || (bias.dim() == 1 && bias.size(0) == O), op, ": expected bias of size [", O,
                   "], got ", bias.defined() ? shape_str(bias.sizes()) : std::string());
  const int64_t H = input.size(2), W = input.size(3);
  const int64_t ph = H + 2 * p.padding[0], pw = W + 2 * p.padding[1];
  const int64_t kh = p.dilation[0] * (weight.size(2) - 1) + 1, kw = p.dilation[1] * (weight.size(3) - 1) + 1;
  SEEK_CHECK_SHAPE(ph >= kh && pw >= kw, op, ": calculated padded input size per channel: (", ph, " x ", pw,
                   "). Kernel size: (", kh, " x ", kw, "). Kernel size can't be greater than actual input size");
  const int64_t OH = (ph - kh) / p.stride[0] + 1, OW = (pw - kw) / p.stride[1] + 1;
  // channels_last when the input or the weight is (as PyTorch); the backend writes through out's strides
  // (NHWC natively on the CUDA device), so no layout copy follows.
  const MemoryFormat fmt =
      layout_of(input) == MemoryFormat::ChannelsLast ? MemoryFormat::ChannelsLast : layout_of(weight);
  Tensor out = alloc_in({input.size(0), O, OH, OW}, input.dtype(), input.device(), fmt);
  {
    NoGradGuard ng;
    backend(input.device()).conv2d_forward(input, weight, bias, p, out);
  }
  if (autograd::needs_grad({input, weight, bias})) {
    autograd::record(
        "Conv2dBackward", {input, weight, bias}, {out},
        [p, fmt, sx = SavedTensor(weight.requires_grad() ? input : Tensor()), sw = SavedTensor(weight),
         has_bias = bias.defined(), w_fmt = layout_of(weight),
         in_shape = input.sizes()](const variable_list& g, const std::vector<bool>& need) {
          const Tensor& w = sw.get();
          Tensor gx = need[0] ? alloc_in(in_shape, w.dtype(), w.device(), fmt) : Tensor();
          Tensor gw = need[1] ? alloc_in(w.sizes(), w.dtype(), w.device(), w_fmt) : Tensor();
          Tensor gb = need[2] && has_bias ? alloc({w.size(0)}, w.dtype(), w.device()) : Tensor();
          if (gx.defined() || gw.defined() || gb.defined())
            backend(w.device()).conv2d_backward(g[0], sx.defined() ? sx.get() : Tensor(), w, p, gx, gw, gb);
          return variable_list{gx, gw, gb};
        });
  }
  return out;
}

Tensor conv_transpose2d_4d(const Tensor& input, const Tensor& weight, const Tensor& bias, Int2 stride, Int2 padding,
                           Int2 output_padding, int64_t groups, Int2 dilation) {
  const char* op = "conv_transpose2d";
  Conv2dParams p = check_common(op, input, weight, bias, stride, padding, dilation, groups);
  const int64_t Cin = input.size(1);
  SEEK_CHECK_SHAPE(Cin == weight.size(0), op, ": Given transposed=1, weight of size ", shape_str(weight.sizes()),
                   ", expected input", shape_str(input.sizes()), " to have ", weight.size(0), " channels, but got ",
                   Cin, " channels instead");
  SEEK_CHECK_SHAPE(Cin % groups == 0, op, ": given groups=", groups, ", expected weight to be divisible by ", groups,
                   " at dimension 0, but got weight of size ", shape_str(weight.sizes()), " instead");
  const int64_t Cout = weight.size(1) * groups;
  SEEK_CHECK_SHAPE(!bias.defined() || (bias.dim() == 1 && bias.size(0) == Cout), op, ": expected bias of size [", Cout,
                   "], got ", bias.defined() ? shape_str(bias.sizes()) : std::string());
  SEEK_CHECK_VALUE(output_padding.h >= 0 && output_padding.w >= 0 &&
                       (output_padding.h < p.stride[0] || output_padding.h < p.dilation[0]) &&
                       (output_padding.w < p.stride[1] || output_padding.w < p.dilation[1]),
                   op,
                   ": output padding must be non-negative and smaller than either stride or dilation, but got "
                   "output_padding (",
                   output_padding.h, ", ", output_padding.w, "), stride (", p.stride[0], ", ", p.stride[1],
                   "), dilation (", p.dilation[0], ", ", p.dilation[1], ")");
  const int64_t OH = (input.size(2) - 1) * p.stride[0] - 2 * p.padding[0] + p.dilation[0] * (weight.size(2) - 1) +
                     output_padding.h + 1;
  const int64_t OW = (input.size(3) - 1) * p.stride[1] - 2 * p.padding[1] + p.dilation[1] * (weight.size(3) - 1) +
                     output_padding.w + 1;
  SEEK_CHECK_SHAPE(OH > 0 && OW > 0 && input.size(2) > 0 && input.size(3) > 0, op, ": given input of size ",
                   shape_str(input.sizes()), ", the calculated output size (", OH, " x ", OW, ") is too small");
  const MemoryFormat fmt =
      layout_of(input) == MemoryFormat::ChannelsLast ? MemoryFormat::ChannelsLast : layout_of(weight);
  Tensor out = alloc_in({input.size(0), Cout, OH, OW}, input.dtype(), input.device(), fmt);
  {
    NoGradGuard ng;
    backend(input.device()).conv2d_backward(input, Tensor(), weight, p, out, Tensor(), Tensor());
    if (bias.defined()) out = out + bias.view({1, Cout, 1, 1});
  }
  if (autograd::needs_grad({input, weight, bias})) {
    autograd::record(
        "ConvTranspose2dBackward", {input, weight, bias}, {out},
        [p, fmt, sx = SavedTensor(weight.requires_grad() ? input : Tensor()), sw = SavedTensor(weight),
         has_bias = bias.defined(), in_shape = input.sizes()](const variable_list& g, const std::vector<bool>& need) {
          const Tensor& w = sw.get();
          Backend& be = backend(w.device());
          Tensor gx, gw, gb;
          if (need[0]) {
            gx = alloc_in(in_shape, w.dtype(), w.device(), fmt);
            be.conv2d_forward(g[0], w, Tensor(), p, gx);
          }
          if (need[1]) {
            gw = alloc_in(w.sizes(), w.dtype(), w.device(), layout_of(w));
            be.conv2d_backward(sx.get(), g[0], w, p, Tensor(), gw, Tensor());
          }
          if (need[2] && has_bias) gb = g[0].sum({0, 2, 3});
          return variable_list{gx, gw, gb};
        });
  }
  return out;
}

}  // namespace

Tensor conv2d(const Tensor& input_arg, const Tensor& weight_arg, const Tensor& bias_arg, Int2 stride, Int2 padding,
              Int2 dilation, int64_t groups) {
  const Tensor input = amp::autocast_lower(input_arg);  // autocast: lower-precision op
  const Tensor weight = amp::autocast_lower(weight_arg);
  const Tensor bias = amp::autocast_lower(bias_arg);
  if (input.defined() && input.dim() == 3)
    return conv2d_4d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
  return conv2d_4d(input, weight, bias, stride, padding, dilation, groups);
}

Tensor conv_transpose2d(const Tensor& input_arg, const Tensor& weight_arg, const Tensor& bias_arg, Int2 stride,
                        Int2 padding, Int2 output_padding, int64_t groups, Int2 dilation) {
  const Tensor input = amp::autocast_lower(input_arg);  // autocast: lower-precision op
  const Tensor weight = amp::autocast_lower(weight_arg);
  const Tensor bias = amp::autocast_lower(bias_arg);
  if (input.defined() && input.dim() == 3)
    return conv_transpose2d_4d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation)
        .squeeze(0);
  return conv_transpose2d_4d(input, weight, bias, stride, padding, output_padding, groups, dilation);
}

}  // namespace seek
