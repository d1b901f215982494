// Python-style indexing: Tensor::index (views for basic entries, NumPy-style
// advanced indexing for index tensors and masks) and Tensor::index_put_.
// Expected shapes are what NumPy / PyTorch give for the same expression
// (written next to each case in Python syntax).
#include <gtest/gtest.h>

#include <random>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

Tensor i64(const std::vector<int64_t>& v, const Shape& s) { return tensor<int64_t>(v, s); }
Tensor mask(const std::vector<bool>& v, const Shape& s) { return tensor<bool>(v, s); }

// 0, 1, 2, ... as float64 of the given shape.
Tensor iota(const Shape& s) {
  std::vector<double> v(shape_numel(s));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return tensor<double>(v, s);
}

bool shares_storage(const Tensor& a, const Tensor& b) { return a.storage() == b.storage(); }

}  // namespace

// ---------------- basic indexing: views ----------------

TEST(Indexing, BasicEntriesGiveViews) {
  Tensor t = iota({2, 3, 4, 5});
  Tensor a = t.index({1});  // t[1] -> (3, 4, 5)
  EXPECT_EQ(a.sizes(), (Shape{3, 4, 5}));
  EXPECT_TRUE(shares_storage(a, t));
  EXPECT_EQ(to_vector<double>(a)[0], 60);
  // t[0, None, ..., 1::2] -> (1, 3, 4, 2)
  Tensor b = t.index({0, None, Ellipsis, Slice(1, None, 2)});
  EXPECT_EQ(b.sizes(), (Shape{1, 3, 4, 2}));
  EXPECT_TRUE(shares_storage(b, t));
  EXPECT_EQ(to_vector<double>(b.index({0, 2, 3})), (std::vector<double>{56, 58}));  // t[0, 2, 3, 1::2]
  // t[..., -1] -> (2, 3, 4); t[:, 1:-1] -> (2, 1, 4, 5); t[None, ..., None] -> (1, 2, 3, 4, 5, 1)
  EXPECT_EQ(t.index({Ellipsis, -1}).sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(to_vector<double>(t.index({Ellipsis, -1}))[1], 9);
  EXPECT_EQ(t.index({Slice(), Slice(1, -1)}).sizes(), (Shape{2, 1, 4, 5}));
  EXPECT_EQ(t.index({None, Ellipsis, None}).sizes(), (Shape{1, 2, 3, 4, 5, 1}));
  // t[1, ..., 2, :] -> (3, 5): the ellipsis covers one dim here
  Tensor c = t.index({1, Ellipsis, 2, Slice()});
  EXPECT_EQ(c.sizes(), (Shape{3, 5}));
  EXPECT_EQ(to_vector<double>(c)[0], 70);
  // writing through a view changes t
  NoGradGuard g;
  t.index({0, 0}).fill_(-1);
  EXPECT_EQ(to_vector<double>(t)[19], -1);
  EXPECT_EQ(to_vector<double>(t)[20], 20);
  // an empty index list returns t itself
  EXPECT_TRUE(t.index({}).is_same(t));
}

TEST(Indexing, BoolEntriesAddADim) {
  Tensor t = iota({2, 3});
  Tensor yes = t.index({true});  // t[True] -> (1, 2, 3)
  EXPECT_EQ(yes.sizes(), (Shape{1, 2, 3}));
  EXPECT_EQ(to_vector<double>(yes), to_vector<double>(t));
  EXPECT_EQ(t.index({false}).sizes(), (Shape{0, 2, 3}));          // t[False] -> (0, 2, 3)
  EXPECT_EQ(t.index({Slice(), true}).sizes(), (Shape{2, 1, 3}));  // t[:, True] -> (2, 1, 3)
  // t[True, [0, 1]]: the bool's [0] broadcasts with [0, 1] -> (2, 3)
  EXPECT_EQ(t.index({true, i64({0, 1}, {2})}).sizes(), (Shape{2, 3}));
  // a 0-dim bool tensor acts like a bool
  EXPECT_EQ(t.index({scalar_tensor(true, kBool)}).sizes(), (Shape{1, 2, 3}));
}

// ---------------- advanced indexing ----------------

TEST(Indexing, SingleIndexTensor) {
  Tensor t = iota({3, 4});
  Tensor idx = i64({2, 0, 2}, {3});
  Tensor r = t.index({idx});  // t[[2, 0, 2]] -> (3, 4)
  EXPECT_EQ(r.sizes(), (Shape{3, 4}));
  EXPECT_EQ(to_vector<double>(r), (std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_FALSE(shares_storage(r, t));
  // t[:, idx] -> (3, 3) with columns 2, 0, 2
  Tensor c = t.index({Slice(), idx});
  EXPECT_EQ(c.sizes(), (Shape{3, 3}));
  EXPECT_EQ(to_vector<double>(c), (std::vector<double>{2, 0, 2, 6, 4, 6, 10, 8, 10}));
  // a 2-D index replaces the dim: t[:, [[0, 1], [3, -1]]] -> (3, 2, 2)
  Tensor d = t.index({Slice(), i64({0, 1, 3, -1}, {2, 2})});
  EXPECT_EQ(d.sizes(), (Shape{3, 2, 2}));
  EXPECT_EQ(to_vector<double>(d.index({1})), (std::vector<double>{4, 5, 7, 7}));
  // int32 index and a 0-dim index tensor (t[tensor(1)] -> (4,))
  EXPECT_EQ(to_vector<double>(t.index({tensor<int32_t>({-1})})), (std::vector<double>{8, 9, 10, 11}));
  Tensor z = t.index({scalar_tensor(1, kInt64)});
  EXPECT_EQ(z.sizes(), (Shape{4}));
  EXPECT_EQ(to_vector<double>(z), (std::vector<double>{4, 5, 6, 7}));
}

TEST(Indexing, SeveralIndexTensorsBroadcast) {
  Tensor t = iota({3, 4});
  // t[[0, 2, 1], [3, 0, -1]] -> (3,): t[0,3], t[2,0], t[1,3]
  Tensor r = t.index({i64({0, 2, 1}, {3}), i64({3, 0, -1}, {3})});
  EXPECT_EQ(r.sizes(), (Shape{3}));
  EXPECT_EQ(to_vector<double>(r), (std::vector<double>{3, 8, 7}));
  // t[[[0], [2]], [1, 2, 3]] -> (2, 3)
  Tensor b = t.index({i64({0, 2}, {2, 1}), i64({1, 2, 3}, {3})});
  EXPECT_EQ(b.sizes(), (Shape{2, 3}));
  EXPECT_EQ(to_vector<double>(b), (std::vector<double>{1, 2, 3, 9, 10, 11}));
  // a broadcast 0-dim index: t[1, [0, 3]] (the integer selects first) and t[tensor(1), [0, 3]]
  EXPECT_EQ(to_vector<double>(t.index({1, i64({0, 3}, {2})})), (std::vector<double>{4, 7}));
  EXPECT_EQ(to_vector<double>(t.index({scalar_tensor(1, kInt64), i64({0, 3}, {2})})), (std::vector<double>{4, 7}));
}

TEST(Indexing, AdjacentIndicesStayInPlaceOthersGoFirst) {
  Tensor t = iota({2, 3, 4, 5});
  Tensor i6 = i64({0, 1, 2, 0, 1, 2}, {6});
  Tensor j6 = i64({0, 1, 2, 3, 0, 1}, {6});
  // t[:, i, j] -> (2, 6, 5): adjacent, the index dims take their place
  Tensor a = t.index({Slice(), i6, j6});
  EXPECT_EQ(a.sizes(), (Shape{2, 6, 5}));
  EXPECT_EQ(to_vector<double>(a.index({1, 3})), to_vector<double>(t.index({1, 0, 3})));
  // t[i, :, j] -> (6, 3, 5): separated by a slice, the index dims go first
  Tensor k6 = i64({0, 1, 1, 0, 1, 0}, {6});
  Tensor b = t.index({k6, Slice(), j6});
  EXPECT_EQ(b.sizes(), (Shape{6, 3, 5}));
  for (int64_t n = 0; n < 6; ++n) {
    int64_t i = to_vector<int64_t>(k6)[n], j = to_vector<int64_t>(j6)[n];
    EXPECT_EQ(to_vector<double>(b.index({n})), to_vector<double>(t.index({i, Slice(), j}))) << n;
  }
  // t[..., i, :, j] with 2-D broadcast indices -> (2, 2, 3, 3): dims 1 and 3 are apart
  Tensor bi = i64({0, 2}, {2, 1}), bj = i64({4, 0, 1}, {1, 3});
  Tensor c = t.index({Ellipsis, bi, Slice(), bj});
  EXPECT_EQ(c.sizes(), (Shape{2, 3, 2, 4}));
  EXPECT_EQ(to_vector<double>(c.index({1, 2, 0})), to_vector<double>(t.index({0, 2, Slice(), 1})));
  // t[0, :, [1, 2], [3, 4]] -> (3, 2) in PyTorch: the integer selects first, so the
  // remaining index dims (1 and 2 of t[0]) are adjacent
  Tensor d = t.index({0, Slice(), i64({1, 2}, {2}), i64({3, 4}, {2})});
  EXPECT_EQ(d.sizes(), (Shape{3, 2}));
  EXPECT_EQ(to_vector<double>(d.index({Slice(), 1})), to_vector<double>(t.index({0, Slice(), 2, 4})));
}

TEST(Indexing, Masks) {
  Tensor t = iota({2, 3});
  Tensor m = mask({true, false, true, false, true, true}, {2, 3});
  Tensor r = t.index({m});  // t[m] -> (4,)
  EXPECT_EQ(r.sizes(), (Shape{4}));
  EXPECT_EQ(to_vector<double>(r), (std::vector<double>{0, 2, 4, 5}));
  // a mask over the first dim keeps the rest: t[[False, True]] -> (1, 3)
  Tensor rows = t.index({mask({false, true}, {2})});
  EXPECT_EQ(rows.sizes(), (Shape{1, 3}));
  EXPECT_EQ(to_vector<double>(rows), (std::vector<double>{3, 4, 5}));
  // t[:, [True, False, True]] -> (2, 2)
  Tensor cols = t.index({Slice(), mask({true, false, true}, {3})});
  EXPECT_EQ(to_vector<double>(cols), (std::vector<double>{0, 2, 3, 5}));
  // a mask combined with an index tensor: u[m, [0, 3, 1, 2]] -> (4,)
  Tensor u = iota({2, 3, 4});
  Tensor mi = u.index({m, i64({0, 3, 1, 2}, {4})});
  EXPECT_EQ(mi.sizes(), (Shape{4}));
  EXPECT_EQ(to_vector<double>(mi), (std::vector<double>{0, 11, 17, 22}));
  // uint8 masks select like bool ones; a strided mask works too
  EXPECT_EQ(to_vector<double>(t.index({m.to(kUInt8)})), (std::vector<double>{0, 2, 4, 5}));
  Tensor mt = mask({true, false, false, true, true, true}, {3, 2}).t();  // [[T, F, T], [F, T, T]]
  EXPECT_EQ(to_vector<double>(t.index({mt})), (std::vector<double>{0, 2, 4, 5}));
  EXPECT_EQ(t.index({zeros({2, 3}, kBool)}).sizes(), (Shape{0}));
}

TEST(Indexing, RandomAgainstNaiveOnStridedInput) {
  std::mt19937_64 rng(11);
  Tensor base = iota({6, 5, 4});
  Tensor t = base.permute({1, 2, 0});  // [5, 4, 6], non-contiguous
  std::uniform_int_distribution<int64_t> u0(-5, 4), u2(-6, 5);
  std::vector<int64_t> a(12), c(12);
  for (auto& v : a) v = u0(rng);
  for (auto& v : c) v = u2(rng);
  // t[a, 1:3, c] with a, c of shape (3, 4) -> (3, 4, 2)
  Tensor r = t.index({i64(a, {3, 4}), Slice(1, 3), i64(c, {3, 4})});
  ASSERT_EQ(r.sizes(), (Shape{3, 4, 2}));
  auto rv = to_vector<double>(r);
  for (int64_t n = 0; n < 12; ++n) {
    for (int64_t j = 0; j < 2; ++j) {
      int64_t i0 = a[n] < 0 ? a[n] + 5 : a[n], i2 = c[n] < 0 ? c[n] + 6 : c[n];
      double expect = base.index({i2, i0, j + 1}).item<double>();  // t[i0, j+1, i2] = base[i2, i0, j+1]
      EXPECT_EQ(rv[n * 2 + j], expect) << n << " " << j;
    }
  }
}

TEST(Indexing, ZeroDimAndEmpty) {
  Tensor s = scalar_tensor(4.0, kFloat64);
  EXPECT_EQ(s.index({None}).sizes(), (Shape{1}));
  EXPECT_EQ(s.index({Ellipsis}).dim(), 0);
  EXPECT_EQ(s.index({scalar_tensor(true, kBool)}).sizes(), (Shape{1}));
  Tensor t = iota({3, 2});
  EXPECT_EQ(t.index({zeros({0}, kInt64)}).sizes(), (Shape{0, 2}));
  EXPECT_EQ(t.index({zeros({0}, kInt64), zeros({0}, kInt64)}).sizes(), (Shape{0}));
}

// ---------------- index_put_ ----------------

TEST(IndexPut, BasicEntriesWriteThroughViews) {
  Tensor t = zeros({3, 4});
  t.index_put_({0}, 5.0);                                                            // t[0] = 5
  t.index_put_({Slice(1, None), Slice(None, None, 2)}, tensor<float>({1, 2}, {2}));  // t[1:, ::2] = [1, 2]
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{5, 5, 5, 5, 1, 0, 2, 0, 1, 0, 2, 0}));
  t.index_put_({Ellipsis, -1}, tensor<double>({7, 8, 9}));  // cast float64 -> float32
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{5, 5, 5, 7, 1, 0, 2, 8, 1, 0, 2, 9}));
}

TEST(IndexPut, AdvancedWrites) {
  Tensor t = zeros({3, 4});
  t.index_put_({i64({2, 0}, {2})}, tensor<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}));  // t[[2, 0]] = ...
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{5, 6, 7, 8, 0, 0, 0, 0, 1, 2, 3, 4}));
  t.index_put_({i64({1, -1}, {2}), i64({0, -1}, {2})}, 9.0);  // t[[1, -1], [0, -1]] = 9
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{5, 6, 7, 8, 9, 0, 0, 0, 1, 2, 3, 9}));
  t.index_put_({Slice(), i64({1}, {1})}, tensor<float>({-1, -2, -3}, {3, 1}));  // t[:, [1]] = [[-1], [-2], [-3]]
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{5, -1, 7, 8, 9, -2, 0, 0, 1, -3, 3, 9}));
  t.index_put_({t < 0}, 0.5);  // t[t < 0] = 0.5
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{5, .5, 7, 8, 9, .5, 0, 0, 1, .5, 3, 9}));
  // duplicates: the last write wins on the CPU
  Tensor d = zeros({3});
  d.index_put_({i64({1, 1, 1}, {3})}, tensor<float>({1, 2, 3}));
  EXPECT_EQ(to_vector<float>(d), (std::vector<float>{0, 3, 0}));
}

TEST(IndexPut, NonAdjacentAndNonMergeableTargets) {
  auto total = [](const Tensor& x) {
    double s = 0;
    for (double v : to_vector<double>(x)) s += v;
    return s;
  };
  Tensor t = zeros({2, 3, 4}, kFloat64);
  // t[[0, 1], :, [3, 0]] = value of shape (2, 3): the index dim comes first
  t.index_put_({i64({0, 1}, {2}), Slice(), i64({3, 0}, {2})}, iota({2, 3}) + 1);
  EXPECT_EQ(to_vector<double>(t.index({0, Slice(), 3})), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(to_vector<double>(t.index({1, Slice(), 0})), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(total(t), 21);
  // a transposed target whose indexed dims cannot be flattened in place
  Tensor base = zeros({4, 3}, kFloat64);
  Tensor v = base.t();  // [3, 4], strides (1, 3)
  uint64_t version = base.version();
  v.index_put_({i64({0, 2}, {2}), i64({1, 3}, {2})}, tensor<double>({10, 20}));  // v[[0, 2], [1, 3]] = [10, 20]
  EXPECT_EQ(base.index({1, 0}).item<double>(), 10);
  EXPECT_EQ(base.index({3, 2}).item<double>(), 20);
  EXPECT_EQ(total(base), 30);
  EXPECT_GT(base.version(), version);
  // the value is the target itself: it is read before anything is written
  Tensor w = iota({4});
  w.index_put_({i64({3, 2, 1, 0}, {4})}, w);
  EXPECT_EQ(to_vector<double>(w), (std::vector<double>{3, 2, 1, 0}));
}

TEST(IndexPut, RandomAgainstNaiveWithDuplicates) {
  std::mt19937_64 rng(12);
  std::uniform_int_distribution<int64_t> u0(-5, 4), u1(-6, 5);
  std::uniform_real_distribution<double> uv(-1, 1);
  Tensor t = iota({5, 6});
  std::vector<double> ref = to_vector<double>(t);
  std::vector<int64_t> a(20), b(20);
  std::vector<double> v(20);
  for (int n = 0; n < 20; ++n) {
    a[n] = u0(rng);
    b[n] = u1(rng);
    v[n] = uv(rng);
    ref[(a[n] + 5) % 5 * 6 + (b[n] + 6) % 6] = v[n];  // in order: the last write wins
  }
  t.index_put_({i64(a, {4, 5}), i64(b, {4, 5})}, tensor<double>(v, {4, 5}));
  EXPECT_EQ(to_vector<double>(t), ref);
}

TEST(Indexing, MixingDevicesIsAnError) {
  int64_t buf[1] = {0};
  Tensor fake = from_blob(buf, {1}, {}, kInt64, {}, kCUDA);
  Tensor t = zeros({2, 2});
  EXPECT_SEEK_ERROR_ALL(t.index({fake}), DeviceError, {"index", "same device"});
  EXPECT_SEEK_ERROR_ALL(t.index_put_({Slice(), fake}, 1.0), DeviceError, {"index_put_", "same device"});
  EXPECT_EQ(to_vector<float>(t), std::vector<float>(4, 0.f));
}

TEST(IndexPut, BroadcastValueAndMaskWrite) {
  Tensor t = zeros({2, 3, 2}, kFloat64);
  // t[m] = [1, 2] with m over the first two dims -> indexed shape (K, 2)
  Tensor m = mask({false, true, false, true, false, true}, {2, 3});
  t.index_put_({m}, tensor<double>({1, 2}));
  EXPECT_EQ(to_vector<double>(t), (std::vector<double>{0, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2}));
  Tensor big = zeros({4, 5}, kInt32);
  big.index_put_({Slice(1, 3), i64({4, 0}, {2})}, tensor<int32_t>({7, 8}));  // big[1:3, [4, 0]] = [7, 8]
  EXPECT_EQ(to_vector<int32_t>(big.index({1})), (std::vector<int32_t>{8, 0, 0, 0, 7}));
  EXPECT_EQ(to_vector<int32_t>(big.index({2})), (std::vector<int32_t>{8, 0, 0, 0, 7}));
  EXPECT_EQ(to_vector<int32_t>(big.index({0})), (std::vector<int32_t>(5, 0)));
}

// ---------------- bad input ----------------

TEST(Indexing, BadInput) {
  Tensor t = zeros({3, 4});
  EXPECT_SEEK_ERROR_ALL(t.index({i64({0, 5}, {2})}), IndexError,
                        {"index", "index 5 is out of bounds for dimension 0 with size 3"});
  EXPECT_SEEK_ERROR_ALL(t.index({Slice(), i64({-5}, {1})}), IndexError,
                        {"index", "index -5 is out of bounds for dimension 1 with size 4"});
  // with two index tensors each one is checked against its own dim
  EXPECT_SEEK_ERROR_ALL(t.index({i64({0}, {1}), i64({4}, {1})}), IndexError,
                        {"index", "index 4 is out of bounds for dimension 1 with size 4"});
  EXPECT_SEEK_ERROR_ALL(t.index({7}), IndexError, {"index", "index 7 is out of bounds for dimension 0 with size 3"});
  EXPECT_SEEK_ERROR_ALL(t.index({0, 1, 2}), IndexError, {"index", "too many indices", "dimension 2"});
  EXPECT_SEEK_ERROR_ALL(t.index({Ellipsis, 0, Ellipsis}), IndexError, {"index", "single ellipsis"});
  EXPECT_SEEK_ERROR_ALL(t.index({Slice(0, 3, 0)}), ValueError, {"index", "step", "zero"});
  EXPECT_SEEK_ERROR_ALL(t.index({zeros({2})}), DTypeError, {"index", "int64, int32, bool or uint8", "float32"});
  EXPECT_SEEK_ERROR_ALL(t.index({mask({true, false}, {2})}), IndexError,
                        {"index", "shape of the mask [2]", "[3, 4]", "index 0"});
  EXPECT_SEEK_ERROR_ALL(t.index({Slice(), zeros({3}, kBool)}), IndexError,
                        {"index", "shape of the mask [3]", "at index 1"});
  EXPECT_SEEK_ERROR_ALL(t.index({i64({0, 1}, {2}), i64({0, 1, 2}, {3})}), IndexError,
                        {"index", "could not be broadcast", "[2], [3]"});
  EXPECT_SEEK_ERROR_ALL(t.index_put_({Slice(), i64({4}, {1})}, 1.0), IndexError,
                        {"index_put_", "index 4 is out of bounds for dimension 1 with size 4"});
  EXPECT_SEEK_ERROR_ALL(t.index_put_({i64({1}, {1}), i64({-5}, {1})}, 1.0), IndexError,
                        {"index_put_", "index -5 is out of bounds for dimension 1 with size 4"});
  EXPECT_SEEK_ERROR_ALL(t.index_put_({i64({0, 1}, {2})}, zeros({3})), ShapeError,
                        {"index_put_", "value tensor of shape [3]", "[2, 4]"});
  EXPECT_SEEK_ERROR_ALL(t.index_put_({0}, zeros({5})), ShapeError, {"index_put_", "[5]", "[4]"});
  EXPECT_SEEK_ERROR_ALL(zeros({3}, kInt64).index_put_({0}, scalar_tensor(0.5)), DTypeError,
                        {"index_put_", "float32", "int64"});
  Tensor expanded = zeros({1, 4}).expand({3, 4});
  EXPECT_SEEK_ERROR_ALL(expanded.index_put_({0}, 1.0), Error, {"index_put_", "expanded view"});
  EXPECT_EQ(to_vector<float>(t), std::vector<float>(12, 0.f));  // failed writes left t alone
}

// ---------------- autograd ----------------

TEST(IndexingAutograd, ReadAccumulatesDuplicates) {
  Tensor x = iota({3, 2}).requires_grad_();
  Tensor y = x.index({i64({0, 0, 2}, {3})});  // rows 0, 0, 2
  y.backward(tensor<double>({1, 2, 3, 4, 5, 6}, {3, 2}));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{4, 6, 0, 0, 5, 6}));
  Tensor z = iota({3, 2}).requires_grad_();
  z.index({i64({1, 1}, {2}), i64({0, 0}, {2})}).backward(ones({2}, kFloat64));  // z[[1, 1], [0, 0]]
  EXPECT_EQ(to_vector<double>(z.grad()), (std::vector<double>{0, 0, 2, 0, 0, 0}));
  Tensor w = iota({2, 2}).requires_grad_();
  w.index({mask({true, false, false, true}, {2, 2})}).backward(tensor<double>({3, 4}));
  EXPECT_EQ(to_vector<double>(w.grad()), (std::vector<double>{3, 0, 0, 4}));
  // basic indexing stays differentiable (a view)
  Tensor v = iota({2, 3}).requires_grad_();
  v.index({1, Slice(None, None, 2)}).backward(tensor<double>({5, 6}));
  EXPECT_EQ(to_vector<double>(v.grad()), (std::vector<double>{0, 0, 0, 5, 0, 6}));
}

TEST(IndexingAutograd, IndexPutRecordsInPlace) {
  Tensor x = iota({3, 2}).requires_grad_();
  Tensor val = tensor<double>({10, 20}, {1, 2}).requires_grad_();
  Tensor y = x * 2.0;                     // non-leaf
  y.index_put_({i64({2, 0}, {2})}, val);  // y[[2, 0]] = val (broadcast to (2, 2))
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{10, 20, 4, 6, 10, 20}));
  y.backward(tensor<double>({1, 2, 3, 4, 5, 6}, {3, 2}));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0, 0, 6, 8, 0, 0}));
  EXPECT_EQ(to_vector<double>(val.grad()), (std::vector<double>{6, 8}));
  // scalar writes cut the gradient at the written positions
  Tensor a = iota({4}).requires_grad_();
  Tensor b = a * 1.0;
  b.index_put_({i64({1, 3}, {2})}, 0.0);
  b.backward(ones({4}, kFloat64));
  EXPECT_EQ(to_vector<double>(a.grad()), (std::vector<double>{1, 0, 1, 0}));
  Tensor leaf = zeros({2}, kFloat64).requires_grad_();
  EXPECT_SEEK_ERROR_ALL(leaf.index_put_({0}, 1.0), AutogradError, {"index_put_", "leaf"});
}
