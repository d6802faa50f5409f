"""RAdam: Adam with a rectified adaptive learning rate (Liu et al. 2020)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .. import backend
from ._single import (
    PerParameterOptimizer,
    check_options,
    decayed_grad,
    update_adam_moments,
)

__all__ = ["RAdam"]


class RAdam(PerParameterOptimizer):
    """For each parameter θ with gradient g at step t, ρ∞ = 2 / (1 - β2) - 1 and
    ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)::

        θ <- θ (1 - lr λ)   if decoupled_weight_decay, else g <- g + λ θ
        m <- β1 m + (1 - β1) g;   v <- β2 v + (1 - β2) g²;   m̂ = m / (1 - β1^t)
        if ρ_t > 5:  r = sqrt((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t))
                     θ <- θ - lr m̂ r sqrt(1 - β2^t) / (sqrt(v) + eps)
        else:        θ <- θ - lr m̂

    State: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    zero_buffers = ("exp_avg", "exp_avg_sq")

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

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        """One RAdam update of ``param`` (in place)."""
        xp = backend.get_array_module(param)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        rho_inf = 2 / (1 - beta2) - 1
        g = decayed_grad(param, grad, group)
        exp_avg, exp_avg_sq = update_adam_moments(state, g, beta1, beta2)
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
