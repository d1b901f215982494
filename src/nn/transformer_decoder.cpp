// nn::TransformerDecoderLayer, TransformerDecoder and Transformer (the encoder side is in
// transformer.cpp), composed from MultiheadAttention, Linear, LayerNorm and Dropout
// exactly as torch builds them, so their state dicts are interchangeable.
#include <cmath>
#include <limits>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/init.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/transformer.h"
#include "seek/ops/creation.h"

namespace seek::nn {

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                 double dropout, std::string activation, double layer_norm_eps,
                                                 bool batch_first, bool norm_first, bool bias, TensorOptions options)
    : Module("TransformerDecoderLayer"),
      d_model_(d_model),
      nhead_(nhead),
      dim_feedforward_(dim_feedforward),
      dropout_p_(dropout),
      activation_(std::move(activation)),
      eps_(layer_norm_eps),
      batch_first_(batch_first),
      norm_first_(norm_first),
      bias_(bias) {
  SEEK_CHECK_VALUE(activation_ == "relu" || activation_ == "gelu",
                   "TransformerDecoderLayer: activation should be relu/gelu, not '", activation_, "'");
  SEEK_CHECK_VALUE(dim_feedforward > 0, "TransformerDecoderLayer: dim_feedforward must be > 0, got ", dim_feedforward);
  auto attention = [&] {
    return std::make_shared<MultiheadAttention>(d_model, nhead, dropout, bias, std::nullopt, std::nullopt, batch_first,
                                                options);
  };
  auto norm = [&] { return std::make_shared<LayerNorm>(Shape{d_model}, layer_norm_eps, true, bias, options); };
  self_attn_ = register_module("self_attn", attention());
  multihead_attn_ = register_module("multihead_attn", attention());
  linear1_ = register_module("linear1", std::make_shared<Linear>(d_model, dim_feedforward, bias, options));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout));
  linear2_ = register_module("linear2", std::make_shared<Linear>(dim_feedforward, d_model, bias, options));
  norm1_ = register_module("norm1", norm());
  norm2_ = register_module("norm2", norm());
  norm3_ = register_module("norm3", norm());
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(dropout));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(dropout));
  dropout3_ = register_module("dropout3", std::make_shared<Dropout>(dropout));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                        bool memory_is_causal) {
  const char* fn = "TransformerDecoderLayer";
  SEEK_CHECK_VALUE(tgt.defined() && memory.defined(), fn, ": tgt and memory must be defined");
  SEEK_CHECK_SHAPE((tgt.dim() == 2 || tgt.dim() == 3) && tgt.size(-1) == d_model_, fn, ": tgt must be [T, N, ",
                   d_model_, "] (or 2-D unbatched [T, ", d_model_, "]), got ", shape_str(tgt.sizes()));
  SEEK_CHECK_SHAPE(memory.dim() == tgt.dim() && memory.size(-1) == d_model_, fn, ": memory ", shape_str(memory.sizes()),
                   " must have tgt's number of dims and end in d_model ", d_model_, " (tgt ", shape_str(tgt.sizes()),
                   ")");
  Tensor x = tgt;
  if (norm_first_) {
    x = x + sa_block(norm1_(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal);
    x = x + mha_block(norm2_(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal);
    x = x + ff_block(norm3_(x));
  } else {
    x = norm1_(x + sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal));
    x = norm2_(x + mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal));
    x = norm3_(x + ff_block(x));
  }
  return x;
}

Tensor TransformerDecoderLayer::sa_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask,
                                         bool is_causal) {
  // is_causal is only a hint that mask is causal (torch computes the same either way).
  (void)is_causal;
  Tensor y = std::get<0>(self_attn_->forward(x, x, x, key_padding_mask, /*need_weights=*/false, mask));
  return dropout1_(y);
}

Tensor TransformerDecoderLayer::mha_block(const Tensor& x, const Tensor& mem, const Tensor& mask,
                                          const Tensor& key_padding_mask, bool is_causal) {
  (void)is_causal;
  Tensor y = std::get<0>(multihead_attn_->forward(x, mem, mem, key_padding_mask, /*need_weights=*/false, mask));
  return dropout2_(y);
}

Tensor TransformerDecoderLayer::ff_block(const Tensor& x) {
  Tensor h = linear1_(x);
  h = activation_ == "gelu" ? h.gelu() : h.relu();
  return dropout3_(linear2_(dropout_(h)));
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoderLayer::clone() const {
  const Tensor w = self_attn_->parameters().front();
  auto copy = std::make_shared<TransformerDecoderLayer>(d_model_, nhead_, dim_feedforward_, dropout_p_, activation_,
                                                        eps_, batch_first_, norm_first_, bias_,
                                                        TensorOptions(w.dtype()).device(w.device()));
  copy->load_state_dict(state_dict());
  copy->train(is_training());
  return copy;
}

TransformerDecoder::TransformerDecoder(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<Module> norm)
    : Module("TransformerDecoder") {
  SEEK_CHECK_VALUE(num_layers >= 1, "TransformerDecoder: num_layers must be >= 1, got ", num_layers);
  SEEK_CHECK_VALUE(static_cast<bool>(make_layer), "TransformerDecoder: the layer factory is empty");
  layers_ = register_module("layers", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < num_layers; ++i) {
    std::shared_ptr<TransformerDecoderLayer> layer = make_layer();
    SEEK_CHECK_VALUE(layer != nullptr, "TransformerDecoder: the layer factory returned null for layer ", i);
    layers_->push_back(layer);
  }
  if (norm) norm_ = register_module("norm", std::move(norm));
}

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                                       std::shared_ptr<Module> norm)
    : TransformerDecoder([&decoder_layer] { return decoder_layer.clone(); }, num_layers, std::move(norm)) {}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoder::layer(int64_t index) const {
  ModulePtr m = (*layers_)[index];
  auto typed = std::dynamic_pointer_cast<TransformerDecoderLayer>(m);
  SEEK_CHECK_DTYPE(typed != nullptr, "TransformerDecoder: layers.", index, " is now a ", m->type_name(),
                   ", not a TransformerDecoderLayer");
  return typed;
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask, bool tgt_is_causal, bool memory_is_causal) {
  Tensor x = tgt;
  for (int64_t i = 0; i < num_layers(); ++i)
    x = layer(i)->forward(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                          tgt_is_causal, memory_is_causal);
  return norm_ ? norm_(x) : x;
}

Transformer::Transformer(int64_t d_model, int64_t nhead, int64_t num_encoder_layers, int64_t num_decoder_layers,
                         int64_t dim_feedforward, double dropout, std::string activation,
                         std::shared_ptr<TransformerEncoder> custom_encoder,
                         std::shared_ptr<TransformerDecoder> custom_decoder, double layer_norm_eps, bool batch_first,
                         bool norm_first, bool bias, TensorOptions options)
    : Module("Transformer"), d_model_(d_model), nhead_(nhead), batch_first_(batch_first) {
  auto norm = [&] { return std::make_shared<LayerNorm>(Shape{d_model}, layer_norm_eps, true, bias, options); };
  if (!custom_encoder) {
    auto layer = std::make_shared<TransformerEncoderLayer>(d_model, nhead, dim_feedforward, dropout, activation,
                                                           layer_norm_eps, batch_first, norm_first, bias, options);
    custom_encoder = std::make_shared<TransformerEncoder>(*layer, num_encoder_layers, norm());
  }
  if (!custom_decoder) {
    auto layer = std::make_shared<TransformerDecoderLayer>(d_model, nhead, dim_feedforward, dropout, activation,
                                                           layer_norm_eps, batch_first, norm_first, bias, options);
    custom_decoder = std::make_shared<TransformerDecoder>(*layer, num_decoder_layers, norm());
  }
  encoder_ = register_module("encoder", custom_encoder);
  decoder_ = register_module("decoder", custom_decoder);
  // torch's _reset_parameters: xavier_uniform_ on every matrix.
  for (auto& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask, const Tensor& tgt_mask,
                            const Tensor& memory_mask, const Tensor& src_key_padding_mask,
                            const Tensor& tgt_key_padding_mask, const Tensor& memory_key_padding_mask,
                            bool src_is_causal, bool tgt_is_causal, bool memory_is_causal) {
  SEEK_CHECK_VALUE(src.defined() && tgt.defined(), "Transformer: src and tgt must be defined");
  const bool batched = src.dim() == 3;
  SEEK_CHECK_SHAPE(src.dim() == tgt.dim() && (src.dim() == 2 || src.dim() == 3), "Transformer: src ",
                   shape_str(src.sizes()), " and tgt ", shape_str(tgt.sizes()),
                   " must both be 3-D (batched) or both 2-D (unbatched)");
  if (batched) {
    const int64_t bdim = batch_first_ ? 0 : 1;
    SEEK_CHECK_SHAPE(src.size(bdim) == tgt.size(bdim),
                     "Transformer: the batch number of src and tgt must be equal, got ", src.size(bdim), " and ",
                     tgt.size(bdim));
  }
  SEEK_CHECK_SHAPE(src.size(-1) == d_model_ && tgt.size(-1) == d_model_,
                   "Transformer: the feature number of src and tgt must be equal to d_model ", d_model_, ", got ",
                   src.size(-1), " and ", tgt.size(-1));
  Tensor memory = encoder_->forward(src, src_mask, src_key_padding_mask, src_is_causal);
  return decoder_->forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                           tgt_is_causal, memory_is_causal);
}

Tensor Transformer::generate_square_subsequent_mask(int64_t sz, TensorOptions options) {
  SEEK_CHECK_VALUE(sz >= 0, "generate_square_subsequent_mask: sz must be >= 0, got ", sz);
  TensorOptions idx = TensorOptions(kInt64).device(options.device_);
  Tensor above = arange(sz, idx).unsqueeze(0).gt(arange(sz, idx).unsqueeze(1));  // [i, j]: j > i
  return zeros({sz, sz}, options.requires_grad(false)).masked_fill(above, -std::numeric_limits<double>::infinity());
}

}  // namespace seek::nn
