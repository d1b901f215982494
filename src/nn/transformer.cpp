#include "seek/nn/transformer.h"

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"

namespace seek::nn {

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                 double dropout, std::string activation, double layer_norm_eps,
                                                 bool batch_first, bool norm_first, bool bias, TensorOptions options,
                                                 AttentionConfig attention)
    : Module("TransformerEncoderLayer"),
      d_model_(d_model),
      nhead_(nhead),
      dim_feedforward_(dim_feedforward),
      dropout_p_(dropout),
      activation_(std::move(activation)),
      eps_(layer_norm_eps),
      batch_first_(batch_first),
      norm_first_(norm_first),
      bias_(bias),
      options_(options),
      attention_(std::move(attention)) {
  SEEK_CHECK_VALUE(activation_ == "relu" || activation_ == "gelu",
                   "TransformerEncoderLayer: activation should be relu/gelu, not '", activation_, "'");
  SEEK_CHECK_VALUE(dim_feedforward > 0, "TransformerEncoderLayer: dim_feedforward must be > 0, got ", dim_feedforward);
  self_attn_ = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(d_model, nhead, dropout, bias, std::nullopt, std::nullopt,
                                                        batch_first, options, attention_));
  linear1_ = register_module("linear1", std::make_shared<Linear>(d_model, dim_feedforward, bias, options));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout));
  linear2_ = register_module("linear2", std::make_shared<Linear>(dim_feedforward, d_model, bias, options));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, layer_norm_eps, true, bias, options));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, layer_norm_eps, true, bias, options));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(dropout));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(dropout));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask,
                                        bool is_causal) {
  SEEK_CHECK_VALUE(src.defined(), "TransformerEncoderLayer: src must be defined");
  SEEK_CHECK_SHAPE((src.dim() == 2 || src.dim() == 3) && src.size(-1) == d_model_,
                   "TransformerEncoderLayer: src must be [S, N, ", d_model_, "] (or 2-D unbatched [S, ", d_model_,
                   "]), got ", shape_str(src.sizes()));
  Tensor x = src;
  if (norm_first_) {
    x = x + sa_block(norm1_(x), src_mask, src_key_padding_mask, is_causal);
    x = x + ff_block(norm2_(x));
  } else {
    x = norm1_(x + sa_block(x, src_mask, src_key_padding_mask, is_causal));
    x = norm2_(x + ff_block(x));
  }
  return x;
}

Tensor TransformerEncoderLayer::sa_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask,
                                         bool is_causal) {
  Tensor y = std::get<0>(self_attn_->forward(x, x, x, key_padding_mask, /*need_weights=*/false, mask,
                                             /*average_attn_weights=*/true, is_causal));
  return dropout1_(y);
}

Tensor TransformerEncoderLayer::ff_block(const Tensor& x) {
  Tensor h = linear1_(x);
  h = activation_ == "gelu" ? h.gelu() : h.relu();
  return dropout2_(linear2_(dropout_(h)));
}

std::shared_ptr<Linear> TransformerEncoderLayer::linear1() const { return Child<Linear>(linear1_).get(); }
std::shared_ptr<Linear> TransformerEncoderLayer::linear2() const { return Child<Linear>(linear2_).get(); }
std::shared_ptr<LayerNorm> TransformerEncoderLayer::norm1() const { return Child<LayerNorm>(norm1_).get(); }
std::shared_ptr<LayerNorm> TransformerEncoderLayer::norm2() const { return Child<LayerNorm>(norm2_).get(); }

std::shared_ptr<TransformerEncoderLayer> TransformerEncoderLayer::clone() const {
  // A fresh layer of the same configuration, on the device and dtype of the current parameters.
  const Tensor w = self_attn_->parameters().front();
  auto copy = std::make_shared<TransformerEncoderLayer>(d_model_, nhead_, dim_feedforward_, dropout_p_, activation_,
                                                        eps_, batch_first_, norm_first_, bias_,
                                                        TensorOptions(w.dtype()).device(w.device()), attention_);
  copy->load_state_dict(state_dict());
  copy->train(is_training());
  return copy;
}

TransformerEncoder::TransformerEncoder(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<Module> norm)
    : Module("TransformerEncoder") {
  init(make_layer, num_layers, std::move(norm));
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                                       std::shared_ptr<Module> norm)
    : Module("TransformerEncoder") {
  init([&encoder_layer] { return encoder_layer.clone(); }, num_layers, std::move(norm));
}

void TransformerEncoder::init(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<Module> norm) {
  SEEK_CHECK_VALUE(num_layers >= 1, "TransformerEncoder: num_layers must be >= 1, got ", num_layers);
  SEEK_CHECK_VALUE(static_cast<bool>(make_layer), "TransformerEncoder: the layer factory is empty");
  layers_ = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < num_layers; ++i) {
    std::shared_ptr<TransformerEncoderLayer> layer = make_layer();
    SEEK_CHECK_VALUE(layer != nullptr, "TransformerEncoder: the layer factory returned null for layer ", i);
    layers_->push_back(layer);
  }
  if (norm) norm_ = register_module("norm", std::move(norm));
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoder::layer(int64_t index) const {
  ModulePtr m = (*layers_)[index];
  auto typed = std::dynamic_pointer_cast<TransformerEncoderLayer>(m);
  SEEK_CHECK_DTYPE(typed != nullptr, "TransformerEncoder: layers.", index, " is now a ", m->type_name(),
                   ", not a TransformerEncoderLayer");
  return typed;
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                   bool is_causal) {
  const ModuleList& layers = *layers_;
  const bool masked = mask.defined() || src_key_padding_mask.defined() || is_causal;
  Tensor x = src;
  for (size_t i = 0; i < layers.size(); ++i) {
    const ModulePtr held = layers[static_cast<int64_t>(i)];
    Module& m = *held;
    if (auto* layer = dynamic_cast<TransformerEncoderLayer*>(&m)) {
      x = layer->forward(x, mask, src_key_padding_mask, is_causal);
    } else {
      // A replacement of another type has only the single-input forward.
      SEEK_CHECK_DTYPE(!masked, "TransformerEncoder: layers.", i, " is a ", m.type_name(),
                       ", which takes no masks; only a TransformerEncoderLayer does");
      x = m.forward(x);
    }
  }
  return norm_ ? norm_(x) : x;
}

}  // namespace seek::nn
