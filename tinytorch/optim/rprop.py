"""Rprop, resilient backpropagation (Riedmiller & Braun 1993), as ``torch.optim.Rprop``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..tensor import Tensor
from ._single import check_options, params_to_update, update_grad, zeros_like
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Each element moves by its own step size η against the sign of its gradient; η grows
    while the gradient keeps its sign and shrinks when the sign flips. For each parameter θ
    with gradient g (``-g`` if maximize) and the previous step's gradient g_prev::

        η <- clip(η · η+, Γmin, Γmax)   where g · g_prev > 0
        η <- clip(η · η-, Γmin, Γmax)   where g · g_prev < 0, and there g <- 0 (no move,
                                         and no sign to compare with next step)
        θ <- θ - η · sign(g)
        g_prev <- g

    with ``etas = (η-, η+)``, ``step_sizes = (Γmin, Γmax)`` and η starting at ``lr``.
    Rprop uses only the gradient's sign, so it suits full-batch training. State per
    parameter: ``step``, ``prev`` (g_prev) and ``step_size`` (η). ``foreach`` and
    ``capturable`` are accepted for compatibility and change nothing.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        lr = check_options("Rprop", lr, differentiable=differentiable)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (need 0 < etaminus "
                             f"< 1 < etaplus)")
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes),
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """One Rprop update of every parameter that has a gradient."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = group["etas"]
            smallest, largest = group["step_sizes"]
            for param, grad, state, _ in params_to_update(self, group, _init_state):
                xp = backend.get_array_module(param)
                g = update_grad(param, grad, 0.0, group["maximize"])
                prev, step_size = state["prev"]._data, state["step_size"]._data
                agreement = g * prev
                factor = xp.ones_like(param)
                factor[agreement > 0] = eta_plus
                factor[agreement < 0] = eta_minus
                step_size *= factor
                xp.clip(step_size, smallest, largest, out=step_size)
                g = xp.where(agreement < 0, 0, g)
                param -= xp.sign(g) * step_size
                prev[...] = g
        return loss


def _init_state(state: dict, param, group: dict) -> None:
    state["prev"] = zeros_like(param)
    xp = backend.get_array_module(param)
    state["step_size"] = Tensor._make(xp.full(param.shape, group["lr"], dtype=param.dtype))
