"""Reverse-mode differentiation: walk the graph backward in topological order.

The walk is iterative (no recursion, so a chain of 100,000 ops is fine): count how many
consumers each node has, then run a node's backward only once every consumer has sent
its gradient (Kahn's algorithm). Gradients that arrive at a leaf are summed into
``leaf.grad``; broadcasting done in forward is undone by ``sum_to_shape``.
"""

from __future__ import annotations

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
        for parent in pop().next_functions:
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


def run_backward(tensors, grad_tensors, retain_graph=False, inputs=None):
    """Backpropagate ``grad_tensors`` from ``tensors``.

    Without ``inputs`` gradients accumulate into the ``.grad`` of the leaves (and of
    non-leaves that called ``retain_grad``). With ``inputs`` (``autograd.grad``) nothing is
    accumulated and the gradients of those tensors are returned instead.
    """
    Tensor = function.Tensor
    capture = None
    if inputs is not None:
        capture = {id(t): None for t in inputs}
    buffers = {}  # node -> list of grads, one per output
    roots = []
    handed = set()  # ids of arrays stored as-is somewhere: reuse needs a copy
    for t, g in zip(tensors, grad_tensors):
        handed.add(id(g))
        if t.grad_fn is None:
            # the root is a leaf itself: its gradient is the seed
            _deliver(t, g, capture, handed)
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
    with grad_mode.no_grad():
        while ready:
            node = pop_ready()
            grads = buffers.pop(node)
            if node._released:
                raise RuntimeError(_SECOND_BACKWARD)
            if node.retained:
                _retain_output_grads(node, grads, capture)
            if node.num_outputs > 1 and any(g is None for g in grads):
                grads = _fill_zeros(node, grads)
            in_grads = node.fn.backward(node, *grads)
            if in_grads.__class__ is not tuple:
                in_grads = (in_grads,)
            parents = node.next_functions
            if len(in_grads) < len(parents):
                raise RuntimeError(
                    f"{node.fn.__name__}.backward returned {len(in_grads)} gradients, "
                    f"expected {len(parents)} (one per forward input)")
            if not retain_graph:
                node.release()
            for parent, g, meta in zip(parents, in_grads, node.input_meta):
                if parent is None or g is None:
                    continue
                if isinstance(g, Tensor):
                    g = g._data
                shape, dtype, nr = meta
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
                    _deliver(parent, g, capture, handed)
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
        if t.grad is None:
            t.grad = function.Tensor._make(grads[i].copy())
        else:
            t.grad._data = t.grad._data + grads[i]


def _deliver(leaf, g, capture, handed):
    """Accumulate a gradient into a leaf (or capture it for ``autograd.grad``)."""
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
