#include "seek/nn/conv.h"

#include <cmath>

#include "seek/core/error.h"
#include "seek/nn/functional_extra.h"
#include "seek/nn/init.h"
#include "seek/ops/creation.h"

namespace seek::nn {

namespace {

std::string pair_str(Int2 v) { return str("(", v.h, ", ", v.w, ")"); }

void check_args(const char* name, int64_t in, int64_t out, Int2 kernel, int64_t groups) {
  SEEK_CHECK_VALUE(in > 0 && out > 0, name, ": channel counts must be positive, got in_channels=", in,
                   " out_channels=", out);
  SEEK_CHECK_VALUE(kernel.h > 0 && kernel.w > 0, name, ": kernel_size must be positive, got ", pair_str(kernel));
  SEEK_CHECK_VALUE(groups > 0 && in % groups == 0 && out % groups == 0, name, ": groups=", groups,
                   " must be positive and divide in_channels=", in, " and out_channels=", out);
}

// torch's reset_parameters for conv layers.
void conv_init(Module& m, bool has_bias) {
  Tensor& w = m.param("weight");
  init::kaiming_uniform_(w, std::sqrt(5.0));
  if (has_bias) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(w).first;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(m.param("bias"), -bound, bound);
  }
}

// torch's extra_repr: non-default settings only.
std::string conv_repr(int64_t in, int64_t out, Int2 k, Int2 s, Int2 p, Int2 d, Int2 op, int64_t groups, bool bias) {
  std::string r = str(in, ", ", out, ", kernel_size=", pair_str(k), ", stride=", pair_str(s));
  if (p.h != 0 || p.w != 0) r += ", padding=" + pair_str(p);
  if (d.h != 1 || d.w != 1) r += ", dilation=" + pair_str(d);
  if (op.h != 0 || op.w != 0) r += ", output_padding=" + pair_str(op);
  if (groups != 1) r += str(", groups=", groups);
  if (!bias) r += ", bias=False";
  return r;
}

}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride, Int2 padding, Int2 dilation,
               int64_t groups, bool bias, TensorOptions options, std::string padding_mode, std::string padding_str)
    : Module("Conv2d"),
      in_(in_channels),
      out_(out_channels),
      kernel_(kernel_size),
      stride_(stride),
      padding_(padding),
      dilation_(dilation),
      groups_(groups),
      has_bias_(bias),
      padding_mode_(std::move(padding_mode)),
      padding_str_(std::move(padding_str)) {
  check_args("Conv2d", in_channels, out_channels, kernel_size, groups);
  SEEK_CHECK_VALUE(padding_mode_ == "zeros" || padding_mode_ == "reflect" || padding_mode_ == "replicate" ||
                       padding_mode_ == "circular",
                   "Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got '",
                   padding_mode_, "'");
  SEEK_CHECK_VALUE(padding_str_.empty() || padding_str_ == "same" || padding_str_ == "valid",
                   "Conv2d: invalid padding string '", padding_str_, "', should be one of {'valid', 'same'}");
  SEEK_CHECK_VALUE(padding_str_ != "same" || (stride.h == 1 && stride.w == 1),
                   "Conv2d: padding='same' is not supported for strided convolutions");
  if (!padding_str_.empty()) padding_ = 0;
  register_parameter("weight", zeros({out_channels, in_channels / groups, kernel_size.h, kernel_size.w},
                                     options.requires_grad(false)));
  if (bias) register_parameter("bias", zeros({out_channels}, options.requires_grad(false)));
  reset_parameters();
}

void Conv2d::reset_parameters() { conv_init(*this, has_bias_); }

Tensor Conv2d::forward(const Tensor& input) {
  if (padding_mode_ == "zeros" && padding_str_.empty())
    return conv2d(input, param("weight"), has_bias_ ? param("bias") : Tensor(), stride_, padding_, dilation_, groups_);
  return functional::conv_padded(input, param("weight"), has_bias_ ? param("bias") : Tensor(), {stride_.h, stride_.w},
                                 {padding_.h, padding_.w}, padding_str_, {dilation_.h, dilation_.w}, groups_,
                                 padding_mode_);
}

std::string Conv2d::extra_repr() const {
  std::string r = conv_repr(in_, out_, kernel_, stride_, padding_, dilation_, 0, groups_, has_bias_);
  if (!padding_str_.empty()) {  // torch shows padding='same' where the numbers go
    const size_t at = r.find(", dilation=") != std::string::npos ? r.find(", dilation=")
                      : r.find(", groups=") != std::string::npos ? r.find(", groups=")
                                                                 : r.find(", bias=");
    r.insert(at == std::string::npos ? r.size() : at, ", padding=" + padding_str_);
  }
  if (padding_mode_ != "zeros") r += ", padding_mode=" + padding_mode_;
  return r;
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride, Int2 padding,
                                 Int2 output_padding, int64_t groups, bool bias, Int2 dilation, TensorOptions options)
    : Module("ConvTranspose2d"),
      in_(in_channels),
      out_(out_channels),
      kernel_(kernel_size),
      stride_(stride),
      padding_(padding),
      output_padding_(output_padding),
      dilation_(dilation),
      groups_(groups),
      has_bias_(bias) {
  check_args("ConvTranspose2d", in_channels, out_channels, kernel_size, groups);
  register_parameter("weight", zeros({in_channels, out_channels / groups, kernel_size.h, kernel_size.w},
                                     options.requires_grad(false)));
  if (bias) register_parameter("bias", zeros({out_channels}, options.requires_grad(false)));
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { conv_init(*this, has_bias_); }

Tensor ConvTranspose2d::forward(const Tensor& input) {
  return conv_transpose2d(input, param("weight"), has_bias_ ? param("bias") : Tensor(), stride_, padding_,
                          output_padding_, groups_, dilation_);
}

std::string ConvTranspose2d::extra_repr() const {
  return conv_repr(in_, out_, kernel_, stride_, padding_, dilation_, output_padding_, groups_, has_bias_);
}

}  // namespace seek::nn
