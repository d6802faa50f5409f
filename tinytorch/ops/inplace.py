"""The Functions behind in-place writes recorded in the graph: setitem, fill, copy.

An in-place op on a tensor in the graph is computed out of place by a Function and then
written into the tensor's own array (``Tensor._commit_inplace``); these are the ones that
have no out-of-place twin among the other ops.
"""

from __future__ import annotations

from ..autograd.function import Function, array_module


class IndexPut(Function):
    """out = a with out[index] = v;  da = g with g[index] = 0, dv = g[index]"""

    @staticmethod
    def forward(ctx, a, index, v):
        ctx.index = index
        out = a.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        index = ctx.index
        da = dv = None
        if ctx.needs_input_grad[0]:
            da = g.copy()
            da[index] = 0
        if ctx.needs_input_grad[2]:
            dv = g[index]
        return da, None, dv

    @staticmethod
    def tensor_backward(ctx, g):
        index = ctx.index
        da = IndexPut.apply(g, index, 0.0) if ctx.needs_input_grad[0] else None
        dv = g[index] if ctx.needs_input_grad[2] else None
        return da, None, dv


class Fill(Function):
    """out = a filled with the value v (a number or a 0-d tensor);  da = 0, dv = sum g"""

    @staticmethod
    def forward(ctx, a, v):
        return array_module(a).full_like(a, v)

    @staticmethod
    def backward(ctx, g):
        da = g * 0 if ctx.needs_input_grad[0] else None
        return da, (g.sum() if ctx.needs_input_grad[1] else None)

    tensor_backward = backward


class CopyFrom(Function):
    """out = src broadcast to a's shape and cast to a's dtype;  da = 0, dsrc = g (summed
    back over broadcast axes by the engine)"""

    @staticmethod
    def forward(ctx, a, src):
        xp = array_module(a)
        return xp.broadcast_to(xp.asarray(src, dtype=a.dtype), a.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return (g * 0 if ctx.needs_input_grad[0] else None), g

    tensor_backward = backward
