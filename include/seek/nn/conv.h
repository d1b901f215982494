#pragma once
// nn::Conv2d and nn::ConvTranspose2d, like torch.nn.Conv2d / ConvTranspose2d:
// parameters "weight" ([out, in/groups, kH, kW], transposed: [in, out/groups, kH, kW])
// and "bias" ([out]), torch's default init (weight kaiming_uniform_(a = sqrt(5)),
// bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in from the weight's dim 1).
#include "seek/nn/module.h"
#include "seek/ops/conv.h"

namespace seek::nn {

class Conv2d : public Module {
 public:
  // padding_mode: "zeros", "reflect", "replicate" or "circular" (torch's); padding_str
  // "same" or "valid" replaces the numeric padding (empty: use padding).
  Conv2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride = 1, Int2 padding = 0,
         Int2 dilation = 1, int64_t groups = 1, bool bias = true, TensorOptions options = {},
         std::string padding_mode = "zeros", std::string padding_str = "");
  Tensor forward(const Tensor& input) override;
  void reset_parameters();
  std::string extra_repr() const override;

  bool has_bias() const { return has_bias_; }
  Tensor& weight() { return param("weight"); }
  Tensor& bias() { return param("bias"); }  // ValueError without bias
  // issue 15: a new Conv2d of the same configuration with a bias, on the weight's device and
  // dtype, freshly initialised (fuse_conv_bn_eval writes its parameters; src/nn/fusion.cpp).
  std::shared_ptr<Conv2d> make_biased_twin();
  // issue 15: the configuration, for the fused conv + batch norm training path (nn/fused_conv_bn.h).
  Int2 stride() const { return stride_; }
  Int2 padding() const { return padding_; }
  Int2 dilation() const { return dilation_; }
  int64_t groups() const { return groups_; }
  const std::string& padding_mode() const { return padding_mode_; }
  const std::string& padding_str() const { return padding_str_; }

 private:
  int64_t in_, out_;
  Int2 kernel_, stride_, padding_, dilation_;
  int64_t groups_;
  bool has_bias_;
  std::string padding_mode_, padding_str_;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride = 1, Int2 padding = 0,
                  Int2 output_padding = 0, int64_t groups = 1, bool bias = true, Int2 dilation = 1,
                  TensorOptions options = {});
  Tensor forward(const Tensor& input) override;
  void reset_parameters();
  std::string extra_repr() const override;

  bool has_bias() const { return has_bias_; }
  Tensor& weight() { return param("weight"); }
  Tensor& bias() { return param("bias"); }  // ValueError without bias

 private:
  int64_t in_, out_;
  Int2 kernel_, stride_, padding_, output_padding_, dilation_;
  int64_t groups_;
  bool has_bias_;
};

}  // namespace seek::nn
