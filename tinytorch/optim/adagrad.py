"""Adagrad (Duchi, Hazan & Singer 2011)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..tensor import Tensor
from ._single import check_options, params_to_update, step_counter, update_grad
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """For each parameter θ with gradient g (after weight decay / maximize) at step t::

        s <- s + g²
        θ <- θ - lr / (1 + (t - 1) lr_decay) · g / (sqrt(s) + eps)

    State ``step`` and ``sum`` (starting at ``initial_accumulator_value``) exist from
    construction, as in PyTorch; a group added later gets its state at its first step.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        lr = check_options("Adagrad", lr, eps, weight_decay, differentiable=differentiable,
                           lr_decay=(lr_decay, 0.0, float("inf")),
                           initial_accumulator_value=(initial_accumulator_value, 0.0,
                                                      float("inf")))
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)
        # PyTorch fills every sum with the constructor's value, whatever a group says
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_counter()
                _init_sum(state, p._data, initial_accumulator_value)

    def step(self, closure: Callable[[], Any] | None = None):
        """One Adagrad update of every parameter that has a gradient."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            # a group added later starts its state here, from its own initial value
            for param, grad, state, step in params_to_update(self, group, _init_state):
                xp = backend.get_array_module(param)
                g = update_grad(param, grad, group["weight_decay"], group["maximize"])
                clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                total = state["sum"]._data
                total += g * g
                param -= clr * (g / (xp.sqrt(total) + group["eps"]))
        return loss


def _init_sum(state: dict, param, initial_value: float) -> None:
    xp = backend.get_array_module(param)
    state["sum"] = Tensor._make(xp.full(param.shape, initial_value, dtype=param.dtype))


def _init_state(state: dict, param, group: dict) -> None:
    _init_sum(state, param, group["initial_accumulator_value"])
