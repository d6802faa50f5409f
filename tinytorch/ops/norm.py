"""Normalisation Functions: batch-statistics batch norm (fused, with its affine step) and a
standardisation over any axes (group norm, instance norm).

With x_hat = (x - mean) / sqrt(var + eps) over a set of M elements (biased variance), the
gradient of any loss through x_hat is
    dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps),
the means taken over the same M elements.
"""

from __future__ import annotations

from ..autograd.function import Function, array_module


def _standardize(x, axes, eps):
    """(x_hat, rstd, mean, biased var) over ``axes`` (kept as size-1 dims)."""
    xp = array_module(x)
    # one memory layout, one summation order: a strided view gives bit-identical statistics
    x = xp.ascontiguousarray(x)
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    rstd = 1 / xp.sqrt(var + eps)
    return centred * rstd, rstd, mean, var


def _standardize_backward(d_hat, x_hat, rstd, axes):
    mean_d = d_hat.mean(axis=axes, keepdims=True)
    mean_dx = (d_hat * x_hat).mean(axis=axes, keepdims=True)
    return (d_hat - mean_d - x_hat * mean_dx) * rstd


class Standardize(Function):
    """y = (x - mean) / sqrt(var + eps) over ``axes``;
    dx = (g - mean(g) - y mean(g y)) / sqrt(var + eps)"""

    @staticmethod
    def forward(ctx, x, axes, eps):
        x_hat, rstd, _, _ = _standardize(x, axes, eps)
        ctx.save_for_backward(x_hat, rstd)
        ctx.axes = axes
        return x_hat

    @staticmethod
    def backward(ctx, g):
        x_hat, rstd = ctx.saved_tensors
        return _standardize_backward(g, x_hat, rstd, ctx.axes), None, None


class BatchNorm(Function):
    """Training-mode batch norm over every dim but the channels (dim 1):
    y = x_hat * w_c + b_c;  dw_c = sum g x_hat,  db_c = sum g,
    dx = standardisation backward of dx_hat = g * w_c.
    Returns (y, batch mean, biased batch variance); the statistics are not differentiable
    (they feed the running averages)."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        axes = (0,) + tuple(range(2, x.ndim))
        x_hat, rstd, mean, var = _standardize(x, axes, eps)
        channel_shape = (1, -1) + (1,) * (x.ndim - 2)
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.axes, ctx.channel_shape = axes, channel_shape
        y = x_hat
        if weight is not None:
            y = y * weight.reshape(channel_shape)
        if bias is not None:
            y = y + bias.reshape(channel_shape)
        mean, var = mean.reshape(-1), var.reshape(-1)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, g, g_mean=None, g_var=None):
        x_hat, rstd, weight = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        dx = dw = db = None
        if nw:
            dw = (g * x_hat).sum(axis=ctx.axes)
        if nb:
            db = g.sum(axis=ctx.axes)
        if nx:
            d_hat = g * weight.reshape(ctx.channel_shape) if weight is not None else g
            dx = _standardize_backward(d_hat, x_hat, rstd, ctx.axes)
        return dx, dw, db, None
