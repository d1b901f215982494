// Op cases of indexing: gather, scatter (assign with distinct targets, add with duplicates,
// reduce), index_select, index_add, index_fill, take_along_dim, masked_select/scatter, advanced
// indexing and index_put, tril/triu, repeat_interleave, one_hot. Random indices are int64
// inputs (placed on the device like any input); indices that must be distinct are built in
// the case on the input's device.
#include "backend/op_case.h"

namespace seek::backend_test {

namespace {
const auto T = Layout::Transposed;
const auto S = Layout::Stepped;

Tensor i64_on(const Tensor& like, const std::vector<int64_t>& v, const Shape& s) {
  return tensor<int64_t>(v, s).to(like.device());
}
}  // namespace

std::vector<OpCase> index_cases() {
  std::vector<OpCase> cases;
  auto add = [&](OpCase c) { cases.push_back(std::move(c)); };
  add({"gather", {in({7, 5}, T), ints({7, 9}, 0, 4)}, one([](const Tensors& x) { return x[0].gather(1, x[1]); })});
  add({"gather_dim0", {in({5, 7}, S), ints({3, 7}, 0, 4)}, one([](const Tensors& x) {
         return gather(x[0], 0, x[1]);
       })});
  add({"take_along_dim", {in({5, 7}, T), ints({5, 3}, 0, 6)}, one([](const Tensors& x) {
         return take_along_dim(x[0], x[1], 1);
       })});
  // Assigning scatter with one source per target (the overwritten ones have no gradient).
  add({"scatter_src", {in({3, 5}, T), in({2, 5}, S)}, one([](const Tensors& x) {
         return x[0].scatter(0, i64_on(x[0], {0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, {2, 5}), x[1]);
       })});
  add({"scatter_value", {in({5, 7}, S)}, one([](const Tensors& x) {
         return x[0].scatter(1, i64_on(x[0], {1, 6, 0, 3, 3}, {5, 1}), 2.5);
       })});
  add({"scatter_add_duplicates", {in({3, 7}, T), in({5, 7}), ints({5, 7}, 0, 2)}, one([](const Tensors& x) {
         return x[0].scatter_add(0, x[2], x[1]);
       })});
  add({"scatter_reduce_sum_mean", {in({3, 7}, S), in({5, 7}, T), ints({5, 7}, 0, 2)}, one([](const Tensors& x) {
         return scatter_reduce(x[0], 0, x[2], x[1], "sum") + scatter_reduce(x[0], 0, x[2], x[1], "mean", false);
       })});
  add({"index_select", {in({7, 5}, S), ints({9}, 0, 6)}, one([](const Tensors& x) {
         return x[0].index_select(0, x[1]);
       })});
  add({"index_select_dim1", {in({3, 7, 5}, T), ints({4}, 0, 6)}, one([](const Tensors& x) {
         return index_select(x[0], 1, x[1]);
       })});
  add({"index_add", {in({5, 7}, T), in({9, 7}, S), ints({9}, 0, 4)}, one([](const Tensors& x) {
         return x[0].index_add(0, x[2], x[1], -1.5);
       })});
  add({"index_fill", {in({5, 7}, S)}, one([](const Tensors& x) {
         return index_fill(x[0], 1, i64_on(x[0], {0, 4, 6}, {3}), -0.5);
       })});
  add({"masked_select", {in({5, 7}, T), bools({7})}, one([](const Tensors& x) { return x[0].masked_select(x[1]); })});
  add({"masked_scatter", {in({5, 7}, S), bools({5, 7}), in({40})}, one([](const Tensors& x) {
         return masked_scatter(x[0], x[1], x[2]);
       })});
  add({"index_advanced", {in({4, 3, 5}, T), ints({3}, 0, 3), ints({3}, 0, 4)}, one([](const Tensors& x) {
         return x[0].index({x[1], Slice(), x[2]});  // duplicates, non-adjacent
       })});
  add({"index_mask", {in({3, 4, 5}, S), bools({3, 4})}, one([](const Tensors& x) {
         return x[0].index({x[1], Slice(1, None, 2)});
       })});
  add({"index_put", {in({7, 5}, T), in({3, 5})}, one([](const Tensors& x) {
         Tensor y = x[0] * 1.0;
         y.index_put_({i64_on(x[0], {6, 1, 3}, {3})}, x[1]);
         return y;
       })});
  add({"index_put_accumulate", {in({7, 5}, S), in({4, 5}), ints({4}, 0, 6)}, one([](const Tensors& x) {
         Tensor y = x[0] * 1.0;
         y.index_put_({x[2]}, x[1], /*accumulate=*/true);
         return y;
       })});
  add({"tril_triu", {in({5, 7}, T)}, one([](const Tensors& x) { return tril(x[0], 1) + triu(x[0], -1) * 2.0; })});
  add({"repeat_interleave", {in({5, 3}, S)}, one([](const Tensors& x) {
         return x[0].repeat_interleave(i64_on(x[0], {1, 0, 3, 2, 1}, {5}), 0);
       })});
  OpCase hot{"one_hot", {ints({7}, 0, 4)}, one([](const Tensors& x) { return one_hot(x[0], 6); })};
  hot.backward = false;
  hot.dtypes = {kFloat32};  // the index input decides; run once
  add(hot);
  return cases;
}

}  // namespace seek::backend_test
