#pragma once
// Gather / scatter / index_select / index_add / masked_select / embedding / one_hot,
// with PyTorch semantics. Index tensors are int64 (index_select, index_add and
// embedding also take int32); every index is bounds-checked and an index out of
// range throws IndexError ("index 7 is out of bounds for dimension 0 with size 5").
// Python-style indexing (t.index({...}), t.index_put_) lives in src/ops/indexing.cpp.
#include "seek/core/tensor.h"

namespace seek {

// out[i][j][k] = self[index[i][j][k]][j][k] (dim 0); index.dim() == self.dim() and
// index.size(d) <= self.size(d) for d != dim. Output has index's shape.
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// A copy of self with self[index[i][j][k]][j][k] = src[i][j][k] (dim 0). With
// duplicate indices the last write (in row-major order) wins on the CPU; like
// PyTorch, other backends give no order, so avoid duplicates.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
// Like scatter, but adds src into self; duplicates accumulate.
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// The slices self.select(dim, index[j]) stacked along dim; index is 0-D or 1-D and
// negative values count from the end.
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
// A copy of self with self.select(dim, index[j]) += alpha * source.select(dim, j);
// duplicates accumulate; negative indices count from the end.
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1);
// The elements of self where the bool mask (broadcast with self) is true, as a 1-D tensor.
Tensor masked_select(const Tensor& self, const Tensor& mask);
// Rows of weight [num_embeddings, embedding_dim] for indices of any shape:
// output [..., embedding_dim]. Indices must lie in [0, num_embeddings). The row
// padding_idx (-1: none) gets no gradient.
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1);
// int64 tensor of shape [..., num_classes] with a 1 at each index; num_classes = -1
// uses max(indices) + 1. Class values must lie in [0, num_classes).
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

namespace detail {
// index_select whose errors name `op` (Tensor::index reads through it).
Tensor index_select_named(const Tensor& self, int64_t dim, const Tensor& index, const char* op);
}  // namespace detail

}  // namespace seek
