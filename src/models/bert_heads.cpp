// BERT's task heads (masked LM with the tied decoder, sequence classification) and the loading of Hugging
// Face checkpoints: adapt_hf_state_dict maps what transformers writes (tied weights left out, old
// gamma/beta names, buffers, with or without the "bert." prefix) onto a model's own keys.
#include <map>
#include <set>

#include "seek/core/error.h"
#include "seek/io/safetensors.h"
#include "seek/models/bert.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/nn/loss.h"
#include "seek/ops/creation.h"

namespace seek::models {

namespace {

constexpr const char* kWordEmb = "bert.embeddings.word_embeddings.weight";
constexpr const char* kDecoderW = "cls.predictions.decoder.weight";
constexpr const char* kDecoderB = "cls.predictions.decoder.bias";
constexpr const char* kPredBias = "cls.predictions.bias";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool starts_with(const std::string& s, const std::string& head) { return s.rfind(head, 0) == 0; }

std::vector<std::string> keys_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [k, t] : m.state_dict()) out.push_back(k);
  return out;
}

}  // namespace

nn::StateDict adapt_hf_state_dict(const nn::StateDict& state, const std::vector<std::string>& own) {
  std::set<std::string> own_set(own.begin(), own.end());
  bool own_prefixed = false;
  for (const auto& k : own) own_prefixed |= starts_with(k, "bert.");
  bool given_prefixed = false;
  for (const auto& [k, t] : state) given_prefixed |= starts_with(k, "bert.");

  nn::StateDict out;
  std::map<std::string, size_t> where;
  for (const auto& [key, t] : state) {
    std::string k = key;
    if (ends_with(k, ".gamma")) k = k.substr(0, k.size() - 6) + ".weight";  // TF-era LayerNorm names
    if (ends_with(k, ".beta")) k = k.substr(0, k.size() - 5) + ".bias";
    if (own_prefixed && !given_prefixed) k = "bert." + k;  // a BertModel checkpoint into a task model
    if (!own_prefixed && given_prefixed) {                 // a task checkpoint into BertModel: its heads dropped
      if (!starts_with(k, "bert.")) continue;
      k = k.substr(5);
    }
    if ((ends_with(k, "embeddings.position_ids") || ends_with(k, "embeddings.token_type_ids")) && !own_set.count(k))
      continue;  // HF's buffers, persistent in some versions
    where[k] = out.size();
    out.emplace_back(k, t);
  }
  // Tied pairs: the embedding (and cls.predictions.bias) win, as HF's tie_weights makes them.
  auto tie = [&](const std::string& source, const std::string& tied) {
    if (!own_set.count(tied) || !own_set.count(source)) return;
    auto s = where.find(source), t = where.find(tied);
    if (s != where.end()) {
      if (t != where.end())
        out[t->second].second = out[s->second].second;
      else
        where[tied] = out.size(), out.emplace_back(tied, out[s->second].second);
    } else if (t != where.end()) {
      where[source] = out.size();
      out.emplace_back(source, out[t->second].second);
    }
  };
  tie(kWordEmb, kDecoderW);
  tie(kPredBias, kDecoderB);
  return out;
}

#define SEEK_BERT_LOADERS(Class)                                                     \
  void Class::load_state_dict(const nn::StateDict& state, bool strict) {             \
    nn::Module::load_state_dict(adapt_hf_state_dict(state, keys_of(*this)), strict); \
  }                                                                                  \
  void Class::load_safetensors(const std::filesystem::path& path, bool strict) {     \
    load_state_dict(io::load_safetensors(path).tensors, strict);                     \
  }
SEEK_BERT_LOADERS(BertModel)
SEEK_BERT_LOADERS(BertForMaskedLM)
SEEK_BERT_LOADERS(BertForSequenceClassification)
#undef SEEK_BERT_LOADERS

std::shared_ptr<BertModel> BertModel::from_pretrained(const std::filesystem::path& dir, bool add_pooling_layer) {
  auto m = std::make_shared<BertModel>(BertConfig::from_json_file(dir / "config.json"), add_pooling_layer);
  m->load_safetensors(dir / "model.safetensors");
  return m;
}
std::shared_ptr<BertForMaskedLM> BertForMaskedLM::from_pretrained(const std::filesystem::path& dir) {
  auto m = std::make_shared<BertForMaskedLM>(BertConfig::from_json_file(dir / "config.json"));
  m->load_safetensors(dir / "model.safetensors");
  return m;
}
std::shared_ptr<BertForSequenceClassification> BertForSequenceClassification::from_pretrained(
    const std::filesystem::path& dir) {
  auto m = std::make_shared<BertForSequenceClassification>(BertConfig::from_json_file(dir / "config.json"));
  m->load_safetensors(dir / "model.safetensors");
  return m;
}

BertForMaskedLM::BertForMaskedLM(const BertConfig& config) : nn::Module("BertForMaskedLM"), config_(config) {
  bert_ = register_module("bert", std::make_shared<BertModel>(config_, /*add_pooling_layer=*/false));
  auto cls = std::make_shared<nn::Module>("BertOnlyMLMHead");
  auto predictions = std::make_shared<nn::Module>("BertLMPredictionHead");
  auto transform = std::make_shared<nn::Module>("BertPredictionHeadTransform");
  auto dense = std::make_shared<nn::Linear>(config_.hidden_size, config_.hidden_size);
  nn::init::normal_(dense->weight(), 0.0, config_.initializer_range);
  nn::init::zeros_(dense->bias());
  transform->register_module("dense", dense);
  transform->register_module("LayerNorm",
                             std::make_shared<nn::LayerNorm>(Shape{config_.hidden_size}, config_.layer_norm_eps));
  predictions->register_module("transform", transform);
  // The decoder: a Linear whose weight is the word-embedding tensor and whose bias is predictions.bias.
  Tensor& bias = predictions->register_parameter("bias", zeros({config_.vocab_size}));
  auto decoder = std::make_shared<nn::Linear>(config_.hidden_size, config_.vocab_size);
  decoder->weight() = bert_->child("embeddings")->child("word_embeddings")->param("weight");
  decoder->bias() = bias;
  predictions->register_module("decoder", decoder);
  cls->register_module("predictions", predictions);
  cls_ = register_module("cls", cls);
  predictions_ = predictions.get();
}

Tensor& BertForMaskedLM::decoder_weight() { return predictions_->child("decoder")->param("weight"); }
Tensor& BertForMaskedLM::decoder_bias() { return predictions_->param("bias"); }

MaskedLMOutput BertForMaskedLM::forward(const Tensor& input_ids, const Tensor& attention_mask,
                                        const Tensor& token_type_ids, const Tensor& labels,
                                        const Tensor& position_ids) {
  Tensor h = bert_->forward(input_ids, attention_mask, token_type_ids, position_ids).last_hidden_state;
  auto transform = predictions_->child("transform");
  h = transform->child("dense")->call(h);
  h = transform->child("LayerNorm")->call(bert_activation(h, config_.hidden_act));
  MaskedLMOutput out{Tensor(), predictions_->child("decoder")->call(h)};
  if (labels.defined()) {
    SEEK_CHECK_SHAPE(labels.sizes() == input_ids.sizes(), "BertForMaskedLM: labels ", shape_str(labels.sizes()),
                     " must have input_ids' shape ", shape_str(input_ids.sizes()));
    out.loss = nn::functional::cross_entropy(out.logits.reshape({-1, config_.vocab_size}), labels.reshape({-1}));
  }
  return out;
}

MaskedLMOutput BertForMaskedLM::forward_masked(const Tensor& input_ids, const Tensor& attention_mask,
                                               const Tensor& labels, const Tensor& token_type_ids,
                                               const Tensor& position_ids) {
  SEEK_CHECK_VALUE(labels.defined(), "BertForMaskedLM.forward_masked: labels are required (-100 where no loss)");
  SEEK_CHECK_SHAPE(labels.sizes() == input_ids.sizes(), "BertForMaskedLM.forward_masked: labels ",
                   shape_str(labels.sizes()), " must have input_ids' shape ", shape_str(input_ids.sizes()));
  Tensor h = bert_->forward(input_ids, attention_mask, token_type_ids, position_ids).last_hidden_state;
  const Tensor flat_labels = labels.reshape({-1});
  const Tensor rows = (flat_labels != -100).nonzero().reshape({-1});
  h = h.reshape({-1, config_.hidden_size}).index_select(0, rows);
  auto transform = predictions_->child("transform");
  h = transform->child("dense")->call(h);
  h = transform->child("LayerNorm")->call(bert_activation(h, config_.hidden_act));
  MaskedLMOutput out{Tensor(), predictions_->child("decoder")->call(h)};
  out.loss = nn::functional::cross_entropy(out.logits, flat_labels.index_select(0, rows));
  return out;
}

BertForSequenceClassification::BertForSequenceClassification(const BertConfig& config)
    : nn::Module("BertForSequenceClassification"), config_(config) {
  bert_ = register_module("bert", std::make_shared<BertModel>(config_));
  dropout_ = register_module(
      "dropout", std::make_shared<nn::Dropout>(config_.classifier_dropout.value_or(config_.hidden_dropout_prob)));
  auto classifier = std::make_shared<nn::Linear>(config_.hidden_size, config_.num_labels);
  nn::init::normal_(classifier->weight(), 0.0, config_.initializer_range);
  nn::init::zeros_(classifier->bias());
  classifier_ = register_module("classifier", classifier);
}

SequenceClassifierOutput BertForSequenceClassification::forward(const Tensor& input_ids, const Tensor& attention_mask,
                                                                const Tensor& token_type_ids, const Tensor& labels,
                                                                const Tensor& position_ids) {
  Tensor pooled = bert_->forward(input_ids, attention_mask, token_type_ids, position_ids).pooler_output;
  SequenceClassifierOutput out{Tensor(), classifier_(dropout_(pooled))};
  if (!labels.defined()) return out;
  const char* fn = "BertForSequenceClassification";
  std::string problem = config_.problem_type;
  if (problem.empty()) {  // HF's inference from num_labels and the labels' dtype
    problem = config_.num_labels == 1                                  ? "regression"
              : (labels.dtype() == kInt64 || labels.dtype() == kInt32) ? "single_label_classification"
                                                                       : "multi_label_classification";
  }
  const int64_t B = input_ids.size(0);
  if (problem == "regression") {
    Tensor target = labels.to(out.logits.dtype());
    out.loss = config_.num_labels == 1 ? nn::functional::mse_loss(out.logits.reshape({-1}), target.reshape({-1}))
                                       : nn::functional::mse_loss(out.logits, target);
  } else if (problem == "single_label_classification") {
    SEEK_CHECK_SHAPE(labels.numel() == B, fn, ": single-label labels must hold one class per sequence (", B, "), got ",
                     shape_str(labels.sizes()));
    out.loss =
        nn::functional::cross_entropy(out.logits.reshape({-1, config_.num_labels}), labels.reshape({-1}).to(kInt64));
  } else {
    SEEK_CHECK_SHAPE(labels.sizes() == out.logits.sizes(), fn, ": multi-label labels must be ",
                     shape_str(out.logits.sizes()), ", got ", shape_str(labels.sizes()));
    out.loss = nn::functional::binary_cross_entropy_with_logits(out.logits, labels.to(out.logits.dtype()));
  }
  return out;
}

}  // namespace seek::models
