// nn::Conv2d / ConvTranspose2d / pooling modules: parameters, init, forward == functional.
#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

TEST(NNConv2d, ParameterNamesShapesAndRepr) {
  nn::Conv2d c(4, 6, {3, 2}, 1, 1, 1, 2);
  auto named = c.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[0].second.sizes(), (Shape{6, 2, 3, 2}));
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(named[1].second.sizes(), (Shape{6}));
  EXPECT_TRUE(named[0].second.requires_grad());
  EXPECT_EQ(c.repr(), "Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), padding=(1, 1), groups=2)");
  nn::Conv2d nb(3, 8, 3, 2, 0, 1, 1, false);
  EXPECT_EQ(nb.named_parameters().size(), 1u);
  EXPECT_SEEK_ERROR(nb.bias(), ValueError, "bias");
  EXPECT_EQ(nb.repr(), "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), bias=False)");
  EXPECT_SEEK_ERROR(nn::Conv2d(3, 8, 3, 1, 0, 1, 2), ValueError, "must be positive and divide in_channels=3");
  EXPECT_SEEK_ERROR(nn::Conv2d(3, 8, 0), ValueError, "kernel_size must be positive");

  nn::ConvTranspose2d t(4, 6, 3, 2, 1, 1, 2);
  EXPECT_EQ(t.weight().sizes(), (Shape{4, 3, 3, 3}));
  EXPECT_EQ(t.bias().sizes(), (Shape{6}));
  EXPECT_EQ(t.repr(),
            "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), "
            "groups=2)");
}

TEST(NNConv2d, DefaultInitBounds) {
  manual_seed(3);
  nn::Conv2d c(16, 64, 3);  // fan_in = 16 * 9
  const double bound = 1.0 / std::sqrt(16.0 * 9.0);
  EXPECT_LE(c.weight().abs().max().item<double>(), bound);
  EXPECT_GT(c.weight().abs().max().item<double>(), 0.99 * bound);
  EXPECT_NEAR(c.weight().std().item<double>(), bound / std::sqrt(3.0), 0.03 * bound);
  EXPECT_LE(c.bias().abs().max().item<double>(), bound);
  EXPECT_GT(c.bias().abs().max().item<double>(), 0.8 * bound);
  // ConvTranspose2d: torch's fan_in comes from weight dim 1 = out_channels / groups.
  nn::ConvTranspose2d t(64, 8, 3);
  const double tb = 1.0 / std::sqrt(8.0 * 9.0);
  EXPECT_LE(t.weight().abs().max().item<double>(), tb);
  EXPECT_GT(t.weight().abs().max().item<double>(), 0.99 * tb);
  EXPECT_LE(t.bias().abs().max().item<double>(), tb);
}

TEST(NNConv2d, ForwardEqualsFunctionalAndTrains) {
  nn::Conv2d c(3, 5, 3, 2, 1);
  Tensor x = uniform_tensor({2, 3, 9, 9}, -1, 1, kFloat32, 9);
  Tensor y = c(x);
  EXPECT_EQ(y.sizes(), (Shape{2, 5, 5, 5}));
  EXPECT_EQ(to_vector<float>(y), to_vector<float>(conv2d(x, c.weight(), c.bias(), 2, 1)));
  y.sum().backward();
  EXPECT_TRUE(c.weight().grad().defined());
  EXPECT_TRUE(c.bias().grad().defined());
  EXPECT_NEAR(c.bias().grad().sum().item<double>(), 2.0 * 5 * 25, 1e-3);

  nn::ConvTranspose2d t(5, 3, 3, 2, 1, 1);
  Tensor z = t(y.detach());
  EXPECT_EQ(z.sizes(), (Shape{2, 3, 10, 10}));
  EXPECT_EQ(to_vector<float>(z), to_vector<float>(conv_transpose2d(y.detach(), t.weight(), t.bias(), 2, 1, 1)));
}

TEST(NNPooling, ForwardEqualsFunctionalAndRepr) {
  Tensor x = uniform_tensor({2, 3, 7, 7}, -1, 1, kFloat32, 10);
  nn::MaxPool2d mp(3, 2, 1);
  EXPECT_EQ(to_vector<float>(mp(x)), to_vector<float>(max_pool2d(x, 3, 2, 1)));
  EXPECT_EQ(mp.repr(), "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)");
  nn::MaxPool2d mp2(2);  // stride defaults to the kernel
  EXPECT_EQ(mp2(x).sizes(), (Shape{2, 3, 3, 3}));
  nn::AvgPool2d ap({2, 3}, {}, 0, true, false);
  EXPECT_EQ(to_vector<float>(ap(x)), to_vector<float>(avg_pool2d(x, {2, 3}, {2, 3}, 0, true, false)));
  EXPECT_EQ(ap.repr(), "AvgPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0)");
  nn::AdaptiveAvgPool2d aap({1, 2});
  EXPECT_EQ(to_vector<float>(aap(x)), to_vector<float>(adaptive_avg_pool2d(x, {1, 2})));
  EXPECT_EQ(aap.repr(), "AdaptiveAvgPool2d(output_size=(1, 2))");
  EXPECT_TRUE(mp.named_parameters().empty());
}
