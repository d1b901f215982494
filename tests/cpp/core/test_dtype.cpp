#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "seek/seek.h"

using namespace seek;

TEST(Half, RoundTripsExactValuesAndRoundsToNearestEven) {
  for (float f :
       {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f /* min normal */, 5.960464477539063e-08f /* min subnormal */})
    EXPECT_EQ(static_cast<float>(Half(f)), f) << f;
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
  EXPECT_EQ(static_cast<float>(Half(1.0f + 0.00048828125f)), 1.0f);
  EXPECT_EQ(static_cast<float>(Half(1.0f + 3 * 0.00048828125f)), 1.0f + 4 * 0.00048828125f);
  EXPECT_TRUE(std::isinf(static_cast<float>(Half(70000.0f))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(Half(-0.0f).bits, 0x8000);
}

TEST(BFloat16, RoundsToNearestEvenAndKeepsNan) {
  EXPECT_EQ(static_cast<float>(BFloat16(1.0f)), 1.0f);
  EXPECT_EQ(static_cast<float>(BFloat16(3.140625f)), 3.140625f);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: rounds to 1 (even).
  EXPECT_EQ(static_cast<float>(BFloat16(1.0f + 0.00390625f)), 1.0f);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(kFloat16), 2u);
  EXPECT_EQ(dtype_size(kBFloat16), 2u);
  EXPECT_EQ(dtype_size(kInt64), 8u);
  EXPECT_EQ(dtype_size(kBool), 1u);
  EXPECT_STREQ(dtype_name(kBFloat16), "bfloat16");
  EXPECT_TRUE(is_floating(kFloat16));
  EXPECT_FALSE(is_floating(kInt32));
  EXPECT_TRUE(is_integral(kBool, true));
  EXPECT_FALSE(is_integral(kBool));
}

TEST(DType, PromotionFollowsPyTorch) {
  EXPECT_EQ(promote_types(kInt32, kFloat16), kFloat16);
  EXPECT_EQ(promote_types(kFloat16, kBFloat16), kFloat32);
  EXPECT_EQ(promote_types(kUInt8, kInt8), kInt16);  // as torch
  EXPECT_EQ(promote_types(kBool, kUInt8), kUInt8);
  EXPECT_EQ(promote_types(kInt64, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kFloat32, kFloat64), kFloat64);
  EXPECT_EQ(promote_types(kInt32, kInt64), kInt64);
}

TEST(DType, TensorScalarPromotionInOps) {
  Tensor i = tensor<int32_t>({1, 2, 3});
  EXPECT_EQ((i + 1).dtype(), kInt32);      // same category: tensor wins
  EXPECT_EQ((i + 1.5).dtype(), kFloat32);  // float scalar: default float dtype
  EXPECT_EQ((i / 2).dtype(), kFloat32);    // true division
  Tensor h = tensor<float>({1, 2}).to(kFloat16);
  EXPECT_EQ((h * 2.0).dtype(), kFloat16);
  Tensor zero_dim_double = scalar_tensor(2.0, kFloat64);
  EXPECT_EQ((i * zero_dim_double).dtype(), kFloat64);  // higher-category 0-dim tensor
  Tensor f = tensor<float>({1, 2});
  EXPECT_EQ((f * zero_dim_double).dtype(), kFloat32);  // same category: dimensioned wins
  EXPECT_EQ((i == 2).dtype(), kBool);
}

TEST(DType, ConversionsBetweenAllTypes) {
  Tensor f = tensor<float>({-1.5f, 0.0f, 2.75f, 100.0f});
  EXPECT_EQ(to_vector<int64_t>(f.to(kInt64)), (std::vector<int64_t>{-1, 0, 2, 100}));
  EXPECT_EQ(to_vector<bool>(f.to(kBool)), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(to_vector<float>(f.to(kBFloat16)), (std::vector<float>{-1.5f, 0.0f, 2.75f, 100.0f}));
  EXPECT_EQ(to_vector<float>(f.to(kFloat16).to(kFloat64)), (std::vector<float>{-1.5f, 0.0f, 2.75f, 100.0f}));
  EXPECT_EQ(to_vector<uint8_t>(tensor<int32_t>({1, 255}).to(kUInt8)), (std::vector<uint8_t>{1, 255}));
}
