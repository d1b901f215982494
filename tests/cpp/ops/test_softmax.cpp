// softmax / log_softmax against float64 references computed by plain loops here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;
using seek::testing::uniform_values;

namespace {

// Reference (log-)softmax of row-major x of `shape` along dim, in float64.
std::vector<double> ref_softmax(const std::vector<double>& x, const Shape& shape, int64_t dim, bool log) {
  int64_t outer = 1, inner = 1, n = shape[dim];
  for (int64_t d = 0; d < dim; ++d) outer *= shape[d];
  for (size_t d = dim + 1; d < shape.size(); ++d) inner *= shape[d];
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t i) { return (o * n + i) * inner + j; };
      double m = -std::numeric_limits<double>::infinity(), s = 0;
      for (int64_t i = 0; i < n; ++i) m = std::max(m, x[at(i)]);
      for (int64_t i = 0; i < n; ++i) s += std::exp(x[at(i)] - m);
      for (int64_t i = 0; i < n; ++i) y[at(i)] = log ? x[at(i)] - m - std::log(s) : std::exp(x[at(i)] - m) / s;
    }
  }
  return y;
}

void expect_close(const Tensor& got, const std::vector<double>& want, double atol, double rtol,
                  const std::string& what) {
  std::vector<double> g = to_vector<double>(got);
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], want[i], atol + rtol * std::fabs(want[i])) << what << " [" << i << "]";
}

}  // namespace

TEST(Softmax, MatchesReferenceAlongEveryDimForEveryFloatDtype) {
  const std::vector<Shape> shapes = {{7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 70}, {3, 130, 2}};
  uint64_t seed = 1;
  for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16}) {
    const double tol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-6 : 1e-2;
    for (const Shape& shape : shapes) {
      Tensor t = uniform_tensor(shape, -4, 4, dt, seed++);
      std::vector<double> x = to_vector<double>(t);
      const int64_t nd = static_cast<int64_t>(shape.size());
      for (int64_t d = -nd; d < nd; ++d) {
        const int64_t dd = d < 0 ? d + nd : d;
        std::string what = std::string(dtype_name(dt)) + " " + shape_str(shape) + " dim " + std::to_string(d);
        Tensor s = t.softmax(d), l = t.log_softmax(d);
        EXPECT_EQ(s.dtype(), dt);
        EXPECT_EQ(s.sizes(), shape);
        expect_close(s, ref_softmax(x, shape, dd, false), tol, tol, "softmax " + what);
        expect_close(l, ref_softmax(x, shape, dd, true), tol, tol, "log_softmax " + what);
      }
    }
  }
}

TEST(Softmax, RowsSumToOneAndEqualExpOfLogSoftmax) {
  Tensor t = uniform_tensor({512, 300}, -10, 10, kFloat32, 7);  // parallel row path
  for (int64_t d : {0, 1}) {
    Tensor s = t.softmax(d), l = t.log_softmax(d);
    std::vector<double> sv = to_vector<double>(s), lv = to_vector<double>(l);
    for (size_t i = 0; i < sv.size(); ++i) ASSERT_NEAR(sv[i], std::exp(lv[i]), 1e-6 + 1e-5 * sv[i]);
    std::vector<double> sums = to_vector<double>(s.to(kFloat64).sum(d));
    for (double v : sums) ASSERT_NEAR(v, 1.0, 1e-5);
  }
}

TEST(Softmax, LargeOutputsWithUnalignedRows) {
  // Over 16 MiB of output takes the streaming-store path; rows of 1001 floats
  // start at every alignment.
  const int64_t rows = 4200, n = 1001;
  Tensor t = uniform_tensor({rows, n}, -5, 5, kFloat32, 12);
  std::vector<double> x = to_vector<double>(t);
  for (bool log : {false, true}) {
    std::vector<double> y = to_vector<double>(log ? t.log_softmax(1) : t.softmax(1));
    for (int64_t r : {int64_t(0), int64_t(1), int64_t(2), int64_t(3), rows / 2 + 1, rows - 1}) {
      std::vector<double> row(x.begin() + r * n, x.begin() + (r + 1) * n);
      std::vector<double> want = ref_softmax(row, {n}, 0, log);
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[r * n + i], want[i], 1e-6 + 1e-5 * std::fabs(want[i])) << r;
    }
  }
  // Backward through the same path: g = 1 everywhere gives y * (1 - 1) = 0 for softmax.
  Tensor xg = t.clone().requires_grad_();
  xg.softmax(1).backward(ones({rows, n}));
  std::vector<double> gv = to_vector<double>(xg.grad());
  for (int64_t i : {int64_t(0), int64_t(5), rows * n / 2 + 3, rows * n - 1}) EXPECT_NEAR(gv[i], 0.0, 1e-7);
}

TEST(Softmax, NonContiguousInputs) {
  Tensor base = uniform_tensor({4, 5, 6}, -3, 3, kFloat32, 3);
  for (const Tensor& v : {base.transpose(0, 2), base.permute({1, 2, 0}), base.slice(2, 1, 6, 2)}) {
    std::vector<double> x = to_vector<double>(v);
    for (int64_t d = 0; d < 3; ++d) {
      expect_close(v.softmax(d), ref_softmax(x, v.sizes(), d, false), 1e-6, 1e-6, "strided softmax");
      expect_close(v.log_softmax(d), ref_softmax(x, v.sizes(), d, true), 1e-6, 1e-6, "strided log_softmax");
    }
  }
}

TEST(Softmax, StableForLargeValuesAndInfinities) {
  Tensor big = tensor<float>({1000, 1001, 1002, -1000, -1001, -1002}, {2, 3});
  std::vector<double> want = ref_softmax(to_vector<double>(big), {2, 3}, 1, false);
  expect_close(big.softmax(1), want, 1e-6, 1e-6, "large values");
  expect_close(big.log_softmax(1), ref_softmax(to_vector<double>(big), {2, 3}, 1, true), 1e-4, 1e-6, "large log");
  expect_close(big.t().contiguous().softmax(0), ref_softmax(to_vector<double>(big.t().contiguous()), {3, 2}, 0, false),
               1e-6, 1e-6, "large values, column path");
  const float inf = std::numeric_limits<float>::infinity();
  Tensor masked = tensor<float>({0, -inf, 0, -inf}, {1, 4});  // masked positions get exactly 0
  EXPECT_EQ(to_vector<float>(masked.softmax(-1)), (std::vector<float>{0.5f, 0, 0.5f, 0}));
  EXPECT_EQ(to_vector<float>(masked.log_softmax(-1))[1], -inf);
  Tensor h = tensor<float>({1000, 1001}).to(kFloat16);
  EXPECT_NEAR(h.softmax(0)[1].item<double>(), 1 / (1 + std::exp(-1.0)), 1e-2);
}

// Rows long enough for the vectorised exp (whose input clamp once turned exp(-inf) into a denormal on AVX2):
// masked positions get exactly 0 weight, and log_softmax's backward passes their gradient through exactly,
// in float and double, along the last dim (row path) and along dim 0 (column path).
TEST(Softmax, MaskedPositionsExactlyZeroInVectorisedRows) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v(3 * 37);
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 5 == 1 ? -inf : std::sin(0.3 * static_cast<double>(i));
  for (DType dt : {kFloat32, kFloat64}) {
    const Tensor x = tensor<double>(v, {3, 37}).to(dt);
    for (const Tensor& xs : {x, x.t().contiguous()}) {
      const int64_t dim = xs.size(0) == 3 ? 1 : 0;
      const std::vector<double> y = to_vector<double>(xs.softmax(dim));
      const std::vector<double> xv = to_vector<double>(xs);
      Tensor leaf = xs.clone().requires_grad_(true);
      const Tensor g = uniform_tensor(xs.shape(), -1, 1, dt, 5);
      leaf.log_softmax(dim).backward(g);
      const std::vector<double> gi = to_vector<double>(leaf.grad()), gv = to_vector<double>(g);
      for (size_t i = 0; i < y.size(); ++i)
        if (std::isinf(xv[i])) {
          ASSERT_EQ(y[i], 0.0) << dtype_name(dt) << " dim " << dim << " [" << i << "]";
          ASSERT_EQ(gi[i], gv[i]) << dtype_name(dt) << " dim " << dim << " [" << i << "]";
        }
    }
  }
}

TEST(Softmax, ZeroDimAndSizeOneDims) {
  Tensor s = scalar_tensor(3.0, kFloat64);
  EXPECT_DOUBLE_EQ(s.softmax(0).item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s.log_softmax(-1).item<double>(), 0.0);
  Tensor one = tensor<float>({1, 2, 3}, {3, 1});
  EXPECT_EQ(to_vector<float>(one.softmax(1)), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(zeros({0, 4}).softmax(1).sizes(), (Shape{0, 4}));
}

TEST(Softmax, DtypeArgumentAndErrors) {
  Tensor i = tensor<int64_t>({1, 2, 3});
  Tensor s = softmax(i, 0, kFloat64);
  EXPECT_EQ(s.dtype(), kFloat64);
  EXPECT_NEAR(s[2].item<double>(), std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-12);
  EXPECT_SEEK_ERROR_ALL(i.softmax(0), DTypeError, {"softmax", "floating point", "int64"});
  EXPECT_SEEK_ERROR_ALL(i.log_softmax(0), DTypeError, {"log_softmax", "floating point"});
  Tensor f = zeros({2, 3});
  EXPECT_SEEK_ERROR_ALL(f.softmax(2), IndexError, {"softmax", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(f.log_softmax(-3), IndexError, {"log_softmax", "dimension out of range"});
}

TEST(Softmax, BackwardMatchesClosedForm) {
  // softmax: g_in = y * (g - sum(g * y)); log_softmax: g_in = g - exp(y) * sum(g).
  const Shape shape = {3, 4, 5};
  std::vector<double> xv = uniform_values(60, -2, 2, 4), gv = uniform_values(60, -1, 1, 5);
  for (int64_t d = 0; d < 3; ++d) {
    for (bool log : {false, true}) {
      Tensor x = tensor<double>(xv, shape).to(kFloat32).requires_grad_();
      Tensor y = log ? x.log_softmax(d) : x.softmax(d);
      y.backward(tensor<double>(gv, shape).to(kFloat32));
      std::vector<double> yr = ref_softmax(to_vector<double>(x.detach()), shape, d, log), want(60);
      int64_t outer = 1, inner = 1, n = shape[d];
      for (int64_t k = 0; k < d; ++k) outer *= shape[k];
      for (int64_t k = d + 1; k < 3; ++k) inner *= shape[k];
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t j = 0; j < inner; ++j) {
          auto at = [&](int64_t i) { return (o * n + i) * inner + j; };
          double acc = 0;
          for (int64_t i = 0; i < n; ++i) acc += log ? gv[at(i)] : gv[at(i)] * yr[at(i)];
          for (int64_t i = 0; i < n; ++i)
            want[at(i)] = log ? gv[at(i)] - std::exp(yr[at(i)]) * acc : yr[at(i)] * (gv[at(i)] - acc);
        }
      }
      EXPECT_EQ(x.grad().dtype(), kFloat32);
      expect_close(x.grad(), want, 1e-5, 1e-5,
                   std::string(log ? "log_softmax" : "softmax") + " grad dim " + std::to_string(d));
    }
  }
}
