"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn`` and friends,
plus the functional forms ``cat``, ``stack``, ``where``, ``tril``, ``triu``."""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import backend
from . import random as _random
from ._convert import as_array
from .ops import elementwise
from .ops import shape as shape_ops
from .tensor import Size, Tensor, _dim, _shape_args, cat_tensors


def _finish(arr, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        arr = arr.astype(backend.to_dtype(dtype).np, copy=False)
    device = backend.default_device_or(device)
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
    """A tensor sharing ``data``'s memory when it is a tensor or array of the same dtype and
    device; a copy otherwise."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    return Tensor._make(as_array(data, dtype=dtype, device=device))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """``obj`` as a tensor, sharing memory unless ``copy=True`` or a conversion needs one."""
    if copy is False and isinstance(obj, (list, tuple, builtins.int, builtins.float)):
        raise ValueError("asarray: copy=False is impossible for Python sequences and numbers")
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        t = Tensor._make(t._data.copy())
    if requires_grad:
        t = t.detach().requires_grad_(True) if t.grad_fn is None and t is not obj else \
            t.detach().clone().requires_grad_(True)
    return t


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (writes show through both ways)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if array.dtype not in backend._BY_NP:
        raise TypeError(f"can't convert np.ndarray of type numpy.{array.dtype}. The only "
                        f"supported types are: "
                        f"{', '.join(d.np.name for d in backend._ALL_DTYPES)}")
    return Tensor._make(array)


def _typed_zeros(size, dtype, device, requires_grad, fill=0) -> Tensor:
    np_dtype = _float_dtype(dtype)
    return _finish(np.full(_shape_args(size), fill, np_dtype), None, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros (the default float dtype unless ``dtype`` says otherwise)."""
    return _typed_zeros(size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    return _typed_zeros(size, dtype, device, requires_grad, fill=1)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor (tinytorch fills it with zeros: NumPy's ``empty`` would show
    stale memory, which no program may rely on anyway)."""
    return _typed_zeros(size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value`` (dtype inferred from it: bool, int64 or float)."""
    if dtype is None:
        dtype = backend.result_type(fill_value)
    return _finish(np.full(_shape_args((size,)), fill_value, backend.to_dtype(dtype).np),
                   None, device, requires_grad)


def _like(t, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``start, start + step, ...`` below ``end``: ceil((end - start) / step) values, each
    computed as ``start + i * step`` in float64 (PyTorch's length rule and values)."""
    if end is None:
        start, end = 0, start
    start, end, step = (x.item() if isinstance(x, Tensor) else x for x in (start, end, step))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        dtype = backend.result_type(start, end, step)
    np_dtype = backend.to_dtype(dtype).np
    n = builtins.max(0, math.ceil((end - start) / step))
    if all(isinstance(x, builtins.int) for x in (start, end, step)):
        arr = np.arange(start, end, step, dtype=np.int64).astype(np_dtype)
    else:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(np_dtype)
    return _finish(arr, None, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    arr = np.linspace(start, end, steps, dtype=np.float64)
    return _finish(arr.astype(_float_dtype(dtype)), None, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    arr = np.power(base, np.linspace(start, end, steps, dtype=np.float64))
    return _finish(arr.astype(_float_dtype(dtype)), None, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The ``n x m`` identity (``m = n`` by default)."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), None, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (from ``generator``, else the global one), PyTorch's numbers."""
    shape, dt = _shape_args(size), _float_dtype(dtype)
    arr = _random.normal(generator, math.prod(shape), dt).astype(dt).reshape(shape)
    return _finish(arr, None, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1), PyTorch's numbers."""
    shape, dt = _shape_args(size), _float_dtype(dtype)
    arr = _random.uniform(generator, math.prod(shape), dt).astype(dt).reshape(shape)
    return _finish(arr, None, device, requires_grad)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False,
            low=None, high=None) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``
    (int64 unless ``dtype`` says otherwise); ``low``/``high`` may be keywords."""
    if high is not None:
        if len(args) == 1 and low is None:  # randint(2, high=10, size=...): low by position
            low, args = args[0], ()
        if args:
            raise TypeError("randint(): high given both by position and by keyword")
        args = (0 if low is None else low, high)
    elif low is not None:
        raise TypeError("randint(): low given without high")
    if size is not None:
        args = args + (size,)
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError(f"randint() expects (high, size) or (low, high, size), got "
                        f"{len(args)} positional arguments")
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"randint(): size must be a tuple of ints, got {type(size).__name__}")
    low, high = builtins.int(low), builtins.int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    shape = tuple(builtins.int(d) for d in size)
    arr = _random.randint(generator, math.prod(shape), low, high).reshape(shape)
    return _finish(arr, dtype, device, requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, device=None,
                 requires_grad=False) -> Tensor:
    """``randint`` with ``input``'s shape (and dtype and device unless given)."""
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, tuple(input.shape), dtype=dtype, device=device,
                   requires_grad=requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    arr = _random.randperm(generator, builtins.int(n))
    return _finish(arr, dtype, device, requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Sample indices from each row of (unnormalised, non-negative) ``input`` (1-d or 2-d)."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {input.ndim}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample {num_samples} <= 0 samples")
    p = backend.to_numpy(input._data)
    if p.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got "
                           f"{p.dtype}")
    rows = p.reshape(-1, p.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample ({num_samples}) > "
                           f"prob_dist.size(-1) ({rows.shape[1]}) samples without replacement")
    acc = np.float64 if rows.dtype == np.float64 else np.float32
    if not replacement or num_samples == 1:
        # PyTorch's way: the k largest of p / q with q ~ Exp(1) per entry (exponential race,
        # the Gumbel top-k trick in another form) are a draw without replacement
        q = _random.exponential(generator, rows.size).astype(rows.dtype).reshape(rows.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = rows / q
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        # inverse-CDF: cumulative sums in the input's precision, normalised, last bucket 1;
        # a float64 uniform u per draw (row by row) picks the first bucket with cdf >= u
        cdf = np.cumsum(rows.astype(acc), axis=1, dtype=acc)
        cdf = cdf / cdf[:, -1:]
        cdf[:, -1] = 1
        u = _random.uniform(generator, rows.shape[0] * num_samples, np.float64)
        u = u.reshape(rows.shape[0], num_samples)
        out = np.stack([np.searchsorted(c.astype(np.float64), ui, side="left")
                        for c, ui in zip(cdf, u)])
    out = out.astype(np.int64).reshape(p.shape[:-1] + (num_samples,))
    return _finish(out, None, input.device, False)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``) per element, else 0; ``input``'s dtype."""
    probs = backend.to_numpy(input._data) if p is None else np.full(input.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    if p is None:
        draws = _random.bernoulli_tensor(generator, np.ascontiguousarray(probs).ravel())
    else:
        draws = _random.bernoulli_scalar(generator, probs.size, p)
    return _finish(draws.reshape(input.shape).astype(input._data.dtype), None, input.device,
                   False)


def poisson(input: Tensor, generator=None) -> Tensor:
    """A Poisson draw with rate ``input`` per element; ``input``'s dtype."""
    rates = backend.to_numpy(input._data)
    if (rates < 0).any():
        raise RuntimeError("poisson: all rates must be non-negative")
    draws = _random.poisson(generator, np.ascontiguousarray(rates).ravel()).reshape(rates.shape)
    return _finish(draws.astype(input._data.dtype), None, input.device, False)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """N(mean, std^2) samples: tensor means and/or stds (broadcast together), or two numbers
    and a ``size``."""
    like = mean if isinstance(mean, Tensor) else (std if isinstance(std, Tensor) else None)
    if like is None:
        if size is None:
            raise TypeError("normal(): with a number mean and std, give a size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape, dt = _shape_args((size,)), _float_dtype(dtype)
        arr = _random.normal(generator, math.prod(shape), dt, mean, std)
        return _finish(arr.astype(dt).reshape(shape), None, device, requires_grad)
    m = backend.to_numpy(mean._data) if isinstance(mean, Tensor) else mean
    s = backend.to_numpy(std._data) if isinstance(std, Tensor) else std
    if (np.asarray(s) < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    z = _random.normal(generator, math.prod(shape), like._data.dtype).reshape(shape)
    arr = m + s * z  # PyTorch fills N(0, 1) and then scales and shifts, as here
    return _finish(np.asarray(arr).astype(like._data.dtype), None, like.device, False)


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


class _TypedTensorMeta(type):
    """``isinstance(t, LongTensor)`` asks for the dtype, as PyTorch's legacy types do."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype


def _typed_tensor(name: str, dtype: backend.dtype):
    def new(cls, *args, device=None):
        if len(args) == 1 and not isinstance(args[0], builtins.int):
            return tensor(args[0], dtype=cls.dtype, device=device)
        return zeros(*args, dtype=cls.dtype, device=device)

    doc = (f"``{name}(data)`` a {dtype.name} tensor holding ``data``; ``{name}(*sizes)`` a "
           f"zero-filled one (PyTorch's legacy constructor).")
    return _TypedTensorMeta(name, (), {"dtype": dtype, "__new__": new, "__doc__": doc})


FloatTensor = _typed_tensor("FloatTensor", backend.float32)
DoubleTensor = _typed_tensor("DoubleTensor", backend.float64)
HalfTensor = _typed_tensor("HalfTensor", backend.float16)
LongTensor = _typed_tensor("LongTensor", backend.int64)
IntTensor = _typed_tensor("IntTensor", backend.int32)
ShortTensor = _typed_tensor("ShortTensor", backend.int16)
CharTensor = _typed_tensor("CharTensor", backend.int8)
ByteTensor = _typed_tensor("ByteTensor", backend.uint8)
BoolTensor = _typed_tensor("BoolTensor", backend.bool_)
