"""``gradcheck``: compare analytical gradients with central finite differences.

For each input x_i that requires grad and each element j, the numerical derivative of
``sum(fn(inputs) * v)`` (v a fixed random cotangent, so every output element counts) is

    (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)

and must match the analytical one from ``backward`` within ``atol + rtol * |numerical|``.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import backend


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when an analytical gradient disagrees with finite differences."""


def _as_outputs(out):
    from ..tensor import Tensor

    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.is_floating_point()]


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, max_elements=None,
              seed: int = 0) -> bool:
    """True when ``fn``'s backward matches finite differences for every input needing grad.

    ``inputs`` is a Tensor or a tuple of them (other values pass through unchanged). Inputs
    must be float64: float32 differences are too coarse for these tolerances. With
    ``max_elements`` only that many randomly chosen entries of each input are perturbed
    (for whole-model checks). On failure the message names the input, the element index and
    both values. The finite differences evaluate ``fn`` under ``no_grad`` (fast): a ``fn``
    that differentiates inside (a gradient penalty) turns grad on itself, as
    ``gradgradcheck`` does.
    """
    from ..tensor import Tensor
    from .grad_mode import enable_grad, no_grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; pass tensors with "
                         "requires_grad=True")
    for i in checked:
        if inputs[i].dtype is not backend.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; finite "
                          f"differences in low precision will likely fail", stacklevel=2)

    # work on private leaf copies so the caller's tensors are never perturbed
    leaves = list(inputs)
    for i in checked:
        leaves[i] = Tensor._make(inputs[i]._data.copy()).requires_grad_(True)

    with enable_grad():
        outs = _as_outputs(fn(*leaves))
    if not outs:
        raise ValueError("gradcheck: fn returned no floating point tensor")
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(o.shape) for o in outs]
    xp = backend.get_array_module(outs[0]._data)
    cot_dev = [xp.asarray(c, dtype=o._data.dtype) for c, o in zip(cotangents, outs)]

    def scalar(values):
        with no_grad():
            os = _as_outputs(fn(*values))
        return sum(float((backend.to_numpy(o._data).astype(np.float64) * c).sum())
                   for o, c in zip(os, cotangents))

    # analytical: one backward of sum(out * v)
    from .engine import run_backward

    with enable_grad():
        for i in checked:
            leaves[i].grad = None
        reachable = [o for o in outs if o.requires_grad]
        if reachable:
            run_backward(reachable, [cot_dev[k] for k, o in enumerate(outs) if o.requires_grad])

    for i in checked:
        x = leaves[i]
        analytical = np.zeros(x.shape) if x.grad is None else \
            backend.to_numpy(x.grad._data).astype(np.float64)
        flat = x._data.reshape(-1)  # a view: perturbs x in place
        n = flat.size
        positions = range(n) if max_elements is None or n <= max_elements else \
            sorted(rng.choice(n, size=max_elements, replace=False).tolist())
        for j in positions:
            orig = flat[j].item()
            flat[j] = orig + eps
            plus = scalar(leaves)
            flat[j] = orig - eps
            minus = scalar(leaves)
            flat[j] = orig
            numerical = (plus - minus) / (2 * eps)
            a = analytical.reshape(-1)[j]
            if not abs(a - numerical) <= atol + rtol * abs(numerical):
                index = tuple(int(k) for k in np.unravel_index(j, x.shape))
                msg = (f"Jacobian mismatch for input {i} (shape {tuple(x.shape)}) at element "
                       f"{index}: numerical {numerical:.8g} vs analytical {a:.8g} "
                       f"(difference {abs(a - numerical):.3g} > atol {atol} + rtol {rtol} * "
                       f"|numerical|)")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False, max_elements=None, seed: int = 0) -> bool:
    """True when the second derivatives of ``func`` match finite differences.

    The function checked is ``(inputs, v) -> autograd.grad(func(inputs), inputs, v,
    create_graph=True)``: its gradients are the second derivatives of ``func`` (with the
    cotangents ``v``, random unless ``grad_outputs`` is given, checked as inputs too), so
    ``gradcheck`` of it runs ``backward`` through a backward pass. An op without a
    ``tensor_backward`` (once-differentiable) makes it raise ``RuntimeError``.
    """
    from ..tensor import Tensor
    from . import grad as autograd_grad
    from .grad_mode import enable_grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no input requires grad; pass tensors with "
                         "requires_grad=True")
    with enable_grad():
        outs = _as_outputs(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        xp = backend.get_array_module(outs[0]._data)
        grad_outputs = [
            Tensor._make(xp.asarray(rng.standard_normal(o.shape), dtype=o._data.dtype))
            .requires_grad_(True) for o in outs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) \
            else [grad_outputs]
    n_in = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n_in], args[n_in:]
        wrt = [xs[i] for i in diff]
        with enable_grad():  # gradcheck evaluates under no_grad; this needs a graph
            pairs = [(o, v) for o, v in zip(_as_outputs(func(*xs)), vs) if o.requires_grad]
            if not pairs:
                return tuple(x * 0 for x in wrt)
            grads = autograd_grad([o for o, _ in pairs], wrt, [v for _, v in pairs],
                                  create_graph=True, allow_unused=True)
        # an input that does not reach the output has a zero gradient, itself constant
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, nondet_tol=nondet_tol,
                     max_elements=max_elements, seed=seed)
