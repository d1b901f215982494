// Gradcheck cases for the index family and Python-style indexing.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

namespace {
Tensor i64(const std::vector<int64_t>& v, const Shape& s) { return tensor<int64_t>(v, s); }
}  // namespace

SEEK_GRADCHECK_CASE({"gather_dim1", {{3, 4}}, [](const V& x) {
                       return x[0].gather(1, i64({0, 3, 3, 1, 2, 2, 0, 0, 1}, {3, 3}));
                     }});
SEEK_GRADCHECK_CASE({"gather_dim0_strided", {{4, 3}}, [](const V& x) {
                       return x[0].t().gather(1, i64({3, 0, 3, 1, 1, 2}, {2, 3}));
                     }});
// scatter(src) with distinct targets (with duplicates the overwritten src values
// have no effect, which finite differences see but no formula can express).
SEEK_GRADCHECK_CASE({"scatter_src", {{3, 5}, {2, 5}}, [](const V& x) {
                       return x[0].scatter(0, i64({0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, {2, 5}), x[1]);
                     }});
SEEK_GRADCHECK_CASE({"scatter_src_smaller_index", {{4, 3}, {4, 4}}, [](const V& x) {
                       return x[0].scatter(1, i64({2, 0, 1, 0, 2, 1}, {2, 3}), x[1]);
                     }});
SEEK_GRADCHECK_CASE({"scatter_value", {{3, 4}}, [](const V& x) {
                       return x[0].scatter(1, i64({1, 3, 0}, {3, 1}), 2.5);
                     }});
SEEK_GRADCHECK_CASE({"scatter_add_duplicates", {{3, 4}, {4, 4}}, [](const V& x) {
                       return x[0].scatter_add(0, i64({0, 0, 2, 1, 0, 1, 2, 2, 1, 1, 1, 0, 2, 2, 0, 0}, {4, 4}), x[1]);
                     }});
SEEK_GRADCHECK_CASE({"index_select_duplicates", {{4, 3}}, [](const V& x) {
                       return x[0].index_select(0, i64({3, -4, 3, 1}, {4}));
                     }});
SEEK_GRADCHECK_CASE({"index_select_dim1", {{2, 5, 3}}, [](const V& x) {
                       return index_select(x[0], 1, tensor<int32_t>({4, 0, 4}));
                     }});
SEEK_GRADCHECK_CASE({"index_add_alpha", {{4, 3}, {5, 3}}, [](const V& x) {
                       return x[0].index_add(0, i64({1, 3, 1, 0, 3}, {5}), x[1], -1.5);
                     }});
SEEK_GRADCHECK_CASE({"index_add_dim1", {{2, 4}, {2, 3}}, [](const V& x) {
                       return index_add(x[0], 1, i64({2, 2, -1}, {3}), x[1]);
                     }});
SEEK_GRADCHECK_CASE({"masked_select", {{3, 4}}, [](const V& x) {
                       Tensor m = tensor<bool>(std::vector<bool>{true, false, true, true}, {4});  // broadcast over rows
                       return x[0].masked_select(m);
                     }});
SEEK_GRADCHECK_CASE({"embedding_weight", {{5, 3}}, [](const V& x) {
                       return embedding(x[0], i64({4, 0, 4, 2, 2, 2}, {2, 3}));
                     }});
// (padding_idx deliberately drops the padding row's gradient, so it is no true
// derivative and has no gradcheck case; Embedding.BackwardAccumulatesAndSkipsPadding covers it.)
SEEK_GRADCHECK_CASE({"index_advanced_read", {{4, 3, 5}}, [](const V& x) {
                       // x[[0, 3, 0], :, [4, -1, 1]] (duplicates, non-adjacent)
                       return x[0].index({i64({0, 3, 0}, {3}), Slice(), i64({4, -1, 1}, {3})});
                     }});
SEEK_GRADCHECK_CASE({"index_adjacent_broadcast", {{3, 4, 2}}, [](const V& x) {
                       return x[0].index({Slice(), i64({0, 3}, {2, 1}), i64({1, 0, 1}, {3})});
                     }});
SEEK_GRADCHECK_CASE({"index_mask_and_basic", {{2, 3, 4}}, [](const V& x) {
                       Tensor m = tensor<bool>(std::vector<bool>{true, false, true, true, true, false}, {2, 3});
                       return x[0].index({m, Slice(1, None, 2)});
                     }});
SEEK_GRADCHECK_CASE({"index_put_tensor", {{4, 3}, {2, 1}}, [](const V& x) {
                       Tensor y = x[0] * 1.0;
                       y.index_put_({i64({3, 1}, {2})}, x[1]);
                       return y;
                     }});
