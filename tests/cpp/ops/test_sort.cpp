// sort, argsort, topk: hand-derived cases, stability, NaN order, dtypes, random
// rows against std::stable_sort, gradients, bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

using F = std::vector<float>;
using I = std::vector<int64_t>;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor ft(const F& v, const Shape& s) { return tensor<float>(v, s); }

// Random small integers (many ties) as float32.
Tensor random_ties(const Shape& s, uint32_t seed, int hi = 5) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> u(0, hi - 1);
  F v(static_cast<size_t>(shape_numel(s)));
  for (float& x : v) x = static_cast<float>(u(gen));
  return tensor<float>(v, s);
}

// Per row of a 2-D tensor: (values, indices) of std::stable_sort, ascending or descending.
std::pair<F, I> ref_stable_sort(const Tensor& m, bool descending) {
  F x = to_vector<float>(m), vals;
  I idx;
  const int64_t rows = m.size(0), n = m.size(1);
  for (int64_t r = 0; r < rows; ++r) {
    I order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return descending ? x[r * n + a] > x[r * n + b] : x[r * n + a] < x[r * n + b];
    });
    for (int64_t j : order) {
      vals.push_back(x[r * n + j]);
      idx.push_back(j);
    }
  }
  return {vals, idx};
}

// The first k columns of a row-major [rows, n] list.
template <typename T>
std::vector<T> prefix(const std::vector<T>& v, int64_t rows, int64_t n, int64_t k) {
  std::vector<T> out;
  for (int64_t r = 0; r < rows; ++r) out.insert(out.end(), v.begin() + r * n, v.begin() + r * n + k);
  return out;
}

// Compares with NaN equal to NaN.
void expect_same(const F& got, const F& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    else
      EXPECT_EQ(got[i], want[i]) << "at " << i;
  }
}

}  // namespace

TEST(Sort, HandDerived1D) {
  Tensor x = ft({3, 1, 2}, {3});
  auto [v, i] = sort(x);
  EXPECT_EQ(to_vector<float>(v), (F{1, 2, 3}));
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(i), (I{1, 2, 0}));
  auto [vd, id] = x.sort(0, /*descending=*/true);
  EXPECT_EQ(to_vector<float>(vd), (F{3, 2, 1}));
  EXPECT_EQ(to_vector<int64_t>(id), (I{0, 2, 1}));
}

TEST(Sort, AlongEachDimAndNonContiguous) {
  Tensor m = ft({3, 1, 2, 0, 5, 4}, {2, 3});
  auto [v1, i1] = m.sort(1);
  EXPECT_EQ(to_vector<float>(v1), (F{1, 2, 3, 0, 4, 5}));
  EXPECT_EQ(to_vector<int64_t>(i1), (I{1, 2, 0, 0, 2, 1}));
  auto [v0, i0] = m.sort(-2);
  EXPECT_EQ(to_vector<float>(v0), (F{0, 1, 2, 3, 5, 4}));
  EXPECT_EQ(to_vector<int64_t>(i0), (I{1, 0, 0, 0, 1, 1}));
  Tensor mt = m.t();  // [3, 2], strides (1, 3)
  ASSERT_FALSE(mt.is_contiguous());
  auto [vt, it] = mt.sort(0);
  EXPECT_EQ(to_vector<float>(vt), to_vector<float>(v1.t()));
  EXPECT_EQ(to_vector<int64_t>(it), to_vector<int64_t>(i1.t()));
  Tensor strided = ft({5, 9, 4, 9, 3, 9}, {6}).slice(0, 0, std::nullopt, 2);  // [5, 4, 3]
  EXPECT_EQ(to_vector<float>(std::get<0>(strided.sort())), (F{3, 4, 5}));
  EXPECT_EQ(to_vector<int64_t>(std::get<1>(strided.sort())), (I{2, 1, 0}));
}

TEST(Sort, StableKeepsInputOrderOfTies) {
  Tensor x = ft({2, 1, 2, 1, 2}, {5});
  EXPECT_EQ(to_vector<int64_t>(std::get<1>(x.sort(0, false, true))), (I{1, 3, 0, 2, 4}));
  EXPECT_EQ(to_vector<int64_t>(std::get<1>(x.sort(0, true, true))), (I{0, 2, 4, 1, 3}));
}

TEST(Sort, RandomRowsMatchStableSortReference) {  // [64, 600]: large enough for the parallel rows
  Tensor m = random_ties({64, 600}, 5);
  for (bool desc : {false, true}) {
    auto [v, i] = m.sort(1, desc, true);
    auto ref = ref_stable_sort(m, desc);
    EXPECT_EQ(to_vector<float>(v), ref.first);
    EXPECT_EQ(to_vector<int64_t>(i), ref.second);
    // The same rows sorted along dim 0 of the transpose.
    auto [vt, it] = m.t().contiguous().sort(0, desc, true);
    EXPECT_EQ(to_vector<float>(vt.t()), ref.first);
    EXPECT_EQ(to_vector<int64_t>(it.t()), ref.second);
  }
}

TEST(Sort, UnstableGivesSortedPermutation) {
  Tensor m = random_ties({8, 300}, 6);
  auto [v, i] = m.sort(1, false, /*stable=*/false);
  auto ref = ref_stable_sort(m, false);
  EXPECT_EQ(to_vector<float>(v), ref.first);
  F x = to_vector<float>(m), vals = to_vector<float>(v);
  I idx = to_vector<int64_t>(i);
  for (int64_t r = 0; r < 8; ++r) {
    I row(idx.begin() + r * 300, idx.begin() + (r + 1) * 300);
    for (int64_t j = 0; j < 300; ++j) EXPECT_EQ(x[r * 300 + row[j]], vals[r * 300 + j]);
    std::sort(row.begin(), row.end());
    for (int64_t j = 0; j < 300; ++j) ASSERT_EQ(row[j], j);
  }
}

TEST(Sort, NaNSortsAsLargest) {
  Tensor x = ft({kNaN, 1, -kInf, kNaN, 0}, {5});
  auto [v, i] = x.sort();
  expect_same(to_vector<float>(v), F{-kInf, 0, 1, kNaN, kNaN});
  EXPECT_EQ(to_vector<int64_t>(i), (I{2, 4, 1, 0, 3}));
  auto [vd, id] = x.sort(0, true);
  expect_same(to_vector<float>(vd), F{kNaN, kNaN, 1, 0, -kInf});
  EXPECT_EQ(to_vector<int64_t>(id), (I{0, 3, 1, 4, 2}));
  auto [vu, iu] = x.to(kFloat64).sort(0, false, /*stable=*/false);
  expect_same(to_vector<float>(vu), F{-kInf, 0, 1, kNaN, kNaN});
}

TEST(Sort, EveryDtype) {
  auto [vi, ii] = tensor<int32_t>({5, -2, 7}, {3}).sort();
  EXPECT_EQ(vi.dtype(), kInt32);
  EXPECT_EQ(to_vector<int32_t>(vi), (std::vector<int32_t>{-2, 5, 7}));
  EXPECT_EQ(to_vector<int64_t>(ii), (I{1, 0, 2}));
  for (DType dt : {kFloat16, kBFloat16, kFloat64, kInt64, kInt8}) {
    auto [v, i] = ft({3, -1, 2, 0}, {4}).to(dt).sort(0, true);
    EXPECT_EQ(v.dtype(), dt);
    EXPECT_EQ(to_vector<float>(v), (F{3, 2, 0, -1})) << dt;
    EXPECT_EQ(to_vector<int64_t>(i), (I{0, 2, 3, 1})) << dt;
  }
  auto [vb, ib] = tensor<bool>(std::vector<bool>{true, false, true}, {3}).sort();
  EXPECT_EQ(to_vector<bool>(vb), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(to_vector<int64_t>(ib), (I{1, 0, 2}));
  auto [vu, iu] = tensor<uint8_t>({200, 3, 100}, {3}).sort();
  EXPECT_EQ(to_vector<uint8_t>(vu), (std::vector<uint8_t>{3, 100, 200}));
}

TEST(Sort, ZeroDimAndEmpty) {
  auto [v, i] = scalar_tensor(2.5).sort();
  EXPECT_EQ(v.dim(), 0);
  EXPECT_EQ(v.item<float>(), 2.5f);
  EXPECT_EQ(i.dim(), 0);
  EXPECT_EQ(i.item<int64_t>(), 0);
  auto [ve, ie] = zeros({3, 0}).sort(1);
  EXPECT_EQ(ve.sizes(), (Shape{3, 0}));
  EXPECT_EQ(ie.sizes(), (Shape{3, 0}));
  EXPECT_EQ(std::get<0>(zeros({0, 4}).sort(1)).sizes(), (Shape{0, 4}));
  EXPECT_SEEK_ERROR_ALL(zeros({2, 3}).sort(2), IndexError, {"sort"});
}

TEST(Sort, ArgsortReturnsSortIndices) {
  Tensor m = random_ties({6, 40}, 7).requires_grad_();
  for (bool desc : {false, true}) {
    Tensor a = argsort(m, 1, desc);
    EXPECT_EQ(a.dtype(), kInt64);
    EXPECT_FALSE(a.requires_grad());
    EXPECT_EQ(to_vector<int64_t>(a), to_vector<int64_t>(std::get<1>(m.sort(1, desc))));
  }
  EXPECT_EQ(to_vector<int64_t>(ft({3, 1, 2}, {3}).argsort(0, true)), (I{0, 2, 1}));
}

// The values' backward writes the gradient back through the indices (needs scatter_ of the index family).
TEST(Sort, GradientGoesToSortedPositions) {
  Tensor x = ft({3, 1, 2, 0, 5, 4}, {2, 3}).requires_grad_();
  auto [v, i] = x.sort(1, true);
  v.backward(ft({10, 20, 30, 40, 50, 60}, {2, 3}));
  EXPECT_EQ(to_vector<float>(x.grad()), (F{10, 30, 20, 60, 40, 50}));
}

TEST(Topk, HandDerived) {
  Tensor x = ft({1, 5, 3, 5, 2}, {5});
  auto [v, i] = x.topk(2);
  EXPECT_EQ(to_vector<float>(v), (F{5, 5}));
  EXPECT_EQ(to_vector<int64_t>(i), (I{1, 3}));  // ties: lower index first
  auto [vs, is] = topk(x, 2, 0, /*largest=*/false);
  EXPECT_EQ(to_vector<float>(vs), (F{1, 2}));
  EXPECT_EQ(to_vector<int64_t>(is), (I{0, 4}));
  auto [v0, i0] = x.topk(0);
  EXPECT_EQ(v0.sizes(), (Shape{0}));
  EXPECT_EQ(i0.sizes(), (Shape{0}));
  EXPECT_EQ(to_vector<float>(std::get<0>(x.topk(5))), (F{5, 5, 3, 2, 1}));
  EXPECT_EQ(std::get<0>(scalar_tensor(4.0).topk(1)).item<float>(), 4.0f);
}

TEST(Topk, AlongDimsAndNaN) {
  Tensor m = ft({3, 1, 2, 0, 5, 4}, {2, 3});
  auto [v, i] = m.topk(1, 0);
  EXPECT_EQ(v.sizes(), (Shape{1, 3}));
  EXPECT_EQ(to_vector<float>(v), (F{3, 5, 4}));
  EXPECT_EQ(to_vector<int64_t>(i), (I{0, 1, 1}));
  auto [vs, is] = m.t().topk(2, -2, false);  // non-contiguous, along dim 0 of the transpose
  EXPECT_EQ(vs.sizes(), (Shape{2, 2}));
  EXPECT_EQ(to_vector<float>(vs), (F{1, 0, 2, 4}));
  EXPECT_EQ(to_vector<int64_t>(is), (I{1, 0, 2, 2}));
  Tensor n = ft({1, kNaN, 3}, {3});
  EXPECT_TRUE(std::isnan(std::get<0>(n.topk(1)).item<float>()));
  EXPECT_EQ(std::get<1>(n.topk(1)).item<int64_t>(), 1);
  EXPECT_EQ(std::get<0>(n.topk(1, 0, false)).item<float>(), 1.0f);
}

TEST(Topk, RandomMatchesStableSortPrefix) {  // [64, 700]: parallel rows
  Tensor m = random_ties({64, 700}, 8, 50);
  for (bool largest : {true, false}) {
    auto ref = ref_stable_sort(m, largest);
    for (int64_t k : {1, 10, 699, 700}) {
      auto [v, i] = m.topk(k, 1, largest);
      EXPECT_EQ(to_vector<float>(v), prefix(ref.first, 64, 700, k)) << k;
      EXPECT_EQ(to_vector<int64_t>(i), prefix(ref.second, 64, 700, k)) << k;
      // Unsorted: the same selection in some order.
      auto [vu, iu] = m.topk(k, 1, largest, /*sorted=*/false);
      auto [vu_sorted, order] = vu.sort(1, largest);
      EXPECT_EQ(to_vector<float>(vu_sorted), prefix(ref.first, 64, 700, k)) << k;
      I sel = to_vector<int64_t>(iu), want = prefix(ref.second, 64, 700, k);
      for (int64_t r = 0; r < 64; ++r) {
        std::sort(sel.begin() + r * k, sel.begin() + (r + 1) * k);
        std::sort(want.begin() + r * k, want.begin() + (r + 1) * k);
      }
      EXPECT_EQ(sel, want) << k;
    }
  }
}

TEST(Topk, GradientGoesToSelectedPositions) {  // needs scatter_ of the index family
  Tensor x = ft({1, 5, 3, 4, 2}, {5}).requires_grad_();
  auto [v, i] = x.topk(2, 0, false);
  v.backward(ft({7, 8}, {2}));
  EXPECT_EQ(to_vector<float>(x.grad()), (F{7, 0, 0, 0, 8}));
}

TEST(Topk, BadInput) {
  Tensor x = zeros({2, 5});
  EXPECT_SEEK_ERROR_ALL(x.topk(6), IndexError, {"topk", "selected index k out of range", "k = 6", "size 5"});
  EXPECT_SEEK_ERROR_ALL(x.topk(-1), IndexError, {"selected index k out of range", "k = -1"});
  EXPECT_SEEK_ERROR_ALL(x.topk(3, 0), IndexError, {"k = 3", "dimension 0", "size 2"});
  EXPECT_SEEK_ERROR_ALL(x.topk(1, 2), IndexError, {"topk"});
  EXPECT_SEEK_ERROR_ALL(scalar_tensor(1.0).topk(2), IndexError, {"selected index k out of range"});
}
