#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

TEST(Tensor, EmptyHasShapeStridesAndDtype) {
  Tensor t = empty({2, 3, 4}, kFloat64);
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(t.device().is_cpu());
}

TEST(Tensor, FromValuesAndBack) {
  Tensor t = tensor<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t[1][2].item<float>(), 6.0f);
  EXPECT_EQ(to_vector<int64_t>(t.to(kInt64)), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Tensor, UndefinedTensorThrowsClearly) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  try {
    (void)t.sizes();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("undefined"), std::string::npos);
  }
}

TEST(Tensor, ItemNeedsOneElement) {
  Tensor t = zeros({2});
  EXPECT_THROW(t.item(), ValueError);
}
