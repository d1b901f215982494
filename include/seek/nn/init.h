#pragma once
// seek::nn::init: in-place parameter initialisers, like torch.nn.init.
// Every function runs under NoGradGuard, works on any device (written with
// seek ops) and returns its argument. Fans follow torch: for a weight of shape
// [out, in, k...] fan_in = in * prod(k) and fan_out = out * prod(k).
#include <optional>
#include <string>
#include <utility>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek::nn::init {

// Recommended gain for a nonlinearity: linear/conv*/sigmoid 1, tanh 5/3,
// relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) (slope default 0.01), selu 3/4.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);
// (fan_in, fan_out); ValueError for fewer than 2 dimensions.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t);

Tensor& uniform_(Tensor& t, double a = 0.0, double b = 1.0, Generator* generator = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
// Normal(mean, std) restricted to [a, b] (rejection: values outside are redrawn).
Tensor& trunc_normal_(Tensor& t, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0,
                      Generator* generator = nullptr);
// U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0, Generator* generator = nullptr);
// N(0, std), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor& xavier_normal_(Tensor& t, double gain = 1.0, Generator* generator = nullptr);
// U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan); mode "fan_in" or "fan_out";
// a is the leaky_relu negative slope passed to calculate_gain.
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                         const std::string& nonlinearity = "leaky_relu", Generator* generator = nullptr);
// N(0, std), std = gain / sqrt(fan).
Tensor& kaiming_normal_(Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu", Generator* generator = nullptr);

}  // namespace seek::nn::init
