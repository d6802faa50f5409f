"""``autograd.functional``: Jacobians, Hessians and their products, from ``autograd.grad``.

All are reverse mode: a Jacobian is one vector-Jacobian product per output element; a
Jacobian-vector product is the "double-vjp" trick, ``jvp = d/du <vjp(u), v>`` at any u,
which is why these need ``create_graph=True``.
"""

from __future__ import annotations

from . import function as _function
from .grad_mode import enable_grad


def _grad(*args, **kwargs):
    from . import grad

    return grad(*args, **kwargs)


def _as_tuple(x):
    return (x, False) if isinstance(x, tuple) else ((x,), True)


def _fresh_inputs(inputs, create_graph):
    """Leaves to differentiate: the inputs themselves under create_graph (the result may
    depend on them), else detached copies that require grad."""
    return tuple(x if create_graph and x.requires_grad else
                 _function.Tensor._make(x._data).requires_grad_(True) for x in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph):
    grads = _grad(outputs, inputs, grad_outputs, create_graph=create_graph,
                  retain_graph=True, allow_unused=True)
    return tuple(x._xp.zeros(x.shape, dtype=x._data.dtype) if g is None else g
                 for x, g in zip(inputs, grads))


def _wrap(g):
    return g if isinstance(g, _function.Tensor) else _function.Tensor._make(g)


def _finish(ts, create_graph):
    return tuple(_wrap(t) if create_graph else _wrap(t).detach() for t in ts)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    inputs, single_in = _as_tuple(inputs)
    with enable_grad():
        xs = _fresh_inputs(inputs, create_graph)
        out = func(*xs)
        outs, single_out = _as_tuple(out)
        vs = (v,) if isinstance(v, _function.Tensor) else v
        grads = _grads(outs, xs, vs, create_graph)
    res = _finish(grads, create_graph)
    outs = _finish(outs, create_graph)
    return (outs[0] if single_out else outs), (res[0] if single_in else res)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vjp."""
    inputs, single_in = _as_tuple(inputs)
    vs = (v,) if isinstance(v, _function.Tensor) else v
    if vs is None:
        if sum(x.numel() for x in inputs) != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-"
                               "provided function is a single Tensor with a single element.")
        vs = tuple(x._xp.ones(x.shape, dtype=x._data.dtype) for x in inputs)
        vs = tuple(_function.Tensor._make(a) for a in vs)
    with enable_grad():
        xs = _fresh_inputs(inputs, create_graph)
        outs, single_out = _as_tuple(func(*xs))
        dummies = tuple(_function.Tensor._make(o._xp.zeros(o.shape, dtype=o._data.dtype))
                        .requires_grad_(True) for o in outs)
        vjps = _grads(outs, xs, dummies, True)
        jv = _grads(vjps, dummies, vs, create_graph)
    res = _finish(jv, create_graph)
    outs = _finish(outs, create_graph)
    return (outs[0] if single_out else outs), (res[0] if single_out else res)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``out.shape + in.shape`` per pair (a
    tuple per output and input when there are several), one vjp per output element."""
    if strategy != "reverse-mode":
        raise NotImplementedError("jacobian: only strategy='reverse-mode' is supported")
    inputs, single_in = _as_tuple(inputs)
    with enable_grad():
        xs = _fresh_inputs(inputs, create_graph)
        outs, single_out = _as_tuple(func(*xs))
        rows = []
        for o in outs:
            per_input = [[] for _ in xs]
            flat = o.reshape(-1)
            for j in range(flat.numel()):
                gs = _grads([flat[j]], xs, None, create_graph)
                for k, g in enumerate(gs):
                    per_input[k].append(_wrap(g))
            blocks = []
            for x, parts in zip(xs, per_input):
                from ..creation import stack

                block = stack(parts) if parts else _function.Tensor._make(
                    x._xp.zeros((0,) + tuple(x.shape), dtype=x._data.dtype))
                blocks.append(block.reshape(tuple(o.shape) + tuple(x.shape)))
            rows.append(_finish(blocks, create_graph))
    if single_out:
        return rows[0][0] if single_in else rows[0]
    return tuple(r[0] for r in rows) if single_in else tuple(rows)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient."""
    inputs_t, single_in = _as_tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single "
                               "element Tensor")
        gs = _grads([out.reshape(())], xs, None, True)
        return gs[0] if single_in else gs

    return jacobian(gradient, inputs, create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    inputs, single_in = _as_tuple(inputs)
    vs = (v,) if isinstance(v, _function.Tensor) else v
    with enable_grad():
        xs = _fresh_inputs(inputs, create_graph)
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("The function given to hvp/vhp should return a single "
                               "element Tensor")
        gs = _grads([out.reshape(())], xs, None, True)
        hv = _grads(gs, xs, vs, create_graph)
    res = _finish(hv, create_graph)
    return _finish((out,), create_graph)[0], (res[0] if single_in else res)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func`` (the Hessian is symmetric, so H v is
    v^T H computed by double backward)."""
    return vhp(func, inputs, v, create_graph, strict)


__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]
