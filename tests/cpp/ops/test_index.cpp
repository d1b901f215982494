// Index family: gather, scatter, scatter_add, index_select, index_add,
// masked_select, embedding, one_hot. Hand-derived cases, random cases against
// naive loops over coordinates, strided inputs, duplicates, bad input.
#include <gtest/gtest.h>

#include <random>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

std::vector<int64_t> unravel(int64_t flat, const Shape& s) {
  std::vector<int64_t> c(s.size());
  for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
    c[d] = flat % s[d];
    flat /= s[d];
  }
  return c;
}

int64_t ravel(const std::vector<int64_t>& c, const Shape& s) {
  int64_t f = 0;
  for (size_t d = 0; d < s.size(); ++d) f = f * s[d] + c[d];
  return f;
}

std::vector<double> random_values(int64_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-4, 4);
  std::vector<double> v(n);
  for (auto& x : v) x = std::round(u(rng) * 8) / 8;  // exactly representable in every float dtype
  return v;
}

Tensor random_tensor(const Shape& s, std::mt19937_64& rng, DType dt = kFloat64) {
  return tensor<double>(random_values(shape_numel(s), rng), s).to(dt);
}

std::vector<int64_t> random_indices(int64_t n, int64_t lo, int64_t hi, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> u(lo, hi - 1);
  std::vector<int64_t> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Naive references over row-major coordinates.
std::vector<double> naive_gather(const Tensor& x, int64_t dim, const Tensor& index) {
  auto xv = to_vector<double>(x);
  auto iv = to_vector<int64_t>(index);
  std::vector<double> out(iv.size());
  for (size_t i = 0; i < iv.size(); ++i) {
    auto c = unravel(static_cast<int64_t>(i), index.sizes());
    c[dim] = iv[i];
    out[i] = xv[ravel(c, x.sizes())];
  }
  return out;
}

std::vector<double> naive_scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, bool add) {
  auto out = to_vector<double>(x);
  auto iv = to_vector<int64_t>(index);
  auto sv = to_vector<double>(src);
  for (size_t i = 0; i < iv.size(); ++i) {
    auto c = unravel(static_cast<int64_t>(i), index.sizes());
    double v = sv[ravel(c, src.sizes())];
    c[dim] = iv[i];
    double& o = out[ravel(c, x.sizes())];
    o = add ? o + v : v;
  }
  return out;
}

std::vector<double> naive_index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& iv) {
  Shape os = x.sizes();
  os[dim] = static_cast<int64_t>(iv.size());
  auto xv = to_vector<double>(x);
  std::vector<double> out(shape_numel(os));
  for (size_t i = 0; i < out.size(); ++i) {
    auto c = unravel(static_cast<int64_t>(i), os);
    int64_t v = iv[c[dim]];
    c[dim] = v < 0 ? v + x.size(dim) : v;
    out[i] = xv[ravel(c, x.sizes())];
  }
  return out;
}

std::vector<double> naive_index_add(const Tensor& x, int64_t dim, const std::vector<int64_t>& iv, const Tensor& src,
                                    double alpha) {
  auto out = to_vector<double>(x);
  auto sv = to_vector<double>(src);
  for (size_t i = 0; i < sv.size(); ++i) {
    auto c = unravel(static_cast<int64_t>(i), src.sizes());
    int64_t v = iv[c[dim]];
    c[dim] = v < 0 ? v + x.size(dim) : v;
    out[ravel(c, x.sizes())] += alpha * sv[i];
  }
  return out;
}

Tensor i64(const std::vector<int64_t>& v, const Shape& s) { return tensor<int64_t>(v, s); }

}  // namespace

// ---------------- gather ----------------

TEST(Gather, HandDerived) {
  Tensor x = tensor<float>({1, 2, 3, 4}, {2, 2});
  Tensor g = x.gather(1, i64({0, 0, 1, 0}, {2, 2}));
  EXPECT_EQ(g.sizes(), (Shape{2, 2}));
  EXPECT_EQ(to_vector<float>(g), (std::vector<float>{1, 1, 4, 3}));
  // dim 0, index smaller than the input in the other dim, larger along dim
  Tensor h = gather(x, 0, i64({1, 0, 1}, {3, 1}));
  EXPECT_EQ(h.sizes(), (Shape{3, 1}));
  EXPECT_EQ(to_vector<float>(h), (std::vector<float>{3, 1, 3}));
}

TEST(Gather, RandomMatchesNaiveForEveryDimAndDtype) {
  std::mt19937_64 rng(1);
  Shape xs{4, 5, 6};
  for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kInt8}) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      Tensor x = random_tensor(xs, rng, dt);
      Shape is{3, 4, 5};
      is[dim] = 7;
      Tensor idx = i64(random_indices(shape_numel(is), 0, xs[dim], rng), is);
      Tensor g = x.gather(dim, idx);
      EXPECT_EQ(g.dtype(), dt);
      EXPECT_EQ(g.sizes(), is);
      EXPECT_EQ(to_vector<double>(g), naive_gather(x, dim, idx)) << "dim " << dim << " dtype " << dt;
    }
  }
}

TEST(Gather, BoolAndStridedOperands) {
  std::mt19937_64 rng(2);
  Tensor xb = tensor<bool>(std::vector<bool>{true, false, false, true, true, false}, {2, 3});
  EXPECT_EQ(to_vector<bool>(xb.gather(1, i64({2, 0, 1, 1}, {2, 2}))), (std::vector<bool>{false, true, true, true}));
  // transposed input and a strided index view
  Tensor base = random_tensor({6, 5}, rng);
  Tensor x = base.t();  // [5, 6], non-contiguous
  Tensor big = i64(random_indices(5 * 8, 0, 5, rng), {5, 8});
  Tensor idx = big.slice(1, 0, std::nullopt, 2);  // [5, 4], stride 2
  ASSERT_FALSE(x.is_contiguous());
  ASSERT_FALSE(idx.is_contiguous());
  EXPECT_EQ(to_vector<double>(x.gather(0, idx)), naive_gather(x.contiguous(), 0, idx.contiguous()));
  // an index broadcast with stride 0 along the inner dim
  Tensor rows = i64({3, 0, 3}, {3, 1}).expand({3, 6});
  EXPECT_EQ(to_vector<double>(x.gather(0, rows)), naive_gather(x.contiguous(), 0, rows.contiguous()));
}

TEST(Gather, LargeInputRunsInParallelAndMatches) {
  std::mt19937_64 rng(3);
  Tensor x = random_tensor({64, 1500}, rng, kFloat32);
  Tensor idx = i64(random_indices(64 * 1500, 0, 1500, rng), {64, 1500});
  EXPECT_EQ(to_vector<double>(x.gather(1, idx)), naive_gather(x, 1, idx));
  Tensor idx0 = i64(random_indices(100 * 1500, 0, 64, rng), {100, 1500});
  EXPECT_EQ(to_vector<double>(x.gather(0, idx0)), naive_gather(x, 0, idx0));
}

TEST(Gather, MixingDevicesIsAnError) {
  int64_t buf[1] = {0};
  // an index that claims to live on a GPU: the device check fires before any memory is touched
  Tensor fake = from_blob(buf, {1, 1}, {}, kInt64, {}, kCUDA);
  EXPECT_SEEK_ERROR_ALL(zeros({2, 2}).gather(0, fake), DeviceError, {"gather", "same device"});
  EXPECT_SEEK_ERROR_ALL(zeros({2, 2}).index_select(0, fake.view({1})), DeviceError, {"index_select", "same device"});
  EXPECT_SEEK_ERROR_ALL(embedding(zeros({2, 2}), fake), DeviceError, {"embedding", "same device"});
}

TEST(Gather, ZeroDimAndEmpty) {
  Tensor s = scalar_tensor(2.5, kFloat64);
  Tensor g = s.gather(0, scalar_tensor(0, kInt64));
  EXPECT_EQ(g.dim(), 0);
  EXPECT_EQ(g.item<double>(), 2.5);
  Tensor e = zeros({3, 4}).gather(1, zeros({3, 0}, kInt64));
  EXPECT_EQ(e.sizes(), (Shape{3, 0}));
}

TEST(Gather, BadInput) {
  Tensor x = zeros({3, 5});
  EXPECT_SEEK_ERROR_ALL(x.gather(1, i64({0, 5, 1}, {1, 3})), IndexError,
                        {"gather", "index 5 is out of bounds for dimension 1 with size 5"});
  EXPECT_SEEK_ERROR_ALL(x.gather(0, i64({-1}, {1, 1})), IndexError,
                        {"gather", "index -1 is out of bounds for dimension 0 with size 3"});
  EXPECT_SEEK_ERROR_ALL(x.gather(0, tensor<int32_t>({0}, {1, 1})), DTypeError, {"gather", "int64", "int32"});
  EXPECT_SEEK_ERROR_ALL(x.gather(0, zeros({1, 1})), DTypeError, {"gather", "float32"});
  EXPECT_SEEK_ERROR_ALL(x.gather(0, i64({0}, {1})), ShapeError, {"gather", "same number of dimensions"});
  EXPECT_SEEK_ERROR_ALL(x.gather(0, zeros({1, 6}, kInt64)), ShapeError, {"gather", "[1, 6]", "dimension 1"});
  EXPECT_SEEK_ERROR_ALL(x.gather(2, zeros({1, 1}, kInt64)), IndexError, {"gather", "dimension out of range"});
}

// ---------------- scatter / scatter_add ----------------

TEST(Scatter, HandDerived) {
  // torch.Tensor.scatter_ documentation example
  Tensor src = tensor<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {2, 5});
  Tensor out = zeros({3, 5}).scatter(0, i64({0, 1, 2, 0}, {1, 4}), src);
  EXPECT_EQ(to_vector<float>(out), (std::vector<float>{1, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0}));
  Tensor val = zeros({2, 4}).scatter(1, i64({2, 3}, {2, 1}), 1.25);
  EXPECT_EQ(to_vector<float>(val), (std::vector<float>{0, 0, 1.25, 0, 0, 0, 0, 1.25}));
}

TEST(Scatter, DuplicatesLastWriteWinsOnCpu) {
  Tensor out = zeros({4}).scatter(0, i64({1, 1, 3, 1}, {4}), tensor<float>({10, 20, 30, 40}));
  EXPECT_EQ(to_vector<float>(out), (std::vector<float>{0, 40, 0, 30}));
}

TEST(Scatter, RandomMatchesNaiveWithDuplicates) {
  std::mt19937_64 rng(4);
  Shape xs{4, 5, 6};
  for (DType dt : {kFloat64, kFloat16, kInt32, kInt8}) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      Tensor x = random_tensor(xs, rng, dt);
      Shape is{3, 4, 5};
      is[dim] = 8;
      Shape ss = xs;
      ss[dim] = 8;
      // a strided src, larger than the index in the last dim
      Tensor src = random_tensor({ss[0], ss[1], ss[2] + 3}, rng, dt).narrow(2, 1, ss[2]);
      Tensor idx = i64(random_indices(shape_numel(is), 0, xs[dim], rng), is);
      EXPECT_EQ(to_vector<double>(x.scatter(dim, idx, src)), naive_scatter(x, dim, idx, src, false));
      EXPECT_EQ(to_vector<double>(x.scatter_add(dim, idx, src)), naive_scatter(x, dim, idx, src, true));
    }
  }
}

TEST(Scatter, AddAccumulatesDuplicatesInParallel) {
  // int64 makes the sums exact; 2048 columns split across threads, 300 rows per column.
  std::mt19937_64 rng(5);
  Tensor x = zeros({10, 2048}, kInt64);
  Tensor idx = i64(random_indices(300 * 2048, 0, 10, rng), {300, 2048});
  Tensor src = tensor<int64_t>(random_indices(300 * 2048, -50, 50, rng), {300, 2048});
  Tensor r = x.scatter_add(0, idx, src);
  auto ref = naive_scatter(x, 0, idx, src, true);
  EXPECT_EQ(to_vector<double>(r), ref);
  Tensor a = zeros({10, 2048}, kInt64);
  a.scatter_add_(0, idx, src);
  EXPECT_EQ(to_vector<double>(a), ref);
}

TEST(Scatter, InPlaceOnStridedSelfAndAliasedSource) {
  std::mt19937_64 rng(6);
  Tensor base = random_tensor({5, 4}, rng);
  Tensor self = base.t();  // [4, 5] view
  Tensor before = self.contiguous();
  Tensor idx = i64({4, 0, 2, 1, 3, 0, 1, 2}, {4, 2});
  Tensor src = random_tensor({4, 2}, rng);
  self.scatter_(1, idx, src);
  EXPECT_EQ(to_vector<double>(self), naive_scatter(before, 1, idx, src, false));
  EXPECT_EQ(to_vector<double>(base.t()), to_vector<double>(self));  // wrote through the view
  // src is self itself: reads see the values from before the write
  Tensor y = tensor<double>({1, 2, 3, 4}, {4});
  y.scatter_(0, i64({3, 2, 1, 0}, {4}), y);
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{4, 3, 2, 1}));
  Tensor z = zeros({3});
  z.scatter_(0, i64({2}, {1}), 7.0);
  EXPECT_EQ(to_vector<float>(z), (std::vector<float>{0, 0, 7}));
  uint64_t v = z.version();
  z.scatter_add_(0, i64({2, 2}, {2}), tensor<float>({1, 1}));
  EXPECT_EQ(to_vector<float>(z), (std::vector<float>{0, 0, 9}));
  EXPECT_GT(z.version(), v);
}

TEST(Scatter, BadInput) {
  Tensor x = zeros({3, 4});
  EXPECT_SEEK_ERROR_ALL(x.scatter(0, i64({3}, {1, 1}), 1.0), IndexError,
                        {"scatter", "index 3 is out of bounds for dimension 0 with size 3"});
  EXPECT_SEEK_ERROR_ALL(x.scatter_add(1, i64({-2}, {1, 1}), zeros({1, 1})), IndexError,
                        {"scatter_add", "index -2 is out of bounds for dimension 1 with size 4"});
  EXPECT_SEEK_ERROR_ALL(x.scatter(0, i64({0}, {1, 1}), zeros({1, 1}, kFloat64)), DTypeError,
                        {"scatter", "same dtype", "float32", "float64"});
  EXPECT_SEEK_ERROR_ALL(x.scatter(0, tensor<int32_t>({0}, {1, 1}), 1.0), DTypeError, {"scatter", "int64"});
  EXPECT_SEEK_ERROR_ALL(x.scatter(0, zeros({2, 2}, kInt64), zeros({1, 2})), ShapeError,
                        {"scatter", "exceeds the size of src"});
  EXPECT_SEEK_ERROR_ALL(x.scatter_add(0, zeros({2, 5}, kInt64), zeros({2, 5})), ShapeError,
                        {"scatter_add", "exceeds the size of input"});
  Tensor expanded = zeros({1, 4}).expand({3, 4});
  EXPECT_SEEK_ERROR_ALL(expanded.scatter_(0, zeros({1, 1}, kInt64), 1.0), Error, {"scatter_", "expanded view"});
  // nothing was written by the failing calls
  EXPECT_EQ(to_vector<float>(x), std::vector<float>(12, 0.f));
}

// ---------------- index_select / index_add ----------------

TEST(IndexSelect, HandDerived) {
  Tensor x = tensor<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  EXPECT_EQ(to_vector<float>(x.index_select(0, i64({2, 0}, {2}))), (std::vector<float>{7, 8, 9, 1, 2, 3}));
  Tensor col = x.index_select(1, i64({1}, {1}));
  EXPECT_EQ(col.sizes(), (Shape{3, 1}));
  EXPECT_EQ(to_vector<float>(col), (std::vector<float>{2, 5, 8}));
  // negative indices count from the end; a 0-dim index keeps the dim with size 1
  EXPECT_EQ(to_vector<float>(x.index_select(1, i64({-1, 0, -3}, {3}))),
            (std::vector<float>{3, 1, 1, 6, 4, 4, 9, 7, 7}));
  Tensor r = x.index_select(0, scalar_tensor(1, kInt64));
  EXPECT_EQ(r.sizes(), (Shape{1, 3}));
  EXPECT_EQ(to_vector<float>(r), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(to_vector<float>(x.index_select(0, tensor<int32_t>({1, 1}))), (std::vector<float>{4, 5, 6, 4, 5, 6}));
}

TEST(IndexSelect, RandomMatchesNaive) {
  std::mt19937_64 rng(7);
  for (DType dt : {kFloat64, kFloat16, kInt64, kInt8}) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      Tensor base = random_tensor({6, 5, 4}, rng, dt);
      Tensor x = base.permute({2, 0, 1});  // [4, 6, 5], non-contiguous
      auto iv = random_indices(9, -x.size(dim), x.size(dim), rng);
      Tensor idx = i64(iv, {9});
      EXPECT_EQ(to_vector<double>(x.index_select(dim, idx)), naive_index_select(x.contiguous(), dim, iv));
      Tensor idx32 = i64(iv, {9}).to(kInt32);
      EXPECT_EQ(to_vector<double>(x.index_select(dim, idx32)), naive_index_select(x.contiguous(), dim, iv));
    }
  }
  // strided index, large parallel case
  Tensor x = random_tensor({3000, 40}, rng, kFloat32);
  auto iv = random_indices(4000, 0, 3000, rng);
  Tensor idx = i64(iv, {2000, 2}).select(1, 0);
  std::vector<int64_t> every_other;
  for (size_t i = 0; i < iv.size(); i += 2) every_other.push_back(iv[i]);
  EXPECT_EQ(to_vector<double>(x.index_select(0, idx)), naive_index_select(x, 0, every_other));
}

TEST(IndexSelect, BadInput) {
  Tensor x = zeros({5, 2});
  EXPECT_SEEK_ERROR_ALL(x.index_select(0, i64({1, 7}, {2})), IndexError,
                        {"index_select", "index 7 is out of bounds for dimension 0 with size 5"});
  EXPECT_SEEK_ERROR_ALL(x.index_select(0, i64({-6}, {1})), IndexError,
                        {"index_select", "index -6 is out of bounds for dimension 0 with size 5"});
  EXPECT_SEEK_ERROR_ALL(x.index_select(1, i64({0, 1}, {1, 2})), IndexError, {"index_select", "vector", "[1, 2]"});
  EXPECT_SEEK_ERROR_ALL(x.index_select(0, zeros({1})), DTypeError, {"index_select", "int64 or int32", "float32"});
}

TEST(IndexAdd, HandDerived) {
  // rows 0 (twice), 4 and 2 receive alpha * source rows
  Tensor x = ones({5, 3});
  Tensor src = tensor<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3});
  Tensor r = x.index_add(0, i64({0, 4, 2, 0}, {4}), src, 2);
  EXPECT_EQ(to_vector<float>(r), (std::vector<float>{23, 27, 31, 1, 1, 1, 15, 17, 19, 1, 1, 1, 9, 11, 13}));
  EXPECT_EQ(to_vector<float>(x), std::vector<float>(15, 1.f));  // out of place
  Tensor c = zeros({2, 3}).index_add(1, tensor<int32_t>({-1, -1}), ones({2, 2}));
  EXPECT_EQ(to_vector<float>(c), (std::vector<float>{0, 0, 2, 0, 0, 2}));
}

TEST(IndexAdd, RandomMatchesNaiveWithDuplicates) {
  std::mt19937_64 rng(8);
  for (DType dt : {kFloat64, kFloat32, kInt64}) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      Tensor x = random_tensor({4, 5, 6}, rng, dt);
      Shape ss{4, 5, 6};
      ss[dim] = 11;
      Tensor src = random_tensor(ss, rng, dt);
      auto iv = random_indices(11, -x.size(dim), x.size(dim), rng);
      double alpha = dt == kInt64 ? 3 : 0.5;
      Tensor r = dt == kInt64 ? x.index_add(dim, i64(iv, {11}), src, 3) : x.index_add(dim, i64(iv, {11}), src, 0.5);
      EXPECT_EQ(to_vector<double>(r), naive_index_add(x, dim, iv, src, alpha)) << dim << " " << dt;
    }
  }
  // in place, strided self, large enough to run in parallel
  Tensor base = zeros({512, 300}, kFloat64);
  Tensor self = base.t();  // [300, 512]
  Tensor src = random_tensor({300, 2000}, rng);
  auto iv = random_indices(2000, 0, 512, rng);
  auto ref = naive_index_add(self.contiguous(), 1, iv, src, 1.0);
  self.index_add_(1, i64(iv, {2000}), src);
  EXPECT_EQ(to_vector<double>(self), ref);
}

TEST(IndexAdd, HalfAccumulatesInFloat) {
  Tensor x = zeros({2}, kFloat16);
  Tensor r = x.index_add(0, i64({1, 1, 1, 1}, {4}), full({4}, 0.25, kFloat16));
  EXPECT_EQ(to_vector<float>(r), (std::vector<float>{0, 1}));
}

TEST(IndexAdd, BadInput) {
  Tensor x = zeros({5, 3});
  EXPECT_SEEK_ERROR_ALL(x.index_add(0, i64({5}, {1}), zeros({1, 3})), IndexError,
                        {"index_add", "index 5 is out of bounds for dimension 0 with size 5"});
  EXPECT_SEEK_ERROR_ALL(x.index_add(0, i64({0, 1}, {2}), zeros({2, 4})), ShapeError, {"index_add", "[2, 4]", "[5, 3]"});
  EXPECT_SEEK_ERROR_ALL(x.index_add(0, i64({0, 1}, {2}), zeros({3, 3})), ShapeError, {"index_add", "2 indices"});
  EXPECT_SEEK_ERROR_ALL(x.index_add(0, i64({0}, {1}), zeros({1, 3}, kFloat64)), DTypeError,
                        {"index_add", "same dtype"});
  EXPECT_SEEK_ERROR_ALL(zeros({2}, kInt64).index_add(0, i64({0}, {1}), zeros({1}, kInt64), 0.5), DTypeError,
                        {"index_add", "alpha"});
  EXPECT_SEEK_ERROR_ALL(x.index_add_(0, i64({9}, {1}), zeros({1, 3})), IndexError,
                        {"index_add_", "index 9 is out of bounds"});
  EXPECT_EQ(to_vector<float>(x), std::vector<float>(15, 0.f));
}

// ---------------- masked_select ----------------

TEST(MaskedSelect, HandDerivedAndBroadcast) {
  Tensor x = tensor<float>({1, 2, 3, 4}, {2, 2});
  Tensor m = tensor<bool>(std::vector<bool>{true, false, false, true}, {2, 2});
  Tensor r = x.masked_select(m);
  EXPECT_EQ(r.sizes(), (Shape{2}));
  EXPECT_EQ(to_vector<float>(r), (std::vector<float>{1, 4}));
  // mask broadcast over rows
  Tensor col = tensor<bool>(std::vector<bool>{true, false}, {2});
  EXPECT_EQ(to_vector<float>(masked_select(x, col)), (std::vector<float>{1, 3}));
  // input broadcast against a larger mask
  Tensor v = tensor<float>({5, 6}, {2});
  EXPECT_EQ(to_vector<float>(masked_select(v, m)), (std::vector<float>{5, 6}));
  EXPECT_EQ(masked_select(x, zeros({2, 2}, kBool)).sizes(), (Shape{0}));
  // strided input
  Tensor xt = x.t();
  EXPECT_EQ(to_vector<float>(xt.masked_select(m)), (std::vector<float>{1, 4}));
  Tensor s = masked_select(scalar_tensor(3.0), scalar_tensor(true, kBool));
  EXPECT_EQ(s.sizes(), (Shape{1}));
}

TEST(MaskedSelect, RandomMatchesNaive) {
  std::mt19937_64 rng(9);
  Tensor x = random_tensor({9, 7}, rng).t();  // [7, 9], strided
  std::bernoulli_distribution coin(0.4);
  std::vector<bool> mv(7 * 9);
  for (size_t i = 0; i < mv.size(); ++i) mv[i] = coin(rng);
  Tensor m = tensor<bool>(mv, {7, 9});
  auto xv = to_vector<double>(x);
  std::vector<double> ref;
  for (size_t i = 0; i < mv.size(); ++i)
    if (mv[i]) ref.push_back(xv[i]);
  Tensor r = x.masked_select(m);
  EXPECT_EQ(r.sizes(), (Shape{static_cast<int64_t>(ref.size())}));
  EXPECT_EQ(to_vector<double>(r), ref);
}

TEST(MaskedSelect, BadInput) {
  Tensor x = zeros({2, 3});
  EXPECT_SEEK_ERROR_ALL(x.masked_select(zeros({2, 3})), DTypeError, {"masked_select", "bool", "float32"});
  EXPECT_SEEK_ERROR_ALL(x.masked_select(zeros({2, 2}, kBool)), ShapeError, {"masked_select", "[2, 3]", "[2, 2]"});
}

// ---------------- embedding / one_hot ----------------

TEST(Embedding, LooksUpRows) {
  Tensor w = tensor<float>({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2});
  Tensor e = embedding(w, i64({0, 2, 3, 3}, {2, 2}));
  EXPECT_EQ(e.sizes(), (Shape{2, 2, 2}));
  EXPECT_EQ(to_vector<float>(e), (std::vector<float>{0, 1, 20, 21, 30, 31, 30, 31}));
  Tensor e32 = embedding(w, tensor<int32_t>({1}));
  EXPECT_EQ(to_vector<float>(e32), (std::vector<float>{10, 11}));
  Tensor e0 = embedding(w, scalar_tensor(2, kInt64));
  EXPECT_EQ(e0.sizes(), (Shape{2}));
  EXPECT_EQ(to_vector<float>(e0), (std::vector<float>{20, 21}));
}

TEST(Embedding, BackwardAccumulatesAndSkipsPadding) {
  Tensor w = zeros({4, 2}, kFloat64).requires_grad_();
  Tensor e = embedding(w, i64({1, 3, 1, 0, 1}, {5}), /*padding_idx=*/3);
  e.backward(ones({5, 2}, kFloat64));
  EXPECT_EQ(to_vector<double>(w.grad()), (std::vector<double>{1, 1, 3, 3, 0, 0, 0, 0}));
  Tensor w2 = zeros({4, 2}, kFloat64).requires_grad_();
  embedding(w2, i64({3, 3}, {2})).backward(ones({2, 2}, kFloat64));
  EXPECT_EQ(to_vector<double>(w2.grad()), (std::vector<double>{0, 0, 0, 0, 0, 0, 2, 2}));
}

TEST(Embedding, BadInput) {
  Tensor w = zeros({4, 2});
  EXPECT_SEEK_ERROR_ALL(embedding(w, i64({1, 4}, {2})), IndexError,
                        {"embedding", "index 4 is out of bounds for dimension 0 with size 4"});
  EXPECT_SEEK_ERROR_ALL(embedding(w, i64({-1}, {1})), IndexError, {"embedding", "index -1 is out of bounds"});
  EXPECT_SEEK_ERROR_ALL(embedding(zeros({4}), i64({0}, {1})), ShapeError, {"embedding", "2-D"});
  EXPECT_SEEK_ERROR_ALL(embedding(w, zeros({1})), DTypeError, {"embedding", "int64 or int32"});
  EXPECT_SEEK_ERROR_ALL(embedding(w, i64({0}, {1}), 4), ValueError, {"embedding", "padding_idx", "got 4"});
}

TEST(OneHot, HandDerived) {
  Tensor r = one_hot(i64({0, 2, 1}, {3}));
  EXPECT_EQ(r.dtype(), kInt64);
  EXPECT_EQ(r.sizes(), (Shape{3, 3}));
  EXPECT_EQ(to_vector<int64_t>(r), (std::vector<int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0}));
  Tensor r2 = one_hot(i64({3, 0}, {2, 1}), 5);
  EXPECT_EQ(r2.sizes(), (Shape{2, 1, 5}));
  EXPECT_EQ(to_vector<int64_t>(r2), (std::vector<int64_t>{0, 0, 0, 1, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(one_hot(zeros({0}, kInt64), 3).sizes(), (Shape{0, 3}));
}

TEST(OneHot, BadInput) {
  EXPECT_SEEK_ERROR_ALL(one_hot(i64({0, -1}, {2})), ValueError, {"one_hot", "non-negative", "-1"});
  EXPECT_SEEK_ERROR_ALL(one_hot(i64({0, 3}, {2}), 3), ValueError, {"one_hot", "smaller than num_classes (3)", "3"});
  EXPECT_SEEK_ERROR_ALL(one_hot(tensor<int32_t>({0})), DTypeError, {"one_hot", "int64", "int32"});
  EXPECT_SEEK_ERROR_ALL(one_hot(zeros({0}, kInt64)), ValueError, {"one_hot", "empty"});
}

// ---------------- autograd ----------------

TEST(IndexAutograd, BackwardFormulas) {
  Tensor x = tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  // index_select with a duplicate: the gradient accumulates
  x.index_select(1, i64({2, 2, 0}, {3})).backward(ones({2, 3}, kFloat64));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{1, 0, 2, 1, 0, 2}));
  // gather: scatter_add of the gradient
  Tensor y = tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  y.gather(1, i64({0, 0, 2, 1}, {2, 2})).backward(tensor<double>({1, 2, 3, 4}, {2, 2}));
  EXPECT_EQ(to_vector<double>(y.grad()), (std::vector<double>{3, 0, 0, 0, 4, 3}));
  // scatter(src): the overwritten positions get no gradient; src gets gather of it
  Tensor a = zeros({2, 3}, kFloat64).requires_grad_();
  Tensor s = tensor<double>({7, 8}, {1, 2}).requires_grad_();
  a.scatter(1, i64({2, 0}, {1, 2}), s).backward(tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{0, 2, 0, 4, 5, 6}));
  EXPECT_EQ(to_vector<double>(s.grad()), (std::vector<double>{3, 1}));
  // index_add: source gets alpha * index_select of the gradient
  Tensor b = zeros({3}, kFloat64).requires_grad_();
  Tensor src = ones({2}, kFloat64).requires_grad_();
  b.index_add(0, i64({2, 0}, {2}), src, 3.0).backward(tensor<double>({1, 2, 3}));
  EXPECT_EQ(to_vector<double>(b.grad()), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(to_vector<double>(src.grad()), (std::vector<double>{9, 3}));
  // masked_select scatters back into zeros
  Tensor c = tensor<double>({1, 2, 3}).requires_grad_();
  c.masked_select(tensor<bool>(std::vector<bool>{true, false, true}, {3})).backward(tensor<double>({5, 6}));
  EXPECT_EQ(to_vector<double>(c.grad()), (std::vector<double>{5, 0, 6}));
}

TEST(IndexAutograd, InPlaceVariantsRecordHistory) {
  Tensor w = tensor<double>({1, 2, 3}).requires_grad_();
  Tensor src = tensor<double>({10, 20}).requires_grad_();
  Tensor y = w * 2.0;  // non-leaf
  y.index_add_(0, i64({0, 0}, {2}), src);
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{32, 4, 6}));
  y.backward(tensor<double>({1, 1, 1}));
  EXPECT_EQ(to_vector<double>(w.grad()), (std::vector<double>{2, 2, 2}));
  EXPECT_EQ(to_vector<double>(src.grad()), (std::vector<double>{1, 1}));
  Tensor leaf = zeros({3}, kFloat64).requires_grad_();
  EXPECT_SEEK_ERROR_ALL(leaf.scatter_(0, i64({0}, {1}), 1.0), AutogradError, {"scatter_", "leaf"});
  // an index modified in place after being saved is caught at backward
  Tensor idx = i64({0, 1}, {2});
  Tensor g = tensor<double>({1, 2, 3}).requires_grad_();
  Tensor out = g.index_select(0, idx);
  idx.fill_(2);
  EXPECT_SEEK_ERROR_ALL(out.backward(ones({2}, kFloat64)), AutogradError, {"modified by an inplace operation"});
}
