"""``tinytorch.special``: erf and its family, expit/logit, xlogy, gamma functions, softmax
(as ``torch.special``). The numerics live in ``ops/special.py``."""

from __future__ import annotations

import math

from .ops import elementwise as E
from .ops import special as SP
from .tensor import Tensor, _operand

__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "xlogy", "xlog1py", "log_softmax",
           "softmax", "gammaln", "digamma", "psi", "ndtr", "log_ndtr", "log1p", "expm1",
           "exp2", "sinc", "entr", "round", "logsumexp", "i0"]


def erf(input: Tensor) -> Tensor:
    return SP.Erf.apply(input)


def erfc(input: Tensor) -> Tensor:
    return SP.Erfc.apply(input)


def erfinv(input: Tensor) -> Tensor:
    return SP.Erfinv.apply(input)


def expit(input: Tensor) -> Tensor:
    """1 / (1 + e^-x), the logistic sigmoid."""
    return input.sigmoid()


def logit(input: Tensor, eps=None) -> Tensor:
    return input.logit(eps)


def xlogy(input, other) -> Tensor:
    """x ln y, 0 where x = 0."""
    if not isinstance(input, Tensor):
        return E.Xlogy.apply(_operand(input, other), other)
    return input.xlogy(other)


def xlog1py(input, other) -> Tensor:
    """x ln(1 + y), 0 where x = 0."""
    if not isinstance(other, Tensor):
        return xlogy(input, 1 + other)
    return xlogy(input, other + 1)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    x = input.to(dtype) if dtype is not None else input
    return x.log_softmax(dim)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    x = input.to(dtype) if dtype is not None else input
    return x.softmax(dim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return input.logsumexp(dim, keepdim)


def gammaln(input: Tensor) -> Tensor:
    """ln |Gamma(x)|."""
    return SP.Lgamma.apply(input)


def digamma(input: Tensor) -> Tensor:
    """psi(x) = d/dx ln Gamma(x)."""
    return SP.Digamma.apply(input)


psi = digamma


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2."""
    return SP.Erfc.apply(input * (-1 / math.sqrt(2))) * 0.5


def log_ndtr(input: Tensor) -> Tensor:
    return ndtr(input).log()


def log1p(input: Tensor) -> Tensor:
    return input.log1p()


def expm1(input: Tensor) -> Tensor:
    return input.expm1()


def exp2(input: Tensor) -> Tensor:
    return input.exp2()


def sinc(input: Tensor) -> Tensor:
    return input.sinc()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    return input.round(decimals)


def entr(input: Tensor) -> Tensor:
    """-x ln x elementwise: 0 at 0, -inf for x < 0."""
    from .creation import where

    inner = -E.Xlogy.apply(input, input)
    return where(input < 0, float("-inf"), inner)


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0 (not differentiable here)."""
    return Tensor._make(input._xp.i0(input._data.astype(input._data.dtype
                                                       if input._data.dtype.kind == "f"
                                                       else "float32")))
