"""NAdam: Adam with Nesterov momentum (Dozat 2016), PyTorch's momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .. import backend
from ..tensor import Tensor
from ._single import (
    PerParameterOptimizer,
    check_options,
    decayed_grad,
    update_adam_moments,
)

__all__ = ["NAdam"]


class NAdam(PerParameterOptimizer):
    """For each parameter θ with gradient g at step t, with μ_t = β1 (1 - ½·0.96^(t ψ))
    (ψ = momentum_decay) and Π_t = μ_1 ··· μ_t::

        θ <- θ (1 - lr λ)   if decoupled_weight_decay, else g <- g + λ θ
        m <- β1 m + (1 - β1) g;   v <- β2 v + (1 - β2) g²
        d <- sqrt(v / (1 - β2^t)) + eps
        θ <- θ - lr (1 - μ_t) / (1 - Π_t) · g / d - lr μ_{t+1} / (1 - Π_t μ_{t+1}) · m / d

    State: ``step``, ``mu_product`` (Π, a float32 scalar as in PyTorch), ``exp_avg``,
    ``exp_avg_sq``.
    """

    zero_buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        lr = check_options("NAdam", lr, eps, weight_decay, betas, differentiable,
                           momentum_decay=(momentum_decay, 0.0, float("inf")))
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, state: dict, param, group: dict) -> None:
        state["mu_product"] = Tensor._make(np.ones((), dtype=np.float32))
        super()._init_state(state, param, group)  # exp_avg, exp_avg_sq

    def _update(self, param, grad, state: dict, step: float, group: dict) -> None:
        """One NAdam update of ``param`` (in place)."""
        xp = backend.get_array_module(param)
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        g = decayed_grad(param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        mu_product_t = state["mu_product"]
        mu_product_t._data = (mu_product_t._data * np.float32(mu)).astype(np.float32)
        mu_product = float(mu_product_t._data)
        exp_avg, exp_avg_sq = update_adam_moments(state, g, beta1, beta2)
        denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step)) + group["eps"]
        param -= lr * (1.0 - mu) / (1.0 - mu_product) * (g / denom)
        param -= lr * mu_next / (1.0 - mu_product * mu_next) * (exp_avg / denom)
