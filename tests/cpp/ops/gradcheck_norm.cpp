// Gradcheck cases for the norm ops (seek::batch_norm, seek::group_norm) called directly,
// not through nn: training mode with and without running statistics, eval mode, and
// group norm with and without the affine parameters. Running stats are fresh per
// evaluation so that every call computes the same function.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

namespace {
Tensor arg(const V& x, size_t i) { return x.size() > i ? x[i] : Tensor(); }
}  // namespace

SEEK_GRADCHECK_CASE({"batch_norm_train", {{4, 3, 2}, {3}, {3}}, [](const V& x) {
                       Tensor rm = zeros({3}, kFloat64), rv = ones({3}, kFloat64);
                       return batch_norm(x[0], rm, rv, arg(x, 1), arg(x, 2), /*training=*/true);
                     }});
SEEK_GRADCHECK_CASE({"batch_norm_batch_stats_no_running", {{3, 2, 2, 2}, {2}}, [](const V& x) {
                       return batch_norm(x[0], Tensor(), Tensor(), x[1], Tensor(), /*training=*/false);
                     }});
SEEK_GRADCHECK_CASE({"batch_norm_eval", {{3, 2, 3}, {2}, {2}}, [](const V& x) {
                       Tensor rm = tensor<double>({0.25, -0.5}, {2}), rv = tensor<double>({0.75, 1.5}, {2});
                       return batch_norm(x[0], rm, rv, x[1], x[2], /*training=*/false);
                     }});
SEEK_GRADCHECK_CASE({"group_norm", {{2, 4, 3}, {4}, {4}}, [](const V& x) { return group_norm(x[0], 2, x[1], x[2]); }});
SEEK_GRADCHECK_CASE({"group_norm_noaffine", {{2, 6, 2, 2}}, [](const V& x) { return group_norm(x[0], 3); }});
