#include "seek/nn/pooling.h"

#include "seek/core/error.h"

namespace seek::nn {

namespace {
std::string pair_str(Int2 v) { return v.h == v.w ? str(v.h) : str("(", v.h, ", ", v.w, ")"); }
}  // namespace

MaxPool2d::MaxPool2d(Int2 kernel_size, Int2 stride, Int2 padding, Int2 dilation, bool ceil_mode)
    : Module("MaxPool2d"),
      kernel_(kernel_size),
      stride_(stride.unset() ? kernel_size : stride),
      padding_(padding),
      dilation_(dilation),
      ceil_mode_(ceil_mode) {}

Tensor MaxPool2d::forward(const Tensor& input) {
  return max_pool2d(input, kernel_, stride_, padding_, dilation_, ceil_mode_);
}

std::string MaxPool2d::extra_repr() const {
  return str("kernel_size=", pair_str(kernel_), ", stride=", pair_str(stride_), ", padding=", pair_str(padding_),
             ", dilation=", pair_str(dilation_), ", ceil_mode=", ceil_mode_ ? "True" : "False");
}

AvgPool2d::AvgPool2d(Int2 kernel_size, Int2 stride, Int2 padding, bool ceil_mode, bool count_include_pad)
    : Module("AvgPool2d"),
      kernel_(kernel_size),
      stride_(stride.unset() ? kernel_size : stride),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad) {}

Tensor AvgPool2d::forward(const Tensor& input) {
  return avg_pool2d(input, kernel_, stride_, padding_, ceil_mode_, count_include_pad_);
}

std::string AvgPool2d::extra_repr() const {
  return str("kernel_size=", pair_str(kernel_), ", stride=", pair_str(stride_), ", padding=", pair_str(padding_));
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Int2 output_size) : Module("AdaptiveAvgPool2d"), output_size_(output_size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) { return adaptive_avg_pool2d(input, output_size_); }

std::string AdaptiveAvgPool2d::extra_repr() const { return str("output_size=", pair_str(output_size_)); }

}  // namespace seek::nn
