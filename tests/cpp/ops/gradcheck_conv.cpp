// Gradcheck cases for the conv and pool families.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

// conv2d: input, weight, bias
SEEK_GRADCHECK_CASE({"conv2d_basic", {{2, 3, 5, 5}, {4, 3, 3, 3}, {4}}, [](const V& x) {
                       return conv2d(x[0], x[1], x[2]);
                     }});
SEEK_GRADCHECK_CASE({"conv2d_stride_padding", {{2, 2, 6, 5}, {3, 2, 3, 2}, {3}}, [](const V& x) {
                       return conv2d(x[0], x[1], x[2], {2, 1}, {1, 2});
                     }});
SEEK_GRADCHECK_CASE({"conv2d_dilation", {{1, 2, 7, 7}, {2, 2, 3, 3}, {2}}, [](const V& x) {
                       return conv2d(x[0], x[1], x[2], 1, 1, 2);
                     }});
SEEK_GRADCHECK_CASE({"conv2d_groups", {{2, 4, 5, 4}, {6, 2, 2, 3}, {6}}, [](const V& x) {
                       return conv2d(x[0], x[1], x[2], 1, 1, 1, 2);
                     }});
SEEK_GRADCHECK_CASE({"conv2d_depthwise_no_bias", {{2, 3, 5, 5}, {3, 1, 3, 3}}, [](const V& x) {
                       return conv2d(x[0], x[1], Tensor(), 2, 1, 1, 3);
                     }});
SEEK_GRADCHECK_CASE({"conv2d_unbatched", {{2, 4, 4}, {3, 2, 2, 2}, {3}}, [](const V& x) {
                       return conv2d(x[0], x[1], x[2]);
                     }});

// conv_transpose2d: input, weight [C_in, C_out/groups, kH, kW], bias
SEEK_GRADCHECK_CASE({"conv_transpose2d_basic", {{2, 3, 3, 3}, {3, 2, 3, 3}, {2}}, [](const V& x) {
                       return conv_transpose2d(x[0], x[1], x[2]);
                     }});
SEEK_GRADCHECK_CASE({"conv_transpose2d_stride_padding_outpad", {{1, 2, 3, 4}, {2, 3, 3, 2}, {3}}, [](const V& x) {
                       return conv_transpose2d(x[0], x[1], x[2], 2, 1, 1);
                     }});
SEEK_GRADCHECK_CASE({"conv_transpose2d_groups_dilation", {{2, 4, 3, 3}, {4, 1, 2, 2}, {2}}, [](const V& x) {
                       return conv_transpose2d(x[0], x[1], x[2], 1, 0, 0, 2, 2);
                     }});

// Pooling. Uniform draws are distinct, so max windows have no ties.
SEEK_GRADCHECK_CASE({"max_pool2d_basic", {{2, 3, 4, 4}}, [](const V& x) { return max_pool2d(x[0], 2); }});
SEEK_GRADCHECK_CASE({"max_pool2d_overlap_pad_ceil", {{1, 2, 5, 6}}, [](const V& x) {
                       return max_pool2d(x[0], 3, 2, 1, 1, true);
                     }});
SEEK_GRADCHECK_CASE({"max_pool2d_dilation", {{1, 2, 6, 6}}, [](const V& x) { return max_pool2d(x[0], 2, 1, 0, 2); }});
SEEK_GRADCHECK_CASE({"avg_pool2d_basic", {{2, 3, 4, 4}}, [](const V& x) { return avg_pool2d(x[0], 2); }});
SEEK_GRADCHECK_CASE({"avg_pool2d_pad_exclude_ceil", {{1, 2, 5, 6}}, [](const V& x) {
                       return avg_pool2d(x[0], 3, 2, 1, true, false);
                     }});
SEEK_GRADCHECK_CASE({"avg_pool2d_pad_include", {{1, 2, 5, 5}}, [](const V& x) {
                       return avg_pool2d(x[0], {3, 2}, {2, 1}, 1);
                     }});
SEEK_GRADCHECK_CASE({"adaptive_avg_pool2d_uneven", {{2, 2, 5, 7}}, [](const V& x) {
                       return adaptive_avg_pool2d(x[0], {3, 4});
                     }});
SEEK_GRADCHECK_CASE({"adaptive_avg_pool2d_global", {{2, 3, 4, 3}}, [](const V& x) {
                       return adaptive_avg_pool2d(x[0], 1);
                     }});
