// Gradcheck cases for the reduction and softmax families.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

namespace {
// x - c, where c equals x's starting value at flat position k and 0 elsewhere:
// an input with an exact zero at k that finite differences still move.
Tensor zero_at(const Tensor& x, int64_t k) {
  Tensor start = testing::gradcheck_input(x.sizes(), -1.0, 1.0, 17).detach();
  std::vector<double> onehot(static_cast<size_t>(x.numel()), 0.0);
  onehot[static_cast<size_t>(k)] = 1.0;
  return x - start * tensor<double>(onehot, x.sizes());
}
}  // namespace

SEEK_GRADCHECK_CASE({"sum_all", {{2, 3}}, [](const V& x) { return x[0].sum(); }});
SEEK_GRADCHECK_CASE({"sum_dims_0_2", {{2, 3, 4}}, [](const V& x) { return x[0].sum({0, 2}); }});
SEEK_GRADCHECK_CASE({"sum_dim_neg1_keepdim", {{3, 4}}, [](const V& x) { return x[0].sum(-1, true); }});
SEEK_GRADCHECK_CASE({"sum_strided", {{4, 3}}, [](const V& x) { return x[0].t().sum(1); }});
SEEK_GRADCHECK_CASE({"mean_all", {{2, 3}}, [](const V& x) { return x[0].mean(); }});
SEEK_GRADCHECK_CASE({"mean_dim1_keepdim", {{2, 3, 4}}, [](const V& x) { return x[0].mean({1}, true); }});
SEEK_GRADCHECK_CASE({"prod_all", {{2, 3}}, [](const V& x) { return x[0].prod(); }, 0.5, 1.5});
SEEK_GRADCHECK_CASE({"prod_dim0", {{3, 4}}, [](const V& x) { return x[0].prod(0); }});
SEEK_GRADCHECK_CASE({"prod_dim_neg1_keepdim", {{2, 3, 4}}, [](const V& x) { return x[0].prod(-1, true); }});
SEEK_GRADCHECK_CASE({"prod_one_zero", {{2, 4}}, [](const V& x) { return zero_at(x[0], 5).prod(1); }});
SEEK_GRADCHECK_CASE({"prod_all_one_zero", {{6}}, [](const V& x) { return zero_at(x[0], 2).prod(); }});
SEEK_GRADCHECK_CASE({"max_all", {{3, 4}}, [](const V& x) { return x[0].max(); }});
SEEK_GRADCHECK_CASE({"min_all", {{3, 4}}, [](const V& x) { return x[0].min(); }});
SEEK_GRADCHECK_CASE({"max_dim0", {{3, 4}}, [](const V& x) { return std::get<0>(x[0].max(0)); }});
SEEK_GRADCHECK_CASE({"max_dim1_keepdim", {{2, 5, 3}}, [](const V& x) { return std::get<0>(x[0].max(1, true)); }});
SEEK_GRADCHECK_CASE({"min_dim_last", {{2, 3, 4}}, [](const V& x) { return std::get<0>(x[0].min(-1)); }});
SEEK_GRADCHECK_CASE({"amax_dims", {{2, 3, 4}}, [](const V& x) { return x[0].amax({0, 2}); }});
SEEK_GRADCHECK_CASE({"amin_dim1_keepdim", {{3, 4}}, [](const V& x) { return x[0].amin({1}, true); }});
SEEK_GRADCHECK_CASE({"var_all", {{3, 4}}, [](const V& x) { return x[0].var(); }});
SEEK_GRADCHECK_CASE({"var_dim1_correction0", {{3, 5}}, [](const V& x) { return x[0].var({1}, 0); }});
SEEK_GRADCHECK_CASE({"var_dims_keepdim", {{2, 3, 4}}, [](const V& x) { return x[0].var({0, 2}, 1, true); }});
SEEK_GRADCHECK_CASE({"std_all", {{3, 4}}, [](const V& x) { return x[0].std(); }});
SEEK_GRADCHECK_CASE({"std_dim0_correction0", {{4, 3}}, [](const V& x) { return x[0].std({0}, 0); }});
SEEK_GRADCHECK_CASE({"var_mean", {{3, 4}}, [](const V& x) {
                       auto [v, m] = var_mean(x[0], {1});
                       return v + m * 2.0;
                     }});
SEEK_GRADCHECK_CASE({"std_mean", {{3, 4}}, [](const V& x) {
                       auto [s, m] = std_mean(x[0], {0}, 0);
                       return s - m;
                     }});
SEEK_GRADCHECK_CASE({"norm_p2", {{3, 4}}, [](const V& x) { return x[0].norm(); }});
SEEK_GRADCHECK_CASE({"norm_p2_dim1", {{3, 4}}, [](const V& x) { return x[0].norm(2.0, {1}); }});
SEEK_GRADCHECK_CASE({"norm_p1_dim0_keepdim", {{3, 4}}, [](const V& x) { return x[0].norm(1.0, {0}, true); }});
SEEK_GRADCHECK_CASE({"norm_inf", {{3, 4}}, [](const V& x) { return x[0].norm(INFINITY); }});
SEEK_GRADCHECK_CASE({"norm_inf_dim1", {{3, 4}}, [](const V& x) { return x[0].norm(INFINITY, {1}); }});
SEEK_GRADCHECK_CASE({"norm_p3_dims", {{2, 3, 4}}, [](const V& x) { return x[0].norm(3.0, {0, 2}); }});
SEEK_GRADCHECK_CASE({"norm_p1_5", {{5}}, [](const V& x) { return x[0].norm(1.5); }, 0.2, 1.0});
SEEK_GRADCHECK_CASE({"logsumexp_dim1", {{3, 4}}, [](const V& x) { return x[0].logsumexp(1); }});
SEEK_GRADCHECK_CASE({"logsumexp_dim0_keepdim", {{3, 4}}, [](const V& x) { return x[0].logsumexp(0, true); }});
SEEK_GRADCHECK_CASE({"logsumexp_dims", {{2, 3, 4}}, [](const V& x) { return x[0].logsumexp({0, 2}); }});
SEEK_GRADCHECK_CASE({"logsumexp_all", {{2, 3}}, [](const V& x) { return x[0].logsumexp({0, 1}); }});
SEEK_GRADCHECK_CASE({"cumsum_dim0", {{3, 4}}, [](const V& x) { return x[0].cumsum(0); }});
SEEK_GRADCHECK_CASE({"cumsum_dim1", {{2, 3, 4}}, [](const V& x) { return x[0].cumsum(1); }});
SEEK_GRADCHECK_CASE({"cumsum_dim_last", {{2, 5}}, [](const V& x) { return x[0].cumsum(-1); }});
SEEK_GRADCHECK_CASE({"softmax_dim0", {{3, 4, 5}}, [](const V& x) { return x[0].softmax(0); }});
SEEK_GRADCHECK_CASE({"softmax_dim1", {{3, 4, 5}}, [](const V& x) { return x[0].softmax(1); }});
SEEK_GRADCHECK_CASE({"softmax_dim_last", {{3, 4, 5}}, [](const V& x) { return x[0].softmax(-1); }});
SEEK_GRADCHECK_CASE({"softmax_strided", {{4, 5}}, [](const V& x) { return x[0].t().softmax(1); }});
SEEK_GRADCHECK_CASE({"log_softmax_dim0", {{3, 4, 5}}, [](const V& x) { return x[0].log_softmax(0); }});
SEEK_GRADCHECK_CASE({"log_softmax_dim1", {{3, 4, 5}}, [](const V& x) { return x[0].log_softmax(1); }});
SEEK_GRADCHECK_CASE({"log_softmax_dim_last", {{3, 4, 5}}, [](const V& x) { return x[0].log_softmax(-1); }});
SEEK_GRADCHECK_CASE({"log_softmax_strided", {{4, 5}}, [](const V& x) { return x[0].t().log_softmax(0); }});
