"""Index padding: ``reflect``, ``replicate`` and ``circular`` modes of ``F.pad``.

Each padded dim of size n becomes n + lo + hi entries, entry j (counted from -lo) read from
the source index given by the mode; the backward pass adds each output gradient back to the
entry it was read from.
"""

from __future__ import annotations

from ..autograd.function import Function, array_module


def source_index(xp, n: int, lo: int, hi: int, mode: str):
    """The source position of each of the n + lo + hi output entries of one padded dim."""
    if mode == "circular":  # negative pads crop first; the wrap reads the cropped entries
        start, stop = max(-lo, 0), n - max(-hi, 0)
        kept = stop - start
        return start + xp.arange(-max(lo, 0), kept + max(hi, 0)) % kept
    j = xp.arange(-lo, n + hi)
    if mode == "replicate":
        return xp.clip(j, 0, n - 1)
    if n == 1:  # reflect of a single entry: only zero padding is allowed, j is in range
        return j
    period = 2 * (n - 1)
    m = j % period
    return xp.where(m < n, m, period - m)


class IndexPad(Function):
    """y[..., j, ...] = x[..., src(j), ...] along each padded dim;
    dx[src(j)] += g[j] (entries read twice get both gradients)"""

    @staticmethod
    def forward(ctx, x, widths, mode):
        xp = array_module(x)
        out = x
        indices = []
        for axis, (lo, hi) in widths:
            idx = source_index(xp, x.shape[axis], lo, hi, mode)
            indices.append((axis, idx))
            out = xp.take(out, idx, axis=axis)
        ctx.shape, ctx.indices = x.shape, indices
        return out

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        for axis, idx in reversed(ctx.indices):
            shape = list(g.shape)
            shape[axis] = ctx.shape[axis]
            dx = xp.zeros(shape, dtype=g.dtype)
            where = (slice(None),) * axis + (idx,)
            xp.add.at(dx, where, g)
            g = dx
        return g, None, None
