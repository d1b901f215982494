#pragma once
// More indexing ops with PyTorch's semantics: nonzero / argwhere, scatter_reduce,
// take_along_dim, index_fill, masked_scatter. Index tensors are int64; values are
// bounds-checked (IndexError naming the op, the index and the size).
#include <optional>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// Coordinates of the non-zero elements in row-major order: [n, t.dim()] int64. The count
// decides the shape, so the values are read on the host.
Tensor nonzero(const Tensor& t);
// The same coordinates as one 1-D int64 tensor per dim (a 0-dim t gives one tensor).
std::vector<Tensor> nonzero_as_tuple(const Tensor& t);
Tensor argwhere(const Tensor& t);
// A copy of self with src reduced into the positions index names along dim (as scatter):
// reduce is "sum", "prod", "mean", "amax" or "amin"; with include_self false the values
// of self at the positions written to are left out of the reduction. Integer "mean" rounds
// towards minus infinity. Differentiable in self and src (amax/amin share the gradient
// evenly between ties).
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self = true);
// gather along dim with indices broadcast against t (except along dim); with dim nullopt
// both are flattened.
Tensor take_along_dim(const Tensor& t, const Tensor& indices, std::optional<int64_t> dim = std::nullopt);
// A copy of self with the slices self.select(dim, index[j]) set to value.
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
// A copy of self with the positions where mask (broadcast to self) is true filled, in
// row-major order, from the first elements of source (source.numel() >= number of trues).
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
// torch.index_put: a copy of self with values written (or, accumulate, added) at indices.
Tensor index_put(const Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& values,
                 bool accumulate = false);

}  // namespace seek
