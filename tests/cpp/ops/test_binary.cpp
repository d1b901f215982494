#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_values;

namespace {
void expect_near_vec(const std::vector<double>& got, const std::vector<double>& want, double rtol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rtol * (1 + std::fabs(want[i]))) << what << " element " << i;
}
}  // namespace

TEST(Binary, AddBroadcasts) {
  Tensor a = tensor<float>({1, 2, 3}, {3, 1});
  Tensor b = tensor<float>({10, 20}, {1, 2});
  Tensor c = a + b;
  EXPECT_EQ(c.sizes(), (Shape{3, 2}));
  EXPECT_EQ(to_vector<float>(c), (std::vector<float>{11, 21, 12, 22, 13, 23}));
}

// One row per differentiable op of the binary table: the op and its float64 reference.
struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> fn;
  std::function<double(double, double)> ref;
};
std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }, [](double a, double b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }, [](double a, double b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }, [](double a, double b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }, [](double a, double b) { return a / b; }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
       [](double a, double b) { return std::pow(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }},
      {"xlogy", [](const Tensor& a, const Tensor& b) { return xlogy(a, b); },
       [](double a, double b) { return a * std::log(b); }},
  };
}

TEST(Binary, ArithmeticMatchesFloat64ReferenceForEveryFloatDtype) {
  auto av = uniform_values(35, 0.5, 2.0, 1), bv = uniform_values(5, 0.5, 2.0, 2);
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    double rtol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-6 : 1e-2;
    Tensor a = tensor<double>(av, {7, 5}).to(dt);
    Tensor b = tensor<double>(bv, {5}).to(dt);  // broadcast along rows
    std::vector<double> ar = to_vector<double>(a), br = to_vector<double>(b);
    for (const BinaryCase& c : binary_cases()) {
      Tensor out = c.fn(a, b);
      EXPECT_EQ(out.dtype(), dt) << c.name;
      std::vector<double> want(35);
      for (int i = 0; i < 35; ++i) want[i] = c.ref(ar[i], br[i % 5]);
      expect_near_vec(to_vector<double>(out), want, rtol, c.name);
    }
  }
}

// xlogy(0, y) = 0 for every y but NaN (also y = 0 and inf); integers compute in float32.
TEST(Binary, XlogyIsZeroWhereXIsZeroUnlessYIsNan) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  Tensor x = tensor<double>({0, 0, 0, 0, 2, 1, nan});
  Tensor y = tensor<double>({0, 3, inf, nan, 0, nan, 2});
  std::vector<double> r = to_vector<double>(xlogy(x, y));
  EXPECT_EQ(r[0], 0.0);
  EXPECT_EQ(r[1], 0.0);
  EXPECT_EQ(r[2], 0.0);
  EXPECT_TRUE(std::isnan(r[3]));
  EXPECT_EQ(r[4], -inf);
  EXPECT_TRUE(std::isnan(r[5]));
  EXPECT_TRUE(std::isnan(r[6]));
  Tensor ints = xlogy(tensor<int64_t>({0, 2}), tensor<int64_t>({5, 4}));
  EXPECT_EQ(ints.dtype(), kFloat32);
  EXPECT_NEAR(to_vector<float>(ints)[1], 2 * std::log(4.0), 1e-6);
}

TEST(Binary, NonContiguousOperands) {
  auto v = uniform_values(12, -1, 1, 3);
  Tensor a = tensor<double>(v, {3, 4});
  Tensor at = a.t();                // [4, 3], strided
  Tensor b = a.slice(1, 0, 3).t();  // [3, 3] -> transposed, strided
  Tensor c = at.slice(0, 0, 3) * b;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(c[i][j].item<double>(), v[j * 4 + i] * v[j * 4 + i]);
}

TEST(Binary, IntegerArithmeticAndTrueDivision) {
  Tensor a = tensor<int64_t>({7, -7, 9});
  Tensor b = tensor<int64_t>({2, 2, 3});
  EXPECT_EQ(to_vector<int64_t>(a + b), (std::vector<int64_t>{9, -5, 12}));
  EXPECT_EQ(to_vector<int64_t>(a * b), (std::vector<int64_t>{14, -14, 27}));
  Tensor d = a / b;
  EXPECT_EQ(d.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(d), (std::vector<float>{3.5f, -3.5f, 3.0f}));
  EXPECT_EQ(to_vector<int64_t>(pow(b, 3)), (std::vector<int64_t>{8, 8, 27}));
  EXPECT_EQ(to_vector<int64_t>(tensor<int64_t>({0, 5}) / 0 > 1e30), (std::vector<int64_t>{0, 1}));  // 0/0 nan, 5/0 inf
}

TEST(Binary, ComparisonsAndLogicalOpsGiveBool) {
  Tensor a = tensor<float>({1, 2, 3});
  Tensor b = tensor<float>({3, 2, 1});
  EXPECT_EQ(to_vector<bool>(a < b), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(to_vector<bool>(a <= b), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(to_vector<bool>(a == 2), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(to_vector<bool>(a != 2), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(to_vector<bool>(a >= 2), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(to_vector<bool>(a > b), (std::vector<bool>{false, false, true}));
  Tensor p = tensor<bool>({true, true, false, false});
  Tensor q = tensor<bool>({true, false, true, false});
  EXPECT_EQ(to_vector<bool>(p && q), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(to_vector<bool>(p || q), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(to_vector<bool>(logical_xor(p, q)), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(to_vector<bool>(logical_and(tensor<int32_t>({0, 2}), tensor<float>({1.5f, 0.5f}))),
            (std::vector<bool>{false, true}));
}

TEST(Binary, MaximumPropagatesNan) {
  Tensor a = tensor<float>({NAN, 1.0f});
  Tensor b = tensor<float>({0.0f, NAN});
  auto m = to_vector<float>(maximum(a, b));
  EXPECT_TRUE(std::isnan(m[0]));
  EXPECT_TRUE(std::isnan(m[1]));
}

TEST(Binary, ScalarOperandsOnBothSides) {
  Tensor a = tensor<double>({1, 2, 4});
  EXPECT_EQ(to_vector<double>(1.0 - a), (std::vector<double>{0, -1, -3}));
  EXPECT_EQ(to_vector<double>(8.0 / a), (std::vector<double>{8, 4, 2}));
  EXPECT_EQ(to_vector<double>(2 * a + 1), (std::vector<double>{3, 5, 9}));
  EXPECT_EQ(to_vector<double>(pow(2.0, a)), (std::vector<double>{2, 4, 16}));
  EXPECT_EQ(to_vector<double>(add(a, a, 0.5)), (std::vector<double>{1.5, 3, 6}));
  EXPECT_EQ(to_vector<double>(sub(a, a, 2)), (std::vector<double>{-1, -2, -4}));
}

TEST(Binary, InPlaceOpsWriteIntoSelfAndBumpVersion) {
  Tensor a = tensor<float>({1, 2, 3, 4}, {2, 2});
  uint64_t v0 = a.version();
  a += tensor<float>({10, 20});
  EXPECT_EQ(to_vector<float>(a), (std::vector<float>{11, 22, 13, 24}));
  a *= 2;
  a -= 1;
  a /= 2;
  EXPECT_EQ(to_vector<float>(a), (std::vector<float>{10.5f, 21.5f, 12.5f, 23.5f}));
  EXPECT_EQ(a.version(), v0 + 4);
  Tensor view = a.select(0, 1);
  view.add_(100.0);
  EXPECT_EQ(to_vector<float>(a), (std::vector<float>{10.5f, 21.5f, 112.5f, 123.5f}));
  Tensor i = tensor<int32_t>({1, 2});
  i.mul_(tensor<double>(std::vector<double>{3.0}, {}).to(kInt32));
  EXPECT_EQ(to_vector<int32_t>(i), (std::vector<int32_t>{3, 6}));
  a.add_(a, 1.0);  // aliasing input and output
  EXPECT_EQ(to_vector<float>(a), (std::vector<float>{21, 43, 225, 247}));
}

TEST(Binary, BadInputNamesTheProblem) {
  Tensor a = zeros({2, 3});
  try {
    a + zeros({4});
    FAIL();
  } catch (const ShapeError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("add"), std::string::npos);
    EXPECT_NE(m.find("[2, 3]"), std::string::npos);
    EXPECT_NE(m.find("[4]"), std::string::npos);
  }
  try {
    Tensor small = zeros({3});
    small.add_(zeros({2, 3}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("doesn't match the broadcast shape"), std::string::npos);
  }
  try {
    Tensor i = tensor<int64_t>({1, 2});
    i.add_(0.5);
    FAIL();
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("can't be cast"), std::string::npos);
  }
  try {
    tensor<bool>({true}) - tensor<bool>({false});
    FAIL();
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("bool"), std::string::npos);
  }
  EXPECT_THROW(a + Tensor(), Error);
}

TEST(Binary, MixingDevicesIsAnError) {
  float buf[2] = {1, 2};
  // A tensor that claims to live on a GPU: the device check fires before any memory is touched.
  Tensor fake = from_blob(buf, {2}, {}, kFloat32, {}, kCUDA);
  try {
    zeros({2}) + fake;
    FAIL();
  } catch (const DeviceError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("same device"), std::string::npos);
    EXPECT_NE(m.find("cuda:0"), std::string::npos);
  }
}
