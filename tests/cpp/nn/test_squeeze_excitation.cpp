// nn::SqueezeExcitation: forward against a float64 hand computation, custom activations,
// parameter names and shapes, gradients (gradcheck case), and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "seek/seek.h"
#include "support/gradcheck_registry.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;
using seek::testing::uniform_values;
using V = std::vector<Tensor>;

namespace {

constexpr int64_t N = 2, C = 3, S = 2, H = 2, W = 3;

// Sets the module's four parameters to the given tensors (replacing the handles).
void set_params(nn::SqueezeExcitation& se, const Tensor& w1, const Tensor& b1, const Tensor& w2, const Tensor& b2) {
  se.child("fc1")->param("weight") = w1;
  se.child("fc1")->param("bias") = b1;
  se.child("fc2")->param("weight") = w2;
  se.child("fc2")->param("bias") = b2;
}

// The same computation with plain loops: mean over H, W; fc1; act; fc2; gate; multiply.
std::vector<double> reference(const std::vector<double>& x, const std::vector<double>& w1,
                              const std::vector<double>& b1, const std::vector<double>& w2,
                              const std::vector<double>& b2, double (*act)(double), double (*gate)(double)) {
  std::vector<double> out(x.size());
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> pooled(C, 0.0), hidden(S, 0.0);
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t i = 0; i < H * W; ++i) pooled[c] += x[(n * C + c) * H * W + i];
      pooled[c] /= H * W;
    }
    for (int64_t s = 0; s < S; ++s) {
      double z = b1[s];
      for (int64_t c = 0; c < C; ++c) z += w1[s * C + c] * pooled[c];
      hidden[s] = act(z);
    }
    for (int64_t c = 0; c < C; ++c) {
      double z = b2[c];
      for (int64_t s = 0; s < S; ++s) z += w2[c * S + s] * hidden[s];
      const double scale = gate(z);
      for (int64_t i = 0; i < H * W; ++i) out[(n * C + c) * H * W + i] = scale * x[(n * C + c) * H * W + i];
    }
  }
  return out;
}

double relu(double v) { return std::max(v, 0.0); }
double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double hardswish(double v) { return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0; }
double hardsigmoid(double v) { return std::min(std::max(v / 6.0 + 0.5, 0.0), 1.0); }

void expect_matches(const Tensor& got, const std::vector<double>& want) {
  ASSERT_EQ(got.sizes(), (Shape{N, C, H, W}));
  Tensor g = got.contiguous();
  const double* p = g.data_ptr<double>();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(p[i], want[i], 1e-12) << i;
}

}  // namespace

TEST(SqueezeExcitation, ParametersAsTorchvision) {
  nn::SqueezeExcitation se(16, 8);
  auto sd = se.state_dict();
  ASSERT_EQ(sd.size(), 4u);
  EXPECT_EQ(sd[0].first, "fc1.weight");
  EXPECT_EQ(sd[0].second.sizes(), (Shape{8, 16, 1, 1}));
  EXPECT_EQ(sd[1].first, "fc1.bias");
  EXPECT_EQ(sd[1].second.sizes(), (Shape{8}));
  EXPECT_EQ(sd[2].first, "fc2.weight");
  EXPECT_EQ(sd[2].second.sizes(), (Shape{16, 8, 1, 1}));
  EXPECT_EQ(sd[3].first, "fc2.bias");
  EXPECT_EQ(sd[3].second.sizes(), (Shape{16}));
  EXPECT_EQ(se.num_parameters(), 16 * 8 + 8 + 8 * 16 + 16);
  EXPECT_EQ(se.child("activation")->type_name(), "ReLU");
  EXPECT_EQ(se.child("scale_activation")->type_name(), "Sigmoid");
  EXPECT_EQ(se.child("avgpool")->type_name(), "AdaptiveAvgPool2d");
}

TEST(SqueezeExcitation, ForwardMatchesFloat64Reference) {
  auto x = uniform_values(N * C * H * W, -2.0, 2.0, 11);
  auto w1 = uniform_values(S * C, -1.0, 1.0, 12), b1 = uniform_values(S, -0.5, 0.5, 13);
  auto w2 = uniform_values(C * S, -1.5, 1.5, 14), b2 = uniform_values(C, -0.5, 0.5, 15);
  nn::SqueezeExcitation se(C, S);
  set_params(se, tensor<double>(w1, {S, C, 1, 1}), tensor<double>(b1, {S}), tensor<double>(w2, {C, S, 1, 1}),
             tensor<double>(b2, {C}));
  Tensor input = tensor<double>(x, {N, C, H, W});
  expect_matches(se.forward(input), reference(x, w1, b1, w2, b2, relu, sigmoid));
}

TEST(SqueezeExcitation, CustomActivations) {
  auto x = uniform_values(N * C * H * W, -3.0, 3.0, 21);
  auto w1 = uniform_values(S * C, -2.0, 2.0, 22), b1 = uniform_values(S, -1.0, 1.0, 23);
  auto w2 = uniform_values(C * S, -2.0, 2.0, 24), b2 = uniform_values(C, -1.0, 1.0, 25);
  nn::SqueezeExcitation se(
      C, S, [] { return std::make_shared<nn::Hardswish>(); }, [] { return std::make_shared<nn::Hardsigmoid>(); });
  EXPECT_EQ(se.child("activation")->type_name(), "Hardswish");
  EXPECT_EQ(se.child("scale_activation")->type_name(), "Hardsigmoid");
  set_params(se, tensor<double>(w1, {S, C, 1, 1}), tensor<double>(b1, {S}), tensor<double>(w2, {C, S, 1, 1}),
             tensor<double>(b2, {C}));
  Tensor input = tensor<double>(x, {N, C, H, W});
  expect_matches(se.forward(input), reference(x, w1, b1, w2, b2, hardswish, hardsigmoid));
}

TEST(SqueezeExcitation, ZeroWeightsGateByHalf) {
  // fc2 weight and bias zero: the sigmoid gate is 0.5 for every channel, whatever fc1 does.
  nn::SqueezeExcitation se(4, 2);
  NoGradGuard no_grad;
  nn::init::zeros_(se.child("fc2")->param("weight"));
  nn::init::zeros_(se.child("fc2")->param("bias"));
  Tensor x = uniform_tensor({3, 4, 5, 5}, -1.0, 1.0, kFloat32);
  EXPECT_TRUE(allclose(se.forward(x), x * 0.5, 1e-6, 1e-7));
}

TEST(SqueezeExcitation, BackwardReachesEveryParameter) {
  nn::SqueezeExcitation se(4, 2);
  Tensor x = uniform_tensor({2, 4, 3, 3}, -1.0, 1.0, kFloat32).requires_grad_();
  se.forward(x).sum().backward();
  EXPECT_TRUE(x.grad().defined());
  for (auto& [name, p] : se.named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
}

TEST(SqueezeExcitation, BadInput) {
  nn::SqueezeExcitation se(4, 2);
  EXPECT_SEEK_ERROR_ALL(se.forward(zeros({2, 3, 5, 5})), ShapeError,
                        {"SqueezeExcitation", "expected input [N, 4, H, W]", "got [2, 3, 5, 5]"});
  EXPECT_SEEK_ERROR_ALL(se.forward(zeros({4, 5, 5})), ShapeError, {"SqueezeExcitation", "got [4, 5, 5]"});
  EXPECT_SEEK_ERROR_ALL(nn::SqueezeExcitation(0, 2), ValueError,
                        {"SqueezeExcitation", "must be positive", "got 0 and 2"});
  EXPECT_SEEK_ERROR_ALL(nn::SqueezeExcitation(4, -1), ValueError, {"got 4 and -1"});
  EXPECT_SEEK_ERROR(nn::SqueezeExcitation(4, 2, [] { return nn::ModulePtr(); }), ValueError,
                    "SqueezeExcitation: the activation factory returned null");
  EXPECT_SEEK_ERROR(nn::SqueezeExcitation(4, 2, nullptr, [] { return nn::ModulePtr(); }), ValueError,
                    "SqueezeExcitation: the scale_activation factory returned null");
}

// Gradients w.r.t. the input and all four parameters (the module's handles are replaced by the
// gradcheck inputs). Inputs stay away from ReLU's kink at 0 only by chance, as in the other
// piecewise cases; hardswish/hardsigmoid variants are covered by their own op cases.
SEEK_GRADCHECK_CASE({"nn_squeeze_excitation", {{2, 3, 2, 3}, {2, 3, 1, 1}, {2}, {3, 2, 1, 1}, {3}}, [](const V& x) {
                       nn::SqueezeExcitation se(3, 2);
                       set_params(se, x[1], x[2], x[3], x[4]);
                       return se.forward(x[0]);
                     }});
