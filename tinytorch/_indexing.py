"""Index translation: a PyTorch index (ints, slices, None, Ellipsis, tensors, lists, masks)
as a backend index, with bounds and mask shapes checked so errors name the tensor's shape."""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from ._convert import _unwrap_nested
from .autograd.function import tensor_class


def translate_index(index, t):
    """Translate a PyTorch index (ints, slices, None, Ellipsis, tensors, lists) for the backend,
    checking bounds and boolean-mask shapes so errors name the tensor's shape."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    dim = 0
    for it in items:
        if isinstance(it, tensor_class()):
            if it.device != t.device:
                raise RuntimeError(f"indexing a tensor on {t.device} with an index on "
                                   f"{it.device}")
            it = it._data
        elif isinstance(it, (list, range)):  # x[range(n), y]: a sequence, as in PyTorch
            it = t._xp.asarray(_unwrap_nested(list(it)))
            if it.size == 0:  # x[[]]: an empty long index, not NumPy's empty float array
                it = it.astype(np.int64)
        if backend.is_array(it):
            if it.dtype == np.bool_:
                need = tuple(t.shape[dim:dim + it.ndim])
                if tuple(it.shape) != need:
                    raise IndexError(f"the shape of the mask {tuple(it.shape)} does not match "
                                     f"the shape of the indexed tensor {tuple(t.shape)} at "
                                     f"dimension {dim}")
                dim += it.ndim
            elif it.dtype.kind in "iu":
                size = t.shape[dim] if dim < t.ndim else 0
                hi, lo = (builtins.int(it.max()), builtins.int(it.min())) if it.size else (0, 0)
                if it.size and (hi >= size or lo < -size):
                    raise IndexError(f"index {hi if hi >= size else lo} is out of bounds for "
                                     f"dimension {dim} with size {size} "
                                     f"(tensor of shape {tuple(t.shape)})")
                dim += 1
            else:
                raise IndexError(f"tensors used as indices must be long, int or bool, "
                                 f"got {backend.dtype_of(it)}")
        elif isinstance(it, (builtins.int, np.integer)) and not isinstance(it, builtins.bool):
            size = t.shape[dim] if dim < t.ndim else None
            if size is None:
                raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
            if not -size <= it < size:
                raise IndexError(f"index {it} is out of range for dimension {dim} with size "
                                 f"{size} (tensor of shape {tuple(t.shape)})")
            dim += 1
        elif isinstance(it, slice):
            if it.step is not None and it.step <= 0:
                raise ValueError("step must be greater than zero")
            dim += 1
        elif it is Ellipsis:
            rest = builtins.sum(1 for x in items if x is not None and x is not Ellipsis)
            dim = t.ndim - rest + dim
        elif it is None:
            pass
        else:
            raise IndexError(f"unsupported index of type {type(it).__name__}")
        out.append(it)
    if dim > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    return tuple(out) if isinstance(index, tuple) or len(out) != 1 else out[0]
