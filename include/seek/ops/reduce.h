#pragma once
// Reductions, like torch: seek::sum(t, {0, -1}, /*keepdim=*/true), seek::max(t, 1), ...
// `dims` may hold negative dims; an empty list means every dim. Integer and
// bool inputs sum (and prod, cumsum) to int64; mean/var/std/norm need floating
// inputs; f16/bf16 accumulate in float and return their own dtype.
#include <concepts>
#include <optional>
#include <tuple>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

Tensor sum(const Tensor& t, const std::vector<int64_t>& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& t, const std::vector<int64_t>& dims = {}, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
// Product of all elements (dim unset, 0-dim result) or along one dim.
Tensor prod(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);

// max()/min() of all elements (throws ValueError for an empty tensor);
// max(t, dim) returns (values, int64 indices), the first index on ties.
Tensor max(const Tensor& t);
Tensor min(const Tensor& t);
std::tuple<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim = false);
// Values only, over several dims; the gradient is split evenly between ties.
Tensor amax(const Tensor& t, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& t, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Without dim: index into the flattened tensor.
Tensor argmax(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

// Variance / standard deviation with sum((x - mean)^2) / (N - correction).
Tensor var(const Tensor& t, const std::vector<int64_t>& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& t, const std::vector<int64_t>& dims = {}, int64_t correction = 1, bool keepdim = false);
// (var, mean) and (std, mean) in one call.
std::tuple<Tensor, Tensor> var_mean(const Tensor& t, const std::vector<int64_t>& dims = {}, int64_t correction = 1,
                                    bool keepdim = false);
std::tuple<Tensor, Tensor> std_mean(const Tensor& t, const std::vector<int64_t>& dims = {}, int64_t correction = 1,
                                    bool keepdim = false);

// Vector p-norm (torch.linalg.vector_norm): p = 1, 2, INFINITY or any p > 0.
Tensor norm(const Tensor& t, double p = 2.0, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// log(sum(exp(x))) computed stably (max subtracted); -inf where every element is -inf.
// Integer inputs give float32.
Tensor logsumexp(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim = false);
// Running sum along dim; integer and bool inputs give int64.
Tensor cumsum(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);

// Truth reductions of any dtype (non-zero is true); the result is bool.
Tensor all(const Tensor& t);
Tensor all(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& t);
Tensor any(const Tensor& t, int64_t dim, bool keepdim = false);

// issue 12: reductions.
// Median of all elements (the lower of the two middle values for an even count, as torch),
// or (values, indices) along dim; NaN propagates (nanmedian ignores NaN).
Tensor median(const Tensor& t);
std::tuple<Tensor, Tensor> median(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor nanmedian(const Tensor& t);
std::tuple<Tensor, Tensor> nanmedian(const Tensor& t, int64_t dim, bool keepdim = false);
// Running product along dim (integer and bool inputs give int64); differentiable through zeros.
Tensor cumprod(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);
// Number of non-zero elements over dims (all when empty), int64.
Tensor count_nonzero(const Tensor& t, const std::vector<int64_t>& dims = {});
// (min, max) over all elements or along dim.
std::tuple<Tensor, Tensor> aminmax(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// Unique values (ascending; each NaN is its own value), with the index of each input
// element's value (inverse, shaped as t) and each value's count when asked for
// (undefined tensors otherwise). dim must be unset.
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& t, bool sorted = true, bool return_inverse = false,
                                          bool return_counts = false, std::optional<int64_t> dim = std::nullopt);
// The same for runs of equal consecutive values (no sorting).
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& t, bool return_inverse = false,
                                                      bool return_counts = false,
                                                      std::optional<int64_t> dim = std::nullopt);

// One-dim forms: seek::sum(t, 1). (A template, so that `sum(t, {})` still means
// every dim instead of converting {} to dim 0.)
template <std::integral I>
Tensor sum(const Tensor& t, I dim, bool keepdim = false) {
  return sum(t, std::vector<int64_t>{int64_t(dim)}, keepdim);
}
template <std::integral I>
Tensor mean(const Tensor& t, I dim, bool keepdim = false) {
  return mean(t, std::vector<int64_t>{int64_t(dim)}, keepdim);
}
template <std::integral I>
Tensor amax(const Tensor& t, I dim, bool keepdim = false) {
  return amax(t, std::vector<int64_t>{int64_t(dim)}, keepdim);
}
template <std::integral I>
Tensor amin(const Tensor& t, I dim, bool keepdim = false) {
  return amin(t, std::vector<int64_t>{int64_t(dim)}, keepdim);
}
template <std::integral I>
Tensor logsumexp(const Tensor& t, I dim, bool keepdim = false) {
  return logsumexp(t, std::vector<int64_t>{int64_t(dim)}, keepdim);
}

}  // namespace seek
