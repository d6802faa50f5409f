"""Reductions: sum, mean, var, max/min (values and indices), logsumexp, softmax, log_softmax.

``dim`` is None (all), an int or a tuple of ints; ``keepdim`` keeps reduced axes as size 1.
Backward re-inserts the reduced axes and broadcasts the gradient back over them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Function, array_module
from .elementwise import as_float


def normalize_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes; ``None`` means every axis."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
        out.append(d % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def expand_reduced(g, shape, axes, keepdim):
    """Put the reduced axes back into ``g`` (as size 1) so it broadcasts to ``shape``."""
    if not keepdim and axes:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function):
    """out = sum_axes a;  da = g broadcast back over the summed axes"""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        axes = normalize_dims(dim, a.ndim)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        if a.dtype.kind == "b" or (a.dtype.kind in "iu" and a.dtype.itemsize < 8):
            a = a.astype(np.int64)  # torch sums bool/int32 into int64
        return a.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        g = expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim)
        return array_module(g).broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    """out = sum_axes a / n;  da = g / n broadcast back"""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        if a.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be "
                               f"floating point, but got {a.dtype}")
        axes = normalize_dims(dim, a.ndim)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        n = math.prod(a.shape[i] for i in axes) if axes else 1
        ctx.n = max(n, 1)  # n == 0: the input is empty, so is its gradient; any divisor will do
        if n == 0:  # the mean of nothing is NaN, without NumPy's warning
            with np.errstate(invalid="ignore", divide="ignore"):
                return a.sum(axis=axes, keepdims=keepdim) / a.dtype.type(0)
        return a.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION assignment=3 "Mean.backward: g / n, spread over the reduced axes"
        g = expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim) / ctx.n
        return array_module(g).broadcast_to(g, ctx.shape), None, None
        # END SOLUTION


class Var(Function):
    """out = sum (a - mean)^2 / (n - correction);  da = g * 2 (a - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, a, dim, correction, keepdim):
        if a.dtype.kind != "f":
            raise RuntimeError(f"std and var only support floating point dtypes, got {a.dtype}")
        axes = normalize_dims(dim, a.ndim)
        n = math.prod(a.shape[i] for i in axes) if axes else 1
        centered = a - a.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(centered, a)  # a: for double backward
        ctx.axes, ctx.keepdim, ctx.denom = axes, keepdim, max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centered * centered).sum(axis=axes, keepdims=keepdim) / ctx.denom

    @staticmethod
    def backward(ctx, g):
        centered = ctx.saved_tensors[0]
        g = expand_reduced(g, centered.shape, ctx.axes, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            # n <= correction: the variance is NaN (as in PyTorch), and so is its gradient
            scale = 2 / ctx.denom if ctx.denom > 0 else float("nan")
            return g * scale * centered, None, None, None


class Std(Function):
    """out = sqrt(var(a));  da = g (a - mean) / ((n - correction) out), and 0 where out == 0
    (PyTorch's choice for constant inputs, instead of 0 / 0)"""

    @staticmethod
    def forward(ctx, a, dim, correction, keepdim):
        var = Var.forward(ctx, a, dim, correction, True)  # saves the centered input
        xp = array_module(var)
        std = xp.sqrt(var)
        centered, a = ctx.saved_tensors
        ctx.save_for_backward(centered, std, a)
        ctx.keepdim = keepdim  # Var.forward recorded True
        return std if keepdim else std.reshape([n for i, n in enumerate(a.shape)
                                                if i not in ctx.axes])

    @staticmethod
    def backward(ctx, g):
        centered, std = ctx.saved_tensors[:2]
        xp = array_module(g)
        g = expand_reduced(g, centered.shape, ctx.axes, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = g / (ctx.denom * std) if ctx.denom > 0 else g * float("nan")
            scale = xp.where(std == 0, 0, scale) if ctx.denom > 0 else scale
        return scale * centered, None, None, None


class MaxMin(Function):
    """Values and indices of the max (or min) along one dim;  da = g scattered to the index"""

    @staticmethod
    def forward(ctx, a, dim, keepdim, is_max):
        xp = array_module(a)
        idx = (xp.argmax if is_max else xp.argmin)(a, axis=dim, keepdims=True)
        values = xp.take_along_axis(a, idx, axis=dim)
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        ctx.save_for_backward(idx)
        idx = idx.astype(np.int64, copy=False)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _g_idx):
        # BEGIN SOLUTION assignment=3 "MaxMin.backward: g goes to the arg-max positions"
        (idx,) = ctx.saved_tensors
        xp = array_module(g)
        if not ctx.keepdim:
            g, idx = xp.expand_dims(g, ctx.dim), xp.expand_dims(idx, ctx.dim)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(out, idx, g, axis=ctx.dim)
        return out, None, None, None
        # END SOLUTION


class Amax(Function):
    """out = max (or min) over axes;  da = g shared evenly among the tied extremes"""

    @staticmethod
    def forward(ctx, a, dim, keepdim, is_max):
        axes = normalize_dims(dim, a.ndim)
        out = (a.max if is_max else a.min)(axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        mask = a == out
        count = mask.sum(axis=ctx.axes, keepdims=True)
        g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
        return g * mask / count, None, None, None


class LogSumExp(Function):
    """out = log sum exp a;  da = g softmax(a)"""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        xp = array_module(a)
        axes = normalize_dims(dim, a.ndim)
        m = finite_max(a, axes)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # log(0) = -inf
            out = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
        return g * array_module(a).exp(a - out), None, None


def finite_max(a, axes):
    """max of ``a`` over ``axes`` (kept as size 1), the shift that keeps exp from
    overflowing: 0 where the max is not finite (a row of -inf) or the axes are empty."""
    xp = array_module(a)
    if a.size == 0:
        axes = (axes,) if isinstance(axes, int) else axes
        return xp.zeros([1 if i in axes else n for i, n in enumerate(a.shape)], dtype=a.dtype)
    m = a.max(axis=axes, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


def softmax_simple(x, dim: int):
    """softmax from small ops, the readable form of ``Softmax``: exp(x - max) / sum exp(x - max)
    (the max only keeps exp finite: no gradient flows through it)."""
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def row_sums(y):
    """Sums over the last axis, keepdims, as a matrix-vector product with ones: BLAS reads
    short rows far faster than ``sum(axis=-1)`` (3072 rows of 64 floats: 21 us against
    113 us; equal on long rows)."""
    if y.dtype.kind != "f" or y.ndim == 0:
        return y.sum(axis=-1, keepdims=True)
    return (y @ array_module(y).ones(y.shape[-1], dtype=y.dtype))[..., None]


def row_dots(a, b):
    """sum(a * b) over the last axis of two 2-D arrays, as a (rows,) array: a batched
    (1, N) @ (N, 1) product, no temporary (0.10 ms on (2048, 384) float32 where einsum
    took 0.19 ms and a product plus a sum 0.20 ms)."""
    if array_module(a) is not np:
        return (a * b).sum(axis=-1)
    return np.matmul(a[:, None, :], b[:, :, None])[:, 0, 0]


def _softmax_block(a, y, dim):
    """y = exp(a - max) / sum exp(a - max) along ``dim``, on one block of rows."""
    xp = array_module(a)
    # a row of -inf (fully masked) gives 0 / 0; keep it finite: that row returns NaN
    # in PyTorch, here it returns zeros and gets zero gradient (documented difference)
    m = finite_max(a, dim)
    with np.errstate(over="ignore", invalid="ignore"):  # huge logits: inf - inf
        xp.subtract(a, m, out=y)
        xp.exp(y, out=y)
        s = row_sums(y) if dim in (-1, y.ndim - 1) else y.sum(axis=dim, keepdims=True)
        y *= 1 / xp.where(s == 0, 1, s)


def split_rows_unless(dim, kernel, *arrays):
    """``backend.split_rows`` over the leading axis when it is not the reduced ``dim``."""
    if dim == 0 or arrays[0].ndim < 2:
        kernel(*arrays, dim)
    else:
        backend.split_rows(lambda *blocks: kernel(*blocks, dim), *arrays)


# ---- the fast path of softmax and log_softmax over the last axis (float32/64, NumPy)
# A row max over short rows is a slow NumPy reduction (3072 rows of 64 floats: 0.19 ms,
# against 0.44 ms for the exp of all of them) and subtracting it is one more pass over
# memory (0.7 and 1.6 ms on (12288, 256) float32, where exp takes 5.4 ms). The max only
# keeps exp from overflowing, and any shift c with one value per row gives the same
# softmax, so the fast path tries c = 0: exp(a) directly. A row whose sum of exp(a) is
# infinite (an entry above 88 in float32), NaN, or below 1e-6 (its entries far below 0,
# where exp would underflow) is redone with its own max; if that is more than an eighth of
# the block's rows, the whole block is shifted by its max first. On rows kept, an entry
# can only lose precision by underflowing exp, where its probability is below
# 1e-38 / 1e-6 = 1e-32 (float32).

_FAST_SOFTMAX_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fast_softmax_rows(a) -> bool:
    """Whether the last-axis fast path handles ``a`` (a float32/64 NumPy array, ndim >= 1)."""
    return a.dtype in _FAST_SOFTMAX_DTYPES and isinstance(a, np.ndarray) and a.ndim >= 1


def rows_to_redo(sums):
    """Flat indices of the rows whose sum of exp(a), taken without a shift, is not in
    [1e-6, inf) (an overflow, a NaN, or every entry far below 0): the shift-free softmaxes
    (here and attention's in ops/nn.py) redo those with the row's own max."""
    return np.flatnonzero(~((sums >= 1e-6) & (sums < np.inf)))


def _exp_rows(a, e):
    """e = exp(a - c) on 2-D row blocks, c = 0 (or the block's max when many rows need a
    shift), except on rows whose sum of exp(a - c) is not in [1e-6, inf): those are redone
    with their own max (0 on rows of -inf or NaN). Returns the row sums of e and the rows'
    shifts c."""
    ones = np.ones(e.shape[1], dtype=e.dtype)
    shift = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # overflow, inf - inf: redone below
        np.exp(a, out=e)
        sums = e @ ones
        redo = rows_to_redo(sums)
        if 8 * redo.size > sums.size:  # e.g. logits all near 100, or all near -100
            shift = a.max()
            np.subtract(a, shift, out=e)
            np.exp(e, out=e)
            np.matmul(e, ones, out=sums)
            redo = rows_to_redo(sums)
        shifts = np.full_like(sums, shift)
        if redo.size:
            rows = a[redo]
            own = finite_max(rows, -1)
            np.subtract(rows, own, out=rows)
            np.exp(rows, out=rows)
            e[redo] = rows
            sums[redo] = rows.sum(axis=-1)
            shifts[redo] = own[:, 0]
    return sums, shifts


def _softmax_rows_forward(a, y):
    """y = softmax of each row of ``a`` (2-D blocks; the fast path's forward kernel)."""
    if a.size == 0:
        return
    sums, _shifts = _exp_rows(a, y)
    with np.errstate(divide="ignore"):
        scale = 1 / sums
    scale[np.isinf(scale)] = 0  # a row of -inf: zeros
    y *= scale[:, None]


def _softmax_rows_backward(g, y, da):
    """da = y (g - sum(g y)) on 2-D blocks."""
    np.subtract(g, row_dots(g, y)[:, None], out=da)
    da *= y


def _on_rows(kernel, *arrays):
    """Run a row kernel on the (rows, last axis) views of ``arrays``, split across threads
    in cache-sized blocks; ``arrays`` of one shape, those written C-contiguous (a strided
    input's reshape is a copy: read only)."""
    shape = (math.prod(arrays[0].shape[:-1]), arrays[0].shape[-1])  # explicit: n may be 0
    # split from 512K floats: softmax forward + backward, quiet machine, wall, one thread
    # against two: 192K 0.90 / 0.96 ms, 768K 4.50 / 2.40 ms, 3M 13.5 / 9.2 ms
    backend.split_rows(kernel, *(a.reshape(shape) for a in arrays), blocked=True,
                       min_elements=8 * backend.PARALLEL_MIN_ELEMENTS)


def softmax_backward(y, g, dim):
    """The softmax backward, as the course writes it: da = y (g - sum(g y)) along ``dim``."""
    # BEGIN SOLUTION assignment=4 "softmax_backward: da = y * (g - sum(g * y))"
    return y * (g - (g * y).sum(axis=dim, keepdims=True))
    # END SOLUTION


def _softmax_backward_fast(y, g, dim):
    """``softmax_backward`` in three passes over blocks of rows (last axis; the row dot
    products as ``row_dots``), or in place on one output array (other axes)."""
    xp = array_module(y)
    if g.shape != y.shape:
        g = xp.broadcast_to(g, y.shape)
    da = xp.empty(y.shape, dtype=y.dtype)
    if dim == y.ndim - 1 and _fast_softmax_rows(y):
        _on_rows(_softmax_rows_backward, g, y, da)
    else:
        xp.subtract(g, (g * y).sum(axis=dim, keepdims=True), out=da)
        da *= y
    return da


class Softmax(Function):
    """y = exp(a - max) / sum exp(a - max);  da = y * (g - sum(g * y))
    Simple form: ``softmax_simple``; backward: ``softmax_backward`` (the course's formula)
    or its fast path."""

    @staticmethod
    def forward(ctx, a, dim):
        a = as_float(a)
        y = array_module(a).empty(a.shape, dtype=a.dtype)  # C order: its row view is a view
        if dim == a.ndim - 1 and _fast_softmax_rows(a):
            _on_rows(_softmax_rows_forward, a, y)
        else:
            split_rows_unless(dim, _softmax_block, a, y)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        backward = _softmax_backward_fast if backend.use_fast_path(4) else softmax_backward
        return backward(y, g, ctx.dim), None


def log_softmax_simple(x, dim: int):
    """log_softmax from small ops, the readable form of ``LogSoftmax``:
    (x - max) - log sum exp(x - max)."""
    shifted = x - x.amax(dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def _log_softmax_rows_forward(a, y, p):
    """y = a - log sum exp(a) and p = exp(y), the softmax, on 2-D row blocks."""
    if a.size == 0:
        return
    sums, shifts = _exp_rows(a, p)
    with np.errstate(divide="ignore"):
        scale = 1 / sums
        np.log(sums, out=sums)
    with np.errstate(invalid="ignore"):  # a row of -inf: -inf - (-inf) = NaN, as PyTorch
        if shifts.any():  # a - c first: a huge c would swallow log sum exp(a - c)
            np.subtract(a, shifts[:, None], out=y)
            y -= sums[:, None]
        else:
            np.subtract(a, sums[:, None], out=y)
    scale[np.isinf(scale)] = 0
    p *= scale[:, None]


def log_softmax_backward(y, g, dim):
    """The log_softmax backward, as the course writes it: da = g - softmax(a) sum(g), with
    softmax(a) = exp(y)."""
    # BEGIN SOLUTION assignment=4 "log_softmax_backward: da = g - softmax * sum(g)"
    return g - array_module(y).exp(y) * g.sum(axis=dim, keepdims=True)
    # END SOLUTION


class LogSoftmax(Function):
    """y = a - logsumexp(a);  da = g - softmax(a) * sum(g)
    Simple form: ``log_softmax_simple``; backward: ``log_softmax_backward`` (the course's
    formula) or its fast path, which reuses the softmax kept by the forward (exp costs ten
    times a multiply)."""

    @staticmethod
    def forward(ctx, a, dim):
        xp = array_module(a)
        a = as_float(a)
        if dim == a.ndim - 1 and _fast_softmax_rows(a):
            y, p = np.empty(a.shape, dtype=a.dtype), np.empty(a.shape, dtype=a.dtype)
            _on_rows(_log_softmax_rows_forward, a, y, p)
            ctx.softmax = p
        else:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                shifted = a - finite_max(a, dim)
                y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
            ctx.softmax = None
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        p = ctx.softmax
        if p is None or not backend.use_fast_path(4):
            return log_softmax_backward(y, g, ctx.dim), None
        da = p * row_sums(g)  # the fast path only runs over the last axis
        np.subtract(g, da, out=da)
        return da, None


def _exclusive_products(a, axis):
    """prod_{j != i} a_j along ``axis`` for every i, without division (exact at zeros):
    the product of the entries before i times the product of those after it."""
    xp = array_module(a)
    ones = xp.ones_like(xp.take(a, [0], axis=axis))
    before = xp.cumprod(xp.concatenate([ones, xp.take(a, range(a.shape[axis] - 1), axis=axis)],
                                       axis=axis), axis=axis)
    flipped = xp.flip(a, axis=axis)
    after = xp.cumprod(xp.concatenate([ones, xp.take(flipped, range(a.shape[axis] - 1),
                                                     axis=axis)], axis=axis), axis=axis)
    return before * xp.flip(after, axis=axis)


class Prod(Function):
    """out = prod_dim a;  da_i = g prod_{j != i} a_j (exact where entries are 0)"""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        xp = array_module(a)
        if a.dtype.kind == "b" or (a.dtype.kind in "iu" and a.dtype.itemsize < 8):
            a = a.astype(np.int64)  # torch multiplies bool/int32 into int64
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        return xp.asarray(a.prod(axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if ctx.dim is None:
            flat = a.reshape(-1)
            others = _exclusive_products(flat, 0).reshape(a.shape) if flat.size else a
            return g * others, None, None
        if not ctx.keepdim:
            g = array_module(g).expand_dims(g, ctx.dim)
        if a.shape[ctx.dim] == 0:
            return array_module(a).zeros_like(a), None, None
        return g * _exclusive_products(a, ctx.dim), None, None


class Cumsum(Function):
    """out_i = sum_{j <= i} a_j along dim;  da_j = sum_{i >= j} g_i (a reversed cumsum)"""

    @staticmethod
    def forward(ctx, a, dim):
        if a.dtype.kind == "b" or (a.dtype.kind in "iu" and a.dtype.itemsize < 8):
            a = a.astype(np.int64)
        ctx.dim = dim
        return a.copy() if a.ndim == 0 else a.cumsum(axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        if g.ndim == 0:
            return g, None
        return xp.flip(xp.flip(g, axis=ctx.dim).cumsum(axis=ctx.dim), axis=ctx.dim), None


# ----------------------------------------------------------------------------- double backward
# The Tensor versions of the backwards above, run under create_graph=True (see
# autograd/function.py).
def _sum_tensor_backward(ctx, g):
    return expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim).expand(ctx.shape), None, None


def _mean_tensor_backward(ctx, g):
    g = expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim) / ctx.n
    return g.expand(ctx.shape), None, None


def _maxmin_tensor_backward(ctx, g, _g_idx):
    from .shape import IndexGrad

    (idx,) = ctx.saved_tensors
    idx = getattr(idx, "_data", idx)
    xp = array_module(idx)
    if not ctx.keepdim:
        g, idx = g.unsqueeze(ctx.dim), xp.expand_dims(idx, ctx.dim)
    grids = list(xp.ogrid[tuple(slice(0, n) for n in idx.shape)])
    grids[ctx.dim] = idx
    return IndexGrad.apply(g, ctx.shape, tuple(grids)), None, None, None


def _amax_tensor_backward(ctx, g):
    from .elementwise import Mul

    a, out = ctx.saved_tensors
    a, out = getattr(a, "_data", a), getattr(out, "_data", out)
    mask = a == out
    weight = mask / mask.sum(axis=ctx.axes, keepdims=True)
    return Mul.apply(expand_reduced(g, a.shape, ctx.axes, ctx.keepdim), weight), None, None, None


def _logsumexp_tensor_backward(ctx, g):
    a, _out = ctx.saved_tensors
    g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
    return g * (a - LogSumExp.apply(a, ctx.axes, True)).exp(), None, None


def _softmax_tensor_backward(ctx, g):
    (y,) = ctx.saved_tensors
    return y * (g - (g * y).sum(dim=ctx.dim, keepdim=True)), None


def _log_softmax_tensor_backward(ctx, g):
    (y,) = ctx.saved_tensors
    return g - y.exp() * g.sum(dim=ctx.dim, keepdim=True), None


Sum.tensor_backward = staticmethod(_sum_tensor_backward)
Mean.tensor_backward = staticmethod(_mean_tensor_backward)
MaxMin.tensor_backward = staticmethod(_maxmin_tensor_backward)
Amax.tensor_backward = staticmethod(_amax_tensor_backward)
LogSumExp.tensor_backward = staticmethod(_logsumexp_tensor_backward)
Softmax.tensor_backward = staticmethod(_softmax_tensor_backward)
LogSoftmax.tensor_backward = staticmethod(_log_softmax_tensor_backward)


def _centered_tensor(ctx, a):
    return a - a.mean(dim=ctx.axes, keepdim=True)


def _var_tensor_backward(ctx, g):
    _, a = ctx.saved_tensors
    g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
    scale = 2 / ctx.denom if ctx.denom > 0 else float("nan")
    return g * scale * _centered_tensor(ctx, a), None, None, None


def _std_tensor_backward(ctx, g):
    from .elementwise import Where

    _, std_saved, a = ctx.saved_tensors
    centered = _centered_tensor(ctx, a)
    g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
    if ctx.denom <= 0:
        return g * float("nan") * centered, None, None, None
    std = ((centered * centered).sum(dim=ctx.axes, keepdim=True) / ctx.denom).sqrt()
    zero = std_saved._data == 0
    safe_std = Where.apply(zero, 1.0, std)  # 0 where std == 0, as the array backward
    return Where.apply(zero, 0.0, g / (ctx.denom * safe_std)) * centered, None, None, None


def _cumsum_tensor_backward(ctx, g):
    """sum_{i >= j} g_i = (sum of g) - (cumsum of g) + g: recorded ops only"""
    if g.ndim == 0:
        return g, None
    return g.sum(dim=ctx.dim, keepdim=True) - Cumsum.apply(g, ctx.dim) + g, None


Var.tensor_backward = staticmethod(_var_tensor_backward)
Std.tensor_backward = staticmethod(_std_tensor_backward)
Cumsum.tensor_backward = staticmethod(_cumsum_tensor_backward)
# ----------------------------------------------------------------------------- issue 11b


class Cumprod(Function):
    """out_i = prod_{j<=i} a_j;  da_i = sum_{j>=i} g_j prod_{k<=j, k!=i} a_k"""

    @staticmethod
    def forward(ctx, a, dim):
        if a.dtype.kind == "b" or (a.dtype.kind in "iu" and a.dtype.itemsize < 8):
            a = a.astype(np.int64)
        out = a.cumprod(axis=dim) if a.ndim else a.copy()
        ctx.dim = dim
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        if a.ndim == 0:
            return g, None
        xp = array_module(g)
        d = ctx.dim
        # dividing by a is exact enough unless some entry is 0 or so small that the products
        # underflow; then the exact sum, one position at a time
        if not (abs(a) < 1e-100).any():
            rev = xp.flip(xp.flip(g * out, d).cumsum(axis=d), d)
            return rev / a, None
        da = xp.zeros_like(a, dtype=g.dtype)
        n = a.shape[d]
        for i in range(n):
            left = xp.take(a, range(i), axis=d).prod(axis=d, keepdims=True) if i else 1
            right = xp.take(a, range(i + 1, n), axis=d)
            right_prods = xp.concatenate([xp.ones_like(xp.take(a, [0], axis=d)),
                                          right.cumprod(axis=d)], axis=d)
            gi = (xp.take(g, range(i, n), axis=d) * right_prods).sum(axis=d, keepdims=True)
            index = [slice(None)] * a.ndim
            index[d] = slice(i, i + 1)
            da[tuple(index)] = left * gi
        return da, None


class CumExtreme(Function):
    """Running max (or min) along dim and the index where it was reached (the last of ties);
    da = g scattered to those indices"""

    @staticmethod
    def forward(ctx, a, dim, is_max):
        xp = array_module(a)
        if a.ndim == 0:
            values, idx = a.copy(), xp.zeros((), np.int64)
        else:
            ufunc = xp.fmax if is_max else xp.fmin
            values = ufunc.accumulate(a, axis=dim) if a.dtype.kind == "f" else \
                (xp.maximum if is_max else xp.minimum).accumulate(a, axis=dim)
            if a.dtype.kind == "f":  # a nan stays the running extreme once seen
                seen_nan = xp.logical_or.accumulate(xp.isnan(a), axis=dim)
                values = xp.where(seen_nan, np.nan, values).astype(a.dtype, copy=False)
            shape = [1] * a.ndim
            shape[dim] = a.shape[dim]
            positions = xp.arange(a.shape[dim]).reshape(shape)
            hit = (a == values) | (xp.isnan(a) if a.dtype.kind == "f" else False)
            idx = xp.maximum.accumulate(xp.where(hit, positions, 0), axis=dim)
            idx = idx.astype(np.int64)
        ctx.dim, ctx.shape = dim, a.shape
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _g_idx):
        (idx,) = ctx.saved_tensors
        xp = array_module(g)
        if g.ndim == 0:
            return g, None, None
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        # several positions can share one index: accumulate along the dim, row by row
        moved_idx = xp.moveaxis(idx, ctx.dim, -1).reshape(-1, ctx.shape[ctx.dim])
        moved_g = xp.moveaxis(g, ctx.dim, -1).reshape(moved_idx.shape)
        flat = xp.zeros_like(moved_g)
        rows = xp.arange(moved_idx.shape[0])[:, None]
        if xp is np:  # bincount sums repeated positions far faster than np.add.at
            n = moved_idx.shape[1]
            positions = (rows * n + moved_idx).reshape(-1)
            flat = np.bincount(positions, weights=moved_g.reshape(-1),
                               minlength=flat.size).reshape(flat.shape).astype(g.dtype)
        else:
            from .. import backend
            backend.scatter_add(xp, flat, (xp.broadcast_to(rows, moved_idx.shape), moved_idx),
                                moved_g)
        moved_shape = xp.moveaxis(out, ctx.dim, -1).shape
        return xp.moveaxis(flat.reshape(moved_shape), -1, ctx.dim), None, None


class VectorNorm(Function):
    """out = (sum |a|^p)^(1/p) over dims (max |a| for p = inf, count of non-zeros for p = 0);
    da = g |a|^(p-1) sign(a) / out^(p-1) (0 where out = 0)"""

    @staticmethod
    def forward(ctx, a, p, dim, keepdim):
        xp = array_module(a)
        axes = normalize_dims(dim, a.ndim)
        absa = abs(a)
        if p == float("inf"):
            out = absa.max(axis=axes, keepdims=True) if a.size else xp.zeros((1,) * a.ndim)
        elif p == -float("inf"):
            out = absa.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (absa != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = absa.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=True))
        else:
            out = (absa ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        ctx.save_for_backward(a, out)
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(g)
        p = ctx.p
        g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                da = xp.zeros_like(a)
            elif p == 1:
                da = g * xp.sign(a)
            elif p == 2:
                da = xp.where(out == 0, 0, g * a / out)
            elif abs(p) == float("inf"):
                mask = abs(a) == out
                da = g * xp.sign(a) * mask / mask.sum(axis=ctx.axes, keepdims=True)
            else:
                da = xp.where(out == 0, 0, g * xp.sign(a) * abs(a) ** (p - 1) / out ** (p - 1))
        return da.astype(a.dtype, copy=False), None, None, None
