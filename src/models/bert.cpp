// BERT's layers and BertModel with Hugging Face's names. Children are registered in HF's order so that
// state_dict() lists the keys as transformers does; grouping modules without computation of their own
// (HF's BertEncoder, BertPooler, BertAttention's parents) are plain nn::Modules holding the named children.
#include "seek/models/bert.h"

#include <cmath>
#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/nn/attention.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/ops/creation.h"

namespace seek::models {

namespace {

std::shared_ptr<nn::Linear> linear(int64_t in, int64_t out) { return std::make_shared<nn::Linear>(in, out); }
std::shared_ptr<nn::LayerNorm> layer_norm(const BertConfig& c) {
  return std::make_shared<nn::LayerNorm>(Shape{c.hidden_size}, c.layer_norm_eps);
}
std::shared_ptr<nn::Dropout> dropout(double p) { return std::make_shared<nn::Dropout>(p); }

// HF's _init_weights over m's descendants (children(), not named_modules(): m may not be owned by a
// shared_ptr yet, in its constructor or on the stack).
void init_weights(nn::Module& m, double range) {
  for (const auto& child : m.children()) {
    if (auto* lin = dynamic_cast<nn::Linear*>(child.get())) {
      nn::init::normal_(lin->weight(), 0.0, range);
      if (lin->has_bias()) nn::init::zeros_(lin->bias());
    } else if (auto* emb = dynamic_cast<nn::Embedding*>(child.get())) {
      nn::init::normal_(emb->weight(), 0.0, range);
      if (emb->padding_idx()) emb->weight().select(0, *emb->padding_idx()).zero_();
    }
    init_weights(*child, range);
  }
}

}  // namespace

Tensor bert_activation(const Tensor& x, const std::string& hidden_act) {
  if (hidden_act == "gelu") return x.gelu("none");
  if (hidden_act == "gelu_new" || hidden_act == "gelu_pytorch_tanh") return x.gelu("tanh");
  if (hidden_act == "relu") return x.relu();
  throw ValueError(str("BERT: unknown hidden_act \"", hidden_act, "\""));
}

BertEmbeddings::BertEmbeddings(const BertConfig& c)
    : nn::Module("BertEmbeddings"), max_positions_(c.max_position_embeddings) {
  word_ =
      register_module("word_embeddings", std::make_shared<nn::Embedding>(c.vocab_size, c.hidden_size, c.pad_token_id));
  position_ =
      register_module("position_embeddings", std::make_shared<nn::Embedding>(c.max_position_embeddings, c.hidden_size));
  token_type_ =
      register_module("token_type_embeddings", std::make_shared<nn::Embedding>(c.type_vocab_size, c.hidden_size));
  norm_ = register_module("LayerNorm", layer_norm(c));
  dropout_ = register_module("dropout", dropout(c.hidden_dropout_prob));
}

Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids) {
  const char* fn = "BertEmbeddings";
  SEEK_CHECK_SHAPE(input_ids.defined() && input_ids.dim() == 2, fn, ": input_ids must be [batch, length], got ",
                   input_ids.defined() ? shape_str(input_ids.sizes()) : std::string("undefined"));
  const int64_t L = input_ids.size(1);
  SEEK_CHECK_VALUE(L <= max_positions_, fn, ": the sequence length ", L, " exceeds max_position_embeddings ",
                   max_positions_, " (truncate the input)");
  TensorOptions idx = TensorOptions(kInt64).device(input_ids.device());
  Tensor pos = position_ids.defined() ? position_ids : arange(L, idx).unsqueeze(0);
  Tensor x = word_(input_ids) + position_(pos);
  if (token_type_ids.defined()) {
    SEEK_CHECK_SHAPE(token_type_ids.sizes() == input_ids.sizes(), fn, ": token_type_ids ",
                     shape_str(token_type_ids.sizes()), " must have input_ids' shape ", shape_str(input_ids.sizes()));
    x = x + token_type_(token_type_ids);
  } else {
    x = x + token_type_(zeros({1, 1}, idx));  // HF's default: type 0 everywhere
  }
  return dropout_(norm_(x));
}

BertSelfAttention::BertSelfAttention(const BertConfig& c)
    : nn::Module("BertSelfAttention"),
      heads_(c.num_attention_heads),
      head_dim_(c.head_dim()),
      attn_dropout_(c.attention_probs_dropout_prob),
      lsh_(c.attention_type == "lsh") {
  lsh_options_.n_buckets = c.lsh_n_buckets;
  lsh_options_.n_hashes = c.lsh_n_hashes;
  lsh_options_.chunk_size = c.lsh_chunk_size;
  lsh_options_.seed = c.lsh_seed;
  query_ = register_module("query", linear(c.hidden_size, c.hidden_size));
  key_ = register_module("key", linear(c.hidden_size, c.hidden_size));
  value_ = register_module("value", linear(c.hidden_size, c.hidden_size));
  register_module("dropout", dropout(c.attention_probs_dropout_prob));
}

Tensor BertSelfAttention::forward(const Tensor& hidden, const Tensor& additive_mask, const Tensor& key_padding_mask) {
  const int64_t B = hidden.size(0), L = hidden.size(1), E = hidden.size(2);
  auto heads = [&](const Tensor& t) { return t.view({B, L, heads_, head_dim_}).transpose(1, 2); };  // [B, H, L, D]
  Tensor q = heads(query_(hidden)), k = heads(key_(hidden)), v = heads(value_(hidden));
  Tensor ctx =
      lsh_ ? nn::functional::lsh_attention(q, k, v, lsh_options_, key_padding_mask)
           : nn::functional::scaled_dot_product_attention(q, k, v, additive_mask, is_training() ? attn_dropout_ : 0.0);
  return ctx.transpose(1, 2).reshape({B, L, E});
}

BertResidualOutput::BertResidualOutput(int64_t in_features, const BertConfig& c) : nn::Module("BertOutput") {
  dense_ = register_module("dense", linear(in_features, c.hidden_size));
  norm_ = register_module("LayerNorm", layer_norm(c));
  dropout_ = register_module("dropout", dropout(c.hidden_dropout_prob));
}

Tensor BertResidualOutput::forward(const Tensor& x, const Tensor& residual) {
  return norm_(dropout_(dense_(x)) + residual);
}

BertAttention::BertAttention(const BertConfig& c) : nn::Module("BertAttention") {
  self_ = register_module("self", std::make_shared<BertSelfAttention>(c));
  output_ = register_module("output", std::make_shared<BertResidualOutput>(c.hidden_size, c));
}

Tensor BertAttention::forward(const Tensor& hidden, const Tensor& additive_mask, const Tensor& key_padding_mask) {
  return output_->forward(self_->forward(hidden, additive_mask, key_padding_mask), hidden);
}

BertLayer::BertLayer(const BertConfig& c) : nn::Module("BertLayer"), act_(c.hidden_act) {
  attention_ = register_module("attention", std::make_shared<BertAttention>(c));
  auto intermediate = std::make_shared<nn::Module>("BertIntermediate");
  intermediate->register_module("dense", linear(c.hidden_size, c.intermediate_size));
  register_module("intermediate", intermediate);
  intermediate_dense_ = nn::Child<nn::Linear>(*intermediate, "dense");
  output_ = register_module("output", std::make_shared<BertResidualOutput>(c.intermediate_size, c));
}

Tensor BertLayer::forward(const Tensor& hidden, const Tensor& additive_mask, const Tensor& key_padding_mask) {
  Tensor a = attention_->forward(hidden, additive_mask, key_padding_mask);
  return output_->forward(bert_activation(intermediate_dense_(a), act_), a);
}

BertModel::BertModel(const BertConfig& config, bool add_pooling_layer) : nn::Module("BertModel"), config_(config) {
  config_.validate();
  embeddings_ = register_module("embeddings", std::make_shared<BertEmbeddings>(config_));
  auto encoder = std::make_shared<nn::Module>("BertEncoder");
  auto layers = std::make_shared<nn::ModuleList>();
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) layers->push_back(std::make_shared<BertLayer>(config_));
  encoder->register_module("layer", layers);
  register_module("encoder", encoder);
  layers_ = nn::Child<nn::ModuleList>(*encoder, "layer");
  if (add_pooling_layer) {
    auto pooler = std::make_shared<nn::Module>("BertPooler");
    pooler->register_module("dense", linear(config_.hidden_size, config_.hidden_size));
    register_module("pooler", pooler);
    pooler_dense_ = nn::Child<nn::Linear>(*pooler, "dense");
  }
  NoGradGuard no_grad;
  init_weights(*this, config_.initializer_range);
}

BertModelOutput BertModel::forward(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& token_type_ids,
                                   const Tensor& position_ids) {
  Tensor x = embeddings_->forward(input_ids, token_type_ids, position_ids);
  Tensor additive, padding;
  if (attention_mask.defined()) {
    SEEK_CHECK_SHAPE(attention_mask.sizes() == input_ids.sizes(), "BertModel: attention_mask ",
                     shape_str(attention_mask.sizes()), " must have input_ids' shape ", shape_str(input_ids.sizes()));
    if (config_.attention_type == "lsh") {
      padding = attention_mask.eq(0);
    } else {  // HF's extended mask: (1 - mask) * the dtype's lowest value, [B, 1, 1, L]
      const double lowest = x.dtype() == kFloat64    ? std::numeric_limits<double>::lowest()
                            : x.dtype() == kFloat16  ? -65504.0
                            : x.dtype() == kBFloat16 ? -3.3895313892515355e38  // bf16's lowest finite value
                                                     : static_cast<double>(std::numeric_limits<float>::lowest());
      Tensor m = attention_mask.to(x.dtype());
      additive = (m.neg() + 1.0).mul(lowest).unsqueeze(1).unsqueeze(1);
    }
  }
  for (const auto& layer : *layers_) {
    auto* bert_layer = dynamic_cast<BertLayer*>(layer.get());
    SEEK_CHECK_DTYPE(bert_layer != nullptr, "BertModel: encoder.layer holds a ", layer->type_name(),
                     ", expected BertLayer");
    x = bert_layer->forward(x, additive, padding);
  }
  BertModelOutput out{x, Tensor()};
  if (pooler_dense_) out.pooler_output = pooler_dense_(x.select(1, 0)).tanh();
  return out;
}

}  // namespace seek::models
