// Ternary family (where, clamp, lerp, addcmul, addcdiv, masked_fill): values
// against float64 references with broadcasting, strided and large inputs,
// dtype promotion, in-place forms, autograd routing and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

Tensor rand_mask(const Shape& shape, uint32_t seed = 9) {
  std::mt19937 gen(seed);
  std::vector<bool> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = gen() & 1;
  return tensor<bool>(v, shape);
}

double tol_for(DType dt) { return dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 2e-6 : 1e-2; }

// Element i of a row-major `out_shape` read from t broadcast to it.
double at_broadcast(const std::vector<double>& v, const Shape& shape, const Shape& out_shape, int64_t i) {
  int64_t offset = 0, stride = 1;
  int64_t lead = static_cast<int64_t>(out_shape.size() - shape.size());
  for (int64_t d = static_cast<int64_t>(out_shape.size()) - 1; d >= 0; --d) {
    int64_t idx = i % out_shape[d];
    i /= out_shape[d];
    if (d < lead) continue;
    int64_t size = shape[d - lead];
    if (size != 1) offset += idx * stride;
    stride *= size;
  }
  return v[static_cast<size_t>(offset)];
}

// out[i] == ref(a[i], b[i], c[i]) with a/b/c broadcast to out's shape.
template <typename Ref>
void expect_ternary(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, Ref ref, double tol,
                    const std::string& what) {
  std::vector<double> av = to_vector<double>(a), bv = to_vector<double>(b), cv = to_vector<double>(c);
  std::vector<double> ov = to_vector<double>(out);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double want = ref(at_broadcast(av, a.sizes(), out.sizes(), i), at_broadcast(bv, b.sizes(), out.sizes(), i),
                      at_broadcast(cv, c.sizes(), out.sizes(), i));
    if (!(std::fabs(ov[i] - want) <= tol * (1 + std::fabs(want)))) {
      FAIL() << what << " at " << i << ": got " << ov[i] << ", want " << want;
    }
  }
}

double clamp_ref(double x, double lo, double hi) { return std::min(std::max(x, lo), hi); }
double lerp_ref(double a, double b, double w) { return a + w * (b - a); }

}  // namespace

// ---- where ----
TEST(Where, SelectsWithThreeWayBroadcasting) {
  Tensor c = rand_mask({3, 1, 5});
  Tensor a = uniform_tensor({4, 1}, -1, 1, kFloat32, 1);
  Tensor b = uniform_tensor({5}, -1, 1, kFloat32, 2);
  Tensor out = where(c, a, b);
  EXPECT_EQ(out.sizes(), (Shape{3, 4, 5}));
  EXPECT_EQ(out.dtype(), kFloat32);
  expect_ternary(
      out, c.to(kFloat64), a, b, [](double m, double x, double y) { return m != 0 ? x : y; }, 0, "where");
}

TEST(Where, EveryDtypeAndStridedOperands) {
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8}) {
    Tensor a = uniform_tensor({6, 7}, 0, 100, dt, 3).t();                  // [7, 6] transposed
    Tensor b = uniform_tensor({7, 12}, 0, 100, dt, 4).slice(1, 0, 12, 2);  // [7, 6] step 2
    Tensor c = rand_mask({7, 6});
    Tensor out = where(c, a, b);
    EXPECT_EQ(out.dtype(), dt);
    expect_ternary(
        out, c.to(kFloat64), a, b, [](double m, double x, double y) { return m != 0 ? x : y; }, 0, dtype_name(dt));
  }
  Tensor bools = where(tensor<bool>({true, false}), tensor<bool>({false, false}), tensor<bool>({true, true}));
  EXPECT_EQ(to_vector<bool>(bools), (std::vector<bool>{false, true}));
}

TEST(Where, PromotesOperandsAndScalars) {
  Tensor c = tensor<bool>({true, false, true});
  Tensor f = tensor<float>({1.5f, 2.5f, 3.5f});
  Tensor d = tensor<double>({-1, -2, -3});
  Tensor i = tensor<int64_t>({7, 8, 9});
  EXPECT_EQ(where(c, f, d).dtype(), kFloat64);
  EXPECT_EQ(where(c, i, f).dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(where(c, i, f)), (std::vector<float>{7, 2.5f, 9}));
  Tensor ws = where(c, f, 0.0);
  EXPECT_EQ(ws.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(ws), (std::vector<float>{1.5f, 0, 3.5f}));
  Tensor wi = where(c, i, 2.5);  // integer tensor with a float scalar -> float32
  EXPECT_EQ(wi.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(wi), (std::vector<float>{7, 2.5f, 9}));
  Tensor wl = where(c, -1, i);
  EXPECT_EQ(wl.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(wl), (std::vector<int64_t>{-1, 8, -1}));
  Tensor h = tensor<double>({1, 2, 3}).to(kFloat16);
  EXPECT_EQ(where(c, h, 0.5).dtype(), kFloat16);
  Tensor ss = where(c, 1, 0.5);
  EXPECT_EQ(ss.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(ss), (std::vector<float>{1, 0.5f, 1}));
  EXPECT_EQ(where(c, 1, 0).dtype(), kInt64);
}

TEST(Where, BackwardRoutesGradientToTheSelectedInput) {
  Tensor c = tensor<bool>({true, false, false, true});
  Tensor a = tensor<double>({1, 2, 3, 4}).requires_grad_();
  Tensor b = tensor<double>({5, 6, 7, 8}).requires_grad_();
  where(c, a, b).backward(tensor<double>({10, 20, 30, 40}));
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{10, 0, 0, 40}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{0, 20, 30, 0}));
  Tensor s = tensor<double>({1, 2, 3, 4}).requires_grad_();
  where(c, 0.0, s).backward(tensor<double>({1, 1, 1, 1}));
  EXPECT_EQ(to_vector<double>(s.grad()), (std::vector<double>{0, 1, 1, 0}));
}

TEST(Where, BroadcastBackwardSumsToInputShape) {
  // Needs Tensor::sum (reductions family) through autograd::sum_to.
  Tensor c = tensor<bool>({true, false, true, false, false, true}, {2, 3});
  Tensor a = tensor<double>({1, 2, 3}).requires_grad_();  // broadcast over rows
  Tensor b = tensor<double>({0.5}, {1, 1}).requires_grad_();
  where(c, a, b).backward(ones({2, 3}, kFloat64));
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{1, 0, 2}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{3}));
}

TEST(Where, BadInput) {
  Tensor a = tensor<float>({1, 2, 3});
  EXPECT_SEEK_ERROR(where(tensor<int64_t>({1, 0, 1}), a, a), DTypeError,
                    "where: expected condition to be a bool tensor, got int64");
  EXPECT_SEEK_ERROR(where(a, a, 0.0), DTypeError, "where: expected condition to be a bool tensor");
  EXPECT_SEEK_ERROR(where(tensor<bool>({true, false}), a, a), ShapeError,
                    "where: shapes [2] and [3] cannot be broadcast");
  EXPECT_SEEK_ERROR(where(tensor<bool>({true, false, true}), a, tensor<float>({1, 2})), ShapeError,
                    "cannot be broadcast");
  EXPECT_SEEK_ERROR(where(Tensor(), a, a), Error, "where: argument 'condition' is an undefined tensor");
}

// ---- clamp ----
TEST(Clamp, MatchesReferenceForFloatingDtypes) {
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    Tensor x = uniform_tensor({9, 13}, -3, 3, dt);
    Tensor lo = full({1}, -1.25, kFloat64), hi = full({1}, 0.75, kFloat64);
    expect_ternary(x.clamp(-1.25, 0.75), x, lo, hi, clamp_ref, 0, dtype_name(dt));
    expect_ternary(x.clamp_min(-1.25), x, lo, full({1}, INFINITY, kFloat64), clamp_ref, 0, "min only");
    expect_ternary(clamp_max(x, 0.75), x, full({1}, -INFINITY, kFloat64), hi, clamp_ref, 0, "max only");
    expect_ternary(x.t().clamp(-1.25, 0.75), x.t(), lo, hi, clamp_ref, 0, "transposed");
    EXPECT_EQ(x.clamp(-1, 1).dtype(), dt);
  }
  Tensor big = uniform_tensor({300, 250}, -3, 3, kFloat32);  // parallel path
  expect_ternary(big.clamp(-1, 2), big, full({1}, -1.0, kFloat64), full({1}, 2.0, kFloat64), clamp_ref, 0, "large");
}

TEST(Clamp, IntegersAndPromotion) {
  Tensor i = tensor<int32_t>({-5, 0, 3, 9});
  Tensor r = i.clamp(-2, 4);
  EXPECT_EQ(r.dtype(), kInt32);
  EXPECT_EQ(to_vector<int32_t>(r), (std::vector<int32_t>{-2, 0, 3, 4}));
  EXPECT_EQ(to_vector<int32_t>(i.clamp_min(1)), (std::vector<int32_t>{1, 1, 3, 9}));
  EXPECT_EQ(to_vector<int32_t>(i.clamp_max(1)), (std::vector<int32_t>{-5, 0, 1, 1}));
  Tensor u = tensor<uint8_t>({0, 100, 255});
  EXPECT_EQ(to_vector<uint8_t>(u.clamp_min(50)), (std::vector<uint8_t>{50, 100, 255}));
  Tensor f = i.clamp(-0.5, 2.5);  // float bound -> float32, like torch
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(f), (std::vector<float>{-0.5f, 0, 2.5f, 2.5f}));
}

TEST(Clamp, EdgeCases) {
  double nan = std::nan("");
  Tensor x = tensor<double>({nan, -3, 0, 3});
  std::vector<double> r = to_vector<double>(x.clamp(-1, 1));
  EXPECT_TRUE(std::isnan(r[0])) << "clamp keeps nan";
  EXPECT_EQ(r[1], -1);
  // min > max: every value becomes max, as std::min(std::max(x, min), max).
  EXPECT_EQ(to_vector<double>(tensor<double>({-3, 0, 3}).clamp(2, 1)), (std::vector<double>{1, 1, 1}));
  std::vector<double> n = to_vector<double>(tensor<double>({-3, 0}).clamp(nan, 1));
  EXPECT_TRUE(std::isnan(n[0]) && std::isnan(n[1])) << "a nan bound gives nan";
}

TEST(Clamp, BackwardPassesGradientInsideTheBoundsInclusive) {
  Tensor x = tensor<double>({-2, -1, 0, 1, 2}).requires_grad_();
  x.clamp(-1, 1).backward(tensor<double>({1, 2, 3, 4, 5}));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0, 2, 3, 4, 0}));
  Tensor y = tensor<double>({-2, 0, 2}).requires_grad_();
  y.clamp_min(0).backward(ones({3}, kFloat64));
  EXPECT_EQ(to_vector<double>(y.grad()), (std::vector<double>{0, 1, 1}));
}

TEST(Clamp, InPlace) {
  Tensor x = tensor<float>({-3, 0.5f, 3});
  uint64_t v0 = x.version();
  Tensor& r = x.clamp_(-1, 1);
  EXPECT_TRUE(r.is_same(x));
  EXPECT_GT(x.version(), v0);
  EXPECT_EQ(to_vector<float>(x), (std::vector<float>{-1, 0.5f, 1}));
  Tensor base = uniform_tensor({4, 6}, -2, 2, kFloat64);
  Tensor want = base.clamp(std::nullopt, 0.25);
  base.t().clamp_(std::nullopt, 0.25);  // strided self
  EXPECT_EQ(to_vector<double>(base), to_vector<double>(want));
  Tensor i = tensor<int64_t>({-3, 7});
  i.clamp_(0, 5);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{0, 5}));
  EXPECT_SEEK_ERROR(i.clamp_(0.5, 2), DTypeError,
                    "clamp_: result type float32 can't be cast to the desired output type int64");
  Tensor leaf = tensor<double>({1, 2}).requires_grad_();
  EXPECT_SEEK_ERROR(leaf.clamp_(0, 1), AutogradError, "clamp_: a leaf tensor that requires grad");
}

TEST(Clamp, BadInput) {
  Tensor x = tensor<float>({1, 2});
  EXPECT_SEEK_ERROR(x.clamp(std::nullopt, std::nullopt), ValueError,
                    "clamp: at least one of 'min' or 'max' must be given");
  EXPECT_SEEK_ERROR(x.clamp_(std::nullopt), ValueError, "clamp_: at least one of 'min' or 'max'");
  EXPECT_SEEK_ERROR(tensor<bool>({true}).clamp(false, true), DTypeError, "clamp: not supported for bool tensors");
  // Integer bounds promote a bool tensor to int64, as torch.result_type does.
  EXPECT_EQ(tensor<bool>({true, false}).clamp(0, 1).dtype(), kInt64);
}

// ---- lerp ----
TEST(Lerp, MatchesReferenceWithBroadcasting) {
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    Tensor a = uniform_tensor({3, 1, 4}, -2, 2, dt, 1);
    Tensor b = uniform_tensor({5, 1}, -2, 2, dt, 2);
    Tensor w = uniform_tensor({4}, -0.5, 1.5, dt, 3);  // both formula branches
    Tensor out = lerp(a, b, w);
    EXPECT_EQ(out.sizes(), (Shape{3, 5, 4}));
    EXPECT_EQ(out.dtype(), dt);
    expect_ternary(out, a, b, w, lerp_ref, tol_for(dt), dtype_name(dt));
    expect_ternary(a.lerp(b, 0.3), a, b, full({1}, 0.3, kFloat64), lerp_ref, tol_for(dt), "scalar weight");
  }
  Tensor a = uniform_tensor({200, 200}, -1, 1, kFloat32, 4), b = uniform_tensor({200, 200}, -1, 1, kFloat32, 5);
  expect_ternary(a.t().lerp(b, 0.8), a.t(), b, full({1}, 0.8, kFloat64), lerp_ref, 2e-6, "large strided");
}

TEST(Lerp, EndpointsAreExact) {
  Tensor a = tensor<float>({0.1f, -3.7f, 1e8f}), b = tensor<float>({2.3f, 0.9f, -1e-8f});
  EXPECT_EQ(to_vector<float>(a.lerp(b, 0)), to_vector<float>(a));
  EXPECT_EQ(to_vector<float>(a.lerp(b, 1)), to_vector<float>(b));
}

TEST(Lerp, PromotionAndBadInput) {
  Tensor f = tensor<float>({1, 2}), d = tensor<double>({3, 4});
  EXPECT_EQ(f.lerp(d, 0.5).dtype(), kFloat64);
  EXPECT_EQ(to_vector<double>(f.lerp(d, 0.5)), (std::vector<double>{2, 3}));
  Tensor i = tensor<int64_t>({1, 2});
  EXPECT_SEEK_ERROR(i.lerp(i, 0.5), DTypeError, "lerp: expected floating point tensors, got int64 and int64");
  EXPECT_SEEK_ERROR(lerp(i, i, tensor<int64_t>({0, 1})), DTypeError, "lerp: expected floating point tensors");
  EXPECT_SEEK_ERROR(f.lerp(tensor<float>({1, 2, 3}), 0.5), ShapeError, "lerp: shapes [2] and [3]");
}

TEST(Lerp, InPlace) {
  Tensor a = tensor<double>({0, 10}), b = tensor<double>({4, 20});
  uint64_t v0 = a.version();
  a.lerp_(b, 0.25);
  EXPECT_GT(a.version(), v0);
  EXPECT_EQ(to_vector<double>(a), (std::vector<double>{1, 12.5}));
  // Non-leaf self with grad: history moves to the in-place result.
  Tensor x = tensor<double>({1, 2}).requires_grad_();
  Tensor y = x * 1.0;
  y.lerp_(b, 0.25);
  y.backward(ones({2}, kFloat64));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0.75, 0.75}));
  EXPECT_SEEK_ERROR(tensor<double>({1}).lerp_(b, 0.5), ShapeError,
                    "lerp_: output with shape [1] doesn't match the broadcast shape [2]");
  Tensor leaf = tensor<double>({1, 2}).requires_grad_();
  EXPECT_SEEK_ERROR(leaf.lerp_(b, 0.5), AutogradError, "lerp_: a leaf tensor that requires grad");
}

// ---- addcmul / addcdiv ----
TEST(Addc, MatchReferenceWithValueAndBroadcasting) {
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    Tensor t = uniform_tensor({2, 3, 1}, -2, 2, dt, 1);
    Tensor t1 = uniform_tensor({3, 4}, -2, 2, dt, 2);
    Tensor t2 = uniform_tensor({4}, 0.5, 2, dt, 3);
    Tensor m = addcmul(t, t1, t2, 0.5);
    EXPECT_EQ(m.sizes(), (Shape{2, 3, 4}));
    EXPECT_EQ(m.dtype(), dt);
    expect_ternary(
        m, t, t1, t2, [](double a, double b, double c) { return a + 0.5 * b * c; }, tol_for(dt), "addcmul");
    expect_ternary(
        t.addcdiv(t1, t2, -2), t, t1, t2, [](double a, double b, double c) { return a - 2 * b / c; }, tol_for(dt),
        "addcdiv");
    expect_ternary(
        t.addcmul(t1, t2), t, t1, t2, [](double a, double b, double c) { return a + b * c; }, tol_for(dt),
        "default value");
  }
  Tensor a = uniform_tensor({300, 200}, -1, 1, kFloat32, 6), b = uniform_tensor({300, 200}, -1, 1, kFloat32, 7);
  Tensor c = uniform_tensor({200, 300}, 0.5, 1, kFloat32, 8).t();
  expect_ternary(
      a.addcdiv(b, c, 0.1), a, b, c, [](double x, double y, double z) { return x + 0.1 * y / z; }, 2e-6,
      "large strided");
}

TEST(Addc, IntegersPromotionAndBadInput) {
  Tensor i = tensor<int64_t>({1, 2, 3});
  Tensor r = addcmul(i, i, i, 2);
  EXPECT_EQ(r.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(r), (std::vector<int64_t>{3, 10, 21}));
  Tensor f = addcmul(i, tensor<float>({0.5f, 0.5f, 0.5f}), i);
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(f), (std::vector<float>{1.5f, 3, 4.5f}));
  EXPECT_SEEK_ERROR(addcmul(i, i, i, 0.5), DTypeError,
                    "addcmul: for integer tensors, 'value' must be an integer, got 0.5");
  EXPECT_SEEK_ERROR(addcdiv(i, i, i), DTypeError,
                    "addcdiv: integer division of tensors is not supported, got int64, int64 and int64");
  EXPECT_SEEK_ERROR(i.addcdiv_(i, i), DTypeError, "addcdiv: integer division");
  Tensor bb = tensor<bool>({true});
  EXPECT_SEEK_ERROR(addcmul(bb, bb, bb), DTypeError, "addcmul: not supported for bool tensors");
  EXPECT_SEEK_ERROR(addcmul(i, tensor<int64_t>({1, 2}), i), ShapeError, "addcmul: shapes [3] and [2]");
}

TEST(Addc, InPlace) {
  Tensor t = tensor<float>({1, 2}), a = tensor<float>({3, 4}), b = tensor<float>({2, 8});
  uint64_t v0 = t.version();
  t.addcmul_(a, b, 0.5);
  EXPECT_GT(t.version(), v0);
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{4, 18}));
  t.addcdiv_(a, b, 2);
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{7, 19}));
  // self float32 with float64 operands: computed in float64, written back as float32.
  Tensor s = tensor<float>({1, 1});
  s.addcmul_(tensor<double>({0.5, 0.25}), tensor<double>({2, 2}));
  EXPECT_EQ(to_vector<float>(s), (std::vector<float>{2, 1.5f}));
  Tensor i = tensor<int32_t>({1, 2});
  EXPECT_SEEK_ERROR(i.addcmul_(tensor<float>({1, 1}), i), DTypeError,
                    "addcmul_: result type float32 can't be cast to the desired output type int32");
  EXPECT_SEEK_ERROR(tensor<float>({1}).addcmul_(a, b), ShapeError,
                    "addcmul_: output with shape [1] doesn't match the broadcast shape [2]");
  // grad through the operands of an in-place op on a tensor that does not require grad
  Tensor g1 = tensor<double>({1, 2}).requires_grad_();
  Tensor acc = zeros({2}, kFloat64);
  acc.addcmul_(g1, g1, 3);
  ASSERT_TRUE(acc.requires_grad());
  acc.backward(ones({2}, kFloat64));
  EXPECT_EQ(to_vector<double>(g1.grad()), (std::vector<double>{6, 12}));
  Tensor leaf = tensor<double>({1, 2}).requires_grad_();
  EXPECT_SEEK_ERROR(leaf.addcdiv_(a, b), AutogradError, "addcdiv_: a leaf tensor that requires grad");
}

// ---- masked_fill ----
TEST(MaskedFill, FillsWhereMaskIsTrue) {
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kUInt8}) {
    Tensor x = uniform_tensor({4, 6}, 0, 50, dt);
    Tensor m = rand_mask({1, 6});
    Tensor out = x.masked_fill(m, 7);
    EXPECT_EQ(out.dtype(), dt);
    expect_ternary(
        out, m.to(kFloat64), x, full({1}, 7.0, kFloat64), [](double mk, double v, double f) { return mk != 0 ? f : v; },
        0, dtype_name(dt));
  }
  Tensor x = uniform_tensor({5, 3}, -1, 1, kFloat32).t();
  Tensor m = rand_mask({3, 5});
  expect_ternary(
      masked_fill(x, m, -1e9), m.to(kFloat64), x, full({1}, -1e9, kFloat64),
      [](double mk, double v, double f) { return mk != 0 ? static_cast<double>(static_cast<float>(f)) : v; }, 0,
      "strided");
  // Out of place, the mask may broadcast self (as torch.masked_fill).
  EXPECT_EQ(tensor<float>({1, 2}).masked_fill(tensor<bool>({true, false, false, true}, {2, 2}), 0).sizes(),
            (Shape{2, 2}));
}

TEST(MaskedFill, InPlaceAndBackward) {
  Tensor x = tensor<double>({1, 2, 3, 4}, {2, 2});
  Tensor m = tensor<bool>({false, true}, {1, 2});
  uint64_t v0 = x.version();
  x.masked_fill_(m, -5);
  EXPECT_GT(x.version(), v0);
  EXPECT_EQ(to_vector<double>(x), (std::vector<double>{1, -5, 3, -5}));
  Tensor y = tensor<double>({1, 2, 3, 4}, {2, 2}).requires_grad_();
  y.masked_fill(m, 0.5).backward(tensor<double>({10, 20, 30, 40}, {2, 2}));
  EXPECT_EQ(to_vector<double>(y.grad()), (std::vector<double>{10, 0, 30, 0}));
  Tensor z = tensor<double>({1, 2, 3, 4}, {2, 2}).requires_grad_();
  Tensor w = z * 1.0;
  w.masked_fill_(m, 0.5);
  w.backward(ones({2, 2}, kFloat64));
  EXPECT_EQ(to_vector<double>(z.grad()), (std::vector<double>{1, 0, 1, 0}));
}

TEST(MaskedFill, BadInput) {
  Tensor x = tensor<float>({1, 2, 3});
  EXPECT_SEEK_ERROR(x.masked_fill(tensor<int64_t>({1, 0, 1}), 0), DTypeError,
                    "masked_fill: expected a bool mask, got int64");
  EXPECT_SEEK_ERROR(x.masked_fill_(tensor<float>({1, 0, 1}), 0), DTypeError,
                    "masked_fill_: expected a bool mask, got float32");
  EXPECT_SEEK_ERROR(x.masked_fill(tensor<bool>({true, false}), 0), ShapeError,
                    "masked_fill: shapes [2] and [3] cannot be broadcast");
  EXPECT_SEEK_ERROR(x.masked_fill_(tensor<bool>({true, false, true, true, false, true}, {2, 3}), 0), ShapeError,
                    "masked_fill_: output with shape [3] doesn't match the broadcast shape [2, 3]");
  Tensor leaf = tensor<double>({1, 2}).requires_grad_();
  EXPECT_SEEK_ERROR(leaf.masked_fill_(tensor<bool>({true, false}), 0), AutogradError,
                    "masked_fill_: a leaf tensor that requires grad");
}
