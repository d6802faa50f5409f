"""Tensor hooks and module hooks, against hand-computed values and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt


def _both(program):
    """``program(tt)`` and, when torch is installed, ``program(torch)``."""
    ours = program(tt)
    torch = pytest.importorskip("torch")
    return ours, program(torch)


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   rtol=1e-12, atol=1e-12)


def tensor_hooks(lib):
    x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    x.register_hook(lambda g: g * 10)  # replaces the gradient x accumulates
    y = x * x
    y.register_hook(lambda g: g + 1)  # a non-leaf: changes what flows on
    y.retain_grad()
    (y * 3).sum().backward()
    return [seen[0], x.grad.numpy(), y.grad.numpy()]


def test_tensor_hooks_replace_and_observe():
    ours = tensor_hooks(tt)
    # y.grad is the hooked value 3 + 1; x.grad = 10 * (4 * 2x)
    _assert_same(ours, [[8.0, -16.0, 24.0], [80.0, -160.0, 240.0], [4.0, 4.0, 4.0]])


def test_tensor_hooks_match_torch():
    _assert_same(*_both(tensor_hooks))


def leaf_hook_sees_the_summed_gradient(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    (x * 2 + x * 3).sum().backward()
    return [np.array(len(seen)), seen[0], x.grad.numpy()]


def test_leaf_hook_runs_once_on_the_total():
    ours, theirs = _both(leaf_hook_sees_the_summed_gradient)
    _assert_same(ours, [1, [5.0, 5.0], [5.0, 5.0]])
    _assert_same(ours, theirs)


def removed_hooks(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    y = x * 2
    h2 = y.register_hook(lambda g: g * 100)
    h2.remove()
    y.sum().backward()
    return [x.grad.numpy()]


def test_removed_hooks_do_nothing():
    ours, theirs = _both(removed_hooks)
    _assert_same(ours, [[2.0, 2.0]])
    _assert_same(ours, theirs)


def post_accumulate(lib):
    w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    calls = []

    def clip_after(t):
        calls.append(t.grad.detach().numpy().copy())
        with lib.no_grad():
            t.grad.clamp_(max=3.0)

    w.register_post_accumulate_grad_hook(clip_after)
    (w * w * w).sum().backward()
    return [calls[0], w.grad.numpy()]


def test_post_accumulate_grad_hook():
    ours, theirs = _both(post_accumulate)
    _assert_same(ours, [[3.0, 12.0], [3.0, 3.0]])
    _assert_same(ours, theirs)


def test_hook_errors_match_torch():
    x = tt.ones(2)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        x.register_hook(lambda g: g)
    y = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.register_post_accumulate_grad_hook(lambda t: None)


def test_hooks_on_autograd_grad_inputs():
    x = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    x.register_hook(lambda g: g * 2)
    (g,) = tt.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [4.0, 8.0])


def test_handle_as_context_manager():
    x = tt.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 5):
        pass
    (x * 1).sum().backward()
    assert x.grad.item() == 1.0


# ---------------------------------------------------------------------- module hooks
def module_hooks(lib):
    lin = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 7, dtype=lib.float64))
        lin.bias.copy_(lib.tensor([0.1, -0.2], dtype=lib.float64))
    seen = {}
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    handle = lin.register_forward_hook(lambda m, args, out: out + 1)

    def backward_pre_hook(m, grad_output):
        seen["grad_output"] = grad_output[0].detach().numpy().copy()

    lin.register_full_backward_pre_hook(backward_pre_hook)

    def backward_hook(m, grad_input, grad_output):
        seen["grad_input"] = grad_input[0].detach().numpy().copy()
        return (grad_input[0] * 3,)

    lin.register_full_backward_hook(backward_hook)
    x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=lib.float64, requires_grad=True)
    y = lin(x)
    (y * y).sum().backward()
    handle.remove()
    y2 = lin(x)
    return [y.detach().numpy(), y2.detach().numpy(), x.grad.numpy(), lin.weight.grad.numpy(),
            seen["grad_output"], seen["grad_input"]]


def test_module_hooks_match_a_hand_computation():
    y, y2, gx, gw, gout, gin = module_hooks(tt)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    w, b = np.arange(6.0).reshape(2, 3) / 7, np.array([0.1, -0.2])
    lin = 2 * x @ w.T + b
    np.testing.assert_allclose(y, lin + 1)
    np.testing.assert_allclose(y2, lin)
    np.testing.assert_allclose(gout, 2 * (lin + 1))
    np.testing.assert_allclose(gin, 2 * (lin + 1) @ w)  # w.r.t. the (doubled) input
    np.testing.assert_allclose(gx, 2 * 3 * gin)  # tripled by the hook, doubled by the pre-hook
    np.testing.assert_allclose(gw, (2 * (lin + 1)).T @ (2 * x))


def test_module_hooks_match_torch():
    _assert_same(*_both(module_hooks))


def kwargs_hooks(lib):
    class Scale(lib.nn.Module):
        def forward(self, x, *, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["factor"],
                            with_kwargs=True)
    return [m(lib.ones(2, dtype=lib.float64), factor=2.0).numpy()]


def test_forward_hooks_with_kwargs():
    ours, theirs = _both(kwargs_hooks)
    _assert_same(ours, [[6.0, 6.0]])
    _assert_same(ours, theirs)


def test_backward_hook_when_no_input_needs_grad():
    lin = tt.nn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    lin(tt.ones(3, 2)).sum().backward()
    (grad_input, grad_output), = seen
    assert grad_input == (None,)
    assert grad_output[0].shape == (3, 1)


def test_forward_hook_always_call_and_global_hooks():
    from tinytorch.nn.module import register_module_forward_hook

    class Boom(tt.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
    with pytest.raises(ValueError):
        m(tt.ones(1))
    assert calls == [None]
    names = []
    handle = register_module_forward_hook(lambda mod, args, out: names.append(type(mod).__name__))
    try:
        tt.nn.Sequential(tt.nn.Linear(2, 2), tt.nn.ReLU())(tt.ones(1, 2))
    finally:
        handle.remove()
    assert names == ["Linear", "ReLU", "Sequential"]
    tt.nn.Linear(2, 2)(tt.ones(1, 2))
    assert len(names) == 3
