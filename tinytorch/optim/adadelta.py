"""Adadelta (Zeiler 2012)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import backend
from ._single import PerParameterOptimizer, check_options, update_grad

__all__ = ["Adadelta"]


class Adadelta(PerParameterOptimizer):
    """For each parameter θ with gradient g (after weight decay / maximize)::

        v <- ρ v + (1 - ρ) g²
        d <- sqrt(u + eps) / sqrt(v + eps) · g
        u <- ρ u + (1 - ρ) d²
        θ <- θ - lr d

    State: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    zero_buffers = ("square_avg", "acc_delta")

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

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        """One Adadelta update of ``param`` (in place)."""
        xp = backend.get_array_module(param)
        rho, eps = group["rho"], group["eps"]
        g = update_grad(param, grad, group["weight_decay"], group["maximize"])
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta
