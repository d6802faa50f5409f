"""The ``tinytorch.X`` function forms of the math, reduction and matrix methods (as
``torch.X``), plus the functions that have no method: ``einsum``, ``cdist``, ``result_type``,
``promote_types``, ``can_cast``. Re-exported from ``tinytorch/__init__.py``.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from .ops import linalg as L
from .tensor import Tensor

# ----------------------------------------------------------------------------- method forms
# ``tinytorch.name(input, ...)`` is ``input.name(...)``; the math lives with the method's
# Function (tinytorch/ops/__init__.py indexes them).


def expm1(input) -> Tensor:
    """``input.expm1()``."""
    return input.expm1()


def log1p(input) -> Tensor:
    """``input.log1p()``."""
    return input.log1p()


def log2(input) -> Tensor:
    """``input.log2()``."""
    return input.log2()


def log10(input) -> Tensor:
    """``input.log10()``."""
    return input.log10()


def exp2(input) -> Tensor:
    """``input.exp2()``."""
    return input.exp2()


def reciprocal(input) -> Tensor:
    """``input.reciprocal()``."""
    return input.reciprocal()


def tan(input) -> Tensor:
    """``input.tan()``."""
    return input.tan()


def sinh(input) -> Tensor:
    """``input.sinh()``."""
    return input.sinh()


def cosh(input) -> Tensor:
    """``input.cosh()``."""
    return input.cosh()


def asin(input) -> Tensor:
    """``input.asin()``."""
    return input.asin()


def acos(input) -> Tensor:
    """``input.acos()``."""
    return input.acos()


def atan(input) -> Tensor:
    """``input.atan()``."""
    return input.atan()


def asinh(input) -> Tensor:
    """``input.asinh()``."""
    return input.asinh()


def acosh(input) -> Tensor:
    """``input.acosh()``."""
    return input.acosh()


def atanh(input) -> Tensor:
    """``input.atanh()``."""
    return input.atanh()


def arcsin(input) -> Tensor:
    """``input.arcsin()``."""
    return input.arcsin()


def arccos(input) -> Tensor:
    """``input.arccos()``."""
    return input.arccos()


def arctan(input) -> Tensor:
    """``input.arctan()``."""
    return input.arctan()


def arcsinh(input) -> Tensor:
    """``input.arcsinh()``."""
    return input.arcsinh()


def arccosh(input) -> Tensor:
    """``input.arccosh()``."""
    return input.arccosh()


def arctanh(input) -> Tensor:
    """``input.arctanh()``."""
    return input.arctanh()


def sinc(input) -> Tensor:
    """``input.sinc()``."""
    return input.sinc()


def frac(input) -> Tensor:
    """``input.frac()``."""
    return input.frac()


def floor(input) -> Tensor:
    """``input.floor()``."""
    return input.floor()


def ceil(input) -> Tensor:
    """``input.ceil()``."""
    return input.ceil()


def trunc(input) -> Tensor:
    """``input.trunc()``."""
    return input.trunc()


def fix(input) -> Tensor:
    """``input.fix()``."""
    return input.fix()


def sgn(input) -> Tensor:
    """``input.sgn()``."""
    return input.sgn()


def signbit(input) -> Tensor:
    """``input.signbit()``."""
    return input.signbit()


def erf(input) -> Tensor:
    """``input.erf()``."""
    return input.erf()


def erfc(input) -> Tensor:
    """``input.erfc()``."""
    return input.erfc()


def erfinv(input) -> Tensor:
    """``input.erfinv()``."""
    return input.erfinv()


def lgamma(input) -> Tensor:
    """``input.lgamma()``."""
    return input.lgamma()


def digamma(input) -> Tensor:
    """``input.digamma()``."""
    return input.digamma()


def deg2rad(input) -> Tensor:
    """``input.deg2rad()``."""
    return input.deg2rad()


def rad2deg(input) -> Tensor:
    """``input.rad2deg()``."""
    return input.rad2deg()


def negative(input) -> Tensor:
    """``input.negative()``."""
    return input.negative()


def positive(input) -> Tensor:
    """``input.positive()``."""
    return input.positive()


def absolute(input) -> Tensor:
    """``input.absolute()``."""
    return input.absolute()


def isposinf(input) -> Tensor:
    """``input.isposinf()``."""
    return input.isposinf()


def isneginf(input) -> Tensor:
    """``input.isneginf()``."""
    return input.isneginf()


def isreal(input) -> Tensor:
    """``input.isreal()``."""
    return input.isreal()


def logical_not(input) -> Tensor:
    """``input.logical_not()``."""
    return input.logical_not()


def bitwise_not(input) -> Tensor:
    """``input.bitwise_not()``."""
    return input.bitwise_not()


def det(input) -> Tensor:
    """``input.det()``."""
    return input.det()


def inverse(input) -> Tensor:
    """``input.inverse()``."""
    return input.inverse()


def conj(input) -> Tensor:
    """``input.conj()``."""
    return input.conj()


def atan2(input, other) -> Tensor:
    """``input.atan2(other)``."""
    return input.atan2(other)


def arctan2(input, other) -> Tensor:
    """``input.arctan2(other)``."""
    return input.arctan2(other)


def hypot(input, other) -> Tensor:
    """``input.hypot(other)``."""
    return input.hypot(other)


def copysign(input, other) -> Tensor:
    """``input.copysign(other)``."""
    return input.copysign(other)


def xlogy(input, other) -> Tensor:
    """``input.xlogy(other)``."""
    return input.xlogy(other)


def fmod(input, other) -> Tensor:
    """``input.fmod(other)``."""
    return input.fmod(other)


def remainder(input, other) -> Tensor:
    """``input.remainder(other)``."""
    return input.remainder(other)


def floor_divide(input, other) -> Tensor:
    """``input.floor_divide(other)``."""
    return input.floor_divide(other)


def true_divide(input, other) -> Tensor:
    """``input.true_divide(other)``."""
    return input.true_divide(other)


def multiply(input, other) -> Tensor:
    """``input.multiply(other)``."""
    return input.multiply(other)


def float_power(input, other) -> Tensor:
    """``input.float_power(other)``."""
    return input.float_power(other)


def logaddexp(input, other) -> Tensor:
    """``input.logaddexp(other)``."""
    return input.logaddexp(other)


def heaviside(input, other) -> Tensor:
    """``input.heaviside(other)``."""
    return input.heaviside(other)


def fmax(input, other) -> Tensor:
    """``input.fmax(other)``."""
    return input.fmax(other)


def fmin(input, other) -> Tensor:
    """``input.fmin(other)``."""
    return input.fmin(other)


def logical_and(input, other) -> Tensor:
    """``input.logical_and(other)``."""
    return input.logical_and(other)


def logical_or(input, other) -> Tensor:
    """``input.logical_or(other)``."""
    return input.logical_or(other)


def logical_xor(input, other) -> Tensor:
    """``input.logical_xor(other)``."""
    return input.logical_xor(other)


def bitwise_and(input, other) -> Tensor:
    """``input.bitwise_and(other)``."""
    return input.bitwise_and(other)


def bitwise_or(input, other) -> Tensor:
    """``input.bitwise_or(other)``."""
    return input.bitwise_or(other)


def bitwise_xor(input, other) -> Tensor:
    """``input.bitwise_xor(other)``."""
    return input.bitwise_xor(other)


def bitwise_left_shift(input, other) -> Tensor:
    """``input.bitwise_left_shift(other)``."""
    return input.bitwise_left_shift(other)


def bitwise_right_shift(input, other) -> Tensor:
    """``input.bitwise_right_shift(other)``."""
    return input.bitwise_right_shift(other)


def mm(input, other) -> Tensor:
    """``input.mm(other)``."""
    return input.mm(other)


def bmm(input, other) -> Tensor:
    """``input.bmm(other)``."""
    return input.bmm(other)


def mv(input, other) -> Tensor:
    """``input.mv(other)``."""
    return input.mv(other)


def dot(input, other) -> Tensor:
    """``input.dot(other)``."""
    return input.dot(other)


def vdot(input, other) -> Tensor:
    """``input.vdot(other)``."""
    return input.vdot(other)


def inner(input, other) -> Tensor:
    """``input.inner(other)``."""
    return input.inner(other)


def outer(input, other) -> Tensor:
    """``input.outer(other)``."""
    return input.outer(other)


def ger(input, other) -> Tensor:
    """``input.ger(other)``."""
    return input.ger(other)


def kron(input, other) -> Tensor:
    """``input.kron(other)``."""
    return input.kron(other)


def eq(input, other) -> Tensor:
    """``input.eq(other)``."""
    return input.eq(other)


def ne(input, other) -> Tensor:
    """``input.ne(other)``."""
    return input.ne(other)


def lt(input, other) -> Tensor:
    """``input.lt(other)``."""
    return input.lt(other)


def le(input, other) -> Tensor:
    """``input.le(other)``."""
    return input.le(other)


def gt(input, other) -> Tensor:
    """``input.gt(other)``."""
    return input.gt(other)


def ge(input, other) -> Tensor:
    """``input.ge(other)``."""
    return input.ge(other)


def logit(input, eps=None) -> Tensor:
    """``input.logit(eps)``."""
    return input.logit(eps)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """``input.nan_to_num(nan, posinf, neginf)``."""
    return input.nan_to_num(nan, posinf, neginf)


def divide(input, other, *, rounding_mode=None) -> Tensor:
    """``input.divide(other, rounding_mode=rounding_mode)``."""
    return input.divide(other, rounding_mode=rounding_mode)


def subtract(input, other, *, alpha=1) -> Tensor:
    """``input.subtract(other, alpha)``."""
    return input.subtract(other, alpha)


def lerp(input, end, weight) -> Tensor:
    """``input.lerp(end, weight)``."""
    return input.lerp(end, weight)


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input.addcmul(tensor1, tensor2, value=value)``."""
    return input.addcmul(tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input.addcdiv(tensor1, tensor2, value=value)``."""
    return input.addcdiv(tensor1, tensor2, value=value)


def clamp_min(input, min) -> Tensor:  # noqa: A002
    """``input.clamp_min(min)``."""
    return input.clamp_min(min)


def clamp_max(input, max) -> Tensor:  # noqa: A002
    """``input.clamp_max(max)``."""
    return input.clamp_max(max)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """``input.isclose(other, rtol, atol, equal_nan)``."""
    return input.isclose(other, rtol, atol, equal_nan)


def aminmax(input, *, dim=None, keepdim=False) -> Tensor:
    """``input.aminmax(dim=dim, keepdim=keepdim)``."""
    return input.aminmax(dim=dim, keepdim=keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """``input.var_mean(dim, unbiased, keepdim, correction=correction)``."""
    return input.var_mean(dim, unbiased, keepdim, correction=correction)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """``input.std_mean(dim, unbiased, keepdim, correction=correction)``."""
    return input.std_mean(dim, unbiased, keepdim, correction=correction)


def nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``input.nansum(dim, keepdim, dtype=dtype)``."""
    return input.nansum(dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``input.nanmean(dim, keepdim, dtype=dtype)``."""
    return input.nanmean(dim, keepdim, dtype=dtype)


def cumprod(input, dim, *, dtype=None) -> Tensor:
    """``input.cumprod(dim, dtype=dtype)``."""
    return input.cumprod(dim, dtype=dtype)


def cummax(input, dim) -> Tensor:
    """``input.cummax(dim)``."""
    return input.cummax(dim)


def cummin(input, dim) -> Tensor:
    """``input.cummin(dim)``."""
    return input.cummin(dim)


def logcumsumexp(input, dim) -> Tensor:
    """``input.logcumsumexp(dim)``."""
    return input.logcumsumexp(dim)


def diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor:
    """``input.diff(n, dim, prepend, append)``."""
    return input.diff(n, dim, prepend, append)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """``input.norm(p, dim, keepdim, dtype)``."""
    return input.norm(p, dim, keepdim, dtype)


def dist(input, other, p=2) -> Tensor:
    """``input.dist(other, p)``."""
    return input.dist(other, p)


def renorm(input, p, dim, maxnorm) -> Tensor:
    """``input.renorm(p, dim, maxnorm)``."""
    return input.renorm(p, dim, maxnorm)


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``input.addmm(mat1, mat2, beta=beta, alpha=alpha)``."""
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``input.addbmm(batch1, batch2, beta=beta, alpha=alpha)``."""
    return input.addbmm(batch1, batch2, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)``."""
    return input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """``input.addmv(mat, vec, beta=beta, alpha=alpha)``."""
    return input.addmv(mat, vec, beta=beta, alpha=alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """``input.addr(vec1, vec2, beta=beta, alpha=alpha)``."""
    return input.addr(vec1, vec2, beta=beta, alpha=alpha)


def matrix_power(input, n) -> Tensor:
    """``input.matrix_power(n)``."""
    return input.matrix_power(n)


def cross(input, other, dim=None) -> Tensor:
    """``input.cross(other, dim)``."""
    return input.cross(other, dim)


def tensordot(a, b, dims=2) -> Tensor:
    """``a.tensordot(b, dims)``."""
    return a.tensordot(b, dims)


def round(input, *, decimals=0) -> Tensor:  # noqa: A001
    """``input.round(decimals)``."""
    return input.round(decimals)


def all(input, dim=None, keepdim=False) -> Tensor:  # noqa: A001
    """``input.all(dim, keepdim)``."""
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False) -> Tensor:  # noqa: A001
    """``input.any(dim, keepdim)``."""
    return input.any(dim, keepdim)


# ----------------------------------------------------------------------------- no method form


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products over the labelled dimensions of ``equation`` (``'ij,jk->ik'``);
    operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, got "
                            f"{type(op).__name__}")
    return L.Einsum.apply(equation, *operands)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """The p-norm distance between each row of ``x1`` (…, P, M) and each row of ``x2``
    (…, R, M): shape (…, P, R)."""
    from .linalg import vector_norm

    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, "
                           f"X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    if p == 2 and (x1.shape[-2] > 25 or x2.shape[-2] > 25):
        return L.EuclideanCdist.apply(x1, x2)  # PyTorch's matrix-product path, same rule
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


def result_type(tensor1, tensor2) -> backend.dtype:
    """The dtype PyTorch's promotion gives ``tensor1 op tensor2`` (tensors or numbers)."""
    return backend.result_type(*(t._data if isinstance(t, Tensor) else t
                                 for t in (tensor1, tensor2)))


def promote_types(type1, type2) -> backend.dtype:
    return backend.promote_types(type1, type2)


def can_cast(from_, to) -> builtins.bool:
    return backend.can_cast(from_, to)


def is_floating_point(input: Tensor) -> builtins.bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> builtins.bool:
    return input.is_complex()


def is_nonzero(input: Tensor) -> builtins.bool:
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {input.numel()} values is "
                           f"ambiguous" if input.numel() else
                           "Boolean value of Tensor with no values is ambiguous")
    return builtins.bool(input)


def chain_matmul(*matrices) -> Tensor:
    from .linalg import multi_dot

    return multi_dot(matrices)


def logdet(input: Tensor) -> Tensor:
    """ln det A (nan when det A < 0, -inf when 0)."""
    from .linalg import slogdet as _slogdet

    sign, logabs = _slogdet(input)
    xp = input._xp
    return logabs + Tensor._make(xp.where(sign._data < 0, np.nan, 0.0).astype(
        logabs._data.dtype))


def slogdet(input: Tensor):
    from .linalg import slogdet as _slogdet

    return _slogdet(input)

