"""Automatic differentiation: ``Function`` for your own ops, ``gradcheck``, ``grad``, grad modes."""

from .function import Context, Function
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck


def backward(tensors, grad_tensors=None, retain_graph=None):
    """``tinytorch.autograd.backward``: backward from several outputs at once."""
    from .engine import run_backward

    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    grads = []
    for t, g in zip(tensors, grad_tensors):
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = t._xp.ones(t.shape, dtype=t._data.dtype)
        else:
            g = g._data if hasattr(g, "data") else g
        grads.append(g)
    run_backward(tensors, grads, retain_graph=bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated."""
    from ..tensor import Tensor
    from .engine import run_backward

    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    gs = []
    for o, g in zip(outputs, grad_outputs):
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = o._xp.ones(o.shape, dtype=o._data.dtype)
        gs.append(g._data if isinstance(g, Tensor) else g)
    res = run_backward(outputs, gs, retain_graph=bool(retain_graph), inputs=inputs)
    out = []
    for r in res:
        if r is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                               "in the graph. Set allow_unused=True if this is the desired "
                               "behavior.")
        out.append(None if r is None else Tensor._make(r))
    return tuple(out)


__all__ = ["Function", "Context", "gradcheck", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "backward", "grad"]
