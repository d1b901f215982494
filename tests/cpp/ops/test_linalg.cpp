// Linear algebra family: every product is checked against plain float64 loops
// that implement torch.matmul's shape rules independently.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "seek/backend/backend.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

// Deterministic uniform values in [-1, 1) (or small integers for integer dtypes).
Tensor rnd(const Shape& shape, DType dt = kF32, uint64_t seed = 1) {
  const size_t n = static_cast<size_t>(shape_numel(shape));
  const bool fp = is_floating(dt);
  std::vector<double> v =
      seek::testing::uniform_values(n, fp ? -1.0 : 0.0, fp ? 1.0 : 11.0, seed * 0x9E3779B97F4A7C15ull + 7);
  if (!fp)
    for (double& x : v) x = std::floor(x) - 5.0;  // integers in [-5, 5]
  return tensor<double>(v, shape, TensorOptions(dt));
}

struct Ref {
  Shape shape;
  std::vector<double> v;
};

// torch.matmul by definition: 1-D operands become [1, K] / [K, 1], batch dims
// broadcast, the added dims are dropped from the result.
Ref ref_matmul(const Tensor& a, const Tensor& b) {
  std::vector<double> av = to_vector<double>(a), bv = to_vector<double>(b);
  Shape as = a.sizes(), bs = b.sizes();
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as = {1, as[0]};
  if (b1) bs = {bs[0], 1};
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  EXPECT_EQ(K, bs[bs.size() - 2]);
  Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  size_t nd = std::max(ab.size(), bb.size());
  ab.insert(ab.begin(), nd - ab.size(), 1);
  bb.insert(bb.begin(), nd - bb.size(), 1);
  Shape batch(nd);
  for (size_t d = 0; d < nd; ++d) batch[d] = ab[d] == 1 ? bb[d] : ab[d];
  int64_t B = shape_numel(batch);
  Ref r;
  r.v.assign(static_cast<size_t>(B * M * N), 0.0);
  for (int64_t i = 0; i < B; ++i) {
    int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      int64_t idx = rem % batch[d];
      rem /= batch[d];
      ia += (ab[d] == 1 ? 0 : idx) * sa;
      ib += (bb[d] == 1 ? 0 : idx) * sb;
      sa *= ab[d];
      sb *= bb[d];
    }
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += av[(ia * M + m) * K + k] * bv[(ib * K + k) * N + n];
        r.v[(i * M + m) * N + n] = acc;
      }
  }
  r.shape = batch;
  if (!a1) r.shape.push_back(M);
  if (!b1) r.shape.push_back(N);
  return r;
}

// |got - want| <= tol * (1 + |want|) for every element.
void expect_close(const Tensor& got, const Ref& want, double tol, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.shape) << what;
  std::vector<double> g = to_vector<double>(got);
  ASSERT_EQ(g.size(), want.v.size()) << what;
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], want.v[i], tol * (1 + std::fabs(want.v[i]))) << what << " element " << i;
}

double tol_for(DType dt) { return dt == kF64 ? 1e-12 : dt == kF32 ? 1e-5 : 1e-2; }

}  // namespace

TEST(Linalg, MatmulAllRankCombinations) {
  const int64_t M = 5, K = 7, N = 3;
  const std::vector<Shape> a_shapes = {{K}, {M, K}, {2, M, K}, {3, 1, M, K}};
  const std::vector<Shape> b_shapes = {{K}, {K, N}, {2, K, N}, {1, 2, K, N}};
  for (DType dt : {kF32, kF64}) {
    for (size_t i = 0; i < a_shapes.size(); ++i) {
      for (size_t j = 0; j < b_shapes.size(); ++j) {
        Tensor a = rnd(a_shapes[i], dt, 10 + i), b = rnd(b_shapes[j], dt, 20 + j);
        Tensor c = matmul(a, b);
        EXPECT_EQ(c.dtype(), dt);
        EXPECT_TRUE(c.is_contiguous());
        expect_close(c, ref_matmul(a, b), tol_for(dt), str(shape_str(a.sizes()), " @ ", shape_str(b.sizes())));
        expect_close(a.matmul(b), ref_matmul(a, b), tol_for(dt), "method");
      }
    }
  }
}

TEST(Linalg, MatmulResultShapes) {
  EXPECT_EQ(matmul(rnd({4}), rnd({4})).sizes(), Shape{});
  EXPECT_EQ(matmul(rnd({3, 4}), rnd({4})).sizes(), Shape{3});
  EXPECT_EQ(matmul(rnd({4}), rnd({4, 5})).sizes(), Shape{5});
  EXPECT_EQ(matmul(rnd({4}), rnd({2, 4, 5})).sizes(), (Shape{2, 5}));
  EXPECT_EQ(matmul(rnd({2, 3, 4}), rnd({4})).sizes(), (Shape{2, 3}));
  EXPECT_EQ(matmul(rnd({6, 1, 3, 4}), rnd({2, 4, 5})).sizes(), (Shape{6, 2, 3, 5}));
}

TEST(Linalg, BroadcastBatchDims) {
  struct Case {
    Shape a, b;
  };
  for (const Case& c : std::vector<Case>{{{3, 1, 4, 5}, {2, 5, 6}},
                                         {{1, 4, 5}, {3, 5, 6}},
                                         {{4, 5}, {2, 3, 5, 6}},
                                         {{2, 3, 4, 5}, {5, 6}},
                                         {{2, 1, 4, 5}, {1, 3, 5, 6}},
                                         {{0, 4, 5}, {5, 6}}}) {
    Tensor a = rnd(c.a, kF64, 3), b = rnd(c.b, kF64, 4);
    expect_close(matmul(a, b), ref_matmul(a, b), 1e-12, shape_str(c.a) + " @ " + shape_str(c.b));
  }
  // A permuted batched left operand cannot be folded into one tall matrix.
  Tensor a = rnd({4, 2, 3, 5}).permute({1, 0, 2, 3}), b = rnd({5, 6});
  expect_close(matmul(a, b), ref_matmul(a, b), 1e-5, "permuted batch");
  // Expanded (stride-0) operands.
  Tensor e = rnd({1, 3, 5}).expand({4, 3, 5});
  expect_close(matmul(e, rnd({4, 5, 2})), ref_matmul(e, rnd({4, 5, 2})), 1e-5, "expanded lhs");
}

TEST(Linalg, TransposedAndSlicedOperands) {
  const int64_t M = 6, K = 9, N = 4;
  using Make = std::function<Tensor(DType)>;
  const std::vector<std::pair<std::string, Make>> as = {
      {"contiguous",
       [&](DType dt) {
         return rnd({M, K}, dt, 1);
       }},
      {"transposed",
       [&](DType dt) {
         return rnd({K, M}, dt, 2).t();
       }},
      {"column slice (ld > K)",
       [&](DType dt) {
         return rnd({M, K + 3}, dt, 3).narrow(1, 2, K);
       }},
      {"step-2 columns",
       [&](DType dt) {
         return rnd({M, 2 * K}, dt, 4).slice(1, 0, std::nullopt, 2);
       }},
      {"step-2 rows of a transpose",
       [&](DType dt) {
         return rnd({K, 2 * M}, dt, 5).t().slice(0, 1, std::nullopt, 2);
       }},
      {"expanded column", [&](DType dt) {
         return rnd({M, 1}, dt, 6).expand({M, K});
       }}};
  const std::vector<std::pair<std::string, Make>> bs = {
      {"contiguous",
       [&](DType dt) {
         return rnd({K, N}, dt, 7);
       }},
      {"transposed",
       [&](DType dt) {
         return rnd({N, K}, dt, 8).t();
       }},
      {"step-2 both", [&](DType dt) {
         return rnd({2 * K, 2 * N}, dt, 9).slice(0, 0, std::nullopt, 2).slice(1, 1, std::nullopt, 2);
       }}};
  for (DType dt : {kF32, kF64, kF16, kBF16, kI64, kI32})
    for (const auto& [an, make_a] : as)
      for (const auto& [bn, make_b] : bs) {
        Tensor a = make_a(dt), b = make_b(dt);
        double tol = is_floating(dt) ? tol_for(dt) : 0.0;
        expect_close(mm(a, b), ref_matmul(a, b), tol, str(an, " @ ", bn, " ", dt));
        expect_close(matmul(b.t(), a.t()), ref_matmul(b.t(), a.t()), tol, str("(", an, " @ ", bn, ")^T ", dt));
      }
  // Batched transposes: mT views and a permuted middle dim.
  Tensor a3 = rnd({2, K, M}).mT(), b3 = rnd({K, 2, N}).permute({1, 0, 2});
  expect_close(bmm(a3, b3), ref_matmul(a3, b3), 1e-5, "batched transposes");
  Tensor bt = rnd({N, K}).t();
  expect_close(matmul(a3, bt), ref_matmul(a3, bt), 1e-5, "batched transpose @ transpose");
}

TEST(Linalg, ReducedPrecision) {
  for (DType dt : {kF16, kBF16}) {
    Tensor a = rnd({3, 17, 33}, dt, 1), b = rnd({33, 9}, dt, 2);
    Tensor c = matmul(a, b);
    EXPECT_EQ(c.dtype(), dt);
    expect_close(c, ref_matmul(a, b), 1e-2, str(dt));
    Tensor v = rnd({33}, dt, 3);
    expect_close(mv(a[0], v), ref_matmul(a[0], v), 1e-2, str("mv ", dt));
    Tensor x = rnd({2, 5, 6}, dt, 4), y = rnd({1, 6, 4}, dt, 5).expand({2, 6, 4});
    expect_close(bmm(x, y), ref_matmul(x, y), 1e-2, str("bmm broadcast ", dt));
  }
}

TEST(Linalg, IntegerMatmul) {
  for (DType dt : {kI64, kI32, kInt8, kUInt8}) {
    Tensor a = rnd({2, 4, 6}, dt, 1), b = rnd({6, 3}, dt, 2);
    if (dt == kUInt8) a = (rnd({2, 4, 6}, kI64, 1) + 5).to(dt), b = (rnd({6, 3}, kI64, 2) + 5).to(dt);
    Tensor c = matmul(a, b);
    EXPECT_EQ(c.dtype(), dt);
    expect_close(c, ref_matmul(a, b), 0.0, str(dt));
  }
  // int8 wraps around like the storage type: 100 * 100 * 2 = 20000 = 78 * 256 + 32.
  Tensor a = tensor<int8_t>({100, 100}, {1, 2}), b = tensor<int8_t>({100, 100}, {2, 1});
  EXPECT_EQ(to_vector<int64_t>(mm(a, b)), std::vector<int64_t>{static_cast<int8_t>(20000)});
  Tensor x = tensor<int64_t>({1, 2, 3}, {3}), y = tensor<int64_t>({4, 5, 6}, {3});
  EXPECT_EQ(dot(x, y).item<int64_t>(), 32);
  EXPECT_EQ(to_vector<int64_t>(outer(x, y)), (std::vector<int64_t>{4, 5, 6, 8, 10, 12, 12, 15, 18}));
}

TEST(Linalg, SpecialForms) {
  Tensor a = rnd({4, 5}, kF64, 1), b = rnd({5, 3}, kF64, 2), v = rnd({5}, kF64, 3), w = rnd({5}, kF64, 4);
  expect_close(mm(a, b), ref_matmul(a, b), 1e-12, "mm");
  expect_close(a.mm(b), ref_matmul(a, b), 1e-12, "Tensor::mm");
  expect_close(mv(a, v), ref_matmul(a, v), 1e-12, "mv");
  expect_close(a.mv(v), ref_matmul(a, v), 1e-12, "Tensor::mv");
  expect_close(dot(v, w), ref_matmul(v, w), 1e-12, "dot");
  expect_close(v.dot(w), ref_matmul(v, w), 1e-12, "Tensor::dot");
  Tensor x = rnd({3, 4, 5}, kF64, 5), y = rnd({3, 5, 2}, kF64, 6);
  expect_close(bmm(x, y), ref_matmul(x, y), 1e-12, "bmm");
  expect_close(x.bmm(y), ref_matmul(x, y), 1e-12, "Tensor::bmm");
  Tensor o = outer(v, rnd({3}, kF64, 7));
  expect_close(o, ref_matmul(v.reshape({5, 1}), rnd({3}, kF64, 7).reshape({1, 3})), 1e-12, "outer");
  EXPECT_EQ(v.outer(w).sizes(), (Shape{5, 5}));
  // outer promotes like torch.outer: int64 x float32 -> float32; bool x bool is a logical and.
  Tensor oi = outer(tensor<int64_t>({1, 2}, {2}), tensor<float>({0.5f, 1.5f}, {2}));
  EXPECT_EQ(oi.dtype(), kF32);
  EXPECT_EQ(to_vector<float>(oi), (std::vector<float>{0.5f, 1.5f, 1.0f, 3.0f}));
  Tensor ob = outer(tensor<bool>({true, false}, {2}), tensor<bool>({true, true}, {2}));
  EXPECT_EQ(ob.dtype(), kBool);
  EXPECT_EQ(to_vector<bool>(ob), (std::vector<bool>{true, true, false, false}));
}

TEST(Linalg, Addmm) {
  Tensor a = rnd({4, 5}, kF64, 1), b = rnd({5, 3}, kF64, 2);
  Ref ab = ref_matmul(a, b);
  for (Shape bs : {Shape{4, 3}, Shape{3}, Shape{4, 1}, Shape{}}) {
    Tensor bias = rnd(bs, kF64, 3);
    Tensor full_bias = bias.expand({4, 3}).contiguous();
    std::vector<double> fb = to_vector<double>(full_bias);
    Ref want = ab;
    for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = 0.5 * fb[i] + 2.0 * ab.v[i];
    expect_close(addmm(bias, a, b, 0.5, 2.0), want, 1e-12, "addmm bias " + shape_str(bs));
    for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = fb[i] + ab.v[i];
    expect_close(addmm(bias, a, b), want, 1e-12, "addmm defaults " + shape_str(bs));
  }
  // beta == 0 ignores the bias entirely, NaNs included.
  Tensor nan_bias = full({4, 3}, std::numeric_limits<double>::quiet_NaN(), kF64);
  expect_close(addmm(nan_bias, a, b, 0, 1), ab, 1e-12, "beta 0");
  // Integer addmm with integer alpha/beta.
  Tensor ia = rnd({3, 4}, kI64, 4), ib = rnd({4, 2}, kI64, 5), ic = rnd({2}, kI64, 6);
  Ref iab = ref_matmul(ia, ib);
  std::vector<double> icv = to_vector<double>(ic);
  for (size_t i = 0; i < iab.v.size(); ++i) iab.v[i] = 3 * icv[i % 2] + 2 * iab.v[i];
  expect_close(addmm(ic, ia, ib, 3, 2), iab, 0.0, "int addmm");
}

TEST(Linalg, EmptyAndDegenerateSizes) {
  // K == 0: an empty sum is zero; addmm keeps beta * bias.
  Tensor z = mm(rnd({3, 0}), rnd({0, 4}));
  EXPECT_EQ(z.sizes(), (Shape{3, 4}));
  for (float x : to_vector<float>(z)) EXPECT_EQ(x, 0.0f);
  Tensor bias = full({3, 4}, 2.0);
  for (float x : to_vector<float>(addmm(bias, rnd({3, 0}), rnd({0, 4}), 0.5))) EXPECT_EQ(x, 1.0f);
  EXPECT_EQ(mm(rnd({0, 3}), rnd({3, 4})).sizes(), (Shape{0, 4}));
  EXPECT_EQ(bmm(rnd({0, 2, 3}), rnd({0, 3, 4})).sizes(), (Shape{0, 2, 4}));
  EXPECT_EQ(dot(rnd({0}), rnd({0})).item<float>(), 0.0f);
  // 1xK @ Kx1 and single-element matrices.
  Tensor a = rnd({1, 1}, kF64, 1), b = rnd({1, 1}, kF64, 2);
  expect_close(mm(a, b), ref_matmul(a, b), 1e-12, "1x1");
}

TEST(Linalg, LargeAndManySmall) {
  // One large product (Eigen splits it over threads) ...
  Tensor a = rnd({131, 257}, kF32, 1), b = rnd({257, 67}, kF32, 2);
  expect_close(mm(a, b), ref_matmul(a, b), 1e-4, "large mm");
  expect_close(mm(b.t(), a.t()), ref_matmul(b.t(), a.t()), 1e-4, "large mm transposed");
  // Every layout combination above the size where a BLAS (SEEK_BLAS) takes over, with alpha/beta.
  Tensor p = rnd({70, 80}, kF64, 7), pt = rnd({80, 70}, kF64, 8).t(), ps = rnd({70, 90}, kF64, 9).narrow(1, 5, 80);
  Tensor q = rnd({80, 65}, kF64, 10), qt = rnd({65, 80}, kF64, 11).t();
  for (const Tensor& x : {p, pt, ps})
    for (const Tensor& y : {q, qt}) {
      expect_close(mm(x, y), ref_matmul(x, y), 1e-12, "large layouts");
      Tensor bias = rnd({65}, kF64, 12);
      Ref want = ref_matmul(x, y);
      std::vector<double> bv = to_vector<double>(bias);
      for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = 0.5 * bv[i % 65] + 2.0 * want.v[i];
      expect_close(addmm(bias, x, y, 0.5, 2.0), want, 1e-12, "large addmm");
    }
  // Medium products (below the BLAS threshold, above Eigen's threading threshold) are
  // split into blocks of rows (M >= N) or columns (M < N) across threads.
  for (auto [m, n] : {std::pair<int64_t, int64_t>{96, 40}, {40, 96}, {33, 97}}) {
    Tensor x = rnd({m, 60}, kF32, 20), xt = rnd({60, m}, kF32, 21).t();
    Tensor y = rnd({60, n}, kF32, 22), yt = rnd({n, 60}, kF32, 23).t();
    for (const Tensor& l : {x, xt})
      for (const Tensor& r : {y, yt}) expect_close(mm(l, r), ref_matmul(l, r), 1e-5, str("medium ", m, "x", n));
  }
  // ... and a batch of small ones (split over the batch).
  Tensor x = rnd({97, 8, 6}, kF64, 3), y = rnd({97, 6, 5}, kF64, 4);
  expect_close(bmm(x, y), ref_matmul(x, y), 1e-12, "many small");
  Tensor xi = rnd({64, 5, 7}, kI32, 5), yi = rnd({64, 7, 9}, kI32, 6);
  expect_close(bmm(xi, yi), ref_matmul(xi, yi), 0.0, "many small int");
}

TEST(Linalg, BackendGemmAlphaBeta) {
  // out = alpha * a @ b + beta * out, with a stride-0 (broadcast) batch operand.
  for (DType dt : {kF32, kF64, kF16, kBF16, kI64}) {
    Tensor a = rnd({3, 4, 5}, dt, 1), b = rnd({1, 5, 2}, dt, 2).expand({3, 5, 2});
    Tensor out = rnd({3, 4, 2}, dt, 3);
    std::vector<double> before = to_vector<double>(out);
    Ref want = ref_matmul(a, b);
    for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = 2.0 * want.v[i] + 3.0 * before[i];
    backend(kCPU).gemm(a, b, out, 2.0, 3.0);
    expect_close(out, want, is_floating(dt) ? tol_for(dt) : 0.0, str("gemm ", dt));
  }
  EXPECT_SEEK_ERROR_ALL(backend(kCPU).gemm(rnd({2, 3}), rnd({3, 2}), rnd({2, 2}), 1, 0), ShapeError, {"gemm", "3-D"});
  EXPECT_SEEK_ERROR_ALL(backend(kCPU).gemm(rnd({1, 2, 3}), rnd({1, 3, 2}, kF64), rnd({1, 2, 2}), 1, 0), DTypeError,
                        {"gemm", "float32", "float64"});
}

TEST(Linalg, AutogradOnlyNeededInputs) {
  Tensor a = rnd({2, 3, 4}, kF64, 1).requires_grad_(), b = rnd({4, 5}, kF64, 2);
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.grad_fn()->name(), "MatmulBackward");
  c.backward(ones_like(c));
  ASSERT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  // d(sum(a @ b))/da[i, m, k] = sum_n b[k, n]
  std::vector<double> bv = to_vector<double>(b), ga = to_vector<double>(a.grad());
  for (size_t i = 0; i < ga.size(); ++i) {
    int64_t k = static_cast<int64_t>(i % 4);
    double want = 0;
    for (int64_t n = 0; n < 5; ++n) want += bv[k * 5 + n];
    EXPECT_NEAR(ga[i], want, 1e-12);
  }
  EXPECT_EQ(mm(a[0], b).grad_fn()->name(), "MmBackward");
  EXPECT_EQ(bmm(a, a.mT()).grad_fn()->name(), "BmmBackward");
  EXPECT_EQ(mv(a[0], rnd({4}, kF64)).grad_fn()->name(), "MvBackward");
  EXPECT_EQ(dot(a[0][0], rnd({4}, kF64)).grad_fn()->name(), "DotBackward");
  EXPECT_EQ(outer(a[0][0], rnd({2}, kF64)).grad_fn()->name(), "OuterBackward");
  EXPECT_EQ(addmm(rnd({3, 5}, kF64), a[0], b).grad_fn()->name(), "AddmmBackward");
  // The result is a fresh tensor, not a view, so it can be updated in place.
  Tensor d = mm(a[1], b);
  EXPECT_FALSE(d.is_view());
  d.add_(1.0);
  // Without grad mode nothing is recorded.
  {
    NoGradGuard g;
    EXPECT_FALSE(matmul(a, b).requires_grad());
  }
}

TEST(Linalg, BadInput) {
  EXPECT_SEEK_ERROR_ALL(matmul(rnd({2, 3}), rnd({3, 2}, kF64)), DTypeError, {"matmul", "float32", "float64"});
  EXPECT_SEEK_ERROR_ALL(mm(rnd({2, 3}, kF16), rnd({3, 2})), DTypeError, {"mm", "float16", "float32"});
  EXPECT_SEEK_ERROR_ALL(matmul(rnd({2, 3}, kBool), rnd({3, 2}, kBool)), DTypeError, {"matmul", "bool"});
  EXPECT_SEEK_ERROR_ALL(addmm(rnd({2}, kF64), rnd({2, 3}), rnd({3, 2})), DTypeError, {"addmm", "float64", "float32"});
  EXPECT_SEEK_ERROR_ALL(mm(rnd({2, 3}), rnd({4, 5})), ShapeError,
                        {"mm", "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"});
  EXPECT_SEEK_ERROR_ALL(matmul(rnd({2, 2, 3}), rnd({2, 4, 5})), ShapeError, {"matmul", "2x2x3 and 2x4x5"});
  EXPECT_SEEK_ERROR_ALL(matmul(rnd({3}), rnd({4})), ShapeError, {"matmul", "3 and 4"});
  EXPECT_SEEK_ERROR_ALL(matmul(rnd({2, 3, 4}), rnd({5, 4, 6})), ShapeError,
                        {"matmul", "batch", "[2, 3, 4]", "[5, 4, 6]"});
  EXPECT_SEEK_ERROR_ALL(matmul(rnd({}), rnd({3})), ShapeError, {"matmul", "at least 1-D", "0-D"});
  EXPECT_SEEK_ERROR_ALL(mm(rnd({2, 3, 4}), rnd({4, 5})), ShapeError, {"mm", "2-D", "[2, 3, 4]"});
  EXPECT_SEEK_ERROR_ALL(bmm(rnd({2, 3}), rnd({3, 4})), ShapeError, {"bmm", "3-D"});
  EXPECT_SEEK_ERROR_ALL(bmm(rnd({2, 3, 4}), rnd({3, 4, 5})), ShapeError, {"bmm", "batch", "[2, 3, 4]", "[3, 4, 5]"});
  EXPECT_SEEK_ERROR_ALL(mv(rnd({2, 3}), rnd({3, 1})), ShapeError, {"mv", "[2, 3]", "[3, 1]"});
  EXPECT_SEEK_ERROR_ALL(mv(rnd({2, 3}), rnd({4})), ShapeError, {"mv", "2x3 and 4"});
  EXPECT_SEEK_ERROR_ALL(dot(rnd({3}), rnd({4})), ShapeError, {"dot", "[3]", "[4]"});
  EXPECT_SEEK_ERROR_ALL(dot(rnd({3, 1}), rnd({3})), ShapeError, {"dot", "1-D"});
  EXPECT_SEEK_ERROR_ALL(outer(rnd({3, 1}), rnd({3})), ShapeError, {"outer", "1-D", "[3, 1]"});
  EXPECT_SEEK_ERROR_ALL(addmm(rnd({3, 3}), rnd({2, 3}), rnd({3, 4})), ShapeError, {"addmm", "[3, 3]", "[2, 4]"});
  EXPECT_SEEK_ERROR_ALL(addmm(rnd({4}), rnd({2, 3}), rnd({4, 4})), ShapeError, {"addmm", "2x3 and 4x4"});
  EXPECT_SEEK_ERROR_ALL(addmm(rnd({2}, kI64), rnd({2, 3}, kI64), rnd({3, 2}, kI64), 0.5), ValueError,
                        {"addmm", "alpha", "beta"});
  EXPECT_SEEK_ERROR_ALL(matmul(Tensor(), rnd({3})), Error, {"matmul", "undefined"});
}
