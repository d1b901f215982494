// nn::TransformerDecoderLayer, TransformerDecoder and Transformer: torch's names, the
// causal mask, what the masks hide, and the errors. Values against torch 1.13 are in
// tests/python/test_rnn.py (reference file written by tests/python/ref/gen_rnn.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

std::vector<std::string> keys(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [k, v] : m.state_dict()) out.push_back(k);
  return out;
}

}  // namespace

TEST(TransformerDecoder, StateDictKeysAsTorch) {
  nn::TransformerDecoderLayer layer(8, 2, 16);
  EXPECT_EQ(keys(layer), (std::vector<std::string>{
                             "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                             "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
                             "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight",
                             "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
                             "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias"}));
  nn::Transformer t(8, 2, 1, 2, 16);
  std::vector<std::string> k = keys(t);
  EXPECT_EQ(k.front(), "encoder.layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(k.back(), "decoder.norm.bias");
  EXPECT_NE(std::find(k.begin(), k.end(), "decoder.layers.1.multihead_attn.out_proj.weight"), k.end());
  EXPECT_NE(std::find(k.begin(), k.end(), "encoder.norm.weight"), k.end());
  EXPECT_EQ(k.size(), 12u + 2 + 2 * 18 + 2);
}

TEST(TransformerDecoder, SquareSubsequentMask) {
  Tensor m = nn::Transformer::generate_square_subsequent_mask(3);
  EXPECT_EQ(m.dtype(), kFloat32);
  const float inf = INFINITY;
  EXPECT_EQ(to_vector<float>(m), (std::vector<float>{0, -inf, -inf, 0, 0, -inf, 0, 0, 0}));
}

// With the causal tgt_mask, output step t does not depend on later target steps; a
// memory position hidden by memory_key_padding_mask does not matter at all.
TEST(TransformerDecoder, MasksHideWhatTheySay) {
  manual_seed(0);
  nn::TransformerDecoder dec(nn::TransformerDecoderLayer(8, 2, 16, 0.0), 2);
  dec.eval();
  Tensor tgt = uniform_tensor({4, 2, 8}, -1, 1, kFloat32, 1), mem = uniform_tensor({5, 2, 8}, -1, 1, kFloat32, 2);
  Tensor mask = nn::Transformer::generate_square_subsequent_mask(4);
  Tensor kpm = tensor<bool>({false, false, false, false, true, false, false, false, false, false}, {2, 5});
  Tensor out = dec.forward(tgt, mem, mask, Tensor(), Tensor(), kpm);
  Tensor tgt2 = tgt.clone(), mem2 = mem.clone();
  tgt2.select(0, 3).fill_(5.0);
  mem2.select(0, 4).select(0, 0).fill_(-3.0);  // the padded memory position of sequence 0
  Tensor out2 = dec.forward(tgt2, mem2, mask, Tensor(), Tensor(), kpm);
  EXPECT_TRUE(allclose(out.narrow(0, 0, 3), out2.narrow(0, 0, 3), 1e-6, 1e-6));
  EXPECT_FALSE(allclose(out.select(0, 3), out2.select(0, 3), 1e-3, 1e-3));
}

TEST(TransformerDecoder, Errors) {
  EXPECT_SEEK_ERROR(nn::TransformerDecoderLayer(8, 2, 16, 0.1, "tanh"), ValueError, "activation");
  nn::TransformerDecoderLayer layer(8, 2, 16);
  EXPECT_SEEK_ERROR(layer.forward(zeros({3, 2, 6}), zeros({3, 2, 8})), ShapeError, "tgt must be");
  EXPECT_SEEK_ERROR(layer.forward(zeros({3, 2, 8}), zeros({3, 8})), ShapeError, "memory");
  nn::Transformer t(8, 2, 1, 1, 16);
  EXPECT_SEEK_ERROR(t.forward(zeros({3, 2, 8}), zeros({3, 3, 8})), ShapeError, "batch number");
  EXPECT_SEEK_ERROR(t.forward(zeros({3, 2, 8}), zeros({3, 2, 4})), ShapeError, "d_model");
}
