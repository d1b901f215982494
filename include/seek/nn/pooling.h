#pragma once
// Pooling modules, like torch.nn.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d
// (no parameters; they call the functions of seek/ops/pool.h).
#include "seek/nn/module.h"
#include "seek/ops/pool.h"

namespace seek::nn {

class MaxPool2d : public Module {
 public:
  // stride left unset ({}) is the kernel size.
  MaxPool2d(Int2 kernel_size, Int2 stride = {}, Int2 padding = 0, Int2 dilation = 1, bool ceil_mode = false);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  Int2 kernel_, stride_, padding_, dilation_;
  bool ceil_mode_;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(Int2 kernel_size, Int2 stride = {}, Int2 padding = 0, bool ceil_mode = false,
            bool count_include_pad = true);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  Int2 kernel_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Int2 output_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  Int2 output_size_;
};

}  // namespace seek::nn
