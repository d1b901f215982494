// Pool family: max_pool2d, avg_pool2d and adaptive_avg_pool2d through the
// backend's pool kernels. Output sizes follow torch (pooling_output_shape):
// floor or ceil of the window count, and with ceil_mode a last window that
// would start inside the right padding is dropped.
#include "seek/ops/pool.h"

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/backend/backend.h"
#include "seek/core/shape_util.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

void check_input(const Tensor& input, const char* op) {
  check_defined(input, op);
  check_floating(input, op);
  SEEK_CHECK_SHAPE(input.dim() == 4 && input.size(1) > 0 && input.size(2) > 0 && input.size(3) > 0, op,
                   ": expected 3-D or 4-D input with non-zero channel and spatial sizes, got input of size ",
                   shape_str(input.sizes()));
}

int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (span >= 0 ? span / s : -((-span + s - 1) / s)) + 1;  // floor division
  if (ceil_mode && (out - 1) * s >= in + pad) --out;
  return out;
}

// Validates the window and fills p; returns the output shape.
Shape pool_shape(const char* op, const Tensor& input, PoolParams& p, Int2 kernel, Int2 stride, Int2 padding,
                 Int2 dilation, bool ceil_mode, bool is_max) {
  check_input(input, op);
  if (stride.unset()) stride = kernel;
  SEEK_CHECK_VALUE(kernel.h > 0 && kernel.w > 0, op, ": kernel_size must be positive, got (", kernel.h, ", ", kernel.w,
                   ")");
  SEEK_CHECK_VALUE(stride.h > 0 && stride.w > 0, op, ": stride must be positive, got (", stride.h, ", ", stride.w, ")");
  SEEK_CHECK_VALUE(dilation.h > 0 && dilation.w > 0, op, ": dilation must be positive, got (", dilation.h, ", ",
                   dilation.w, ")");
  // torch: pad <= half the (effective) kernel, so every window sees an input element.
  const int64_t ekh = is_max ? (kernel.h - 1) * dilation.h + 1 : kernel.h;
  const int64_t ekw = is_max ? (kernel.w - 1) * dilation.w + 1 : kernel.w;
  SEEK_CHECK_VALUE(padding.h >= 0 && padding.w >= 0 && padding.h <= ekh / 2 && padding.w <= ekw / 2, op,
                   ": pad should be non-negative and at most half of effective kernel size, but got pad=(", padding.h,
                   ", ", padding.w, "), kernel_size=(", kernel.h, ", ", kernel.w, ") and dilation=(", dilation.h, ", ",
                   dilation.w, ")");
  p.kernel = kernel.arr(), p.stride = stride.arr(), p.padding = padding.arr(), p.dilation = dilation.arr();
  p.ceil_mode = ceil_mode;
  const int64_t OH = out_size(input.size(2), kernel.h, stride.h, padding.h, dilation.h, ceil_mode);
  const int64_t OW = out_size(input.size(3), kernel.w, stride.w, padding.w, dilation.w, ceil_mode);
  SEEK_CHECK_SHAPE(OH > 0 && OW > 0, op, ": given input of size ", shape_str(input.sizes()),
                   ", the calculated output size (", OH, " x ", OW, ") is too small");
  return {input.size(0), input.size(1), OH, OW};
}

std::pair<Tensor, Tensor> max_pool_4d(const Tensor& input, Int2 kernel, Int2 stride, Int2 padding, Int2 dilation,
                                      bool ceil_mode) {
  PoolParams p;
  Shape shape = pool_shape("max_pool2d", input, p, kernel, stride, padding, dilation, ceil_mode, true);
  // channels_last in, channels_last out (values and indices), written so by the backend
  const MemoryFormat fmt = layout_of(input);
  Tensor out = alloc_in(shape, input.dtype(), input.device(), fmt);
  Tensor idx = alloc_in(shape, DType::Int64, input.device(), fmt);
  {
    NoGradGuard ng;
    backend(input.device()).max_pool2d_forward(input, p, out, idx);
  }
  if (autograd::needs_grad({input})) {
    autograd::record(
        "MaxPool2dBackward", {input}, {out},
        [si = SavedTensor(idx), fmt, in_shape = input.sizes()](const variable_list& g, const std::vector<bool>&) {
          Tensor gx = alloc_in(in_shape, g[0].dtype(), g[0].device(), fmt);
          backend(gx.device()).max_pool2d_backward(g[0], si.get(), gx);
          return variable_list{gx};
        });
  }
  return {out, idx};
}

Tensor avg_pool_4d(const Tensor& input, Int2 kernel, Int2 stride, Int2 padding, bool ceil_mode,
                   bool count_include_pad) {
  PoolParams p;
  Shape shape = pool_shape("avg_pool2d", input, p, kernel, stride, padding, 1, ceil_mode, false);
  p.count_include_pad = count_include_pad;
  const MemoryFormat fmt = layout_of(input);
  Tensor out = alloc_in(shape, input.dtype(), input.device(), fmt);
  {
    NoGradGuard ng;
    backend(input.device()).avg_pool2d_forward(input, p, out);
  }
  if (autograd::needs_grad({input})) {
    autograd::record("AvgPool2dBackward", {input}, {out},
                     [p, fmt, in_shape = input.sizes()](const variable_list& g, const std::vector<bool>&) {
                       Tensor gx = alloc_in(in_shape, g[0].dtype(), g[0].device(), fmt);
                       backend(gx.device()).avg_pool2d_backward(g[0], p, gx);
                       return variable_list{gx};
                     });
  }
  return out;
}

Tensor adaptive_avg_pool_4d(const Tensor& input, Int2 output_size) {
  const char* op = "adaptive_avg_pool2d";
  check_input(input, op);
  SEEK_CHECK_VALUE(output_size.h >= 0 && output_size.w >= 0, op, ": output_size must be non-negative, got (",
                   output_size.h, ", ", output_size.w, ")");
  const MemoryFormat fmt = layout_of(input);
  Tensor out =
      alloc_in({input.size(0), input.size(1), output_size.h, output_size.w}, input.dtype(), input.device(), fmt);
  {
    NoGradGuard ng;
    backend(input.device()).adaptive_avg_pool2d_forward(input, out);
  }
  if (autograd::needs_grad({input})) {
    autograd::record("AdaptiveAvgPool2dBackward", {input}, {out},
                     [fmt, in_shape = input.sizes()](const variable_list& g, const std::vector<bool>&) {
                       Tensor gx = alloc_in(in_shape, g[0].dtype(), g[0].device(), fmt);
                       backend(gx.device()).adaptive_avg_pool2d_backward(g[0], gx);
                       return variable_list{gx};
                     });
  }
  return out;
}

bool unbatched(const Tensor& t) { return t.defined() && t.dim() == 3; }

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, Int2 kernel_size, Int2 stride, Int2 padding,
                                                  Int2 dilation, bool ceil_mode) {
  if (unbatched(input)) {
    auto [v, i] = max_pool_4d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode);
    return {v.squeeze(0), i.squeeze(0)};
  }
  return max_pool_4d(input, kernel_size, stride, padding, dilation, ceil_mode);
}

Tensor max_pool2d(const Tensor& input, Int2 kernel_size, Int2 stride, Int2 padding, Int2 dilation, bool ceil_mode) {
  return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode).first;
}

Tensor avg_pool2d(const Tensor& input, Int2 kernel_size, Int2 stride, Int2 padding, bool ceil_mode,
                  bool count_include_pad) {
  if (unbatched(input))
    return avg_pool_4d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad).squeeze(0);
  return avg_pool_4d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
}

Tensor adaptive_avg_pool2d(const Tensor& input, Int2 output_size) {
  if (unbatched(input)) return adaptive_avg_pool_4d(input.unsqueeze(0), output_size).squeeze(0);
  return adaptive_avg_pool_4d(input, output_size);
}

}  // namespace seek
