"""The engine: order, accumulation, graph lifetime, grad modes and custom Functions."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from toy_functions import Cube

import tinytorch as tt
from tinytorch.autograd import Function, gradcheck


def leaf(values, device="cpu", dtype=None):
    return tt.tensor(values, dtype=dtype or tt.float64, device=device, requires_grad=True)


@pytest.mark.assignment2
def test_long_chain_backpropagates_without_recursion(device):
    x = leaf([1.0, 2.0], device)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), 1.0001 ** 10_000, rtol=1e-9)


@pytest.mark.assignment2
def test_shared_node_counts_every_path(device):
    """y = x*x + x*x uses x four times; a recursive engine double-visits shared nodes."""
    x = leaf([3.0], device)
    a = x * x
    y = a + a
    y.backward(tt.ones_like(y))
    assert x.grad.item() == pytest.approx(4 * 3.0)


@pytest.mark.assignment2
def test_diamond_graph_waits_for_all_consumers(device):
    x = leaf([2.0], device)
    h = x.exp()
    y = h.sin() + h.cos() * h
    y.sum().backward()
    e = np.exp(2.0)
    expected = (np.cos(e) - np.sin(e) * e + np.cos(e)) * e
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.assignment2
def test_gradients_accumulate_across_backward_calls(device):
    x = leaf([1.0, -2.0], device)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [3 + 2 * 1.0, 3 + 2 * -2.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [3.0, 3.0])


@pytest.mark.assignment2
def test_leaf_grad_is_not_aliased_with_the_seed(device):
    """The first gradient stored in .grad must be a private array: later in-place
    accumulation must not write into another leaf's gradient or the caller's seed."""
    a = leaf([1.0, 2.0], device)
    b = leaf([3.0, 4.0], device)
    seed = tt.tensor([1.0, 1.0], dtype=tt.float64, device=device)
    (a + b).backward(seed)
    a.grad += 1  # under no requires_grad: plain in-place update
    np.testing.assert_array_equal(b.grad.cpu().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(seed.cpu().numpy(), [1.0, 1.0])


@pytest.mark.assignment2
def test_retain_graph_allows_a_second_backward(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [4.0, 8.0])


def test_second_backward_without_retain_graph_raises(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_saved_arrays_are_freed_after_backward(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    node = y.grad_fn
    saved = weakref.ref(node.saved_tensors[0])
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        _ = node.saved_tensors
    assert node._saved == ()
    # exp saved its own output: y still holds it; once y goes, nothing may
    del y
    gc.collect()
    assert saved() is None


def test_no_reference_cycles_keep_graph_arrays_alive(device):
    """Dropping the outputs frees the graph by reference counting alone (no gc needed)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = leaf(np.ones(3), device)
        h = x * 2.0
        y = (h.exp() * h).sum()
        saved_ref = weakref.ref(y.grad_fn.parents[0].saved_tensors[0])
        node_ref = weakref.ref(y.grad_fn)
        del h, y
        assert node_ref() is None
        assert saved_ref() is None
    finally:
        if was_enabled:
            gc.enable()


def test_no_grad_records_nothing_and_restores(device):
    x = leaf([1.0], device)
    with tt.no_grad():
        y = x * 2
        assert not tt.is_grad_enabled()
    assert tt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_and_enable_grad_as_decorators(device):
    x = leaf([1.0], device)

    @tt.no_grad()
    def frozen(t):
        return t * 2

    @tt.enable_grad()
    def tracked(t):
        return t * 2

    assert not frozen(x).requires_grad
    with tt.no_grad():
        assert tracked(x).requires_grad
        assert not tt.is_grad_enabled()
    assert tt.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_set_grad_enabled(device):
    x = leaf([1.0], device)
    with tt.no_grad():
        with tt.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with tt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_grad_mode_restored_after_exception(device):
    with pytest.raises(ValueError):
        with tt.no_grad():
            raise ValueError("boom")
    assert tt.is_grad_enabled()


@pytest.mark.assignment2
def test_non_scalar_backward_with_gradient(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * x
    y.backward(tt.tensor([1.0, 0.5, -1.0], dtype=tt.float64, device=device))
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 2.0, -6.0])


def test_integer_inputs_get_no_gradient(device):
    x = leaf([1.0, 2.0], device)
    idx = tt.tensor([1, 0], device=device)
    y = (x * idx).sum()
    y.backward()
    assert idx.grad is None and not idx.requires_grad
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0, 0.0])


def test_integer_tensor_cannot_require_grad(device):
    with pytest.raises(RuntimeError, match="floating point"):
        tt.tensor([1, 2], device=device).requires_grad_()


def test_float32_leaf_gets_float32_grad_when_mixed_with_float64(device):
    a = tt.tensor([1.0, 2.0], dtype=tt.float32, device=device, requires_grad=True)
    b = leaf([3.0, 4.0], device)
    (a * b).sum().backward()
    assert a.grad.dtype == tt.float32 and b.grad.dtype == tt.float64


def test_non_leaf_grads_are_not_kept_unless_retained(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    k = x * 3
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad.cpu().numpy(), h.detach().cpu().numpy())
    assert h.is_leaf is False and x.is_leaf is True


def test_grad_fn_introspection(device):
    x = leaf([1.0], device)
    y = x.exp() * 2
    assert x.grad_fn is None
    assert y.grad_fn.name() == "MulBackward0"
    parents = y.grad_fn.parents  # the engine's edges: producing node, leaf or None
    assert parents[0].name() == "ExpBackward0" and parents[1] is None
    assert parents[0].parents[0] is x
    # PyTorch's form, as its tutorials print it: (node, output index); a leaf's node is an
    # AccumulateGrad whose .variable is the leaf; a constant is (None, 0)
    edges = y.grad_fn.next_functions
    assert edges[0] == (parents[0], 0) and edges[1] == (None, 0)
    accumulate = edges[0][0].next_functions[0][0]
    assert accumulate.name() == "AccumulateGrad" and accumulate.variable is x
    assert accumulate.next_functions == ()


def test_split_and_chunk_parts_share_one_node_named_as_pytorch():
    x = tt.ones(4, requires_grad=True) * 1
    parts = x.chunk(2)
    assert parts[0].grad_fn is parts[1].grad_fn
    assert parts[0].grad_fn.name() == "SplitBackward0"  # chunk splits by a size, as PyTorch
    assert [p._output_nr for p in parts] == [0, 1]
    assert x.split([1, 3])[1].grad_fn.name() == "SplitWithSizesBackward0"


@pytest.mark.assignment2
def test_autograd_grad_returns_without_accumulating(device):
    x = leaf([1.0, 2.0], device)
    (gx,) = tt.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(gx.cpu().numpy(), [3.0, 12.0])
    assert x.grad is None


def test_detach_cuts_the_graph(device):
    x = leaf([2.0], device)
    y = x * x.detach()
    y.backward()
    assert x.grad.item() == 2.0


class ScaledAdd(Function):
    """out = a + alpha * b;  records which inputs needed a gradient"""

    calls: list = []

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a + alpha * b

    @staticmethod
    def backward(ctx, grad):
        ScaledAdd.calls.append(ctx.needs_input_grad)
        need_a, need_b, _ = ctx.needs_input_grad
        return (grad if need_a else None), (ctx.alpha * grad if need_b else None), None


def test_custom_function_apply_and_gradcheck(device):
    x = leaf([0.5, -1.5, 2.0], device)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    np.testing.assert_allclose(y.detach().cpu().numpy(), [0.125, -3.375, 8.0])
    assert gradcheck(Cube.apply, (leaf([0.3, -0.7], device),))


def test_custom_function_needs_input_grad_and_non_tensor_args(device):
    ScaledAdd.calls.clear()
    a = leaf([1.0, 2.0], device)
    b = tt.tensor([3.0, 4.0], dtype=tt.float64, device=device)  # no grad needed
    out = ScaledAdd.apply(a, b, 2.0)
    out.sum().backward()
    assert ScaledAdd.calls == [(True, False, False)]
    np.testing.assert_allclose(out.detach().cpu().numpy(), [7.0, 10.0])
    np.testing.assert_allclose(a.grad.cpu().numpy(), [1.0, 1.0])
    assert b.grad is None


def test_custom_function_under_no_grad_records_nothing(device):
    with tt.no_grad():
        y = Cube.apply(leaf([1.0], device))
    assert y.grad_fn is None and not y.requires_grad


def test_custom_function_wrong_gradient_count_is_reported(device):
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    with pytest.raises(RuntimeError, match="returned 1 gradients, expected 2"):
        Bad.apply(leaf([1.0], device), leaf([2.0], device)).backward()


def test_custom_function_wrong_gradient_shape_is_reported(device):
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.reshape(-1)[:1]

    with pytest.raises(RuntimeError, match=r"\(1,\).*\(2, 2\)"):
        BadShape.apply(leaf(np.ones((2, 2)), device)).sum().backward()


def test_backward_inputs_limits_accumulation(device):
    a = leaf([1.0, 2.0], device)
    b = leaf([3.0, 4.0], device)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.cpu().numpy(), [3.0, 4.0])
    (a * b).sum().backward(inputs=a)
    np.testing.assert_allclose(a.grad.cpu().numpy(), [6.0, 8.0])
