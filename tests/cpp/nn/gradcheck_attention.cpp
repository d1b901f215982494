// Gradcheck cases (float64) for scaled_dot_product_attention, multi-head
// attention (functional and module) and TransformerEncoderLayer.
#include "nn/attention_test_util.h"
#include "support/gradcheck_registry.h"
#include "support/test_util.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;
using seek::testing::bool_mask;
using seek::testing::fill_params;
using seek::testing::uniform_tensor;

namespace {

// [3, 5]: every query keeps at least one key.
Tensor sdpa_mask() { return bool_mask({1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0}, {3, 5}); }
// MHA masks (true = ignore) for L = 3, S = 5, N = 2.
Tensor mha_attn_mask() { return bool_mask({0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0}, {3, 5}); }
Tensor mha_kpm() { return bool_mask({0, 0, 0, 0, 1, 0, 1, 0, 0, 0}, {2, 5}); }

// An encoder layer (d_model 4, 2 heads, feed-forward 6, no dropout) whose src and
// in_proj_weight, linear1.weight, norm1.weight, norm2.bias are the checked inputs.
Tensor encoder_layer(const V& x, bool norm_first, const std::string& activation) {
  nn::TransformerEncoderLayer layer(4, 2, 6, 0.0, activation, 1e-5, false, norm_first, true, kFloat64);
  fill_params(layer);
  layer.self_attn()->param("in_proj_weight") = x[1];
  layer.linear1()->weight() = x[2];
  layer.norm1()->param("weight") = x[3];
  layer.norm2()->param("bias") = x[4];
  return layer.forward(x[0], {}, bool_mask({0, 0, 1, 0, 0, 0}, {2, 3}));
}

}  // namespace

SEEK_GRADCHECK_CASE({"nn_sdpa", {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, [](const V& x) {
                       return F::scaled_dot_product_attention(x[0], x[1], x[2]);
                     }});
SEEK_GRADCHECK_CASE({"nn_sdpa_bool_mask_scale", {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, [](const V& x) {
                       return F::scaled_dot_product_attention(x[0], x[1], x[2], sdpa_mask(), 0.0, false, 0.7);
                     }});
SEEK_GRADCHECK_CASE({"nn_sdpa_float_mask", {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}, {3, 5}}, [](const V& x) {
                       return F::scaled_dot_product_attention(x[0], x[1], x[2], x[3]);
                     }});
SEEK_GRADCHECK_CASE({"nn_sdpa_causal", {{2, 4, 3}, {2, 4, 3}, {2, 4, 2}}, [](const V& x) {
                       return F::scaled_dot_product_attention(x[0], x[1], x[2], {}, 0.0, true);
                     }});
// query [3, 2, 4], key/value [5, 2, 4]; in_proj_weight, in_proj_bias, out_proj weight and bias.
SEEK_GRADCHECK_CASE({"nn_mha_masks", {{3, 2, 4}, {5, 2, 4}, {5, 2, 4}, {12, 4}, {12}, {4, 4}, {4}}, [](const V& x) {
                       return std::get<0>(F::multi_head_attention_forward(x[0], x[1], x[2], 2, x[3], x[4], x[5], x[6],
                                                                          0.0, true, mha_kpm(), true, mha_attn_mask()));
                     }});
SEEK_GRADCHECK_CASE({"nn_mha_weights_per_head", {{3, 2, 4}, {5, 2, 4}, {12, 4}, {12}}, [](const V& x) {
                       Tensor w = uniform_tensor({4, 4}, -0.5, 0.5, kFloat64, 3);
                       return std::get<1>(F::multi_head_attention_forward(x[0], x[1], x[1], 2, x[2], x[3], w, {}, 0.0,
                                                                          true, {}, true, {}, {}, {}, {}, false));
                     }});
SEEK_GRADCHECK_CASE({"nn_mha_self_packed", {{3, 2, 4}, {12, 4}, {12}, {4, 4}}, [](const V& x) {
                       return std::get<0>(F::multi_head_attention_forward(x[0], x[0], x[0], 2, x[1], x[2], x[3], {}));
                     }});
// kdim 3, vdim 5: separate q/k/v projection weights.
SEEK_GRADCHECK_CASE({"nn_mha_kdim_vdim", {{3, 2, 4}, {5, 2, 3}, {5, 2, 5}, {4, 4}, {4, 3}, {4, 5}}, [](const V& x) {
                       Tensor w = uniform_tensor({4, 4}, -0.5, 0.5, kFloat64, 4);
                       return std::get<0>(F::multi_head_attention_forward(x[0], x[1], x[2], 2, {}, {}, w, {}, 0.0, true,
                                                                          {}, true, {}, x[3], x[4], x[5]));
                     }});
// The module, batch_first and unbatched: input and every parameter.
SEEK_GRADCHECK_CASE({"nn_mha_module_batch_first", {{2, 3, 4}, {12, 4}, {12}, {4, 4}, {4}}, [](const V& x) {
                       nn::MultiheadAttention m(4, 2, 0.0, true, std::nullopt, std::nullopt, true, kFloat64);
                       m.param("in_proj_weight") = x[1];
                       m.param("in_proj_bias") = x[2];
                       m.out_proj()->weight() = x[3];
                       m.out_proj()->bias() = x[4];
                       return std::get<0>(m.forward(x[0], x[0], x[0], bool_mask({0, 0, 1, 0, 0, 0}, {2, 3})));
                     }});
SEEK_GRADCHECK_CASE({"nn_mha_module_unbatched_float_mask", {{3, 4}, {3, 3}}, [](const V& x) {
                       nn::MultiheadAttention m(4, 2, 0.0, true, std::nullopt, std::nullopt, false, kFloat64);
                       fill_params(m);
                       return std::get<0>(m.forward(x[0], x[0], x[0], {}, false, x[1]));
                     }});
SEEK_GRADCHECK_CASE({"nn_transformer_encoder_layer_post_norm", {{3, 2, 4}, {12, 4}, {6, 4}, {4}, {4}}, [](const V& x) {
                       return encoder_layer(x, false, "relu");
                     }});
SEEK_GRADCHECK_CASE({"nn_transformer_encoder_layer_pre_norm_gelu",
                     {{3, 2, 4}, {12, 4}, {6, 4}, {4}, {4}},
                     [](const V& x) { return encoder_layer(x, true, "gelu"); }});
