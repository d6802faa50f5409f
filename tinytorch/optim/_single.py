"""Shared pieces of the per-parameter optimizers (Adam, RMSprop, Adagrad, Adadelta, Adamax,
NAdam, RAdam): argument checks, the walk over the parameters to update (and
``PerParameterOptimizer``, whose ``step`` is that walk), the step counter, the gradient an
update follows, and Adam's running moments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer


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


class PerParameterOptimizer(Optimizer):
    """An optimizer that updates each parameter on its own: ``step`` walks the parameters
    that have a gradient (``params_to_update``) and calls the subclass's
    ``_update(param, grad, state, step, group)`` on each, in place on the ``param`` array;
    a parameter's first update makes its buffers with ``_init_state(state, param, group)``,
    by default one of zeros like the parameter for each name in ``zero_buffers``."""

    zero_buffers: tuple[str, ...] = ()

    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            for param, grad, state, step in params_to_update(self, group, self._init_state):
                self._update(param, grad, state, step, group)
        return loss

    def _init_state(self, state: dict, param, group: dict) -> None:
        for name in self.zero_buffers:
            state[name] = zeros_like(param)

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        raise NotImplementedError


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


def update_adam_moments(state: dict, g, beta1: float, beta2: float):
    """Adam's running moments, in place: ``m <- β1 m + (1 - β1) g`` (as the lerp
    ``m + (1 - β1)(g - m)``, PyTorch's) and ``v <- β2 v + (1 - β2) g²``; returns (m, v)."""
    exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    return exp_avg, exp_avg_sq


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
