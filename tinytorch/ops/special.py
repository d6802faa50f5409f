"""Special functions on backend arrays: the error function and the standard normal CDF.

NumPy has no ``erf``; these are written with NumPy ufuncs (CuPy ships its own kernel and
is used on the GPU). float64 is accurate to about 1e-16 (the exact GELU is checked against
PyTorch in float64); float32 takes shorter series and a branch-free fit at float32's own
rounding, several times cheaper.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Function, array_module

_INV_SQRT_2 = 1 / math.sqrt(2)

# NumPy has no erf. Two pieces, each accurate to about 1e-16 absolute in float64:
#   |x| < 1:  erf(x) = 2/sqrt(pi) * sum_k (-1)^k x^(2k+1) / (k! (2k+1))   (Taylor, 18 terms)
#   |x| >= 1: erf(x) = 1 - exp(-x^2) * h(1/x), with h(t) = erfc(1/t) exp(1/t^2) smooth on
#             [1/6, 1]; h is a Chebyshev interpolant built at import from math.erfc.
#   |x| >= 6: erf(x) = +-1 to double precision (erfc(6) ~ 2e-17).
# float32 inputs use fewer terms of both series (their truncation error is below 1e-8).

_TAYLOR = np.array([(-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(18)]) \
    * (2 / math.sqrt(math.pi))
_T_LO, _T_HI = 1 / 6, 1.0


def _erfc_scaled_chebyshev(degree: int) -> np.ndarray:
    k = np.arange(degree + 1)
    nodes = np.cos(np.pi * (k + 0.5) / (degree + 1))
    ts = _T_LO + (_T_HI - _T_LO) * (nodes + 1) / 2
    values = [math.erfc(1 / t) * math.exp(1 / t ** 2) for t in ts]
    return np.polynomial.chebyshev.chebfit(nodes, values, degree)


_CHEB = _erfc_scaled_chebyshev(24)
_TERMS = {np.dtype(np.float64): (18, 25), np.dtype(np.float32): (10, 12),
          np.dtype(np.float16): (6, 7)}


def erf(x):
    """The error function of a float array (NumPy or CuPy), elementwise."""
    xp = array_module(x)
    if xp is not np:  # CuPy ships an erf kernel
        return backend.cupy_erf(x)
    n_taylor, n_cheb = _TERMS.get(x.dtype, _TERMS[np.dtype(np.float64)])
    out = np.empty_like(x)
    ax = np.abs(x)
    small = ax < 1
    xs = x[small]
    z = xs * xs
    acc = np.full_like(xs, _TAYLOR[n_taylor - 1])
    for c in _TAYLOR[n_taylor - 2::-1]:
        acc *= z
        acc += c
    out[small] = xs * acc
    big = ~small
    out[big] = np.copysign(1 - _erfc_from_one(ax[big], n_cheb), x[big])
    return out


def _erfc_from_one(a, n_cheb: int = 25):
    """erfc(a) for a >= 1 with relative accuracy (NumPy): exp(-a^2) h(1/a) up to a = 6, and
    beyond it the asymptotic series exp(-a^2) / (a sqrt(pi)) (1 - 1/(2a^2) + 3/(4a^4))
    (values below 2e-17, where only the absolute error matters for erf)."""
    b = np.minimum(a, 6.0)
    # Clenshaw recurrence for the Chebyshev series in u, the image of t = 1/b in [-1, 1]
    u = (2 / b - (_T_LO + _T_HI)) / (_T_HI - _T_LO)
    u2 = 2 * u
    b1 = np.zeros_like(u)
    b2 = np.zeros_like(u)
    for c in _CHEB[n_cheb - 1:0:-1]:
        b1, b2 = u2 * b1 - b2 + c, b1
    h = u * b1 - b2 + _CHEB[0]
    far = a > 6
    if far.any():
        af = a[far]
        inv2 = 1 / (af * af)
        h[far] = (1 - inv2 / 2 + 0.75 * inv2 * inv2) / (af * math.sqrt(math.pi))
    with np.errstate(under="ignore"):
        return np.exp(-a * a) * h


# The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2 in float32 with one smooth fit and
# no branches: erfc(z) = t exp(-z^2 + c(t)) for z >= 0, t = 2 / (2 + z) in (0, 1], where
# c(t) = log(erfc(z) exp(z^2) / t) is smooth; c is a degree-10 Chebyshev fit in 2t - 1
# made at import from math.erfc. Phi(-|x|) then has relative accuracy (no 1 - erf
# cancellation in the left tail) and Phi(x) is within 3e-7 of exact everywhere: float32's
# own rounding, at a fifth of the cost of ``erf`` above. float64 uses ``erf``.


def _erfc_exponent_fit(degree: int = 10, nodes: int = 400) -> np.ndarray:
    u = np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
    t = np.clip((u + 1) / 2, 1e-3, 1.0)
    z = 2 / t - 2
    # erfc(z) exp(z^2), by its asymptotic series where exp(z^2) would overflow
    scaled = [math.erfc(v) * math.exp(v * v) if v < 26 else
              (1 - 1 / (2 * v * v) + 3 / (4 * v ** 4) - 15 / (8 * v ** 6)) / (v * math.sqrt(
                  math.pi)) for v in z]
    values = np.log(np.array(scaled) / t)
    cheb = np.polynomial.chebyshev.chebfit(2 * t - 1, values, degree)
    return np.polynomial.chebyshev.cheb2poly(cheb)[::-1]  # highest power first, for Horner


_ERFC_EXPONENT = _erfc_exponent_fit()


def normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 elementwise (float64 to ~1e-16, float32 to 3e-7)."""
    if x.dtype == np.float64:
        z = x * _INV_SQRT_2
        cdf = erf(z)
        cdf += 1
        cdf *= 0.5
        left = z <= -1  # the left tail from erfc itself: no 1 + erf cancellation
        if array_module(x) is np and left.any():
            cdf[left] = 0.5 * _erfc_from_one(-z[left])
        return cdf
    xp = array_module(x)
    dtype = x.dtype
    x32 = x.astype(np.float32, copy=False)
    z = xp.abs(x32)
    z *= np.float32(_INV_SQRT_2)
    t = z + np.float32(2)
    xp.divide(np.float32(2), t, out=t)
    u = t * np.float32(2)
    u -= np.float32(1)
    acc = xp.full_like(x32, np.float32(_ERFC_EXPONENT[0]))
    for c in _ERFC_EXPONENT[1:]:
        acc *= u
        acc += np.float32(c)
    z *= z
    acc -= z
    xp.exp(acc, out=acc)
    acc *= t
    acc *= np.float32(0.5)  # Phi(-|x|)
    cdf = xp.where(x32 < 0, acc, np.float32(1) - acc)
    return cdf.astype(dtype, copy=False)


class Erf(Function):
    """out = erf(a);  da = g 2 / sqrt(pi) exp(-a^2)   (used by ``gelu_simple``)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        d = array_module(a).exp(-(a * a))
        d *= 2 / math.sqrt(math.pi)
        d *= g
        return d
