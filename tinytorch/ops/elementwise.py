"""Elementwise ops: arithmetic with broadcasting, unary math, clamp, where.

Backward returns gradients shaped like the (broadcast) output; the engine sums them back
to each input's shape (``sum_to_shape``) and casts them to each input's dtype.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Function, array_module


def promote(out, a, b):
    """Cast ``out`` to PyTorch's result dtype of ``a op b`` where NumPy's rule differs."""
    # the common cases first, cheapest test first: a float array with a Python float
    # (NumPy keeps the array's dtype, as PyTorch does), or two arrays of one dtype
    if b.__class__ is float:
        if a.__class__ is not float and a.dtype.kind == "f":
            return out
    elif a.__class__ is float:
        if b.dtype.kind == "f":
            return out
    elif getattr(a, "dtype", None) is getattr(b, "dtype", 0):
        return out
    want = backend.result_type(a, b).np
    return out if out.dtype == want else out.astype(want)


def as_float(x):
    """Integer and bool arrays become the default float dtype (like torch's true division)."""
    dt = getattr(x, "dtype", None)
    if dt is not None and dt.kind in "biu":
        return x.astype(backend.get_default_dtype().np)
    return x


class Add(Function):
    """out = a + b;  da = g, db = g"""

    @staticmethod
    def forward(ctx, a, b):
        return promote(a + b, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """out = a - b;  da = g, db = -g"""

    @staticmethod
    def forward(ctx, a, b):
        return promote(a - b, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = a * b;  da = g * b, db = g * a"""

    @staticmethod
    def forward(ctx, a, b):
        na, nb = ctx.needs_input_grad
        ctx.save_for_backward(a if nb else None, b if na else None)  # only what backward uses
        return promote(a * b, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * b if na else None), (g * a if nb else None)


class Div(Function):
    """out = a / b;  da = g / b, db = -g * a / b^2"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a = as_float(a) if hasattr(a, "dtype") else a
        b = as_float(b) if hasattr(b, "dtype") else b
        # x / 0 is inf or NaN and x / tiny overflows to inf, silently as in PyTorch
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return promote(a / b, a, b)

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION assignment=3 "Div.backward: da = g / b, db = -g a / b^2"
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (g / b if na else None), (-g * a / (b * b) if nb else None)
        # END SOLUTION


class Pow(Function):
    """out = a ** b;  da = g * b * a^(b-1), db = g * out * log(a)"""

    @staticmethod
    def forward(ctx, a, b):
        out = promote(a ** b, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        da = db = None
        if na:
            if isinstance(b, (int, float)) and b == 2:
                da = g * 2 * a
            else:
                da = g * b * a ** (b - 1)
        if nb:
            xp = array_module(out)
            with np.errstate(divide="ignore", invalid="ignore"):
                loga = xp.log(a) if hasattr(a, "dtype") else math.log(a)
            # 0 ** b with b > 0 has d/db = 0 (PyTorch's convention), not 0 * -inf
            db = g * xp.where(out == 0, 0, out * loga)
        return da, db


class Neg(Function):
    """out = -a;  da = -g"""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Function):
    """out = |a|;  da = g * sign(a)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * array_module(a).sign(a)


class Exp(Function):
    """out = e^a;  da = g * out"""

    @staticmethod
    def forward(ctx, a):
        out = array_module(a).exp(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    """out = ln a;  da = g / a"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION assignment=3 "Log.backward: da = g / a"
        (a,) = ctx.saved_tensors
        return g / a
        # END SOLUTION


class Sqrt(Function):
    """out = sqrt(a);  da = g / (2 out)"""

    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):
            out = array_module(a).sqrt(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (2 * out)


class Sin(Function):
    """out = sin a;  da = g cos a"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        return array_module(a).sin(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * array_module(a).cos(a)


class Cos(Function):
    """out = cos a;  da = -g sin a"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        return array_module(a).cos(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * array_module(a).sin(a)


class Tanh(Function):
    """out = tanh a;  da = g (1 - out^2)"""

    @staticmethod
    def forward(ctx, a):
        out = array_module(a).tanh(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a);  da = g out (1 - out)"""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        a = as_float(a)
        # stable for large |a|: never exponentiates a positive number
        e = xp.exp(-abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Relu(Function):
    """out = max(a, 0);  da = g [a > 0]"""

    @staticmethod
    def forward(ctx, a):
        out = array_module(a).maximum(a, 0).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Clamp(Function):
    """out = min(max(a, lo), hi);  da = g [lo <= a <= hi]"""

    @staticmethod
    def forward(ctx, a, lo, hi):
        xp = array_module(a)
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        out = promote(out, a, lo if lo is not None else hi) if (lo is not None or hi is not None) \
            else out.copy()
        ctx.save_for_backward(a, lo, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        keep = True
        if lo is not None:
            keep = keep & (a >= lo)
        if hi is not None:
            keep = keep & (a <= hi)
        na, nlo, nhi = ctx.needs_input_grad
        glo = g * (a < lo) if nlo else None
        ghi = g * (a > hi) if nhi else None
        return g * keep, glo, ghi


class Maximum(Function):
    """out = max(a, b);  the gradient goes to the larger input, split evenly on ties"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return promote(array_module(a).maximum(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a > b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Minimum(Function):
    """out = min(a, b);  the gradient goes to the smaller input, split evenly on ties"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return promote(array_module(a).minimum(a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a < b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Where(Function):
    """out = cond ? a : b;  da = g [cond], db = g [not cond]"""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return promote(array_module(cond).where(cond, a, b), a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        zero = g.dtype.type(0)
        xp = array_module(g)
        return None, (xp.where(cond, g, zero) if na else None), \
            (xp.where(cond, zero, g) if nb else None)


class Cast(Function):
    """out = a converted to another dtype;  da = g converted back (by the engine)"""

    @staticmethod
    def forward(ctx, a, np_dtype):
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None
