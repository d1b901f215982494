#pragma once
// Joining, splitting and padding: seek::cat, stack, split, chunk, unbind, pad.
// split/chunk/unbind return views of the input (no copy), as in PyTorch.
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// Concatenates along `dim`. Sizes must match except along dim; the result has
// the promoted dtype of all inputs. 1-D tensors of shape [0] are skipped.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Joins equally-shaped tensors along a new dimension `dim`.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);

// Pieces of `split_size` along dim (the last may be smaller).
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim = 0);
// Pieces of the given sizes, which must sum to t.size(dim).
std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim = 0);
// At most `chunks` pieces of ceil(size / chunks) (fewer when the size runs out).
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim = 0);
// The slices t.select(dim, i) for every i.
std::vector<Tensor> unbind(const Tensor& t, int64_t dim = 0);

// torch.nn.functional.pad: `pad` lists (left, right) pairs from the last dim
// backwards. mode "constant" (negative pads crop), "reflect" (pads < size),
// "replicate" or "circular" (pads <= size); `value` fills constant padding.
Tensor pad(const Tensor& input, const std::vector<int64_t>& pad, const std::string& mode = "constant",
           Scalar value = 0);

}  // namespace seek
