"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn`` and friends,
plus the functional forms ``cat``, ``stack``, ``where``, ``tril``, ``triu``."""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from . import random as _random
from ._convert import as_array
from .ops import elementwise
from .ops import shape as shape_ops
from .tensor import Tensor, _dim, _shape_args, cat_tensors


def _finish(arr, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        arr = arr.astype(backend.to_dtype(dtype).np, copy=False)
    if device is not None:
        arr = backend.move(arr, device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return backend.to_dtype(dtype).np if dtype is not None else backend.get_default_dtype().np


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python numbers, nested lists, arrays)."""
    arr = as_array(data, dtype=dtype, device=device)
    if isinstance(data, Tensor) or backend.is_array(data):
        arr = arr.copy()
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor._make(as_array(data, dtype=dtype, device=device))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(as_array(array))


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_shape_args(size), _float_dtype(dtype)), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_shape_args(size), _float_dtype(dtype)), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = backend.result_type(fill_value)
    return _finish(np.full(_shape_args((size,)), fill_value, backend.to_dtype(dtype).np),
                   None, device, requires_grad)


def _like(t, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(t, *, dtype=None, device=None) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device)


def randn_like(t, *, dtype=None, device=None) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = backend.result_type(start, end, step)
    return _finish(np.arange(start, end, step, dtype=backend.to_dtype(dtype).np), None, device,
                   requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), None, device,
                   requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), None, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples from the global generator (``manual_seed``)."""
    g = generator or _random.default_generator()
    arr = g.standard_normal(_shape_args(size), dtype=np.float64).astype(_float_dtype(dtype))
    return _finish(arr, None, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    g = generator or _random.default_generator()
    arr = g.random(_shape_args(size), dtype=np.float64).astype(_float_dtype(dtype))
    return _finish(arr, None, device, requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None, generator=None) -> Tensor:
    """Integers uniform in [low, high) (int64 unless ``dtype`` says otherwise)."""
    if size is None:
        if high is None or isinstance(high, (tuple, list)):
            raise TypeError("randint() needs a size, e.g. randint(0, 10, (3,))")
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, high if size is None else size
    g = generator or _random.default_generator()
    arr = g.integers(low, high, size=_shape_args((size,)), dtype=np.int64)
    return _finish(arr, dtype, device, False)


def randperm(n, *, dtype=None, device=None, generator=None) -> Tensor:
    g = generator or _random.default_generator()
    return _finish(g.permutation(n).astype(np.int64), dtype, device, False)


def multinomial(probs: Tensor, num_samples: int, replacement: bool = False,
                generator=None) -> Tensor:
    """Sample indices from each row of (unnormalised, non-negative) ``probs``."""
    g = generator or _random.default_generator()
    p = backend.to_numpy(probs._data).astype(np.float64)
    rows = p.reshape(-1, p.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("multinomial: probability tensor contains inf, nan or negative values")
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, r in enumerate(rows):
        s = r.sum()
        if s <= 0:
            raise RuntimeError("multinomial: a row of the probability tensor sums to zero")
        if not replacement and num_samples > np.count_nonzero(r):
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) "
                               "samples without replacement")
        out[i] = g.choice(r.size, size=num_samples, replace=replacement, p=r / s)
    out = out.reshape(p.shape[:-1] + (num_samples,))
    return _finish(out, None, probs.device, False)


def cat(tensors, dim=0) -> Tensor:
    """Join tensors along an existing dimension."""
    return cat_tensors(tensors, dim)


concat = cat


def stack(tensors, dim=0) -> Tensor:
    """Join equally shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{tuple(tensors[0].shape)} at entry 0 and {tuple(t.shape)} at "
                               f"entry {i}")
    return shape_ops.Stack.apply(_dim(dim, tensors[0].ndim + 1), *tensors)


def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (broadcast together)."""
    if input is None and other is None:
        nonzero = condition._xp.nonzero(condition._data)
        return tuple(Tensor._make(i.astype(np.int64)) for i in nonzero)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {backend.dtype_of(cond)}")
    like = input if isinstance(input, Tensor) else other
    a = input if isinstance(input, Tensor) else _scalar_or_tensor(input, like)
    b = other if isinstance(other, Tensor) else _scalar_or_tensor(other, like)
    return elementwise.Where.apply(Tensor._make(cond), a, b)


def _scalar_or_tensor(x, like):
    if isinstance(x, (builtins.int, builtins.float, builtins.bool)):
        return x
    return Tensor._make(as_array(x, device=like.device if like is not None else None))


def tril(t, diagonal=0) -> Tensor:
    return t.tril(diagonal)


def triu(t, diagonal=0) -> Tensor:
    return t.triu(diagonal)


def numel(t) -> int:
    return t.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def broadcast_shapes(*shapes):
    return tuple(np.broadcast_shapes(*shapes))


def outer(a, b):
    return a.reshape(-1, 1) * b.reshape(1, -1)

