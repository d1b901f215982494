// arange, linspace, eye: values, dtypes (PyTorch's inference) and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

TEST(Arange, IntegerArgumentsGiveInt64) {
  Tensor a = arange(5);
  EXPECT_EQ(a.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(a), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(to_vector<int64_t>(arange(1, 10, 3)), (std::vector<int64_t>{1, 4, 7}));
  EXPECT_EQ(to_vector<int64_t>(arange(10, 0, -3)), (std::vector<int64_t>{10, 7, 4, 1}));
  EXPECT_EQ(to_vector<int64_t>(arange(-2, 2)), (std::vector<int64_t>{-2, -1, 0, 1}));
  Tensor e = arange(3, 3);
  EXPECT_EQ(e.dtype(), kInt64);
  EXPECT_EQ(e.numel(), 0);
}

TEST(Arange, FloatArgumentsGiveFloat32) {
  Tensor a = arange(0, 1, 0.1);
  EXPECT_EQ(a.dtype(), kFloat32);
  ASSERT_EQ(a.numel(), 10);  // ceil((1 - 0) / 0.1) = 10, the end stays excluded
  std::vector<float> v = to_vector<float>(a);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(v[i], static_cast<float>(0.1 * i)) << i;  // start + i * step in double
  EXPECT_EQ(to_vector<float>(arange(0.5, 3)), (std::vector<float>{0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(arange(2.5).dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(arange(2.5)), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(to_vector<float>(arange(1, 0, -0.25)), (std::vector<float>{1, 0.75f, 0.5f, 0.25f}));
  EXPECT_EQ(arange(0, 1.0000001, 0.5).numel(), 3);
}

TEST(Arange, OptionsChooseDtypeAndDevice) {
  Tensor d = arange(0, 4, 1, TensorOptions(kFloat64));
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(to_vector<double>(d), (std::vector<double>{0, 1, 2, 3}));
  Tensor i = arange(6, TensorOptions(kInt32));
  EXPECT_EQ(i.dtype(), kInt32);
  EXPECT_EQ(to_vector<int32_t>(i), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  Tensor h = arange(0, 2, 0.5, TensorOptions(kFloat16));
  EXPECT_EQ(h.dtype(), kFloat16);
  EXPECT_EQ(to_vector<float>(h), (std::vector<float>{0, 0.5f, 1, 1.5f}));
  Tensor g = arange(3, TensorOptions(kFloat32).requires_grad());
  EXPECT_TRUE(g.requires_grad());
  // A large integer range stays exact in int64.
  int64_t big = int64_t{1} << 60;
  EXPECT_EQ(to_vector<int64_t>(arange(big, big + 3)), (std::vector<int64_t>{big, big + 1, big + 2}));
}

TEST(Arange, BadInput) {
  EXPECT_SEEK_ERROR(arange(0, 10, 0), ValueError, "step must be nonzero");
  EXPECT_SEEK_ERROR(arange(0.0, 1.0, 0.0), ValueError, "step must be nonzero");
  EXPECT_SEEK_ERROR(arange(0, 10, -1), ValueError, "inconsistent with the sign of step=-1");
  EXPECT_SEEK_ERROR(arange(5, 0, 1), ValueError, "inconsistent");
  EXPECT_SEEK_ERROR(arange(0.0, std::numeric_limits<double>::infinity()), ValueError, "must be finite");
  EXPECT_SEEK_ERROR(arange(3, TensorOptions(kBool)), DTypeError, "bool");
}

TEST(Linspace, ValuesAndEndpoints) {
  Tensor a = linspace(0, 1, 5);
  EXPECT_EQ(a.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(a), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
  // Symmetric rounding: the second half is computed down from the end.
  std::vector<float> s = to_vector<float>(linspace(-1.3, 1.3, 11));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s[i], -s[10 - i]) << i;
  EXPECT_NEAR(s[5], 0.0f, 1e-6f);
  EXPECT_EQ(s[0], -1.3f);
  EXPECT_EQ(s[10], 1.3f);
  std::vector<double> d = to_vector<double>(linspace(0.1, 0.7, 7, kFloat64));
  EXPECT_EQ(d.front(), 0.1);
  EXPECT_EQ(d.back(), 0.7);  // the end is exact: the last element is end - step * 0
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(d[i], 0.1 + 0.1 * i, 1e-15);
  // The formula itself, in float: start + step * i below halfway, end - step * (steps - 1 - i) above.
  std::vector<float> f = to_vector<float>(linspace(0.1, 0.7, 7));
  float step = (0.7f - 0.1f) / 6.0f;
  for (int i = 0; i < 7; ++i) EXPECT_EQ(f[i], i < 3 ? 0.1f + step * i : 0.7f - step * (6 - i)) << i;
}

TEST(Linspace, SmallCountsAndDtypes) {
  EXPECT_EQ(linspace(2, 5, 0).numel(), 0);
  EXPECT_EQ(to_vector<float>(linspace(2, 5, 1)), std::vector<float>{2});
  EXPECT_EQ(to_vector<float>(linspace(2, 5, 2)), (std::vector<float>{2, 5}));
  // Integer dtypes: the step in double, results truncated (as PyTorch: [0, 3, 6, 10]).
  EXPECT_EQ(to_vector<int64_t>(linspace(0, 10, 4, kInt64)), (std::vector<int64_t>{0, 3, 6, 10}));
  EXPECT_EQ(to_vector<float>(linspace(0, 1, 3, kBFloat16)), (std::vector<float>{0, 0.5f, 1}));
  EXPECT_EQ(to_vector<double>(linspace(5, 1, 5, kFloat64)), (std::vector<double>{5, 4, 3, 2, 1}));
}

TEST(Linspace, BadInput) {
  EXPECT_SEEK_ERROR(linspace(0, 1, -2), ValueError, "number of steps must be non-negative, got steps=-2");
  EXPECT_SEEK_ERROR(linspace(0, 1, 3, kBool), DTypeError, "bool");
}

TEST(Eye, SquareAndRectangular) {
  Tensor i3 = eye(3);
  EXPECT_EQ(i3.dtype(), kFloat32);
  EXPECT_EQ(i3.sizes(), (Shape{3, 3}));
  EXPECT_EQ(to_vector<float>(i3), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(to_vector<int64_t>(eye(2, 3, kInt64)), (std::vector<int64_t>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(to_vector<double>(eye(3, 2, kFloat64)), (std::vector<double>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(to_vector<bool>(eye(2, std::nullopt, kBool)), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(eye(0).sizes(), (Shape{0, 0}));
  EXPECT_EQ(eye(2, 0).sizes(), (Shape{2, 0}));
  EXPECT_TRUE(eye(2, std::nullopt, TensorOptions().requires_grad()).requires_grad());
}

TEST(Eye, BadInput) {
  EXPECT_SEEK_ERROR(eye(-1), ValueError, "n must be greater or equal to 0, got n=-1");
  EXPECT_SEEK_ERROR(eye(2, -3), ValueError, "got m=-3");
}
