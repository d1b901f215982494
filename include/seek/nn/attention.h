#pragma once
// Attention: functional scaled_dot_product_attention / multi_head_attention_forward
// and the nn::MultiheadAttention module, like their torch namesakes (same
// argument names, defaults, parameter names and layouts). Composed from seek
// ops, so they differentiate and run on every backend.
//
// Mask conventions follow torch, which differ between the two functions:
//  - scaled_dot_product_attention: a bool mask marks the pairs that TAKE PART
//    (true = attend); a float mask is added to the scores.
//  - multi_head_attention_forward / MultiheadAttention: a bool attn_mask or
//    key_padding_mask marks what is IGNORED (true = masked out); a float mask is
//    added to the scores.
#include <optional>
#include <tuple>

#include "seek/nn/module.h"
#include "seek/ops/lsh_attention.h"

namespace seek::nn {
class Linear;
}

namespace seek::nn {

// Which attention MultiheadAttention (and TransformerEncoderLayer) computes: "full" softmax attention
// (torch's), or "lsh" (Reformer's LSH attention, seek/ops/lsh_attention.h, memory linear in L) with
// `lsh`'s n_buckets, n_hashes, chunk_size, shared_qk and seed. In "lsh" mode the query and key lengths
// must be equal, a bool key_padding_mask and is_causal are the only masks (an attn_mask is taken as the
// causal mask only with is_causal), no attention weights are returned (there is no L x L matrix), and no
// dropout is applied to attention weights (the layer's other dropouts still are).
struct AttentionConfig {
  std::string kind = "full";  // "full" or "lsh"
  LSHAttentionOptions lsh;

  static AttentionConfig full() { return {}; }
  static AttentionConfig lsh_attention(LSHAttentionOptions o = {}) { return {"lsh", o}; }
  bool is_lsh() const { return kind == "lsh"; }
};
}  // namespace seek::nn

namespace seek::nn::functional {

// LSH attention (seek::lsh_attention): query, key, value [B, H, L, D] (any leading dims), key_padding_mask
// [B, L] bool (true = ignore). See seek/ops/lsh_attention.h for the algorithm and options.
Tensor lsh_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                     const LSHAttentionOptions& options = {}, const Tensor& key_padding_mask = Tensor());

// softmax(query @ key^T * scale + mask) @ value, with dropout on the attention
// weights when dropout_p > 0. query [..., L, E], key [..., S, E], value [..., S, Ev]
// (batch dims broadcast) -> [..., L, Ev]. attn_mask: bool (true = take part) or
// float of query's dtype, broadcastable to [..., L, S]. is_causal masks every key
// after the query's position (key j takes part for query i when j <= i) and may
// not be combined with attn_mask. scale defaults to 1 / sqrt(E).
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);

// The computation behind nn::MultiheadAttention, sequence first:
// query [L, N, E], key [S, N, kdim], value [S, N, vdim], or unbatched [L, E], [S, kdim],
// [S, vdim]. Projections use the packed in_proj_weight [3E, E] when it is defined,
// else q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim];
// in_proj_bias [3E] and out_proj_bias [E] are optional. key_padding_mask [N, S]
// ([S] unbatched); attn_mask [L, S] or [N * num_heads, L, S]; both bool (true =
// ignore) or float (added). is_causal is a hint that attn_mask is the causal mask
// and needs attn_mask. Dropout (dropout_p) on the attention weights only when
// training. Returns {output [L, N, E] ([L, E]), weights}: weights are undefined
// unless need_weights, [N, L, S] averaged over heads when average_attn_weights,
// else [N, num_heads, L, S] (the batch dim dropped when unbatched).
std::tuple<Tensor, Tensor> multi_head_attention_forward(
    const Tensor& query, const Tensor& key, const Tensor& value, int64_t num_heads, const Tensor& in_proj_weight,
    const Tensor& in_proj_bias, const Tensor& out_proj_weight, const Tensor& out_proj_bias, double dropout_p = 0.0,
    bool training = true, const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
    const Tensor& attn_mask = Tensor(), const Tensor& q_proj_weight = Tensor(), const Tensor& k_proj_weight = Tensor(),
    const Tensor& v_proj_weight = Tensor(), bool average_attn_weights = true, bool is_causal = false,
    const AttentionConfig& attention = {});

}  // namespace seek::nn::functional

namespace seek::nn {

// torch.nn.MultiheadAttention without add_bias_kv / add_zero_attn. Parameters, in
// torch's order: "in_proj_weight" [3E, E] (or "q_proj_weight" [E, E], "k_proj_weight"
// [E, kdim], "v_proj_weight" [E, vdim] when kdim or vdim differ from embed_dim),
// "in_proj_bias" [3E] (when bias), then submodule "out_proj" (Linear E -> E).
// Init as torch: xavier_uniform_ on the projection weights, biases zero, out_proj
// weight Linear's default. With batch_first, batched inputs are [N, L, E].
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     std::optional<int64_t> kdim = std::nullopt, std::optional<int64_t> vdim = std::nullopt,
                     bool batch_first = false, TensorOptions options = {}, AttentionConfig attention = {});

  using Module::forward;
  // Returns {attn_output, attn_weights}; see functional::multi_head_attention_forward.
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
                                     const Tensor& attn_mask = Tensor(), bool average_attn_weights = true,
                                     bool is_causal = false);
  void reset_parameters();

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  int64_t kdim() const { return kdim_; }
  int64_t vdim() const { return vdim_; }
  bool batch_first() const { return batch_first_; }
  double dropout() const { return dropout_; }
  const AttentionConfig& attention() const { return attention_; }
  // True when the packed in_proj_weight is used (kdim == vdim == embed_dim).
  bool qkv_same_embed_dim() const { return kdim_ == embed_dim_ && vdim_ == embed_dim_; }
  // The Linear registered as "out_proj" now (DTypeError when it was replaced by another type).
  std::shared_ptr<Linear> out_proj() const;

 private:
  int64_t embed_dim_, num_heads_, kdim_, vdim_;
  double dropout_;
  bool bias_, batch_first_;
  AttentionConfig attention_;
  Child<Linear> out_proj_;  // read through the registry, so `mha.out_proj = Linear(...)` takes effect
};

// Reformer's LSH attention as a module without parameters: forward(query, key, value, key_padding_mask) runs
// functional::lsh_attention with the options given at construction ([B, H, L, D] inputs, or any leading dims).
class LSHAttention : public Module {
 public:
  explicit LSHAttention(LSHAttentionOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& key_padding_mask = Tensor());
  // Shared-QK self-attention of x [B, H, L, D] (keys = normalised queries), when options.shared_qk.
  Tensor forward(const Tensor& x) override;
  const LSHAttentionOptions& options() const { return options_; }

 private:
  LSHAttentionOptions options_;
};

}  // namespace seek::nn
