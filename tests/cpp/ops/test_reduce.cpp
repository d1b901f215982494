// Reductions against float64 references computed by plain loops here.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

using Ref = std::function<double(const std::vector<double>&)>;
const double kInf = std::numeric_limits<double>::infinity();

// uniform_tensor with this file's argument order and default range.
Tensor rand_tensor(const Shape& shape, DType dt, uint64_t seed, double lo = -2, double hi = 2) {
  return seek::testing::uniform_tensor(shape, lo, hi, dt, seed);
}

// Groups the row-major elements of `shape` by their kept coordinates and applies f to each group.
std::vector<double> ref_reduce(const std::vector<double>& x, const Shape& shape, std::vector<int64_t> dims, Ref f) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (dims.empty())
    for (int64_t d = 0; d < nd; ++d) dims.push_back(d);
  for (auto& d : dims) d = d < 0 ? d + nd : d;
  auto reduced = [&](int64_t d) { return std::find(dims.begin(), dims.end(), d) != dims.end(); };
  int64_t groups = 1;
  for (int64_t d = 0; d < nd; ++d)
    if (!reduced(d)) groups *= shape[d];
  std::vector<std::vector<double>> g(groups);
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i), key = 0, mul = 1;
    for (int64_t d = nd - 1; d >= 0; --d) {
      int64_t c = rem % shape[d];
      rem /= shape[d];
      if (!reduced(d)) key += c * mul, mul *= shape[d];
    }
    g[key].push_back(x[i]);
  }
  std::vector<double> out;
  for (auto& v : g) out.push_back(f(v));
  return out;
}

Shape out_shape(const Shape& shape, std::vector<int64_t> dims, bool keepdim) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (dims.empty())
    for (int64_t d = 0; d < nd; ++d) dims.push_back(d);
  for (auto& d : dims) d = d < 0 ? d + nd : d;
  Shape s;
  for (int64_t d = 0; d < nd; ++d) {
    bool r = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (!r)
      s.push_back(shape[d]);
    else if (keepdim)
      s.push_back(1);
  }
  return s;
}

double ref_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}
double ref_mean(const std::vector<double>& v) { return ref_sum(v) / static_cast<double>(v.size()); }
double ref_var(const std::vector<double>& v, double correction) {
  double m = ref_mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (static_cast<double>(v.size()) - correction);
}
double ref_lse(const std::vector<double>& v) {
  double m = -kInf;
  for (double x : v) m = std::max(m, x);
  if (m == -kInf) return -kInf;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}
double ref_norm(const std::vector<double>& v, double p) {
  double s = 0;
  for (double x : v) s = std::isinf(p) ? std::max(s, std::fabs(x)) : s + std::pow(std::fabs(x), p);
  return std::isinf(p) ? s : std::pow(s, 1.0 / p);
}

void expect_close(const Tensor& got, const std::vector<double>& want, double rtol, const std::string& what) {
  std::vector<double> g = to_vector<double>(got);
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isinf(want[i]) || std::isnan(want[i])) {
      EXPECT_TRUE(g[i] == want[i] || (std::isnan(g[i]) && std::isnan(want[i]))) << what << " [" << i << "]";
    } else {
      EXPECT_NEAR(g[i], want[i], rtol * (1 + std::fabs(want[i]))) << what << " [" << i << "]";
    }
  }
}

struct Case {
  Shape shape;
  std::vector<std::vector<int64_t>> dim_sets;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {{}, {{}}},
      {{7}, {{}, {0}, {-1}}},
      {{3, 4}, {{}, {0}, {1}, {-1}, {0, 1}}},
      {{2, 3, 5}, {{}, {0}, {1}, {2}, {0, 2}, {-1, -2}, {1, 0}}},
      {{2, 1, 3, 5}, {{1}, {0, 3}, {1, 2}, {-1}, {0, 1, 2, 3}}},
      {{6, 37, 9}, {{1}, {0, 2}, {2}}},
  };
  return c;
}

// Runs `op` against `ref` over every case, dim set and keepdim, for one dtype.
void check_family(const std::string& name, DType dt, double rtol,
                  std::function<Tensor(const Tensor&, const std::vector<int64_t>&, bool)> op, Ref ref, double lo = -2,
                  double hi = 2) {
  uint64_t seed = 1;
  for (const Case& c : cases()) {
    for (const auto& dims : c.dim_sets) {
      for (bool keepdim : {false, true}) {
        Tensor t = rand_tensor(c.shape, dt, seed++, lo, hi);
        std::vector<double> x = to_vector<double>(t);  // the values as stored in dt
        Tensor r = op(t, dims, keepdim);
        std::string what = name + " " + dtype_name(dt) + " shape " + shape_str(c.shape) + " dims " + shape_str(dims) +
                           (keepdim ? " keepdim" : "");
        EXPECT_EQ(r.sizes(), out_shape(c.shape, dims, keepdim)) << what;
        EXPECT_EQ(r.dtype(), dt) << what;
        expect_close(r, ref_reduce(x, c.shape, dims, ref), rtol, what);
      }
    }
  }
}

double rtol_for(DType dt) { return dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 2e-6 : 1e-2; }

}  // namespace

TEST(Reduce, FloatFamiliesMatchFloat64ReferenceOverShapesDimsAndKeepdim) {
  for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16}) {
    const double rt = rtol_for(dt);
    check_family(
        "sum", dt, rt, [](auto& t, auto& d, bool k) { return sum(t, d, k); }, ref_sum);
    check_family(
        "mean", dt, rt, [](auto& t, auto& d, bool k) { return mean(t, d, k); }, ref_mean);
    check_family(
        "amax", dt, rt, [](auto& t, auto& d, bool k) { return amax(t, d, k); },
        [](auto& v) { return *std::max_element(v.begin(), v.end()); });
    check_family(
        "amin", dt, rt, [](auto& t, auto& d, bool k) { return t.amin(d, k); },
        [](auto& v) { return *std::min_element(v.begin(), v.end()); });
    check_family(
        "var", dt, rt, [](auto& t, auto& d, bool k) { return var(t, d, 0, k); }, [](auto& v) { return ref_var(v, 0); });
    check_family(
        "std", dt, rt, [](auto& t, auto& d, bool k) { return seek::std(t, d, 0, k); },
        [](auto& v) { return std::sqrt(ref_var(v, 0)); });
    check_family(
        "logsumexp", dt, rt, [](auto& t, auto& d, bool k) { return logsumexp(t, d, k); }, ref_lse);
    for (double p : {1.0, 2.0, kInf, 3.0, 0.5}) {
      check_family(
          "norm" + std::to_string(p), dt, rt, [p](auto& t, auto& d, bool k) { return norm(t, p, d, k); },
          [p](auto& v) { return ref_norm(v, p); });
    }
    // prod of values near 1 stays well scaled for every shape.
    check_family(
        "prod", dt, rt,
        [](auto& t, auto& d, bool k) {
          // prod takes one dim: reduce the listed dims one after the other, last first.
          std::vector<int64_t> dd = d;
          if (dd.empty())
            for (int64_t i = 0; i < t.dim(); ++i) dd.push_back(i);
          for (auto& i : dd) i = i < 0 ? i + t.dim() : i;
          std::sort(dd.rbegin(), dd.rend());
          Tensor r = t;
          for (int64_t i : dd) r = prod(r, i, k);
          return r;
        },
        [](auto& v) {
          double p = 1;
          for (double x : v) p *= x;
          return p;
        },
        0.9, 1.1);
  }
}

TEST(Reduce, VarUsesCorrection) {
  Tensor t = tensor<double>({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(t.var().item<double>(), 5.0 / 3.0);  // correction 1 by default
  EXPECT_DOUBLE_EQ(t.var({}, 0).item<double>(), 1.25);
  EXPECT_DOUBLE_EQ(t.std({}, 0).item<double>(), std::sqrt(1.25));
  EXPECT_TRUE(std::isnan(tensor<double>({3}).var().item<double>()));  // N - 1 == 0
  auto [v, m] = var_mean(tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}), {1}, 1);
  EXPECT_EQ(to_vector<double>(v), (std::vector<double>{1, 1}));
  EXPECT_EQ(to_vector<double>(m), (std::vector<double>{2, 5}));
  auto [s, m2] = std_mean(tensor<double>({1, 3}), {}, 0);
  EXPECT_DOUBLE_EQ(s.item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(m2.item<double>(), 2.0);
}

TEST(Reduce, NonContiguousInputs) {
  Tensor base = rand_tensor({5, 6, 7}, kFloat32, 99);
  Tensor views[] = {base.permute({2, 0, 1}), base.transpose(0, 2), base.slice(1, 1, 6, 2), base.select(2, 3).t()};
  for (const Tensor& v : views) {
    std::vector<double> x = to_vector<double>(v);
    for (int64_t d = 0; d < v.dim(); ++d) {
      expect_close(v.sum(d), ref_reduce(x, v.sizes(), {d}, ref_sum), 2e-6, "sum strided dim " + std::to_string(d));
      expect_close(v.amax({d}),
                   ref_reduce(x, v.sizes(), {d}, [](auto& g) { return *std::max_element(g.begin(), g.end()); }), 0,
                   "amax strided");
      expect_close(v.var({d}), ref_reduce(x, v.sizes(), {d}, [](auto& g) { return ref_var(g, 1); }), 1e-5,
                   "var strided");
    }
    expect_close(v.sum(), {ref_sum(x)}, 2e-6, "sum all strided");
    expect_close(v.logsumexp({0, -1}), ref_reduce(x, v.sizes(), {0, -1}, ref_lse), 2e-6, "lse strided");
  }
}

TEST(Reduce, ExpandedInputsWithZeroStrides) {
  Tensor row = rand_tensor({1, 5}, kFloat64, 31), col = rand_tensor({4, 1}, kFloat64, 32);
  for (const Tensor& e : {row.expand({4, 5}), col.expand({4, 5})}) {
    Tensor c = e.contiguous();
    for (int64_t d : {0, 1}) {
      EXPECT_EQ(to_vector<double>(e.sum(d)), to_vector<double>(c.sum(d)));
      EXPECT_EQ(to_vector<double>(e.amax({d})), to_vector<double>(c.amax({d})));
      EXPECT_EQ(to_vector<int64_t>(e.argmin(d)), to_vector<int64_t>(c.argmin(d)));
      expect_close(e.var({d}), to_vector<double>(c.var({d})), 1e-12, "var expanded");
      expect_close(e.logsumexp(d), to_vector<double>(c.logsumexp(d)), 1e-12, "lse expanded");
      EXPECT_EQ(to_vector<double>(e.cumsum(d)), to_vector<double>(c.cumsum(d)));
    }
  }
}

TEST(Reduce, LargeSumsAreAccurateOnEveryLoopShape) {
  // One long contiguous run, outer-dim reduction with few outputs (split across threads),
  // and many outputs; 0.1 is not representable, so a serial float sum would drift.
  Tensor big = full({1 << 22}, 0.1f);
  const double want = (1 << 22) * static_cast<double>(0.1f);
  EXPECT_NEAR(big.sum().item<double>(), want, want * 1e-6);
  EXPECT_NEAR(big.mean().item<double>(), static_cast<double>(0.1f), 1e-7);
  Tensor cols = big.view({1 << 20, 4});
  expect_close(cols.sum(0), std::vector<double>(4, want / 4), 1e-6, "outer sum");
  Tensor rows = big.view({4, 1 << 20});
  expect_close(rows.sum(1), std::vector<double>(4, want / 4), 1e-6, "inner sum");
  expect_close(rows.var({1}), std::vector<double>(4, 0.0), 1e-9, "var of constant");
  // Random data through the parallel paths, against the float64 reference.
  Tensor r = rand_tensor({300, 1000}, kFloat32, 5);
  std::vector<double> x = to_vector<double>(r);
  expect_close(r.sum(0), ref_reduce(x, {300, 1000}, {0}, ref_sum), 1e-5, "parallel outer");
  expect_close(r.sum(1), ref_reduce(x, {300, 1000}, {1}, ref_sum), 1e-5, "parallel inner");
  expect_close(r.amax({0}),
               ref_reduce(x, {300, 1000}, {0}, [](auto& g) { return *std::max_element(g.begin(), g.end()); }), 0,
               "parallel amax");
  expect_close(r.norm(2.0), {ref_norm(x, 2)}, 1e-6, "parallel norm");
  expect_close(r.std({0}), ref_reduce(x, {300, 1000}, {0}, [](auto& g) { return std::sqrt(ref_var(g, 1)); }), 1e-5,
               "parallel std outer");
}

TEST(Reduce, SplitReductionsCombinePartsInOrder) {
  // Few outputs over many rows: threads split the rows and combine partial states;
  // ties across the split must still report the first index.
  const int64_t rows = 60000;
  std::vector<float> v(rows * 3, 1.0f);
  v[45000 * 3 + 1] = 5.0f;   // column 1: the max late in the range
  v[100 * 3 + 2] = -7.0f;    // column 2: the min early
  v[59000 * 3 + 2] = -7.0f;  // ... and a tie for it later
  Tensor t = tensor<float>(v, {rows, 3});
  EXPECT_EQ(to_vector<int64_t>(t.argmax(0)), (std::vector<int64_t>{0, 45000, 0}));
  EXPECT_EQ(to_vector<int64_t>(t.argmin(0)), (std::vector<int64_t>{0, 0, 100}));
  auto [mv, mi] = t.t().max(1);  // the same along the inner (contiguous-run) path
  EXPECT_EQ(to_vector<int64_t>(mi), (std::vector<int64_t>{0, 45000, 0}));
  Tensor flat = t.t().contiguous().reshape({-1});
  EXPECT_EQ(flat.argmin().item<int64_t>(), 2 * rows + 100);
  Tensor r = rand_tensor({rows, 3}, kFloat32, 8);
  std::vector<double> x = to_vector<double>(r);
  expect_close(r.logsumexp(0), ref_reduce(x, {rows, 3}, {0}, ref_lse), 1e-6, "split lse");
  expect_close(r.var({0}), ref_reduce(x, {rows, 3}, {0}, [](auto& g) { return ref_var(g, 1); }), 1e-5, "split var");
  expect_close(r.amin({0}),
               ref_reduce(x, {rows, 3}, {0}, [](auto& g) { return *std::min_element(g.begin(), g.end()); }), 0,
               "split amin");
  // A full reduction over dims that cannot merge (a sliced view), split mid-row.
  Tensor s = rand_tensor({700, 512}, kFloat64, 9).slice(1, 0, 300);
  expect_close(s.sum(), {ref_sum(to_vector<double>(s))}, 1e-12, "split sliced sum");
  expect_close(s.norm(1.0), {ref_norm(to_vector<double>(s), 1)}, 1e-12, "split sliced norm");
}

TEST(Reduce, IntegerAndBoolDtypeRules) {
  Tensor i = tensor<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor s = i.sum();
  EXPECT_EQ(s.dtype(), kInt64);
  EXPECT_EQ(s.item<int64_t>(), 21);
  EXPECT_EQ(to_vector<int64_t>(i.sum(0)), (std::vector<int64_t>{5, 7, 9}));
  EXPECT_EQ(i.prod().dtype(), kInt64);
  EXPECT_EQ(i.prod().item<int64_t>(), 720);
  EXPECT_EQ(to_vector<int64_t>(i.prod(1)), (std::vector<int64_t>{6, 120}));
  Tensor b = tensor<bool>({true, false, true, true});
  EXPECT_EQ(b.sum().dtype(), kInt64);
  EXPECT_EQ(b.sum().item<int64_t>(), 3);
  EXPECT_EQ(i.amax().dtype(), kInt32);
  EXPECT_EQ(i.max().item<int64_t>(), 6);
  EXPECT_EQ(tensor<uint8_t>({7, 200, 3}).max().item<int64_t>(), 200);
  EXPECT_EQ(tensor<int8_t>({-7, 100, -128}).min().item<int64_t>(), -128);
  EXPECT_EQ(i.cumsum(1).dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(i.cumsum(1)), (std::vector<int64_t>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(sum(i, {}, false, kFloat64).dtype(), kFloat64);
  EXPECT_DOUBLE_EQ(mean(i, {}, false, kFloat64).item<double>(), 3.5);
  EXPECT_EQ(logsumexp(tensor<int64_t>({0, 0}), 0).dtype(), kFloat32);
  EXPECT_NEAR(logsumexp(tensor<int64_t>({0, 0}), 0).item<double>(), std::log(2.0), 1e-6);
  EXPECT_SEEK_ERROR_ALL(i.mean(), DTypeError, {"mean", "floating point", "int32"});
  EXPECT_SEEK_ERROR_ALL(b.mean(), DTypeError, {"mean", "floating point"});
  EXPECT_SEEK_ERROR_ALL(i.var(), DTypeError, {"var", "floating point"});
  EXPECT_SEEK_ERROR_ALL(i.norm(), DTypeError, {"norm", "floating point"});
}

TEST(Reduce, AllAndAnyReturnBool) {
  Tensor t = tensor<float>({1, 0, 2, 3, 4, 5}, {2, 3});
  EXPECT_EQ(t.all().dtype(), kBool);
  EXPECT_FALSE(t.all().item<bool>());
  EXPECT_TRUE(t.any().item<bool>());
  EXPECT_EQ(to_vector<bool>(t.all(1)), (std::vector<bool>{false, true}));
  EXPECT_EQ(to_vector<bool>(t.all(0)), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(t.any(1, true).sizes(), (Shape{2, 1}));
  EXPECT_FALSE(zeros({3}, kInt64).any().item<bool>());
  EXPECT_TRUE(zeros({0}).all().item<bool>());  // empty: identities
  EXPECT_FALSE(zeros({0}).any().item<bool>());
  EXPECT_TRUE(tensor<float>({NAN}).all().item<bool>());  // NaN is non-zero
  Tensor h = tensor<float>({0.5f, 0}).to(kFloat16);
  EXPECT_EQ(to_vector<bool>(h.any(0, true)), (std::vector<bool>{true}));
}

TEST(Reduce, MaxMinAlongDimReturnValuesAndFirstIndexOnTies) {
  Tensor t = tensor<float>({1, 3, 3, 2, 5, 5, 0, 5}, {2, 4});
  auto [v, i] = t.max(1);
  EXPECT_EQ(to_vector<float>(v), (std::vector<float>{3, 5}));
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{1, 0}));
  auto [vmin, imin] = min(t, 0, true);
  EXPECT_EQ(vmin.sizes(), (Shape{1, 4}));
  EXPECT_EQ(to_vector<float>(vmin), (std::vector<float>{1, 3, 0, 2}));
  EXPECT_EQ(to_vector<int64_t>(imin), (std::vector<int64_t>{0, 0, 1, 0}));
  EXPECT_EQ(t.argmax().item<int64_t>(), 4);  // flattened, first of the three 5s
  EXPECT_EQ(t.argmin().item<int64_t>(), 6);
  EXPECT_EQ(to_vector<int64_t>(t.argmax(-1)), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(t.argmax(std::nullopt, true).sizes(), (Shape{1, 1}));
  EXPECT_EQ(t.argmax(0, true).sizes(), (Shape{1, 4}));
  EXPECT_EQ(tensor<int64_t>({4, 9, 9, 1}).argmax().item<int64_t>(), 1);
  // Outer-dim path (innermost dim kept) with ties across rows.
  Tensor c = tensor<double>({2, 7, 2, 7, 1, 7}, {3, 2});
  EXPECT_EQ(to_vector<int64_t>(c.argmax(0)), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(to_vector<int64_t>(c.argmin(0)), (std::vector<int64_t>{2, 0}));
  // Larger tensors through the parallel paths, f16 included.
  for (DType dt : {kFloat32, kFloat16, kBFloat16, kInt32}) {
    Tensor r = rand_tensor({64, 700}, dt, 11, -100, 100);
    std::vector<double> x = to_vector<double>(r);
    for (int64_t d : {0, 1}) {
      auto [mv, mi] = r.max(d);
      std::vector<int64_t> idx = to_vector<int64_t>(mi);
      std::vector<double> vals = to_vector<double>(mv);
      const int64_t n = r.size(d), other = r.size(1 - d);
      for (int64_t k = 0; k < other; ++k) {
        int64_t best = 0;
        for (int64_t j = 1; j < n; ++j) {
          double xj = d == 0 ? x[j * 700 + k] : x[k * 700 + j], xb = d == 0 ? x[best * 700 + k] : x[k * 700 + best];
          if (xj > xb) best = j;
        }
        ASSERT_EQ(idx[k], best) << dtype_name(dt) << " dim " << d << " k " << k;
        ASSERT_EQ(vals[k], d == 0 ? x[best * 700 + k] : x[k * 700 + best]);
      }
    }
  }
}

TEST(Reduce, NaNPropagatesThroughMaxAndArgmax) {
  Tensor t = tensor<float>({1, NAN, 3, 2});
  EXPECT_TRUE(std::isnan(t.max().item<float>()));
  EXPECT_TRUE(std::isnan(t.amin().item<float>()));
  EXPECT_EQ(t.argmax().item<int64_t>(), 1);
  EXPECT_EQ(t.argmin().item<int64_t>(), 1);
  EXPECT_TRUE(std::isnan(t.sum().item<float>()));
  EXPECT_TRUE(std::isnan(t.logsumexp(0).item<float>()));
}

TEST(Reduce, EmptyAndZeroDimInputs) {
  Tensor e = zeros({2, 0});
  EXPECT_EQ(to_vector<float>(e.sum(1)), (std::vector<float>{0, 0}));
  EXPECT_EQ(to_vector<float>(e.prod(1)), (std::vector<float>{1, 1}));
  EXPECT_TRUE(std::isnan(e.mean().item<float>()));
  EXPECT_EQ(e.sum(0).sizes(), (Shape{0}));
  EXPECT_EQ(e.amax({0}).sizes(), (Shape{0}));  // nothing to reduce per output, no outputs
  EXPECT_EQ(to_vector<float>(e.logsumexp(1)), (std::vector<float>{-INFINITY, -INFINITY}));
  EXPECT_EQ(e.norm().item<float>(), 0.0f);
  // PyTorch's error types: RuntimeError without a dim, IndexError for an empty reduced dim
  EXPECT_SEEK_ERROR_ALL(e.max(), Error, {"max", "no elements"});
  EXPECT_SEEK_ERROR_ALL(e.min(), Error, {"min", "no elements"});
  EXPECT_SEEK_ERROR_ALL(e.amax({1}), IndexError, {"amax", "no identity"});
  EXPECT_SEEK_ERROR_ALL(e.amax(), Error, {"amax", "no identity"});
  EXPECT_SEEK_ERROR_ALL(e.max(1), IndexError, {"max", "size 0"});
  EXPECT_SEEK_ERROR_ALL(e.argmax(), IndexError, {"argmax", "no elements"});
  Tensor s = scalar_tensor(2.5, kFloat64);
  EXPECT_EQ(s.sum().dim(), 0);
  EXPECT_DOUBLE_EQ(s.sum().item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.sum(0, true).item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.mean(-1).item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.max().item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(std::get<0>(s.max(0)).item<double>(), 2.5);
  EXPECT_EQ(std::get<1>(s.max(0)).item<int64_t>(), 0);
  EXPECT_EQ(s.argmax().item<int64_t>(), 0);
  EXPECT_DOUBLE_EQ(s.logsumexp(0).item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.cumsum(0).item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.norm(1.0).item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.var({}, 0).item<double>(), 0.0);
}

TEST(Reduce, LogsumexpIsStableForLargeAndInfiniteValues) {
  Tensor big = tensor<float>({1000, 1000, 999});
  EXPECT_NEAR(big.logsumexp(0).item<double>(), 1000 + std::log(2 + std::exp(-1.0)), 1e-3);
  Tensor neg = tensor<float>({-1000, -1000});
  EXPECT_NEAR(neg.logsumexp(0).item<double>(), -1000 + std::log(2.0), 1e-3);
  Tensor rows = tensor<double>({-kInf, -kInf, -kInf, -kInf, 0, -kInf, kInf, 1, 2}, {3, 3});
  std::vector<double> got = to_vector<double>(rows.logsumexp(1));
  EXPECT_EQ(got[0], -kInf);
  EXPECT_DOUBLE_EQ(got[1], 0.0);
  EXPECT_EQ(got[2], kInf);
  // The column path (reduced dim outer) handles the same rows transposed.
  EXPECT_EQ(to_vector<double>(rows.t().contiguous().logsumexp(0)), got);
  Tensor h = tensor<float>({60000, 60000}).to(kFloat16);  // exp would overflow f16, the result does not
  EXPECT_NEAR(h.logsumexp(0).item<double>(), 60000 + std::log(2.0), 60);
}

TEST(Reduce, NormSpecialCases) {
  Tensor t = tensor<double>({3, -4, 0, 1, -1, 2}, {2, 3});
  EXPECT_DOUBLE_EQ(t.norm().item<double>(), std::sqrt(31.0));
  EXPECT_DOUBLE_EQ(t.norm(1.0).item<double>(), 11.0);
  EXPECT_DOUBLE_EQ(t.norm(INFINITY).item<double>(), 4.0);
  EXPECT_NEAR(t.norm(3.0, {1})[0].item<double>(), std::cbrt(27.0 + 64.0), 1e-12);
  EXPECT_EQ(to_vector<double>(t.norm(INFINITY, {1}, true)), (std::vector<double>{4, 2}));
  // f16 sum of squares would overflow f16; the norm is computed in float.
  Tensor h = full({100}, 1000.0, kFloat16);
  EXPECT_NEAR(h.norm().item<double>(), 10000.0, 10.0);
  EXPECT_SEEK_ERROR_ALL(t.norm(-1.0), ValueError, {"norm", "positive"});
  EXPECT_SEEK_ERROR_ALL(zeros({0}).norm(INFINITY), ValueError, {"norm", "inf norm", "empty"});
}

TEST(Reduce, CumsumAlongEveryDim) {
  for (DType dt : {kFloat64, kFloat32, kFloat16}) {
    Tensor t = rand_tensor({3, 4, 5}, dt, 21);
    std::vector<double> x = to_vector<double>(t);
    for (int64_t d = -3; d < 3; ++d) {
      Tensor c = t.cumsum(d);
      EXPECT_EQ(c.dtype(), dt);
      const int64_t dd = d < 0 ? d + 3 : d, stride = dd == 0 ? 20 : dd == 1 ? 5 : 1;
      std::vector<double> want(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        int64_t pos = (static_cast<int64_t>(i) / stride) % t.size(dd);
        want[i] = x[i] + (pos > 0 ? want[i - stride] : 0.0);
      }
      expect_close(c, want, rtol_for(dt), "cumsum dim " + std::to_string(d));
    }
  }
  Tensor nc = tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}).t();  // [[1,4],[2,5],[3,6]]
  EXPECT_EQ(to_vector<double>(nc.cumsum(0)), (std::vector<double>{1, 4, 3, 9, 6, 15}));
  EXPECT_EQ(to_vector<double>(nc.cumsum(1)), (std::vector<double>{1, 5, 2, 7, 3, 9}));
  Tensor longrun = full({100000}, 1.0f);
  EXPECT_EQ(longrun.cumsum(0)[99999].item<float>(), 100000.0f);
}

TEST(Reduce, BadDimsThrowIndexErrors) {
  Tensor t = zeros({2, 3});
  EXPECT_SEEK_ERROR_ALL(t.sum(2), IndexError, {"sum", "dimension out of range", "got 2"});
  EXPECT_SEEK_ERROR_ALL(t.mean({-3}), IndexError, {"mean", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.amax({0, 2}), IndexError, {"amax", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.max(5), IndexError, {"max", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.argmin(-4), IndexError, {"argmin", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.cumsum(2), IndexError, {"cumsum", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.logsumexp({3}), IndexError, {"logsumexp", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.var({1}, 1, false); t.var({7}), IndexError, {"var", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.all(2), IndexError, {"all", "dimension out of range"});
  EXPECT_SEEK_ERROR_ALL(t.sum({0, 0}), IndexError, {"sum", "multiple times"});
  EXPECT_SEEK_ERROR_ALL(t.norm(2.0, {1, -1}), IndexError, {"norm", "multiple times"});
  EXPECT_SEEK_ERROR_ALL(scalar_tensor(1.0).sum(1), IndexError, {"sum", "dimension out of range"});
}

TEST(Reduce, BackwardValues) {
  // sum / mean spread the gradient back with keepdim handled.
  Tensor x = tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  x.sum(1).sum().backward();
  EXPECT_EQ(to_vector<double>(x.grad()), std::vector<double>(6, 1.0));
  x.set_grad(Tensor());
  x.mean({0}, true).sum().backward();
  EXPECT_EQ(to_vector<double>(x.grad()), std::vector<double>(6, 0.5));
  // prod with one zero: only the zero gets a gradient (the product of the others).
  Tensor p = tensor<double>({2, 0, 3, 4}).requires_grad_();
  p.prod().backward();
  EXPECT_EQ(to_vector<double>(p.grad()), (std::vector<double>{0, 24, 0, 0}));
  Tensor p2 = tensor<double>({2, 0, 3, 0}).requires_grad_();
  p2.prod().backward();
  EXPECT_EQ(to_vector<double>(p2.grad()), (std::vector<double>{0, 0, 0, 0}));
  Tensor p3 = tensor<double>({2, 5, 0, 4}, {2, 2}).requires_grad_();
  p3.prod(1).sum().backward();
  EXPECT_EQ(to_vector<double>(p3.grad()), (std::vector<double>{5, 2, 4, 0}));
  // max along a dim: to the returned (first) index; amax: split between ties.
  Tensor m = tensor<double>({1, 3, 3, 2}).requires_grad_();
  std::get<0>(m.max(0)).backward();
  EXPECT_EQ(to_vector<double>(m.grad()), (std::vector<double>{0, 1, 0, 0}));
  Tensor a = tensor<double>({1, 3, 3, 2}).requires_grad_();
  a.amax().backward();
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{0, 0.5, 0.5, 0}));
  Tensor b = tensor<double>({1, 3, 3, 2}).requires_grad_();
  b.max().backward();
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{0, 0.5, 0.5, 0}));
  // 2-norm at zero has a zero (not NaN) gradient.
  Tensor z = zeros({3}, kFloat64).requires_grad_();
  z.norm().backward();
  EXPECT_EQ(to_vector<double>(z.grad()), (std::vector<double>{0, 0, 0}));
  Tensor z2 = zeros({2}, kFloat64).requires_grad_();
  z2.std().backward();
  EXPECT_EQ(to_vector<double>(z2.grad()), (std::vector<double>{0, 0}));
  // cumsum's gradient is the reverse cumsum.
  Tensor c = tensor<double>({1, 2, 3}).requires_grad_();
  c.cumsum(0).backward(tensor<double>({1, 10, 100}));
  EXPECT_EQ(to_vector<double>(c.grad()), (std::vector<double>{111, 110, 100}));
  // f32 inputs give f32 gradients.
  Tensor f = tensor<float>({1, 2}).requires_grad_();
  f.logsumexp(0).backward();
  EXPECT_EQ(f.grad().dtype(), kFloat32);
  EXPECT_NEAR(f.grad()[1].item<double>(), std::exp(2.0) / (std::exp(1.0) + std::exp(2.0)), 1e-6);
  // Integer outputs carry no history.
  EXPECT_FALSE(std::get<1>(x.max(1)).requires_grad());
  EXPECT_FALSE(x.argmax().requires_grad());
}
