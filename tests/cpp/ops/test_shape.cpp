// cat, stack, split, chunk, unbind and pad: hand-derived cases, random cases
// against index-math references written here, views, gradients, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

using F = std::vector<float>;

Tensor ft(const F& v, const Shape& s) { return tensor<float>(v, s); }

Tensor random_tensor(const Shape& s, uint32_t seed, DType dt = kFloat32) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-4.f, 4.f);
  F v(static_cast<size_t>(shape_numel(s)));
  for (float& x : v) x = std::round(u(gen) * 8.f) / 8.f;  // exact in every float dtype
  return tensor<float>(v, s).to(dt);
}

std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t i = 0;
  for (size_t d = 0; d < s.size(); ++d) i = i * s[d] + idx[d];
  return i;
}

// Reference cat by index math.
F ref_cat(const std::vector<Tensor>& ts, int64_t d) {
  Shape out = ts[0].sizes();
  out[d] = 0;
  for (const Tensor& t : ts) out[d] += t.size(d);
  std::vector<F> vals;
  for (const Tensor& t : ts) vals.push_back(to_vector<float>(t));
  F res(static_cast<size_t>(shape_numel(out)));
  for (int64_t o = 0; o < shape_numel(out); ++o) {
    auto idx = unravel(o, out);
    size_t k = 0;
    while (idx[d] >= ts[k].size(d)) idx[d] -= ts[k++].size(d);
    res[o] = vals[k][ravel(idx, ts[k].sizes())];
  }
  return res;
}

// Reference pad: the input index each output cell reads (-1 for constant fill).
int64_t pad_src(const std::string& mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (mode == "constant") return -1;
  if (mode == "reflect") return i < 0 ? -i : 2 * (n - 1) - i;
  if (mode == "replicate") return i < 0 ? 0 : n - 1;
  return ((i % n) + n) % n;
}

Shape padded_shape(const Shape& in, const std::vector<int64_t>& pads) {
  Shape out = in;
  for (size_t j = 0; j < pads.size() / 2; ++j) out[in.size() - 1 - j] += pads[2 * j] + pads[2 * j + 1];
  return out;
}

// Output cell o -> flat input index or -1.
int64_t pad_map(int64_t o, const Shape& in, const std::vector<int64_t>& pads, const std::string& mode) {
  Shape out = padded_shape(in, pads);
  auto idx = unravel(o, out);
  for (size_t j = 0; j < pads.size() / 2; ++j) {
    size_t d = in.size() - 1 - j;
    int64_t s = pad_src(mode, idx[d] - pads[2 * j], in[d]);
    if (s < 0) return -1;
    idx[d] = s;
  }
  return ravel(idx, in);
}

F ref_pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode, float value) {
  F xv = to_vector<float>(x), res;
  Shape out = padded_shape(x.sizes(), pads);
  for (int64_t o = 0; o < shape_numel(out); ++o) {
    int64_t s = pad_map(o, x.sizes(), pads, mode);
    res.push_back(s < 0 ? value : xv[s]);
  }
  return res;
}

F ref_pad_grad(const Shape& in, const Tensor& g, const std::vector<int64_t>& pads, const std::string& mode) {
  F gv = to_vector<float>(g), res(static_cast<size_t>(shape_numel(in)), 0.f);
  for (int64_t o = 0; o < g.numel(); ++o) {
    int64_t s = pad_map(o, in, pads, mode);
    if (s >= 0) res[s] += gv[o];
  }
  return res;
}

}  // namespace

// ---- cat ----

TEST(Cat, HandDerivedAlongEachDim) {
  Tensor a = ft({1, 2, 3, 4}, {2, 2}), b = ft({5, 6}, {1, 2}), c = ft({7, 8}, {2, 1});
  Tensor r0 = cat({a, b}, 0);
  EXPECT_EQ(r0.sizes(), (Shape{3, 2}));
  EXPECT_EQ(to_vector<float>(r0), (F{1, 2, 3, 4, 5, 6}));
  Tensor r1 = cat({a, c}, -1);
  EXPECT_EQ(r1.sizes(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<float>(r1), (F{1, 2, 7, 3, 4, 8}));
  EXPECT_EQ(to_vector<float>(cat({c, a, c}, 1)), (F{7, 1, 2, 7, 8, 3, 4, 8}));
  EXPECT_EQ(to_vector<float>(cat({a}, 0)), (F{1, 2, 3, 4}));
}

TEST(Cat, RandomAndNonContiguousMatchReference) {
  for (int64_t d = 0; d < 3; ++d) {
    Shape s1{2, 3, 4}, s2{2, 3, 4};
    s2[d] = 5;
    Tensor a = random_tensor(s1, 1 + d);
    Tensor b = random_tensor({s2[2], s2[1], s2[0]}, 7 + d).permute({2, 1, 0});            // non-contiguous
    Tensor c = random_tensor({s1[0], s1[1], 2 * s1[2]}, 9).slice(2, 0, std::nullopt, 2);  // strided
    if (d == 2) c = random_tensor({2, 3, 4}, 9);
    ASSERT_FALSE(b.is_contiguous());
    Tensor r = cat({a, b, c}, d - 3);
    EXPECT_EQ(to_vector<float>(r), ref_cat({a, b, c}, d)) << "dim " << d;
  }
}

TEST(Cat, LargeInputsMatchReference) {  // big enough for the parallel copy loops
  Tensor a = random_tensor({64, 700}, 3), b = random_tensor({64, 900}, 4).to(kFloat64);
  Tensor r = cat({a, b}, 1);
  EXPECT_EQ(r.dtype(), kFloat64);
  EXPECT_EQ(to_vector<float>(r), ref_cat({a, b}, 1));
}

TEST(Cat, PromotesDtypes) {
  Tensor i = tensor<int32_t>({1, 2}, {2}), f = ft({0.5f}, {1});
  Tensor r = cat({i, f});
  EXPECT_EQ(r.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(r), (F{1, 2, 0.5f}));
  Tensor b = tensor<bool>(std::vector<bool>{true, false}, {2});
  Tensor l = tensor<int64_t>({7}, {1});
  EXPECT_EQ(cat({b, l}).dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(cat({b, l})), (std::vector<int64_t>{1, 0, 7}));
  EXPECT_EQ(cat({f.to(kFloat16), f.to(kFloat64)}).dtype(), kFloat64);
  EXPECT_EQ(cat({b, b}).dtype(), kBool);
}

TEST(Cat, SkipsLegacyEmpty1D) {
  Tensor x = random_tensor({2, 3}, 5);
  Tensor e = zeros({0}, kFloat64);
  Tensor r = cat({e, x, e}, 1);
  EXPECT_EQ(r.sizes(), (Shape{2, 3}));
  EXPECT_EQ(r.dtype(), kFloat64);  // the skipped tensor still takes part in promotion
  EXPECT_EQ(to_vector<float>(r), to_vector<float>(x));
  Tensor all_empty = cat({zeros({0}), zeros({0})});
  EXPECT_EQ(all_empty.sizes(), (Shape{0}));
  // Empty tensors of other shapes are not skipped: they must match.
  EXPECT_EQ(cat({zeros({2, 0}), x}, 1).sizes(), (Shape{2, 3}));
}

TEST(Cat, GradientIsSplitBack) {
  Tensor a = random_tensor({2, 2}, 1, kFloat64).requires_grad_();
  Tensor b = random_tensor({2, 3}, 2, kFloat64).requires_grad_();
  Tensor e = zeros({0}, kFloat64).requires_grad_();
  Tensor r = cat({a, e, b}, 1);
  ASSERT_TRUE(r.requires_grad());
  Tensor g = tensor<double>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {2, 5});
  r.backward(g);
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{1, 2, 6, 7}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{3, 4, 5, 8, 9, 10}));
  EXPECT_EQ(e.grad().sizes(), (Shape{0}));
}

TEST(Cat, GradientToTheInputDtype) {
  Tensor a = ft({1, 2}, {2}).requires_grad_();
  Tensor b = tensor<double>({3}, {1});
  Tensor r = cat({a, b});
  ASSERT_EQ(r.dtype(), kFloat64);
  r.backward(tensor<double>({0.5, 1.5, 2.5}, {3}));
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(a.grad()), (F{0.5f, 1.5f}));
}

TEST(Cat, BadInput) {
  EXPECT_SEEK_ERROR_ALL(cat({}), ValueError, {"cat", "non-empty"});
  Tensor a = zeros({2, 3}), b = zeros({3, 4});
  EXPECT_SEEK_ERROR_ALL(cat({a, b}, 0), ShapeError,
                        {"cat", "Expected size 3 but got size 4", "tensor number 1", "[2, 3]", "[3, 4]"});
  EXPECT_SEEK_ERROR_ALL(cat({a, zeros({2, 3, 1})}, 0), ShapeError, {"same number of dimensions", "got 2", "3"});
  EXPECT_SEEK_ERROR_ALL(cat({a, scalar_tensor(1)}, 0), ShapeError, {"zero-dimensional", "position 1"});
  EXPECT_SEEK_ERROR_ALL(cat({a, a}, 2), IndexError, {"cat"});
  EXPECT_SEEK_ERROR_ALL(cat({a, Tensor()}, 0), Error, {"cat", "tensor number 1", "undefined"});
}

// ---- stack ----

TEST(Stack, InsertsNewDim) {
  Tensor a = ft({1, 2, 3}, {3}), b = ft({4, 5, 6}, {3});
  Tensor s0 = stack({a, b});
  EXPECT_EQ(s0.sizes(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<float>(s0), (F{1, 2, 3, 4, 5, 6}));
  Tensor s1 = stack({a, b}, -1);
  EXPECT_EQ(s1.sizes(), (Shape{3, 2}));
  EXPECT_EQ(to_vector<float>(s1), (F{1, 4, 2, 5, 3, 6}));
  Tensor m = random_tensor({2, 3}, 4), n = random_tensor({3, 2}, 5).t();
  Tensor s2 = stack({m, n}, 1);
  EXPECT_EQ(s2.sizes(), (Shape{2, 2, 3}));
  EXPECT_EQ(to_vector<float>(s2.select(1, 0)), to_vector<float>(m));
  EXPECT_EQ(to_vector<float>(s2.select(1, 1)), to_vector<float>(n));
  EXPECT_EQ(stack({ft({1}, {1}), tensor<int32_t>({2}, {1})}).dtype(), kFloat32);
}

TEST(Stack, GradientAndBadInput) {
  Tensor a = ft({1, 2}, {2}).requires_grad_(), b = ft({3, 4}, {2}).requires_grad_();
  stack({a, b}, 1).backward(ft({1, 2, 3, 4}, {2, 2}));
  EXPECT_EQ(to_vector<float>(a.grad()), (F{1, 3}));
  EXPECT_EQ(to_vector<float>(b.grad()), (F{2, 4}));
  EXPECT_SEEK_ERROR_ALL(stack({zeros({2, 3}), zeros({3, 3})}), ShapeError,
                        {"stack", "equal size", "[2, 3] at entry 0", "[3, 3] at entry 1"});
  EXPECT_SEEK_ERROR_ALL(stack({}), ValueError, {"stack", "non-empty"});
  EXPECT_SEEK_ERROR_ALL(stack({zeros({2}), zeros({2})}, 3), IndexError, {"stack"});
}

// ---- split / chunk / unbind ----

TEST(Split, BySizeReturnsViews) {
  Tensor x = ft({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {5, 2});
  auto parts = x.split(2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].sizes(), (Shape{2, 2}));
  EXPECT_EQ(parts[2].sizes(), (Shape{1, 2}));
  EXPECT_EQ(to_vector<float>(parts[1]), (F{4, 5, 6, 7}));
  EXPECT_EQ(to_vector<float>(parts[2]), (F{8, 9}));
  EXPECT_TRUE(parts[1].is_view());
  EXPECT_EQ(parts[1].storage().get(), x.storage().get());
  parts[1].fill_(-1);  // writes through to the input
  EXPECT_EQ(to_vector<float>(x), (F{0, 1, 2, 3, -1, -1, -1, -1, 8, 9}));
  auto cols = split(x, 1, -1);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(to_vector<float>(cols[1]), (F{1, 3, -1, -1, 9}));
  EXPECT_EQ(x.split(7).size(), 1u);
  EXPECT_EQ(zeros({0, 2}).split(0).size(), 1u);
}

TEST(Split, BySizesAndBadInput) {
  Tensor x = random_tensor({2, 5}, 8);
  auto parts = x.split(std::vector<int64_t>{1, 0, 3, 1}, 1);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[1].sizes(), (Shape{2, 0}));
  EXPECT_EQ(to_vector<float>(parts[2]), to_vector<float>(x.narrow(1, 1, 3)));
  EXPECT_EQ(to_vector<float>(parts[3]), to_vector<float>(x.narrow(1, 4, 1)));
  EXPECT_SEEK_ERROR_ALL(x.split(std::vector<int64_t>{1, 2}, 1), ShapeError, {"split", "sum exactly to 5", "[1, 2]"});
  EXPECT_SEEK_ERROR_ALL(x.split(std::vector<int64_t>{6, -1}, 1), ValueError, {"non-negative", "[6, -1]"});
  EXPECT_SEEK_ERROR_ALL(x.split(-1), ValueError, {"split_size", "-1"});
  EXPECT_SEEK_ERROR_ALL(x.split(0), ValueError, {"split_size can only be 0", "size 2"});
  EXPECT_SEEK_ERROR_ALL(scalar_tensor(1).split(1), ShapeError, {"split", "0-dim"});
}

TEST(Chunk, SizesLikeTorch) {
  Tensor x = random_tensor({5, 6}, 9);
  auto c = x.chunk(3);  // ceil(5/3) = 2 -> 2, 2, 1
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[2].sizes(), (Shape{1, 6}));
  EXPECT_EQ(to_vector<float>(c[1]), to_vector<float>(x.narrow(0, 2, 2)));
  EXPECT_EQ(x.chunk(4, 1).size(), 3u);  // ceil(6/4) = 2 -> only 3 chunks, as torch
  EXPECT_EQ(x.chunk(5, 0).size(), 5u);
  EXPECT_EQ(x.chunk(10, 0).size(), 5u);
  auto e = zeros({0, 2}).chunk(3);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[2].sizes(), (Shape{0, 2}));
  auto cc = chunk(x, 2, -1);
  cc[1].zero_();
  EXPECT_EQ(to_vector<float>(x.narrow(1, 3, 3)), F(15, 0.f));
  EXPECT_NE(to_vector<float>(x.narrow(1, 0, 3)), F(15, 0.f));
  EXPECT_SEEK_ERROR_ALL(x.chunk(0), ValueError, {"chunk", "greater than 0", "0"});
  EXPECT_SEEK_ERROR_ALL(scalar_tensor(1).chunk(2), ShapeError, {"chunk", "0-dim"});
}

TEST(Unbind, SlicesAlongDim) {
  Tensor x = ft({1, 2, 3, 4, 5, 6}, {2, 3});
  auto rows = x.unbind();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(to_vector<float>(rows[1]), (F{4, 5, 6}));
  auto cols = unbind(x, -1);
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[2].sizes(), (Shape{2}));
  EXPECT_EQ(to_vector<float>(cols[2]), (F{3, 6}));
  cols[0].fill_(0);
  EXPECT_EQ(to_vector<float>(x), (F{0, 2, 3, 0, 5, 6}));
  EXPECT_TRUE(zeros({0, 3}).unbind(0).empty());
  EXPECT_SEEK_ERROR_ALL(scalar_tensor(1).unbind(0), IndexError, {"unbind", "no dimensions"});
  EXPECT_SEEK_ERROR_ALL(x.unbind(2), IndexError, {"unbind"});
}

TEST(Split, GradientsFlowThroughPieces) {
  Tensor x = ft({1, 2, 3, 4, 5, 6}, {6}).requires_grad_();
  auto p = x.split(2);
  Tensor y = cat({p[0] * 2.0, p[2] * 3.0});  // p[1] unused: its gradient is zero
  y.backward(ft({1, 1, 1, 1}, {4}));
  EXPECT_EQ(to_vector<float>(x.grad()), (F{2, 2, 0, 0, 3, 3}));
  Tensor w = ft({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  auto u = w.unbind(1);
  Tensor z = stack({u[2], u[0] * 5.0});
  z.backward(ft({1, 2, 3, 4}, {2, 2}));
  EXPECT_EQ(to_vector<float>(w.grad()), (F{15, 0, 1, 20, 0, 2}));
  Tensor v = ft({1, 2, 3, 4}, {4}).requires_grad_();
  auto c = v.chunk(2);
  (c[1] * c[0]).backward(ft({1, 1}, {2}));
  EXPECT_EQ(to_vector<float>(v.grad()), (F{3, 4, 1, 2}));
}

// ---- pad ----

TEST(Pad, ConstantHandDerived) {
  Tensor x = ft({1, 2, 3}, {3});
  EXPECT_EQ(to_vector<float>(pad(x, {1, 2}, "constant", 9)), (F{9, 1, 2, 3, 9, 9}));
  Tensor m = ft({1, 2, 3, 4}, {2, 2});
  Tensor p = pad(m, {1, 0, 0, 1});  // left 1 on the last dim, bottom 1 on the first
  EXPECT_EQ(p.sizes(), (Shape{3, 3}));
  EXPECT_EQ(to_vector<float>(p), (F{0, 1, 2, 0, 3, 4, 0, 0, 0}));
  Tensor i = tensor<int64_t>({5, 6}, {2});
  Tensor pi = pad(i, {1, 1}, "constant", 7);
  EXPECT_EQ(pi.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(pi), (std::vector<int64_t>{7, 5, 6, 7}));
  EXPECT_EQ(to_vector<float>(pad(x, {})), (F{1, 2, 3}));
}

TEST(Pad, NegativeConstantPadsCrop) {
  Tensor x = ft({1, 2, 3, 4, 5}, {5});
  EXPECT_EQ(to_vector<float>(pad(x, {-1, 2})), (F{2, 3, 4, 5, 0, 0}));
  EXPECT_EQ(to_vector<float>(pad(x, {-2, -1})), (F{3, 4}));
  EXPECT_EQ(pad(x, {-5, 0}).sizes(), (Shape{0}));
  EXPECT_EQ(to_vector<float>(pad(x, {-6, 3}, "constant", 1)), (F{1, 1}));  // nothing of x survives
  Tensor m = random_tensor({3, 4}, 2);
  EXPECT_EQ(to_vector<float>(pad(m, {1, -2, -1, 1}, "constant", 0.5f)), ref_pad(m, {1, -2, -1, 1}, "constant", 0.5f));
}

TEST(Pad, ReflectHandDerived) {
  EXPECT_EQ(to_vector<float>(pad(ft({1, 2, 3, 4}, {1, 4}), {2, 1}, "reflect")), (F{3, 2, 1, 2, 3, 4, 3}));
  Tensor m = ft({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3});
  Tensor p = pad(m, {1, 1, 1, 1}, "reflect");
  EXPECT_EQ(p.sizes(), (Shape{1, 5, 5}));
  EXPECT_EQ(to_vector<float>(p), (F{5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 8, 7, 8, 9, 8, 5, 4, 5, 6, 5}));
}

TEST(Pad, ReplicateAndCircularHandDerived) {
  EXPECT_EQ(to_vector<float>(pad(ft({1, 2, 3}, {1, 3}), {2, 1}, "replicate")), (F{1, 1, 1, 2, 3, 3}));
  Tensor m = ft({1, 2, 3, 4}, {1, 2, 2});
  EXPECT_EQ(to_vector<float>(pad(m, {1, 1, 1, 0}, "replicate")), (F{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(to_vector<float>(pad(ft({1, 2, 3}, {1, 3}), {2, 1}, "circular")), (F{2, 3, 1, 2, 3, 1}));
  EXPECT_EQ(to_vector<float>(pad(m, {0, 1, 2, 0}, "circular")), (F{1, 2, 1, 3, 4, 3, 1, 2, 1, 3, 4, 3}));
}

TEST(Pad, RandomMatchesReferenceInEveryMode) {
  Tensor x = random_tensor({2, 3, 4, 5}, 11);
  Tensor xt = random_tensor({5, 4, 3, 2}, 12).permute({3, 2, 1, 0});  // non-contiguous
  Tensor xi = random_tensor({2, 3, 4, 5}, 13).mul(8.0).to(kInt32);
  const std::vector<std::vector<int64_t>> cases = {{2, 1}, {1, 3, 2, 0}, {3, 3, 1, 2, 1, 1}};
  for (const std::string mode : {"constant", "reflect", "replicate", "circular"}) {
    for (const auto& pads : cases) {
      for (const Tensor& in : {x, xt, xi}) {
        Tensor p = pad(in, pads, mode, 1.5);
        EXPECT_EQ(p.dtype(), in.dtype());
        EXPECT_EQ(p.sizes(), padded_shape(in.sizes(), pads));
        float fill = in.dtype() == kInt32 ? 1.f : 1.5f;
        EXPECT_EQ(to_vector<float>(p), ref_pad(in, pads, mode, fill)) << mode << " pads " << shape_str(pads);
      }
    }
  }
}

TEST(Pad, GradientsHandDerived) {
  Tensor x = ft({1, 2, 3, 4}, {4}).requires_grad_();
  pad(x, {2, 1}, "reflect").backward(ft({1, 2, 3, 4, 5, 6, 7}, {7}));
  EXPECT_EQ(to_vector<float>(x.grad()), (F{3, 6, 13, 6}));
  Tensor y = ft({1, 2, 3}, {3}).requires_grad_();
  pad(y, {2, 1}, "replicate").backward(ft({1, 2, 3, 4, 5, 6}, {6}));
  EXPECT_EQ(to_vector<float>(y.grad()), (F{6, 4, 11}));
  Tensor z = ft({1, 2, 3}, {3}).requires_grad_();
  pad(z, {2, 1}, "circular").backward(ft({1, 2, 3, 4, 5, 6}, {6}));
  EXPECT_EQ(to_vector<float>(z.grad()), (F{3 + 6, 1 + 4, 2 + 5}));
  Tensor c = ft({1, 2, 3, 4, 5}, {5}).requires_grad_();
  pad(c, {-1, 2}).backward(ft({1, 2, 3, 4, 5, 6}, {6}));
  EXPECT_EQ(to_vector<float>(c.grad()), (F{0, 1, 2, 3, 4}));
}

TEST(Pad, GradientsMatchReference) {
  const std::vector<std::vector<int64_t>> cases = {{1, 2, 2, 1}, {3, 1, 0, 2, 1, 1}, {-1, 2, 1, -2}};
  for (const std::string mode : {"constant", "reflect", "replicate", "circular"}) {
    for (const auto& pads : cases) {
      if (mode != "constant" && pads[0] < 0) continue;
      Tensor x = random_tensor({2, 4, 5}, 21).requires_grad_();
      Tensor p = pad(x, pads, mode);
      Tensor g = random_tensor(p.sizes(), 22);
      p.backward(g);
      EXPECT_EQ(to_vector<float>(x.grad()), ref_pad_grad(x.sizes(), g, pads, mode)) << mode << shape_str(pads);
    }
  }
}

TEST(Pad, EmptyInputs) {
  Tensor e = zeros({2, 0}).requires_grad_();
  Tensor p = pad(e, {1, 1}, "constant", 3);
  EXPECT_EQ(to_vector<float>(p), F(4, 3.f));
  p.backward(ones({2, 2}));
  EXPECT_EQ(e.grad().sizes(), (Shape{2, 0}));
  EXPECT_EQ(pad(zeros({0, 3}), {1, 1}, "reflect").sizes(), (Shape{0, 5}));
  EXPECT_EQ(pad(zeros({0, 3}), {2, 1}, "replicate").sizes(), (Shape{0, 6}));
}

TEST(Pad, BadInput) {
  Tensor x = zeros({1, 2, 3});
  EXPECT_SEEK_ERROR_ALL(pad(x, {1, 2, 3}), ValueError, {"pad", "divisible by 2", "3"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {1, 1, 1, 1, 1, 1, 1, 1}), ValueError, {"padding length 8", "dimension 3"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {3, 0}, "reflect"), ValueError,
                        {"reflect padding (3, 0) at dimension 2", "less than the input size 3", "[1, 2, 3]"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {0, 0, 0, 2}, "reflect"), ValueError, {"reflect", "dimension 1", "input size 2"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {-1, 0}, "replicate"), ValueError, {"negative padding", "constant mode"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {4, 0}, "circular"), ValueError, {"circular padding (4, 0)", "input size 3"});
  EXPECT_SEEK_ERROR_ALL(pad(zeros({2, 0}), {1, 0}, "replicate"), ValueError, {"replicate", "non-empty"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {1, 1}, "mirror"), ValueError, {"unsupported padding mode 'mirror'"});
  EXPECT_SEEK_ERROR_ALL(pad(x, {-2, -2}), ShapeError, {"negative output size -1", "dimension 2"});
}
