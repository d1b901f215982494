// Gradcheck cases for the ops of seek/ops/shape_extra.h, linalg_extra.h and index_extra.h:
// flip ... unfold, einsum and the other products, scatter_reduce and the other indexing ops.
// Inputs are random, so amax/amin see no ties; the prod cases put exact zeros in by a mask.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

namespace {
Tensor i64(const std::vector<int64_t>& v, const Shape& s) { return tensor<int64_t>(v, s); }
Tensor f64(const std::vector<double>& v, const Shape& s) { return tensor<double>(v, s); }
// Sum of the outputs, each weighted differently, so that one gradcheck sees all of them.
Tensor join(const std::vector<Tensor>& outs) {
  Tensor acc;
  for (size_t i = 0; i < outs.size(); ++i) {
    Tensor t = outs[i].reshape({-1}) * static_cast<double>(i + 1);
    acc = acc.defined() ? cat({acc, t}) : t;
  }
  return acc;
}
}  // namespace

// ---- shape ----
SEEK_GRADCHECK_CASE({"flip_dims", {{2, 3, 4}}, [](const V& x) { return x[0].flip({0, -1}); }});
SEEK_GRADCHECK_CASE({"flip_noncontiguous", {{3, 4}}, [](const V& x) { return x[0].t().flip({1}); }});
SEEK_GRADCHECK_CASE({"fliplr", {{3, 4}}, [](const V& x) { return x[0].fliplr(); }});
SEEK_GRADCHECK_CASE({"flipud", {{3, 4}}, [](const V& x) { return x[0].flipud(); }});
SEEK_GRADCHECK_CASE({"roll_flat", {{3, 4}}, [](const V& x) { return x[0].roll({5}); }});
SEEK_GRADCHECK_CASE({"roll_dims", {{3, 4}}, [](const V& x) { return x[0].roll({-1, 2}, {0, 1}); }});
SEEK_GRADCHECK_CASE({"repeat_more_dims", {{2, 3}}, [](const V& x) { return x[0].repeat({2, 1, 3}); }});
SEEK_GRADCHECK_CASE({"tile_fewer", {{2, 3}}, [](const V& x) { return x[0].tile({2}); }});
SEEK_GRADCHECK_CASE({"tril", {{4, 4}}, [](const V& x) { return x[0].tril(); }});
SEEK_GRADCHECK_CASE({"triu_batched_offset", {{2, 3, 4}}, [](const V& x) { return x[0].triu(1); }});
SEEK_GRADCHECK_CASE({"repeat_interleave_int", {{2, 3}}, [](const V& x) { return x[0].repeat_interleave(2, 1); }});
SEEK_GRADCHECK_CASE({"repeat_interleave_tensor", {{3, 2}}, [](const V& x) {
                       return x[0].repeat_interleave(i64({2, 0, 3}, {3}), 0);
                     }});
SEEK_GRADCHECK_CASE({"broadcast_to", {{3, 1}}, [](const V& x) { return broadcast_to(x[0], {2, 3, 4}); }});
SEEK_GRADCHECK_CASE({"broadcast_tensors", {{3, 1}, {4}}, [](const V& x) { return join(broadcast_tensors(x)); }});
SEEK_GRADCHECK_CASE({"diagonal_offset", {{4, 5}}, [](const V& x) { return x[0].diagonal(1); }});
SEEK_GRADCHECK_CASE({"diagonal_dims", {{2, 3, 4}}, [](const V& x) { return x[0].diagonal(-1, 2, 0); }});
SEEK_GRADCHECK_CASE({"diag_vector", {{3}}, [](const V& x) { return x[0].diag(-1); }});
SEEK_GRADCHECK_CASE({"diag_matrix", {{3, 4}}, [](const V& x) { return x[0].diag(1); }});
SEEK_GRADCHECK_CASE({"diag_embed", {{2, 3}}, [](const V& x) { return x[0].diag_embed(1, 0, 2); }});
SEEK_GRADCHECK_CASE({"meshgrid_xy", {{3}, {2}, {4}}, [](const V& x) { return join(meshgrid(x, "xy")); }});
SEEK_GRADCHECK_CASE({"unfold_overlapping", {{2, 7}}, [](const V& x) { return x[0].unfold(1, 3, 2); }});
SEEK_GRADCHECK_CASE({"unfold_noncontiguous", {{5, 3}}, [](const V& x) { return x[0].t().unfold(1, 2, 1); }});
SEEK_GRADCHECK_CASE({"rot90_k1", {{3, 4}}, [](const V& x) { return x[0].rot90(); }});
SEEK_GRADCHECK_CASE({"rot90_k3_dims", {{2, 3, 4}}, [](const V& x) { return x[0].rot90(3, {2, 0}); }});
SEEK_GRADCHECK_CASE({"movedim_several", {{2, 3, 4}}, [](const V& x) { return x[0].movedim({0, 1}, {2, 0}) * 2.0; }});
SEEK_GRADCHECK_CASE({"tensor_split_sections", {{7, 2}}, [](const V& x) { return join(x[0].tensor_split(3)); }});

// ---- products ----
SEEK_GRADCHECK_CASE({"einsum_matmul", {{3, 4}, {4, 5}}, [](const V& x) { return einsum("ij,jk->ik", x); }});
SEEK_GRADCHECK_CASE({"einsum_attention", {{2, 2, 3, 4}, {2, 2, 5, 4}}, [](const V& x) {
                       return einsum("bhqd,bhkd->bhqk", x);
                     }});
SEEK_GRADCHECK_CASE({"einsum_trace", {{4, 4}}, [](const V& x) { return einsum("ii", x); }});
SEEK_GRADCHECK_CASE({"einsum_diagonal", {{4, 4}}, [](const V& x) { return einsum("ii->i", x); }});
SEEK_GRADCHECK_CASE({"einsum_outer", {{3}, {4}}, [](const V& x) { return einsum("i,j->ij", x); }});
SEEK_GRADCHECK_CASE({"einsum_ellipsis_broadcast", {{2, 1, 3, 4}, {3, 4, 2}}, [](const V& x) {
                       return einsum("...ij,...jk", x);
                     }});
SEEK_GRADCHECK_CASE({"einsum_sum", {{3, 4}}, [](const V& x) { return einsum("ij->", x); }});
SEEK_GRADCHECK_CASE({"einsum_three", {{2, 3}, {4, 3, 5}, {2, 5}}, [](const V& x) {
                       return einsum("bn,anm,bm->ba", x);
                     }});
SEEK_GRADCHECK_CASE({"baddbmm", {{2, 3, 5}, {2, 3, 4}, {2, 4, 5}}, [](const V& x) {
                       return baddbmm(x[0], x[1], x[2], 0.5, 2.0);
                     }});
SEEK_GRADCHECK_CASE({"baddbmm_broadcast_beta0", {{3, 5}, {2, 3, 4}, {2, 4, 5}}, [](const V& x) {
                       return baddbmm(x[0], x[1], x[2], 0.0);
                     }});
SEEK_GRADCHECK_CASE({"addbmm", {{3, 5}, {2, 3, 4}, {2, 4, 5}}, [](const V& x) {
                       return addbmm(x[0], x[1], x[2], 2.0, 0.5);
                     }});
SEEK_GRADCHECK_CASE({"tensordot_int", {{3, 4, 2}, {4, 2, 3}}, [](const V& x) { return tensordot(x[0], x[1], 2); }});
SEEK_GRADCHECK_CASE({"tensordot_lists", {{3, 4, 2}, {4, 3, 5}}, [](const V& x) {
                       return tensordot(x[0], x[1], {1, 0}, {0, 1});
                     }});
SEEK_GRADCHECK_CASE({"kron", {{2, 3}, {3}}, [](const V& x) { return kron(x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"vdot", {{5}, {5}}, [](const V& x) { return vdot(x[0], x[1]); }});

// ---- indexing ----
namespace {
Tensor idx2x5() { return i64({0, 1, 2, 0, 0, 2, 0, 1, 1, 2}, {2, 5}); }
}  // namespace
SEEK_GRADCHECK_CASE({"scatter_reduce_sum_self", {{3, 5}, {2, 5}}, [](const V& x) {
                       return scatter_reduce(x[0], 0, idx2x5(), x[1], "sum", true);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_sum_noself_dim1", {{5, 3}, {5, 3}}, [](const V& x) {
                       return scatter_reduce(x[0], 1, idx2x5().t().narrow(1, 0, 2), x[1], "sum", false);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_prod_self", {{3, 5}, {2, 5}}, [](const V& x) {
                       return scatter_reduce(x[0], 0, idx2x5(), x[1], "prod", true);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_prod_noself_dim1", {{5, 3}, {5, 3}}, [](const V& x) {
                       return scatter_reduce(x[0], 1, idx2x5().t().narrow(1, 0, 2), x[1], "prod", false);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_mean_self", {{3, 5}, {2, 5}}, [](const V& x) {
                       return scatter_reduce(x[0], 0, idx2x5(), x[1], "mean", true);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_mean_noself_dim1", {{5, 3}, {5, 3}}, [](const V& x) {
                       return scatter_reduce(x[0], 1, idx2x5().t().narrow(1, 0, 2), x[1], "mean", false);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_amax_self", {{3, 5}, {2, 5}}, [](const V& x) {
                       return scatter_reduce(x[0], 0, idx2x5(), x[1], "amax", true);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_amax_noself_dim1", {{5, 3}, {5, 3}}, [](const V& x) {
                       return scatter_reduce(x[0], 1, idx2x5().t().narrow(1, 0, 2), x[1], "amax", false);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_amin_self", {{3, 5}, {2, 5}}, [](const V& x) {
                       return scatter_reduce(x[0], 0, idx2x5(), x[1], "amin", true);
                     }});
SEEK_GRADCHECK_CASE({"scatter_reduce_amin_noself_dim1", {{5, 3}, {5, 3}}, [](const V& x) {
                       return scatter_reduce(x[0], 1, idx2x5().t().narrow(1, 0, 2), x[1], "amin", false);
                     }});
// Exact zeros in self and src: one zero alone at a position, two zeros meeting at another.
SEEK_GRADCHECK_CASE({"scatter_reduce_prod_zeros", {{3, 5}, {2, 5}}, [](const V& x) {
                       Tensor self = x[0] * f64({1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 5});
                       Tensor src = x[1] * f64({0, 1, 1, 1, 0, 1, 0, 1, 1, 1}, {2, 5});
                       return scatter_reduce(self, 0, idx2x5(), src, "prod", true);
                     }});
SEEK_GRADCHECK_CASE({"take_along_dim_broadcast", {{2, 3, 4}}, [](const V& x) {
                       return take_along_dim(x[0], i64({0, 3, 1, 1, 2, 0}, {1, 3, 2}), 2);
                     }});
SEEK_GRADCHECK_CASE({"take_along_dim_flat", {{3, 4}}, [](const V& x) {
                       return take_along_dim(x[0], i64({11, 0, 5, 5}, {4}));
                     }});
SEEK_GRADCHECK_CASE({"index_fill", {{3, 4}}, [](const V& x) { return x[0].index_fill(1, i64({0, -1}, {2}), 2.0); }});
SEEK_GRADCHECK_CASE({"masked_scatter", {{2, 3}, {7}}, [](const V& x) {
                       return x[0].masked_scatter(tensor<bool>({true, false, true}, {3}), x[1]);
                     }});
SEEK_GRADCHECK_CASE({"index_put_accumulate", {{4, 3}, {5, 3}}, [](const V& x) {
                       return index_put(x[0], {i64({0, 2, 0, 3, 0}, {5})}, x[1], true);
                     }});
SEEK_GRADCHECK_CASE({"index_put_accumulate_inplace_broadcast", {{4, 3}, {3}}, [](const V& x) {
                       Tensor y = x[0] * 1.0;
                       y.index_put_({i64({1, 1}, {2}), Slice()}, x[1], true);
                       return y;
                     }});
