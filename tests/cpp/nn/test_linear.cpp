#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

TEST(NNLinear, ParameterNamesAndShapesMatchTorch) {
  nn::Linear fc(3, 5);
  auto named = fc.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(named[0].second.sizes(), (Shape{5, 3}));
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(named[1].second.sizes(), (Shape{5}));
  EXPECT_TRUE(named[0].second.requires_grad());
  EXPECT_TRUE(named[0].second.is_leaf());
  nn::Linear nb(3, 5, /*bias=*/false);
  EXPECT_EQ(nb.named_parameters().size(), 1u);
  EXPECT_SEEK_ERROR(nb.bias(), ValueError, "bias");
  EXPECT_EQ(fc.repr(), "Linear(in_features=3, out_features=5, bias=True)");
}

TEST(NNLinear, DefaultInitBounds) {
  manual_seed(5);
  nn::Linear fc(100, 400);
  double bound = 1.0 / std::sqrt(100.0);  // kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(in), 1/sqrt(in))
  EXPECT_LE(fc.weight().abs().max().item<double>(), bound);
  EXPECT_GT(fc.weight().abs().max().item<double>(), 0.99 * bound);
  EXPECT_LE(fc.bias().abs().max().item<double>(), bound);
  EXPECT_GT(fc.bias().abs().max().item<double>(), 0.9 * bound);
  EXPECT_NEAR(fc.weight().std().item<double>(), bound / std::sqrt(3.0), 0.03 * bound);
}

TEST(NNLinear, ForwardMatchesHandComputation) {
  nn::Linear fc(3, 2);
  fc.to(kFloat64);
  {
    NoGradGuard ng;
    fc.weight().copy_(tensor<double>({1, 2, 3, -1, 0, 4}, {2, 3}));
    fc.bias().copy_(tensor<double>({0.5, -2}, {2}));
  }
  Tensor x = tensor<double>({1, 1, 1, 2, 0, -1}, {2, 3});
  EXPECT_EQ(to_vector<double>(fc(x)), (std::vector<double>{6.5, 1, -0.5, -8}));
  // leading batch dims and 1-D input go through matmul
  Tensor y3 = fc(x.reshape({1, 2, 3}));
  EXPECT_EQ(y3.sizes(), (Shape{1, 2, 2}));
  EXPECT_EQ(to_vector<double>(y3), (std::vector<double>{6.5, 1, -0.5, -8}));
  EXPECT_EQ(to_vector<double>(fc(tensor<double>({1, 1, 1}, {3}))), (std::vector<double>{6.5, 1}));
  Tensor loss = fc(x).sum();
  loss.backward();
  // d/dW of sum(xW^T + b) = column sums of x per output row; d/db = batch size
  EXPECT_EQ(to_vector<double>(fc.weight().grad()), (std::vector<double>{3, 1, 0, 3, 1, 0}));
  EXPECT_EQ(to_vector<double>(fc.bias().grad()), (std::vector<double>{2, 2}));
}

TEST(NNLinear, BadInput) {
  nn::Linear fc(3, 2);
  EXPECT_SEEK_ERROR(fc(zeros({4, 5})), ShapeError, "linear: input [4, 5] does not match weight [2, 3]");
  EXPECT_SEEK_ERROR(nn::functional::linear(zeros({4, 3}), zeros({2, 3}), zeros({3})), ShapeError, "bias must be [2]");
}
