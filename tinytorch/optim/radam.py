"""RAdam: Adam with a rectified adaptive learning rate (Liu et al. 2020)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ._single import advance, check_options, step_counter, update_grad, zeros_like
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
            lr, wd = group["lr"], group["weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in group["params"]:
                grad = self._grad_of(p)
                if grad is None:
                    continue
                param = p._data
                xp = backend.get_array_module(param)
                state = self.state[p]
                if not state:
                    state["step"] = step_counter()
                    state["exp_avg"] = zeros_like(param)
                    state["exp_avg_sq"] = zeros_like(param)
                step = advance(state)
                if wd != 0 and group["decoupled_weight_decay"]:
                    param *= 1 - lr * wd
                    g = update_grad(param, grad, 0.0, group["maximize"])
                else:
                    g = update_grad(param, grad, wd, group["maximize"])
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
