#pragma once
// nn::TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
// TransformerDecoder and Transformer, like torch's: same constructor arguments and
// defaults, submodule names and forward semantics, so state dicts move between the two.
#include <functional>
#include <memory>
#include <string>

#include "seek/nn/attention.h"
#include "seek/nn/container.h"
#include "seek/nn/module.h"

namespace seek::nn {

class Dropout;
class LayerNorm;
class Linear;

// Self-attention then a feed-forward block, each with a residual connection and
// LayerNorm: post-norm  x = norm1(x + sa(x)); x = norm2(x + ff(x))  by default,
// pre-norm  x = x + sa(norm1(x)); x = x + ff(norm2(x))  when norm_first.
// Submodules in torch's order: self_attn, linear1, dropout, linear2, norm1, norm2,
// dropout1, dropout2. activation is "relu" or "gelu" (else ValueError).
class TransformerEncoderLayer : public Module {
 public:
  // attention selects self_attn's attention ("full", or "lsh" with its options; see AttentionConfig).
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048, double dropout = 0.1,
                          std::string activation = "relu", double layer_norm_eps = 1e-5, bool batch_first = false,
                          bool norm_first = false, bool bias = true, TensorOptions options = {},
                          AttentionConfig attention = {});

  // src [S, N, E] ([N, S, E] with batch_first) or unbatched [S, E]; src_mask [S, S]
  // or [N * nhead, S, S]; src_key_padding_mask [N, S] ([S] unbatched); masks bool
  // (true = ignore) or float (added). is_causal is a hint that src_mask is causal.
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

  // A new layer with the same configuration, parameter values and training mode.
  std::shared_ptr<TransformerEncoderLayer> clone() const;

  // The submodules registered now (DTypeError when one was replaced by another type).
  std::shared_ptr<MultiheadAttention> self_attn() const { return self_attn_.get(); }
  std::shared_ptr<Linear> linear1() const;
  std::shared_ptr<Linear> linear2() const;
  std::shared_ptr<LayerNorm> norm1() const;
  std::shared_ptr<LayerNorm> norm2() const;
  bool norm_first() const { return norm_first_; }
  const std::string& activation() const { return activation_; }

 private:
  Tensor sa_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask, bool is_causal);
  Tensor ff_block(const Tensor& x);

  int64_t d_model_, nhead_, dim_feedforward_;
  double dropout_p_;
  std::string activation_;
  double eps_;
  bool batch_first_, norm_first_, bias_;
  TensorOptions options_;
  AttentionConfig attention_;
  // Called through the registry, so a replaced child (layer.linear1 = ...) takes effect.
  // self_attn is called with its multi-input forward, so it must stay a MultiheadAttention.
  Child<MultiheadAttention> self_attn_;
  Child<Module> linear1_, dropout_, linear2_, norm1_, norm2_, dropout1_, dropout2_;
};

// A stack of num_layers encoder layers ("layers.0" ... "layers.<n-1>") and an
// optional final "norm" module. Built from a factory called num_layers times, or,
// like torch, from one layer that is copied num_layers times (same weights).
// A layer may be replaced by any module (layers[i] = ...); one that is not a
// TransformerEncoderLayer gets only src, so it cannot be used with masks (DTypeError).
class TransformerEncoder : public Module {
 public:
  using LayerFactory = std::function<std::shared_ptr<TransformerEncoderLayer>()>;
  TransformerEncoder(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<Module> norm = nullptr);
  TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                     std::shared_ptr<Module> norm = nullptr);

  // Runs every layer with the same masks, then the norm; arguments as in
  // TransformerEncoderLayer::forward.
  Tensor forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask = Tensor(),
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

  int64_t num_layers() const { return static_cast<int64_t>(layers_->size()); }
  // Layer index (negative counts from the end); DTypeError when it was replaced by another type.
  std::shared_ptr<TransformerEncoderLayer> layer(int64_t index) const;
  std::shared_ptr<Module> norm() const { return norm_ ? norm_.module() : nullptr; }

 private:
  void init(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<Module> norm);

  Child<ModuleList> layers_;
  Child<Module> norm_;  // empty without a final norm
};

// Self-attention, cross-attention over the encoder's memory, then a feed-forward block,
// each with a residual connection and LayerNorm (norm1..3; pre-norm when norm_first).
// Submodules in torch's order: self_attn, multihead_attn, linear1, dropout, linear2,
// norm1, norm2, norm3, dropout1, dropout2, dropout3.
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048, double dropout = 0.1,
                          std::string activation = "relu", double layer_norm_eps = 1e-5, bool batch_first = false,
                          bool norm_first = false, bool bias = true, TensorOptions options = {});

  // tgt [T, N, E] ([N, T, E] with batch_first) or unbatched [T, E]; memory [S, N, E]
  // likewise; tgt_mask [T, T], memory_mask [T, S] (or [N * nhead, ...]); key padding
  // masks [N, T] / [N, S]; bool (true = ignore) or float (added).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                 bool memory_is_causal = false);

  std::shared_ptr<TransformerDecoderLayer> clone() const;
  std::shared_ptr<MultiheadAttention> self_attn() const { return self_attn_.get(); }
  std::shared_ptr<MultiheadAttention> multihead_attn() const { return multihead_attn_.get(); }
  bool norm_first() const { return norm_first_; }
  const std::string& activation() const { return activation_; }

 private:
  Tensor sa_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask, bool is_causal);
  Tensor mha_block(const Tensor& x, const Tensor& mem, const Tensor& mask, const Tensor& key_padding_mask,
                   bool is_causal);
  Tensor ff_block(const Tensor& x);

  int64_t d_model_, nhead_, dim_feedforward_;
  double dropout_p_;
  std::string activation_;
  double eps_;
  bool batch_first_, norm_first_, bias_;
  Child<MultiheadAttention> self_attn_, multihead_attn_;
  Child<Module> linear1_, dropout_, linear2_, norm1_, norm2_, norm3_, dropout1_, dropout2_, dropout3_;
};

// A stack of num_layers decoder layers ("layers.0" ...) and an optional final "norm".
class TransformerDecoder : public Module {
 public:
  using LayerFactory = std::function<std::shared_ptr<TransformerDecoderLayer>()>;
  TransformerDecoder(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<Module> norm = nullptr);
  TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                     std::shared_ptr<Module> norm = nullptr);

  // Runs every layer with the same memory and masks, then the norm.
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                 bool memory_is_causal = false);

  int64_t num_layers() const { return static_cast<int64_t>(layers_->size()); }
  std::shared_ptr<TransformerDecoderLayer> layer(int64_t index) const;
  std::shared_ptr<Module> norm() const { return norm_ ? norm_.module() : nullptr; }

 private:
  Child<ModuleList> layers_;
  Child<Module> norm_;
};

// torch.nn.Transformer: "encoder" (TransformerEncoder with a final LayerNorm "norm") and
// "decoder" (TransformerDecoder with a final LayerNorm), or custom ones. Every parameter
// of more than one dim is re-initialised with xavier_uniform_, as torch does.
class Transformer : public Module {
 public:
  Transformer(int64_t d_model = 512, int64_t nhead = 8, int64_t num_encoder_layers = 6, int64_t num_decoder_layers = 6,
              int64_t dim_feedforward = 2048, double dropout = 0.1, std::string activation = "relu",
              std::shared_ptr<TransformerEncoder> custom_encoder = nullptr,
              std::shared_ptr<TransformerDecoder> custom_decoder = nullptr, double layer_norm_eps = 1e-5,
              bool batch_first = false, bool norm_first = false, bool bias = true, TensorOptions options = {});

  // src [S, N, E], tgt [T, N, E] ([N, *, E] with batch_first; 2-D unbatched); masks as in
  // the encoder and decoder layers. Returns [T, N, E].
  Tensor forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask = Tensor(),
                 const Tensor& tgt_mask = Tensor(), const Tensor& memory_mask = Tensor(),
                 const Tensor& src_key_padding_mask = Tensor(), const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool src_is_causal = false,
                 bool tgt_is_causal = false, bool memory_is_causal = false);

  // [sz, sz] float mask: 0 on and below the diagonal, -inf above (position i sees j <= i).
  static Tensor generate_square_subsequent_mask(int64_t sz, TensorOptions options = {});

  std::shared_ptr<TransformerEncoder> encoder() const { return encoder_.get(); }
  std::shared_ptr<TransformerDecoder> decoder() const { return decoder_.get(); }
  int64_t d_model() const { return d_model_; }
  int64_t nhead() const { return nhead_; }
  bool batch_first() const { return batch_first_; }

 private:
  int64_t d_model_, nhead_;
  bool batch_first_;
  Child<TransformerEncoder> encoder_;
  Child<TransformerDecoder> decoder_;
};

}  // namespace seek::nn
