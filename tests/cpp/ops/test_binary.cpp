#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

TEST(Binary, AddBroadcasts) {
  Tensor a = tensor<float>({1, 2, 3}, {3, 1});
  Tensor b = tensor<float>({10, 20}, {1, 2});
  Tensor c = a + b;
  EXPECT_EQ(c.sizes(), (Shape{3, 2}));
  EXPECT_EQ(to_vector<float>(c), (std::vector<float>{11, 21, 12, 22, 13, 23}));
}
