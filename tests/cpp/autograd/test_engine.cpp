#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

TEST(Autograd, MulAddBackwardAccumulatesIntoLeaves) {
  Tensor a = tensor<double>({1, 2, 3}).requires_grad_();
  Tensor b = tensor<double>({4, 5, 6}).requires_grad_();
  Tensor y = a * b + a;
  y.backward(ones({3}, kFloat64));
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{5, 6, 7}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{1, 2, 3}));
}
