// Op cases of the layer-sized ops: matmul and its relatives, linear, conv (1-D, 2-D with
// stride/padding/dilation/groups, transposed), pooling (max with indices, avg, adaptive),
// batch/layer/group norm, embedding and dropout in eval mode. Odd sizes throughout; inputs
// and weights in transposed or stepped layouts; sums compare with a relative floor.
#include "backend/op_case.h"
#include "seek/nn.h"

namespace seek::backend_test {

namespace {
const auto T = Layout::Transposed;
const auto S = Layout::Stepped;
namespace F = nn::functional;
}  // namespace

std::vector<OpCase> nn_cases() {
  std::vector<OpCase> cases;
  auto add = [&](OpCase c, double rel_floor = 1e-2, double slack = 1.0) {
    c.rel_floor = rel_floor;
    c.slack = slack;
    cases.push_back(std::move(c));
  };
  // ---- linear algebra ----
  add({"matmul_2d", {in({7, 13}, T), in({13, 5}, S)}, one([](const Tensors& x) { return matmul(x[0], x[1]); })});
  add({"matmul_broadcast_batch", {in({3, 1, 5, 7}), in({4, 7, 3}, T)}, one([](const Tensors& x) {
         return matmul(x[0], x[1]);
       })});
  add({"matmul_vector", {in({7}), in({3, 7, 5}, S)}, one([](const Tensors& x) { return matmul(x[0], x[1]); })});
  add({"mm_mv_dot_outer", {in({5, 7}, T), in({7}), in({7}, S)}, one([](const Tensors& x) {
         return mm(x[0], x[0].t()) + mv(x[0], x[1]).unsqueeze(1) * dot(x[1], x[2]) +
                outer(x[0].sum(1), x[2].narrow(0, 0, 5));
       })});
  add({"bmm", {in({3, 5, 7}, T), in({3, 7, 4}, S)}, one([](const Tensors& x) { return bmm(x[0], x[1]); })});
  add({"addmm", {in({5}), in({3, 7}, T), in({7, 5})}, one([](const Tensors& x) {
         return addmm(x[0], x[1], x[2], 0.5, -1.5);
       })});
  add({"baddbmm_einsum", {in({2, 3, 5}), in({2, 3, 7}, S), in({2, 7, 5}, T)}, one([](const Tensors& x) {
         return baddbmm(x[0], x[1], x[2], 1, 0.5) + einsum("bij,bjk->bik", {x[1], x[2]});
       })});
  add({"linear", {in({7, 13}, S), in({5, 13}, T), in({5})}, one([](const Tensors& x) {
         return F::linear(x[0], x[1], x[2]);
       })});
  add({"linear_3d_no_bias", {in({3, 4, 13}), in({5, 13})}, one([](const Tensors& x) {
         return F::linear(x[0], x[1]);
       })});
  // ---- conv ----
  add({"conv2d", {in({2, 3, 7, 9}, T), in({4, 3, 3, 2}), in({4})}, one([](const Tensors& x) {
         return conv2d(x[0], x[1], x[2], {2, 1}, {1, 0});
       })});
  add({"conv2d_groups_dilation", {in({1, 4, 9, 7}, S), in({6, 2, 3, 3}, T)}, one([](const Tensors& x) {
         return conv2d(x[0], x[1], Tensor(), 1, {2, 1}, {2, 1}, 2);
       })});
  add({"conv_transpose2d", {in({2, 3, 5, 4}, T), in({3, 2, 3, 3}), in({2})}, one([](const Tensors& x) {
         return conv_transpose2d(x[0], x[1], x[2], 2, 1, 1);
       })});
  add({"conv1d", {in({2, 3, 11}, S), in({5, 3, 3}, T), in({5})}, one([](const Tensors& x) {
         return conv1d(x[0], x[1], x[2], {2}, {1});
       })});
  // ---- pool ----
  add({"max_pool2d_indices", {distinct({2, 3, 7, 9}, T)}, [](const Tensors& x) {
         auto [v, i] = max_pool2d_with_indices(x[0], {3, 2}, {2, 2}, {1, 0});
         return Tensors{v, i};
       }});
  add({"max_pool2d_ceil_dilation", {distinct({1, 2, 9, 7}, S)}, one([](const Tensors& x) {
         return max_pool2d(x[0], 2, 2, 0, {2, 1}, /*ceil_mode=*/true);
       })});
  add({"avg_pool2d", {in({2, 3, 7, 9}, T)}, one([](const Tensors& x) {
         return avg_pool2d(x[0], {3, 3}, {2, 2}, 1, false, /*count_include_pad=*/false) + 0.0;
       })});
  add({"adaptive_avg_pool2d", {in({2, 3, 7, 9}, S)}, one([](const Tensors& x) {
         return adaptive_avg_pool2d(x[0], {3, 4});
       })});
  add({"pool1d", {distinct({2, 3, 11}, T)}, one([](const Tensors& x) {
         return max_pool1d(x[0], 3, 2) + avg_pool1d(x[0], 3, 2);
       })});
  add({"adaptive_max_pool2d", {distinct({1, 3, 7, 9})}, [](const Tensors& x) {
         auto [v, i] = adaptive_max_pool2d(x[0], {2, 4});
         return Tensors{v, i};
       }});
  // ---- norm: training statistics in the graph; eval with running statistics ----
  add({"batch_norm_train", {in({5, 3, 4, 3}, T), in({3}, 0.5, 2.0), in({3})}, one([](const Tensors& x) {
         return batch_norm(x[0], Tensor(), Tensor(), x[1], x[2], /*training=*/true);
       })},
      1e-2, 2.0);
  add({"batch_norm_eval",
       {in({5, 3, 7}, S), constant({3}), constant({3}, 0.5, 2.0), in({3}), in({3})},
       one([](const Tensors& x) { return batch_norm(x[0], x[1], x[2], x[3], x[4], /*training=*/false); })});
  add({"layer_norm", {in({3, 5, 7}, T), in({7}, 0.5, 2.0), in({7})}, one([](const Tensors& x) {
         return F::layer_norm(x[0], {7}, x[1], x[2]);
       })},
      1e-2, 2.0);
  add({"group_norm", {in({3, 6, 5}, S), in({6}, 0.5, 2.0), in({6})}, one([](const Tensors& x) {
         return group_norm(x[0], 3, x[1], x[2]);
       })},
      1e-2, 2.0);
  // ---- embedding and dropout ----
  add({"embedding", {in({7, 5}, T), ints({3, 4}, 0, 6)}, one([](const Tensors& x) {
         return F::embedding(x[1], x[0]);
       })});
  add({"embedding_padding_idx", {in({7, 5}, S), ints({11}, 0, 6)}, one([](const Tensors& x) {
         return F::embedding(x[1], x[0], 2);
       })});
  add({"dropout_eval", {in({7, 13}, T)}, one([](const Tensors& x) {
         return F::dropout(x[0], 0.4, /*training=*/false) + F::dropout2d(x[0].unsqueeze(0), 0.3, false).squeeze(0);
       })});
  return cases;
}

}  // namespace seek::backend_test
