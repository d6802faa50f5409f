"""Adamax: Adam with the infinity norm (Kingma & Ba 2015, §7.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ._single import check_options, params_to_update, update_grad, zeros_like
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """For each parameter θ with gradient g (after weight decay / maximize) at step t::

        m <- β1 m + (1 - β1) g
        u <- max(β2 u, |g| + eps)
        θ <- θ - lr / (1 - β1^t) · m / u

    State: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    def __init__(self, params: Iterable, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        lr = check_options("Adamax", lr, eps, weight_decay, betas, differentiable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """One Adamax update of every parameter that has a gradient."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param, grad, state, step in params_to_update(self, group, _init_state):
                xp = backend.get_array_module(param)
                g = update_grad(param, grad, group["weight_decay"], group["maximize"])
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                exp_avg += (1 - beta1) * (g - exp_avg)
                xp.maximum(exp_inf * beta2, xp.abs(g) + group["eps"], out=exp_inf)
                param -= group["lr"] / (1 - beta1 ** step) * (exp_avg / exp_inf)
        return loss


def _init_state(state: dict, param, group: dict) -> None:
    state["exp_avg"] = zeros_like(param)
    state["exp_inf"] = zeros_like(param)
