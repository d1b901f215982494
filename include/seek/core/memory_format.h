#pragma once
// Memory formats (PyTorch's torch.contiguous_format / channels_last / channels_last_3d / preserve_format) as
// pure stride arithmetic. A format is only a dim order: ChannelsLast stores N, H, W, C from slowest to fastest
// (sizes stay NCHW, as in PyTorch), ChannelsLast3d N, D, H, W, C. Nothing records a format on a tensor: it is
// read back from the strides, ignoring size-1 dims, with PyTorch's tie-breaking rules (so an N111 tensor counts
// as contiguous, not channels_last).
#include <cstdint>
#include <ostream>
#include <vector>

namespace seek {

enum class MemoryFormat { Contiguous, ChannelsLast, ChannelsLast3d, Preserve };

const char* memory_format_name(MemoryFormat f);  // "contiguous_format", "channels_last", ...
std::ostream& operator<<(std::ostream& os, MemoryFormat f);

// The canonical strides of `sizes` stored in format f (Contiguous, ChannelsLast for 4-D, ChannelsLast3d for
// 5-D). Throws seek::Error naming `op` for Preserve or a rank the format does not take.
std::vector<int64_t> memory_format_strides(const std::vector<int64_t>& sizes, MemoryFormat f, const char* op);
// Whether (sizes, strides) is laid out densely in format f's dim order (size-1 dims ignored, as in PyTorch).
// False for a rank the format does not take; Preserve throws.
bool is_contiguous_as(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides, MemoryFormat f);
// PyTorch's suggest_memory_format: ChannelsLast(3d) when the strides order the dims like it, else Contiguous.
MemoryFormat suggest_memory_format(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides);
// Every element at its own offset, with no gaps (any dim order).
bool is_non_overlapping_and_dense(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides);
// Dense strides with the dim order of one or more operands' strides (PyTorch's infer_dense_strides and
// TensorIterator's output order): dims sorted by stride, fastest first, where the first operand whose strides
// differ on two dims decides, a zero (broadcast) stride defers to the next operand, and ties keep row-major
// order (the smaller size goes first at equal strides). Every entry of `operand_strides` has sizes.size() dims.
std::vector<int64_t> dense_strides_like(const std::vector<int64_t>& sizes,
                                        const std::vector<const std::vector<int64_t>*>& operand_strides);

}  // namespace seek
