// Gradcheck cases for issue 12's ops: the activation rows of the unary table (each on
// both sides of its kinks), conv1d/conv3d with the padding strings, and 1-D/3-D and
// adaptive pooling.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

// ---- activation rows ----
SEEK_GRADCHECK_CASE({"elu_pos", {{2, 3}}, [](const V& x) { return elu(x[0], 0.7); }, 0.1, 2.0});
SEEK_GRADCHECK_CASE({"elu_neg", {{2, 3}}, [](const V& x) { return elu(x[0], 0.7); }, -2.0, -0.1});
SEEK_GRADCHECK_CASE({"elu_selu", {{2, 3}}, [](const V& x) { return selu(x[0]); }, -2.0, -0.1});
SEEK_GRADCHECK_CASE({"celu_neg", {{2, 3}}, [](const V& x) { return celu(x[0], 1.5); }, -2.0, -0.1});
SEEK_GRADCHECK_CASE({"celu_pos", {{2, 3}}, [](const V& x) { return celu(x[0], 1.5); }, 0.1, 2.0});
SEEK_GRADCHECK_CASE({"mish", {{2, 3}}, [](const V& x) { return mish(x[0]); }, -4.0, 4.0});
SEEK_GRADCHECK_CASE({"logsigmoid", {{2, 3}}, [](const V& x) { return logsigmoid(x[0]); }, -6.0, 6.0});
SEEK_GRADCHECK_CASE({"softsign_pos", {{2, 3}}, [](const V& x) { return softsign(x[0]); }, 0.1, 3.0});
SEEK_GRADCHECK_CASE({"softsign_neg", {{2, 3}}, [](const V& x) { return softsign(x[0]); }, -3.0, -0.1});
SEEK_GRADCHECK_CASE({"hardtanh_mid", {{2, 3}}, [](const V& x) { return hardtanh(x[0], -0.5, 1.5); }, -0.4, 1.4});
SEEK_GRADCHECK_CASE({"hardtanh_out", {{2, 3}}, [](const V& x) { return hardtanh(x[0], -0.5, 1.5); }, 1.6, 3.0});
SEEK_GRADCHECK_CASE({"threshold_above", {{2, 3}}, [](const V& x) { return threshold(x[0], 0.2, -1.0); }, 0.3, 2.0});
SEEK_GRADCHECK_CASE({"threshold_below", {{2, 3}}, [](const V& x) { return threshold(x[0], 0.2, -1.0); }, -2.0, 0.1});
SEEK_GRADCHECK_CASE({"softshrink_out", {{2, 3}}, [](const V& x) { return softshrink(x[0], 0.5); }, 0.6, 2.0});
SEEK_GRADCHECK_CASE({"softshrink_in", {{2, 3}}, [](const V& x) { return softshrink(x[0], 0.5); }, -0.4, 0.4});
SEEK_GRADCHECK_CASE({"hardshrink_out", {{2, 3}}, [](const V& x) { return hardshrink(x[0], 0.5); }, -2.0, -0.6});
SEEK_GRADCHECK_CASE({"hardshrink_in", {{2, 3}}, [](const V& x) { return hardshrink(x[0], 0.5); }, -0.4, 0.4});
SEEK_GRADCHECK_CASE({"tanhshrink", {{2, 3}}, [](const V& x) { return tanhshrink(x[0]); }, -2.0, 2.0});

// ---- conv and pool ----
SEEK_GRADCHECK_CASE({"conv1d", {{2, 4, 9}, {6, 2, 3}, {6}}, [](const V& x) {
                       return conv1d(x[0], x[1], x[2], {2}, {1}, {2}, 2);
                     }});
SEEK_GRADCHECK_CASE({"conv1d_same", {{1, 2, 7}, {3, 2, 4}}, [](const V& x) {
                       return convolution(x[0], x[1], {}, {1}, std::string("same"), {1}, 1);
                     }});
SEEK_GRADCHECK_CASE({"conv3d", {{1, 4, 4, 3, 4}, {4, 2, 2, 2, 3}, {4}}, [](const V& x) {
                       return conv3d(x[0], x[1], x[2], {2, 1, 1}, {1, 0, 1}, {1, 1, 1}, 2);
                     }});
SEEK_GRADCHECK_CASE({"conv3d_dilated_same", {{1, 2, 4, 3, 3}, {2, 2, 2, 2, 1}}, [](const V& x) {
                       return convolution(x[0], x[1], {}, {1}, std::string("same"), {2, 1, 1}, 1);
                     }});
SEEK_GRADCHECK_CASE({"max_pool1d", {{2, 3, 9}}, [](const V& x) { return max_pool1d(x[0], 3, 2, 1); }});
SEEK_GRADCHECK_CASE({"avg_pool1d", {{2, 3, 9}}, [](const V& x) { return avg_pool1d(x[0], 3, 2, 1, true, false); }});
SEEK_GRADCHECK_CASE({"max_pool3d", {{1, 2, 4, 5, 4}}, [](const V& x) {
                       return max_pool3d(x[0], {2, 3, 2}, {1, 2, 2}, {1, 1, 0});
                     }});
SEEK_GRADCHECK_CASE({"avg_pool3d", {{1, 2, 5, 4, 5}}, [](const V& x) {
                       return avg_pool3d(x[0], {2}, {}, {1}, true, false);
                     }});
SEEK_GRADCHECK_CASE({"adaptive_max_pool2d", {{2, 2, 7, 5}}, [](const V& x) {
                       return adaptive_max_pool2d(x[0], {3, 2}).first;
                     }});
SEEK_GRADCHECK_CASE({"adaptive_max_pool1d", {{2, 3, 8}}, [](const V& x) {
                       return adaptive_max_pool1d(x[0], 3).first;
                     }});
SEEK_GRADCHECK_CASE({"adaptive_avg_pool1d", {{2, 3, 7}}, [](const V& x) { return adaptive_avg_pool1d(x[0], 3); }});
