// LSH attention (seek::lsh_attention, nn::functional::lsh_attention, nn::LSHAttention and the
// "lsh" option of MultiheadAttention / TransformerEncoderLayer): against full attention where the
// two must agree (one bucket, one chunk), against a dense reference built from the same hashes
// (sorting, chunks, look-one-back, multiplicities across rounds), masks, determinism, bad input,
// and the memory figures (peak bytes from the CPU allocator statistics, linear in L).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "seek/seek.h"
#include "nn/attention_test_util.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;
namespace F = seek::nn::functional;

namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  return (a.detach().to(kFloat64) - b.detach().to(kFloat64)).abs().max().item<double>();
}

// Positions sorted by (bucket, position) for buckets [N, R, L].
Tensor order_of(const Tensor& buckets) {
  const int64_t L = buckets.size(-1);
  return (buckets * L + arange(L, TensorOptions(kInt64))).argsort(-1);
}

// Dense reference over [N, L, D] float64 tensors: query i meets key j once for every round in which
// j lies in the chunk of i or in the previous chunk (cyclic) of the sorted orders; one softmax over
// all those meetings (a pair met twice counts twice). pad: [N, L] bool or undefined.
Tensor dense_reference(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                       int64_t cs, bool causal, bool self_mask, const Tensor& pad, double scale) {
  const int64_t N = q.size(0), L = q.size(1), D = q.size(2), Dv = v.size(2), R = q_order.size(1);
  const int64_t nc = (L + cs - 1) / cs;
  Tensor qc = q.detach().contiguous(), kc = k.detach().contiguous(), vc = v.detach().contiguous();
  Tensor qo = q_order.contiguous(), ko = k_order.contiguous();
  Tensor padc = pad.defined() ? pad.contiguous() : Tensor();
  std::vector<double> out(N * L * Dv, 0.0);
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> count(L * L, 0.0);  // [i, j] meetings
    for (int64_t r = 0; r < R; ++r)
      for (int64_t t = 0; t < L; ++t) {
        const int64_t c = t / cs, i = qo.data_ptr<int64_t>()[(n * R + r) * L + t];
        std::vector<int64_t> chunks{c};
        if (nc > 1) chunks.push_back((c + nc - 1) % nc);
        for (int64_t cc : chunks)
          for (int64_t u = cc * cs; u < std::min(L, (cc + 1) * cs); ++u)
            count[i * L + ko.data_ptr<int64_t>()[(n * R + r) * L + u]] += 1;
      }
    for (int64_t i = 0; i < L; ++i) {
      std::vector<double> s(L, -INFINITY);
      double mx = -INFINITY;
      for (int64_t j = 0; j < L; ++j) {
        if (count[i * L + j] == 0 || (causal && j > i) || (padc.defined() && padc.data_ptr<bool>()[n * L + j]))
          continue;
        double dot = 0;
        for (int64_t d = 0; d < D; ++d)
          dot += qc.data_ptr<double>()[(n * L + i) * D + d] * kc.data_ptr<double>()[(n * L + j) * D + d];
        s[j] = self_mask && i == j ? -1e5 : scale * dot;
        mx = std::max(mx, s[j]);
      }
      if (mx == -INFINITY) continue;
      double sum = 0;
      for (int64_t j = 0; j < L; ++j)
        if (s[j] > -INFINITY) {
          const double w = count[i * L + j] * std::exp(s[j] - mx);
          sum += w;
          for (int64_t x = 0; x < Dv; ++x) out[(n * L + i) * Dv + x] += w * vc.data_ptr<double>()[(n * L + j) * Dv + x];
        }
      for (int64_t x = 0; x < Dv; ++x) out[(n * L + i) * Dv + x] /= sum;
    }
  }
  return tensor<double>(out, {N, L, Dv});
}

// Full softmax attention with the shared-QK self score: keys q / |q|, score(i, i) = -1e5.
Tensor full_shared_qk(const Tensor& q, const Tensor& v, bool causal) {
  const int64_t L = q.size(-2);
  Tensor k = q / q.norm(2.0, {-1}, true);
  Tensor s = q.matmul(k.mT()) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  Tensor eye = arange(L, TensorOptions(kInt64)).unsqueeze(1).eq(arange(L, TensorOptions(kInt64)).unsqueeze(0));
  s = s.masked_fill(eye, -1e5);
  if (causal)
    s = s.masked_fill(arange(L, TensorOptions(kInt64)).unsqueeze(0).gt(arange(L, TensorOptions(kInt64)).unsqueeze(1)),
                      -INFINITY);
  return s.softmax(-1).matmul(v);
}

LSHAttentionOptions one_bucket(int64_t L, int64_t hashes = 1) {
  return LSHAttentionOptions().buckets(1).hashes(hashes).chunk(L);
}

}  // namespace

TEST(LshAttention, OneBucketOneChunkEqualsFullAttention) {
  Tensor q = uniform_tensor({2, 3, 10, 4}, -1, 1, kFloat64, 1), k = uniform_tensor({2, 3, 10, 4}, -1, 1, kFloat64, 2);
  Tensor v = uniform_tensor({2, 3, 10, 5}, -1, 1, kFloat64, 3);
  Tensor full = F::scaled_dot_product_attention(q, k, v);
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, k, v, one_bucket(10)), full), 1e-6);
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, k, v, one_bucket(10, 3)), full), 1e-6);  // identical rounds
  // Buckets do not matter while one chunk holds the whole sequence.
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, k, v, LSHAttentionOptions().buckets(4).hashes(2).chunk(16)), full), 1e-6);
  // The same in f32 (computed in f32) and bf16 (computed in f32, rounded on the way in and out).
  EXPECT_LT(max_abs_diff(F::lsh_attention(q.to(kFloat32), k.to(kFloat32), v.to(kFloat32), one_bucket(10)), full), 1e-5);
  Tensor hb = F::lsh_attention(q.to(kBFloat16), k.to(kBFloat16), v.to(kBFloat16), one_bucket(10));
  EXPECT_EQ(hb.dtype(), kBFloat16);
  EXPECT_LT(max_abs_diff(hb, full), 5e-2);
}

TEST(LshAttention, SharedQkEqualsFullAttentionWithTheSelfScore) {
  Tensor q = uniform_tensor({2, 2, 9, 4}, -1, 1, kFloat64, 4), v = uniform_tensor({2, 2, 9, 3}, -1, 1, kFloat64, 5);
  LSHAttentionOptions o = one_bucket(9).shared(true);
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, Tensor(), v, o), full_shared_qk(q, v, false)), 1e-6);
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, q, v, o.is_causal(true)), full_shared_qk(q, v, true)), 1e-6);
  // The first token under the causal mask has only itself: it attends to itself.
  Tensor first = F::lsh_attention(q, Tensor(), v, o.is_causal(true)).select(2, 0);
  EXPECT_LT(max_abs_diff(first, v.select(2, 0)), 1e-12);
}

TEST(LshAttention, CausalAndPaddingEqualMaskedFullAttention) {
  Tensor q = uniform_tensor({2, 2, 8, 4}, -1, 1, kFloat64, 6), k = uniform_tensor({2, 2, 8, 4}, -1, 1, kFloat64, 7);
  Tensor v = uniform_tensor({2, 2, 8, 3}, -1, 1, kFloat64, 8);
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, k, v, one_bucket(8).is_causal(true)),
                         F::scaled_dot_product_attention(q, k, v, Tensor(), 0.0, true)),
            1e-6);
  Tensor pad = seek::testing::bool_mask({0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, {2, 8});  // true = ignore
  Tensor take = pad.logical_not().reshape({2, 1, 1, 8});
  EXPECT_LT(max_abs_diff(F::lsh_attention(q, k, v, one_bucket(8), pad), F::scaled_dot_product_attention(q, k, v, take)),
            1e-6);
}

TEST(LshAttention, MatchesTheDenseReferenceOfItsHashes) {
  const int64_t L = 13, cs = 4, nb = 4, nh = 3;
  Tensor q = uniform_tensor({2, 13, 5}, -1, 1, kFloat64, 9), k = uniform_tensor({2, 13, 5}, -1, 1, kFloat64, 10);
  Tensor v = uniform_tensor({2, 13, 3}, -1, 1, kFloat64, 11);
  Tensor pad =
      seek::testing::bool_mask({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, {2, 13});
  const double scale = 1.0 / std::sqrt(5.0);
  for (bool causal : {false, true}) {
    LSHAttentionOptions o = LSHAttentionOptions().buckets(nb).hashes(nh).chunk(cs).with_seed(21).is_causal(causal);
    // Separate Q/K: queries and keys sorted apart, with the same rotations.
    Tensor qo = order_of(lsh_hash(q, nb, nh, 21)), ko = order_of(lsh_hash(k, nb, nh, 21));
    EXPECT_FALSE(seek::equal(qo, ko));
    Tensor got = F::lsh_attention(q, k, v, o, pad);
    EXPECT_LT(max_abs_diff(got, dense_reference(q, k, v, qo, ko, cs, causal, false, pad, scale)), 1e-10);
    // Shared-QK: keys q / |q|, one order, the self score.
    Tensor kn = q / q.norm(2.0, {-1}, true);
    Tensor so = order_of(lsh_hash(kn, nb, nh, 21));
    got = F::lsh_attention(q, Tensor(), v, o.shared(true), pad);
    EXPECT_LT(max_abs_diff(got, dense_reference(q, kn, v, so, so, cs, causal, true, pad, scale)), 1e-10);
  }
  (void)L;
}

TEST(LshAttention, OutputsIgnoreFutureAndPaddedKeys) {
  // One bucket keeps the chunks fixed while keys change; 4 chunks, so chunk 0 looks back at the last one.
  Tensor q = uniform_tensor({1, 2, 16, 4}, -1, 1, kFloat64, 12), k = uniform_tensor({1, 2, 16, 4}, -1, 1, kFloat64, 13);
  Tensor v = uniform_tensor({1, 2, 16, 3}, -1, 1, kFloat64, 14);
  LSHAttentionOptions o = LSHAttentionOptions().buckets(1).hashes(2).chunk(4).is_causal(true);
  Tensor base = F::lsh_attention(q, k, v, o);
  Tensor k2 = k.clone(), v2 = v.clone();
  k2.narrow(2, 10, 6).fill_(5.0), v2.narrow(2, 10, 6).fill_(-7.0);  // keys 10..15 change
  Tensor moved = F::lsh_attention(q, k2, v2, o);
  EXPECT_EQ(max_abs_diff(base.narrow(2, 0, 10), moved.narrow(2, 0, 10)), 0.0);
  EXPECT_GT(max_abs_diff(base.narrow(2, 10, 6), moved.narrow(2, 10, 6)), 1e-3);  // the change is seen from 10 on

  // Padded keys: nothing depends on them, with or without the causal mask.
  Tensor pad = zeros({1, 16}, TensorOptions(kBool));
  pad.narrow(1, 3, 2).fill_(true);
  Tensor k3 = k.clone(), v3 = v.clone();
  k3.narrow(2, 3, 2).fill_(9.0), v3.narrow(2, 3, 2).fill_(11.0);
  for (bool causal : {false, true}) {
    o.is_causal(causal);
    EXPECT_EQ(max_abs_diff(F::lsh_attention(q, k, v, o, pad), F::lsh_attention(q, k3, v3, o, pad)), 0.0);
  }
  // A query whose every key is padded gets zeros.
  Tensor all = ones({1, 16}, TensorOptions(kBool));
  EXPECT_EQ(F::lsh_attention(q, k, v, o, all).abs().max().item<double>(), 0.0);
}

TEST(LshAttention, SeedMakesHashesReproducible) {
  Tensor q = uniform_tensor({1, 2, 32, 8}, -1, 1, kFloat64, 15), v = uniform_tensor({1, 2, 32, 4}, -1, 1, kFloat64, 16);
  LSHAttentionOptions o = LSHAttentionOptions().buckets(8).hashes(2).chunk(4).shared(true).with_seed(3);
  Tensor a = F::lsh_attention(q, Tensor(), v, o), b = F::lsh_attention(q, Tensor(), v, o);
  EXPECT_EQ(seek::testing::tensor_bytes(a), seek::testing::tensor_bytes(b));
  EXPECT_TRUE(seek::equal(lsh_hash(q, 8, 2, 3), lsh_hash(q, 8, 2, 3)));
  EXPECT_FALSE(seek::equal(lsh_hash(q, 8, 2, 3), lsh_hash(q, 8, 2, 4)));
  EXPECT_GT(max_abs_diff(a, F::lsh_attention(q, Tensor(), v, o.with_seed(4))), 1e-6);
  // Without a seed the default generator draws: manual_seed reproduces the draw.
  o.seed.reset();
  manual_seed(77);
  Tensor c = F::lsh_attention(q, Tensor(), v, o);
  manual_seed(77);
  EXPECT_EQ(seek::testing::tensor_bytes(c), seek::testing::tensor_bytes(F::lsh_attention(q, Tensor(), v, o)));
  // Buckets lie in [0, n_buckets).
  Tensor h = lsh_hash(q, 8, 2, 3);
  EXPECT_EQ(h.sizes(), (Shape{1, 2, 2, 32}));
  EXPECT_GE(h.min().item<int64_t>(), 0);
  EXPECT_LT(h.max().item<int64_t>(), 8);
}

TEST(LshAttention, BadInputNamesTheProblem) {
  Tensor q = uniform_tensor({1, 2, 8, 4}, -1, 1), k = uniform_tensor({1, 2, 8, 4}, -1, 1);
  Tensor v = uniform_tensor({1, 2, 8, 3}, -1, 1);
  auto msg = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THROW(F::lsh_attention(q, k, v, LSHAttentionOptions().buckets(3)), ValueError);
  EXPECT_NE(msg([&] { F::lsh_attention(q, k, v, LSHAttentionOptions().buckets(3)); }).find("n_buckets"),
            std::string::npos);
  EXPECT_THROW(F::lsh_attention(q, k, v, LSHAttentionOptions().chunk(0)), ValueError);
  EXPECT_THROW(F::lsh_attention(q, k, v, LSHAttentionOptions().hashes(0)), ValueError);
  EXPECT_THROW(F::lsh_attention(q, k, v, LSHAttentionOptions().shared(true)), ValueError);     // a different key
  EXPECT_NE(msg([&] { F::lsh_attention(q, Tensor(), v); }).find("'key'"), std::string::npos);  // no key
  EXPECT_THROW(F::lsh_attention(q, k.narrow(2, 0, 6), v), ShapeError);
  EXPECT_THROW(F::lsh_attention(q, k, v.narrow(2, 0, 6)), ShapeError);
  EXPECT_THROW(F::lsh_attention(q, k, v.to(kFloat32)), DTypeError);
  EXPECT_THROW(F::lsh_attention(q, k, v, {}, zeros({1, 8})), DTypeError);  // float padding mask
  EXPECT_NE(msg([&] {
              F::lsh_attention(q, k, v, {}, zeros({3, 8}, TensorOptions(kBool)));
            }).find("key_padding_mask"),
            std::string::npos);
}

TEST(LshAttention, ModuleAndMultiheadAttentionOption) {
  Tensor q = uniform_tensor({2, 2, 6, 4}, -1, 1, kFloat64, 17), v = uniform_tensor({2, 2, 6, 4}, -1, 1, kFloat64, 18);
  LSHAttentionOptions o = LSHAttentionOptions().buckets(2).chunk(2).shared(true).with_seed(9);
  nn::LSHAttention m(o);
  EXPECT_EQ(max_abs_diff(m.forward(q, Tensor(), v), F::lsh_attention(q, Tensor(), v, o)), 0.0);
  EXPECT_EQ(max_abs_diff(m.forward(q), F::lsh_attention(q, Tensor(), q, o)), 0.0);
  EXPECT_TRUE(m.parameters().empty());
  EXPECT_THROW(nn::LSHAttention(LSHAttentionOptions().buckets(5)), ValueError);
  EXPECT_THROW(nn::LSHAttention(LSHAttentionOptions()).forward(q), ValueError);  // forward(x) needs shared_qk

  // MultiheadAttention: "lsh" with one bucket and one chunk equals "full" with the same weights.
  nn::MultiheadAttention full(8, 2, 0.0, true, std::nullopt, std::nullopt, true, kFloat64);
  nn::MultiheadAttention lsh(8, 2, 0.0, true, std::nullopt, std::nullopt, true, kFloat64,
                             nn::AttentionConfig::lsh_attention(one_bucket(8)));
  lsh.load_state_dict(full.state_dict());
  EXPECT_EQ(lsh.attention().kind, "lsh");
  Tensor x = uniform_tensor({3, 7, 8}, -1, 1, kFloat64, 19);
  Tensor pad = seek::testing::bool_mask({0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, {3, 7});
  auto [yf, wf] = full.forward(x, x, x, pad, false);
  auto [yl, wl] = lsh.forward(x, x, x, pad, true);
  EXPECT_FALSE(wl.defined());  // no L x L weights in lsh mode
  EXPECT_LT(max_abs_diff(yf, yl), 1e-10);
  Tensor causal = nn::Transformer::generate_square_subsequent_mask(7, kFloat64);
  EXPECT_LT(max_abs_diff(std::get<0>(full.forward(x, x, x, Tensor(), false, causal, true, true)),
                         std::get<0>(lsh.forward(x, x, x, Tensor(), false, causal, true, true))),
            1e-10);
  EXPECT_THROW(lsh.forward(x, x, x, Tensor(), false, causal), ValueError);         // an attn_mask without is_causal
  EXPECT_THROW(lsh.forward(x, x.narrow(1, 0, 5), x.narrow(1, 0, 5)), ShapeError);  // S != L
  EXPECT_THROW(nn::MultiheadAttention(8, 2, 0.0, true, std::nullopt, std::nullopt, false, {}, {"sparse", {}}),
               ValueError);

  // TransformerEncoderLayer forwards the option to self_attn, and clone() keeps it.
  nn::TransformerEncoderLayer ef(8, 2, 16, 0.0, "relu", 1e-5, true, false, true, kFloat64);
  nn::TransformerEncoderLayer el(8, 2, 16, 0.0, "relu", 1e-5, true, false, true, kFloat64,
                                 nn::AttentionConfig::lsh_attention(one_bucket(8)));
  el.load_state_dict(ef.state_dict());
  EXPECT_LT(max_abs_diff(ef.forward(x, Tensor(), pad), el.forward(x, Tensor(), pad)), 1e-10);
  EXPECT_EQ(el.clone()->self_attn()->attention().kind, "lsh");
  EXPECT_LT(max_abs_diff(ef.forward(x, Tensor(), pad), el.clone()->forward(x, Tensor(), pad)), 1e-10);
}

TEST(LshAttention, GradientsReachQueriesKeysAndValues) {
  // Shared-QK: the key normalisation sends the keys' gradient back into the queries.
  Tensor q = uniform_tensor({1, 2, 8, 4}, -1, 1, kFloat64, 20).requires_grad_(true);
  Tensor v = uniform_tensor({1, 2, 8, 3}, -1, 1, kFloat64, 21).requires_grad_(true);
  Tensor y = F::lsh_attention(q, Tensor(), v, one_bucket(8).shared(true));
  Tensor q2 = q.detach().requires_grad_(true), v2 = v.detach().requires_grad_(true);
  Tensor y2 = full_shared_qk(q2, v2, false);
  Tensor g = uniform_tensor({1, 2, 8, 3}, -1, 1, kFloat64, 22);
  (y * g).sum().backward();
  (y2 * g).sum().backward();
  EXPECT_LT(max_abs_diff(q.grad(), q2.grad()), 1e-9);
  EXPECT_LT(max_abs_diff(v.grad(), v2.grad()), 1e-9);
}

// Extra bytes (peak over what was allocated before) of forward + backward.
size_t extra_bytes(const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& attn, int64_t L) {
  Tensor q = uniform_tensor({1, 4, L, 64}, -1, 1, kFloat32, 23).requires_grad_(true);
  Tensor k = uniform_tensor({1, 4, L, 64}, -1, 1, kFloat32, 24).requires_grad_(true);
  Tensor v = uniform_tensor({1, 4, L, 64}, -1, 1, kFloat32, 25).requires_grad_(true);
  Tensor g = uniform_tensor({1, 4, L, 64}, -1, 1, kFloat32, 26);
  const size_t before = cpu_allocated_bytes();
  reset_cpu_peak_bytes();
  attn(q, k, v).backward(g);
  return cpu_peak_allocated_bytes() - before;
}

TEST(LshAttention, MemoryGrowsLinearlyInLength) {
  auto lsh = [](const Tensor& q, const Tensor& k, const Tensor& v) {
    return F::lsh_attention(q, k, v, LSHAttentionOptions().buckets(16).hashes(2).chunk(32).with_seed(1));
  };
  auto full = [](const Tensor& q, const Tensor& k, const Tensor& v) {
    return F::scaled_dot_product_attention(q, k, v);
  };
  const size_t l256 = extra_bytes(lsh, 256), l512 = extra_bytes(lsh, 512), l1024 = extra_bytes(lsh, 1024);
  const size_t f256 = extra_bytes(full, 256), f512 = extra_bytes(full, 512), f1024 = extra_bytes(full, 1024);
  std::cout << "[lsh memory] B=1 H=4 D=64 f32 fwd+bwd extra bytes, lsh(buckets 16, hashes 2, chunk 32) / full: L=256 "
            << l256 << " / " << f256 << ", L=512 " << l512 << " / " << f512 << ", L=1024 " << l1024 << " / " << f1024
            << " (" << 100.0 * static_cast<double>(l1024) / static_cast<double>(f1024) << "%)\n";
  ::testing::Test::RecordProperty("lsh_extra_bytes_1024", std::to_string(l1024));
  ::testing::Test::RecordProperty("full_extra_bytes_1024", std::to_string(f1024));
  // Doubling L doubles LSH's memory (quadratic growth would be 4x); full attention's grows ~4x.
  EXPECT_LT(static_cast<double>(l512) / l256, 2.5);
  EXPECT_LT(static_cast<double>(l1024) / l512, 2.5);
  EXPECT_GT(static_cast<double>(f1024) / f512, 3.0);
  EXPECT_LE(static_cast<double>(l1024), 0.35 * static_cast<double>(f1024));
}
