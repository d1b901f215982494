#pragma once
// Masked-language-model data: sequence packing (Hugging Face run_mlm's group_texts) and dynamic
// masking (DataCollatorForLanguageModeling: each call draws a new mask, so every epoch masks differently).
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"
#include "seek/text/bert_tokenizer.h"

namespace seek::text {

// The documents' WordPiece ids, concatenated (a [SEP] after each document when separate_documents) and
// cut into sequences of max_length tokens, each "[CLS] ... [SEP]"; the last, shorter one is kept when it
// holds at least min_tokens tokens besides [CLS]/[SEP] (padded later). ValueError for max_length < 3.
std::vector<std::vector<int64_t>> pack_sequences(const BertTokenizer& tokenizer, const std::vector<std::string>& texts,
                                                 int64_t max_length, bool separate_documents = true,
                                                 int64_t min_tokens = 8);

// Sequences padded with [PAD] into an int64 [N, max_length] tensor (attention mask: ids != [PAD]).
Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences, int64_t max_length, int64_t pad_id);

struct MlmMaskingOptions {
  double mlm_probability = 0.15;     // tokens chosen for prediction (never [CLS], [SEP], [PAD])
  double mask_replace_prob = 0.8;    // of those: replaced by [MASK]
  double random_replace_prob = 0.1;  // replaced by a random token; the rest stay as they are
};

struct MlmBatch {
  Tensor input_ids;       // int64 [B, L], masked
  Tensor labels;          // int64 [B, L]: the original id where a prediction is due, -100 elsewhere
  Tensor attention_mask;  // int64 [B, L]: 0 at [PAD]
};

// Masks a batch of ids ([B, L] int64, [PAD]-padded) as DataCollatorForLanguageModeling does.
// ValueError for probabilities outside [0, 1] or mask + random replacement above 1.
MlmBatch mask_tokens(const Tensor& input_ids, const BertTokenizer& tokenizer, const MlmMaskingOptions& options = {},
                     Generator* generator = nullptr);

}  // namespace seek::text
