"""The ``tinytorch.X`` function forms of the math, reduction and matrix methods (as
``torch.X``), plus the functions that have no method: ``einsum``, ``cdist``, ``result_type``,
``promote_types``, ``can_cast``. Re-exported from ``tinytorch/__init__.py``.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from .creation import _method
from .ops import linalg as L
from .tensor import Tensor

_METHOD_FORMS = (
    "expm1 log1p log2 log10 exp2 reciprocal tan sinh cosh asin acos atan asinh acosh atanh "
    "arcsin arccos arctan arcsinh arccosh arctanh sinc frac floor ceil trunc fix sign sgn "
    "signbit erf erfc erfinv lgamma digamma logit deg2rad rad2deg negative positive absolute "
    "nan_to_num atan2 arctan2 hypot copysign xlogy fmod remainder floor_divide true_divide "
    "divide multiply subtract float_power logaddexp heaviside fmax fmin lerp addcmul addcdiv "
    "clamp_min clamp_max logical_and logical_or logical_xor logical_not bitwise_and "
    "bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift isposinf "
    "isneginf isreal isclose aminmax var_mean std_mean nansum nanmean cumsum cumprod cummax "
    "cummin logcumsumexp diff norm dist renorm mm bmm mv dot vdot inner outer ger addmm addbmm "
    "baddbmm addmv addr matrix_power cross kron tensordot det inverse all any round "
    "bernoulli nelement conj real eq ne lt le gt ge"
).split()

for _name in _METHOD_FORMS:
    globals()[_name] = _method(_name)
del _name

__all__ = _METHOD_FORMS + ["einsum", "cdist", "result_type", "promote_types", "can_cast",
                           "is_floating_point", "is_complex", "is_nonzero", "chain_matmul",
                           "logdet", "slogdet"]


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

