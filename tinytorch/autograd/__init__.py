"""Automatic differentiation: ``Function`` for your own ops, ``gradcheck``, ``grad``, grad modes."""

from . import functional, graph
from .function import Context, Function, once_differentiable
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def _seed_grads(outputs, grad_outputs, create_graph, who):
    """The starting gradient of each output: ones for a scalar, else the given one (kept as
    a Tensor under ``create_graph`` so the result can depend on it)."""
    from ..tensor import Tensor

    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{who}: got {len(grad_outputs)} gradients for {len(outputs)} "
                           f"outputs")
    seeds = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(o, Tensor):
            raise TypeError(f"{who}: output {i} is a {type(o).__name__}, not a Tensor")
        if not o.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               f"have a grad_fn")
        if g is None:
            if o.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; "
                                   f"output {i} has shape {tuple(o.shape)}")
            g = o._xp.ones(o.shape, dtype=o._data.dtype)
        elif isinstance(g, Tensor):
            if tuple(g.shape) != tuple(o.shape):
                raise RuntimeError(f"{who}: Mismatch in shape: grad_output[{i}] has a shape "
                                   f"of {tuple(g.shape)} and output[{i}] has a shape of "
                                   f"{tuple(o.shape)}.")
            g = g if create_graph and g.requires_grad else g._data
        seeds.append(g)
    return seeds


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``tinytorch.autograd.backward``: backward from several outputs at once."""
    from ..tensor import Tensor
    from .engine import run_backward

    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    seeds = _seed_grads(tensors, grad_tensors, create_graph, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        run_backward(tensors, seeds, retain_graph=bool(retain_graph), create_graph=create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    grads = run_backward(tensors, seeds, retain_graph=bool(retain_graph), inputs=inputs,
                         create_graph=create_graph)
    for t, g in zip(inputs, grads):
        if g is None:
            continue
        g = g if isinstance(g, Tensor) else Tensor._make(g.copy())
        t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    With ``create_graph=True`` the returned gradients are recorded in the graph and can be
    differentiated again (Hessian-vector products, gradient penalties).
    """
    from ..tensor import Tensor
    from .engine import run_backward

    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported by tinytorch; "
                                  "loop over the batch of grad_outputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    single_input = isinstance(inputs, Tensor)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = [inputs] if single_input else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                               f"require grad")
    seeds = _seed_grads(outputs, grad_outputs, create_graph, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outputs, seeds, retain_graph=bool(retain_graph), inputs=inputs,
                       create_graph=create_graph)
    out = []
    for x, r in zip(inputs, res):
        if r is None:
            if materialize_grads:
                r = x._xp.zeros(x.shape, dtype=x._data.dtype)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
        out.append(r if r is None or isinstance(r, Tensor) else Tensor._make(r))
    return tuple(out)


__all__ = ["Function", "Context", "once_differentiable", "gradcheck", "gradgradcheck",
           "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "backward", "grad", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "functional", "graph"]
