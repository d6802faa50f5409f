"""``tinytorch.X`` for selection and ordering, indexing and scatter, and shape (issue 11a).

Each function checks its arguments as PyTorch does (errors name the offending value) and
translates them into one of a few differentiable Functions: ``Take`` and ``PutReduce``
(``ops/scatter.py``, everything that reads or writes at computed positions), ``Flip``,
``Roll`` and the existing shape ops. ``Tensor``'s methods of the same names call these.
"""

from __future__ import annotations

import builtins
import itertools
from typing import Sequence

import numpy as np

from . import backend
from . import tensor as _tensor_module
from ._indexing import translate_index
from .autograd import grad_mode
from .ops import scatter as SC
from .ops import shape as S

# Tensor and its helpers are read from the module at call time: tensor.py imports this
# module while it is being defined.


def _T():
    return _tensor_module.Tensor


def _make(array):
    return _tensor_module.Tensor._make(array)


def _dim(d, ndim):
    return _tensor_module._dim(d, ndim)


def _result(values, indices):
    return _tensor_module.MinMaxResult(values, indices)


def _index_array(op: str, index, like, *, allow_bool: bool = False):
    """The raw int64 array of an index tensor, checked for type, dtype and device."""
    if not isinstance(index, _T()):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    arr = index._data
    if arr.dtype.kind not in "iu" or arr.dtype.itemsize not in (4, 8):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")
    if index.device != like.device:
        raise RuntimeError(f"{op}(): expected index on {like.device}, got it on {index.device}")
    return arr.astype(np.int64, copy=False)


def _check_bounds(op: str, arr, size: int, dim: int, *, negative: bool = False,
                  exc: type = RuntimeError):
    """Raise when an entry of ``arr`` is outside ``[0, size)`` (``[-size, size)`` with
    ``negative``); return ``arr`` with negative entries wrapped."""
    if not arr.size:
        return arr
    hi, lo = int(arr.max()), int(arr.min())
    low = -size if negative else 0
    if hi >= size or lo < low:
        bad = hi if hi >= size else lo
        raise exc(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {size}")
    if negative and lo < 0:
        arr = arr % max(size, 1)
    return arr


def _dtype_match(op: str, a, b, what: str = "src"):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to {what}.dtype "
                           f"({a.dtype} != {b.dtype})")


def _shape_of(t):
    return tuple(t.shape) if t.ndim else (1,)


def _write_inplace(self, out):
    """Make ``self`` hold ``out``: its storage is written (its version bumped), and when a
    graph is recorded its history becomes ``out``'s (``Tensor._commit_inplace``)."""
    if grad_mode.is_grad_enabled() and (self.requires_grad or out.requires_grad):
        self._check_inplace_in_graph()
        return self._commit_inplace(out)
    self._data[...] = out._data
    self._bump_version()
    return self


# ============================================================== gather and scatter


def _dim_index(op: str, input, dim, index, other=None, other_name="src"):
    """Checks shared by gather and scatter: ``dim``, the index's dtype, rank, sizes and
    bounds; returns ``(dim, index array)``."""
    dim = _dim(dim, input.ndim)
    idx = _index_array(op, index, input)
    if idx.ndim != max(input.ndim, 1) and not (idx.ndim == 0 and input.ndim == 0):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"input tensor ({idx.ndim} != {input.ndim})")
    shape = _shape_of(input)
    idx_shape = idx.shape if idx.ndim else (1,)
    for d, n in enumerate(idx_shape):
        if d != dim and n > shape[d]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {d}: expected index "
                               f"{list(idx.shape)} to be smaller than self {list(input.shape)} "
                               f"apart from dimension {dim}")
        if other is not None and other.ndim and n > other.shape[d]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {d}: expected index "
                               f"{list(idx.shape)} to be smaller than {other_name} "
                               f"{list(other.shape)}")
    _check_bounds(op, idx, shape[dim], dim)
    return dim, idx


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for ``dim=1``)."""
    dim, idx = _dim_index("gather", input, dim, index)
    pos = SC.flat_positions(_shape_of(input), dim, idx.reshape(idx.shape or (1,)))
    return SC.Take.apply(input, pos.reshape(idx.shape))


def _narrow_to(src, shape):
    """``src`` cut down to ``shape`` (scatter reads only the first entries of a larger src)."""
    if tuple(src.shape) == tuple(shape):
        return src
    return S.Index.apply(src, tuple(slice(0, n) for n in shape))


def _scatter(op, input, dim, index, src, mode, include_self=True):
    if isinstance(src, _T()):
        _dtype_match(op, input, src)
        dim, idx = _dim_index(op, input, dim, index, src)
        src = _narrow_to(src, idx.shape)
    else:
        dim, idx = _dim_index(op, input, dim, index)
        src = input._xp.full(idx.shape, src, dtype=input._data.dtype)
    pos = SC.flat_positions(_shape_of(input), dim, idx.reshape(idx.shape or (1,)))
    return SC.PutReduce.apply(input, src, pos, mode, include_self)


_SCATTER_REDUCE = {None: "none", "add": "sum", "multiply": "prod"}


def scatter(input, dim: int, index, src=None, reduce: str | None = None, *, value=None):
    """``out = input`` with ``out[i][index[i][j]] = src[i][j]`` (``dim=1``); ``src`` may be
    a number (``value``); ``reduce='add'|'multiply'`` combines instead of overwriting."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if reduce not in _SCATTER_REDUCE:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    return _scatter("scatter", input, dim, index, src, _SCATTER_REDUCE[reduce])


def scatter_add(input, dim: int, index, src):
    """``out = input`` with ``out[i][index[i][j]] += src[i][j]`` (``dim=1``)."""
    return _scatter("scatter_add", input, dim, index, src, "sum")


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with sum, prod, mean, amax
    or amin; ``include_self=False`` leaves ``input``'s own values out of the reduction."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    return _scatter("scatter_reduce", input, dim, index, src, reduce, include_self)


def _vector_index(op, input, dim, index, *, exc=IndexError):
    """Checks of index_select/index_add/...: ``dim`` and a 0-d or 1-d in-bounds index."""
    dim = _dim(dim, input.ndim)
    idx = _index_array(op, index, input)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape "
                         f"{list(idx.shape)}")
    idx = idx.reshape(-1)
    _check_bounds(op, idx, _shape_of(input)[dim], dim, exc=exc)
    return dim, idx


def _along(idx, dim, slices_shape, target):
    """Flat positions in ``target`` (a tensor) of its slices ``idx`` along ``dim``, laid out
    as ``slices_shape`` (``target``'s shape with ``len(idx)`` at ``dim``)."""
    view = [1] * len(slices_shape)
    view[dim] = idx.shape[0]
    xp = backend.get_array_module(idx)
    full = xp.broadcast_to(idx.reshape(view), slices_shape)
    return SC.flat_positions(_shape_of(target), dim, full)


def index_select(input, dim: int, index):
    """The slices ``index`` of ``input`` along ``dim``."""
    dim, idx = _vector_index("index_select", input, dim, index)
    shape = list(_shape_of(input))
    shape[dim] = idx.shape[0]
    out = SC.Take.apply(input, _along(idx, dim, shape, input))
    return out if input.ndim else out.reshape(idx.shape[:1] if index.ndim else ())


def _source_slices(op, input, dim, idx, source):
    """The shape ``source`` must have: ``input``'s with ``len(index)`` at ``dim``."""
    want = list(_shape_of(input))
    want[dim] = idx.shape[0]
    got = list(_shape_of(source))
    if got != want:
        if len(got) == len(want) and got[dim] != want[dim]:
            raise (IndexError if op == "index_copy" else RuntimeError)(
                f"{op}(): Number of indices ({idx.shape[0]}) should be equal to "
                             f"source.size(dim) ({got[dim]})")
        raise RuntimeError(f"{op}(): Source/destination tensor must have same slice shapes: "
                           f"source {list(source.shape)}, expected {want}")
    return want


def _index_write(op, input, dim, index, source, mode, alpha=1):
    dim, idx = _vector_index(op, input, dim, index)
    if not isinstance(source, _T()):
        raise TypeError(f"{op}(): source must be a Tensor, got {type(source).__name__}")
    _dtype_match(op, input, source, "source")
    want = _source_slices(op, input, dim, idx, source)
    src = source.reshape(want) if list(_shape_of(source)) != want else source
    if alpha != 1:
        src = src * alpha
    if mode == "sum" and input.ndim and input._data.dtype.kind == "f" and \
            input.shape[dim] <= 256:  # measured: the one-hot product wins for short dims
        return SC.IndexAddRows.apply(input, src, dim, idx)
    return SC.PutReduce.apply(input, src, _along(idx, dim, want, input), mode, True)


def index_add(input, dim: int, index, source, *, alpha=1):
    """``out = input`` with ``alpha * source[j]`` added to slice ``index[j]`` along ``dim``."""
    return _index_write("index_add", input, dim, index, source, "sum", alpha)


def index_copy(input, dim: int, index, source):
    """``out = input`` with slice ``index[j]`` along ``dim`` replaced by ``source[j]``."""
    return _index_write("index_copy", input, dim, index, source, "none")


def index_fill(input, dim: int, index, value):
    """``out = input`` with the slices ``index`` along ``dim`` set to ``value``."""
    dim, idx = _vector_index("index_fill", input, dim, index)
    if isinstance(value, _T()):
        if value.ndim:
            raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, "
                               f"but got tensor with {value.ndim} dimension(s)")
        value = value.item()
    shape = list(_shape_of(input))
    shape[dim] = idx.shape[0]
    src = input._xp.full(shape, value, dtype=input._data.dtype)
    return SC.PutReduce.apply(input, src, _along(idx, dim, shape, input), "none", True)


def _grid(t, shape=None):
    return SC.position_grid(tuple(t.shape) if shape is None else shape, t._xp)


def index_put(input, indices, values, accumulate: bool = False):
    """``out = input`` with ``out[indices] = values`` (``+=`` with ``accumulate``)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): indices must be a tuple of tensors")
    pos = _grid(input)[translate_index(tuple(indices), input)]
    if isinstance(values, _T()):
        if values.dtype != input.dtype:
            raise RuntimeError(f"index_put(): Index put requires the source and destination "
                               f"dtypes match, got {input.dtype} for the destination and "
                               f"{values.dtype} for the source.")
        if tuple(values.shape) != tuple(pos.shape):
            try:
                values = values.expand(pos.shape)
            except RuntimeError:
                raise RuntimeError(f"index_put(): shape mismatch: value tensor of shape "
                                   f"{list(values.shape)} cannot be broadcast to indexing "
                                   f"result of shape {list(pos.shape)}") from None
    else:
        values = input._xp.full(pos.shape, values, dtype=input._data.dtype)
    return SC.PutReduce.apply(input, values, pos, "sum" if accumulate else "none", True)


def index_put_(input, indices, values, accumulate: bool = False):
    """``input[indices] = values`` in place (``+=`` with ``accumulate``); returns ``input``."""
    return input.index_put_(indices, values, accumulate)


def take(input, index):
    """``input`` read as a 1-d tensor at ``index``; the result has ``index``'s shape."""
    idx = _index_array("take", index, input)
    n = input.numel()
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"take(): index {bad} is out of range for a tensor of "
                         f"{n} elements (shape {list(input.shape)})")
    return SC.Take.apply(input, idx % max(n, 1))


def take_along_dim(input, indices, dim: int | None = None):
    """``gather`` after broadcasting ``input`` and ``indices`` in all dims but ``dim``
    (``dim=None``: both flattened)."""
    if dim is None:
        return take(input.reshape(-1), indices.reshape(-1))
    dim = _dim(dim, input.ndim)
    if indices.ndim != input.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input.ndim} and {indices.ndim}")
    a_shape, i_shape = list(input.shape), list(indices.shape)
    a_shape[dim] = i_shape[dim] = 1
    common = list(broadcast_shapes(a_shape, i_shape))
    a_want, i_want = list(common), list(common)
    a_want[dim], i_want[dim] = input.shape[dim], indices.shape[dim]
    x = input if list(input.shape) == a_want else input.expand(a_want)
    i = indices if list(indices.shape) == i_want else indices.expand(i_want)
    return gather(x, dim, i)


def masked_select(input, mask):
    """The entries of ``input`` where the (broadcast) boolean ``mask`` is True, as 1-d."""
    m = _bool_mask("masked_select", mask, input)
    shape = broadcast_shapes(tuple(input.shape), tuple(m.shape))
    x = input if tuple(input.shape) == shape else input.expand(shape)
    pos = _grid(x, shape)[input._xp.broadcast_to(m, shape)]
    return SC.Take.apply(x, pos)


def _bool_mask(op, mask, like):
    if not isinstance(mask, _T()):
        raise TypeError(f"{op}(): mask must be a Tensor, got {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op}(): expected a boolean mask, but got mask with dtype "
                           f"{mask.dtype}")
    return mask._data


def masked_scatter(input, mask, source):
    """``out = input`` with the entries where ``mask`` is True filled, in order, from
    ``source``'s first entries."""
    m = _bool_mask("masked_scatter", mask, input)
    try:
        m = input._xp.broadcast_to(m, tuple(input.shape))
    except ValueError:
        raise RuntimeError(f"masked_scatter(): mask of shape {list(mask.shape)} does not "
                           f"broadcast to self's shape {list(input.shape)}") from None
    _dtype_match("masked_scatter", input, source, "source")
    pos = _grid(input)[m]
    if source.numel() < pos.size:
        raise RuntimeError(f"masked_scatter(): Number of elements of source ({source.numel()}) "
                           f"< number of ones in mask ({pos.size})")
    src = source.reshape(-1)
    src = src if src.shape[0] == pos.size else S.Index.apply(src, slice(0, pos.size))
    return SC.PutReduce.apply(input, src, pos, "none", True)


def put(input, index, source, accumulate: bool = False):
    """``out = input`` with ``out.flat[index] = source`` (``+=`` with ``accumulate``)."""
    idx = _index_array("put", index, input)
    if idx.size != source.numel():
        raise IndexError(f"put(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {idx.size}")
    _dtype_match("put", input, source, "source")
    n = input.numel()
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"put(): index {bad} is out of range for a tensor of {n} elements")
    return SC.PutReduce.apply(input, source.reshape(-1), (idx % max(n, 1)).reshape(-1),
                              "sum" if accumulate else "none", True)


def select_scatter(input, src, dim: int, index: int):
    """``out = input`` with ``out.select(dim, index) = src``."""
    dim = _dim(dim, input.ndim)
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select_scatter(): index {index} is out of range for dimension "
                         f"{dim} with size {size}")
    pos = input._xp.take(_grid(input), index % size, axis=dim)
    return _embed("select_scatter", input, src, pos)


def slice_scatter(input, src, dim: int = 0, start: int | None = None, end: int | None = None,
                  step: int = 1):
    """``out = input`` with ``out[..., start:end:step, ...] = src`` (the slice on ``dim``)."""
    dim = _dim(dim, input.ndim)
    if step <= 0:
        raise RuntimeError(f"slice_scatter(): slice step must be positive, got {step}")
    pos = _grid(input)[(slice(None),) * dim + (slice(start, end, step),)]
    return _embed("slice_scatter", input, src, pos)


def _embed(op, input, src, pos):
    if tuple(src.shape) != tuple(pos.shape):
        raise RuntimeError(f"{op}(): expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(pos.shape)}")
    _dtype_match(op, input, src)
    return SC.PutReduce.apply(input, src, pos, "none", True)


# ============================================================== selection and ordering


def _argsort(arr, dim: int, descending: bool):
    """Stable order along ``dim``: ties keep their order, NaN counts as the largest."""
    xp = backend.get_array_module(arr)
    key = arr.astype(np.uint8) if arr.dtype == np.bool_ else arr
    if not descending:
        return xp.argsort(key, axis=dim, kind="stable")
    # stable descending = the stable ascending order of the reversed array, reversed back
    n = key.shape[dim]
    rev = xp.argsort(xp.flip(key, dim), axis=dim, kind="stable")
    return (n - 1) - xp.flip(rev, dim)


def _take_along(input, dim, order):
    """Values of ``input`` at ``order`` along ``dim`` (differentiable), and the order."""
    shape = _shape_of(input)
    pos = SC.flat_positions(shape, dim, order.reshape(order.shape or (1,)))
    return SC.Take.apply(input, pos.reshape(order.shape))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` of ``input`` sorted along ``dim``; ties keep their order."""
    if input.ndim == 0:
        return _result(input.clone(), _make(input._xp.zeros((), dtype=np.int64)))
    dim = _dim(dim, input.ndim)
    order = _argsort(input._data, dim, descending).astype(np.int64, copy=False)
    return _result(_take_along(input, dim, order), _make(order))


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort ``input`` along ``dim``."""
    if input.ndim == 0:
        return _make(input._xp.zeros((), dtype=np.int64))
    dim = _dim(dim, input.ndim)
    return _make(_argsort(input._data, dim, descending).astype(np.int64, copy=False))


def _keep(order, dim, start, stop):
    xp = backend.get_array_module(order)
    return xp.take(order, xp.arange(start, stop), axis=dim)


def _dim_with_k(input, dim: int, k: int, lowest: int, what: str) -> int:
    """``dim`` wrapped, after checking ``lowest <= k <=`` its size (``what`` opens the error)."""
    dim = _dim(dim, input.ndim)
    size = _shape_of(input)[dim]
    if not lowest <= k <= size:
        raise RuntimeError(f"{what} k ({k}) out of range for dimension {dim} of size {size}")
    return dim


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest (smallest) entries along ``dim``."""
    dim = _dim_with_k(input, dim, k, 0, "topk(): selected index")
    if input.ndim == 0:
        return sort(input)
    order = _top_order(input._data, k, dim, largest).astype(np.int64, copy=False)
    return _result(_take_along(input, dim, order), _make(order))


def _top_order(arr, k, dim, largest):
    """The first ``k`` of the stable order along ``dim``. For a small ``k`` (float input
    without NaN) ``k`` passes of argmax, each taking the first of the remaining extremes,
    cost less than sorting every row."""
    xp = backend.get_array_module(arr)
    if not (0 < k <= 16 and k < arr.shape[dim] // 2 and arr.dtype.kind == "f") or \
            bool(xp.isnan(arr).any()):
        return _keep(_argsort(arr, dim, largest), dim, 0, k)
    rows = xp.moveaxis(arr, dim, -1)
    work = rows.reshape(-1, rows.shape[-1]).copy()
    pick, done = (xp.argmax, -xp.inf) if largest else (xp.argmin, xp.inf)
    every = xp.arange(work.shape[0])
    chosen = xp.empty((work.shape[0], k), dtype=np.int64)
    for j in range(k):
        at = pick(work, axis=1)
        chosen[:, j] = at
        work[every, at] = done
    if bool((xp.take_along_axis(rows.reshape(work.shape), chosen, axis=1) == done).any()):
        return _keep(_argsort(arr, dim, largest), dim, 0, k)  # infinities: exact order
    return xp.moveaxis(chosen.reshape(rows.shape[:-1] + (k,)), -1, dim)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the ``k``-th smallest entry along ``dim``."""
    dim = _dim_with_k(input, dim, k, 1, "kthvalue(): selected number")
    if input.ndim == 0:
        return sort(input)
    order = _keep(_argsort(input._data, dim, False), dim, k - 1, k).astype(np.int64)
    return _reduced(input, dim, order, keepdim)


def _reduced(input, dim, order, keepdim):
    """Values at ``order`` (size 1 along ``dim``), that dim kept or dropped."""
    values = _take_along(input, dim, order)
    if not keepdim:
        values, order = values.squeeze(dim), order.squeeze(dim)
    return _result(values, _make(order))


def _median(input, dim, keepdim, ignore_nan: bool):
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            raise RuntimeError("median() input tensor cannot be empty")
        return _median(flat, 0, False, ignore_nan).values
    dim = _dim(dim, input.ndim)
    if input.ndim == 0:
        return sort(input)
    xp = input._xp
    arr = input._data
    order = _argsort(arr, dim, False)  # NaN sorts last
    nans = xp.isnan(arr).sum(axis=dim, keepdims=True) if arr.dtype.kind == "f" else 0
    valid = arr.shape[dim] - nans
    if ignore_nan:  # the lower median of the non-NaN entries (a NaN when all are NaN)
        at = xp.maximum(valid - 1, 0) // 2
    else:  # any NaN makes the median NaN: its first NaN, sorted right after the numbers
        at = xp.where(nans > 0, valid, (arr.shape[dim] - 1) // 2)
    at = xp.broadcast_to(xp.asarray(at), order.shape[:dim] + (1,) + order.shape[dim + 1:])
    chosen = xp.take_along_axis(order, at.astype(np.int64), axis=dim).astype(np.int64)
    return _reduced(input, dim, chosen, keepdim)


def median(input, dim: int | None = None, keepdim: bool = False):
    """Without ``dim``: the lower median of all entries; with ``dim``: ``(values,
    indices)`` of the lower median along it. A NaN makes the median NaN."""
    return _median(input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim: int | None = None, keepdim: bool = False):
    """``median`` ignoring NaN entries."""
    return _median(input, dim, keepdim, ignore_nan=True)


def mode(input, dim: int = -1, keepdim: bool = False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence."""
    dim = _dim(dim, input.ndim)
    if input.ndim == 0:
        return sort(input)
    xp = input._xp
    arr = xp.moveaxis(input._data, dim, -1)
    n = arr.shape[-1]
    rows = arr.reshape(-1, n)
    order = _argsort(rows, 1, False)
    s = xp.take_along_axis(rows, order, axis=1)
    # run starts and lengths in the sorted rows; the first longest run is the smallest value
    new_run = xp.ones(s.shape, dtype=bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]
    start_of = xp.where(new_run, xp.arange(n), 0)
    start = xp.maximum.accumulate(start_of, axis=1)
    length = xp.arange(n) - start + 1  # run length so far; max at each run's last entry
    best_end = xp.argmax(length, axis=1)  # first run reaching the longest length, its end
    # the last occurrence of that value in the original order is the largest original index
    # within the run (stable sort keeps original order, so it is the run's last entry)
    idx = order[xp.arange(rows.shape[0]), best_end].astype(np.int64)
    idx = idx.reshape(arr.shape[:-1] + (1,))
    idx = xp.moveaxis(idx, -1, dim)
    return _reduced(input, dim, xp.ascontiguousarray(idx), keepdim)


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct values (or slices along ``dim``), sorted; optionally where each input
    entry went (``inverse``) and how often each value occurs (``counts``)."""
    xp = input._xp
    arr = input._data
    if dim is not None:
        dim = _dim(dim, input.ndim)
    values, inverse, counts = xp.unique(arr, return_inverse=True, return_counts=True, axis=dim)
    inverse = inverse.reshape(arr.shape if dim is None else (arr.shape[dim],))
    out = [_make(values)]
    if return_inverse:
        out.append(_make(inverse.astype(np.int64)))
    if return_counts:
        out.append(_make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """``unique`` of runs: each group of consecutive equal values (or slices) kept once."""
    xp = input._xp
    arr = input._data
    if dim is None:
        seq = arr.reshape(-1)
        differs = seq[1:] != seq[:-1]
    else:
        dim = _dim(dim, input.ndim)
        seq = xp.moveaxis(arr, dim, 0)
        rest = int(np.prod(seq.shape[1:]))
        pairs = (seq[1:] != seq[:-1]).reshape(max(seq.shape[0] - 1, 0), rest)
        differs = pairs.any(axis=1)
    starts = xp.concatenate([xp.ones(min(seq.shape[0], 1), dtype=bool), differs])
    first = xp.nonzero(starts)[0]
    values = seq[first] if dim is None else xp.moveaxis(seq[first], 0, dim)
    out = [_make(xp.ascontiguousarray(values))]
    if return_inverse:
        inv = xp.cumsum(starts) - 1
        out.append(_make(inv.reshape(arr.shape if dim is None else (-1,)).astype(np.int64)))
    if return_counts:
        out.append(_make(xp.diff(xp.concatenate([first, xp.asarray([seq.shape[0]])]))
                         .astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter=None):
    """For each value, the index where it would be inserted into the sorted innermost
    dimension of ``sorted_sequence`` (``right``/``side='right'``: after equal entries)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right', "
                               f"got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    xp = sorted_sequence._xp
    seq = sorted_sequence._data
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    scalar = not isinstance(input, _T())
    vals = xp.asarray(input) if scalar else input._data
    where = "right" if right else "left"
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=where)
    else:
        if scalar or tuple(seq.shape[:-1]) != tuple(vals.shape[:-1]):
            raise RuntimeError(f"searchsorted(): boundaries tensor should be 1 dimension or "
                               f"the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor "
                               f"{list(xp.shape(vals))}")
        rows, values = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = xp.stack([xp.searchsorted(r, v, side=where) for r, v in zip(rows, values)])
        out = out.reshape(vals.shape)
    return _make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def nonzero(input, *, as_tuple: bool = False):
    """The indices of the nonzero entries: an ``(n, ndim)`` tensor, or one 1-d tensor per
    dimension with ``as_tuple=True``."""
    xp = input._xp
    arr = input._data
    if as_tuple:
        return tuple(_make(i.astype(np.int64)) for i in xp.nonzero(xp.atleast_1d(arr)))
    return _make(xp.argwhere(arr).astype(np.int64))


def argwhere(input):
    """``nonzero(input)``: the ``(n, ndim)`` indices of the nonzero entries."""
    return nonzero(input)


def count_nonzero(input, dim=None):
    """How many entries are nonzero (along ``dim``)."""
    axes = None if dim is None else tuple(_dim(d, input.ndim) for d in (
        (dim,) if isinstance(dim, builtins.int) else dim))
    return _make(input._xp.asarray(input._xp.count_nonzero(input._data, axis=axes),
                                   dtype=np.int64))


def bincount(input, weights=None, minlength: int = 0):
    """How often each value ``0..max`` occurs in the 1-d non-negative integer ``input``
    (the sum of ``weights`` at those entries, when given)."""
    arr = input._data
    if arr.ndim != 1 or arr.dtype.kind not in "iub" or (arr.size and int(arr.min()) < 0):
        raise RuntimeError(f"bincount(): only supports 1-d non-negative integral inputs, got "
                           f"a {arr.ndim}-d tensor of dtype {input.dtype}")
    if minlength < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    xp = input._xp
    if weights is None:
        return _make(xp.bincount(arr, minlength=minlength).astype(np.int64))
    if tuple(weights.shape) != tuple(arr.shape):
        raise RuntimeError(f"bincount(): weights should be 1-d and have the same length as "
                           f"input, got {list(weights.shape)} for input {list(arr.shape)}")
    w = weights._data
    out = xp.bincount(arr, weights=w, minlength=minlength)
    return _make(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def histc(input, bins: int = 100, min: float = 0, max: float = 0):
    """Counts in ``bins`` equal-width bins over ``[min, max]`` (the data's range when both
    are 0); values outside are ignored. Same dtype as ``input``."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"histc(): expected a floating point tensor, got {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    if min > max:
        raise RuntimeError(f"histc(): max must be larger than min, got min {min} max {max}")
    xp = input._xp
    arr = input._data.reshape(-1)
    lo, hi = builtins.float(min), builtins.float(max)
    if lo == hi and arr.size:
        lo, hi = builtins.float(arr.min()), builtins.float(arr.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    # PyTorch's binning: bin = floor((x - min) * bins / (max - min)), x = max in the last bin
    inside = arr[(arr >= lo) & (arr <= hi)]
    which = ((inside - lo) * (bins / (hi - lo))).astype(np.int64)
    which = xp.minimum(which, bins - 1)
    return _make(xp.bincount(which, minlength=bins).astype(input._data.dtype))


# ============================================================== shape


def _dims(dims, ndim):
    dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    out = tuple(_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dims {list(dims)} has a dimension listed more than once")
    return out


def flip(input, dims):
    """``input`` reversed along each of ``dims``."""
    dims = _dims(dims, input.ndim)
    return S.Flip.apply(input, dims) if input.ndim else input.clone()


def fliplr(input):
    """``input`` reversed left-right (along dim 1); needs at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr(): Input must be >= 2-d, got {input.ndim}-d")
    return flip(input, 1)


def flipud(input):
    """``input`` reversed up-down (along dim 0); needs at least 1 dim."""
    if input.ndim < 1:
        raise RuntimeError("flipud(): Input must be >= 1-d, got 0-d")
    return flip(input, 0)


def roll(input, shifts, dims=None):
    """``input`` rotated by ``shifts`` along ``dims`` (flattened when ``dims`` is None)."""
    if dims is None:
        if not isinstance(shifts, builtins.int) and len(shifts) != 1:
            raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: "
                               f"{len(shifts)}, dims: 0")
        shift = shifts if isinstance(shifts, builtins.int) else shifts[0]
        return S.Roll.apply(input.reshape(-1), builtins.int(shift), 0).reshape(input.shape)
    shifts = (shifts,) if isinstance(shifts, builtins.int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {len(dims)}")
    dims = tuple(_dim(d, input.ndim) for d in dims)
    return S.Roll.apply(input, tuple(builtins.int(s) for s in shifts), dims)


def rot90(input, k: int = 1, dims: Sequence[int] = (0, 1)):
    """``input`` rotated by ``k`` quarter turns in the plane ``dims``, from the first
    towards the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90(): expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90(): expected total dims >= 2, but got total dims = "
                           f"{input.ndim}")
    d0, d1 = _dim(dims[0], input.ndim), _dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"rot90(): expected rotation dims to be different, but got dim0 = "
                           f"{d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return input.clone()


def repeat_interleave(input, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None):
    """Each entry (slice along ``dim``) repeated ``repeats`` times, in place; with one
    argument, ``input`` holds the repeat counts and the result is the repeated indices."""
    if repeats is None:
        counts = input._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave(): repeats must be 0-dim or 1-dim tensor")
        xp = input._xp
        return _make(xp.repeat(xp.arange(counts.size, dtype=np.int64), counts.reshape(-1)))
    x = input.reshape(-1) if dim is None else input
    dim = 0 if dim is None else _dim(dim, input.ndim)
    n = _shape_of(x)[dim]
    if isinstance(repeats, _T()):
        reps = repeats._data.reshape(-1)
        if reps.size not in (1, n):
            raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input "
                               f"along dim {dim}, but got repeats.size(0) = {reps.size} and "
                               f"input.size({dim}) = {n}")
    else:
        reps = np.asarray(repeats).reshape(-1)
    if reps.size and int(reps.min()) < 0:
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    if x.ndim == 0:
        x = x.reshape(1)
    if reps.size == 1:  # each slice r times: an expand along a new dim, then a reshape
        r = int(reps.reshape(-1)[0])
        shape = list(x.shape)
        wide = x.unsqueeze(dim + 1).expand(*shape[:dim + 1], r, *shape[dim + 1:])
        shape[dim] *= r
        return wide.reshape(shape)
    xp = x._xp
    idx = xp.repeat(xp.arange(n, dtype=np.int64), backend.move(reps, x.device))
    return index_select(x, dim, _make(idx))


def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each dim (``dims`` padded with leading
    ones to the input's rank)."""
    dims = tuple(dims) if not isinstance(dims, builtins.int) else (dims,)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return input.repeat(*dims)


def broadcast_shapes(*shapes):
    """The shape that all ``shapes`` broadcast to."""
    try:
        return _tensor_module.Size(np.broadcast_shapes(
            *(tuple(s) if not isinstance(s, builtins.int) else (s,) for s in shapes)))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{', '.join(str(list(s)) for s in shapes)}") from None


def broadcast_to(input, size):
    """``input.expand(size)``."""
    return input.expand(tuple(size))


def broadcast_tensors(*tensors):
    """Every tensor expanded to the shape they broadcast to together."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == tuple(shape) else t.expand(shape) for t in tensors)


def movedim(input, source, destination):
    """``input`` with the dims ``source`` moved to the positions ``destination``, the other
    dims keeping their order."""
    src = (source,) if isinstance(source, builtins.int) else tuple(source)
    dst = (destination,) if isinstance(destination, builtins.int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = tuple(_dim(d, input.ndim) for d in src)
    dst = tuple(_dim(d, input.ndim) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if input.ndim == 0:
        return input
    order = [d for d in range(input.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return input.permute(*order)


moveaxis = movedim


def swapaxes(input, axis0: int, axis1: int):
    """``input.transpose(axis0, axis1)``."""
    return input.transpose(axis0, axis1)


swapdims = swapaxes


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal ``offset`` of the planes ``(dim1, dim2)``, as a new last dim."""
    if input.ndim < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got "
                           f"{input.ndim}")
    d1, d2 = _dim(dim1, input.ndim), _dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return S.Diagonal.apply(input, offset, d1, d2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """A tensor whose diagonal ``offset`` in the planes ``(dim1, dim2)`` holds ``input``'s
    last dim, zero elsewhere."""
    ndim = input.ndim + 1
    d1, d2 = _dim(dim1, ndim), _dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input if input.ndim else input.reshape(1)
    n = x.shape[-1] + abs(offset)
    shape = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    xp = input._xp
    pos = SC.position_grid(tuple(shape), xp).diagonal(offset, d1, d2)
    zeros = xp.zeros(tuple(shape), dtype=input._data.dtype)
    return SC.PutReduce.apply(zeros, x, pos, "none", True)


def diag(input, diagonal: int = 0):
    """1-d input: the square matrix with ``input`` on diagonal ``diagonal``; 2-d input: that
    diagonal of the matrix."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal_fn(input, diagonal, 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


_diagonal_fn = diagonal


def diagflat(input, offset: int = 0):
    """The 2-d matrix with the flattened ``input`` on diagonal ``offset``."""
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input):
    """The sum of the main diagonal of a 2-d matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with dim {input.ndim}")
    return _diagonal_fn(input).sum()


def tensor_split(input, indices_or_sections, dim: int = 0):
    """Views of ``input`` along ``dim``: ``n`` nearly equal parts (the first ``size % n``
    one longer), or the parts between the given indices."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split(): expected at least a 1-dimensional tensor")
    dim = _dim(dim, input.ndim)
    size = input.shape[dim]
    spec = indices_or_sections
    if isinstance(spec, _T()):
        if spec.ndim > 1 or spec._data.dtype.kind not in "iu":
            raise RuntimeError("tensor_split(): tensor_indices_or_sections must be a zero-dim "
                               "or one-dim long tensor")
        spec = spec.item() if spec.ndim == 0 else [builtins.int(i) for i in spec.tolist()]
    if isinstance(spec, builtins.int):
        if spec <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, "
                               f"got {spec}")
        small, extra = divmod(size, spec)
        bounds = list(itertools.accumulate([small + 1] * extra + [small] * (spec - extra)))
        starts = [0] + bounds[:-1]
    else:
        cuts = [min(max(builtins.int(i) if i >= 0 else size + builtins.int(i), 0), size)
                for i in spec]
        starts, bounds = [0] + cuts, cuts + [size]
    lead = (slice(None),) * dim
    return tuple(S.Index.apply(input, lead + (slice(a, max(a, b)),))
                 for a, b in zip(starts, bounds))


def _split_n(name, input, spec, dim, need):
    if input.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(spec, builtins.int) and spec and input.shape[dim] % spec:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                           f"size of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for 1-d input), equal parts only."""
    return _split_n("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of an at least 2-d tensor, equal parts only."""
    return _split_n("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of an at least 3-d tensor, equal parts only."""
    return _split_n("dsplit", input, indices_or_sections, 2, 3)


def _tensor_list(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expects a non-empty TensorList")
    return tensors


def _atleast(t, n):
    if t.ndim >= n:
        return t
    if n == 1:
        return t.reshape(1)
    if n == 2:
        return t.reshape(1, -1)
    return t.reshape(1, -1, 1) if t.ndim <= 1 else t.unsqueeze(-1)


def _atleast_all(tensors, n):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(t, n) for t in tensors[0])
    out = tuple(_atleast(t, n) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dim (one tensor in, one out)."""
    return _atleast_all(tensors, 1)


def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dims (a 1-d ``(n,)`` becomes ``(1, n)``)."""
    return _atleast_all(tensors, 2)


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims (``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``)."""
    return _atleast_all(tensors, 3)


def hstack(tensors):
    """Tensors joined column-wise: along dim 1, or dim 0 when they are 1-d."""
    ts = [_atleast(t, 1) for t in _tensor_list(tensors, "hstack")]
    return _tensor_module.cat_tensors(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Tensors (made at least 2-d) joined along dim 0."""
    return _tensor_module.cat_tensors([_atleast(t, 2) for t in _tensor_list(tensors, "vstack")],
                                      0)


row_stack = vstack


def dstack(tensors):
    """Tensors (made at least 3-d) joined along dim 2."""
    return _tensor_module.cat_tensors([_atleast(t, 3) for t in _tensor_list(tensors, "dstack")],
                                      2)


def column_stack(tensors):
    """Tensors joined as columns: 0-d and 1-d ones become ``(n, 1)`` columns first."""
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in _tensor_list(tensors, "column_stack")]
    return _tensor_module.cat_tensors(ts, 1)


def unfold(input, dimension: int, size: int, step: int):
    """Every window of ``size`` entries along ``dimension``, ``step`` apart, as a new last
    dim (``Tensor.unfold``)."""
    dim = _dim(dimension, input.ndim)
    n = _shape_of(input)[dim]
    if size > n:
        raise RuntimeError(f"unfold(): maximum size for tensor at dimension {dim} is {n} but "
                           f"size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold(): step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"unfold(): size is {size} but must be >= 0")
    if input.ndim == 0:
        return input.reshape(1)[:size]
    return S.Unfold.apply(input, dim, size, step)


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids: output ``i`` holds ``tensors[i]`` along its own dim, repeated over
    the others (``indexing='xy'`` swaps the first two dims, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid(): indexing must be one of 'xy' or 'ij', got "
                           f"{indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid(): expects all tensors to have 0 or 1 dimensions, "
                               f"got one with {t.ndim}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, a in zip(tensors, axes):
        shape[a] = t.numel()
    out = []
    for t, a in zip(tensors, axes):
        view = [1] * len(tensors)
        view[a] = t.numel()
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of one entry from each 1-d tensor, as rows (one tensor: itself)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return S.Stack.apply(1, *(g.reshape(-1) for g in grids))


def combinations(input, r: int = 2, with_replacement: bool = False):
    """Every length-``r`` combination of the entries of a 1-d tensor, as rows (in the order
    of ``itertools.combinations``)."""
    if input.ndim != 1:
        raise RuntimeError(f"combinations(): Expect a 1D vector, but got shape "
                           f"{list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"combinations(): Expect a non-negative number, but got {r}")
    if r == 0:
        return _make(input._xp.zeros((0,), dtype=input._data.dtype))
    make = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(make(range(input.shape[0]), r))
    idx = np.asarray(rows, dtype=np.int64).reshape(len(rows), r)
    pos = backend.move(idx, input.device)
    return SC.Take.apply(input, pos)


def _triangle_indices(lower, row, col, offset, dtype, device):
    if row < 0 or col < 0:
        raise RuntimeError(f"{'tril' if lower else 'triu'}_indices(): row and col must be "
                           f"non-negative, got row={row} col={col}")
    mask = np.tri(row, col, offset, dtype=bool) if lower else \
        ~np.tri(row, col, offset - 1, dtype=bool)
    out = np.stack(np.nonzero(mask)).astype(backend.to_dtype(dtype).np)
    return _make(backend.move(out, backend.to_device(device)) if device is not None else out)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None):
    """The ``(2, n)`` row and column indices of the lower triangle of a ``row x col``
    matrix (on and below diagonal ``offset``), row by row."""
    return _triangle_indices(True, row, col, offset, dtype or backend.int64, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None):
    """The ``(2, n)`` indices of the upper triangle (on and above diagonal ``offset``)."""
    return _triangle_indices(False, row, col, offset, dtype or backend.int64, device)


def narrow_copy(input, dim: int, start: int, length: int):
    """A contiguous copy of ``input.narrow(dim, start, length)``."""
    return input.narrow(dim, start, length).clone()


def squeeze(input, dim=None):
    """``input`` without the size-1 dims (only those of ``dim``, an int or a tuple)."""
    return input.squeeze(dim)


def unsqueeze(input, dim: int):
    """``input`` with a new size-1 dim at ``dim``."""
    return input.unsqueeze(dim)


__all__ = [
    "argsort", "argwhere", "atleast_1d", "atleast_2d", "atleast_3d", "bincount",
    "broadcast_shapes", "broadcast_tensors", "broadcast_to", "bucketize", "cartesian_prod",
    "column_stack", "combinations", "count_nonzero", "diag", "diag_embed", "diagflat",
    "diagonal", "dsplit", "dstack", "flip", "fliplr", "flipud", "gather", "histc", "hsplit",
    "hstack", "index_add", "index_copy", "index_fill", "index_put", "index_put_",
    "index_select",
    "kthvalue", "masked_scatter", "masked_select", "median", "meshgrid", "mode", "moveaxis",
    "movedim", "nanmedian", "narrow_copy", "nonzero", "put", "repeat_interleave", "roll",
    "rot90", "row_stack", "scatter", "scatter_add", "scatter_reduce", "searchsorted",
    "select_scatter", "slice_scatter", "sort", "squeeze", "swapaxes", "swapdims", "take",
    "take_along_dim", "tensor_split", "tile", "topk", "trace", "tril_indices", "triu_indices",
    "unique", "unique_consecutive", "unsqueeze", "vsplit", "vstack",
]
