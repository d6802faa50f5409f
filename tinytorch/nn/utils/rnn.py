"""``nn.utils.rnn``: padding and packing batches of variable-length sequences.

A ``PackedSequence`` holds the steps of several sequences interleaved time-major:
``data`` stacks, for t = 0, 1, ..., the step-t element of every sequence longer than t
(longest first), and ``batch_sizes[t]`` says how many there are. Recurrent layers run on it
with each sequence stopping at its own length.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import backend, creation
from ...tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "unpad_sequence", "pack_padded_sequence",
           "pad_packed_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as PyTorch's."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _lengths_from_batch_sizes(batch_sizes) -> list[int]:
    sizes = [int(b) for b in batch_sizes]
    n = sizes[0] if sizes else 0
    return [sum(1 for b in sizes if b > i) for i in range(n)]


def _positions(lengths: list[int]):
    """(time, batch) index arrays of the packed order: t-major, sequences longest first."""
    steps = max(lengths) if lengths else 0
    t_idx, n_idx = [], []
    for t in range(steps):
        for n, length in enumerate(lengths):
            if length > t:
                t_idx.append(t)
                n_idx.append(n)
    return np.asarray(t_idx, dtype=np.int64), np.asarray(n_idx, dtype=np.int64)


def padded_to_packed_data(padded: Tensor, lengths: list[int]) -> Tensor:
    """The ``data`` of a packed sequence from a time-major padded batch sorted by length."""
    t_idx, n_idx = _positions(lengths)
    xp = padded._xp
    return padded[xp.asarray(t_idx), xp.asarray(n_idx)]


def packed_data_to_padded(sequence: PackedSequence, padding_value: float = 0.0):
    """``(padded (T, N, *), lengths)`` from a packed sequence, in its sorted batch order."""
    lengths = _lengths_from_batch_sizes(sequence.batch_sizes._data)
    data = sequence.data
    t_idx, n_idx = _positions(lengths)
    steps, batch = len(sequence.batch_sizes), len(lengths)
    # each padded slot reads its packed row; the empty ones read one extra padding row
    rows = np.full((steps, batch), len(t_idx), dtype=np.int64)
    rows[t_idx, n_idx] = np.arange(len(t_idx))
    fill = creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                         device=data.device)
    extended = creation.cat([data, fill])
    return extended[data._xp.asarray(rows)], lengths


def _as_lengths(lengths) -> list[int]:
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _index_tensor(values) -> Tensor:
    return creation.tensor(np.asarray(values, dtype=np.int64))


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, N, *)`` (``(N, T, *)`` with batch_first) of the given
    lengths; ``enforce_sorted=False`` sorts by length first (and remembers the order)."""
    lengths = _as_lengths(lengths)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise RuntimeError(f"pack_padded_sequence: expected {input.shape[1]} lengths (one per "
                           f"sequence), got {len(lengths)}")
    if any(n <= 0 for n in lengths):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if max(lengths) > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length {max(lengths)} exceeds the "
                           f"{input.shape[0]} steps of the padded input")
    sorted_indices = unsorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[order] = np.arange(len(order))
        sorted_indices, unsorted_indices = _index_tensor(order), _index_tensor(inverse)
        input = input[:, input._xp.asarray(order)]
        lengths = [lengths[i] for i in order]
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(max(lengths))]
    return PackedSequence(padded_to_packed_data(input, lengths), _index_tensor(batch_sizes),
                          sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)`` in the original order."""
    padded, lengths = packed_data_to_padded(sequence, padding_value)
    if total_length is not None:
        if total_length < padded.shape[0]:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {padded.shape[0]}")
        extra = total_length - padded.shape[0]
        if extra:
            fill = creation.full((extra,) + tuple(padded.shape[1:]), padding_value,
                                 dtype=padded.dtype, device=padded.device)
            padded = creation.cat([padded, fill])
    lengths_t = _index_tensor(lengths)
    if sequence.unsorted_indices is not None:
        idx = sequence.unsorted_indices._data
        padded = padded[:, padded._xp.asarray(idx)]
        lengths_t = _index_tensor(np.asarray(lengths)[backend.to_numpy(idx)])
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths_t


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shape ``(L_i, *)`` into ``(L_max, N, *)`` (``(N, L_max, *)`` with
    batch_first), padding each on ``padding_side`` with ``padding_value``."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        extra = longest - s.shape[0]
        if extra:
            fill = creation.full((extra,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                                 device=s.device)
            s = creation.cat([s, fill] if padding_side == "right" else [fill, s])
        rows.append(s)
    return creation.stack(rows, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The list of sequences ``pad_sequence`` stacked (right padding)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(_as_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences of a packed batch, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
