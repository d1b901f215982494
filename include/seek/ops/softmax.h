#pragma once
// softmax / log_softmax along one dim, numerically stable (the max is
// subtracted) for any dim and any strides; f16/bf16 are computed in float.
// `dtype` casts the input first, as torch.softmax(x, dim, dtype=...).
#include <optional>

#include "seek/core/tensor.h"

namespace seek {

Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);

}  // namespace seek
