#pragma once
// Packed variable-length batches, like torch.nn.utils.rnn: PackedSequence,
// pack_padded_sequence, pad_packed_sequence, pack_sequence and pad_sequence. The data of
// a PackedSequence holds time step 0 of every sequence, then step 1 of those that are
// that long, and so on (sequences sorted by decreasing length); batch_sizes[t] is the
// number of sequences at step t. All functions are differentiable in the data.
#include <optional>
#include <tuple>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::nn {

struct PackedSequence {
  Tensor data;              // [sum(lengths), *]
  Tensor batch_sizes;       // int64 [max length], on the CPU
  Tensor sorted_indices;    // int64 [N]: sorted position -> original index; undefined when sorted
  Tensor unsorted_indices;  // int64 [N]: the inverse permutation; undefined when sorted

  std::vector<int64_t> batch_size_list() const;
  // The same sequence with data moved/cast (the indices keep their dtype, moved to data's device).
  PackedSequence to(Device device) const;
};

namespace utils::rnn {

// input [T, N, *] ([N, T, *] with batch_first), lengths of the N sequences (each in
// 1..T); with enforce_sorted the lengths must be non-increasing, else they are sorted
// here and the permutation is kept in the result.
PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths, bool batch_first = false,
                                    bool enforce_sorted = true);
PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first = false,
                                    bool enforce_sorted = true);
// Returns {padded [T, N, *] ([N, T, *]), lengths int64 [N]} in the original batch order;
// T = total_length when given (it must be >= the longest sequence).
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first = false,
                                               double padding_value = 0.0,
                                               std::optional<int64_t> total_length = std::nullopt);
// Stacks sequences [L_i, *] into [max L, N, *] ([N, max L, *]) filled with padding_value.
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first = false, double padding_value = 0.0);
// pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted).
PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted = true);

}  // namespace utils::rnn

}  // namespace seek::nn
