// PackedSequence and the pack / pad functions of torch.nn.utils.rnn, composed from
// differentiable ops (narrow, cat, index_select), so gradients flow through packing.
#include "seek/nn/packed_sequence.h"

#include <algorithm>
#include <numeric>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"

namespace seek::nn {

std::vector<int64_t> PackedSequence::batch_size_list() const {
  SEEK_CHECK_VALUE(batch_sizes.defined() && batch_sizes.dim() == 1, "PackedSequence: batch_sizes must be a 1-D tensor");
  return to_vector<int64_t>(batch_sizes.to(kCPU).to(kInt64));
}

PackedSequence PackedSequence::to(Device device) const {
  PackedSequence p = *this;
  p.data = data.to(device);
  if (sorted_indices.defined()) p.sorted_indices = sorted_indices.to(device);
  if (unsorted_indices.defined()) p.unsorted_indices = unsorted_indices.to(device);
  return p;
}

namespace utils::rnn {

namespace {

Tensor index_tensor(const std::vector<int64_t>& v, Device device) {
  return tensor<int64_t>(v, {static_cast<int64_t>(v.size())}).to(device);
}

}  // namespace

PackedSequence pack_padded_sequence(const Tensor& input, const std::vector<int64_t>& lengths, bool batch_first,
                                    bool enforce_sorted) {
  const char* fn = "pack_padded_sequence";
  SEEK_CHECK_VALUE(input.defined(), fn, ": input must be defined");
  SEEK_CHECK_SHAPE(input.dim() >= 2, fn, ": input must be at least 2-D ([T, N, *] or [N, T, *] with batch_first), got ",
                   shape_str(input.sizes()));
  const int64_t bdim = batch_first ? 0 : 1, tdim = batch_first ? 1 : 0;
  const int64_t N = input.size(bdim), T = input.size(tdim);
  SEEK_CHECK_SHAPE(static_cast<int64_t>(lengths.size()) == N, fn, ": expected ", N, " lengths (the batch size of ",
                   shape_str(input.sizes()), "), got ", lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i)
    SEEK_CHECK_VALUE(lengths[i] >= 1 && lengths[i] <= T, fn, ": lengths[", i, "] = ", lengths[i], " must be in 1..", T,
                     " (the padded length)");
  std::vector<int64_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), 0);
  PackedSequence out;
  Tensor x = input;
  if (enforce_sorted) {
    for (size_t i = 1; i < lengths.size(); ++i)
      SEEK_CHECK_VALUE(lengths[i] <= lengths[i - 1], fn,
                       ": lengths must be sorted in decreasing order with enforce_sorted=True, got ", lengths[i - 1],
                       " before ", lengths[i], "; pass enforce_sorted=False to pack unsorted sequences");
  } else {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
    std::vector<int64_t> inverse(order.size());
    for (size_t i = 0; i < order.size(); ++i) inverse[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
    out.sorted_indices = index_tensor(order, input.device());
    out.unsorted_indices = index_tensor(inverse, input.device());
    x = x.index_select(bdim, out.sorted_indices);
  }
  if (batch_first) x = x.transpose(0, 1);
  // Step t holds the sequences longer than t: the first batch_sizes[t] of the sorted batch.
  const int64_t max_len = lengths[static_cast<size_t>(order[0])];
  std::vector<int64_t> batch_sizes(static_cast<size_t>(max_len));
  std::vector<Tensor> steps;
  for (int64_t t = 0; t < max_len; ++t) {
    int64_t bs = 0;
    for (int64_t len : lengths) bs += len > t ? 1 : 0;
    batch_sizes[static_cast<size_t>(t)] = bs;
    steps.push_back(x.select(0, t).narrow(0, 0, bs));
  }
  out.data = cat(steps, 0);
  out.batch_sizes = tensor<int64_t>(batch_sizes, {max_len});
  return out;
}

PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first, bool enforce_sorted) {
  SEEK_CHECK_VALUE(lengths.defined() && lengths.dim() == 1, "pack_padded_sequence: lengths must be a 1-D tensor");
  SEEK_CHECK_DTYPE(!lengths.is_floating_point() && lengths.dtype() != kBool,
                   "pack_padded_sequence: lengths must be an integer tensor, got ", dtype_name(lengths.dtype()));
  return pack_padded_sequence(input, to_vector<int64_t>(lengths.to(kCPU).to(kInt64)), batch_first, enforce_sorted);
}

std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first, double padding_value,
                                               std::optional<int64_t> total_length) {
  const char* fn = "pad_packed_sequence";
  SEEK_CHECK_VALUE(sequence.data.defined() && sequence.data.dim() >= 1, fn, ": the sequence has no data");
  const std::vector<int64_t> bs = sequence.batch_size_list();
  SEEK_CHECK_VALUE(!bs.empty(), fn, ": batch_sizes is empty");
  const int64_t N = bs[0], max_len = static_cast<int64_t>(bs.size());
  const int64_t T = total_length ? *total_length : max_len;
  SEEK_CHECK_VALUE(T >= max_len, fn, ": total_length ", T, " is shorter than the longest sequence (", max_len, ")");
  const Tensor& data = sequence.data;
  Shape row_shape(data.sizes().begin() + 1, data.sizes().end());
  auto pad_rows = [&](int64_t rows) {
    Shape s{rows};
    s.insert(s.end(), row_shape.begin(), row_shape.end());
    return full(s, padding_value, TensorOptions(data.dtype()).device(data.device()));
  };
  std::vector<Tensor> steps;
  int64_t offset = 0;
  std::vector<int64_t> lengths(static_cast<size_t>(N), 0);
  for (int64_t t = 0; t < max_len; ++t) {
    const int64_t b = bs[static_cast<size_t>(t)];
    SEEK_CHECK_VALUE(b >= 1 && b <= N && (t == 0 || b <= bs[static_cast<size_t>(t - 1)]), fn,
                     ": batch_sizes must be non-increasing and positive");
    Tensor rows = data.narrow(0, offset, b);
    offset += b;
    steps.push_back(b < N ? cat({rows, pad_rows(N - b)}, 0) : rows);
    for (int64_t i = 0; i < b; ++i) lengths[static_cast<size_t>(i)] += 1;
  }
  SEEK_CHECK_SHAPE(offset == data.size(0), fn, ": data has ", data.size(0), " rows but batch_sizes sum to ", offset);
  for (int64_t t = max_len; t < T; ++t) steps.push_back(pad_rows(N));
  Tensor padded = stack(steps, 0);  // [T, N, *] in sorted order
  Tensor len_t = tensor<int64_t>(lengths, {N});
  if (sequence.unsorted_indices.defined()) {
    padded = padded.index_select(1, sequence.unsorted_indices);
    len_t = len_t.index_select(0, sequence.unsorted_indices.to(kCPU));
  }
  if (batch_first) padded = padded.transpose(0, 1);
  return {padded, len_t};
}

Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first, double padding_value) {
  const char* fn = "pad_sequence";
  SEEK_CHECK_VALUE(!sequences.empty(), fn, ": got no sequences");
  const Tensor& first = sequences[0];
  SEEK_CHECK_VALUE(first.defined() && first.dim() >= 1, fn, ": sequences must be at least 1-D tensors");
  Shape trailing(first.sizes().begin() + 1, first.sizes().end());
  int64_t T = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    SEEK_CHECK_VALUE(s.defined() && s.dim() >= 1, fn, ": sequences[", i, "] must be a tensor of at least 1 dim");
    SEEK_CHECK_SHAPE(Shape(s.sizes().begin() + 1, s.sizes().end()) == trailing, fn, ": sequences[", i, "] ",
                     shape_str(s.sizes()), " must match the trailing dims of sequences[0] ", shape_str(first.sizes()));
    SEEK_CHECK_DTYPE(s.dtype() == first.dtype(), fn, ": sequences[", i, "] has dtype ", dtype_name(s.dtype()),
                     ", sequences[0] ", dtype_name(first.dtype()));
    T = std::max(T, s.size(0));
  }
  std::vector<Tensor> padded;
  for (const Tensor& s : sequences) {
    if (s.size(0) == T) {
      padded.push_back(s);
      continue;
    }
    Shape ps{T - s.size(0)};
    ps.insert(ps.end(), trailing.begin(), trailing.end());
    padded.push_back(cat({s, full(ps, padding_value, TensorOptions(s.dtype()).device(s.device()))}, 0));
  }
  return stack(padded, batch_first ? 0 : 1);
}

PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  for (const Tensor& s : sequences) lengths.push_back(s.defined() && s.dim() >= 1 ? s.size(0) : 0);
  return pack_padded_sequence(pad_sequence(sequences), lengths, false, enforce_sorted);
}

}  // namespace utils::rnn

}  // namespace seek::nn
