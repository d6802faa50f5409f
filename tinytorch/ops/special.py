"""Special functions NumPy lacks: erf, erfc, erfinv, lgamma, digamma, trigamma; and their
differentiable Functions.

Accuracy: float64 to about 1e-15 (erf's pieces are described in ``ops/nn.py``, which owns
the erf kernel that exact GELU uses); float32 inputs are computed in float64 and rounded.
On CuPy the kernels of ``cupyx.scipy.special`` are used.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Function, array_module
from .elementwise import as_float
from .nn import _erfc_from_one
from .nn import erf as _erf_kernel

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def erf(x):
    """erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt, elementwise."""
    if array_module(x) is not np:
        return backend.cupy_special("erf")(x)
    # the kernel sums fewer terms for float32 (its truncation error is below float32's)
    return _erf_kernel(x if x.dtype in (np.float32, np.float64) else x.astype(np.float64))


def erfc(x):
    """erfc(x) = 1 - erf(x), with relative accuracy in the right tail."""
    if array_module(x) is not np:
        return backend.cupy_special("erfc")(x)
    a = np.asarray(x, dtype=np.float64)
    out = np.empty_like(a)
    tail = np.abs(a) >= 1
    small = ~tail
    if small.any():
        out[small] = 1 - _erf_kernel(a[small])
    if tail.any():
        t = _erfc_from_one(np.abs(a[tail]))
        out[tail] = np.where(a[tail] > 0, t, 2 - t)
    return out.astype(x.dtype, copy=False)


def erfinv(y):
    """The inverse of erf on (-1, 1) (+-inf at +-1, nan outside): Giles' single-precision
    approximation refined by two Newton steps on the accurate erf."""
    if array_module(y) is not np:
        return backend.cupy_special("erfinv")(y)
    a = y.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - a) * (1 + a))
        central = w < 5
        wc = np.where(central, w - 2.5, np.sqrt(w) - 3)
        pc = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                         0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                         1.50140941], wc)
        pt = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                         0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                         2.83297682], wc)
        x = np.where(central, pc, pt) * a
        for _ in range(2):
            x = x - (_erf_kernel(x) - a) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
        x = np.where(np.abs(a) == 1, np.copysign(np.inf, a), x)
        x = np.where(np.abs(a) > 1, np.nan, x)
    return x.astype(y.dtype, copy=False)


def _shift_up(x, terms):
    """Move x to x + n >= 6 (n whole), collecting ``terms(x + k)`` for k < n (recurrences)."""
    acc = np.zeros_like(x)
    x = x.copy()
    low = x < 6
    while low.any():
        acc[low] += terms(x[low])
        x[low] += 1
        low = x < 6
    return x, acc


def digamma(x):
    """psi(x) = d/dx ln Gamma(x): recurrence to x >= 6, then the asymptotic series;
    reflection for x < 0.5; poles (0, -1, ...) give nan, as PyTorch gives -inf at 0."""
    if array_module(x) is not np:
        return backend.cupy_special("digamma")(x)
    a = x.astype(np.float64)
    out = np.empty_like(a)
    neg = a < 0.5
    pos = ~neg
    with np.errstate(divide="ignore", invalid="ignore"):
        z, acc = _shift_up(a[pos], lambda v: -1 / v)
        inv2 = 1 / (z * z)
        series = np.log(z) - 0.5 / z - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (
            1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
        out[pos] = series + acc
        if neg.any():
            v = a[neg]
            out[neg] = digamma(1 - v) - math.pi / np.tan(math.pi * v)
            out[neg & (a == np.floor(a))] = np.nan
        out[a == 0] = -np.inf
    return out.astype(x.dtype, copy=False)


def trigamma(x):
    """psi'(x): recurrence to x >= 6 then the asymptotic series; reflection for x < 0.5."""
    if array_module(x) is not np:
        return backend.cupy_special("polygamma")(1, x)
    a = x.astype(np.float64)
    out = np.empty_like(a)
    neg = a < 0.5
    pos = ~neg
    with np.errstate(divide="ignore", invalid="ignore"):
        z, acc = _shift_up(a[pos], lambda v: 1 / (v * v))
        inv = 1 / z
        inv2 = inv * inv
        series = inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (
            1 / 42 - inv2 / 30)))
        out[pos] = series + acc
        if neg.any():
            v = a[neg]
            out[neg] = -trigamma(1 - v) + (math.pi / np.sin(math.pi * v)) ** 2
    return out.astype(x.dtype, copy=False)


def _lgamma_stirling(z):
    """ln Gamma(z) for z > 0: Stirling's series at z + n >= 10, less ln z (z+1) ... (z+n-1)
    (absolute error about 1e-15)."""
    shift = np.maximum(0.0, np.ceil(10.0 - z))
    big = z + shift
    product = np.ones_like(z)
    for k in range(int(shift.max(initial=0))):
        product *= np.where(k < shift, z + k, 1.0)
    inv = 1 / big
    inv2 = inv * inv
    series = (big - 0.5) * np.log(big) - big + 0.5 * math.log(2 * math.pi) + inv * (
        1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))))
    return series - np.log(product)


def lgamma(x):
    """ln |Gamma(x)|, elementwise (+inf at the poles 0, -1, -2, ...)."""
    if array_module(x) is not np:
        return backend.cupy_special("gammaln")(x)
    a = np.asarray(x, dtype=np.float64)
    out = np.empty_like(a)
    big = a >= 0.5
    out[big] = _lgamma_stirling(a[big])
    small = ~big
    if small.any():
        v = a[small]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[small] = np.log(math.pi / np.abs(np.sin(math.pi * v))) - \
                _lgamma_stirling(1 - v)
        out[small & (a == np.floor(a))] = np.inf
    return out.astype(x.dtype, copy=False)


class Erf(Function):
    """out = erf(a);  da = g 2/sqrt(pi) e^(-a^2)"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        return erf(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * _TWO_OVER_SQRT_PI * array_module(a).exp(-a * a)


class Erfc(Function):
    """out = erfc(a);  da = -g 2/sqrt(pi) e^(-a^2)"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        return erfc(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * _TWO_OVER_SQRT_PI * array_module(a).exp(-a * a)


class Erfinv(Function):
    """out = erfinv(a);  da = g sqrt(pi)/2 e^(out^2)"""

    @staticmethod
    def forward(ctx, a):
        out = erfinv(as_float(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / _TWO_OVER_SQRT_PI * array_module(out).exp(out * out)


class Lgamma(Function):
    """out = ln|Gamma(a)|;  da = g psi(a)"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        return lgamma(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * digamma(a)


class Digamma(Function):
    """out = psi(a);  da = g psi'(a)"""

    @staticmethod
    def forward(ctx, a):
        a = as_float(a)
        ctx.save_for_backward(a)
        return digamma(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * trigamma(a)
