"""Adamax: Adam with the infinity norm (Kingma & Ba 2015, §7.1)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import backend
from ._single import PerParameterOptimizer, check_options, update_grad

__all__ = ["Adamax"]


class Adamax(PerParameterOptimizer):
    """For each parameter θ with gradient g (after weight decay / maximize) at step t::

        m <- β1 m + (1 - β1) g
        u <- max(β2 u, |g| + eps)
        θ <- θ - lr / (1 - β1^t) · m / u

    State: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    zero_buffers = ("exp_avg", "exp_inf")

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

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        """One Adamax update of ``param`` (in place)."""
        xp = backend.get_array_module(param)
        beta1, beta2 = group["betas"]
        g = update_grad(param, grad, group["weight_decay"], group["maximize"])
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        exp_avg += (1 - beta1) * (g - exp_avg)
        xp.maximum(exp_inf * beta2, xp.abs(g) + group["eps"], out=exp_inf)
        param -= group["lr"] / (1 - beta1 ** step) * (exp_avg / exp_inf)
