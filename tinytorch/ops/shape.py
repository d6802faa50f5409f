"""Shape ops: reshape/view, permute, expand, cat, stack, indexing, masked_fill, tril/triu.

None of these change values, so each backward just moves the gradient back into the
input's layout: reshape it back, permute it back, sum it over expanded axes, slice it out of
the concatenation, or scatter it into zeros at the indexed positions.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import backend
from ..autograd.function import Function, array_module


def infer_shape(shape, numel, op="view"):
    """Resolve one ``-1`` in ``shape`` and check the element count, like torch.view."""
    # BEGIN SOLUTION assignment=1 "infer_shape: resolve -1, check the element count"
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (-1), got {shape}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s} in {shape}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape
    # END SOLUTION


class Reshape(Function):
    """out = a laid out with a new shape;  da = g reshaped back"""

    @staticmethod
    def forward(ctx, a, shape, require_view):
        ctx.shape = a.shape
        if require_view:
            out = a.view()
            try:
                out.shape = shape
            except AttributeError:
                raise RuntimeError(
                    f"view size is not compatible with input tensor's size and stride "
                    f"(shape {tuple(a.shape)} to {shape}): at least one dimension spans "
                    f"across two contiguous subspaces. Use .reshape(...) instead.") from None
            return out
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None, None


class Permute(Function):
    """out = a with axes reordered;  da = g with the inverse order"""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))  # argsort
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse), None


class Expand(Function):
    """out = a broadcast to shape (a view);  da = g summed back (done by the engine)"""

    @staticmethod
    def forward(ctx, a, shape):
        return array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Contiguous(Function):
    """out = a row-major copy (no copy when it already is);  da = g"""

    @staticmethod
    def forward(ctx, a):
        return array_module(a).ascontiguousarray(a)

    @staticmethod
    def backward(ctx, g):
        return g


class Cat(Function):
    """out = [a_1, ..., a_n] joined along dim;  da_i = the slice of g that came from a_i"""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.sizes = [a.shape[dim] for a in arrays]
        ctx.dim = dim
        xp = array_module(arrays[0])
        want = backend.result_type(*arrays).np
        return xp.concatenate([a.astype(want, copy=False) for a in arrays], axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        cuts = np.cumsum(ctx.sizes)[:-1]
        return (None, *xp.split(g, [int(c) for c in cuts], axis=ctx.dim))


class Split(Function):
    """out_i = the i-th slice of a along dim, of sizes[i] (views of a);  da = the outputs'
    gradients joined along dim (Cat's forward). One node for all the parts: the backward
    writes da once, where a slice per part (``Index``) made a zero array per part and the
    engine added them (nanoGPT's q, k, v split of (8, 256, 1152) float32: see
    benchmarks/RESULTS.md)."""

    multiple_views = True  # see autograd.function.ModifiedMultipleView

    @staticmethod
    def forward(ctx, a, dim, sizes):
        ctx.dim = dim
        lead, ends = (slice(None),) * dim, itertools.accumulate(sizes)
        return tuple(a[lead + (slice(end - size, end),)] for size, end in zip(sizes, ends))

    @staticmethod
    def backward(ctx, *grads):
        return array_module(grads[0]).concatenate(grads, axis=ctx.dim), None, None


class SplitWithSizes(Split):
    """``split`` with a list of sizes (PyTorch's node of that name)."""


class Stack(Function):
    """out = [a_1, ..., a_n] stacked on a new dim;  da_i = g indexed at i on that dim"""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        xp = array_module(arrays[0])
        want = backend.result_type(*arrays).np
        return xp.stack([a.astype(want, copy=False) for a in arrays], axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        return (None, *(xp.take(g, i, axis=ctx.dim) for i in range(g.shape[ctx.dim])))


def _is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(backend.is_array(i) or isinstance(i, (list, np.ndarray)) for i in items)


class Index(Function):
    """out = a[index];  da = zeros with g added at the indexed positions (repeats accumulate)"""

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return a[index]

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        if _is_advanced(ctx.index):
            backend.scatter_add(xp, out, ctx.index, g)
        else:
            out[ctx.index] = g
        return out, None


class MaskedFill(Function):
    """out = where(mask, value, a);  da = g where the mask is False"""

    @staticmethod
    def forward(ctx, a, mask, value):
        xp = array_module(a)
        ctx.save_for_backward(mask)
        value = value.astype(a.dtype) if backend.is_array(value) else a.dtype.type(value)
        return xp.where(mask, value, a)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return array_module(g).where(mask, g.dtype.type(0), g), None, None


class Triangle(Function):
    """out = tril(a, k) or triu(a, k) over the last two dims;  da = the same mask applied to g"""

    @staticmethod
    def forward(ctx, a, diagonal, upper):
        xp = array_module(a)
        ctx.diagonal, ctx.upper = diagonal, upper
        return xp.triu(a, diagonal) if upper else xp.tril(a, diagonal)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        return (xp.triu(g, ctx.diagonal) if ctx.upper else xp.tril(g, ctx.diagonal)), None, None


# --- flip and roll (issue 11a)


class Flip(Function):
    """out = a reversed along dims;  da = g reversed along the same dims"""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return array_module(a).flip(a, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return array_module(g).flip(g, ctx.dims), None


class Roll(Function):
    """out[i] = a[(i - shift) mod n] along each dim;  da = g rolled back by -shift"""

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(a).roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return xp.roll(g, back, ctx.dims), None, None


class Unfold(Function):
    """out[..., j, ..., k] = a[..., j*step + k, ...] (windows of ``size`` along dim, as a new
    last dim);  da[..., j*step + k, ...] += g[..., j, ..., k] for every window j, offset k"""

    @staticmethod
    def forward(ctx, a, dim, size, step):
        xp = array_module(a)
        n = a.shape[dim]
        count = (n - size) // step + 1
        shape = a.shape[:dim] + (count,) + a.shape[dim + 1:] + (size,)
        strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + (
            a.strides[dim],)
        ctx.shape, ctx.dim, ctx.size, ctx.step, ctx.count = a.shape, dim, size, step, count
        return xp.lib.stride_tricks.as_strided(a, shape, strides)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        lead = (slice(None),) * ctx.dim
        span = ctx.step * (ctx.count - 1) + 1
        for k in range(ctx.size):  # one strided add per window offset
            out[lead + (slice(k, k + span, ctx.step),)] += g[..., k]
        return out, None, None, None


class Diagonal(Function):
    """out = the diagonal ``offset`` of the planes (dim1, dim2), as a last dim;
    da = zeros with g written back on that diagonal"""

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        ctx.shape, ctx.args = a.shape, (offset, dim1, dim2)
        return array_module(a).diagonal(a, offset, dim1, dim2).copy()

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        offset, dim1, dim2 = ctx.args
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        planes = xp.moveaxis(out, (dim1, dim2), (-2, -1))  # a view: writes land in out
        n = g.shape[-1]
        rows = xp.arange(n) + max(-offset, 0)
        cols = xp.arange(n) + max(offset, 0)
        planes[..., rows, cols] = g
        return out, None, None, None


class IndexGrad(Function):
    """out = zeros(shape) with g added at index (Index's backward, as an op of its own so a
    backward pass can be differentiated);  dg = gg[index]"""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        xp = array_module(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if _is_advanced(index):
            backend.scatter_add(xp, out, index, g)
        else:
            out[index] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index], None, None

    @staticmethod
    def tensor_backward(ctx, gg):
        return Index.apply(gg, ctx.index), None, None


# ----------------------------------------------------------------------------- double backward
# The Tensor versions of the backwards above, run under create_graph=True (see
# autograd/function.py); each is linear in g, so each is again a shape op.
def _cat_tensor_backward(ctx, g):
    out, start = [None], 0
    lead = (slice(None),) * ctx.dim
    for n in ctx.sizes:
        out.append(Index.apply(g, lead + (slice(start, start + n),)))
        start += n
    return tuple(out)


def _stack_tensor_backward(ctx, g):
    lead = (slice(None),) * ctx.dim
    return (None, *(Index.apply(g, lead + (i,)) for i in range(g.shape[ctx.dim])))


def _masked_fill_tensor_backward(ctx, g):
    (mask,) = ctx.saved_tensors
    return MaskedFill.apply(g, getattr(mask, "_data", mask), 0.0), None, None


Reshape.tensor_backward = staticmethod(lambda ctx, g: (g.reshape(ctx.shape), None, None))
Permute.tensor_backward = staticmethod(lambda ctx, g: (g.permute(ctx.inverse), None))
Expand.tensor_backward = staticmethod(Expand.backward)
Contiguous.tensor_backward = staticmethod(Contiguous.backward)
Cat.tensor_backward = staticmethod(_cat_tensor_backward)
Stack.tensor_backward = staticmethod(_stack_tensor_backward)
Split.tensor_backward = staticmethod(
    lambda ctx, *grads: (Cat.apply(ctx.dim, *grads), None, None))
Index.tensor_backward = staticmethod(
    lambda ctx, g: (IndexGrad.apply(g, ctx.shape, ctx.index), None))
MaskedFill.tensor_backward = staticmethod(_masked_fill_tensor_backward)
Triangle.tensor_backward = staticmethod(
    lambda ctx, g: (Triangle.apply(g, ctx.diagonal, ctx.upper), None, None))
# the outputs of these may be views of input 0: they share its version counter
for _fn in (Reshape, Permute, Expand, Index):
    _fn.is_view = True
