"""``tinytorch.nn.init``: in-place weight initialisers with PyTorch's formulas.

Every draw comes from the global generator, so ``tinytorch.manual_seed`` makes them
repeatable. Fan-in and fan-out follow PyTorch: for a weight of shape (out, in, *k),
fan_in = in * prod(k) and fan_out = out * prod(k).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from .. import random as _random
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "zeros_", "ones_", "constant_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "trunc_normal_"]


def _fill(tensor: Tensor, values) -> Tensor:
    """Write host values into the tensor's array in place (outside autograd)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init expects a Tensor, got {type(tensor).__name__}")
    arr = np.asarray(values, dtype=tensor._data.dtype)
    tensor._data[...] = backend.move(arr, tensor.device)
    return tensor


def _shape(tensor: Tensor) -> tuple:
    return tuple(tensor.shape)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than "
                         f"2 dimensions (got shape {shape})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b) (PyTorch's numbers for a seed)."""
    values = _random.uniform(generator, tensor.numel(), tensor._data.dtype, a, b)
    return _fill(tensor, values.reshape(_shape(tensor)))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) (PyTorch's numbers for a seed)."""
    values = _random.normal(generator, tensor.numel(), tensor._data.dtype, mean, std)
    return _fill(tensor, values.reshape(_shape(tensor)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) conditioned on [a, b] by rejection, as PyTorch 2.13: when
    [a, b] holds more than 0.3 of the mass, redraw whole tensors of normals and keep them
    where the values so far fall outside; else propose U(a, b) and accept where
    log u < log of the density relative to its peak on [a, b]."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)

    def cdf(z):
        return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0

    dt, n = tensor._data.dtype, tensor.numel()

    def draw_normal():
        return _random.normal(generator, n, dt, mean, std).astype(dt)

    def draw_uniform(lo=0.0, hi=1.0):
        return _random.uniform(generator, n, dt, lo, hi).astype(dt)

    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        lo, hi = dt.type(a), dt.type(b)
        out = draw_normal()
        outside = (out < lo) | (out > hi)
        while outside.any():
            out = np.where(outside, draw_normal(), out)
            outside = (out < lo) | (out > hi)
    else:
        mode = max(a, min(mean, b))
        log_peak = dt.type(-0.5 * ((mode - mean) / std) ** 2)

        def log_density(c):  # -((c - mean) / std)^2 / 2 - log_peak, op by op in the dtype
            z = (c - dt.type(mean)) / dt.type(std)
            return (z * z) * dt.type(-0.5) - log_peak

        def rejected(c):
            with np.errstate(divide="ignore"):
                return np.log(draw_uniform()) > log_density(c)

        out = draw_uniform(a, b)
        pending = rejected(out)
        while pending.any():
            candidates = draw_uniform(a, b)
            out = np.where(pending, candidates, out)
            pending = pending & rejected(candidates)
    return _fill(tensor, out.reshape(_shape(tensor)))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, np.full(_shape(tensor), val))


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {_shape(tensor)}")
    return _fill(tensor, np.eye(*_shape(tensor)))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    # as sqrt(3) * std, PyTorch's rounding
    bound = math.sqrt(3.0) * (gain * math.sqrt(2.0 / float(fan_in + fan_out)))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al.)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor  # PyTorch warns and leaves a zero-element tensor alone
    # as sqrt(3) * (gain / sqrt(fan)), PyTorch's rounding
    bound = math.sqrt(3.0) * (calculate_gain(nonlinearity, a) / math.sqrt(fan))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)
