"""Special functions on backend arrays: erf, erfc, erfinv, the normal CDF, lgamma, digamma.

NumPy has no ``erf``; these are written with NumPy ufuncs (CuPy ships its own kernel and
is used on the GPU). float64 is accurate to about 1e-16 (the exact GELU is checked against
PyTorch in float64); float32 takes shorter series and a branch-free fit at float32's own
rounding, several times cheaper.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import array_module
from .elementwise import unary_function

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


# The standard normal CDF in float32, branch-free, with one exp (issue 15):
#   Phi(-s) = t P(t) exp(-s^2 / 2),  s = |x|,  t = 1 / (1 + 0.4 s)  in (0, 1],
# P a degree-7 polynomial fitted at import (weighted least squares against math.erfc, the
# weights asking for 2e-7 absolute and 5e-6 relative error, whichever is smaller), and
# Phi(x) = 1 - Phi(-x) for x >= 0. Measured: within 1.4e-7 of exact everywhere and 6e-6
# relative in the left tail (x in [-8.4, -3]; float32's own rounding of x^2 sets that
# floor). 27 passes over memory and one exp, where the former fit (log erfc scaled, degree
# 10, a second exp) took 34 and two; and exp(-x^2 / 2) is phi(x) sqrt(2 pi), which the
# exact GELU keeps for its backward instead of computing a second exp there.

_TAIL_P = 0.4


def _normal_tail_fit(degree: int = 7, nodes: int = 400, s_max: float = 9.0) -> np.ndarray:
    lo = 1 / (1 + _TAIL_P * s_max)
    t = lo + (1 - lo) * (np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes) + 1) / 2
    s = (1 / t - 1) / _TAIL_P
    tail = np.array([math.erfc(v / math.sqrt(2)) / 2 for v in s])
    gauss = np.exp(-s * s / 2)
    weight = gauss * t / np.minimum(2e-7, 5e-6 * tail)
    fit = np.linalg.lstsq(np.vander(t, degree + 1) * weight[:, None],
                          tail / (gauss * t) * weight, rcond=None)[0]
    return fit.astype(np.float32)  # highest power first, for Horner


_TAIL_FIT = _normal_tail_fit()


def normal_cdf_f32(x, cdf, gauss, t):
    """cdf = Phi(x), gauss = exp(-x^2 / 2) for float32 ``x``; ``t`` is scratch. All four are
    arrays of one shape; ``cdf``, ``gauss`` and ``t`` are written through ``out=``."""
    xp = array_module(x)
    xp.abs(x, out=t)
    t += np.float32(1 / _TAIL_P)
    xp.divide(np.float32(1 / _TAIL_P), t, out=t)  # 1 / (1 + p |x|)
    xp.multiply(t, _TAIL_FIT[0], out=cdf)
    for c in _TAIL_FIT[1:]:
        cdf += c
        cdf *= t
    with np.errstate(over="ignore"):  # |x| > 1e19: x^2 = inf, exp(-inf) = 0, exact
        xp.multiply(x, x, out=gauss)
    gauss *= np.float32(-0.5)
    xp.exp(gauss, out=gauss)
    cdf *= gauss  # Phi(-|x|) <= 1/2
    # Phi(x) = max(Phi(-|x|), [x >= 0] - Phi(-|x|)): the select in three cheap passes
    # (np.copyto(..., where=) took 90 us per 16K floats, this 11 us)
    xp.subtract(x >= 0, cdf, out=t)
    xp.maximum(cdf, t, out=cdf)


def normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2 elementwise (float64 to ~1e-16, float32 to 1.4e-7)."""
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
    x32 = x.astype(np.float32, copy=False)
    cdf, gauss, t = xp.empty_like(x32), xp.empty_like(x32), xp.empty_like(x32)
    normal_cdf_f32(x32, cdf, gauss, t)
    return cdf.astype(x.dtype, copy=False)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf_derivative(xp, a, out):
    d = xp.exp(-(a * a))
    d *= _TWO_OVER_SQRT_PI  # in place: gelu_simple's backward runs this on whole activations
    return d


Erf = unary_function("Erf", "out = erf(a);  da = g 2 / sqrt(pi) exp(-a^2)   (used by "
                     "``gelu_simple``)", lambda xp, a: erf(a), _erf_derivative,
                     float_only=False)

# ----------------------------------------------------------------------------- issue 11b
# erfc, erfinv and the gamma functions (torch.special and the Tensor methods), float64
# inside; on CuPy the kernels of cupyx.scipy.special.


def erfc(x):
    """erfc(x) = 1 - erf(x), with relative accuracy in the right tail."""
    if array_module(x) is not np:
        return backend.cupy_special("erfc")(x)
    a = np.asarray(x, dtype=np.float64)
    out = np.empty_like(a)
    tail = np.abs(a) >= 1
    small = ~tail
    if small.any():
        out[small] = 1 - erf(a[small])
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
            x = x - (erf(x) - a) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
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


# One table row each (``unary_function``, as elementwise.py's unary math): integer input is
# computed on as the default float dtype.
Erfc = unary_function("Erfc", "out = erfc(a);  da = -g 2/sqrt(pi) e^(-a^2)",
                      lambda xp, a: erfc(a),
                      lambda xp, a, out: -_TWO_OVER_SQRT_PI * xp.exp(-a * a))
Erfinv = unary_function("Erfinv", "out = erfinv(a);  da = g sqrt(pi)/2 e^(out^2)",
                        lambda xp, a: erfinv(a),
                        lambda xp, a, out: xp.exp(out * out) / _TWO_OVER_SQRT_PI)
Lgamma = unary_function("Lgamma", "out = ln|Gamma(a)|;  da = g psi(a)",
                        lambda xp, a: lgamma(a), lambda xp, a, out: digamma(a))
Digamma = unary_function("Digamma", "out = psi(a);  da = g psi'(a)",
                         lambda xp, a: digamma(a), lambda xp, a, out: trigamma(a))
