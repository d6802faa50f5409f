"""Adagrad (Duchi, Hazan & Singer 2011)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import backend
from ..tensor import Tensor
from ._single import PerParameterOptimizer, check_options, step_counter, update_grad

__all__ = ["Adagrad"]


class Adagrad(PerParameterOptimizer):
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

    def _init_state(self, state: dict, param, group: dict) -> None:
        # a group added later starts its state at its first step, from its own initial value
        _init_sum(state, param, group["initial_accumulator_value"])

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        """One Adagrad update of ``param`` (in place)."""
        xp = backend.get_array_module(param)
        g = update_grad(param, grad, group["weight_decay"], group["maximize"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"]._data
        total += g * g
        param -= clr * (g / (xp.sqrt(total) + group["eps"]))


def _init_sum(state: dict, param, initial_value: float) -> None:
    xp = backend.get_array_module(param)
    state["sum"] = Tensor._make(xp.full(param.shape, initial_value, dtype=param.dtype))
