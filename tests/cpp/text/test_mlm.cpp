// MLM data: packing and dynamic masking statistics (15% chosen; of those 80% [MASK], 10% random, 10% kept).
#include <gtest/gtest.h>

#include "seek/ops/creation.h"
#include "seek/text/mlm.h"

using namespace seek::text;

namespace {

BertTokenizer tokenizer() {
  std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int i = 0; i < 95; ++i) v.push_back("w" + std::to_string(i));
  return BertTokenizer(v);
}

}  // namespace

TEST(Mlm, PackSequencesFillsMaxLength) {
  const BertTokenizer tok = tokenizer();
  std::vector<std::string> docs;
  for (int d = 0; d < 7; ++d) {
    std::string text;
    for (int i = 0; i < 13; ++i) text += "w" + std::to_string((d * 13 + i) % 95) + " ";
    docs.push_back(text);
  }
  const auto seqs = pack_sequences(tok, docs, 16);
  // 7 documents x (13 + [SEP]) = 98 tokens in bodies of 14: 7 full sequences.
  ASSERT_EQ(seqs.size(), 7u);
  for (const auto& s : seqs) {
    ASSERT_EQ(s.size(), 16u);
    EXPECT_EQ(s.front(), tok.cls_token_id());
    EXPECT_EQ(s.back(), tok.sep_token_id());
  }
  // The first sequence: document 0's 13 tokens and its [SEP].
  EXPECT_EQ(seqs[0][1], tok.token_to_id("w0"));
  EXPECT_EQ(seqs[0][14], tok.sep_token_id());
  const seek::Tensor padded = pad_sequences({{2, 5, 3}, {2, 3}}, 4, tok.pad_token_id());
  EXPECT_EQ(seek::to_vector<int64_t>(padded), (std::vector<int64_t>{2, 5, 3, 0, 2, 3, 0, 0}));
  EXPECT_THROW(pack_sequences(tok, docs, 2), seek::ValueError);
}

TEST(Mlm, MaskingStatisticsFollowBert) {
  const BertTokenizer tok = tokenizer();
  const int64_t B = 64, L = 128;
  std::vector<int64_t> flat;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < L; ++i)
      flat.push_back(i == 0 ? 2 : i == L - 1 - (b % 8) ? 3 : i > L - 1 - (b % 8) ? 0 : 5 + (b * 31 + i) % 95);
  const seek::Tensor ids = seek::tensor(flat, seek::Shape{B, L});
  seek::Generator gen(1234);
  const MlmBatch m = mask_tokens(ids, tok, {}, &gen);
  const auto in = seek::to_vector<int64_t>(m.input_ids), lab = seek::to_vector<int64_t>(m.labels);
  const auto att = seek::to_vector<int64_t>(m.attention_mask);
  int64_t normal = 0, chosen = 0, as_mask = 0, kept = 0, random = 0;
  for (size_t i = 0; i < flat.size(); ++i) {
    const bool special = flat[i] <= 3;
    EXPECT_EQ(att[i], flat[i] != 0 ? 1 : 0);
    if (special) {
      EXPECT_EQ(lab[i], -100);  // never predicted
      EXPECT_EQ(in[i], flat[i]);
      continue;
    }
    ++normal;
    if (lab[i] == -100) {
      EXPECT_EQ(in[i], flat[i]);
      continue;
    }
    EXPECT_EQ(lab[i], flat[i]);
    ++chosen;
    if (in[i] == 4) {
      ++as_mask;
    } else if (in[i] == flat[i]) {
      ++kept;
    } else {
      ++random;
    }
  }
  // ~7,700 ordinary tokens: 15% +- a few standard deviations.
  EXPECT_NEAR(static_cast<double>(chosen) / normal, 0.15, 0.015);
  EXPECT_NEAR(static_cast<double>(as_mask) / chosen, 0.8, 0.04);
  EXPECT_NEAR(static_cast<double>(random + kept) / chosen, 0.2, 0.04);
  EXPECT_GT(random, kept / 2);  // random replacements happen (a random draw may equal the token: counted as kept)
  // Dynamic: another draw masks other positions; the same seed, the same mask.
  seek::Generator again(1234);
  EXPECT_EQ(seek::to_vector<int64_t>(mask_tokens(ids, tok, {}, &again).labels), lab);
  EXPECT_NE(seek::to_vector<int64_t>(mask_tokens(ids, tok, {}, &gen).labels), lab);
  MlmMaskingOptions bad;
  bad.mask_replace_prob = 0.95;
  EXPECT_THROW(mask_tokens(ids, tok, bad, &gen), seek::ValueError);
}
