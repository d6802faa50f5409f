"""ASGD, averaged stochastic gradient descent (Polyak & Juditsky 1992), as ``torch.optim.ASGD``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from ._single import check_options, params_to_update, update_grad, zeros_like
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """SGD with a decaying step size, plus a running average of the iterates. For each
    parameter θ with gradient g (``-g`` if maximize, plus λ_wd θ with weight decay) at step t::

        θ  <- θ (1 - λ η) - η g
        θ̄  <- θ̄ + μ (θ - θ̄)      (θ̄ <- θ while μ = 1)
        η  <- lr / (1 + λ lr t)^α
        μ  <- 1 / max(1, t - t0)

    with ``lambd`` = λ; η starts at ``lr`` and μ at 1, so the average θ̄ (state ``ax``) starts
    following θ after ``t0`` steps. Only ``θ`` is trained: read the average from
    ``optimizer.state[p]['ax']``. State per parameter, as in PyTorch: ``step``, ``eta`` and
    ``mu`` (scalars of the default float dtype's precision, float32 unless it is float64)
    and ``ax``. ``foreach`` and ``capturable`` are accepted and change nothing.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        lr = check_options("ASGD", lr, weight_decay=weight_decay,
                           differentiable=differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """One ASGD update of every parameter that has a gradient."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            lr, lambd = group["lr"], group["lambd"]
            for param, grad, state, step in params_to_update(self, group, _init_state):
                g = update_grad(param, grad, group["weight_decay"], group["maximize"])
                eta, mu = float(state["eta"]._data), float(state["mu"]._data)
                param *= 1 - lambd * eta
                param -= eta * g
                ax = state["ax"]._data
                if mu != 1:
                    ax += (param - ax) * mu
                else:
                    ax[...] = param
                # the new η and μ, rounded to the scalars' dtype as PyTorch stores them
                state["eta"]._data[...] = lr / (1 + lambd * lr * step) ** group["alpha"]
                state["mu"]._data[...] = 1 / max(1, step - group["t0"])
        return loss


def _init_state(state: dict, param, group: dict) -> None:
    # η and μ are host scalars of torch's "scalar dtype": float64 only under a float64 default
    dtype = np.float64 if backend.get_default_dtype() == backend.float64 else np.float32
    state["eta"] = _scalar(group["lr"], dtype)
    state["mu"] = _scalar(1.0, dtype)
    state["ax"] = zeros_like(param)


def _scalar(value: float, dtype) -> Tensor:
    return Tensor._make(np.array(value, dtype=dtype))
