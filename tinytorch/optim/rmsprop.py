"""RMSprop (Hinton's lecture 6e), with PyTorch's centered and momentum variants."""

from __future__ import annotations

from collections.abc import Iterable

from .. import backend
from ._single import PerParameterOptimizer, check_options, update_grad, zeros_like

__all__ = ["RMSprop"]


class RMSprop(PerParameterOptimizer):
    """For each parameter θ with gradient g (after weight decay / maximize)::

        v <- α v + (1 - α) g²
        m <- (1 - α)-lerp of g, and v̄ = v - m²    if centered, else v̄ = v
        d <- g / (sqrt(v̄) + eps)
        b <- μ b + d and θ <- θ - lr b             if momentum μ > 0, else θ <- θ - lr d

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg``
    (centered).
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        lr = check_options("RMSprop", lr, eps, weight_decay, differentiable=differentiable,
                           momentum=(momentum, 0.0, float("inf")), alpha=(alpha, 0.0, 1.0))
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, state: dict, param, group: dict) -> None:
        state["square_avg"] = zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = zeros_like(param)

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        """One RMSprop update of ``param`` (in place)."""
        xp = backend.get_array_module(param)
        alpha, momentum = group["alpha"], group["momentum"]
        g = update_grad(param, grad, group["weight_decay"], group["maximize"])
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            grad_avg += (1 - alpha) * (g - grad_avg)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"]._data
            buf *= momentum
            buf += g / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (g / avg)
