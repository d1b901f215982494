#include "seek/nn/init.h"

#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/random.h"
#include "seek/ops/ternary.h"

namespace seek::nn::init {

double calculate_gain(const std::string& nl, std::optional<double> param) {
  if (nl == "linear" || nl == "conv1d" || nl == "conv2d" || nl == "conv3d" || nl == "conv_transpose1d" ||
      nl == "conv_transpose2d" || nl == "conv_transpose3d" || nl == "sigmoid")
    return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") {
    double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nl == "selu") return 3.0 / 4.0;
  throw ValueError(str("calculate_gain: unsupported nonlinearity '", nl, "'"));
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t) {
  SEEK_CHECK_VALUE(t.dim() >= 2, "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a ",
                   "tensor with fewer than 2 dimensions (got ", t.dim(), ")");
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

namespace {
int64_t fan_for_mode(const Tensor& t, const std::string& mode, const char* op) {
  SEEK_CHECK_VALUE(mode == "fan_in" || mode == "fan_out", op, ": mode must be 'fan_in' or 'fan_out', got '", mode, "'");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return mode == "fan_in" ? fan_in : fan_out;
}
void check_defined(const Tensor& t, const char* op) { SEEK_CHECK_VALUE(t.defined(), op, ": tensor is undefined"); }
}  // namespace

Tensor& uniform_(Tensor& t, double a, double b, Generator* g) {
  check_defined(t, "init.uniform_");
  NoGradGuard ng;
  return ::seek::uniform_(t, a, b, g);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* g) {
  check_defined(t, "init.normal_");
  NoGradGuard ng;
  return ::seek::normal_(t, mean, std, g);
}

Tensor& constant_(Tensor& t, double value) {
  check_defined(t, "init.constant_");
  NoGradGuard ng;
  return t.fill_(value);
}
Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

Tensor& trunc_normal_(Tensor& t, double mean, double std, double a, double b, Generator* g) {
  check_defined(t, "init.trunc_normal_");
  SEEK_CHECK_VALUE(a < b, "init.trunc_normal_: need a < b, got a=", a, " b=", b);
  SEEK_CHECK_VALUE(std >= 0, "init.trunc_normal_: std must be >= 0, got ", std);
  NoGradGuard ng;
  // Redraw the values outside [a, b]; each round keeps at least the in-range
  // mass, so a few rounds suffice unless [a, b] lies far in a tail.
  Tensor x = normal(mean, std, t.sizes(), TensorOptions(t.dtype()).device(t.device()), g);
  for (int round = 0; round < 1000; ++round) {
    Tensor bad = x.lt(a).logical_or(x.gt(b));
    if (!bad.any().item<bool>()) break;
    x = where(bad, normal(mean, std, t.sizes(), TensorOptions(t.dtype()).device(t.device()), g), x);
  }
  // Whatever is still outside after the rounds (tiny-probability intervals) is clamped.
  t.copy_(x.clamp(a, b));
  return t;
}

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* g) {
  check_defined(t, "init.xavier_uniform_");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return init::uniform_(t, -bound, bound, g);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* g) {
  check_defined(t, "init.xavier_normal_");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return init::normal_(t, 0.0, std, g);
}

Tensor& kaiming_uniform_(Tensor& t, double a, const std::string& mode, const std::string& nonlinearity, Generator* g) {
  check_defined(t, "init.kaiming_uniform_");
  int64_t fan = fan_for_mode(t, mode, "init.kaiming_uniform_");
  SEEK_CHECK_VALUE(fan > 0, "init.kaiming_uniform_: fan is 0 for a tensor of shape ", shape_str(t.sizes()));
  double bound = std::sqrt(3.0) * calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
  return init::uniform_(t, -bound, bound, g);
}

Tensor& kaiming_normal_(Tensor& t, double a, const std::string& mode, const std::string& nonlinearity, Generator* g) {
  check_defined(t, "init.kaiming_normal_");
  int64_t fan = fan_for_mode(t, mode, "init.kaiming_normal_");
  SEEK_CHECK_VALUE(fan > 0, "init.kaiming_normal_: fan is 0 for a tensor of shape ", shape_str(t.sizes()));
  double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
  return init::normal_(t, 0.0, std, g);
}

}  // namespace seek::nn::init
