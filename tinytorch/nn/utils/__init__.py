"""``tinytorch.nn.utils``: gradient clipping and flattening parameters into one vector."""

from __future__ import annotations

import math
from typing import Iterable

from ...autograd import grad_mode
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _as_list(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients together so their joint ``norm_type`` norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor). Gradients are multiplied by
    min(1, max_norm / (total + 1e-6)), as PyTorch does.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    xp = grads[0]._xp
    norm_type = float(norm_type)
    with grad_mode.no_grad():
        if norm_type == math.inf:
            norms = [xp.abs(g._data).max() if g._data.size else xp.zeros((), g._data.dtype)
                     for g in grads]
            total = xp.stack([n.astype(xp.float64) for n in norms]).max()
        elif norm_type == 2.0:
            # one BLAS dot per gradient: no temporaries (this runs every training step)
            total = math.sqrt(sum(float(xp.vdot(g._data.ravel(), g._data.ravel()))
                                  for g in grads))
        else:
            total = sum(xp.sum(xp.abs(g._data.astype(xp.float64)) ** norm_type)
                        for g in grads) ** (1.0 / norm_type)
        total_f = float(total)
        if error_if_nonfinite and not math.isfinite(total_f):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                               f"`parameters` is non-finite ({total_f}), so it cannot be "
                               f"clipped. Set error_if_nonfinite=False to clip anyway.")
        coef = min(1.0, float(max_norm) / (total_f + 1e-6))
        if coef < 1.0:
            for g in grads:
                g._data *= g._data.dtype.type(coef)
    return Tensor(xp.asarray(total_f), dtype=grads[0].dtype)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float,
                     foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    c = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            xp = p.grad._xp
            xp.clip(p.grad._data, -c, c, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from ...creation import cat

    params = _as_list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: got no parameters")
    dev = params[0].device
    for p in params:
        if p.device != dev:
            raise TypeError(f"Found two parameters on different devices, this is currently "
                            f"not supported ({dev} and {p.device})")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, no graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vec has shape {tuple(vec.shape)}, expected "
                           f"({total},) for these parameters")
    offset = 0
    for p in params:
        n = p.numel()
        p._data[...] = vec._data[offset:offset + n].reshape(p._data.shape)
        offset += n


from . import rnn  # noqa: E402  (nn.utils.rnn: pad_sequence, PackedSequence, ...)

__all__ += ["rnn"]
