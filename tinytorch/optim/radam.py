"""RAdam: Adam with a rectified adaptive learning rate (Liu et al. 2020)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ._single import check_options, decayed_grad, params_to_update, zeros_like
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """For each parameter θ with gradient g at step t, ρ∞ = 2 / (1 - β2) - 1 and
    ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)::

        θ <- θ (1 - lr λ)   if decoupled_weight_decay, else g <- g + λ θ
        m <- β1 m + (1 - β1) g;   v <- β2 v + (1 - β2) g²;   m̂ = m / (1 - β1^t)
        if ρ_t > 5:  r = sqrt((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t))
                     θ <- θ - lr m̂ r sqrt(1 - β2^t) / (sqrt(v) + eps)
        else:        θ <- θ - lr m̂

    State: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        lr = check_options("RAdam", lr, eps, weight_decay, betas, differentiable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """One RAdam update of every parameter that has a gradient."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = group["lr"]
            rho_inf = 2 / (1 - beta2) - 1
            for param, grad, state, step in params_to_update(self, group, _init_state):
                xp = backend.get_array_module(param)
                g = decayed_grad(param, grad, group)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                exp_avg += (1 - beta1) * (g - exp_avg)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * g * g
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                corrected = exp_avg / bias_correction1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = math.sqrt(bias_correction2) / (xp.sqrt(exp_avg_sq) + group["eps"])
                    param -= corrected * lr * adaptive * rect
                else:
                    param -= corrected * lr
        return loss


def _init_state(state: dict, param, group: dict) -> None:
    state["exp_avg"] = zeros_like(param)
    state["exp_avg_sq"] = zeros_like(param)
