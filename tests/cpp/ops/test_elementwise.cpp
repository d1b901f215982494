// The elementwise and reduction ops of issue 12 from C++: the new unary rows against float64
// std:: math in every floating dtype, dtype rules for integer and bool inputs, edge values,
// rounded division, fmod / remainder signs, integer division by zero, bool arithmetic, clamp
// with tensor bounds, and median, cumprod, count_nonzero, aminmax, unique. (PyTorch's values on
// edge cases are checked from Python: tests/python/test_elementwise.py.)
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "seek/seek.h"

using namespace seek;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

struct Case {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  double (*ref)(double);
  double lo, hi;
};

std::vector<Case> cases() {
  return {
      {"expm1", [](const Tensor& t) { return t.expm1(); }, [](double x) { return std::expm1(x); }, -3, 3},
      {"log2", [](const Tensor& t) { return t.log2(); }, [](double x) { return std::log2(x); }, 0.05, 20},
      {"log10", [](const Tensor& t) { return t.log10(); }, [](double x) { return std::log10(x); }, 0.05, 20},
      {"tan", [](const Tensor& t) { return t.tan(); }, [](double x) { return std::tan(x); }, -1.2, 1.2},
      {"asin", [](const Tensor& t) { return t.asin(); }, [](double x) { return std::asin(x); }, -1, 1},
      {"acos", [](const Tensor& t) { return t.acos(); }, [](double x) { return std::acos(x); }, -1, 1},
      {"atan", [](const Tensor& t) { return t.atan(); }, [](double x) { return std::atan(x); }, -5, 5},
      {"sinh", [](const Tensor& t) { return t.sinh(); }, [](double x) { return std::sinh(x); }, -4, 4},
      {"cosh", [](const Tensor& t) { return t.cosh(); }, [](double x) { return std::cosh(x); }, -4, 4},
      {"asinh", [](const Tensor& t) { return t.asinh(); }, [](double x) { return std::asinh(x); }, -5, 5},
      {"acosh", [](const Tensor& t) { return t.acosh(); }, [](double x) { return std::acosh(x); }, 1, 6},
      {"atanh", [](const Tensor& t) { return t.atanh(); }, [](double x) { return std::atanh(x); }, -0.95, 0.95},
      {"trunc", [](const Tensor& t) { return t.trunc(); }, [](double x) { return std::trunc(x); }, -5, 5},
      {"frac", [](const Tensor& t) { return t.frac(); }, [](double x) { return x - std::trunc(x); }, -5, 5},
  };
}

TEST(Elementwise, NewUnaryRowsMatchStdMathInEveryFloatingDtype) {
  for (const Case& c : cases()) {
    for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16}) {
      Tensor x = linspace(c.lo, c.hi, 101, TensorOptions(dt));
      Tensor y = c.fn(x);
      ASSERT_EQ(y.dtype(), dt) << c.name;
      std::vector<double> xs = to_vector<double>(x), ys = to_vector<double>(y);
      const double tol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 3e-6 : 2e-2;
      for (size_t i = 0; i < xs.size(); ++i) {
        const double want = c.ref(xs[i]);
        if (std::isinf(want)) {
          EXPECT_EQ(ys[i], want) << c.name << " at " << xs[i];
        } else {
          EXPECT_NEAR(ys[i], want, tol * (1 + std::fabs(want))) << c.name << " " << dtype_name(dt) << " at " << xs[i];
        }
      }
    }
  }
}

TEST(Elementwise, DomainEdges) {
  Tensor one = tensor({1.0, -1.0, 0.0});
  EXPECT_EQ(to_vector<double>(tensor({1.0}).acosh()), std::vector<double>{0.0});
  EXPECT_EQ(to_vector<double>(one.atanh())[0], kInf);
  EXPECT_EQ(to_vector<double>(one.atanh())[1], -kInf);
  EXPECT_EQ(to_vector<double>(tensor({0.0}).log2())[0], -kInf);
  EXPECT_TRUE(std::isnan(to_vector<double>(tensor({0.5}).acosh())[0]));
  EXPECT_TRUE(std::isnan(to_vector<double>(tensor({1.5}).asin())[0]));
  // frac keeps the sign of zero and of x; trunc(-0.5) is -0.
  EXPECT_TRUE(std::signbit(to_vector<double>(tensor({-0.5}).trunc())[0]));
  EXPECT_EQ(to_vector<double>(tensor({-2.75}).frac())[0], -0.75);
}

TEST(Elementwise, IntegerAndBoolInputs) {
  Tensor i = tensor<int64_t>({-3, 0, 8});
  EXPECT_EQ(i.log2().dtype(), kFloat32);
  EXPECT_EQ(to_vector<double>(i.log2())[2], 3.0);
  EXPECT_EQ(i.trunc().dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(i.trunc()), (std::vector<int64_t>{-3, 0, 8}));
  EXPECT_EQ(to_vector<int64_t>(i.frac()), (std::vector<int64_t>{0, 0, 0}));
  for (const Tensor& b : {i.isnan(), i.isinf(), i.isposinf()}) EXPECT_EQ(b.dtype(), kBool);
  EXPECT_EQ(to_vector<bool>(i.isfinite()), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(to_vector<bool>(tensor({true, false}).isnan()), (std::vector<bool>{false, false}));
  EXPECT_EQ(to_vector<int64_t>(i.nan_to_num()), (std::vector<int64_t>{-3, 0, 8}));
  EXPECT_THROW(tensor({true}).trunc(), DTypeError);
}

TEST(Elementwise, SpecialValueTests) {
  Tensor x = tensor({kNaN, kInf, -kInf, 1.0, -0.0}).to(kFloat32);
  EXPECT_EQ(to_vector<bool>(x.isnan()), (std::vector<bool>{true, false, false, false, false}));
  EXPECT_EQ(to_vector<bool>(x.isinf()), (std::vector<bool>{false, true, true, false, false}));
  EXPECT_EQ(to_vector<bool>(x.isfinite()), (std::vector<bool>{false, false, false, true, true}));
  EXPECT_EQ(to_vector<bool>(x.isposinf()), (std::vector<bool>{false, true, false, false, false}));
  EXPECT_EQ(to_vector<bool>(x.isneginf()), (std::vector<bool>{false, false, true, false, false}));
  EXPECT_EQ(to_vector<double>(x.nan_to_num(0.5, 10.0, -10.0)), (std::vector<double>{0.5, 10.0, -10.0, 1.0, 0.0}));
  std::vector<double> d = to_vector<double>(x.nan_to_num());
  EXPECT_EQ(d[1], std::numeric_limits<float>::max());
  EXPECT_EQ(d[2], -std::numeric_limits<float>::max());
  EXPECT_EQ(to_vector<double>(x.to(kFloat16).nan_to_num())[1], 65504.0);
}

TEST(Elementwise, RoundWithDecimals) {
  Tensor x = tensor({1.2345, -2.5, 1250.0, 0.125}, TensorOptions(kFloat64));
  EXPECT_EQ(to_vector<double>(x.round(2)), (std::vector<double>{1.23, -2.5, 1250.0, 0.12}));
  EXPECT_EQ(to_vector<double>(round(x, -2)), (std::vector<double>{0.0, -0.0, 1200.0, 0.0}));
  EXPECT_EQ(to_vector<double>(x.round()), (std::vector<double>{1.0, -2.0, 1250.0, 0.0}));
}

TEST(Elementwise, RoundedDivisionFmodAndRemainder) {
  Tensor a = tensor<int64_t>({7, -7, 7, -7}), b = tensor<int64_t>({2, 2, -2, -2});
  EXPECT_EQ(to_vector<int64_t>(div(a, b, "trunc")), (std::vector<int64_t>{3, -3, -3, 3}));
  EXPECT_EQ(to_vector<int64_t>(div(a, b, "floor")), (std::vector<int64_t>{3, -4, -4, 3}));
  EXPECT_EQ(div(a, b, std::nullopt).dtype(), kFloat32);
  EXPECT_EQ(to_vector<int64_t>(fmod(a, b)), (std::vector<int64_t>{1, -1, 1, -1}));
  EXPECT_EQ(to_vector<int64_t>(remainder(a, b)), (std::vector<int64_t>{1, 1, -1, -1}));
  EXPECT_EQ(to_vector<int64_t>(floor_divide(a, 2)), (std::vector<int64_t>{3, -4, 3, -4}));
  Tensor af = a.to(kFloat32) + 0.5, bf = b.to(kFloat32);
  EXPECT_EQ(to_vector<float>(fmod(af, bf)), (std::vector<float>{1.5f, -0.5f, 1.5f, -0.5f}));
  EXPECT_EQ(to_vector<float>(remainder(af, bf)), (std::vector<float>{1.5f, 1.5f, -0.5f, -0.5f}));
  EXPECT_EQ(to_vector<float>(af.div(bf, std::string("floor"))), (std::vector<float>{3.f, -4.f, -4.f, 3.f}));
  EXPECT_EQ(to_vector<float>(remainder(5, bf)), (std::vector<float>{1.f, 1.f, -1.f, -1.f}));
  EXPECT_THROW(div(af, bf, "round"), ValueError);
}

TEST(Elementwise, IntegerDivisionByZeroThrows) {
  Tensor a = tensor<int64_t>({1, 2}), z = tensor<int64_t>({1, 0});
  for (auto fn : {+[](const Tensor&x, const Tensor&y) { return fmod(x, y); },
                  +[](const Tensor&x, const Tensor&y) { return remainder(x, y); },
                  +[](const Tensor&x, const Tensor&y) { return floor_divide(x, y); },
                  +[](const Tensor&x, const Tensor&y) { return div(x, y, "trunc"); }}) {
    try {
      fn(a, z);
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("ZeroDivisionError"), std::string::npos) << e.what();
    }
  }
  // floating division by zero follows IEEE
  EXPECT_TRUE(std::isnan(to_vector<double>(fmod(a.to(kFloat64), z.to(kFloat64)))[1]));
  EXPECT_EQ(to_vector<double>(div(a.to(kFloat64), z.to(kFloat64), "floor"))[1], kInf);
}

TEST(Elementwise, BoolArithmeticStaysBool) {
  Tensor a = tensor({true, true, false, false}), b = tensor({true, false, true, false});
  EXPECT_EQ((a + b).dtype(), kBool);
  EXPECT_EQ(to_vector<bool>(a + b), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(to_vector<bool>(a * b), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(to_vector<bool>(maximum(a, b)), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(a.sum().dtype(), kInt64);
  Tensor c = a.clone();
  c += b;
  EXPECT_EQ(to_vector<bool>(c), (std::vector<bool>{true, true, true, false}));
  EXPECT_THROW(a - b, DTypeError);
}

TEST(Elementwise, ClampWithTensorBounds) {
  Tensor x = tensor({-2.0f, 0.0f, 2.0f, 0.5f});
  Tensor lo = tensor({-1.0f, 0.5f, -1.0f, 1.0f}), hi = tensor({1.0f});
  EXPECT_EQ(to_vector<float>(x.clamp(lo, hi)), (std::vector<float>{-1.f, 0.5f, 1.f, 1.f}));
  EXPECT_EQ(to_vector<float>(clamp(x, Tensor(), hi)), (std::vector<float>{-2.f, 0.f, 1.f, 0.5f}));
  EXPECT_EQ(x.clamp(tensor<int64_t>({0})).dtype(), kFloat32);
  EXPECT_EQ(tensor<int64_t>({1, 5}).clamp(tensor({2.5})).dtype(), kFloat64);
  EXPECT_THROW(clamp(x, Tensor(), Tensor()), ValueError);
  EXPECT_THROW(x.clamp(tensor({1.0f, 2.0f})), ShapeError);
}

TEST(Elementwise, MaskedFillWithTensorValue) {
  Tensor x = tensor({1.0f, 2.0f, 3.0f});
  Tensor m = tensor({true, false, true});
  EXPECT_EQ(to_vector<float>(x.masked_fill(m, scalar_tensor(9.0, TensorOptions(kFloat64)))),
            (std::vector<float>{9.f, 2.f, 9.f}));
  EXPECT_EQ(x.masked_fill(m, scalar_tensor(9.0, TensorOptions(kFloat64))).dtype(), kFloat32);
  EXPECT_THROW(x.masked_fill(m, tensor({1.0f, 2.0f})), ValueError);
  x.masked_fill_(m, scalar_tensor(-1, TensorOptions(kInt64)));
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{-1.f, 2.f, -1.f}));
}

TEST(Reductions, MedianLowerMiddleAndNaN) {
  Tensor x = tensor({4.0f, 1.0f, 3.0f, 2.0f});
  EXPECT_EQ(x.median().item().to_double(), 2.0);  // the lower of 2 and 3
  Tensor m = tensor(std::vector<float>{3, 1, 2, NAN, 5, 4}, {2, 3});
  auto [v, i] = m.median(1);
  EXPECT_EQ(to_vector<float>(v)[0], 2.f);
  EXPECT_TRUE(std::isnan(to_vector<float>(v)[1]));
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{2, 0}));
  auto [nv, ni] = nanmedian(m, 1, true);
  EXPECT_EQ(nv.sizes(), (Shape{2, 1}));
  EXPECT_EQ(to_vector<float>(nv), (std::vector<float>{2.f, 4.f}));
  EXPECT_EQ(to_vector<int64_t>(ni), (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(std::isnan(m.median().item().to_double()));
  EXPECT_EQ(m.nanmedian().item().to_double(), 3.0);
  EXPECT_EQ(tensor<int64_t>({5, 1, 3}).median().dtype(), kInt64);
  EXPECT_EQ(tensor<int64_t>({5, 1, 3}).median().item().to_int(), 3);
  EXPECT_THROW(median(zeros({2, 0}), 1), IndexError);
  EXPECT_THROW(median(x, 2), IndexError);
}

TEST(Reductions, CumprodThroughZerosAndIntegers) {
  Tensor x = tensor({2.0, 0.0, 3.0, -1.0, 0.5, 4.0, 1.5, 2.0, -2.0});
  std::vector<double> want = {2, 0, 0, -0.0, -0.0, -0.0, -0.0, -0.0, 0};
  std::vector<double> got = to_vector<double>(x.cumprod(0));
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(got[k], want[k]) << k;
  Tensor y = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(to_vector<double>(cumprod(y, 1)), (std::vector<double>{1, 2, 6, 4, 20, 120}));
  EXPECT_EQ(to_vector<double>(cumprod(y, -2)), (std::vector<double>{1, 2, 3, 4, 10, 18}));
  Tensor i = tensor<int32_t>({1, 2, 3, 4});
  EXPECT_EQ(i.cumprod(0).dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(i.cumprod(0)), (std::vector<int64_t>{1, 2, 6, 24}));
  EXPECT_EQ(cumprod(i, 0, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(to_vector<int64_t>(tensor({true, true, false}).cumprod(0)), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_THROW(x.cumprod(1), IndexError);
}

TEST(Reductions, CountNonzeroAminmaxStdMean) {
  Tensor x = tensor(std::vector<double>{0, 1, -0.0, NAN, 0, 2}, {2, 3});
  EXPECT_EQ(x.count_nonzero().item().to_int(), 3);
  EXPECT_EQ(to_vector<int64_t>(x.count_nonzero({1})), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(count_nonzero(x).dtype(), kInt64);
  Tensor y = tensor(std::vector<float>{3, -1, 7, 2}, {2, 2});
  auto [lo, hi] = y.aminmax();
  EXPECT_EQ(lo.item().to_double(), -1.0);
  EXPECT_EQ(hi.item().to_double(), 7.0);
  auto [lo1, hi1] = aminmax(y, 1, true);
  EXPECT_EQ(lo1.sizes(), (Shape{2, 1}));
  EXPECT_EQ(to_vector<float>(hi1), (std::vector<float>{3.f, 7.f}));
  EXPECT_THROW(aminmax(zeros({0})), ValueError);
}

TEST(Reductions, UniqueAndUniqueConsecutive) {
  Tensor x = tensor(std::vector<int64_t>{3, 1, 2, 1, 3, 3}, {2, 3});
  auto [v, inv, cnt] = x.unique(true, true, true);
  EXPECT_EQ(to_vector<int64_t>(v), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(inv.sizes(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<int64_t>(inv), (std::vector<int64_t>{2, 0, 1, 0, 2, 2}));
  EXPECT_EQ(to_vector<int64_t>(cnt), (std::vector<int64_t>{2, 1, 3}));
  auto [v2, inv2, cnt2] = unique(x);
  EXPECT_FALSE(inv2.defined());
  EXPECT_FALSE(cnt2.defined());
  auto [c, cinv, ccnt] = unique_consecutive(tensor<int64_t>({1, 1, 2, 2, 3, 1}), true, true);
  EXPECT_EQ(to_vector<int64_t>(c), (std::vector<int64_t>{1, 2, 3, 1}));
  EXPECT_EQ(to_vector<int64_t>(cinv), (std::vector<int64_t>{0, 0, 1, 1, 2, 3}));
  EXPECT_EQ(to_vector<int64_t>(ccnt), (std::vector<int64_t>{2, 2, 1, 1}));
  // each NaN is its own value (NaN != NaN), after the numbers
  auto [n, ninv, ncnt] = unique(tensor({NAN, 1.0f, NAN}), true, false, true);
  EXPECT_EQ(n.numel(), 3);
  EXPECT_EQ(to_vector<int64_t>(ncnt), (std::vector<int64_t>{1, 1, 1}));
  auto [e, einv, ecnt] = unique(zeros({0}), true, true, true);
  EXPECT_EQ(e.numel(), 0);
  EXPECT_THROW(unique(x, true, false, false, 0), ValueError);
}

}  // namespace
