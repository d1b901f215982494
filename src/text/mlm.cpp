#include "seek/text/mlm.h"

#include <algorithm>
#include <limits>

#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/ops/ternary.h"

namespace seek::text {

std::vector<std::vector<int64_t>> pack_sequences(const BertTokenizer& tok, const std::vector<std::string>& texts,
                                                 int64_t max_length, bool separate_documents, int64_t min_tokens) {
  SEEK_CHECK_VALUE(max_length >= 3, "pack_sequences: max_length must be >= 3 ([CLS] x [SEP]), got ", max_length);
  const int64_t body = max_length - 2;
  std::vector<std::vector<int64_t>> out;
  std::vector<int64_t> current;
  auto flush = [&](bool last) {
    if (current.empty() || (last && static_cast<int64_t>(current.size()) < min_tokens)) return;
    std::vector<int64_t> seq;
    seq.reserve(current.size() + 2);
    seq.push_back(tok.cls_token_id());
    seq.insert(seq.end(), current.begin(), current.end());
    seq.push_back(tok.sep_token_id());
    out.push_back(std::move(seq));
    current.clear();
  };
  EncodeOptions raw;
  raw.add_special_tokens = false;
  raw.max_length = std::numeric_limits<int64_t>::max() / 4;  // documents of any length: no model limit here
  for (const std::string& text : texts) {
    std::vector<int64_t> ids = tok.encode(text, raw).ids;
    if (ids.empty()) continue;
    if (separate_documents) ids.push_back(tok.sep_token_id());
    for (int64_t id : ids) {
      current.push_back(id);
      if (static_cast<int64_t>(current.size()) == body) flush(false);
    }
  }
  flush(true);
  return out;
}

Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences, int64_t max_length, int64_t pad_id) {
  std::vector<int64_t> flat(sequences.size() * static_cast<size_t>(max_length), pad_id);
  for (size_t i = 0; i < sequences.size(); ++i) {
    SEEK_CHECK_VALUE(static_cast<int64_t>(sequences[i].size()) <= max_length, "pad_sequences: sequence ", i, " has ",
                     sequences[i].size(), " tokens, more than max_length ", max_length);
    std::copy(sequences[i].begin(), sequences[i].end(), flat.begin() + static_cast<int64_t>(i) * max_length);
  }
  return tensor(flat, Shape{static_cast<int64_t>(sequences.size()), max_length});
}

MlmBatch mask_tokens(const Tensor& input_ids, const BertTokenizer& tok, const MlmMaskingOptions& o,
                     Generator* generator) {
  SEEK_CHECK_VALUE(input_ids.dim() == 2 && input_ids.dtype() == kInt64,
                   "mask_tokens: input_ids must be an int64 [batch, length] tensor");
  auto prob = [](double p, const char* name) {
    SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, "mask_tokens: ", name, " must be in [0, 1], got ", p);
  };
  prob(o.mlm_probability, "mlm_probability");
  prob(o.mask_replace_prob, "mask_replace_prob");
  prob(o.random_replace_prob, "random_replace_prob");
  SEEK_CHECK_VALUE(o.mask_replace_prob + o.random_replace_prob <= 1.0 + 1e-12,
                   "mask_tokens: mask_replace_prob + random_replace_prob must be <= 1, got ",
                   o.mask_replace_prob + o.random_replace_prob);
  const Tensor ids = input_ids.contiguous();
  const Tensor special = (ids == tok.cls_token_id()) || (ids == tok.sep_token_id()) || (ids == tok.pad_token_id());
  const Tensor chance = where(!special, full(ids.shape(), o.mlm_probability, TensorOptions(kF32)), 0.0);
  const Tensor chosen = bernoulli(chance, generator).to(kBool);
  MlmBatch b;
  b.labels = where(chosen, ids, full(ids.shape(), -100, TensorOptions(kInt64)));
  const Tensor to_mask =
      bernoulli(Shape(ids.shape()), o.mask_replace_prob, TensorOptions(kF32), generator).to(kBool) && chosen;
  // Of the rest, the random share: random_replace_prob / (1 - mask_replace_prob).
  const double rest = 1.0 - o.mask_replace_prob;
  const double random_share = rest > 0 ? std::min(1.0, o.random_replace_prob / rest) : 0.0;
  const Tensor to_random =
      bernoulli(Shape(ids.shape()), random_share, TensorOptions(kF32), generator).to(kBool) && chosen && !to_mask;
  Tensor masked = where(to_mask, full(ids.shape(), tok.mask_token_id(), TensorOptions(kInt64)), ids);
  masked = where(to_random, randint(tok.vocab_size(), ids.shape(), TensorOptions(kInt64), generator), masked);
  b.input_ids = masked;
  b.attention_mask = (ids != tok.pad_token_id()).to(kInt64);
  return b;
}

}  // namespace seek::text
