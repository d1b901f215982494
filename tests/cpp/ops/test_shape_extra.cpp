// The ops of seek/ops/{shape,linalg,index}_extra.h from C++: hand-derived values, views,
// einsum against matmul, index_put with accumulate, and the error types of bad input.
// Values against PyTorch for every op are in tests/python/test_shape_ops.py.
#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

namespace {

Tensor ar(int64_t n, const Shape& s) { return arange(0, n, 1, TensorOptions(kFloat32)).reshape(s); }
Tensor i64(const std::vector<int64_t>& v, const Shape& s) { return tensor<int64_t>(v, s); }
std::vector<float> vals(const Tensor& t) { return to_vector<float>(t.contiguous()); }

TEST(ShapeExtra, FlipRollRepeatTile) {
  Tensor x = ar(6, {2, 3});
  EXPECT_EQ(vals(x.flip({1})), (std::vector<float>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(vals(x.roll({1}, {1})), (std::vector<float>{2, 0, 1, 5, 3, 4}));
  EXPECT_EQ(vals(x.roll({-2})), (std::vector<float>{2, 3, 4, 5, 0, 1}));
  EXPECT_EQ(x.repeat({2, 2}).sizes(), (Shape{4, 6}));
  EXPECT_EQ(vals(x.repeat({1, 2}).select(0, 0)), (std::vector<float>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(x.tile({2}).sizes(), (Shape{2, 6}));
  EXPECT_EQ(vals(x.repeat_interleave(2, 0).select(1, 0)), (std::vector<float>{0, 0, 3, 3}));
  EXPECT_EQ(to_vector<int64_t>(repeat_interleave(i64({1, 2}, {2}))), (std::vector<int64_t>{0, 1, 1}));
}

TEST(ShapeExtra, TrianglesAndDiagonals) {
  Tensor m = ar(9, {3, 3});
  EXPECT_EQ(vals(m.tril()), (std::vector<float>{0, 0, 0, 3, 4, 0, 6, 7, 8}));
  EXPECT_EQ(vals(m.triu(1)), (std::vector<float>{0, 1, 2, 0, 0, 5, 0, 0, 0}));
  EXPECT_EQ(vals(m.diagonal()), (std::vector<float>{0, 4, 8}));
  EXPECT_EQ(vals(m.diagonal(-1)), (std::vector<float>{3, 7}));
  EXPECT_TRUE(m.diagonal().storage() == m.storage());  // a view
  EXPECT_EQ(vals(diag(tensor<float>({1, 2}), 1)), (std::vector<float>{0, 1, 0, 0, 0, 2, 0, 0, 0}));
  EXPECT_EQ(diag_embed(ar(6, {2, 3})).sizes(), (Shape{2, 3, 3}));
}

TEST(ShapeExtra, UnfoldIsAWindowView) {
  Tensor v = ar(7, {7});
  Tensor w = v.unfold(0, 3, 2);
  EXPECT_EQ(w.sizes(), (Shape{3, 3}));
  EXPECT_EQ(vals(w), (std::vector<float>{0, 1, 2, 2, 3, 4, 4, 5, 6}));
  EXPECT_TRUE(w.storage() == v.storage());
  // overlapping windows: the gradient adds up where windows meet
  Tensor x = ar(5, {5}).requires_grad_();
  x.unfold(0, 2, 1).sum().backward();
  EXPECT_EQ(vals(x.grad()), (std::vector<float>{1, 2, 2, 2, 1}));
}

TEST(ShapeExtra, MeshgridRot90Movedim) {
  auto g = meshgrid({ar(3, {3}), ar(2, {2})}, "xy");
  EXPECT_EQ(g[0].sizes(), (Shape{2, 3}));
  EXPECT_EQ(vals(g[0].select(0, 1)), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(vals(ar(4, {2, 2}).rot90()), (std::vector<float>{1, 3, 0, 2}));
  EXPECT_EQ(ar(24, {2, 3, 4}).movedim({0, 1}, {2, 0}).sizes(), (Shape{3, 4, 2}));
  auto parts = tensor_split(ar(7, {7}), 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].numel(), 3);
  EXPECT_EQ(parts[2].numel(), 2);
}

TEST(LinalgExtra, EinsumMatchesMatmul) {
  Tensor a = ar(24, {2, 3, 4}), b = ar(40, {2, 4, 5});
  EXPECT_TRUE(allclose(einsum("bij,bjk->bik", {a, b}), matmul(a, b)));
  EXPECT_TRUE(allclose(einsum("...ij,...jk", {a, b}), matmul(a, b)));
  Tensor m = ar(9, {3, 3});
  EXPECT_FLOAT_EQ(einsum("ii", {m}).item<float>(), 12.f);
  EXPECT_EQ(vals(einsum("ii->i", {m})), (std::vector<float>{0, 4, 8}));
  EXPECT_TRUE(allclose(einsum("ij->ji", {m}), m.t()));
  EXPECT_TRUE(allclose(baddbmm(ones({2, 3, 5}), a, b, 2, 0.5), ones({2, 3, 5}) * 2.0 + matmul(a, b) * 0.5));
  EXPECT_TRUE(allclose(tensordot(a, b.select(0, 0), 1), matmul(a, b.select(0, 0))));
  EXPECT_EQ(vals(kron(tensor<float>({1, 2}), tensor<float>({1, 10}))), (std::vector<float>{1, 10, 2, 20}));
}

TEST(IndexExtra, NonzeroAndScatterReduce) {
  Tensor z = tensor<float>({0, 1, 0, 2, 0, 3}, {2, 3});
  EXPECT_EQ(to_vector<int64_t>(z.nonzero()), (std::vector<int64_t>{0, 1, 1, 0, 1, 2}));
  EXPECT_EQ(nonzero_as_tuple(z).size(), 2u);
  Tensor self = tensor<float>({1, 1, 1});
  Tensor idx = i64({0, 0, 2}, {3});
  Tensor src = tensor<float>({2, 3, 4});
  EXPECT_EQ(vals(scatter_reduce(self, 0, idx, src, "sum")), (std::vector<float>{6, 1, 5}));
  EXPECT_EQ(vals(scatter_reduce(self, 0, idx, src, "prod", false)), (std::vector<float>{6, 1, 4}));
  EXPECT_EQ(vals(scatter_reduce(self, 0, idx, src, "mean")), (std::vector<float>{2, 1, 2.5}));
  EXPECT_EQ(vals(scatter_reduce(self, 0, idx, src, "amax", false)), (std::vector<float>{3, 1, 4}));
  EXPECT_EQ(vals(scatter_reduce(self, 0, idx, src, "amin")), (std::vector<float>{1, 1, 1}));
}

TEST(IndexExtra, IndexPutAccumulateSumsDuplicates) {
  Tensor t = zeros({3});
  t.index_put_({i64({0, 0, 2, 0}, {4})}, tensor<float>({1, 2, 3, 4}), true);
  EXPECT_EQ(vals(t), (std::vector<float>{7, 0, 3}));
  t.index_put_({i64({1, 1}, {2})}, 5.0, true);
  EXPECT_EQ(vals(t), (std::vector<float>{7, 10, 3}));
  t.index_put_({i64({2}, {1})}, 1.0);  // assignment is unchanged
  EXPECT_EQ(vals(t), (std::vector<float>{7, 10, 1}));
}

TEST(IndexExtra, TakeAlongDimIndexFillMaskedScatter) {
  Tensor m = ar(6, {2, 3});
  EXPECT_EQ(vals(take_along_dim(m, i64({2, 0}, {1, 2}), 1)), (std::vector<float>{2, 0, 5, 3}));
  EXPECT_EQ(vals(m.index_fill(1, i64({-1}, {1}), -1)), (std::vector<float>{0, 1, -1, 3, 4, -1}));
  Tensor mask = tensor<bool>({true, false, true}, {3});
  EXPECT_EQ(vals(m.masked_scatter(mask, tensor<float>({9, 8, 7, 6}))), (std::vector<float>{9, 1, 8, 7, 4, 6}));
}

TEST(ShapeExtraErrors, BadInputThrowsTypedErrors) {
  Tensor m = ones({3, 3});
  EXPECT_THROW(einsum("ij,jk->ik", {m, ones({2, 2})}), ShapeError);
  EXPECT_THROW(einsum("ij->i", {m, m}), ValueError);
  EXPECT_THROW(einsum("i$->i", {m}), ValueError);
  EXPECT_THROW(scatter_reduce(m, 0, i64({0}, {1, 1}), m, "max"), ValueError);
  EXPECT_THROW(scatter_reduce(m, 0, i64({3}, {1, 1}), m, "sum"), IndexError);
  EXPECT_THROW(m.diagonal(0, 0, -2), ValueError);
  EXPECT_THROW(m.unfold(0, 4, 1), ValueError);
  EXPECT_THROW(ones({3}).tril(), ShapeError);
  EXPECT_THROW(m.rot90(1, {0, 0}), ValueError);
  EXPECT_THROW(m.index_fill(0, i64({3}, {1}), 0), IndexError);
  EXPECT_THROW(m.masked_scatter(m.gt(0), ones({2})), ShapeError);
  EXPECT_THROW(tensordot(m, ones({2, 3}), {0}, {0}), ShapeError);
  EXPECT_THROW(meshgrid({m}), ShapeError);
}

}  // namespace
