// Conv + batch norm folding (seek/nn/fusion.h) on every registered device (the CPU, and the
// simulated CUDA device in CI): the fused conv equals bn(conv(x)) of the eval-mode modules within
// 1e-5 in f32, with and without a conv bias and a BN affine, with groups and stride; the model pass
// rewrites every Conv2d -> BatchNorm2d pair of a nested Sequential (ReLU kept) and the model's
// output is unchanged; misuse is a ValueError.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace seek::nn {
namespace {

using seek::testing::uniform_tensor;

std::vector<Device> devices() {
  std::vector<Device> out;
  for (DeviceType t : registered_backends())
    if (backend(Device(t, 0)).supports(BackendFamily::Conv, kFloat32)) out.push_back(Device(t, 0));
  return out;
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  const std::vector<double> g = to_vector<double>(got.to(kCPU).to(kFloat64).contiguous());
  const std::vector<double> w = to_vector<double>(want.to(kCPU).to(kFloat64).contiguous());
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], w[i], tol * std::max(1.0, std::fabs(w[i]))) << what << " [" << i << "]";
}

// A batch norm with non-trivial running statistics and affine parameters (two training steps).
std::shared_ptr<BatchNorm2d> trained_bn(int64_t c, bool affine, Device d) {
  auto bn = std::make_shared<BatchNorm2d>(c, 1e-3, 0.5, affine);
  bn->to(d);
  for (uint64_t s : {1, 2}) bn->forward(uniform_tensor({4, c, 3, 3}, -2, 3, kFloat32, s).to(d));
  if (affine) {
    NoGradGuard g;
    bn->param("weight").copy_(uniform_tensor({c}, 0.5, 1.5, kFloat32, 3).to(d));
    bn->param("bias").copy_(uniform_tensor({c}, -1, 1, kFloat32, 4).to(d));
  }
  bn->eval();
  return bn;
}

TEST(NnFusion, FusedConvEqualsConvThenBatchNorm) {
  for (Device d : devices()) {
    for (bool conv_bias : {true, false}) {
      for (bool affine : {true, false}) {
        manual_seed(7);
        Conv2d conv(4, 6, 3, /*stride=*/2, /*padding=*/1, 1, /*groups=*/2, conv_bias);
        conv.to(d);
        conv.eval();
        auto bn = trained_bn(6, affine, d);
        auto fused = fuse_conv_bn_eval(conv, *bn);
        EXPECT_FALSE(fused->is_training());
        EXPECT_TRUE(fused->has_bias());
        EXPECT_EQ(fused->weight().device(), d);
        const Tensor x = uniform_tensor({2, 4, 7, 7}, -1, 1, kFloat32, 9).to(d);
        NoGradGuard g;
        const std::string what = str(d.str(), " conv bias ", conv_bias, " affine ", affine);
        expect_close(fused->forward(x), bn->forward(conv.forward(x)), 1e-5, what);
        // The conv itself is untouched.
        EXPECT_EQ(conv.has_bias(), conv_bias) << what;
      }
    }
  }
}

TEST(NnFusion, ModelPassFoldsEveryPairAndKeepsTheOutput) {
  for (Device d : devices()) {
    manual_seed(11);
    auto inner = std::make_shared<Sequential>();
    inner->push_back(std::make_shared<Conv2d>(8, 8, 3, 1, 1, 1, 1, false));
    inner->push_back(std::make_shared<BatchNorm2d>(8));
    auto model = std::make_shared<Sequential>();
    model->push_back(std::make_shared<Conv2d>(3, 8, 3, 1, 1));
    model->push_back(std::make_shared<BatchNorm2d>(8));
    model->push_back(std::make_shared<ReLU>());
    model->push_back(inner);
    model->push_back(std::make_shared<MaxPool2d>(2));
    model->to(d);
    model->forward(uniform_tensor({4, 3, 8, 8}, -1, 1, kFloat32, 12).to(d));  // running statistics
    model->eval();
    const Tensor x = uniform_tensor({2, 3, 8, 8}, -1, 1, kFloat32, 13).to(d);
    NoGradGuard g;
    const Tensor before = model->forward(x);
    EXPECT_EQ(fuse_conv_bn(*model), 2);
    EXPECT_EQ(model->child("1")->type_name(), "Identity");
    EXPECT_EQ(model->child("2")->type_name(), "ReLU");
    EXPECT_EQ(inner->child("1")->type_name(), "Identity");
    EXPECT_TRUE(std::dynamic_pointer_cast<Conv2d>(inner->child("0"))->has_bias());
    expect_close(model->forward(x), before, 1e-5, d.str());
    EXPECT_EQ(fuse_conv_bn(*model), 0);  // nothing left to fold
  }
}

TEST(NnFusion, MisuseIsAValueError) {
  Conv2d conv(3, 4, 1);
  BatchNorm2d bn(4), wrong(5), stateless(4, 1e-5, 0.1, true, /*track_running_stats=*/false);
  EXPECT_THROW(fuse_conv_bn_eval(conv, bn), ValueError);  // training mode
  conv.eval();
  bn.eval();
  wrong.eval();
  stateless.eval();
  EXPECT_NO_THROW(fuse_conv_bn_eval(conv, bn));
  EXPECT_THROW(fuse_conv_bn_eval(conv, wrong), ValueError);
  EXPECT_THROW(fuse_conv_bn_eval(conv, stateless), ValueError);
  Sequential model;
  model.push_back(std::make_shared<Conv2d>(3, 4, 1));
  EXPECT_THROW(fuse_conv_bn(model), ValueError);
}

}  // namespace
}  // namespace seek::nn
