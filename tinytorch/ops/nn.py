"""Fused neural-network ops with hand-derived backward: the hot paths of a Transformer.

Each op is one ``Function`` whose forward and backward work on raw backend arrays: linear,
cross-entropy (log_softmax + NLL in one pass), nll_loss, layer_norm, gelu (tanh and exact
erf forms), embedding, dropout, scaled-dot-product attention and constant padding.
Softmax and log_softmax live in ``ops/reduce.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from .. import random as _random
from ..autograd.function import Function, array_module
from .reduce import _FAST_SOFTMAX_DTYPES, finite_max, row_dots, row_sums, rows_to_redo
from .special import Erf, erf, normal_cdf, normal_cdf_f32  # noqa: F401  (erf: re-exported)

# ----------------------------------------------------------------------------- linear


class Linear(Function):
    """y = x W^T + b;  dx = g W, dW = g^T x, db = sum_rows g   (rows = all leading dims)"""

    @staticmethod
    def forward(ctx, x, weight, bias):
        if x.shape[-1] != weight.shape[1]:
            raise RuntimeError(f"linear: input has {x.shape[-1]} features in its last dim "
                               f"(shape {tuple(x.shape)}) but weight has shape "
                               f"{tuple(weight.shape)}, expecting {weight.shape[1]}")
        lead = x.shape[:-1]
        x2 = x.reshape(-1, x.shape[-1])  # one big GEMM instead of a batched one
        y = x2 @ weight.T
        if bias is not None:
            y += bias
        ctx.save_for_backward(x, weight)  # x itself (not x2): double backward needs the input
        ctx.lead = lead
        return y.reshape(*lead, weight.shape[0])

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        x2 = x.reshape(-1, x.shape[-1])
        nx, nw, nb = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        dx = (g2 @ weight).reshape(*ctx.lead, weight.shape[1]) if nx else None
        dw = g2.T @ x2 if nw else None
        db = g2.sum(axis=0) if nb else None
        return dx, dw, db


# ----------------------------------------------------------------------------- losses


def _class_last(logits, target, op):
    """(N, C, d...) logits and (N, d...) targets as (M, C) rows and (M,) classes."""
    if logits.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError(f"{op}: unbatched input of shape {tuple(logits.shape)} needs a "
                               f"0-d target, got shape {tuple(target.shape)}")
        return logits[None, :], target.reshape(1)
    expected = (logits.shape[0],) + tuple(logits.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"{op}: input of shape {tuple(logits.shape)} expects a target of "
                           f"shape {expected}, got {tuple(target.shape)}")
    if logits.ndim == 2:
        return logits, target
    xp = array_module(logits)
    rows = xp.moveaxis(logits, 1, -1).reshape(-1, logits.shape[1])
    return rows, target.reshape(-1)


def _check_classes(target, n_classes, ignore_index, op):
    if target.dtype not in (np.int64, np.uint8):  # PyTorch refuses int32 targets too
        raise RuntimeError(f"{op}: expected a target of class indices with an integer dtype "
                           f"(int64, or uint8), got {backend.dtype_of(target)}")
    valid = target != ignore_index
    # the usual case in two reductions; an ignore_index outside [0, C) needs the mask
    if target.size and not (target.min() >= 0 and target.max() < n_classes):
        bad = valid & ((target < 0) | (target >= n_classes))
        if bad.any():
            value = int(target[bad].reshape(-1)[0])
            raise IndexError(f"{op}: target {value} is out of bounds for {n_classes} classes")
    return valid


def _reduce_rows(per_row, reduction, n_valid, xp):
    if reduction == "none":
        return per_row
    if reduction == "sum":
        return per_row.sum()
    with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as torch
        return per_row.sum() / per_row.dtype.type(n_valid)


def _row_scale(g, reduction, n_valid, valid, dtype):
    """The gradient of the reduced loss with respect to each row's loss, zero where ignored."""
    if reduction == "none":
        return g.reshape(-1) * valid
    if reduction == "mean" and n_valid == 0:  # every target ignored: zeros, as PyTorch
        return valid.astype(dtype) * 0
    s = g / dtype.type(n_valid) if reduction == "mean" else g
    return s * valid.astype(dtype)


def _reshape_rows(grad_rows, shape, xp):
    """(M, C) row gradients back to the (N, C, d...) layout of the logits."""
    if len(shape) <= 2:
        return grad_rows.reshape(shape)
    moved = grad_rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return xp.moveaxis(moved, -1, 1)


def _check_reduction(reduction, op):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy_simple(logits, target, label_smoothing: float = 0.0):
    """Mean cross-entropy of (N, C) logits and (N,) class indices from small ops, the
    readable form of ``CrossEntropy``: -mean_i [(1 - e) log p[i, t_i] + e mean_c log p[i, c]]."""
    from .reduce import log_softmax_simple

    log_probs = log_softmax_simple(logits, 1)
    picked = log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    per_row = (1 - label_smoothing) * picked + label_smoothing * log_probs.mean(1)
    return -per_row.mean()


class CrossEntropy(Function):
    """loss_i = -(1 - e) log p[i, t_i] - (e / C) sum_c log p[i, c],  p = softmax(x_i);
    dx_i = p_i - (1 - e) onehot(t_i) - e / C   (times the reduction's weight, 0 if ignored)
    The solution regions hold these formulas; ``_cross_entropy_rows_fast`` and
    ``_cross_entropy_grad_fast`` (run unless ``backend.use_fast_path(4)`` is False) are the
    same in fewer passes. Simple form: ``cross_entropy_simple``."""

    @staticmethod
    def forward(ctx, logits, target, ignore_index, label_smoothing, reduction):
        xp = array_module(logits)
        rows, classes = _class_last(logits, target, "cross_entropy")
        valid = _check_classes(classes, rows.shape[1], ignore_index, "cross_entropy")
        safe = xp.where(valid, classes, 0)  # an ignored row reads class 0, then counts 0
        if backend.use_fast_path(4):
            probs, per_row = _cross_entropy_rows_fast(rows, safe, label_smoothing)
        else:
            # BEGIN SOLUTION assignment=4 "CrossEntropy.forward: probs and per_row loss, stably"
            e, n_classes = label_smoothing, rows.shape[1]
            shifted = rows - rows.max(axis=1, keepdims=True)  # exp stays finite
            log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
            probs = xp.exp(log_p)
            per_row = -(1 - e) * log_p[xp.arange(rows.shape[0]), safe]
            if e:
                per_row = per_row - (e / n_classes) * log_p.sum(axis=1)
            # END SOLUTION
        n_valid = int(valid.sum())
        ctx.save_for_backward(probs, safe, valid, logits)  # logits: for double backward
        ctx.shape, ctx.reduction, ctx.n_valid = logits.shape, reduction, n_valid
        ctx.smoothing = label_smoothing
        out = _reduce_rows(per_row * valid, reduction, n_valid, xp)
        return out.reshape(target.shape) if reduction == "none" else out

    @staticmethod
    def backward(ctx, g):
        probs, safe, valid, _ = ctx.saved_tensors
        xp = array_module(probs)
        # d(reduced loss) / d(loss_i): 1, or 1 / n_valid for the mean; 0 where ignored
        scale = _row_scale(g, ctx.reduction, ctx.n_valid, valid, probs.dtype)[:, None]
        if backend.use_fast_path(4):
            grad = _cross_entropy_grad_fast(probs, safe, scale, ctx.smoothing)
        else:
            # BEGIN SOLUTION assignment=4 "CrossEntropy.backward: (p - smoothed onehot) * scale"
            e, n_classes = ctx.smoothing, probs.shape[1]
            onehot = xp.zeros_like(probs)
            onehot[xp.arange(probs.shape[0]), safe] = 1
            grad = (probs - (1 - e) * onehot - e / n_classes) * scale
            # END SOLUTION
        return _reshape_rows(grad, ctx.shape, xp), None, None, None, None


def _cross_entropy_rows_fast(rows, safe, label_smoothing):
    """``CrossEntropy.forward``'s (probs, per-row loss) without the (M, C) log-probability
    array: the loss reads log p only at the targets (and its row mean when smoothing), and
    the probabilities are normalised in the exp's own array, so the logits are walked
    about half as many times. Forward and backward together, float32, one thread: 25 ms
    against 46 ms for (4096, 512) logits, 38 ms against 116 ms for (1024, 6282)."""
    xp = array_module(rows)
    shifted = rows - rows.max(axis=1, keepdims=True)
    probs = xp.exp(shifted)
    total = row_sums(probs)  # a matrix-vector product: short rows sum 5x faster
    log_total = xp.log(total[:, 0])
    picked = shifted[xp.arange(rows.shape[0]), safe] - log_total
    per_row = -(1 - label_smoothing) * picked
    if label_smoothing:
        mean_logp = shifted.mean(axis=1) - log_total
        per_row -= label_smoothing * mean_logp
    probs *= 1 / total
    return probs, per_row


def _cross_entropy_grad_fast(probs, safe, scale, smoothing):
    """``CrossEntropy.backward``'s row gradients in one (M, C) array: scaled probabilities,
    minus the target's share at one entry per row, with no one-hot matrix."""
    xp = array_module(probs)
    grad = probs * scale
    grad[xp.arange(grad.shape[0]), safe] -= (1 - smoothing) * scale[:, 0]
    if smoothing:
        grad -= (smoothing / probs.shape[1]) * scale
    return grad


class NLLLoss(Function):
    """loss_i = -x[i, t_i];  dx[i, t_i] = -1   (times the reduction's weight, 0 if ignored)"""

    @staticmethod
    def forward(ctx, logp, target, ignore_index, reduction):
        xp = array_module(logp)
        rows, classes = _class_last(logp, target, "nll_loss")
        valid = _check_classes(classes, rows.shape[1], ignore_index, "nll_loss")
        safe = xp.where(valid, classes, 0)
        per_row = -xp.take_along_axis(rows, safe[:, None], axis=1)[:, 0] * valid
        n_valid = int(valid.sum())
        ctx.save_for_backward(safe, valid)
        ctx.shape, ctx.reduction, ctx.n_valid = logp.shape, reduction, n_valid
        ctx.rows_shape = rows.shape
        out = _reduce_rows(per_row, reduction, n_valid, xp)
        return out.reshape(target.shape) if reduction == "none" else out

    @staticmethod
    def backward(ctx, g):
        safe, valid = ctx.saved_tensors
        xp = array_module(g)
        scale = _row_scale(g, ctx.reduction, ctx.n_valid, valid, g.dtype)
        grad = xp.zeros(ctx.rows_shape, dtype=g.dtype)
        grad[xp.arange(grad.shape[0]), safe] = -scale
        return _reshape_rows(grad, ctx.shape, xp), None, None, None


# ----------------------------------------------------------------------------- layer norm


def layer_norm_simple(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """layer_norm from small ops, the readable form of ``LayerNorm``."""
    dims = tuple(range(-len(normalized_shape), 0))
    centered = x - x.mean(dims, keepdim=True)
    y = centered / ((centered * centered).mean(dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        y = y * weight
    return y + bias if bias is not None else y


def layer_norm_forward(x2, weight, bias, eps):
    """The course's LayerNorm forward on rows (rows, N): returns y, x_hat, rstd (rows, 1).
    ``weight`` and ``bias`` are (N,) or None."""
    # BEGIN SOLUTION assignment=4 "layer_norm_forward: normalise rows, scale, shift"
    xp = array_module(x2)
    mean = x2.mean(axis=-1, keepdims=True)
    var = ((x2 - mean) ** 2).mean(axis=-1, keepdims=True)  # biased variance
    rstd = 1 / xp.sqrt(var + eps)
    x_hat = (x2 - mean) * rstd
    y = x_hat if weight is None else x_hat * weight
    if bias is not None:
        y = y + bias
    return y, x_hat, rstd
    # END SOLUTION


def layer_norm_backward(g2, x_hat, rstd, weight):
    """The course's LayerNorm backward on rows: returns dx, dw, db (dw, db: (N,))."""
    # BEGIN SOLUTION assignment=4 "layer_norm_backward: dx, dw, db"
    d = g2 if weight is None else g2 * weight
    dx = rstd * (d - d.mean(axis=-1, keepdims=True)
                 - x_hat * (d * x_hat).mean(axis=-1, keepdims=True))
    dw = (g2 * x_hat).sum(axis=0)
    db = g2.sum(axis=0)
    return dx, dw, db
    # END SOLUTION


# The fast path: row means and column sums as matrix-vector products (BLAS reads the rows
# once, 2-4x faster than ndarray.mean/sum), row dot products as batched (1, N) @ (N, 1)
# products (0.10 ms on (2048, 384) float32 where einsum took 0.19 ms and a product plus
# a sum 0.20 ms; ``row_dots``), in-place passes, walking the rows in cache-sized blocks:
# forward + backward of (8, 256, 384) float32 took 4.24 ms whole, 2.99 ms in blocks of 256K
# elements, 4.34 ms in 64K blocks. Not split across threads: that never paid (quiet
# machine, wall, forward + backward: 192K floats 1.35 ms split, 0.81 ms on one thread;
# 768K 4.24 / 4.25 ms; 3M 18.1 / 16.6 ms; see backend.split_rows).


def _layer_norm_block(x2, x_hat, rstd, y, weight, bias, eps):
    """x_hat = (x - mean) rstd, rstd = 1 / sqrt(var + eps), y = x_hat w + b; a block of rows."""
    xp = array_module(x2)
    width = max(x2.shape[1], 1)  # a 0-size normalized shape: empty rows, nothing to divide
    averager = xp.full(x2.shape[1], 1 / width, dtype=x2.dtype)
    with np.errstate(invalid="ignore"):  # inf in a row gives NaN, silently as in PyTorch
        xp.subtract(x2, (x2 @ averager)[:, None], out=x_hat)
        var = row_dots(x_hat, x_hat)
        var *= 1 / width
        var += eps
        xp.sqrt(var, out=var)
        xp.divide(1, var, out=rstd[:, 0])
        x_hat *= rstd
    if weight is None:
        y[...] = x_hat
    else:
        xp.multiply(x_hat, weight, out=y)
    if bias is not None:
        y += bias


def _layer_norm_backward_block(d2, x_hat, rstd):
    """d2 <- rstd (d2 - mean(d2) - x_hat mean(d2 x_hat)) in place, d2 = g w; a block of rows."""
    xp = array_module(d2)
    width = max(d2.shape[1], 1)
    averager = xp.full(d2.shape[1], 1 / width, dtype=d2.dtype)
    mean_d = (d2 @ averager)[:, None]
    mean_dx = row_dots(d2, x_hat)[:, None]
    mean_dx *= 1 / width
    correction = x_hat * mean_dx
    correction += mean_d
    d2 -= correction
    d2 *= rstd


def _layer_norm_forward_fast(x2, weight, bias, eps):
    """``layer_norm_forward`` in six passes per block of rows."""
    xp = array_module(x2)
    x_hat, y = xp.empty(x2.shape, dtype=x2.dtype), xp.empty(x2.shape, dtype=x2.dtype)
    rstd = xp.empty((x2.shape[0], 1), dtype=x2.dtype)
    backend.in_blocks(lambda *blocks: _layer_norm_block(*blocks, weight, bias, eps),
                      x2, x_hat, rstd, y)
    return y, x_hat, rstd


def _layer_norm_backward_fast(g, x_hat, rstd, weight, needs=(True, True, True)):
    """``layer_norm_backward`` for ``g`` of the input's shape (``weight``: of the normalized
    shape, or None): dw as an einsum and db as a matrix-vector product (each only when
    ``needs`` it), dx built in place in one array of the input's shape that owns its
    memory, so that the engine hands it on without a copy (a reshaped view would be
    copied: 16 us of the small layer_norm's 0.5 ms)."""
    xp = array_module(g)
    g2 = g.reshape(x_hat.shape)
    dw = xp.einsum("ij,ij->j", g2, x_hat) if needs[1] else None
    db = xp.ones(g2.shape[0], dtype=g2.dtype) @ g2 if needs[2] else None
    if not needs[0]:
        return None, dw, db
    dx = g * weight if weight is not None else g.copy()
    if not dx.flags.c_contiguous:
        dx = xp.ascontiguousarray(dx)
    backend.in_blocks(_layer_norm_backward_block, dx.reshape(x_hat.shape), x_hat, rstd)
    return dx, dw, db


def _shaped(a, shape):
    """``a`` itself when it has ``shape`` (an array that owns its memory stays so), else a
    reshaped view."""
    return a if a is None or a.shape == tuple(shape) else a.reshape(shape)


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over the last k dims (x_hat before w, b);
    dx = rstd * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)),  dx_hat = g * w;
    dw = sum_rows g * x_hat,  db = sum_rows g.   Simple form: ``layer_norm_simple``; the
    course's formulas ``layer_norm_forward`` and ``layer_norm_backward``, or their fast
    paths."""

    @staticmethod
    def forward(ctx, x, weight, bias, n_norm, eps):
        width = math.prod(x.shape[x.ndim - n_norm:])
        rows = math.prod(x.shape[:x.ndim - n_norm])  # explicit: width may be 0
        x2 = x.reshape(rows, width)
        w = None if weight is None else weight.reshape(-1)
        b = None if bias is None else bias.reshape(-1)
        # an empty normalized shape has no mean: the fast path's empty rows need none
        fast = backend.use_fast_path(4) or width == 0
        y, x_hat, rstd = (_layer_norm_forward_fast if fast else layer_norm_forward)(
            x2, w, b, eps)
        ctx.save_for_backward(x_hat, rstd, weight, x)  # x: for double backward
        ctx.shape, ctx.eps, ctx.norm_shape = x.shape, eps, x.shape[x.ndim - n_norm:]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, rstd, weight, _ = ctx.saved_tensors
        rows, width = x_hat.shape
        w = None if weight is None else weight.reshape(-1)
        nx, nw, nb = ctx.needs_input_grad[:3]
        if backend.use_fast_path(4) or width == 0:  # weight of normalized_shape: g * weight
            dx, dw, db = _layer_norm_backward_fast(g, x_hat, rstd, weight, (nx, nw, nb))
        else:
            dx, dw, db = layer_norm_backward(g.reshape(rows, width), x_hat, rstd, w)
        return (_shaped(dx, ctx.shape) if nx else None,
                _shaped(dw, ctx.norm_shape) if nw else None,
                _shaped(db, ctx.norm_shape) if nb else None, None, None)


# ----------------------------------------------------------------------------- gelu

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_CUBIC = 0.044715


def gelu_simple(x, approximate: str = "none"):
    """GELU from small ops, the readable form of ``Gelu``: x Phi(x), or GPT-2's tanh form
    x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2."""
    if approximate == "tanh":
        return 0.5 * x * (1 + (_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3)).tanh())
    return x * 0.5 * (1 + Erf.apply(x * _INV_SQRT_2))


def _gelu_tanh_forward(x, y, h):
    """h = (1 + tanh(z)) / 2 = 1 / (1 + exp(-2 z)), z = k (x + c x^3), and y = x h; a block.

    The logistic form of (1 + tanh) / 2 is both cheaper and more accurate: on 393K floats
    it took 1.18 ms against 1.65 ms (float32; 2.65 against 7.18 ms in float64: NumPy's
    exp is vectorised, its tanh is not), and it keeps relative accuracy in the left tail
    (2e-7 in float32) where 1 + tanh(z) cancels to nothing.
    """
    xp = array_module(x)
    xp.multiply(x, x, out=h)  # -2 z = x (-2k - 2kc x^2): the constants folded, one pass less
    h *= -2 * _SQRT_2_OVER_PI * _GELU_CUBIC
    h += -2 * _SQRT_2_OVER_PI
    h *= x
    with np.errstate(over="ignore"):  # exp(-2 z) = inf for very negative x: h = 0, exact
        xp.exp(h, out=h)
    h += 1
    xp.divide(1, h, out=h)
    xp.multiply(x, h, out=y)


def _gelu_tanh_backward(x, h, g, d):
    """d = g (h + x k (1 + 3 c x^2) (1 - t^2) / 2), with (1 - t^2) / 2 = 2 h (1 - h)."""
    xp = array_module(x)
    xp.multiply(x, x, out=d)  # x k (1 + 3c x^2) 2 = x (2k + 6kc x^2), constants folded
    d *= 6 * _SQRT_2_OVER_PI * _GELU_CUBIC
    d += 2 * _SQRT_2_OVER_PI
    d *= x
    d *= h
    d -= d * h  # d (1 - h), one temporary of the block's size
    d += h
    d *= g


def _gelu_exact_forward(x, y, cdf, gauss):
    """cdf = Phi(x), gauss = exp(-x^2 / 2) (phi(x) sqrt(2 pi), kept for the backward) and
    y = x Phi(x), on one block. float32 runs ``normal_cdf_f32`` (one exp, 1.4e-7 absolute);
    float64 the accurate erf (1e-16, PyTorch's float64 results)."""
    xp = array_module(x)
    if x.dtype == np.float32:
        normal_cdf_f32(x, cdf, gauss, y)  # y: scratch until the last line
    else:
        cdf[...] = normal_cdf(x)
        xp.multiply(x, x, out=gauss)
        gauss *= -0.5
        xp.exp(gauss, out=gauss)
    with np.errstate(invalid="ignore"):  # -inf * 0 = NaN, as PyTorch
        xp.multiply(x, cdf, out=y)


def _gelu_exact_backward(x, cdf, gauss, g, d):
    """d = g (Phi(x) + x phi(x)),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi) = gauss / sqrt(2 pi)."""
    xp = array_module(x)
    xp.multiply(x, gauss, out=d)
    d *= _INV_SQRT_2PI
    d += cdf
    d *= g


class Gelu(Function):
    """exact: y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;  dy = Phi(x) + x phi(x)
    tanh:  y = x (1 + t) / 2, t = tanh(k (x + 0.044715 x^3)), k = sqrt(2 / pi);
           dy = (1 + t) / 2 + x (1 - t^2) k (1 + 3 * 0.044715 x^2) / 2
    Simple form: ``gelu_simple``. The passes run on the flattened input, in cache-sized
    blocks split across threads (``backend.split_rows``)."""

    @staticmethod
    def forward(ctx, x, approximate):
        xp = array_module(x)
        flat = x.reshape(-1)  # elementwise: one flat run (a copy only if x is strided)
        y = xp.empty_like(flat)
        # tanh: h = (1 + t) / 2; exact: Phi(x) and exp(-x^2 / 2)
        saved = [xp.empty_like(flat) for _ in range(1 if approximate == "tanh" else 2)]
        kernel = _gelu_tanh_forward if approximate == "tanh" else _gelu_exact_forward
        backend.split_rows(kernel, flat, y, *saved, blocked=True)
        # save the input itself (not a view): double backward finds it by identity
        ctx.save_for_backward(x, *saved)
        ctx.approximate = approximate
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, *saved = ctx.saved_tensors
        xp = array_module(x)
        flat = x.reshape(-1)
        g = (g if g.shape == x.shape else xp.broadcast_to(g, x.shape)).reshape(-1)
        d = xp.empty(x.shape, dtype=x.dtype)  # owns its memory: the engine keeps it uncopied
        kernel = _gelu_tanh_backward if ctx.approximate == "tanh" else _gelu_exact_backward
        backend.split_rows(kernel, flat, *saved, g, d.reshape(-1), blocked=True)
        return d, None


# ----------------------------------------------------------------------------- embedding

def embedding_backward(indices, g, num_embeddings, padding_idx):
    """dW = sum of the output gradient rows g[j] over the positions j that read row i, as
    the course writes it (``dW[idx] += g`` would add a repeated index only once)."""
    # BEGIN SOLUTION assignment=4 "embedding_backward: sum g rows per index"
    xp = array_module(g)
    dim = g.shape[-1]
    dw = xp.zeros((num_embeddings, dim), dtype=g.dtype)
    backend.scatter_add(xp, dw, indices.reshape(-1), g.reshape(-1, dim))  # np.add.at
    if padding_idx is not None:
        dw[padding_idx] = 0
    return dw
    # END SOLUTION


# The fast path. How to sum the rows, measured with benchmarks/bench_nn.py (float32, median
# ms, quiet machine; the "embedding backward strategies" lines):
#   V=65    n=768  d=128: np.add.at 1.77, one-hot product 0.15, sort + reduceat 0.29
#   V=65    n=2048 d=384: np.add.at 13.8, one-hot product 1.23, sort + reduceat 2.52
#   V=2048  n=2048 d=384: np.add.at 9.7,  one-hot product 22.6, sort + reduceat 6.95
#   V=50304 n=512  d=256: np.add.at 3.0,  one-hot product 97.5, sort + reduceat 3.37
# The one-hot product (onehot(idx) g, one BLAS call) is twice as fast for a character
# vocabulary and its cost grows with V; sort + np.add.reduceat wins from about 200 rows up
# (V=256 n=2048 d=384, one thread under load: one-hot 4.7 ms, sort + reduceat 3.8 ms).
# np.add.at (the textbook's) is the slowest at every size but the largest.
ONE_HOT_MAX_ROWS = 128


def _embedding_backward_fast(indices, g, num_embeddings, padding_idx):
    """``embedding_backward`` by a one-hot product (small V) or sort + reduceat."""
    xp = array_module(g)
    dim = g.shape[-1]
    flat = indices.reshape(-1)
    g2 = g.reshape(-1, dim)
    n = flat.shape[0]
    if xp is not np or n == 0:
        dw = xp.zeros((num_embeddings, dim), dtype=g.dtype)
        backend.scatter_add(xp, dw, flat, g2)  # CuPy's scatter kernel; nothing when n = 0
    elif num_embeddings <= ONE_HOT_MAX_ROWS:
        one_hot = np.zeros((num_embeddings, n), dtype=g.dtype)
        one_hot[flat, np.arange(n)] = 1
        dw = one_hot @ g2
    else:
        order = np.argsort(flat, kind="stable")
        sorted_idx = flat[order]
        starts = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]])
        dw = np.zeros((num_embeddings, dim), dtype=g.dtype)
        dw[sorted_idx[starts]] = np.add.reduceat(g2[order], starts, axis=0)
    if padding_idx is not None:
        dw[padding_idx] = 0
    return dw


def _embedding_backward(indices, g, num_embeddings, padding_idx):
    """The fast path or the course's formula (``backend.use_fast_path``)."""
    backward = _embedding_backward_fast if backend.use_fast_path(4) else embedding_backward
    return backward(indices, g, num_embeddings, padding_idx)


def embedding_simple(weight, indices):
    """The rows of ``weight`` that ``indices`` name, as a one-hot matrix product (small ops):
    the readable form of ``Embedding``, y = onehot(idx) W."""
    from ..nn.functional import one_hot

    return one_hot(indices, weight.shape[0]).to(weight.dtype) @ weight


class Embedding(Function):
    """y = W[idx];  dW[i] = sum_{j : idx_j = i} g_j  (row padding_idx gets no gradient)
    Simple form: ``embedding_simple``."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        if indices.dtype.kind not in "iu":
            raise RuntimeError(f"embedding: expected indices of an integer dtype (int64 or "
                               f"int32), got {backend.dtype_of(indices)}")
        n = weight.shape[0]
        if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n):
            bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
            raise IndexError(f"embedding: index {bad} is out of range for an embedding with "
                             f"{n} rows (valid indices are 0..{n - 1})")
        ctx.save_for_backward(indices)
        ctx.num, ctx.padding_idx = n, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        return _embedding_backward(indices, g, ctx.num, ctx.padding_idx), None, None


# ----------------------------------------------------------------------------- dropout


def keep_mask(shape, p, xp, dtype):
    """A mask of 0 and 1 / (1 - p), each entry kept with probability 1 - p (global RNG,
    PyTorch's CPU draws: ``bernoulli_(1 - p)`` then ``div_(1 - p)``)."""
    keep = _random.bernoulli_scalar(None, math.prod(shape), 1 - p).reshape(shape)
    mask = keep.astype(dtype)
    mask /= dtype.type(1 - p)
    return mask if xp is np else backend.move(mask, backend.device("cuda"))


class Dropout(Function):
    """y = x * m / (1 - p), m ~ Bernoulli(1 - p);  dx = g * m / (1 - p)"""

    @staticmethod
    def forward(ctx, x, p):
        xp = array_module(x)
        if p == 1:
            mask = xp.zeros(x.shape, dtype=x.dtype)
        else:
            mask = keep_mask(x.shape, p, xp, x.dtype)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask, None


# ----------------------------------------------------------------------------- attention


_CAUSAL_BIAS: dict = {}


def causal_bias(xp, n_q: int, n_k: int, dtype):
    """(n_q, n_k) additive mask: 0 where key j <= query i, -inf above (cached per shape)."""
    key = (xp.__name__, n_q, n_k, np.dtype(dtype).str)
    bias = _CAUSAL_BIAS.get(key)
    if bias is None:
        if len(_CAUSAL_BIAS) > 32:
            _CAUSAL_BIAS.clear()
        upper = np.triu(np.ones((n_q, n_k), dtype=bool), 1)
        host = np.where(upper, -np.inf, 0).astype(dtype)
        bias = _CAUSAL_BIAS[key] = host if xp is np else xp.asarray(host)
    return bias


def _contiguous(xp, a):
    return a if a.flags.c_contiguous else xp.ascontiguousarray(a)


def _blas_rows(xp, a):
    """``a`` itself when BLAS can read each of its matrices in place (rows of adjacent
    elements, any row stride: a head of q viewed out of a (B, T, 3C) projection), else a
    row-major copy."""
    return a if a.ndim >= 2 and a.strides[-1] == a.itemsize and xp is np \
        else _contiguous(xp, a)


def attention_simple(q, k, v, is_causal: bool = False, scale: float | None = None):
    """softmax(s q k^T + M) v from small ops (M: -inf above the diagonal when causal), the
    readable form of ``ScaledDotProductAttention``."""
    from ..creation import ones
    from .reduce import softmax_simple

    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale
    if is_causal:
        above = ones(scores.shape[-2], scores.shape[-1], dtype=bool).triu(1)
        scores = scores.masked_fill(above, float("-inf"))
    return softmax_simple(scores, -1) @ v


class ScaledDotProductAttention(Function):
    """S = s q k^T + M (M: 0 / -inf from a bool mask, or the float mask), P = softmax(S),
    out = D(P) v with D the dropout (x m / (1 - p)).
    dv = D(P)^T g;  dP = D(g v^T + gW);  dS = P * (dP - sum_rows(dP * P));
    dq = s dS k;  dk = s dS^T q;  dM = dS.   A fully masked row (every key excluded) has
    P = 0: its output is zeros and it passes no gradient (PyTorch returns NaN there).
    With ``return_weights`` the second output is D(P) (MultiheadAttention's weights).
    The solution regions hold these formulas; ``_sdpa_forward_fast`` and
    ``_sdpa_backward_fast`` (run unless ``backend.use_fast_path(5)`` is False) are the same
    in place. Simple form: ``attention_simple``."""

    @staticmethod
    def forward(ctx, q, k, v, mask, dropout_p, is_causal, scale, return_weights):
        # the backward that matches: each forward saves what its own backward reads
        ctx.fast_path = backend.use_fast_path(5)
        if ctx.fast_path:
            return _sdpa_forward_fast(ctx, q, k, v, mask, dropout_p, is_causal, scale,
                                      return_weights)
        # BEGIN SOLUTION assignment=5 "SDPA forward: softmax(s q k^T + M) v"
        xp = array_module(q)
        scores = (q @ xp.swapaxes(k, -1, -2)) * q.dtype.type(scale)  # (..., L, S)
        if is_causal:
            scores = scores + causal_bias(xp, scores.shape[-2], scores.shape[-1], q.dtype)
        if mask is not None and mask.dtype == np.bool_:
            scores = xp.where(mask, scores, q.dtype.type(-np.inf))  # True = may attend
        elif mask is not None:
            scores = scores + mask
        # softmax along the keys; finite_max shifts a fully masked row by 0, and its
        # total of 0 is replaced by 1, so its P is 0 rather than 0 / 0
        exp = xp.exp(scores - finite_max(scores, -1))
        total = exp.sum(axis=-1, keepdims=True)
        probs = exp / xp.where(total == 0, 1, total)
        drop = keep_mask(probs.shape, dropout_p, xp, q.dtype) if dropout_p > 0 else None
        dropped = probs if drop is None else probs * drop
        out = dropped @ v
        ctx.save_for_backward(q, k, v, probs, drop, mask)
        ctx.scale, ctx.is_causal = q.dtype.type(scale), is_causal
        return (out, dropped) if return_weights else out
        # END SOLUTION

    @staticmethod
    def backward(ctx, g, g_weights=None):
        if ctx.fast_path:
            return _sdpa_backward_fast(ctx, g, g_weights)
        # BEGIN SOLUTION assignment=5 "SDPA backward: dq, dk, dv, dM"
        q, k, v, probs, drop = ctx.saved_tensors[:5]
        xp = array_module(g)
        dropped = probs if drop is None else probs * drop
        dv = xp.swapaxes(dropped, -1, -2) @ g
        d_probs = g @ xp.swapaxes(v, -1, -2)  # (..., L, S)
        if g_weights is not None:
            d_probs = d_probs + g_weights
        if drop is not None:
            d_probs = d_probs * drop
        d_scores = probs * (d_probs - (d_probs * probs).sum(axis=-1, keepdims=True))
        dq = ctx.scale * (d_scores @ k)
        dk = ctx.scale * (xp.swapaxes(d_scores, -1, -2) @ q)
        needs = ctx.needs_input_grad
        return (dq if needs[0] else None, dk if needs[1] else None,
                dv if needs[2] else None, d_scores if needs[3] else None,
                None, None, None, None)
        # END SOLUTION


def _sdpa_forward_fast(ctx, q, k, v, mask, dropout_p, is_causal, scale, return_weights):
    """``ScaledDotProductAttention.forward`` with the (..., L, S) scores masked, shifted,
    exponentiated and normalised in one array in place (the textbook makes a new array at
    each of those steps), q scaled (the smaller operand) before the product, and the
    batched products' operands made row-major. Saves, after the textbook's six arrays, the
    scaled q and row-major v its backward reads. Forward and backward together, causal,
    float32, one thread: 33 ms against 39 ms for (4, 4, 256, 32) heads, about even at
    (12, 6, 64, 64). Without a mask, dropout or returned weights (a GPT's attention) the
    heads are split across threads (``_split_heads``)."""
    xp = array_module(q)
    dtype = q.dtype
    scale = dtype.type(scale)
    qs = xp.multiply(q, scale, out=xp.empty(q.shape, dtype=dtype))  # row-major
    kt, v_rows = xp.swapaxes(k, -1, -2), v
    if q.shape[-2] > 1:  # one query (a cached generation step) reads k and v once: no copy
        kt, v_rows = xp.ascontiguousarray(kt), _contiguous(xp, v)
    blocks = _causal_blocks(q, k, v, mask, dropout_p, is_causal, return_weights)
    if blocks:
        return _sdpa_forward_causal_blocks(ctx, q, k, v, qs, kt, v_rows, blocks, scale)
    if _heads_apart(q, k, v) and mask is None and dropout_p == 0 and not return_weights:
        probs = np.empty(q.shape[:-1] + (k.shape[-2],), dtype=dtype)
        out = _like_query(q, v)
        _split_heads(lambda *heads: _attention_heads_forward(*heads, is_causal),
                     qs, kt, v_rows, probs, out, product=_head_product(q, k, v))
        ctx.save_for_backward(q, k, v, probs, None, None, qs, v_rows)
        ctx.scale, ctx.is_causal = scale, is_causal
        return out
    scores = qs @ kt  # (..., L, S), a fresh array: masked and normalised in place
    if is_causal:
        scores += causal_bias(xp, scores.shape[-2], scores.shape[-1], dtype)
    if mask is not None:
        full = np.broadcast_shapes(mask.shape, scores.shape)
        if full != scores.shape:  # the mask has batch dims the scores lack
            scores = xp.ascontiguousarray(xp.broadcast_to(scores, full))
        if mask.dtype == np.bool_:
            xp.copyto(scores, dtype.type(-np.inf), where=~mask)
        else:
            scores += mask
    row_max = finite_max(scores, -1)  # 0 for a row with no key at all
    scores -= row_max
    probs = xp.exp(scores, out=scores)
    total = row_sums(probs)
    total[total == 0] = 1  # fully masked row: probs stay 0
    probs *= 1 / total
    drop = None
    dropped = probs
    if dropout_p > 0:
        drop = keep_mask(probs.shape, dropout_p, xp, dtype)
        dropped = probs * drop
    out = dropped @ v_rows
    # q, k, v and the mask as given (double backward differentiates through them)
    ctx.save_for_backward(q, k, v, probs, drop, mask, qs, v_rows)
    ctx.scale, ctx.is_causal = scale, is_causal
    if return_weights:
        return out, dropped
    return out


def _sdpa_backward_fast(ctx, g, g_weights=None):
    """``ScaledDotProductAttention.backward`` with dS computed in dP's own array in place,
    the row sums as one einsum, and the scaled q of the forward reused for dk."""
    _q, k, _v, probs, drop, _mask, qs, v = ctx.saved_tensors  # v: row-major
    nq, nk, nv, nm = ctx.needs_input_grad[:4]
    xp = array_module(g)
    g = _blas_rows(xp, g)
    if getattr(ctx, "blocks", None) and not nm:
        return _sdpa_backward_causal_blocks(ctx, g, k, qs, v, (_q, _v), nq, nk, nv)
    if nq and nk and nv and not nm and drop is None and g_weights is None \
            and _heads_apart(qs, k, v) and g.shape == qs.shape[:-1] + v.shape[-1:]:
        # each gradient in its input's memory layout (see _like_query)
        dq, dk, dv = (np.empty_like(a, dtype=g.dtype) for a in (_q, k, _v))
        vt = np.ascontiguousarray(np.swapaxes(v, -1, -2))
        _split_heads(lambda *heads: _attention_heads_backward(*heads, ctx.scale),
                     g, probs, vt, _blas_rows(xp, k), qs, dq, dk, dv,
                     product=_head_product(qs, k, v))
        return dq, dk, dv, None, None, None, None, None
    dv = None
    if nv:
        dropped = probs if drop is None else probs * drop
        dv = xp.swapaxes(dropped, -1, -2) @ g
    d_probs = g @ xp.ascontiguousarray(xp.swapaxes(v, -1, -2))  # (..., L, S)
    if g_weights is not None:
        d_probs += g_weights
    if drop is not None:
        d_probs *= drop
    # dS = P * (dP - rowsum(dP * P)), computed in place in d_probs
    row_dot = xp.einsum("...ij,...ij->...i", d_probs, probs)[..., None] if xp is np \
        else (d_probs * probs).sum(axis=-1, keepdims=True)
    d_probs -= row_dot
    d_probs *= probs
    d_scores = d_probs
    dq = dk = None
    if nq:
        dq = d_scores @ k
        dq *= ctx.scale
    if nk:
        dk = xp.swapaxes(d_scores, -1, -2) @ qs
    dm = d_scores if nm else None
    return dq, dk, dv, dm, None, None, None, None


# The heads of attention are independent: split across threads, each thread runs every
# product and pass of the fast path on its own heads (NumPy's batched matmul calls BLAS
# once per head, each call too small for BLAS to thread, and the softmax passes are plain
# ufuncs: whole, all of it ran on one core). Forward and backward of causal (12, 4, 64, 32)
# float32 heads, 2 threads, wall time: see benchmarks/RESULTS.md.


def _heads_apart(q, k, v) -> bool:
    """Whether attention may split q, k, v (..., L, E) by heads: NumPy arrays with the same
    batch dims (no broadcasting between them), none of them empty."""
    return array_module(q) is np and q.ndim >= 3 and q.shape[:-2] == k.shape[:-2] \
        == v.shape[:-2] and q.size > 0 and k.size > 0 and v.size > 0


# OpenBLAS runs a product of m n k below 65536 * 4 (its GEMM_MULTITHREAD_THRESHOLD) on one
# thread and larger ones on every core; two of our threads each calling a threaded product
# fight for the cores. So heads are split only when each head's products are smaller:
# forward + backward of causal (12, 4, 64, 32) float32 heads, 2 threads, wall, quiet
# machine: 3.62 ms whole, 2.57 ms split; of (8, 6, 256, 64): 34.6 ms whole, 39.7-46.6 split.
BLAS_ONE_THREAD_PRODUCT = 1 << 18


def _split_heads(kernel, *arrays, product: int) -> None:
    """``backend.split_rows(kernel, ...)`` over the heads when each head's largest matrix
    product (``product`` = m n k) runs on one BLAS thread, else ``kernel`` once; each array
    (..., X, Y) with its batch dims flattened into one leading axis when all of them can be
    without a copy (the kernel writes into them), else split along the first batch dim."""
    heads = [_merged_heads(a) for a in arrays]
    if any(h is None for h in heads):  # a (B, H, T, D) view of (B, T, H, D) memory
        heads = arrays
    if product >= BLAS_ONE_THREAD_PRODUCT:
        kernel(*heads)
    else:
        backend.split_rows(kernel, *heads)


def _merged_heads(a):
    """``a`` (..., X, Y) as a (heads, X, Y) view, or None when its batch dims cannot merge
    without a copy (``reshape`` would copy, and the kernels write into these arrays)."""
    if not a.flags.c_contiguous:
        dims = [(n, step) for n, step in zip(a.shape[:-2], a.strides[:-2]) if n != 1]
        if any(outer != inner * n for (_, outer), (n, inner) in zip(dims, dims[1:])):
            return None
    return a.reshape((-1,) + a.shape[-2:])  # mergeable: NumPy's reshape makes a view


def _like_query(q, v):
    """The attention output (..., L, Ev), laid out in memory as the query is: for the
    heads of a (B, T, C) projection viewed as (B, H, T, D), the output's memory is
    (B, T, H, Ev), so the model's ``y.transpose(1, 2).contiguous().view(B, T, C)`` copies
    nothing, and its gradient comes back without a copy either (PyTorch's CPU attention
    kernel lays its output out the same way). The gradients dq, dk, dv follow their
    inputs' layouts likewise."""
    return np.empty_like(q, shape=q.shape[:-1] + (v.shape[-1],))


def _head_product(q, k, v) -> int:
    """m n k of the largest matrix product of one head's attention (L S max(E, Ev))."""
    return q.shape[-2] * k.shape[-2] * max(q.shape[-1], v.shape[-1])


def _attention_heads_forward(qs, kt, v, probs, out, is_causal):
    """probs = softmax(qs kt + causal), out = probs v, on a slice of heads (written in place)."""
    np.matmul(qs, kt, out=probs)
    bias = causal_bias(np, probs.shape[-2], probs.shape[-1], probs.dtype) if is_causal else None
    if bias is not None:
        probs += bias
    _softmax_scores(probs, qs, kt, bias)
    np.matmul(probs, v, out=out)


def _softmax_scores(p, qs, kt, bias):
    """p <- softmax(p) along the last axis, in place, where p holds the scores qs kt + bias
    of a slice of heads (..., L, S) (``bias``: (L, S) or None).

    Without the row max: softmax(s) = softmax(s - c) for any c per row, and the max only
    keeps exp from overflowing, so exp(s) is taken directly (as the softmax fast path in
    ops/reduce.py does). The max over rows of 64 scores is a slow NumPy reduction: it and
    its subtraction were 0.21 ms of the 1.05 ms forward of causal (12, 4, 64, 32) heads
    (float32, one thread). The rows ``rows_to_redo`` picks (a score above 88 in float32,
    or every score far below 0) are recomputed from qs and kt and shifted by their own max;
    on the rows kept an entry loses precision only by underflowing, where its probability
    is below 1e-38 / 1e-6 (float32). Other dtypes (float16, whose exp
    overflows at 11 and whose subnormals start at 6e-5) are shifted by the row max."""
    if p.dtype not in _FAST_SOFTMAX_DTYPES:
        p -= finite_max(p, -1)
        np.exp(p, out=p)
        total = row_sums(p)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow, NaN: redone below
            np.exp(p, out=p)
            total = row_sums(p)
            redo = rows_to_redo(total)
        if redo.size:
            _redo_rows_shifted(p, total, redo, qs, kt, bias)
    total[total == 0] = 1  # a row with no key: probs stay 0
    p *= 1 / total


def _redo_rows_shifted(p, total, redo, qs, kt, bias):
    """For ``_softmax_scores``: rows ``redo`` (flat over heads and rows) of p = exp(scores)
    and of their sums ``total``, recomputed from qs and kt with each row's own max."""
    n_rows, n_keys = p.shape[-2:]
    heads, rows = np.divmod(redo, n_rows)
    # p and total are C-contiguous (fresh arrays, or leading-axis slices of them), so
    # these reshapes are views: the rows written below land in p and total
    flat_p, flat_total = p.reshape(-1, n_rows, n_keys), total.reshape(-1, n_rows)
    q_rows = qs.reshape((-1,) + qs.shape[-2:])[heads, rows][:, None, :]  # (n, 1, E)
    scores = np.matmul(q_rows, kt.reshape((-1,) + kt.shape[-2:])[heads])[:, 0]
    if bias is not None:
        scores += bias[rows]
    with np.errstate(invalid="ignore"):  # a row of -inf or NaN: as the max-shift form
        scores -= finite_max(scores, -1)
        np.exp(scores, out=scores)
    flat_p[heads, rows] = scores
    flat_total[heads, rows] = scores.sum(axis=-1)


def _attention_heads_backward(g, probs, vt, k, qs, dq, dk, dv, scale):
    """dv = P^T g, dS = P (g vt - rowsum(g vt P)), dq = s dS k, dk = dS^T qs; a slice of heads."""
    np.matmul(np.swapaxes(probs, -1, -2), g, out=dv)
    d_scores = g @ vt
    d_scores -= np.einsum("...ij,...ij->...i", d_scores, probs)[..., None]
    d_scores *= probs
    np.matmul(d_scores, k, out=dq)
    dq *= scale
    np.matmul(np.swapaxes(d_scores, -1, -2), qs, out=dk)


# Causal attention in blocks of query rows: the queries of rows [r0, r1) see only keys
# [0, r1), so each block multiplies by that prefix of k and v alone and the products above
# the diagonal, all masked to zero, are never computed: with 4 blocks 10/16 of the work of
# the full products (PyTorch's CPU kernel skips them the same way). Each block's
# probabilities are kept as their own row-major array for the backward (the double
# backward recomputes them from q, k, v). Forward and backward, float32, one thread, CPU
# time: see benchmarks/RESULTS.md. The heads are split across threads as above.
CAUSAL_BLOCK_ROWS = 64


def _causal_blocks(q, k, v, mask, dropout_p, is_causal, return_weights):
    """Row blocks ``[(r0, r1), ...]`` when causal attention may skip the masked products
    (square, no other mask, no dropout, no weights returned, NumPy, long enough)."""
    n = q.shape[-2]
    if not is_causal or mask is not None or dropout_p > 0 or return_weights \
            or k.shape[-2] != n or n < 2 * CAUSAL_BLOCK_ROWS or not _heads_apart(q, k, v):
        return None
    count = min(n // CAUSAL_BLOCK_ROWS, 8)
    bounds = [n * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _sdpa_forward_causal_blocks(ctx, q, k, v, qs, kt, v_rows, blocks, scale):
    """The causal forward block by block: S_b = qs_b k[:r1]^T + causal, P_b = softmax(S_b),
    out_b = P_b v[:r1]."""
    n = q.shape[-2]
    out = _like_query(q, v)
    bias = causal_bias(np, n, n, q.dtype)
    block_probs = [np.empty(q.shape[:-2] + (r1 - r0, r1), dtype=q.dtype) for r0, r1 in blocks]

    def forward_heads(qs, kt, v_rows, out, *probs):
        for (r0, r1), p in zip(blocks, probs):
            np.matmul(qs[..., r0:r1, :], kt[..., :, :r1], out=p)
            p += bias[r0:r1, :r1]
            _softmax_scores(p, qs[..., r0:r1, :], kt[..., :, :r1], bias[r0:r1, :r1])
            np.matmul(p, v_rows[..., :r1, :], out=out[..., r0:r1, :])

    _split_heads(forward_heads, qs, kt, v_rows, out, *block_probs,
                 product=_head_product(q, k, v))
    ctx.save_for_backward(q, k, v, None, None, None, qs, v_rows)
    ctx.scale, ctx.is_causal, ctx.blocks, ctx.block_probs = scale, True, blocks, block_probs
    return out


def _sdpa_backward_causal_blocks(ctx, g, k, qs, v, layouts, nq, nk, nv):
    """The causal backward block by block: dv[:r1] += P_b^T g_b, dP_b = g_b v[:r1]^T,
    dS_b = P_b (dP_b - rowsum(dP_b P_b)), dq_b = s dS_b k[:r1], dk[:r1] += dS_b^T qs_b.
    ``layouts``: the q and v given to the forward, whose memory layouts dq and dv take."""
    q_given, v_given = layouts
    dq = np.empty_like(q_given, dtype=g.dtype)
    dk = np.zeros_like(k, dtype=g.dtype)
    dv = np.zeros_like(v_given, dtype=g.dtype)
    vt = np.ascontiguousarray(np.swapaxes(v, -1, -2))

    def backward_heads(g, k, qs, vt, dq, dk, dv, *probs):
        # the arrays of gradients not asked for are split along too, and left unwritten
        for (r0, r1), p in zip(ctx.blocks, probs):
            g_b = g[..., r0:r1, :]
            if nv:
                dv[..., :r1, :] += np.swapaxes(p, -1, -2) @ g_b
            if not (nq or nk):
                continue
            d_scores = g_b @ vt[..., :, :r1]
            d_scores -= np.einsum("...ij,...ij->...i", d_scores, p)[..., None]
            d_scores *= p
            if nq:
                np.matmul(d_scores, k[..., :r1, :], out=dq[..., r0:r1, :])
            if nk:
                dk[..., :r1, :] += np.swapaxes(d_scores, -1, -2) @ qs[..., r0:r1, :]
        dq *= ctx.scale

    _split_heads(backward_heads, g, _blas_rows(np, k), qs, vt, dq, dk, dv, *ctx.block_probs,
                 product=_head_product(qs, k, v))
    return (dq if nq else None, dk if nk else None, dv if nv else None,
            None, None, None, None, None)


# ----------------------------------------------------------------------------- padding


class ConstantPad(Function):
    """y = x surrounded by ``value`` (negative pads crop);  dx = g cropped back to x"""

    @staticmethod
    def forward(ctx, x, pad, value):
        xp = array_module(x)
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, x.shape))
        cropped = x[crop]
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths))
        if any(n < 0 for n in out_shape):
            raise RuntimeError(f"pad: padding {tuple(pad)} would give input of shape "
                               f"{tuple(x.shape)} a negative size {out_shape}")
        ctx.shape, ctx.crop, ctx.grow = x.shape, crop, grow
        return xp.pad(cropped, grow, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        inner = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(ctx.grow))
        dx = xp.zeros(ctx.shape, dtype=g.dtype)
        dx[ctx.crop] = g[inner]
        return dx, None, None


# ----------------------------------------------------------------------------- double backward
# The Tensor versions of the backwards above, run under create_graph=True (see
# autograd/function.py). The fused ops recompute what they need from their saved inputs
# with small Tensor ops, so the backward pass is recorded and can be differentiated again.
def _linear_tensor_backward(ctx, g):
    x, weight = ctx.saved_tensors
    nx, nw, nb = ctx.needs_input_grad
    g2 = g.reshape(-1, g.shape[-1])
    dx = (g2 @ weight).reshape(*ctx.lead, weight.shape[1]) if nx else None
    dw = g2.transpose(0, 1) @ x.reshape(-1, x.shape[-1]) if nw else None
    db = g2.sum(dim=0) if nb else None
    return dx, dw, db


def _rows_back_tensor(grad_rows, shape):
    """``_reshape_rows`` on Tensors: (M, C) rows back to the (N, C, d...) layout."""
    if len(shape) <= 2:
        return grad_rows.reshape(shape)
    moved = grad_rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    order = (0, moved.ndim - 1) + tuple(range(1, moved.ndim - 1))
    return moved.permute(order)


def _row_scale_tensor(ctx, g, valid, dtype):
    if ctx.reduction == "none":
        return g.reshape(-1) * valid.astype(dtype)
    s = g / float(ctx.n_valid) if ctx.reduction == "mean" else g
    return s * valid.astype(dtype)


def _cross_entropy_tensor_backward(ctx, g):
    probs, safe, valid, logits = ctx.saved_tensors
    safe, valid = safe._data, valid._data
    shape = ctx.shape
    if logits.ndim == 1:
        rows = logits.reshape(1, -1)
    elif logits.ndim == 2:
        rows = logits
    else:
        order = (0,) + tuple(range(2, logits.ndim)) + (1,)
        rows = logits.permute(order).reshape(-1, shape[1])
    dtype = probs._data.dtype
    xp = array_module(safe)
    n_classes = rows.shape[1]
    target = xp.zeros((safe.shape[0], n_classes), dtype=dtype)
    target[xp.arange(safe.shape[0]), safe] = 1 - ctx.smoothing
    if ctx.smoothing:
        target += ctx.smoothing / n_classes
    scale = _row_scale_tensor(ctx, g, valid, dtype).reshape(-1, 1)
    grad = (rows.softmax(1) - target) * scale
    return _rows_back_tensor(grad, shape), None, None, None, None


def _nll_tensor_backward(ctx, g):
    safe, valid = (t._data for t in ctx.saved_tensors)
    dtype = g._data.dtype
    xp = array_module(safe)
    picked = xp.zeros(ctx.rows_shape, dtype=dtype)
    picked[xp.arange(ctx.rows_shape[0]), safe] = -1
    grad = _row_scale_tensor(ctx, g, valid, dtype).reshape(-1, 1) * picked
    return _rows_back_tensor(grad, ctx.shape), None, None, None


def _layer_norm_tensor_backward(ctx, g):
    _x_hat, _rstd, weight, x = ctx.saved_tensors
    nx, nw, nb = ctx.needs_input_grad[:3]
    rows, width = _x_hat.shape
    x2 = x.reshape(rows, width)
    centered = x2 - x2.mean(dim=1, keepdim=True)
    rstd = ((centered * centered).mean(dim=1, keepdim=True) + ctx.eps) ** -0.5
    x_hat = centered * rstd
    g2 = g.reshape(rows, width)
    dw = (g2 * x_hat).sum(dim=0).reshape(ctx.norm_shape) if nw else None
    db = g2.sum(dim=0).reshape(ctx.norm_shape) if nb else None
    dx = None
    if nx:
        d = g2 * weight.reshape(-1) if weight is not None else g2
        dx = rstd * (d - d.mean(dim=1, keepdim=True)
                     - x_hat * (d * x_hat).mean(dim=1, keepdim=True))
        dx = dx.reshape(ctx.shape)
    return dx, dw, db, None, None


class GeluDerivative(Function):
    """out = gelu'(x);  dx = g gelu''(x), with (exact) gelu'' = phi(x) (2 - x^2) and (tanh)
    gelu'' = 2 h' + x h'', h = (1 + t) / 2, t = tanh u, u = k (x + c x^3)"""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        xp = array_module(x)
        if approximate == "tanh":
            u_prime = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            return (1 + t) / 2 + x * (1 - t * t) / 2 * u_prime
        return normal_cdf(x) + x * xp.exp(-x * x / 2) * _INV_SQRT_2PI

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        if ctx.approximate == "tanh":
            u_prime = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            u_second = _SQRT_2_OVER_PI * 6 * _GELU_CUBIC * x
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            sech2 = 1 - t * t
            h1 = sech2 / 2 * u_prime
            h2 = (-2 * t * sech2 * u_prime * u_prime + sech2 * u_second) / 2
            return g * (2 * h1 + x * h2), None
        return g * xp.exp(-x * x / 2) * _INV_SQRT_2PI * (2 - x * x), None


def _gelu_tensor_backward(ctx, g):
    x = ctx.saved_tensors[0]
    return g * GeluDerivative.apply(x, ctx.approximate), None


class EmbeddingGrad(Function):
    """out = Embedding's dW (g rows summed per index);  dg = gg[indices], 0 at padding_idx"""

    @staticmethod
    def forward(ctx, g, indices, num, padding_idx):
        ctx.save_for_backward(indices)
        ctx.padding_idx = padding_idx
        return _embedding_backward(indices, g, num, padding_idx)

    @staticmethod
    def backward(ctx, gg):
        (indices,) = ctx.saved_tensors
        out = gg[indices]
        if ctx.padding_idx is not None:
            out = out * (indices != ctx.padding_idx)[..., None]
        return out, None, None, None

    @staticmethod
    def tensor_backward(ctx, gg):
        (indices,) = ctx.saved_tensors
        indices = indices._data
        out = Embedding.apply(gg, indices, None)
        if ctx.padding_idx is not None:
            out = out * (indices != ctx.padding_idx)[..., None]
        return out, None, None, None


def _embedding_tensor_backward(ctx, g):
    (indices,) = ctx.saved_tensors
    return EmbeddingGrad.apply(g, indices._data, ctx.num, ctx.padding_idx), None, None


def _sdpa_tensor_backward(ctx, g, g_weights=None):
    from .reduce import Softmax
    from .shape import MaskedFill

    q, k, v, _probs, drop, mask = ctx.saved_tensors[:6]  # both forwards save these first
    nq, nk, nv, nm = ctx.needs_input_grad[:4]
    scale = float(ctx.scale)
    qs = q * scale
    scores = qs @ k.transpose(-1, -2)
    if ctx.is_causal:
        scores = scores + causal_bias(array_module(q._data), scores.shape[-2],
                                      scores.shape[-1], q._data.dtype)
    if mask is not None:
        if mask._data.dtype == np.bool_:
            full = np.broadcast_shapes(mask.shape, scores.shape)
            scores = MaskedFill.apply(scores.expand(full), ~mask._data, -np.inf)
        else:
            scores = scores + mask
    probs = Softmax.apply(scores, scores.ndim - 1)
    dropped = probs if drop is None else probs * drop._data
    dv = dropped.transpose(-1, -2) @ g if nv else None
    d_probs = g @ v.transpose(-1, -2)
    if g_weights is not None:
        d_probs = d_probs + g_weights
    if drop is not None:
        d_probs = d_probs * drop._data
    d_scores = probs * (d_probs - (d_probs * probs).sum(dim=-1, keepdim=True))
    dq = (d_scores @ k) * scale if nq else None
    dk = d_scores.transpose(-1, -2) @ qs if nk else None
    dm = d_scores if nm else None
    return dq, dk, dv, dm, None, None, None, None


def _constant_pad_tensor_backward(ctx, g):
    from .shape import Index, IndexGrad

    inner = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(ctx.grow))
    return IndexGrad.apply(Index.apply(g, inner), ctx.shape, ctx.crop), None, None


Linear.tensor_backward = staticmethod(_linear_tensor_backward)
CrossEntropy.tensor_backward = staticmethod(_cross_entropy_tensor_backward)
NLLLoss.tensor_backward = staticmethod(_nll_tensor_backward)
LayerNorm.tensor_backward = staticmethod(_layer_norm_tensor_backward)
Gelu.tensor_backward = staticmethod(_gelu_tensor_backward)
Embedding.tensor_backward = staticmethod(_embedding_tensor_backward)
Dropout.tensor_backward = staticmethod(Dropout.backward)
ScaledDotProductAttention.tensor_backward = staticmethod(_sdpa_tensor_backward)
ConstantPad.tensor_backward = staticmethod(_constant_pad_tensor_backward)
