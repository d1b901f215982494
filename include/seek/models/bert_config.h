#pragma once
// models::BertConfig: Hugging Face BertConfig's fields under their names, read from and written to
// config.json, plus seek's attention option ("standard" softmax attention, or Reformer's LSH attention of
// seek/ops/lsh_attention.h with its bucket, hash-round and chunk sizes).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace seek::models {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";  // "gelu" (erf), "gelu_new" / "gelu_pytorch_tanh" (tanh form), "relu"
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  std::string position_embedding_type = "absolute";  // the only one seek implements
  // Sequence classification: number of labels (config.json stores id2label; its size is taken when
  // num_labels is absent) and the classifier's dropout (hidden_dropout_prob when unset, as HF).
  int64_t num_labels = 2;
  std::optional<double> classifier_dropout;
  // "" (inferred from num_labels and the labels' dtype, as HF), "regression", "single_label_classification"
  // or "multi_label_classification".
  std::string problem_type;

  // seek's attention option: "standard" or "lsh". The LSH fields are lsh_attention's n_buckets (1 or even),
  // n_hashes and chunk_size; lsh_seed fixes the random rotations (the same hashes on every call) when set.
  std::string attention_type = "standard";
  int64_t lsh_n_buckets = 8;
  int64_t lsh_n_hashes = 1;
  int64_t lsh_chunk_size = 64;
  std::optional<uint64_t> lsh_seed;

  // ValueError naming the field when a value is out of range (hidden_size not divisible by
  // num_attention_heads, an unknown hidden_act or attention_type, a probability outside [0, 1], ...).
  void validate() const;
  int64_t head_dim() const { return hidden_size / num_attention_heads; }

  // Parses config.json text: known fields are read (a field of the wrong JSON type is a ValueError naming
  // it), the others (architectures, model_type, transformers_version, label2id, ...) are ignored. The
  // result is validated.
  static BertConfig from_json(const std::string& text);
  static BertConfig from_json_file(const std::filesystem::path& path);  // IOError when it cannot be read
  // config.json text with every field above ("model_type": "bert"; id2label for num_labels; null for
  // unset optionals), readable by transformers' BertConfig.from_json_file.
  std::string to_json() const;

  // The Google BERT sizes (Turc et al. 2019 for the small ones): layers / hidden / heads, intermediate 4x hidden.
  static BertConfig bert_tiny();    // 2 / 128 / 2
  static BertConfig bert_mini();    // 4 / 256 / 4
  static BertConfig bert_small();   // 4 / 512 / 8
  static BertConfig bert_medium();  // 8 / 512 / 8
  static BertConfig bert_base();    // 12 / 768 / 12
  static BertConfig bert_large();   // 24 / 1024 / 16
};

}  // namespace seek::models
