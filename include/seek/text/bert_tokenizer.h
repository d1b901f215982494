#pragma once
// BERT's WordPiece tokenizer, with Hugging Face tokenizers' behaviour (BertNormalizer ->
// BertPreTokenizer -> WordPiece -> [CLS] a [SEP] b [SEP] -> padding/truncation; WordPiece decoder):
// the same vocabulary and text give the same ids (tests/cpp/text/test_wordpiece_parity.cpp
// compares with ids tokenizers computed).
//
//   auto tok = seek::text::BertTokenizer::from_vocab_file("vocab.txt");
//   auto enc = tok.encode("Hello world", "second sentence");   // ids, type ids, attention mask
//   auto batch = tok.encode_batch(texts, {.max_length = 128, .padding = Padding::MaxLength});
//   Tensor ids = batch.input_ids();                             // [B, L] int64
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::text {

// Hugging Face's BertNormalizer options.
struct NormalizerOptions {
  bool clean_text = true;            // drop control characters, map whitespace to ' '
  bool handle_chinese_chars = true;  // CJK ideographs become words of their own
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: follows lowercase (as HF)
};

// Normalisation and pre-tokenisation (BERT's "basic tokenizer"): the words of `text`.
std::vector<std::string> basic_tokenize(std::string_view text, const NormalizerOptions& options = {});

enum class TruncationStrategy { LongestFirst, OnlyFirst, OnlySecond };
enum class Padding { None, Longest, MaxLength };

struct EncodeOptions {
  bool add_special_tokens = true;
  // Truncate to this many tokens (special tokens included) with `truncation`; unset: no truncation,
  // and a sequence over the tokenizer's model_max_length raises ValueError.
  std::optional<int64_t> max_length;
  TruncationStrategy truncation = TruncationStrategy::LongestFirst;
  Padding padding = Padding::None;  // MaxLength pads to max_length (or pad_to)
  std::optional<int64_t> pad_to;    // the padded length when padding is MaxLength and max_length is unset
};

struct Encoding {
  std::vector<int64_t> ids;
  std::vector<int64_t> type_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> special_tokens_mask;  // 1 at [CLS], [SEP], [PAD]
  std::vector<std::string> tokens;
  size_t size() const { return ids.size(); }
};

// A batch of encodings of one length (padded) or ragged; the tensors need one length.
struct BatchEncoding {
  std::vector<Encoding> encodings;
  Tensor input_ids() const;       // [B, L] int64
  Tensor token_type_ids() const;  // [B, L] int64
  Tensor attention_mask() const;  // [B, L] int64
};

struct BertTokenizerOptions {
  NormalizerOptions normalizer;
  std::string unk_token = "[UNK]", cls_token = "[CLS]", sep_token = "[SEP]", pad_token = "[PAD]", mask_token = "[MASK]";
  std::string continuing_subword_prefix = "##";
  int64_t max_input_chars_per_word = 100;  // longer words become [UNK]
  int64_t model_max_length = 512;          // the longest sequence encode() returns without truncation
};

class BertTokenizer {
 public:
  using Options = BertTokenizerOptions;

  // `vocab`: token -> id, ids 0..n-1 each once. ValueError on a duplicate token or id, a gap, or a
  // special token missing from the vocabulary.
  BertTokenizer(std::vector<std::string> vocab, Options options);
  explicit BertTokenizer(std::vector<std::string> vocab) : BertTokenizer(std::move(vocab), Options{}) {}
  // vocab.txt: one token per line, the line number is the id (ValueError naming the line of a duplicate).
  static BertTokenizer from_vocab_file(const std::string& path, Options options = {});
  // A Hugging Face tokenizer.json with a WordPiece model (its normalizer and decoder settings are read).
  static BertTokenizer from_tokenizer_json(const std::string& path, Options options = {});
  void save_vocab(const std::string& path) const;           // vocab.txt
  void save_tokenizer_json(const std::string& path) const;  // loads in Hugging Face tokenizers

  // The WordPiece tokens of `text` (no special tokens, no truncation).
  std::vector<std::string> tokenize(std::string_view text) const;
  Encoding encode(std::string_view text, const EncodeOptions& options = {}) const;
  Encoding encode(std::string_view text, std::string_view pair, const EncodeOptions& options = {}) const;
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;
  BatchEncoding encode_pair_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                  const EncodeOptions& options = {}) const;
  // Hugging Face's WordPiece decoder: "##" pieces join the previous token, " ." " ," " !" " ?" lose the space.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = true) const;

  int64_t token_to_id(std::string_view token) const;  // -1 when absent
  const std::string& id_to_token(int64_t id) const;   // IndexError out of range
  int64_t vocab_size() const { return static_cast<int64_t>(vocab_.size()); }
  const std::vector<std::string>& vocab() const { return vocab_; }
  const Options& options() const { return options_; }
  int64_t unk_token_id() const { return unk_id_; }
  int64_t cls_token_id() const { return cls_id_; }
  int64_t sep_token_id() const { return sep_id_; }
  int64_t pad_token_id() const { return pad_id_; }
  int64_t mask_token_id() const { return mask_id_; }
  bool is_special(int64_t id) const;

 private:
  std::vector<int64_t> wordpiece_ids(std::string_view text) const;
  Encoding assemble(std::vector<int64_t> a, const std::vector<int64_t>* b, const EncodeOptions& options) const;
  void pad(Encoding& e, int64_t length) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int64_t> ids_;
  Options options_;
  int64_t unk_id_ = -1, cls_id_ = -1, sep_id_ = -1, pad_id_ = -1, mask_id_ = -1;
};

// Trains a WordPiece vocabulary: the corpus is normalised and split into words like the tokenizer's
// input, the vocabulary starts from the special tokens and the characters (word-initial and "##"
// continuation), and adjacent pieces are merged greedily until vocab_size tokens: the most frequent
// pair (what Hugging Face tokenizers' WordPieceTrainer does), or with `likelihood` the pair with the
// highest count(ab) / (count(a) count(b)) (the original WordPiece criterion; it favours rare pairs of
// rare pieces, so it suits large corpora with a min_frequency). Deterministic for the same corpus.
struct WordPieceTrainerOptions {
  bool likelihood = false;
  int64_t vocab_size = 30000;
  int64_t min_frequency = 2;      // pairs seen fewer times are not merged
  int64_t limit_alphabet = 1000;  // the most frequent characters kept; rarer ones are left out ([UNK])
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  NormalizerOptions normalizer;
};
std::vector<std::string> train_wordpiece(const std::vector<std::string>& texts,
                                         const WordPieceTrainerOptions& options = {});

}  // namespace seek::text
