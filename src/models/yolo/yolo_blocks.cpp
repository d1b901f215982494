// YOLOv5's building blocks (Conv, Bottleneck, C3, SPPF) with its child names, and the neck's attention blocks
// (squeeze-excitation, light CBAM). Conv can run conv + batch norm as one fused autograd node (seek::conv_bn,
// issue 15) followed by SiLU: same children, same state dict.
#include <algorithm>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/models/yolo/yolo.h"
#include "seek/nn/conv.h"
#include "seek/nn/functional.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/normalization.h"
#include "seek/nn/pooling.h"
#include "seek/nn/squeeze_excitation.h"
#include "seek/ops/shape.h"

namespace seek::models::yolo {

Conv::Conv(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding)
    : Module("Conv") {
  SEEK_CHECK_VALUE(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0, "Conv: channels, kernel and ",
                   "stride must be positive, got ", in_channels, ", ", out_channels, ", ", kernel, ", ", stride);
  const int64_t pad = padding < 0 ? kernel / 2 : padding;  // YOLOv5's autopad
  conv_ = register_module("conv",
                          std::make_shared<nn::Conv2d>(in_channels, out_channels, kernel, stride, pad, 1, 1, false));
  bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out_channels, 1e-3, 0.03));
  act_ = register_module("act", std::make_shared<nn::SiLU>());
}

int64_t Conv::set_conv_bn_fused(bool fused) {
  fused_ = fused;
  return fused ? 1 : 0;
}

Tensor Conv::forward(const Tensor& input) {
  if (fused_) {
    auto* c = dynamic_cast<nn::Conv2d*>(conv_.module().get());
    auto* b = dynamic_cast<nn::BatchNorm2d*>(bn_.module().get());
    if (c != nullptr && b != nullptr) return act_(nn::conv_bn_forward(*c, *b, input, Tensor(), /*relu=*/false));
  }
  return act_(bn_(conv_(input)));
}

Bottleneck::Bottleneck(int64_t c1, int64_t c2, bool shortcut, double e) : Module("Bottleneck") {
  const auto hidden = static_cast<int64_t>(static_cast<double>(c2) * e);
  cv1_ = register_module("cv1", std::make_shared<Conv>(c1, hidden, 1, 1));
  cv2_ = register_module("cv2", std::make_shared<Conv>(hidden, c2, 3, 1));
  add_ = shortcut && c1 == c2;
}

Tensor Bottleneck::forward(const Tensor& input) {
  Tensor y = cv2_(cv1_(input));
  return add_ ? input + y : y;
}

C3::C3(int64_t c1, int64_t c2, int64_t n, bool shortcut, double e) : Module("C3") {
  SEEK_CHECK_VALUE(n > 0, "C3: the number of bottlenecks must be positive, got ", n);
  const auto hidden = static_cast<int64_t>(static_cast<double>(c2) * e);
  cv1_ = register_module("cv1", std::make_shared<Conv>(c1, hidden, 1, 1));
  cv2_ = register_module("cv2", std::make_shared<Conv>(c1, hidden, 1, 1));
  cv3_ = register_module("cv3", std::make_shared<Conv>(2 * hidden, c2, 1, 1));
  auto m = std::make_shared<nn::Sequential>();
  for (int64_t i = 0; i < n; ++i) m->push_back(std::make_shared<Bottleneck>(hidden, hidden, shortcut, 1.0));
  m_ = register_module("m", m);
}

Tensor C3::forward(const Tensor& input) { return cv3_(cat({m_(cv1_(input)), cv2_(input)}, 1)); }

SPPF::SPPF(int64_t c1, int64_t c2, int64_t k) : Module("SPPF") {
  const int64_t hidden = c1 / 2;
  cv1_ = register_module("cv1", std::make_shared<Conv>(c1, hidden, 1, 1));
  cv2_ = register_module("cv2", std::make_shared<Conv>(hidden * 4, c2, 1, 1));
  m_ = register_module("m", std::make_shared<nn::MaxPool2d>(k, 1, k / 2));
}

Tensor SPPF::forward(const Tensor& input) {
  Tensor x = cv1_(input);
  Tensor y1 = m_(x);
  Tensor y2 = m_(y1);
  return cv2_(cat({x, y1, y2, m_(y2)}, 1));
}

namespace {
nn::ActivationFactory silu_factory() {
  return [] { return std::make_shared<nn::SiLU>(); };
}
}  // namespace

CBAMLight::CBAMLight(int64_t channels, int64_t squeeze_channels, int64_t kernel) : Module("CBAMLight") {
  SEEK_CHECK_VALUE(kernel > 0 && kernel % 2 == 1, "CBAMLight: the spatial kernel must be odd, got ", kernel);
  channel_ =
      register_module("channel", std::make_shared<nn::SqueezeExcitation>(channels, squeeze_channels, silu_factory()));
  spatial_ = register_module("spatial", std::make_shared<nn::Conv2d>(2, 1, kernel, 1, kernel / 2));
}

Tensor CBAMLight::forward(const Tensor& input) {
  Tensor x = channel_(input);
  // [N, 2, H, W]: the mean and the max over channels at each position.
  Tensor pooled = cat({x.mean({1}, true), x.amax({1}, true)}, 1);
  return x * spatial_(pooled).sigmoid();
}

std::shared_ptr<nn::Module> make_attention(const std::string& kind, int64_t channels) {
  const int64_t squeeze = std::max<int64_t>(8, channels / 16);
  if (kind == "se") return std::make_shared<nn::SqueezeExcitation>(channels, squeeze, silu_factory());
  if (kind == "cbam") return std::make_shared<CBAMLight>(channels, squeeze);
  SEEK_CHECK_VALUE(kind == "none", "YOLO attention must be \"se\", \"cbam\" or \"none\", got \"", kind, "\"");
  return std::make_shared<nn::Identity>();
}

}  // namespace seek::models::yolo
