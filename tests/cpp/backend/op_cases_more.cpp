// Op cases of the less common ops, so that every op with a gradcheck case
// (tests/cpp/ops/test_gradcheck_coverage.cpp's list, and nn's) also runs across devices:
// 3-D conv and pool, 1-D adaptive pools, interpolate, attention, the nn functional extras
// (normalize, cosine_similarity, pairwise_distance, pixel_shuffle, fold/unfold, prelu),
// more linear algebra (addbmm, tensordot, kron, vdot) and shape ops (broadcast_tensors,
// meshgrid, tensor_split, pad modes, nanmedian).
#include "backend/op_case.h"
#include "seek/nn.h"

namespace seek::backend_test {

namespace {
const auto T = Layout::Transposed;
const auto S = Layout::Stepped;
namespace F = nn::functional;
}  // namespace

std::vector<OpCase> more_cases() {
  std::vector<OpCase> cases;
  auto add = [&](OpCase c, double rel_floor = 1e-2) {
    c.rel_floor = rel_floor;
    cases.push_back(std::move(c));
  };
  // ---- 3-D conv and pools, 1-D adaptive pools ----
  add({"conv3d", {in({1, 2, 5, 4, 3}, S), in({3, 2, 2, 3, 2}, T), in({3})}, one([](const Tensors& x) {
         return conv3d(x[0], x[1], x[2], {1, 1, 1}, {1, 0, 1});
       })});
  add({"pool3d", {distinct({1, 2, 5, 4, 5}, T)}, one([](const Tensors& x) {
         return max_pool3d(x[0], {2, 2, 3}, {1, 2, 2}) + avg_pool3d(x[0], {2, 2, 3}, {1, 2, 2});
       })});
  add({"adaptive_pool1d", {distinct({2, 3, 11}, S)}, [](const Tensors& x) {
         auto [v, i] = adaptive_max_pool1d(x[0], 4);
         return Tensors{v, i, adaptive_avg_pool1d(x[0], 3)};
       }});
  add({"conv_same_padding", {in({1, 3, 7, 6}, T), in({2, 3, 3, 2})}, one([](const Tensors& x) {
         return convolution(x[0], x[1], Tensor(), {1, 1}, "same", {1, 1}, 1);
       })});
  // ---- upsampling and attention ----
  add({"interpolate_nearest", {in({1, 2, 3, 5}, S)}, one([](const Tensors& x) {
         return F::interpolate(x[0], std::vector<int64_t>{7, 8});
       })});
  add({"interpolate_bilinear", {in({1, 2, 3, 5}, T)}, one([](const Tensors& x) {
         return F::interpolate(x[0], std::nullopt, std::vector<double>{2.0, 1.5}, "bilinear", false);
       })});
  add({"scaled_dot_product_attention", {in({2, 5, 3}, T), in({2, 7, 3}), in({2, 7, 4}, S)}, one([](const Tensors& x) {
         return F::scaled_dot_product_attention(x[0], x[1], x[2]);
       })});
  add({"attention_causal_masked", {in({5, 3}), in({5, 3}, T), in({5, 2}), bools({5, 5})}, one([](const Tensors& x) {
         return F::scaled_dot_product_attention(x[0], x[1], x[2], Tensor(), 0.0, true) +
                F::scaled_dot_product_attention(x[0], x[1], x[2],
                                                x[3].logical_or(eye(5, std::nullopt, kBool).to(x[3].device())));
       })});
  // ---- nn functional extras ----
  add({"normalize_cosine_pairwise", {in({5, 7}, S), in({5, 7}, T)}, one([](const Tensors& x) {
         return F::normalize(x[0], 2.0, 1).sum(1) + F::cosine_similarity(x[0], x[1]) + F::pairwise_distance(x[0], x[1]);
       })});
  add({"pixel_shuffle_unshuffle", {in({1, 8, 3, 5}, T), in({1, 2, 4, 6}, S)}, [](const Tensors& x) {
         return Tensors{F::pixel_shuffle(x[0], 2), F::pixel_unshuffle(x[1], 2)};
       }});
  add({"unfold_fold", {in({1, 2, 5, 6}, S)}, one([](const Tensors& x) {
         const Tensor cols = F::unfold(x[0], {2, 3}, {1}, {0}, {1});
         return F::fold(cols, {5, 6}, {2, 3});
       })});
  add({"prelu", {in({3, 4, 5}, T), in({4}, 0.1, 0.5)}, one([](const Tensors& x) { return F::prelu(x[0], x[1]); })});
  // ---- linear algebra ----
  add({"addbmm", {in({3, 4}), in({2, 3, 5}, S), in({2, 5, 4}, T)}, one([](const Tensors& x) {
         return addbmm(x[0], x[1], x[2], 0.5, 2);
       })});
  add({"tensordot", {in({3, 4, 5}, T), in({5, 4, 2})}, one([](const Tensors& x) {
         return tensordot(x[0], x[1], {1, 2}, {1, 0});
       })});
  add({"kron_vdot", {in({2, 3}, S), in({3, 2}), in({7}), in({7}, S)}, [](const Tensors& x) {
         return Tensors{kron(x[0], x[1]), vdot(x[2], x[3])};
       }});
  // ---- shape ----
  add({"broadcast_tensors", {in({3, 1}, T), in({4}), in({1, 1})}, [](const Tensors& x) {
         return broadcast_tensors({x[0], x[1], x[2]});
       }});
  add({"meshgrid", {in({3}), in({4}, S)}, [](const Tensors& x) { return meshgrid({x[0], x[1]}, "xy"); }});
  add({"tensor_split", {in({7, 5}, T)}, [](const Tensors& x) { return tensor_split(x[0], {2, 5}, 0); }});
  add({"pad_reflect_replicate", {in({2, 5, 7}, S)}, one([](const Tensors& x) {
         return pad(x[0], {2, 1}, "reflect") + pad(x[0], {2, 1}, "replicate") + pad(x[0], {2, 1}, "circular");
       })});
  add({"nanmedian", {distinct({7, 13}, T)}, [](const Tensors& x) {
         auto [v, i] = nanmedian(x[0], 0);
         return Tensors{v, i, nanmedian(x[0])};
       }});
  return cases;
}

}  // namespace seek::backend_test
