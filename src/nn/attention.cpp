#include "seek/nn/attention.h"

#include <cmath>
#include <limits>

#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/nn/linear.h"
#include "seek/ops/creation.h"

namespace seek::nn::functional {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The shared core: softmax(q @ k^T * scale, masked) with dropout, and its product
// with v. `mask` is undefined, bool (true = take part) or float (added), and
// broadcasts to the scores. Returns {output, attention weights}.
std::tuple<Tensor, Tensor> attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                  double dropout_p, double scale, const char* fn) {
  Tensor scores = q.matmul(k.mT()) * scale;
  if (mask.defined()) {
    Shape joint = broadcast_shapes(mask.sizes(), scores.sizes(), fn);
    SEEK_CHECK_SHAPE(joint == scores.sizes(), fn, ": attn_mask ", shape_str(mask.sizes()),
                     " is not broadcastable to the attention scores ", shape_str(scores.sizes()));
    scores = mask.dtype() == kBool ? scores.masked_fill(mask.logical_not(), -kInf) : scores + mask;
  }
  Tensor weights = scores.softmax(-1);
  if (dropout_p > 0.0) weights = dropout(weights, dropout_p, /*training=*/true);
  return {weights.matmul(v), weights};
}

// A mask must be bool, or floating of the query's dtype.
void check_mask_dtype(const Tensor& mask, const char* name, DType query_dtype, const char* fn) {
  SEEK_CHECK_DTYPE(mask.dtype() == kBool || mask.dtype() == query_dtype, fn, ": ", name,
                   " must be bool or have the query's dtype ", dtype_name(query_dtype), ", got ",
                   dtype_name(mask.dtype()));
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& query_arg, const Tensor& key_arg, const Tensor& value_arg,
                                    const Tensor& attn_mask_arg, double dropout_p, bool is_causal,
                                    std::optional<double> scale) {
  // Autocast: lower-precision op (a float mask too, so it keeps the query's dtype); the softmax
  // inside attend() is an fp32 op, so the attention weights are computed in f32.
  const Tensor query = amp::autocast_lower(query_arg);
  const Tensor key = amp::autocast_lower(key_arg);
  const Tensor value = amp::autocast_lower(value_arg);
  const Tensor attn_mask = amp::autocast_lower(attn_mask_arg);
  const char* fn = "scaled_dot_product_attention";
  SEEK_CHECK_VALUE(query.defined() && key.defined() && value.defined(), fn, ": query, key and value must be defined");
  SEEK_CHECK_SHAPE(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2, fn,
                   ": query, key and value need at least 2 dims ([..., L, E], [..., S, E], [..., S, Ev]), got ",
                   shape_str(query.sizes()), ", ", shape_str(key.sizes()), ", ", shape_str(value.sizes()));
  SEEK_CHECK_SHAPE(key.size(-1) == query.size(-1), fn, ": key ", shape_str(key.sizes()),
                   " must have the query's embedding size ", query.size(-1), " (query ", shape_str(query.sizes()), ")");
  SEEK_CHECK_SHAPE(value.size(-2) == key.size(-2), fn, ": value ", shape_str(value.sizes()),
                   " must have the key's sequence length ", key.size(-2), " (key ", shape_str(key.sizes()), ")");
  SEEK_CHECK_DTYPE(query.is_floating_point() && key.dtype() == query.dtype() && value.dtype() == query.dtype(), fn,
                   ": query, key and value must share one floating dtype, got ", dtype_name(query.dtype()), ", ",
                   dtype_name(key.dtype()), ", ", dtype_name(value.dtype()));
  SEEK_CHECK_VALUE(dropout_p >= 0.0 && dropout_p <= 1.0, fn, ": dropout_p must be in [0, 1], got ", dropout_p);
  SEEK_CHECK_VALUE(!(is_causal && attn_mask.defined()), fn,
                   ": is_causal and an explicit attn_mask cannot be given together");
  Tensor mask = attn_mask;
  if (mask.defined()) check_mask_dtype(mask, "attn_mask", query.dtype(), fn);
  if (is_causal) {
    const int64_t L = query.size(-2), S = key.size(-2);
    TensorOptions idx = TensorOptions(kInt64).device(query.device());
    mask = arange(S, idx).unsqueeze(0).le(arange(L, idx).unsqueeze(1));  // [L, S], key j <= query i
  }
  double s = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(query.size(-1)));
  return std::get<0>(attend(query, key, value, mask, dropout_p, s, fn));
}

Tensor lsh_attention(const Tensor& query, const Tensor& key, const Tensor& value, const LSHAttentionOptions& options,
                     const Tensor& key_padding_mask) {
  return seek::lsh_attention(query, key, value, options, key_padding_mask);
}

std::tuple<Tensor, Tensor> multi_head_attention_forward(
    const Tensor& query, const Tensor& key, const Tensor& value, int64_t num_heads, const Tensor& in_proj_weight,
    const Tensor& in_proj_bias, const Tensor& out_proj_weight, const Tensor& out_proj_bias, double dropout_p,
    bool training, const Tensor& key_padding_mask, bool need_weights, const Tensor& attn_mask,
    const Tensor& q_proj_weight, const Tensor& k_proj_weight, const Tensor& v_proj_weight, bool average_attn_weights,
    bool is_causal, const AttentionConfig& attention) {
  const char* fn = "multi_head_attention_forward";
  SEEK_CHECK_VALUE(attention.kind == "full" || attention.kind == "lsh", fn,
                   ": attention must be \"full\" or \"lsh\", got \"", attention.kind, "\"");
  SEEK_CHECK_VALUE(query.defined() && key.defined() && value.defined() && out_proj_weight.defined(), fn,
                   ": query, key, value and out_proj_weight must be defined");
  SEEK_CHECK_SHAPE(query.dim() == 2 || query.dim() == 3, fn,
                   ": query must be 3-D (batched [L, N, E]) or 2-D (unbatched [L, E]), got ", shape_str(query.sizes()));
  const bool batched = query.dim() == 3;
  SEEK_CHECK_SHAPE(key.dim() == query.dim() && value.dim() == query.dim(), fn, ": for a ", query.dim(), "-D query ",
                   shape_str(query.sizes()), " key and value must be ", query.dim(), "-D too, got key ",
                   shape_str(key.sizes()), " and value ", shape_str(value.sizes()));
  SEEK_CHECK_DTYPE(query.is_floating_point() && key.dtype() == query.dtype() && value.dtype() == query.dtype(), fn,
                   ": query, key and value must share one floating dtype, got ", dtype_name(query.dtype()), ", ",
                   dtype_name(key.dtype()), ", ", dtype_name(value.dtype()));
  SEEK_CHECK_VALUE(dropout_p >= 0.0 && dropout_p <= 1.0, fn, ": dropout_p must be in [0, 1], got ", dropout_p);
  SEEK_CHECK_VALUE(!is_causal || attn_mask.defined() || attention.is_lsh(), fn,
                   ": is_causal is a hint that attn_mask is the causal mask, so it needs attn_mask");

  // Work batched, sequence first: [L, N, E], [S, N, kdim], [S, N, vdim].
  Tensor q_in = batched ? query : query.unsqueeze(1);
  Tensor k_in = key.is_same(query) ? q_in : (batched ? key : key.unsqueeze(1));
  Tensor v_in = value.is_same(key) ? k_in : (batched ? value : value.unsqueeze(1));
  const int64_t L = q_in.size(0), N = q_in.size(1), E = q_in.size(2), S = k_in.size(0);
  SEEK_CHECK_SHAPE(out_proj_weight.dim() == 2 && out_proj_weight.size(0) == out_proj_weight.size(1), fn,
                   ": out_proj_weight must be square [embed_dim, embed_dim], got ", shape_str(out_proj_weight.sizes()));
  SEEK_CHECK_SHAPE(E == out_proj_weight.size(0), fn, ": query ", shape_str(query.sizes()), " must end in embed_dim ",
                   out_proj_weight.size(0), " (the size of out_proj_weight)");
  SEEK_CHECK_VALUE(num_heads > 0 && E % num_heads == 0, fn, ": embed_dim ", E, " must be divisible by num_heads ",
                   num_heads);
  SEEK_CHECK_SHAPE(k_in.size(1) == N && v_in.size(0) == S && v_in.size(1) == N, fn, ": key ", shape_str(key.sizes()),
                   " and value ", shape_str(value.sizes()),
                   " must share the sequence length and match the query's batch (query ", shape_str(query.sizes()),
                   ")");
  if (in_proj_bias.defined())
    SEEK_CHECK_SHAPE(in_proj_bias.dim() == 1 && in_proj_bias.size(0) == 3 * E, fn, ": in_proj_bias must be [", 3 * E,
                     "], got ", shape_str(in_proj_bias.sizes()));

  // Input projections.
  std::vector<Tensor> b = in_proj_bias.defined() ? in_proj_bias.chunk(3, 0) : std::vector<Tensor>(3);
  Tensor q, k, v;
  if (in_proj_weight.defined()) {
    SEEK_CHECK_SHAPE(in_proj_weight.dim() == 2 && in_proj_weight.size(0) == 3 * E && in_proj_weight.size(1) == E, fn,
                     ": in_proj_weight must be [", 3 * E, ", ", E, "], got ", shape_str(in_proj_weight.sizes()));
    SEEK_CHECK_SHAPE(k_in.size(2) == E && v_in.size(2) == E, fn, ": with the packed in_proj_weight key ",
                     shape_str(key.sizes()), " and value ", shape_str(value.sizes()), " must end in embed_dim ", E);
    if (k_in.is_same(q_in) && v_in.is_same(q_in)) {  // self-attention: one packed projection
      std::vector<Tensor> qkv = linear(q_in, in_proj_weight, in_proj_bias).chunk(3, -1);
      q = qkv[0], k = qkv[1], v = qkv[2];
    } else {
      std::vector<Tensor> w = in_proj_weight.chunk(3, 0);
      q = linear(q_in, w[0], b[0]), k = linear(k_in, w[1], b[1]), v = linear(v_in, w[2], b[2]);
    }
  } else {
    SEEK_CHECK_VALUE(q_proj_weight.defined() && k_proj_weight.defined() && v_proj_weight.defined(), fn,
                     ": without in_proj_weight, q_proj_weight, k_proj_weight and v_proj_weight must all be defined");
    auto check_proj = [&](const Tensor& w, const char* name, int64_t in) {
      SEEK_CHECK_SHAPE(w.dim() == 2 && w.size(0) == E && w.size(1) == in, fn, ": ", name, " must be [", E, ", ", in,
                       "], got ", shape_str(w.sizes()));
    };
    check_proj(q_proj_weight, "q_proj_weight", E);
    check_proj(k_proj_weight, "k_proj_weight", k_in.size(2));
    check_proj(v_proj_weight, "v_proj_weight", v_in.size(2));
    q = linear(q_in, q_proj_weight, b[0]), k = linear(k_in, k_proj_weight, b[1]), v = linear(v_in, v_proj_weight, b[2]);
  }

  // [len, N, E] -> [N, H, len, D]
  const int64_t H = num_heads, D = E / num_heads;
  auto split_heads = [&](const Tensor& x, int64_t len) { return x.reshape({len, N, H, D}).permute({1, 2, 0, 3}); };

  if (attention.is_lsh()) {  // LSH attention: [N, H, L, D] heads, only causal and bool padding masks
    SEEK_CHECK_SHAPE(L == S, fn, ": lsh attention needs the query and key lengths equal, got L=", L, " S=", S);
    SEEK_CHECK_VALUE(!attn_mask.defined() || is_causal, fn,
                     ": lsh attention takes no attn_mask (only is_causal and a bool key_padding_mask)");
    Tensor kpm;
    if (key_padding_mask.defined()) {
      SEEK_CHECK_DTYPE(key_padding_mask.dtype() == kBool, fn, ": lsh attention needs a bool key_padding_mask, got ",
                       dtype_name(key_padding_mask.dtype()));
      Shape want = batched ? Shape{N, S} : Shape{S};
      SEEK_CHECK_SHAPE(key_padding_mask.sizes() == want, fn, ": key_padding_mask must be ", shape_str(want), ", got ",
                       shape_str(key_padding_mask.sizes()));
      kpm = key_padding_mask.reshape({N, S});
    }
    LSHAttentionOptions o = attention.lsh;
    o.causal = o.causal || is_causal;
    Tensor out =
        seek::lsh_attention(split_heads(q, L), o.shared_qk ? Tensor() : split_heads(k, S), split_heads(v, S), o, kpm);
    out = linear(out.permute({2, 0, 1, 3}).reshape({L, N, E}), out_proj_weight, out_proj_bias);
    if (!batched) out = out.squeeze(1);
    return {out, Tensor()};
  }

  // Masks -> one mask for attend(): bool "take part" or float additive, broadcast to [N, H, L, S].
  Tensor am, kpm;
  if (attn_mask.defined()) {
    check_mask_dtype(attn_mask, "attn_mask", query.dtype(), fn);
    if (attn_mask.dim() == 2) {
      SEEK_CHECK_SHAPE(attn_mask.size(0) == L && attn_mask.size(1) == S, fn, ": 2-D attn_mask must be [", L, ", ", S,
                       "] (L, S), got ", shape_str(attn_mask.sizes()));
      am = attn_mask;
    } else {
      SEEK_CHECK_SHAPE(
          attn_mask.dim() == 3 && attn_mask.size(0) == N * H && attn_mask.size(1) == L && attn_mask.size(2) == S, fn,
          ": attn_mask must be 2-D [", L, ", ", S, "] or 3-D [", N * H, ", ", L, ", ", S,
          "] (batch * num_heads, L, S), got ", shape_str(attn_mask.sizes()));
      am = attn_mask.reshape({N, H, L, S});
    }
  }
  if (key_padding_mask.defined()) {
    check_mask_dtype(key_padding_mask, "key_padding_mask", query.dtype(), fn);
    Shape want = batched ? Shape{N, S} : Shape{S};
    SEEK_CHECK_SHAPE(key_padding_mask.sizes() == want, fn, ": key_padding_mask must be ", shape_str(want), " (",
                     batched ? "batch, S" : "S", "), got ", shape_str(key_padding_mask.sizes()));
    kpm = key_padding_mask.reshape({N, 1, 1, S});
  }
  Tensor mask;
  if (am.defined() || kpm.defined()) {
    // A bool mask meets a float one (torch's causal float mask with bool padding masks):
    // the bool one becomes additive (-inf where true), as torch merges them.
    auto additive = [&](const Tensor& b) {
      return zeros(b.sizes(), TensorOptions(query.dtype()).device(b.device())).masked_fill(b, -kInf);
    };
    if (am.defined() && kpm.defined() && am.dtype() != kpm.dtype()) {
      if (am.dtype() == kBool) am = additive(am);
      if (kpm.dtype() == kBool) kpm = additive(kpm);
    }
    Tensor m = !am.defined() ? kpm : !kpm.defined() ? am : am.dtype() == kBool ? am.logical_or(kpm) : am + kpm;
    mask = m.dtype() == kBool ? m.logical_not() : m;  // attend() takes bool masks as "take part"
  }

  auto [out, weights] = attend(split_heads(q, L), split_heads(k, S), split_heads(v, S), mask,
                               training ? dropout_p : 0.0, 1.0 / std::sqrt(static_cast<double>(D)), fn);
  out = linear(out.permute({2, 0, 1, 3}).reshape({L, N, E}), out_proj_weight, out_proj_bias);
  if (need_weights) {
    if (average_attn_weights) weights = weights.mean(1);
    if (!batched) weights = weights.squeeze(0);
  } else {
    weights = Tensor();
  }
  if (!batched) out = out.squeeze(1);
  return {out, weights};
}

}  // namespace seek::nn::functional

namespace seek::nn {

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout, bool bias,
                                       std::optional<int64_t> kdim, std::optional<int64_t> vdim, bool batch_first,
                                       TensorOptions options, AttentionConfig attention)
    : Module("MultiheadAttention"),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(kdim.value_or(embed_dim)),
      vdim_(vdim.value_or(embed_dim)),
      dropout_(dropout),
      bias_(bias),
      batch_first_(batch_first),
      attention_(std::move(attention)) {
  SEEK_CHECK_VALUE(attention_.kind == "full" || attention_.kind == "lsh",
                   "MultiheadAttention: attention must be \"full\" or \"lsh\", got \"", attention_.kind, "\"");
  SEEK_CHECK_VALUE(embed_dim > 0 && num_heads > 0, "MultiheadAttention: embed_dim and num_heads must be > 0, got ",
                   "embed_dim=", embed_dim, " num_heads=", num_heads);
  SEEK_CHECK_VALUE(embed_dim % num_heads == 0, "MultiheadAttention: embed_dim must be divisible by num_heads, got ",
                   "embed_dim=", embed_dim, " num_heads=", num_heads);
  SEEK_CHECK_VALUE(kdim_ > 0 && vdim_ > 0, "MultiheadAttention: kdim and vdim must be > 0, got kdim=", kdim_,
                   " vdim=", vdim_);
  SEEK_CHECK_VALUE(dropout >= 0.0 && dropout <= 1.0, "MultiheadAttention: dropout must be in [0, 1], got ", dropout);
  TensorOptions opts = options.requires_grad(false);
  if (qkv_same_embed_dim()) {
    register_parameter("in_proj_weight", zeros({3 * embed_dim, embed_dim}, opts));
  } else {
    register_parameter("q_proj_weight", zeros({embed_dim, embed_dim}, opts));
    register_parameter("k_proj_weight", zeros({embed_dim, kdim_}, opts));
    register_parameter("v_proj_weight", zeros({embed_dim, vdim_}, opts));
  }
  if (bias) register_parameter("in_proj_bias", zeros({3 * embed_dim}, opts));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, bias, options));
  reset_parameters();
}

void MultiheadAttention::reset_parameters() {
  if (qkv_same_embed_dim()) {
    init::xavier_uniform_(param("in_proj_weight"));
  } else {
    init::xavier_uniform_(param("q_proj_weight"));
    init::xavier_uniform_(param("k_proj_weight"));
    init::xavier_uniform_(param("v_proj_weight"));
  }
  if (bias_) {
    init::zeros_(param("in_proj_bias"));
    init::zeros_(out_proj_->bias());
  }
}

std::shared_ptr<Linear> MultiheadAttention::out_proj() const { return out_proj_.get(); }

std::tuple<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                       const Tensor& key_padding_mask, bool need_weights,
                                                       const Tensor& attn_mask, bool average_attn_weights,
                                                       bool is_causal) {
  SEEK_CHECK_VALUE(query.defined() && key.defined() && value.defined(),
                   "MultiheadAttention: query, key and value must be defined");
  const bool swap = batch_first_ && query.dim() == 3;
  Tensor q = query, k = key, v = value;
  if (swap) {  // to sequence first, keeping shared inputs shared so self-attention uses one projection
    q = query.transpose(0, 1);
    k = key.is_same(query) ? q : key.transpose(0, 1);
    v = value.is_same(key) ? k : value.transpose(0, 1);
  }
  const bool packed = qkv_same_embed_dim();
  Linear& out_proj = *out_proj_;  // the Linear registered now (torch reads self.out_proj.weight too)
  auto [out, weights] = functional::multi_head_attention_forward(
      q, k, v, num_heads_, packed ? param("in_proj_weight") : Tensor(), bias_ ? param("in_proj_bias") : Tensor(),
      out_proj.weight(), out_proj.has_bias() ? out_proj.bias() : Tensor(), dropout_, is_training(), key_padding_mask,
      need_weights, attn_mask, packed ? Tensor() : param("q_proj_weight"), packed ? Tensor() : param("k_proj_weight"),
      packed ? Tensor() : param("v_proj_weight"), average_attn_weights, is_causal, attention_);
  if (swap) out = out.transpose(0, 1);
  return {out, weights};
}

}  // namespace seek::nn

namespace seek::nn {

LSHAttention::LSHAttention(LSHAttentionOptions options) : Module("LSHAttention"), options_(options) {
  SEEK_CHECK_VALUE(options.n_buckets == 1 || (options.n_buckets >= 2 && options.n_buckets % 2 == 0),
                   "LSHAttention: n_buckets must be 1 or an even number >= 2, got ", options.n_buckets);
  SEEK_CHECK_VALUE(options.n_hashes >= 1 && options.chunk_size >= 1,
                   "LSHAttention: n_hashes and chunk_size must be >= 1, got n_hashes=", options.n_hashes,
                   " chunk_size=", options.chunk_size);
}

Tensor LSHAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                             const Tensor& key_padding_mask) {
  return functional::lsh_attention(query, key, value, options_, key_padding_mask);
}

Tensor LSHAttention::forward(const Tensor& x) {
  SEEK_CHECK_VALUE(options_.shared_qk, "LSHAttention: forward(x) is shared-QK self-attention (x is query and value); ",
                   "construct with shared_qk, or call forward(query, key, value)");
  return functional::lsh_attention(x, Tensor(), x, options_);
}

}  // namespace seek::nn
