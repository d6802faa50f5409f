"""Gather and scatter, written once over *flat positions*.

Every gather-like op (``gather``, ``take``, ``index_select``, ``masked_select``,
``diagonal``, ``unfold``, sorted values ...) reads ``a.flat[pos]`` for an int64 array
``pos`` of flat positions into ``a``; every scatter-like op (``scatter``, ``scatter_add``,
``scatter_reduce``, ``index_add``/``copy``/``fill``, ``index_put``, ``masked_scatter``,
``put``, ``slice_scatter`` ...) writes or reduces ``src`` into ``a.flat[pos]``. The public
functions (``tinytorch.functions_indexing``) only translate their arguments into ``pos``.

Repeated positions are summed with ``bincount`` (one pass, measured 3-10x faster than
``np.add.at`` here); ``np.add.at`` remains for integer dtypes, whose sums must stay exact,
and for a few values into a large target, where bincount's pass over the target dominates.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Function, array_module


def flat_positions(shape, dim: int, index):
    """Flat positions in a C-ordered array of ``shape`` of ``index`` along ``dim``:
    ``pos[i, j, k] = flat(i, index[i, j, k], k)`` for ``dim == 1`` (``index`` may be
    smaller than ``shape`` in the other dims, as ``gather``'s index may)."""
    xp = array_module(index)
    strides = np.cumprod((1,) + tuple(shape[:0:-1]))[::-1]
    pos = index.astype(np.int64) * int(strides[dim])
    for d, n in enumerate(index.shape):
        if d != dim and int(strides[d]) and n > 1:
            view = [1] * index.ndim
            view[d] = n
            pos = pos + (xp.arange(n, dtype=np.int64) * int(strides[d])).reshape(view)
    return xp.broadcast_to(pos, index.shape)


def position_grid(shape, xp=np):
    """``arange(prod(shape)).reshape(shape)``: index it as the target to get flat positions."""
    return xp.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def sum_into(xp, size: int, pos, values):
    """``out`` of ``size`` zeros with ``out[pos[i]] += values[i]`` (repeats accumulate)."""
    pos, values = pos.reshape(-1), values.reshape(-1)
    # bincount pays a float64 pass over all of ``size``; for a few values into a large
    # target (take's backward) the unbuffered add on zeros is cheaper
    if values.dtype.kind == "f" and values.size * 8 >= size:
        return xp.bincount(pos, weights=values, minlength=size).astype(values.dtype, copy=False)
    out = xp.zeros(size, dtype=values.dtype)
    backend.scatter_add(xp, out, pos, values)
    return out


def count_into(xp, size: int, pos):
    """How many times each of ``size`` flat positions appears in ``pos``."""
    return xp.bincount(pos.reshape(-1), minlength=size)


class Take(Function):
    """out = a.flat[pos];  da.flat[p] = sum of g over the entries of pos equal to p"""

    @staticmethod
    def forward(ctx, a, pos):
        ctx.shape, ctx.dtype = a.shape, a.dtype
        ctx.save_for_backward(pos)
        return array_module(a).take(a, pos)

    @staticmethod
    def backward(ctx, g):
        (pos,) = ctx.saved_tensors
        xp = array_module(g)
        return sum_into(xp, int(np.prod(ctx.shape)), pos, g).reshape(ctx.shape), None


_REDUCE_AT = {"prod": "multiply", "amax": "maximum", "amin": "minimum"}


class PutReduce(Function):
    """out = a with src reduced into out.flat[pos] (reduce: none|sum|prod|mean|amax|amin).

    none: out[p] = src[i];  sum: out[p] = a[p]·[include_self] + sum src[i];  mean: that sum
    / count;  prod, amax, amin likewise, over the entries i with pos[i] = p.
    da = g at untouched positions; at touched ones: 0 (none), g (sum), g/count (mean),
    g·out/a (prod), g·[a = out]/ties (amax, amin); dsrc[i] = the same factor at pos[i].
    """

    @staticmethod
    def forward(ctx, a, src, pos, reduce, include_self):
        xp = array_module(a)
        size = a.size
        out = a.reshape(-1).copy()
        pos = pos.reshape(-1)
        ctx.shape, ctx.src_shape = a.shape, src.shape
        ctx.reduce, ctx.include_self = reduce, include_self
        src = src.reshape(-1).astype(a.dtype, copy=False)
        if reduce == "none":
            out[pos] = src
            ctx.save_for_backward(pos)
            return out.reshape(a.shape)
        if reduce == "sum" and include_self:  # the common case needs no counts
            out += sum_into(xp, size, pos, src)
            ctx.save_for_backward(pos, None, None, None, None)
            return out.reshape(a.shape)
        touched = count_into(xp, size, pos)
        if not include_self:
            out[touched > 0] = _identity(reduce, a.dtype)
        if reduce in ("sum", "mean"):
            out += sum_into(xp, size, pos, src)
            if reduce == "mean":
                n = touched + (1 if include_self else 0)
                n[n == 0] = 1
                out = out // n if a.dtype.kind in "iub" else out / n.astype(a.dtype)
                ctx.count = n
        else:
            backend.ufunc_at(xp, _REDUCE_AT[reduce], out, pos, src)
        # a copy: an in-place caller (scatter_reduce_) overwrites a's storage with out
        own = a.reshape(-1).copy() if reduce in _REDUCE_AT else None
        ctx.save_for_backward(pos, own, src, out, touched)
        return out.reshape(a.shape)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        g = g.reshape(-1)
        reduce = ctx.reduce
        if reduce == "none":
            (pos,) = ctx.saved_tensors
            ga = g.copy()
            ga[pos] = 0
            return ga.reshape(ctx.shape), g[pos].reshape(ctx.src_shape), None, None, None
        pos, a, src, out, touched = ctx.saved_tensors
        if touched is None:  # sum including self
            return g.reshape(ctx.shape), g[pos].reshape(ctx.src_shape), None, None, None
        hit = touched > 0
        zero = g.dtype.type(0)
        if reduce == "sum":
            ga = g if ctx.include_self else xp.where(hit, zero, g)
            gsrc = g[pos]
        elif reduce == "mean":
            share = g / ctx.count
            ga = xp.where(hit, share if ctx.include_self else zero, g)
            gsrc = share[pos]
        elif reduce == "prod":
            # the product of the others is out / x (inputs must be nonzero, see differences)
            ga = xp.where(hit, g * out / a if ctx.include_self else zero, g)
            gsrc = (g * out)[pos] / src
        else:  # amax, amin: the gradient is shared evenly by every entry equal to the result
            self_ties = (a == out) & hit if ctx.include_self else xp.zeros_like(hit)
            src_ties = src == out[pos]
            ties = self_ties + count_into_weights(xp, a.size, pos, src_ties)
            share = g / xp.maximum(ties, 1)
            ga = xp.where(hit, share * self_ties, g)
            gsrc = share[pos] * src_ties
        return ga.reshape(ctx.shape), gsrc.reshape(ctx.src_shape), None, None, None


def count_into_weights(xp, size, pos, flags):
    """How many flagged entries of ``pos`` point at each of ``size`` flat positions."""
    return xp.bincount(pos[flags], minlength=size)


def _identity(reduce, dtype):
    """The value a position starts from when ``include_self=False``."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


class IndexAddRows(Function):
    """out = a with src's slice j added to a's slice index[j] along dim, as one product
    with a one-hot matrix (for a short target dim: it beats summing positions);
    da = g;  dsrc = g's slices index[j]"""

    @staticmethod
    def forward(ctx, a, src, dim, index):
        xp = array_module(a)
        n, m = a.shape[dim], index.shape[0]
        ctx.dim = dim
        ctx.save_for_backward(index)
        one_hot = xp.zeros((n, m), dtype=a.dtype)
        one_hot[index, xp.arange(m)] = 1
        others = tuple(int(s) for s in np.delete(src.shape, dim))
        rows = xp.moveaxis(src, dim, 0).reshape(m, int(np.prod(others)))
        added = (one_hot @ rows).reshape((n,) + others)
        return a + xp.moveaxis(added, 0, dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        return g, array_module(g).take(g, index, axis=ctx.dim), None, None
