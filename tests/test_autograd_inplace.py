"""In-place safety: version counters, PyTorch's errors, in-place ops recorded in the graph.

Each program is written once against ``lib`` and run on tinytorch; the reference is a
hand-derived gradient, and PyTorch (when installed) must agree on values or on the error
type and message.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt


def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as err:  # the error is what is compared
        return type(err).__name__, str(err)


def _leaf(lib, values=(0.5, -1.0, 2.0)):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


# each program returns x.grad as an array, or raises
def exp_then_add_(lib):
    x = _leaf(lib)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
    return x.grad.numpy()


def saved_input_changed(lib):
    x = _leaf(lib)
    a = x * 2
    b = a * a
    a.mul_(3)
    b.sum().backward()
    return x.grad.numpy()


def iadd_after_tanh(lib):
    x = _leaf(lib)
    a = x.tanh()
    a += 1
    a.sum().backward()
    return x.grad.numpy()


def mul_on_non_leaf(lib):
    x = _leaf(lib)
    a = x * 2
    a.mul_(x)  # d(2x * x)/dx = 4x: mul_ must keep a copy of a for x's gradient
    a.add_(1)
    a.sum().backward()
    return x.grad.numpy()


def leaf_in_place(lib):
    x = _leaf(lib)
    x.add_(1)


def view_of_leaf_in_place(lib):
    x = _leaf(lib)
    x[0:2].add_(1)


def setitem_in_graph(lib):
    x = _leaf(lib)
    a = x * 1
    a[1] = x[0] * 5
    (a * a).sum().backward()
    return x.grad.numpy()


def setitem_into_plain_tensor(lib):
    x = _leaf(lib)
    w = lib.zeros(3, dtype=lib.float64)
    w[0:2] = x[1:] ** 2
    w.sum().backward()
    return x.grad.numpy()


def clamp_(lib):
    x = _leaf(lib)
    a = x * 1
    a.clamp_(min=0)
    a.sum().backward()
    return x.grad.numpy()


def zero_(lib):
    x = _leaf(lib)
    a = x * 1
    a.zero_()
    (a + x).sum().backward()
    return x.grad.numpy()


def copy_(lib):
    x = _leaf(lib)
    a = lib.zeros(3, dtype=lib.float64)
    a.copy_(x * 2)
    a.sum().backward()
    return x.grad.numpy()


def masked_fill_(lib):
    x = _leaf(lib)
    a = x * 1
    a.masked_fill_(x > 0, 0.0)
    (a * x).sum().backward()
    return x.grad.numpy()


def fill_with_tensor(lib):
    x = _leaf(lib)
    a = lib.zeros(3, dtype=lib.float64)
    a.fill_(x[2] * 3)
    a.sum().backward()
    return x.grad.numpy()


def no_grad_update_then_backward(lib):
    """The docs/differences.md example: an optimizer-style update of a saved weight."""
    w = _leaf(lib)
    loss = (w * w).sum()
    with lib.no_grad():
        w.sub_(0.1 * w)
    loss.backward()
    return w.grad.numpy()


def view_sees_in_place_on_its_base(lib):
    """A view taken before an in-place op on its base gets a fresh grad_fn (PyTorch's)."""
    x = _leaf(lib, (1.0, 2.0, 3.0))
    b = x * 1
    v = b[0:2]
    w = v.view(2, 1)
    b.mul_(x)
    ((v * 1).sum() + w.sum() * 10).backward()
    return x.grad.numpy()


def chunk_parts_see_their_base(lib):
    """chunk's parts, one node for all: each part's gradient lands in its own slice, the part
    left unused gets zeros."""
    x = _leaf(lib, (1.0, 2.0, 3.0, 4.0, 5.0))
    first, second, _third = (x * 1).chunk(3)
    (10 * first.sum() + second.sum()).backward()
    return x.grad.numpy()


def split_parts_see_in_place_on_their_base(lib):
    """split's parts are views made by one node, which PyTorch refuses to rebase after an
    in-place op on their base: the backward through such a part raises."""
    x = _leaf(lib, (1.0, 2.0, 3.0, 4.0, 5.0))
    b = x * 1
    first, _middle, _last = b.split([2, 2, 1])
    b.mul_(x)
    (10 * first).sum().backward()
    return x.grad.numpy()


SAVED_CHANGED = "one of the variables needed for gradient computation has been modified by " \
                "an inplace operation"
PROGRAMS = [
    (exp_then_add_, SAVED_CHANGED),
    (saved_input_changed, SAVED_CHANGED),
    (iadd_after_tanh, SAVED_CHANGED),
    (no_grad_update_then_backward, SAVED_CHANGED),
    (leaf_in_place, "a leaf Variable that requires grad is being used in an in-place "
                    "operation."),
    (view_of_leaf_in_place, "a view of a leaf Variable that requires grad is being used in "
                            "an in-place operation."),
    (mul_on_non_leaf, np.array([2.0, -4.0, 8.0])),
    (setitem_in_graph, np.array([26.0, 0.0, 4.0])),
    (setitem_into_plain_tensor, np.array([0.0, -2.0, 4.0])),
    (clamp_, np.array([1.0, 0.0, 1.0])),
    (zero_, np.array([1.0, 1.0, 1.0])),
    (copy_, np.array([2.0, 2.0, 2.0])),
    (masked_fill_, np.array([0.0, -2.0, 0.0])),
    (fill_with_tensor, np.array([0.0, 0.0, 9.0])),
    (view_sees_in_place_on_its_base, np.array([22.0, 44.0, 0.0])),
    (split_parts_see_in_place_on_their_base,
     "Output 0 of SplitWithSizes is a view and its base or another view of its base has been "
     "modified inplace. This view is the output of a function that returns multiple views."),
    (chunk_parts_see_their_base, np.array([10.0, 10.0, 1.0, 1.0, 0.0])),
]


@pytest.mark.parametrize("program, expected", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_in_place_program(program, expected):
    kind, value = _outcome(lambda: program(tt))
    if isinstance(expected, str):
        assert kind == "RuntimeError", value
        assert value.startswith(expected), value
    else:
        assert kind == "ok", value
        np.testing.assert_allclose(value, expected)


@pytest.mark.parametrize("program, expected", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_in_place_program_matches_torch(program, expected):
    torch = pytest.importorskip("torch")
    ours, theirs = _outcome(lambda: program(tt)), _outcome(lambda: program(torch))
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        np.testing.assert_allclose(ours[1], theirs[1])
    else:
        # the same message, up to the framework's name and PyTorch's numbered node names
        assert ours[1].split(":")[0] == theirs[1].split(":")[0]


def test_error_names_the_tensor_the_op_and_both_versions():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError) as err:
        y.sum().backward()
    msg = str(err.value)
    assert "[tinytorch.FloatTensor [3]], which is output 0 of ExpBackward0, is at version 1; " \
           "expected version 0 instead. Hint:" in msg


def test_error_for_a_saved_leaf_says_no_producing_op():
    w = tt.ones(2, 3, dtype=tt.float64, requires_grad=True)
    loss = (w * w).sum()
    with tt.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[tinytorch.DoubleTensor \[2, 3\]\] is at version 1; "
                                           r"expected version 0"):
        loss.backward()


def test_version_counter_shared_by_views_and_detach_not_data():
    x = tt.zeros(3)
    v = x.view(3)
    row = x[1:]
    d = x.detach()
    assert x._version == 0
    x.add_(1)
    x[0] = 2.0
    v.mul_(2)
    assert x._version == v._version == row._version == d._version == 3
    assert x.data._version == 0  # PyTorch's .data shares storage, not the counter


def test_every_in_place_method_bumps_the_version():
    t = tt.ones(4)
    steps = [lambda: t.add_(1), lambda: t.sub_(1), lambda: t.mul_(2), lambda: t.div_(2),
             lambda: t.zero_(), lambda: t.fill_(3.0), lambda: t.copy_(tt.ones(4)),
             lambda: t.clamp_(0, 1), lambda: t.masked_fill_(t > 0, 0.0),
             lambda: t.__setitem__(0, 5.0)]
    for i, step in enumerate(steps, start=1):
        step()
        assert t._version == i
    t += 1
    t -= 1
    t *= 1
    t /= 1
    assert t._version == len(steps) + 4


def test_optimizer_step_bumps_parameter_versions():
    w = tt.nn.Parameter(tt.ones(3))
    opt = tt.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    assert w._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_in_place_on_a_view_in_the_graph_raises_clearly():
    """tinytorch does not rebase a base's grad_fn (PyTorch's CopySlices): it says so."""
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    with pytest.raises(RuntimeError, match="view .* does not rebase"):
        a[0:2].mul_(2)
    w = tt.zeros(3)
    with pytest.raises(RuntimeError, match="view"):
        w[0:2].copy_(x[:2])


def test_setitem_gradient_matches_composite_reference():
    """a[idx] = v is where(mask, v, a): the same gradients from small ops."""
    x = tt.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=tt.float64, requires_grad=True)
    v = tt.tensor([7.0, -1.0], dtype=tt.float64, requires_grad=True)
    a = x * x
    a[:, 1] = v * v
    (a * a).sum().backward()
    gx, gv = x.grad.numpy().copy(), v.grad.numpy().copy()
    x.grad = v.grad = None
    mask = tt.tensor([[False, True], [False, True]])
    b = tt.where(mask, (v * v).unsqueeze(1).expand(2, 2), x * x)
    (b * b).sum().backward()
    np.testing.assert_allclose(gx, x.grad.numpy())
    np.testing.assert_allclose(gv, v.grad.numpy())


def test_setitem_gradcheck():
    x = tt.randn(3, 4, dtype=tt.float64, requires_grad=True)
    v = tt.randn(2, 4, dtype=tt.float64, requires_grad=True)

    def f(x, v):
        a = x * 2  # (x.tanh() would save the output that the write changes)
        a[tt.tensor([0, 2])] = v
        return a * x

    assert tt.autograd.gradcheck(f, (x, v))
    assert tt.autograd.gradgradcheck(f, (x, v))


def test_in_place_under_no_grad_is_not_recorded():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    with tt.no_grad():
        a.add_(1)
    assert a.grad_fn.name() == "MulBackward0"
    a.sum().backward()  # Mul's gradient for x does not need a's values
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_inplace_shape_methods_keep_memory_and_the_graph():
    """unsqueeze_/squeeze_/t_/transpose_/swapdims_/swapaxes_: same memory, new shape; a
    non-leaf takes the view's place in the graph; a leaf that requires grad refuses."""
    a = tt.arange(6.0).reshape(2, 3)
    storage = a.data
    assert a.unsqueeze_(0) is a and a.shape == (1, 2, 3)
    a.squeeze_().t_()
    assert a.shape == (3, 2)
    a[0, 1] = 7.0  # still the same memory
    assert storage[1, 0].item() == 7.0
    assert a.transpose_(0, 1).swapdims_(0, 1).swapaxes_(1, 0).shape == (2, 3)
    x = tt.randn(2, 3, requires_grad=True)
    y = x * 2
    y.unsqueeze_(1)
    (y * tt.arange(3.0)).sum().backward()
    assert y.shape == (2, 1, 3)
    np.testing.assert_allclose(x.grad.numpy(), np.tile([0.0, 2.0, 4.0], (2, 1)))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.unsqueeze_(0)


def test_registering_many_live_views_is_linear(monkeypatch):
    """A root remembers its views (weak references) to regenerate them after an in-place
    op, and prunes the dead ones now and then. With every view alive (a sequence's time
    steps sliced from one input) the pruning must stay amortised: counted in reads of the
    weak references, not in time. It was a scan of the whole list at every view past 64."""
    import weakref

    from tinytorch.autograd import function

    reads = [0]

    class CountingRef(weakref.ref):
        def __call__(self):
            reads[0] += 1
            return super().__call__()

    monkeypatch.setattr(function.weakref, "ref", CountingRef)
    x = tt.randn(3, 2000)
    steps = [x[:, i] for i in range(2000)]
    assert len(x._views) == 2000
    assert reads[0] < 5 * 2000  # 2 * 2000 at most; the per-view scan read ~3.9 million
    del steps
    more = x[:, :1]
    for _ in range(2048 - 2000 - 1):  # temporaries, dead at once: 2048 entries now
        x[:, :1]
    x[:, :1]  # the next view prunes: the live one is kept, this one's entry added
    assert len(x._views) == 2 and x._views[0]() is more
