// Gradcheck cases for batch_norm (training mode) and group_norm. Running stats
// are fresh per evaluation so that every call computes the same function.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;

namespace {
Tensor bn_train(const V& x, int64_t c) {
  Tensor rm = zeros({c}, kFloat64), rv = ones({c}, kFloat64);
  return F::batch_norm(x[0], rm, rv, x.size() > 1 ? x[1] : Tensor(), x.size() > 2 ? x[2] : Tensor(), true);
}
}  // namespace

SEEK_GRADCHECK_CASE({"nn_batch_norm_1d_train", {{4, 3}, {3}, {3}}, [](const V& x) { return bn_train(x, 3); }});
SEEK_GRADCHECK_CASE({"nn_batch_norm_1d_3d_train", {{3, 2, 4}, {2}, {2}}, [](const V& x) { return bn_train(x, 2); }});
SEEK_GRADCHECK_CASE({"nn_batch_norm_2d_train", {{2, 3, 2, 2}, {3}, {3}}, [](const V& x) { return bn_train(x, 3); }});
SEEK_GRADCHECK_CASE({"nn_batch_norm_2d_train_noaffine", {{3, 2, 2, 1}}, [](const V& x) { return bn_train(x, 2); }});
SEEK_GRADCHECK_CASE({"nn_batch_norm_eval", {{3, 2, 2}, {2}, {2}}, [](const V& x) {
                       Tensor rm = tensor<double>({0.3, -0.2}, {2}), rv = tensor<double>({0.5, 2.0}, {2});
                       return F::batch_norm(x[0], rm, rv, x[1], x[2], false);
                     }});
SEEK_GRADCHECK_CASE({"nn_group_norm", {{2, 4, 3}, {4}, {4}}, [](const V& x) {
                       return F::group_norm(x[0], 2, x[1], x[2]);
                     }});
SEEK_GRADCHECK_CASE({"nn_group_norm_2d_noaffine", {{2, 6, 2, 2}}, [](const V& x) { return F::group_norm(x[0], 3); }});
