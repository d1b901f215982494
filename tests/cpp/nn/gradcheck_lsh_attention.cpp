// Gradcheck cases (float64) for LSH attention: the hand-written backward (scores recomputed from
// q, k and the saved log-sum-exp) through hashing with several buckets, rounds and chunks, the
// causal and padding masks, shared-QK (the self score and the key normalisation), and the
// MultiheadAttention "lsh" option. The hashes are fixed by a seed, so the finite differences
// (eps 1e-6) do not move a position to another bucket.
#include "nn/attention_test_util.h"
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;
using seek::testing::bool_mask;

namespace {

LSHAttentionOptions hashed() { return LSHAttentionOptions().buckets(4).hashes(2).chunk(3).with_seed(5); }
Tensor padding() { return bool_mask({0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, {2, 8}); }

}  // namespace

SEEK_GRADCHECK_CASE({"nn_lsh_attention", {{2, 2, 8, 4}, {2, 2, 8, 4}, {2, 2, 8, 3}}, [](const V& x) {
                       return F::lsh_attention(x[0], x[1], x[2], hashed());
                     }});
SEEK_GRADCHECK_CASE({"nn_lsh_attention_causal_padding", {{2, 2, 8, 4}, {2, 2, 8, 4}, {2, 2, 8, 3}}, [](const V& x) {
                       return F::lsh_attention(x[0], x[1], x[2], hashed().is_causal(true), padding());
                     }});
SEEK_GRADCHECK_CASE({"nn_lsh_attention_shared_qk", {{2, 2, 8, 4}, {2, 2, 8, 3}}, [](const V& x) {
                       return F::lsh_attention(x[0], Tensor(), x[1], hashed().shared(true), padding());
                     }});
SEEK_GRADCHECK_CASE({"nn_lsh_attention_shared_qk_causal_one_bucket", {{1, 3, 7, 4}, {1, 3, 7, 2}}, [](const V& x) {
                       return F::lsh_attention(
                           x[0], Tensor(), x[1],
                           LSHAttentionOptions().buckets(1).hashes(2).chunk(2).shared(true).is_causal(true));
                     }});
// MultiheadAttention in "lsh" mode: input [L=6, N=2, E=4], in_proj_weight and out_proj_weight.
SEEK_GRADCHECK_CASE({"nn_mha_lsh", {{6, 2, 4}, {12, 4}, {4, 4}}, [](const V& x) {
                       nn::AttentionConfig cfg = nn::AttentionConfig::lsh_attention(hashed());
                       return std::get<0>(F::multi_head_attention_forward(x[0], x[0], x[0], 2, x[1], {}, x[2], {}, 0.0,
                                                                          true, {}, false, {}, {}, {}, {}, true, false,
                                                                          cfg));
                     }});
