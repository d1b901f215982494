#pragma once
// BERT (Devlin et al. 2019) with Hugging Face transformers' module and parameter names, so that state dicts
// line up key for key with BertModel / BertForMaskedLM / BertForSequenceClassification and a Hugging Face
// model.safetensors loads with load_state_dict: "embeddings.word_embeddings.weight",
// "encoder.layer.0.attention.self.query.weight", "pooler.dense.weight"; "bert." + ... and "cls.predictions.*"
// for masked LM; "bert." + ... and "classifier.*" for classification.
//
// Post-norm encoder layers; self-attention through scaled_dot_product_attention (softmax of the scores plus
// the additive key-padding mask built from attention_mask, as HF's extended attention mask) or, with
// config.attention_type "lsh", seek's LSH attention (seek/ops/lsh_attention.h). The masked-LM decoder's weight
// IS the word-embedding tensor (one tensor registered under both names, as HF ties them), with its own bias.
#include <filesystem>
#include <memory>
#include <vector>

#include "seek/models/bert_config.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/ops/lsh_attention.h"

namespace seek::models {

// Outputs with HF's field names (a field is undefined when not computed).
struct BertModelOutput {
  Tensor last_hidden_state;  // [B, L, hidden]
  Tensor pooler_output;      // [B, hidden]: tanh(dense(first token)); undefined without a pooler
};
struct MaskedLMOutput {
  Tensor loss;    // 0-dim, when labels were given: cross entropy over the labels != -100
  Tensor logits;  // [B, L, vocab_size] (forward_masked: [n_labelled, vocab_size])
};
struct SequenceClassifierOutput {
  Tensor loss;    // 0-dim, when labels were given
  Tensor logits;  // [B, num_labels]
};

// word + position + token-type embeddings, LayerNorm, dropout. Children: word_embeddings,
// position_embeddings, token_type_embeddings, LayerNorm, dropout (HF's buffers position_ids / token_type_ids
// are not persistent there, so they are not kept here either).
class BertEmbeddings : public nn::Module {
 public:
  explicit BertEmbeddings(const BertConfig& config);
  // input_ids [B, L] int64; token_type_ids [B, L] (zeros when undefined); position_ids [B, L] or [L]
  // (0 .. L-1 when undefined). IndexError for an id out of its table.
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids);
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, Tensor(), Tensor()); }

 private:
  int64_t max_positions_;
  nn::Child<nn::Module> word_, position_, token_type_, norm_, dropout_;
};

// "attention.self": query, key, value (Linear hidden -> hidden), dropout on the attention probabilities.
class BertSelfAttention : public nn::Module {
 public:
  explicit BertSelfAttention(const BertConfig& config);
  // hidden [B, L, hidden]; additive_mask [B, 1, 1, L] (0 / lowest) for standard attention; key_padding_mask
  // [B, L] bool (true = padding) for LSH. Either may be undefined (no padding).
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask, const Tensor& key_padding_mask);
  Tensor forward(const Tensor& hidden) override { return forward(hidden, Tensor(), Tensor()); }

 private:
  int64_t heads_, head_dim_;
  double attn_dropout_;
  bool lsh_;
  LSHAttentionOptions lsh_options_;
  nn::Child<nn::Module> query_, key_, value_;
};

// dense -> dropout -> LayerNorm(x + residual): HF's BertSelfOutput ("attention.output") and BertOutput
// ("output") share this shape.
class BertResidualOutput : public nn::Module {
 public:
  BertResidualOutput(int64_t in_features, const BertConfig& config);
  Tensor forward(const Tensor& x, const Tensor& residual);
  using nn::Module::forward;

 private:
  nn::Child<nn::Module> dense_, norm_, dropout_;
};

// "attention": self (BertSelfAttention) then output (BertResidualOutput).
class BertAttention : public nn::Module {
 public:
  explicit BertAttention(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask, const Tensor& key_padding_mask);
  using nn::Module::forward;

 private:
  nn::Child<BertSelfAttention> self_;
  nn::Child<BertResidualOutput> output_;
};

// One encoder layer: attention, intermediate (dense + hidden_act), output.
class BertLayer : public nn::Module {
 public:
  explicit BertLayer(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask, const Tensor& key_padding_mask);
  using nn::Module::forward;

 private:
  std::string act_;
  nn::Child<BertAttention> attention_;
  nn::Child<nn::Linear> intermediate_dense_;
  nn::Child<BertResidualOutput> output_;
};

// Applies hidden_act: "gelu" (erf), "gelu_new" / "gelu_pytorch_tanh" (tanh form), "relu".
Tensor bert_activation(const Tensor& x, const std::string& hidden_act);

// The base model: embeddings, encoder (encoder.layer.N), pooler (optional; dense + tanh on the first token).
// Initialised as HF's _init_weights: Linear and Embedding weights normal(0, initializer_range), biases zero,
// the pad_token_id row of word_embeddings zero, LayerNorm weight 1 / bias 0.
class BertModel : public nn::Module {
 public:
  explicit BertModel(const BertConfig& config, bool add_pooling_layer = true);
  // input_ids [B, L] int64 (L <= max_position_embeddings); attention_mask [B, L] (1 = token, 0 = padding;
  // any dtype, all ones when undefined); token_type_ids [B, L] (zeros when undefined); position_ids [B, L]
  // or [L] (0 .. L-1 when undefined).
  BertModelOutput forward(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& token_type_ids = {},
                          const Tensor& position_ids = {});
  // The single-input form: last_hidden_state.
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, Tensor()).last_hidden_state; }

  const BertConfig& config() const { return config_; }
  bool has_pooler() const { return static_cast<bool>(pooler_dense_); }
  // Loads HF weights: the state dict adapted by adapt_hf_state_dict, then Module::load_state_dict.
  void load_state_dict(const nn::StateDict& state, bool strict = true);
  void load_safetensors(const std::filesystem::path& path, bool strict = true);
  // A model from a Hugging Face folder: config.json and model.safetensors (strict load).
  static std::shared_ptr<BertModel> from_pretrained(const std::filesystem::path& dir, bool add_pooling_layer = true);

 private:
  BertConfig config_;
  nn::Child<BertEmbeddings> embeddings_;
  nn::Child<nn::ModuleList> layers_;
  nn::Child<nn::Linear> pooler_dense_;
};

// bert (BertModel without pooler, as HF) + cls.predictions: transform (dense, hidden_act, LayerNorm), decoder
// (its weight the word-embedding tensor, its bias the tensor "cls.predictions.bias").
class BertForMaskedLM : public nn::Module {
 public:
  explicit BertForMaskedLM(const BertConfig& config);
  // labels [B, L] int64, -100 where no loss is taken (HF's convention).
  MaskedLMOutput forward(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& token_type_ids = {},
                         const Tensor& labels = {}, const Tensor& position_ids = {});
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, Tensor()).logits; }
  // Sparse prediction, for pre-training: the head (transform + decoder over the vocabulary) runs only on the
  // positions whose label is not -100, so logits are [n_labelled, vocab_size] (row-major order of the labelled
  // positions) and the loss equals forward()'s. With 15% masking this skips ~85% of the decoder's work.
  MaskedLMOutput forward_masked(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& labels,
                                const Tensor& token_type_ids = {}, const Tensor& position_ids = {});

  const BertConfig& config() const { return config_; }
  std::shared_ptr<BertModel> bert() const { return bert_.get(); }
  // The tensors the decoder uses: the word embeddings [vocab, hidden] and the bias [vocab].
  Tensor& decoder_weight();
  Tensor& decoder_bias();
  void load_state_dict(const nn::StateDict& state, bool strict = true);
  void load_safetensors(const std::filesystem::path& path, bool strict = true);
  static std::shared_ptr<BertForMaskedLM> from_pretrained(const std::filesystem::path& dir);

 private:
  BertConfig config_;
  nn::Child<BertModel> bert_;
  nn::Child<nn::Module> cls_;
  nn::Module* predictions_ = nullptr;  // cls.predictions (owned through cls_)
};

// bert (with pooler) + dropout + classifier (Linear hidden -> num_labels). The loss follows HF's problem_type:
// regression (num_labels 1, MSE), single-label (int labels [B], cross entropy), multi-label (float labels
// [B, num_labels], BCE with logits).
class BertForSequenceClassification : public nn::Module {
 public:
  explicit BertForSequenceClassification(const BertConfig& config);
  SequenceClassifierOutput forward(const Tensor& input_ids, const Tensor& attention_mask,
                                   const Tensor& token_type_ids = {}, const Tensor& labels = {},
                                   const Tensor& position_ids = {});
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, Tensor()).logits; }
  // Sparse prediction, for pre-training: the head (transform + decoder over the vocabulary) runs only on the
  // positions whose label is not -100, so logits are [n_labelled, vocab_size] (row-major order of the labelled
  // positions) and the loss equals forward()'s. With 15% masking this skips ~85% of the decoder's work.
  MaskedLMOutput forward_masked(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& labels,
                                const Tensor& token_type_ids = {}, const Tensor& position_ids = {});

  const BertConfig& config() const { return config_; }
  std::shared_ptr<BertModel> bert() const { return bert_.get(); }
  void load_state_dict(const nn::StateDict& state, bool strict = true);
  void load_safetensors(const std::filesystem::path& path, bool strict = true);
  static std::shared_ptr<BertForSequenceClassification> from_pretrained(const std::filesystem::path& dir);

 private:
  BertConfig config_;
  nn::Child<BertModel> bert_;
  nn::Child<nn::Module> dropout_, classifier_;
};

// A Hugging Face state dict adapted to a seek BERT model's keys (`own`: the model's state_dict keys):
// "*embeddings.position_ids" / "*embeddings.token_type_ids" buffers are dropped; the tied keys
// "cls.predictions.decoder.weight" / ".bias" are taken from "bert.embeddings.word_embeddings.weight" /
// "cls.predictions.bias" (when those are present, as HF ties them; the other way round when only the decoder's
// are); a BertModel checkpoint loads into the task models ("bert." added) and a task checkpoint into
// BertModel ("bert." dropped, the heads left out), as from_pretrained does.
nn::StateDict adapt_hf_state_dict(const nn::StateDict& state, const std::vector<std::string>& own);

}  // namespace seek::models
