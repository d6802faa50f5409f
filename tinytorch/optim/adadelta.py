"""Adadelta (Zeiler 2012)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ._single import check_options, params_to_update, update_grad, zeros_like
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """For each parameter θ with gradient g (after weight decay / maximize)::

        v <- ρ v + (1 - ρ) g²
        d <- sqrt(u + eps) / sqrt(v + eps) · g
        u <- ρ u + (1 - ρ) d²
        θ <- θ - lr d

    State: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        lr = check_options("Adadelta", lr, eps, weight_decay, differentiable=differentiable,
                           rho=(rho, 0.0, 1.0))
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """One Adadelta update of every parameter that has a gradient."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for param, grad, state, _ in params_to_update(self, group, _init_state):
                xp = backend.get_array_module(param)
                g = update_grad(param, grad, group["weight_decay"], group["maximize"])
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho
                square_avg += (1 - rho) * g * g
                delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * g
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                param -= group["lr"] * delta
        return loss


def _init_state(state: dict, param, group: dict) -> None:
    state["square_avg"] = zeros_like(param)
    state["acc_delta"] = zeros_like(param)
