// Sort family: sort, argsort, topk along one dim, and the backward of their
// values (the gradient goes back to the positions the indices name).
#include "seek/ops/sort.h"

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

// The wrapped dim; a 0-dim tensor (dims -1 and 0 accepted) is sorted as a 1-element row.
int64_t sort_dim(const Tensor& t, int64_t dim, const char* op) {
  const int64_t d = wrap_dim(dim, t.dim(), op);
  return t.dim() == 0 ? 0 : d;
}
Tensor as_rows(const Tensor& t) { return t.dim() == 0 ? t.detach().view({1}) : t.detach(); }

// Forward only: (values, indices) of sort or topk (k >= 0) along d, no history.
std::tuple<Tensor, Tensor> sort_forward(const Tensor& t, int64_t d, bool descending, bool stable,
                                        std::optional<int64_t> k, bool sorted) {
  NoGradGuard no_grad;
  Tensor in = as_rows(t);
  Shape shape = in.sizes();
  if (k) shape[d] = *k;
  Tensor values = alloc(shape, t.dtype(), t.device());
  Tensor indices = alloc(shape, kInt64, t.device());
  if (values.numel() > 0) {
    if (k)
      backend(t.device()).topk(in, *k, d, /*largest=*/descending, sorted, values, indices);
    else
      backend(t.device()).sort(in, d, descending, stable, values, indices);
  }
  if (t.dim() == 0 && values.numel() == 1) return {values.view({}), indices.view({})};
  return {values, indices};
}

// Records the values' backward: zeros of the input's shape with g written at `indices`.
void record_values_backward(const char* name, const Tensor& input, const Tensor& values, const Tensor& indices,
                            int64_t d) {
  if (!autograd::needs_grad({input})) return;
  Shape in_shape = input.sizes();
  autograd::record(name, {input}, {values, indices},
                   [in_shape, d, si = SavedTensor(indices)](const variable_list& g, const std::vector<bool>&) {
                     if (in_shape.empty()) {  // 0-dim input: identity (or nothing selected when k = 0)
                       return variable_list{g[0].numel() == 1
                                                ? g[0].reshape(in_shape)
                                                : zeros(in_shape, TensorOptions(g[0].dtype()).device(g[0].device()))};
                     }
                     Tensor gi = zeros(in_shape, TensorOptions(g[0].dtype()).device(g[0].device()));
                     if (g[0].numel() > 0) gi.scatter_(d, si.get(), g[0]);
                     return variable_list{gi};
                   });
}

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  check_defined(t, "sort");
  const int64_t d = sort_dim(t, dim, "sort");
  auto [values, indices] = sort_forward(t, d, descending, stable, std::nullopt, true);
  record_values_backward("SortBackward", t, values, indices, d);
  return {values, indices};
}

Tensor argsort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  check_defined(t, "argsort");
  const int64_t d = sort_dim(t, dim, "argsort");
  return std::get<1>(sort_forward(t, d, descending, stable, std::nullopt, true));
}

std::tuple<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
  check_defined(t, "topk");
  const int64_t d = sort_dim(t, dim, "topk");
  const int64_t n = t.dim() == 0 ? 1 : t.size(d);
  SEEK_CHECK_INDEX(k >= 0 && k <= n, "topk: selected index k out of range: k = ", k, " but dimension ", d,
                   " of the input (shape ", shape_str(t.sizes()), ") has size ", n);
  auto [values, indices] = sort_forward(t, d, largest, /*stable=*/true, k, sorted);
  record_values_backward("TopkBackward", t, values, indices, d);
  return {values, indices};
}

std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending, bool stable) const {
  return seek::sort(*this, dim, descending, stable);
}
Tensor Tensor::argsort(int64_t dim, bool descending, bool stable) const {
  return seek::argsort(*this, dim, descending, stable);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return seek::topk(*this, k, dim, largest, sorted);
}

}  // namespace seek
