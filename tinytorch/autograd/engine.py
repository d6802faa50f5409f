"""Reverse-mode differentiation: walk the graph backward in topological order.

The walk is iterative (no recursion, so a chain of 100,000 ops is fine): count how many
consumers each node has, then run a node's backward only once every consumer has sent
its gradient (Kahn's algorithm). Gradients that arrive at a leaf are summed into
``leaf.grad``; broadcasting done in forward is undone by ``sum_to_shape``.
"""

from __future__ import annotations

import weakref

from . import function, grad_mode
from .function import Context


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    d/dx of ``x`` broadcast to ``grad.shape`` is the sum over the broadcast axes.
    """
    # BEGIN SOLUTION assignment=2 "sum_to_shape: sum over the broadcast axes"
    if grad.shape == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0:
        raise RuntimeError(f"gradient of shape {tuple(grad.shape)} cannot be summed to "
                           f"input shape {tuple(shape)}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    if lead:
        out = out.reshape(out.shape[lead:])
    if out.shape != tuple(shape):
        raise RuntimeError(f"gradient of shape {tuple(grad.shape)} does not broadcast to "
                           f"input shape {tuple(shape)}: the op's backward is wrong")
    return out
    # END SOLUTION


def _topological_counts(roots):
    """Number of consumer edges into each reachable node (a node absent has none)."""
    # BEGIN SOLUTION assignment=2 "_topological_counts: consumer edges per node"
    counts = {}
    expanded = set(roots) if len(roots) > 1 else ()  # a root reachable from another root
    stack = list(roots)
    pop, push = stack.pop, stack.append
    while stack:
        for parent in pop().parents:
            if parent.__class__ is Context:
                seen = counts.get(parent)
                if seen is None:
                    counts[parent] = 1
                    if parent not in expanded:
                        push(parent)
                else:
                    counts[parent] = seen + 1
    return counts
    # END SOLUTION


_SECOND_BACKWARD = ("Trying to backward through the graph a second time, but its saved "
                    "values were freed after the first backward. Pass retain_graph=True to "
                    "the first backward() call.")


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None, create_graph=False):
    """Backpropagate ``grad_tensors`` from ``tensors``.

    Without ``inputs`` gradients accumulate into the ``.grad`` of the leaves (and of
    non-leaves that called ``retain_grad``). With ``inputs`` (``autograd.grad``) nothing is
    accumulated and the gradients of those tensors are returned instead.

    With ``create_graph`` (or under ``detect_anomaly``) the walk runs on Tensors; otherwise
    on raw arrays, recording nothing (see ``_run_backward_walk``).
    """
    watched = _watch_non_leaves(inputs) if inputs is not None else None
    try:
        on_tensors = bool(create_graph or grad_mode._anomaly_enabled)
        return _run_backward_walk(tensors, grad_tensors, retain_graph, inputs, on_tensors,
                                  create_graph)
    finally:
        if watched:
            for node, entry in watched:
                node.retained.remove(entry)


def _watch_non_leaves(inputs):
    """``autograd.grad`` with respect to a non-leaf: its gradient is taken when its node
    runs, as ``retain_grad`` does, so register it there for this walk only."""
    added = []
    for t in inputs:
        node = t.grad_fn
        if node is not None:
            if node.retained is None:
                node.retained = []
            entry = (t._output_nr, weakref.ref(t))
            node.retained.append(entry)
            added.append((node, entry))
    return added


def _run_backward_walk(tensors, grad_tensors, retain_graph, inputs, on_tensors,
                       create_graph=False):
    """The backward walk: run each node's backward once every consumer has sent its gradient.

    On raw arrays (``on_tensors`` false), the hot path of every ``backward()``: grad mode is
    off, each node's array ``backward`` runs directly and nothing is recorded. On Tensors
    (``on_tensors``: ``create_graph`` or ``detect_anomaly``): each node's backward runs
    through ``_node_backward`` with grad mode set to ``create_graph``, so that the gradients
    are themselves differentiable, with anomaly mode's NaN checks and forward tracebacks.
    The order, the buffers and the count-down are the same for both.
    """
    Tensor = function.Tensor
    capture = None
    if inputs is not None:
        capture = {id(t): None for t in inputs}
    if on_tensors:
        deliver, deliver_hooked = _deliver_graph, _deliver_hooked_graph
    else:
        deliver, deliver_hooked = _deliver, _deliver_hooked
    buffers = {}  # node -> list of grads, one per output
    roots = []
    handed = set()  # arrays walk: ids of arrays stored as-is somewhere: reuse needs a copy
    hooked = {}  # leaves with hooks: id -> [leaf, summed gradient], delivered at the end
    for t, g in zip(tensors, grad_tensors):
        if on_tensors:
            g = _as_tensor(g, Tensor)
        else:
            handed.add(id(g))
        if t.grad_fn is None:
            # the root is a leaf itself: its gradient is the seed
            deliver(t, g, capture, handed, hooked)
            continue
        node = t.grad_fn
        if node._released:
            raise RuntimeError(_SECOND_BACKWARD)
        slot = buffers.get(node)
        if slot is None:
            slot = buffers[node] = [None] * node.num_outputs
            roots.append(node)
        i = t._output_nr
        slot[i] = g if slot[i] is None else slot[i] + g

    counts = _topological_counts(roots)
    ready = [n for n in roots if counts.get(n, 0) == 0]
    pop_ready, push_ready = ready.pop, ready.append
    with grad_mode.set_grad_enabled(create_graph):  # create_graph implies on_tensors
        while ready:
            node = pop_ready()
            grads = buffers.pop(node)
            if node._released:
                raise RuntimeError(_SECOND_BACKWARD)
            if node.hooks:
                grads = _run_tensor_hooks(node, grads, Tensor)
            if node.retained:
                _retain_output_grads(node, grads, capture)
            if node.num_outputs > 1 and any(g is None for g in grads):
                grads = _fill_zeros(node, grads)
                if on_tensors:
                    grads = [_as_tensor(g, Tensor) for g in grads]
            if on_tensors:
                try:
                    in_grads = _node_backward(node, grads, create_graph, Tensor)
                except Exception:
                    _print_forward_trace(node)
                    raise
            else:
                in_grads = node.fn.backward(node, *grads)
                if in_grads.__class__ is not tuple:
                    in_grads = (in_grads,)
            parents = node.parents
            if len(in_grads) < len(parents):
                raise RuntimeError(
                    f"{node.fn.__name__}.backward returned {len(in_grads)} gradients, "
                    f"expected {len(parents)} (one per forward input)")
            if on_tensors and grad_mode._anomaly_enabled and grad_mode._anomaly_check_nan:
                _check_nan(node, in_grads)
            if not retain_graph:
                node.release()
            for parent, g, meta in zip(parents, in_grads, node.input_meta):
                if parent is None or g is None:
                    continue
                shape, dtype, nr = meta
                if on_tensors:
                    g = _input_grad_tensor(g, shape, dtype, Tensor)
                else:
                    if isinstance(g, Tensor):
                        g = g._data
                    if g.shape != shape:
                        g = sum_to_shape(g, shape)
                    if g.dtype is not dtype and g.dtype != dtype:
                        g = g.astype(dtype)
                if parent.__class__ is Context:
                    # BEGIN SOLUTION assignment=2 "run_backward: count down, queue when ready"
                    slot = buffers.get(parent)
                    if slot is None:
                        slot = buffers[parent] = [None] * parent.num_outputs
                    # out-of-place: g may be an array another branch also holds
                    slot[nr] = g if slot[nr] is None else slot[nr] + g
                    left = counts[parent] - 1
                    counts[parent] = left
                    if left == 0:
                        push_ready(parent)
                    # END SOLUTION
                else:
                    deliver(parent, g, capture, handed, hooked)
        if hooked:
            deliver_hooked(hooked, capture, Tensor)
    if capture is not None:
        return [capture[id(t)] for t in inputs]
    return None


def _fill_zeros(node, grads):
    """Outputs that received no gradient get zeros, as PyTorch materialises them."""
    shapes = node.output_meta
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if shapes is None:
                raise RuntimeError(f"{node.name()}: missing gradient for output {i}")
            shape, dtype, xp = shapes[i]
            g = xp.zeros(shape, dtype=dtype)
        out.append(g)
    return out


def _retain_output_grads(node, grads, capture):
    refs = node.retained
    if not refs:
        return
    for i, ref in refs:
        t = ref()
        if t is None or grads[i] is None:
            continue
        if capture is not None:
            if id(t) in capture:
                capture[id(t)] = grads[i]
            continue
        g = grads[i]
        if isinstance(g, function.Tensor):  # the walk on Tensors (create_graph)
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            t.grad = function.Tensor._make(g.copy())
        else:
            t.grad._data = t.grad._data + g


def _deliver(leaf, g, capture, handed, hooked):
    """Accumulate a gradient into a leaf (or capture it for ``autograd.grad``)."""
    if getattr(leaf, "_backward_hooks", None) or getattr(leaf, "_post_accumulate_hooks", None):
        _hold_for_hooks(leaf, g, hooked)
        return
    # BEGIN SOLUTION assignment=2 "_deliver: accumulate into leaf.grad or capture"
    if capture is not None:
        if id(leaf) in capture:
            prev = capture[id(leaf)]
            capture[id(leaf)] = g if prev is None else prev + g
        return
    if leaf.grad is None:
        # keep the array if nobody else holds it, else copy so in-place updates stay local
        if id(g) in handed or g.base is not None:
            g = g.copy()
        handed.add(id(g))
        leaf.grad = function.Tensor._make(g)
    else:
        leaf.grad._data += g
    # END SOLUTION


def _capture(capture, leaf, g):
    """``autograd.grad``: sum ``g`` into the gradient returned for ``leaf``, if it is one of
    the ``inputs`` (the gradients of the others are dropped)."""
    if id(leaf) in capture:
        prev = capture[id(leaf)]
        capture[id(leaf)] = g if prev is None else prev + g


def _hold_for_hooks(leaf, g, hooked):
    """A leaf with hooks sees its whole gradient once, summed over every path, as PyTorch's:
    sum ``g`` into ``hooked`` (delivered at the end of the walk by ``_deliver_hooked``)."""
    entry = hooked.get(id(leaf))
    if entry is None:
        hooked[id(leaf)] = [leaf, g]
    else:
        entry[1] = entry[1] + g


def _deliver_hooked(hooked, capture, Tensor):
    """Leaves with hooks: run ``register_hook`` hooks on the summed gradient, accumulate
    (or capture), then run ``register_post_accumulate_grad_hook`` hooks."""
    for leaf, g in hooked.values():
        for hook in tuple((getattr(leaf, "_backward_hooks", None) or {}).values()):
            replaced = hook(Tensor._make(g))
            if replaced is not None:
                g = replaced._data
        if capture is not None:
            _capture(capture, leaf, g)
            continue
        if leaf.grad is None:
            leaf.grad = Tensor._make(g.copy())
        else:
            leaf.grad._data += g
        for hook in tuple((getattr(leaf, "_post_accumulate_hooks", None) or {}).values()):
            hook(leaf)


def _run_tensor_hooks(node, grads, Tensor):
    """Hooks registered on a non-leaf output: each may replace the gradient (PyTorch's
    tensor pre-hooks, run before the node's backward and before ``retain_grad``)."""
    grads = list(grads)
    for i, hooks in node.hooks.items():
        g = grads[i]
        if g is None:
            continue
        for hook in tuple(hooks.values()):
            replaced = hook(g if isinstance(g, Tensor) else Tensor._make(g))
            if replaced is not None:
                g = replaced if isinstance(grads[i], Tensor) else replaced._data
        grads[i] = g
    return grads


# ---------------------------------------------------------------------- on Tensors
def sum_to_shape_tensor(grad, shape):
    """``sum_to_shape`` on a Tensor, recorded in the graph (for ``create_graph=True``)."""
    shape = tuple(shape)
    if tuple(grad.shape) == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(dim=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    return grad


class TensorContext:
    """What a ``tensor_backward`` sees as ``ctx`` under ``create_graph=True``: the node's
    attributes, with ``saved_tensors`` as Tensors joined to the graph (a saved input is
    that input; a saved output is a Tensor whose ``grad_fn`` is this very node)."""

    def __init__(self, node):
        self._node = node
        self.needs_input_grad = node.needs_input_grad

    def __getattr__(self, name):
        return getattr(self._node, name)

    @property
    def saved_tensors(self) -> tuple:
        node = self._node
        Tensor = function.Tensor
        saved = list(node.saved_tensors)  # raises if freed or changed in place
        joined = set()
        for k, source, _counter, _version in node._saved_versions:
            arr = saved[k]
            if source >= 0:
                parent = node.parents[source]
                if parent is None:
                    t = Tensor._make(arr)
                elif parent.__class__ is Context:
                    t = _graph_tensor(Tensor, arr, parent, node.input_meta[source][2])
                else:
                    t = parent  # the leaf itself
            else:
                t = _graph_tensor(Tensor, arr, node, -1 - source)
            saved[k] = t
            joined.add(k)
        for k, arr in enumerate(saved):
            if k not in joined and hasattr(arr, "shape") and not isinstance(arr, Tensor):
                saved[k] = Tensor._make(arr)  # computed inside forward: a constant here
        return tuple(saved)


def _graph_tensor(Tensor, arr, node, output_nr):
    t = Tensor._make(arr)
    t.requires_grad = True
    t.grad_fn = node
    t._output_nr = output_nr
    return t


def _as_tensor(g, Tensor):
    return g if isinstance(g, Tensor) else Tensor._make(g)


def _input_grad_tensor(g, shape, dtype, Tensor):
    """A gradient on its way to an input, on Tensors: summed over broadcast axes and cast to
    the input's dtype, both recorded (the array walk does the same inline)."""
    g = _as_tensor(g, Tensor)
    if g._data.shape != shape:
        g = sum_to_shape_tensor(g, shape)
    if g._data.dtype != dtype:
        g = g.to(backend_dtype(dtype))
    return g


def _deliver_hooked_graph(hooked, capture, Tensor):
    """``_deliver_hooked`` on Tensors."""
    for leaf, g in hooked.values():
        for hook in tuple((getattr(leaf, "_backward_hooks", None) or {}).values()):
            replaced = hook(g)
            if replaced is not None:
                g = replaced
        _deliver_graph(leaf, g, capture, None, None)
        for hook in tuple((getattr(leaf, "_post_accumulate_hooks", None) or {}).values()):
            hook(leaf)


def backend_dtype(np_dtype):
    from .. import backend

    return backend.dtype_of(np_dtype)


def _node_backward(node, grads, create_graph, Tensor):
    """One node's input gradients as a tuple: its ``tensor_backward`` on Tensors when a
    graph is wanted, else its array ``backward`` (whose results, under ``create_graph``,
    carry a node that refuses to be differentiated: the op is once-differentiable)."""
    fn = node.fn
    tensor_backward = fn.tensor_backward
    if create_graph and tensor_backward is not None:
        out = tensor_backward(TensorContext(node), *grads)
        return out if out.__class__ is tuple else (out,)
    arrays = [g if g is None else g._data for g in grads]
    with grad_mode.no_grad():
        out = fn.backward(node, *arrays)
    if out.__class__ is not tuple:
        out = (out,)
    out = tuple(None if g is None else (g if isinstance(g, Tensor) else Tensor._make(g))
                for g in out)
    if create_graph:
        from .function import OnceDifferentiable

        out = tuple(None if g is None else OnceDifferentiable.wrap(g, node) for g in out)
    return out


def _deliver_graph(leaf, g, capture, handed, hooked):
    """``_deliver`` on Tensors: ``leaf.grad`` is set out of place (a graph may hold it).
    ``handed`` is unused (only the array walk shares arrays)."""
    if hooked is not None and (getattr(leaf, "_backward_hooks", None)
                               or getattr(leaf, "_post_accumulate_hooks", None)):
        _hold_for_hooks(leaf, g, hooked)
        return
    if capture is not None:
        _capture(capture, leaf, g)
        return
    if g.requires_grad:  # create_graph: .grad is part of a graph, set out of place
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:  # a private copy: the optimizer updates .grad in place
        leaf.grad = function.Tensor._make(g._data.copy())
    else:
        leaf.grad._data += g._data


def _check_nan(node, in_grads):
    for i, g in enumerate(in_grads):
        if g is None:
            continue
        arr = g._data if hasattr(g, "_data") else g
        if getattr(arr, "dtype", None) is not None and arr.dtype.kind == "f" and \
                bool(function.array_module(arr).isnan(arr).any()):
            _print_forward_trace(node)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.")


def _print_forward_trace(node):
    trace = node.__dict__.get("_forward_trace")
    if trace:
        import warnings

        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                      f"caused the error:\n{trace}", stacklevel=3)
