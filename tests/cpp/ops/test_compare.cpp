// isclose / allclose / equal.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

TEST(Compare, IscloseElementwise) {
  Tensor a = tensor<double>({1.0, 2.0, 100.0, 0.0, INFINITY, INFINITY, NAN, 1.0});
  Tensor b = tensor<double>({1.0 + 1e-6, 2.1, 100.0009, 1e-9, INFINITY, -INFINITY, NAN, NAN});
  Tensor c = isclose(a, b);
  EXPECT_EQ(c.dtype(), kBool);
  // |a-b| <= 1e-8 + 1e-5 |b|: 1e-6 <= 1.00001e-5 yes; 0.1 no; 9e-4 <= 1.00001e-3 yes; 1e-9 yes;
  // inf == inf yes; inf vs -inf no; NaN never (without equal_nan).
  EXPECT_EQ(to_vector<bool>(c), (std::vector<bool>{true, false, true, true, true, false, false, false}));
  EXPECT_EQ(to_vector<bool>(isclose(a, b, 1e-5, 1e-8, /*equal_nan=*/true)),
            (std::vector<bool>{true, false, true, true, true, false, true, false}));
  // Tolerances are parameters; zero tolerances mean exact equality.
  EXPECT_EQ(to_vector<bool>(isclose(a, b, 0.0, 0.2)),
            (std::vector<bool>{true, true, true, true, true, false, false, false}));
  EXPECT_EQ(to_vector<bool>(isclose(a, b, 0.0, 0.0)),
            (std::vector<bool>{false, false, false, false, true, false, false, false}));
  // rtol is relative to the second argument.
  EXPECT_TRUE(isclose(scalar_tensor(1.0), scalar_tensor(1.5), 0.34, 0.0).item<bool>());
  EXPECT_FALSE(isclose(scalar_tensor(1.5), scalar_tensor(1.0), 0.34, 0.0).item<bool>());
}

TEST(Compare, IscloseBroadcastsAndPromotes) {
  Tensor a = tensor<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = tensor<double>({1, 2.0000001}, {1, 2});
  Tensor c = isclose(a, b);
  EXPECT_EQ(c.sizes(), (Shape{2, 2}));
  EXPECT_EQ(to_vector<bool>(c), (std::vector<bool>{true, true, false, false}));
  // Integers compare in float64: no overflow in the difference.
  Tensor i = tensor<int8_t>({-128, 127});
  Tensor j = tensor<int8_t>({127, 127});
  EXPECT_EQ(to_vector<bool>(isclose(i, j)), (std::vector<bool>{false, true}));
  EXPECT_EQ(to_vector<bool>(isclose(tensor<int64_t>({100, 100}), tensor<int64_t>({101, 110}), 0.01, 0.0)),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(to_vector<bool>(isclose(tensor<bool>({true, false}), tensor<bool>({true, true}))),
            (std::vector<bool>{true, false}));
}

TEST(Compare, Allclose) {
  Tensor a = tensor<float>({1, 2, 3});
  EXPECT_TRUE(allclose(a, tensor<float>({1.000001f, 2, 3})));
  EXPECT_FALSE(allclose(a, tensor<float>({1, 2, 3.1f})));
  EXPECT_TRUE(allclose(a, tensor<float>({1, 2, 3.1f}), 0.0, 0.11));
  EXPECT_TRUE(allclose(a, tensor<double>({1, 2, 3})));
  EXPECT_TRUE(allclose(a, scalar_tensor(2.0), 0.0, 1.0));  // broadcast
  EXPECT_FALSE(allclose(tensor<float>({NAN}), tensor<float>({NAN})));
  EXPECT_TRUE(allclose(tensor<float>({NAN}), tensor<float>({NAN}), 1e-5, 1e-8, true));
  EXPECT_TRUE(allclose(zeros({0}), zeros({0})));
  EXPECT_TRUE(allclose(tensor<float>({0.5f, 1.5f}).to(kFloat16), tensor<float>({0.5f, 1.5f})));
}

TEST(Compare, Equal) {
  Tensor a = tensor<float>({1, 2, 3, 4}, {2, 2});
  EXPECT_TRUE(equal(a, a.clone()));
  EXPECT_FALSE(equal(a, tensor<float>({1, 2, 3, 5}, {2, 2})));
  EXPECT_FALSE(equal(a, tensor<float>({1, 2, 3, 4}, {4})));      // same values, other shape
  EXPECT_FALSE(equal(a, tensor<float>({1, 2}, {1, 2})));         // broadcastable is not equal
  EXPECT_TRUE(equal(a, tensor<int64_t>({1, 2, 3, 4}, {2, 2})));  // compared after promotion
  EXPECT_TRUE(equal(a, a.t().t()));
  EXPECT_FALSE(equal(a, a.t()));
  EXPECT_FALSE(equal(tensor<float>({NAN}), tensor<float>({NAN})));
  EXPECT_TRUE(equal(zeros({0, 3}), zeros({0, 3}, kInt64)));
  EXPECT_TRUE(equal(tensor<bool>({true, false}), tensor<int64_t>({1, 0})));
}

TEST(Compare, BadInput) {
  Tensor a = zeros({2});
  EXPECT_SEEK_ERROR(isclose(a, a, -1.0), ValueError, "rtol must be greater than or equal to zero, got rtol=-1");
  EXPECT_SEEK_ERROR(allclose(a, a, 1e-5, -1e-8), ValueError, "atol must be greater than or equal to zero");
  EXPECT_SEEK_ERROR(isclose(a, zeros({3})), ShapeError, "isclose");
  EXPECT_SEEK_ERROR(equal(a, Tensor()), Error, "undefined");
  float buf[2] = {0, 0};
  Tensor fake = from_blob(buf, {2}, {}, kFloat32, {}, kCUDA);
  EXPECT_SEEK_ERROR(equal(a, fake), DeviceError, "same device");
  EXPECT_SEEK_ERROR(allclose(a, fake), DeviceError, "same device");
}
