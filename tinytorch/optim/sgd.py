"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, ScratchBuffers, chunked, effective_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD as PyTorch defines it (the momentum buffer starts as the first gradient).

    For each parameter θ with gradient g::

        g <- -g                              if maximize
        g <- g + λ θ                         if weight_decay λ != 0
        b <- g on the first step, else μ b + (1 - dampening) g     if momentum μ != 0
        g <- g + μ b if nesterov else b                             if momentum μ != 0
        θ <- θ - lr g

    State per parameter: ``momentum_buffer`` (only when momentum != 0). Parameters whose
    ``.grad`` is None are skipped. ``foreach`` and ``fused`` are accepted for compatibility
    and change nothing.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor):
            lr = lr.item()
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise NotImplementedError("differentiable=True (gradients through the optimizer "
                                      "step) is not supported by tinytorch")
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        self._scratch = ScratchBuffers()

    def step(self, closure: Callable[[], Any] | None = None):
        """One SGD update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate_closure(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            for p in group["params"]:
                grad = self._grad_of(p)
                if grad is None:
                    continue
                buf = None
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        xp = backend.get_array_module(p._data)
                        # a new buffer: sgd_update fills it with the first gradient
                        buf_t = state["momentum_buffer"] = Tensor._make(
                            xp.empty(p._data.shape, dtype=p._data.dtype))
                        first = True
                    else:
                        first = False
                    buf = buf_t._data
                else:
                    first = False
                sgd_update(p._data, grad, buf, self._scratch, lr=group["lr"], momentum=momentum,
                           dampening=group["dampening"], weight_decay=group["weight_decay"],
                           nesterov=group["nesterov"], maximize=group["maximize"],
                           first_step=first)
        return loss


def sgd_update(param, grad, momentum_buffer, scratch: ScratchBuffers, *, lr: float,
               momentum: float, dampening: float, weight_decay: float, nesterov: bool,
               maximize: bool, first_step: bool) -> None:
    """One SGD step on raw arrays, in place on ``param`` and ``momentum_buffer``."""
    xp = backend.get_array_module(param)
    for p, g, b in chunked(param, grad, momentum_buffer):
        if maximize or weight_decay != 0:
            g = effective_grad(xp, p, g, weight_decay, maximize, scratch.like(p, 1))
        tmp = scratch.like(p, 0)
        if b is not None:
            if first_step:
                b[...] = g
            else:
                b *= momentum
                if dampening == 0:
                    b += g
                else:
                    xp.multiply(g, 1 - dampening, out=tmp)
                    b += tmp
            if nesterov:
                xp.multiply(b, momentum, out=tmp)
                tmp += g
                g = tmp
            else:
                g = b
        # θ <- θ - lr g
        if g is tmp:
            tmp *= lr
        else:
            xp.multiply(g, lr, out=tmp)
        p -= tmp
