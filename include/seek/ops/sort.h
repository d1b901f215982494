#pragma once
// Sorting along a dimension: seek::sort, argsort, topk. Indices are int64.
// NaN compares larger than every number (last in ascending order, first in
// descending order), as in PyTorch.
#include <tuple>

#include "seek/core/tensor.h"

namespace seek {

// (values, indices) sorted along dim; `stable` keeps equal elements in input order.
std::tuple<Tensor, Tensor> sort(const Tensor& t, int64_t dim = -1, bool descending = false, bool stable = true);
// The indices of sort(t, dim, descending, stable).
Tensor argsort(const Tensor& t, int64_t dim = -1, bool descending = false, bool stable = true);
// The k largest (or smallest) elements along dim and their indices. With
// `sorted` they come in order (ties: lower index first), otherwise in any order.
std::tuple<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);

}  // namespace seek
