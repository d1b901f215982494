// Gradcheck cases for nn::functional layers and every loss w.r.t. its input.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;

namespace {
Tensor idx4() { return tensor<int64_t>({2, 0, 1, 2}, {4}); }
Tensor idx_ignore() { return tensor<int64_t>({2, -100, 1, 0}, {4}); }
Tensor class_w() { return tensor<double>({0.5, 2.0, 1.5}, {3}); }
Tensor probs43() { return tensor<double>({0.2, 0.5, 0.3, 1, 0, 0, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4}, {4, 3}); }
Tensor target6() { return tensor<double>({0.3, -0.8, 0.05, 0.9, -0.2, 0.4}, {2, 3}); }
Tensor prob6() { return tensor<double>({0.3, 0.8, 0.05, 0.9, 0.2, 0.4}, {2, 3}); }
}  // namespace

SEEK_GRADCHECK_CASE({"nn_linear", {{3, 4}, {2, 4}, {2}}, [](const V& x) { return F::linear(x[0], x[1], x[2]); }});
SEEK_GRADCHECK_CASE({"nn_linear_3d_nobias", {{2, 3, 4}, {5, 4}}, [](const V& x) { return F::linear(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"nn_layer_norm", {{3, 5}, {5}, {5}}, [](const V& x) {
                       return F::layer_norm(x[0], {5}, x[1], x[2]);
                     }});
SEEK_GRADCHECK_CASE({"nn_layer_norm_2d", {{2, 2, 3}}, [](const V& x) { return F::layer_norm(x[0], {2, 3}); }});
SEEK_GRADCHECK_CASE({"nn_leaky_relu", {{7}}, [](const V& x) { return F::leaky_relu(x[0], 0.1); }});
SEEK_GRADCHECK_CASE({"nn_cross_entropy", {{4, 3}}, [](const V& x) { return F::cross_entropy(x[0], idx4()); }});
SEEK_GRADCHECK_CASE({"nn_cross_entropy_weight_smooth_ignore", {{4, 3}}, [](const V& x) {
                       return F::cross_entropy(x[0], idx_ignore(), class_w(), -100, "mean", 0.15);
                     }});
SEEK_GRADCHECK_CASE({"nn_cross_entropy_none_smooth", {{4, 3}}, [](const V& x) {
                       return F::cross_entropy(x[0], idx_ignore(), class_w(), -100, "none", 0.3);
                     }});
SEEK_GRADCHECK_CASE({"nn_cross_entropy_probs", {{4, 3}}, [](const V& x) {
                       return F::cross_entropy(x[0], probs43(), class_w(), -100, "mean", 0.1);
                     }});
SEEK_GRADCHECK_CASE({"nn_cross_entropy_spatial", {{2, 3, 2}}, [](const V& x) {
                       return F::cross_entropy(x[0], tensor<int64_t>({0, 2, 1, 1}, {2, 2}), {}, -100, "sum");
                     }});
SEEK_GRADCHECK_CASE({"nn_cross_entropy_spatial_weight_smooth_ignore", {{2, 3, 2, 2}}, [](const V& x) {
                       return F::cross_entropy(x[0], tensor<int64_t>({0, 2, -100, 1, 1, 1, 2, 0}, {2, 2, 2}), class_w(),
                                               -100, "mean", 0.2);
                     }});
SEEK_GRADCHECK_CASE({"nn_nll_loss_weight", {{4, 3}}, [](const V& x) {
                       return F::nll_loss(x[0], idx_ignore(), class_w());
                     }});
SEEK_GRADCHECK_CASE({"nn_mse_loss", {{2, 3}}, [](const V& x) { return F::mse_loss(x[0], target6()); }});
SEEK_GRADCHECK_CASE({"nn_l1_loss", {{2, 3}}, [](const V& x) { return F::l1_loss(x[0], target6(), "sum"); }});
SEEK_GRADCHECK_CASE({"nn_smooth_l1_loss", {{2, 3}}, [](const V& x) {
                       return F::smooth_l1_loss(x[0], target6(), "none", 0.5);
                     }});
SEEK_GRADCHECK_CASE({"nn_binary_cross_entropy",
                     {{2, 3}},
                     [](const V& x) { return F::binary_cross_entropy(x[0], prob6(), prob6() + 0.5); },
                     0.05,
                     0.95});
SEEK_GRADCHECK_CASE(
    {"nn_bce_with_logits_pos_weight",
     {{2, 3}},
     [](const V& x) {
       return F::binary_cross_entropy_with_logits(x[0], prob6(), {}, "mean", tensor<double>({1.0, 2.5, 0.5}, {3}));
     },
     -3.0,
     3.0});
SEEK_GRADCHECK_CASE({"nn_kl_div_batchmean", {{2, 3}}, [](const V& x) {
                       return F::kl_div(x[0], prob6(), "batchmean");
                     }});
SEEK_GRADCHECK_CASE({"nn_kl_div_log_target", {{2, 3}}, [](const V& x) {
                       return F::kl_div(x[0], prob6().log(), "sum", true);
                     }});
