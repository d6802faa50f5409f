"""Shared pieces of the per-parameter optimizers (Adam, RMSprop, Adagrad, Adadelta, Adamax,
NAdam, RAdam): argument checks, the walk over the parameters to update, the step counter, and
the gradient an update follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


def check_options(name: str, lr, eps=0.0, weight_decay=0.0, betas=None, differentiable=False,
                  **others) -> float:
    """PyTorch's ``Invalid ... value`` checks; returns ``lr`` as a float."""
    if isinstance(lr, Tensor):
        lr = lr.item()
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    for key, (value, low, high) in others.items():
        if not low <= value <= high:
            raise ValueError(f"Invalid {key} value: {value}")
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True (gradients through the "
                                  f"optimizer step) is not supported by tinytorch")
    return float(lr)


def params_to_update(optimizer, group: dict, init_state: Callable[[dict, Any, dict], None]):
    """The parameters of ``group`` that have a gradient, each counted one step on.

    Yields ``(param, grad, state, step)`` for every parameter of the group whose ``.grad`` is
    set (the others are skipped): ``param`` is the parameter's array, which the caller
    updates in place, ``grad`` the gradient's array, ``state`` the optimizer's state dict of
    that parameter and ``step`` its new step count (``state['step']``, counted up first). A
    parameter's first update makes its state: a ``step`` counter at 0, then
    ``init_state(state, param, group)`` adds the optimizer's own buffers.
    """
    for p in group["params"]:
        grad = optimizer._grad_of(p)
        if grad is None:
            continue
        state = optimizer.state[p]
        if not state:
            state["step"] = step_counter()
            init_state(state, p._data, group)
        yield p._data, grad, state, advance(state)


def step_counter() -> Tensor:
    """A new ``step`` state entry: a float32 scalar on the host, as PyTorch keeps it."""
    return Tensor._make(np.zeros((), dtype=np.float32))


def advance(state: dict) -> float:
    """Count one more step in ``state['step']`` and return the new count."""
    step_t = state["step"]
    if not isinstance(step_t, Tensor):  # a state dict written with a plain number
        step_t = state["step"] = Tensor._make(np.array(step_t, dtype=np.float32))
    step_t._data += 1
    return float(step_t._data)


def zeros_like(param) -> Tensor:
    """A new state buffer: a tensor of zeros with the shape, dtype and device of ``param``."""
    xp = backend.get_array_module(param)
    return Tensor._make(xp.zeros(param.shape, dtype=param.dtype))


def update_grad(param, grad, weight_decay: float, maximize: bool):
    """The gradient the update follows: ``±grad + weight_decay * param`` (a new array)."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    return g


def decayed_grad(param, grad, group: dict):
    """``update_grad`` with the group's weight decay, decoupled (AdamW-style) where the group
    says ``decoupled_weight_decay``: then ``θ <- θ (1 - lr λ)`` in place on ``param`` and the
    gradient is ``±grad``; otherwise it is ``±grad + λ θ`` (the L2 penalty)."""
    wd = group["weight_decay"]
    if wd != 0 and group["decoupled_weight_decay"]:
        param *= 1 - group["lr"] * wd
        wd = 0.0
    return update_grad(param, grad, wd, group["maximize"])
