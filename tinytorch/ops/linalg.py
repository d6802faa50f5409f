"""Matrix products: ``matmul`` / ``@`` for 1-d, 2-d and batched (broadcast) operands."""

from __future__ import annotations

from ..autograd.function import Function, array_module


def check_matmul_shapes(a_shape, b_shape):
    # BEGIN SOLUTION assignment=1 "check_matmul_shapes: raise unless a @ b is defined"
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a_shape)} and {tuple(b_shape)}")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be "
                           f"multiplied ({k_a} != {k_b})")
    if len(a_shape) > 2 and len(b_shape) > 2:
        for x, y in zip(a_shape[-3::-1], b_shape[-3::-1]):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"matmul: batch dimensions of shapes {tuple(a_shape)} and "
                                   f"{tuple(b_shape)} do not broadcast ({x} vs {y})")
    # END SOLUTION


class MatMul(Function):
    """out = a @ b;  da = g @ b^T, db = a^T @ g (batch dims summed back by the engine)"""

    @staticmethod
    def forward(ctx, a, b):
        check_matmul_shapes(a.shape, b.shape)
        if a.dtype != b.dtype:  # PyTorch refuses rather than promoting here
            raise RuntimeError(f"matmul: expected both operands to have the same dtype, "
                               f"but got {a.dtype} and {b.dtype}")
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION assignment=3 "MatMul.backward: da = g b^T, db = a^T g"
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        xp = array_module(g)
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
            return (g * b if na else None), (g * a if nb else None)
        # vectors as matrices: a (k,) -> (1, k), b (k,) -> (k, 1); g gains the same axes
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        da = db = None
        if na:
            da = g @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                da = da.reshape(-1, a.shape[0]).sum(axis=0)
        if nb:
            if b2.ndim == 2 and a2.ndim > 2:
                # (B.., m, k) @ (k, n): one big product instead of B products then a sum
                db = a2.reshape(-1, a2.shape[-1]).T @ g.reshape(-1, g.shape[-1])
            else:
                db = xp.swapaxes(a2, -1, -2) @ g
            if b.ndim == 1:
                db = db.reshape(-1, b.shape[0]).sum(axis=0)
        return da, db
        # END SOLUTION


def _matmul_tensor_backward(ctx, g):
    """MatMul.backward on Tensors (create_graph=True): the same products, recorded."""
    a, b = ctx.saved_tensors
    na, nb = ctx.needs_input_grad
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if na else None), (g * a if nb else None)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    if a.ndim == 1:
        g = g.unsqueeze(-2)
    if b.ndim == 1:
        g = g.unsqueeze(-1)
    da = db = None
    if na:
        da = g @ b2.transpose(-1, -2)
        if a.ndim == 1:
            da = da.reshape(-1, a.shape[0]).sum(dim=0)
    if nb:
        db = a2.transpose(-1, -2) @ g
        if b.ndim == 1:
            db = db.reshape(-1, b.shape[0]).sum(dim=0)
    return da, db


MatMul.tensor_backward = staticmethod(_matmul_tensor_backward)
