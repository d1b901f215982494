// Gradcheck cases for issue 12's nn::functional layers: padded convolution, unfold/fold,
// pixel shuffles, distances, prelu/rrelu/glu/softmin and the extra losses. (The
// activation rows, conv1d/conv3d and the pools are in tests/cpp/ops/gradcheck_nn_ops.cpp.)
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;

namespace {
Tensor signs(const Shape& s) {  // fixed +1 / -1 targets
  Tensor t = empty(s, kFloat64);
  double* p = static_cast<double*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = (i * 5 + 2) % 3 == 0 ? -1.0 : 1.0;
  return t;
}
Tensor counts(const Shape& s) {
  Tensor t = empty(s, kFloat64);
  double* p = static_cast<double*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<double>((i * 7) % 5);
  return t;
}
}  // namespace

// ---- padded convolution ----
SEEK_GRADCHECK_CASE({"conv_padded_reflect", {{1, 2, 5, 4}, {2, 2, 3, 2}, {2}}, [](const V& x) {
                       return F::conv_padded(x[0], x[1], x[2], {1}, {2, 1}, "", {1}, 1, "reflect");
                     }});
SEEK_GRADCHECK_CASE({"conv_padded_circular_same", {{1, 2, 6}, {2, 2, 4}}, [](const V& x) {
                       return F::conv_padded(x[0], x[1], {}, {1}, {0}, "same", {1}, 1, "circular");
                     }});
// ---- nn::functional ----
SEEK_GRADCHECK_CASE({"nn_unfold", {{2, 2, 5, 4}}, [](const V& x) {
                       return F::unfold(x[0], {2, 3}, {1, 1}, {1}, {2, 1});
                     }});
SEEK_GRADCHECK_CASE({"nn_fold", {{2, 12, 6}}, [](const V& x) {
                       return F::fold(x[0], {4, 5}, {2, 3}, {1}, {0}, {2, 1});
                     }});
SEEK_GRADCHECK_CASE({"nn_pixel_shuffle", {{2, 8, 2, 3}}, [](const V& x) { return F::pixel_shuffle(x[0], 2); }});
SEEK_GRADCHECK_CASE({"nn_pixel_unshuffle", {{1, 2, 4, 6}}, [](const V& x) { return F::pixel_unshuffle(x[0], 2); }});
SEEK_GRADCHECK_CASE({"nn_normalize", {{3, 4}}, [](const V& x) { return F::normalize(x[0], 2.0, 1); }});
SEEK_GRADCHECK_CASE({"nn_cosine_similarity", {{3, 4}, {3, 4}}, [](const V& x) {
                       return F::cosine_similarity(x[0], x[1]);
                     }});
SEEK_GRADCHECK_CASE({"nn_pairwise_distance", {{3, 4}, {3, 4}}, [](const V& x) {
                       return F::pairwise_distance(x[0], x[1], 3.0);
                     }});
SEEK_GRADCHECK_CASE({"nn_prelu", {{2, 3, 4}, {3}}, [](const V& x) { return F::prelu(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"nn_rrelu_eval", {{2, 3}}, [](const V& x) { return F::rrelu(x[0], 0.1, 0.3, false); }});
SEEK_GRADCHECK_CASE({"nn_glu", {{2, 6}}, [](const V& x) { return F::glu(x[0], 1); }});
SEEK_GRADCHECK_CASE({"nn_softmin", {{2, 5}}, [](const V& x) { return F::softmin(x[0], 1); }});

// ---- losses ----
SEEK_GRADCHECK_CASE({"nn_huber_loss", {{3, 4}, {3, 4}}, [](const V& x) {
                       return F::huber_loss(x[0] * 3, x[1], "mean", 0.8);
                     }});
SEEK_GRADCHECK_CASE({"nn_margin_ranking_loss", {{6}, {6}}, [](const V& x) {
                       return F::margin_ranking_loss(x[0], x[1], signs({6}), 0.1, "sum");
                     }});
SEEK_GRADCHECK_CASE({"nn_triplet_margin_loss_swap", {{3, 4}, {3, 4}, {3, 4}}, [](const V& x) {
                       return F::triplet_margin_loss(x[0], x[1], x[2], 2.0, 2.0, 1e-6, true, "none");
                     }});
SEEK_GRADCHECK_CASE({"nn_cosine_embedding_loss", {{4, 3}, {4, 3}}, [](const V& x) {
                       return F::cosine_embedding_loss(x[0], x[1], signs({4}), -0.5);
                     }});
SEEK_GRADCHECK_CASE({"nn_poisson_nll_loss", {{3, 4}}, [](const V& x) {
                       return F::poisson_nll_loss(x[0], counts({3, 4}), true, true);
                     }});
SEEK_GRADCHECK_CASE({"nn_poisson_nll_loss_rate",
                     {{3, 4}},
                     [](const V& x) {
                       return F::poisson_nll_loss(x[0], counts({3, 4}), false, false, 1e-8, "sum");
                     },
                     0.2,
                     2.0});
SEEK_GRADCHECK_CASE({"nn_multilabel_soft_margin_loss", {{3, 4}, {4}}, [](const V& x) {
                       return F::multilabel_soft_margin_loss(x[0], (signs({3, 4}) + 1) * 0.5, x[1]);
                     }});
SEEK_GRADCHECK_CASE({"nn_soft_margin_loss", {{3, 4}}, [](const V& x) {
                       return F::soft_margin_loss(x[0], signs({3, 4}));
                     }});
SEEK_GRADCHECK_CASE({"nn_hinge_embedding_loss", {{3, 4}}, [](const V& x) {
                       return F::hinge_embedding_loss(x[0], signs({3, 4}), 2.0);
                     }});
SEEK_GRADCHECK_CASE({"nn_gaussian_nll_loss",
                     {{3, 4}, {3, 4}, {3, 1}},
                     [](const V& x) { return F::gaussian_nll_loss(x[0], x[1], x[2], true); },
                     0.2,
                     1.0});
