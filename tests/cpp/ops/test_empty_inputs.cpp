// Zero-size inputs through forward and backward (the Python sweep test_empty_tensors.py compares
// many more ops with PyTorch): matmul with an empty inner dim, reductions, cat, linear with batch 0.
#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"

using namespace seek;

TEST(EmptyInputs, MatmulWithEmptyInnerDimGivesZerosAndGradsOfTheRightShapes) {
  Tensor a = zeros({3, 0}, kFloat64).requires_grad_();
  Tensor b = zeros({0, 4}, kFloat64).requires_grad_();
  Tensor c = a.matmul(b);
  EXPECT_EQ(c.sizes(), (Shape{3, 4}));
  EXPECT_EQ(to_vector<double>(c), std::vector<double>(12, 0.0));
  (c * 2.0).sum().backward();
  EXPECT_EQ(a.grad().sizes(), (Shape{3, 0}));
  EXPECT_EQ(b.grad().sizes(), (Shape{0, 4}));
}

TEST(EmptyInputs, ReductionsAsPyTorch) {
  Tensor e = zeros({0, 3}, kFloat64).requires_grad_();
  EXPECT_EQ(e.sum().item<double>(), 0.0);
  EXPECT_TRUE(std::isnan(e.mean().item<double>()));
  EXPECT_EQ(to_vector<double>(e.sum(0)), std::vector<double>(3, 0.0));
  EXPECT_THROW(e.max(), Error);
  EXPECT_THROW(e.max(0), IndexError);
  EXPECT_EQ(std::get<0>(e.max(1)).sizes(), (Shape{0}));
  e.mean(0).sum().backward();
  EXPECT_EQ(e.grad().sizes(), (Shape{0, 3}));
}

TEST(EmptyInputs, CatOfEmptiesAndFull) {
  Tensor a = zeros({0, 3}, kFloat64).requires_grad_();
  Tensor b = ones({2, 3}, kFloat64).requires_grad_();
  Tensor c = cat({a, b}, 0);
  EXPECT_EQ(c.sizes(), (Shape{2, 3}));
  c.sum().backward();
  EXPECT_EQ(a.grad().sizes(), (Shape{0, 3}));
  EXPECT_EQ(to_vector<double>(b.grad()), std::vector<double>(6, 1.0));
  EXPECT_EQ(cat({a, a}, 0).sizes(), (Shape{0, 3}));
}
