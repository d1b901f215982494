#pragma once
// More shape ops with PyTorch's semantics: flip, roll, repeat, tile, tril/triu,
// repeat_interleave, broadcast_to/broadcast_tensors, diagonal, diag, diag_embed,
// meshgrid, rot90, movedim with several dims, tensor_split. diagonal() and
// Tensor::unfold() are views; the others return new tensors. All are differentiable.
#include <optional>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// Reverses the order of elements along each of `dims` (negative dims count from the end).
Tensor flip(const Tensor& t, const std::vector<int64_t>& dims);
Tensor fliplr(const Tensor& t);  // flip(t, {1}); needs >= 2 dims
Tensor flipud(const Tensor& t);  // flip(t, {0}); needs >= 1 dim
// Rolls elements by shifts[i] along dims[i]; with dims empty the flattened tensor rolls by
// shifts[0] and keeps its shape.
Tensor roll(const Tensor& t, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {});
// Tensor.repeat: tiles t repeats[i] times along dim i; repeats may have more entries than
// t has dims (leading dims are added).
Tensor repeat(const Tensor& t, const Shape& repeats);
// torch.tile: like repeat, but fewer entries than dims are padded with leading 1s.
Tensor tile(const Tensor& t, const Shape& dims);
// The lower (tril) / upper (triu) triangle of the last two dims; `diagonal` shifts the
// boundary (> 0 above the main diagonal, < 0 below); the rest is zero.
Tensor tril(const Tensor& t, int64_t diagonal = 0);
Tensor triu(const Tensor& t, int64_t diagonal = 0);
// Repeats each element (dim = nullopt: of the flattened tensor) or each slice along dim
// `repeats` times; a repeats tensor (int64, 0-D or one entry per slice) gives a count each.
Tensor repeat_interleave(const Tensor& t, int64_t repeats, std::optional<int64_t> dim = std::nullopt);
Tensor repeat_interleave(const Tensor& t, const Tensor& repeats, std::optional<int64_t> dim = std::nullopt);
// torch.repeat_interleave(repeats): index i repeated repeats[i] times.
Tensor repeat_interleave(const Tensor& repeats);
// t expanded to `shape` (a view; -1 keeps a size).
Tensor broadcast_to(const Tensor& t, const Shape& shape);
// The tensors expanded to their common broadcast shape (views).
std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors);
// The diagonal of dims (dim1, dim2) moved to the last dim, as a view; offset > 0 is above
// the main diagonal, < 0 below.
Tensor diagonal(const Tensor& t, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
// A 1-D t becomes a square matrix with t on diagonal `diagonal`; a 2-D t gives that diagonal (a copy).
Tensor diag(const Tensor& t, int64_t diagonal = 0);
// Puts the last dim of t on the diagonal `offset` of new dims (dim1, dim2) of the result.
Tensor diag_embed(const Tensor& t, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);
// Coordinate grids from 1-D (or 0-D) tensors; indexing "ij" (matrix) or "xy" (Cartesian:
// the first two dims swap).
std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors, const std::string& indexing = "ij");
// Rotates by 90 degrees k times in the plane of dims, from the first dim towards the second.
Tensor rot90(const Tensor& t, int64_t k = 1, const std::vector<int64_t>& dims = {0, 1});
// Moves dims src[i] to positions dst[i]; the others keep their order.
Tensor movedim(const Tensor& t, const std::vector<int64_t>& src, const std::vector<int64_t>& dst);
// Views of t: `sections` pieces as equal as possible (the first size % sections get one
// more element), or the pieces between the given split indices.
std::vector<Tensor> tensor_split(const Tensor& t, int64_t sections, int64_t dim = 0);
std::vector<Tensor> tensor_split(const Tensor& t, const std::vector<int64_t>& indices, int64_t dim = 0);

}  // namespace seek
