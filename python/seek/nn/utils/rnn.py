"""seek.nn.utils.rnn: packed variable-length batches, like torch.nn.utils.rnn.

A PackedSequence holds time step 0 of every sequence, then step 1 of those that are that
long, and so on, the sequences sorted by decreasing length; batch_sizes[t] counts the
sequences at step t. seek.nn.RNN, LSTM and GRU take one and return one.

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, (h, c) = lstm(packed)
    out, lengths = pad_packed_sequence(out, batch_first=True)
"""
from collections import namedtuple

from ... import _C
from ..._C import Tensor

_u = _C.nn._rnn_utils

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpack_sequence", "unpad_sequence"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's. Build one with
    pack_padded_sequence or pack_sequence rather than by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required (build one with pack_padded_sequence)")
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = sorted_indices.argsort()
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        idx = [None if i is None else i.to(data.device) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def to(self, *args, **kwargs):
        """The same sequence with data moved / cast like Tensor.to (batch_sizes stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self):
        return self._with_data(self.data.cpu())

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def double(self):
        return self._with_data(self.data.double())

    def float(self):
        return self._with_data(self.data.float())

    def half(self):
        return self._with_data(self.data.half())

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs input [T, N, *] ([N, T, *] with batch_first) whose sequences have the given
    lengths (a list or a 1-D int64 tensor on the CPU). With enforce_sorted=False the
    lengths may come in any order."""
    return PackedSequence(*_u.pack_padded_sequence(input, lengths, batch_first, enforce_sorted))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Returns (padded [T, N, *] or [N, T, *], lengths int64 [N]) in the original order."""
    return _u.pad_packed_sequence(sequence, batch_first, float(padding_value), total_length)


def pad_sequence(sequences, batch_first=False, padding_value=0.0):
    """Stacks tensors [L_i, *] into [max L, N, *] ([N, max L, *]), padded with padding_value."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    return _u.pad_sequence(list(sequences), batch_first, float(padding_value))


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of tensors [L_i, *] (decreasing lengths unless enforce_sorted=False)."""
    sequences = list(sequences)
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences [L_i, *] inside a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """The list of sequences [L_i, *] inside a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
