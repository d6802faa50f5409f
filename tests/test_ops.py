"""Properties of particular ops, and regression tests of their edge cases.

The op-by-op checks (gradcheck, references, PyTorch, layouts, variants, errors) are
generated from ``tinytorch.testing.op_db`` in tests/test_op_db.py; the input strategies
used here are the table's own (``tinytorch.testing.samples``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch.testing import arrays, broadcastable_shapes, noncontiguous, shapes
from tinytorch.testing.samples import (
    basic_index_inputs,
    matmul_inputs,
    reshape_inputs,
    split_inputs,
    transpose_inputs,
    triangle_inputs,
    unary,
    with_dim,
)

# ------------------------------------------------------------------ properties

def _pair(shape_a, shape_b, low=-3.0, high=3.0):
    return st.tuples(arrays(shape_a, tt.float64, low, high), arrays(shape_b, tt.float64, low,
                                                                     high))


@given(data=st.data())
def test_add_then_sub_is_identity(data, device):
    sa, sb = data.draw(broadcastable_shapes(2))
    a, b = data.draw(_pair(sa, sb))
    # rounding of a + b loses at most an ulp of max(|a|, |b|) <= 3
    ta, tb = tt.tensor(a, device=device), tt.tensor(b, device=device)
    out = ((ta + tb) - tb).cpu().numpy()
    np.testing.assert_allclose(out, np.broadcast_to(a, out.shape), rtol=0, atol=1e-14)


@given(data=st.data())
def test_transpose_twice_is_identity(data, device):
    (x,), kw = data.draw(transpose_inputs())
    t = tt.tensor(x, device=device)
    back = t.transpose(kw["dim0"], kw["dim1"]).transpose(kw["dim0"], kw["dim1"])
    assert back.shape == t.shape
    np.testing.assert_array_equal(back.cpu().numpy(), x)


@pytest.mark.assignment4
@given(data=st.data())
def test_softmax_gradients_sum_to_zero(data, device):
    """softmax rows sum to 1, so any upstream gradient's projection sums to 0 along dim."""
    (x,), kw = data.draw(with_dim(low=-5, high=5))
    g = data.draw(arrays(x.shape, tt.float64))
    t = tt.tensor(x, device=device, requires_grad=True)
    y = t.softmax(kw["dim"])
    np.testing.assert_allclose(y.sum(kw["dim"]).detach().cpu().numpy(), 1.0, rtol=1e-12)
    y.backward(tt.tensor(g, device=device))
    np.testing.assert_allclose(t.grad.sum(kw["dim"]).cpu().numpy(), 0.0, atol=1e-12)


@given(data=st.data())
def test_log_softmax_is_log_of_softmax(data, device):
    (x,), kw = data.draw(with_dim(low=-5, high=5))
    t = tt.tensor(x, device=device)
    np.testing.assert_allclose(t.log_softmax(kw["dim"]).cpu().numpy(),
                               np.log(t.softmax(kw["dim"]).cpu().numpy()), atol=1e-12)


@pytest.mark.assignment3
@given(data=st.data())
def test_sum_gradient_is_ones_and_mean_is_one_over_n(data, device):
    (x,), _ = data.draw(unary(min_size=1))
    t = tt.tensor(x, device=device, requires_grad=True)
    t.sum().backward()
    np.testing.assert_array_equal(t.grad.cpu().numpy(), np.ones_like(x))
    t.grad = None
    t.mean().backward()
    np.testing.assert_allclose(t.grad.cpu().numpy(), np.full_like(x, 1 / x.size))


@pytest.mark.assignment2
@given(data=st.data())
def test_broadcast_gradient_sums_to_input_shape(data, device):
    """d(sum(a + b))/db counts how many times each b element was broadcast."""
    sa, sb = data.draw(broadcastable_shapes(2))
    a, b = data.draw(_pair(sa, sb))
    ta = tt.tensor(a, device=device, requires_grad=True)
    tb = tt.tensor(b, device=device, requires_grad=True)
    (ta + tb).sum().backward()
    out_size = int(np.prod(np.broadcast_shapes(sa, sb)))
    assert tuple(tb.grad.shape) == sb and tuple(ta.grad.shape) == sa
    np.testing.assert_array_equal(tb.grad.cpu().numpy(), np.full(sb, out_size / max(b.size, 1)))


@pytest.mark.assignment1
@given(data=st.data())
def test_reshape_roundtrip_and_view_shares_memory(data, device):
    (x,), kw = data.draw(reshape_inputs())
    t = tt.tensor(x, device=device)
    v = t.view(kw["shape"])
    assert v.reshape(t.shape).equal(t)
    v.data[...] = 7.0  # a view: writes show through
    assert bool((t == 7.0).all())


@given(data=st.data())
def test_split_then_cat_is_identity(data, device):
    (x,), kw = data.draw(split_inputs())
    t = tt.tensor(x, device=device)
    parts = t.split(kw["split_size_or_sections"], kw["dim"])
    assert tt.cat(parts, kw["dim"]).equal(t)


@pytest.mark.assignment1
@given(data=st.data())
def test_matmul_matches_sum_of_products(data, device):
    (a, b), _ = data.draw(matmul_inputs())
    out = (tt.tensor(a, device=device) @ tt.tensor(b, device=device)).cpu().numpy()
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_setitem_matches_numpy(data, device):
    """setitem on a tensor that does not require grad writes like NumPy (and torch)."""
    (x,), kw = data.draw(basic_index_inputs())
    t = tt.tensor(x, device=device)
    t[kw["index"]] = -9.0
    expected = x.copy()
    expected[kw["index"]] = -9.0
    np.testing.assert_array_equal(t.cpu().numpy(), expected)


@given(data=st.data())
def test_tril_plus_strict_triu_is_whole(data, device):
    (x,), kw = data.draw(triangle_inputs())
    t = tt.tensor(x, device=device)
    k = kw["diagonal"]
    assert (t.tril(k) + t.triu(k + 1)).equal(t)


# ------------------------------------------------------------------ the strategies themselves

@given(data=st.data())
def test_noncontiguous_strategy_gives_equal_strided_views(data, device):
    (x,), _ = data.draw(unary(min_dims=1))
    t = tt.tensor(x, device=device, requires_grad=True)
    view = data.draw(noncontiguous(t))
    assert view.shape == t.shape and view.dtype == t.dtype and view.requires_grad
    np.testing.assert_array_equal(view.detach().cpu().numpy(), x)
    if x.size > 1 and max(x.shape) > 1:
        assert not view.is_contiguous() or view._data.base is not None


@given(data=st.data())
def test_broadcastable_shapes_broadcast(data):
    n = data.draw(st.integers(1, 4))
    shapes_ = data.draw(broadcastable_shapes(n, max_dims=4))
    assert len(shapes_) == n
    np.broadcast_shapes(*shapes_)  # raises if they do not broadcast


@given(data=st.data())
def test_tensors_strategy_respects_bounds_and_dtype(data):
    from tinytorch.testing import tensors

    low, high = data.draw(st.sampled_from([(-1.0, 1.0), (0.5, 2.0)]))
    dtype = data.draw(st.sampled_from([tt.float32, tt.float64]))
    t = data.draw(tensors(shapes(max_dims=2), dtype=dtype, low=low, high=high,
                          requires_grad=True))
    assert t.dtype == dtype and t.requires_grad
    values = t.detach().numpy()
    assert np.isfinite(values).all() and (values >= low).all() and (values <= high).all()


@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": 0, "keepdim": True},
                                    {"correction": 0}])
def test_std_of_a_constant_has_zero_gradient_like_torch(kwargs):
    # sqrt's derivative is infinite at 0; PyTorch defines std's gradient there as 0
    a = tt.tensor([0.25, 0.25, 0.25], dtype=tt.float64, requires_grad=True)
    out = a.std(**kwargs)
    assert np.all(out.detach().numpy() == 0)
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ prod and zero_ (issue 10)

@pytest.mark.parametrize("values,product,grad", [
    ([-2.0, 3.0], -6.0, [3.0, -2.0]),  # exp(sum(log)) gave NaN for a negative entry
    ([0.0, 3.0, 4.0], 0.0, [12.0, 0.0, 0.0]),  # at a zero: the exact product of the others
    ([0.0, 0.0, 2.0], 0.0, [0.0, 0.0, 0.0]),
])
def test_prod_and_its_gradient_are_exact(values, product, grad, device):
    a = tt.tensor(values, dtype=tt.float64, device=device, requires_grad=True)
    out = a.prod()
    out.backward()
    assert out.item() == product and a.grad.tolist() == grad


def test_zero_fills_nan_and_inf(device):
    t = tt.tensor([math.nan, math.inf, -1.0], device=device)
    assert t.zero_().tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ edge shapes (issue 19)

def _quiet(fn):
    """Run ``fn`` with every warning an error: NumPy's RuntimeWarnings must not escape."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize("name,fn,shape", [
    ("max(dim=1) of (0, 3)", lambda d: tt.zeros(0, 3, device=d).max(dim=1).values, (0,)),
    ("logsumexp over an empty dim", lambda d: tt.zeros(2, 0, device=d).logsumexp(1), (2,)),
    ("0-d softmax(dim=0)", lambda d: tt.tensor(1.0, device=d).softmax(0), ()),
    ("0-d max(dim=0)", lambda d: tt.tensor(1.0, device=d).max(dim=0).values, ()),
    ("0-d transpose(0, 0)", lambda d: tt.tensor(1.0, device=d).transpose(0, 0), ()),
    ("layer_norm over a 0-size dim", lambda d: F.layer_norm(tt.zeros(2, 0, device=d), (0,)),
     (2, 0)),
    ("attention with 0 keys", lambda d: F.scaled_dot_product_attention(
        tt.ones(1, 2, 4, device=d), tt.ones(1, 0, 4, device=d), tt.ones(1, 0, 4, device=d)),
     (1, 2, 4)),
    ("MultiheadAttention on an empty sequence", lambda d: tt.nn.MultiheadAttention(
        4, 2, batch_first=True).to(d)(*(tt.ones(1, 0, 4, device=d),) * 3)[0], (1, 0, 4)),
    ("gelu of a 0-d tensor", lambda d: F.gelu(tt.tensor(0.5, device=d)), ()),
])
def test_edge_shapes_give_pytorchs_result(name, fn, shape, device):
    out = _quiet(lambda: fn(device))
    assert tuple(out.shape) == shape, name


def test_edge_values_match_torch():
    torch = pytest.importorskip("torch")
    assert tt.zeros(2, 0).logsumexp(1).tolist() == torch.zeros(2, 0).logsumexp(1).tolist()
    q = np.ones((1, 2, 4))
    ours = F.scaled_dot_product_attention(tt.tensor(q), tt.ones(1, 0, 4, dtype=tt.float64),
                                          tt.ones(1, 0, 4, dtype=tt.float64))
    theirs = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.ones(1, 0, 4, dtype=torch.float64),
        torch.ones(1, 0, 4, dtype=torch.float64))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name,fn", [
    ("log(0)", lambda d: tt.tensor([0.0], device=d).log()),
    ("0 / 0", lambda d: tt.tensor([0.0], device=d) / tt.tensor([0.0], device=d)),
    ("1 / tiny", lambda d: 1 / tt.tensor([1e-310], dtype=tt.float64, device=d)),
    ("mean of an empty tensor", lambda d: tt.zeros(0, device=d).mean()),
    ("softmax of 3e38 logits", lambda d: tt.tensor([3e38, -3e38], device=d).softmax(0)),
    ("layer_norm of inf", lambda d: F.layer_norm(tt.tensor([[math.inf, 1.0]], device=d),
                                                 (2,))),
])
def test_no_numpy_runtime_warning_reaches_the_user(name, fn, device):
    _quiet(lambda: fn(device))


def test_linear_refuses_what_pytorch_refuses(device):
    layer = tt.nn.Linear(2, 3).to(device)
    with pytest.raises(RuntimeError, match="at least 1D"):
        layer(tt.tensor(1.0, device=device))
    for bad in (tt.tensor([[1, 2]], device=device),
                tt.tensor([[1.0, 2.0]], dtype=tt.float64, device=device)):
        with pytest.raises(RuntimeError, match="same dtype"):
            layer(bad)


def test_cross_entropy_refuses_int32_targets(device):
    with pytest.raises(RuntimeError, match="int64"):
        F.cross_entropy(tt.ones(2, 3, device=device), tt.tensor([0, 1], dtype=tt.int32,
                                                                 device=device))


def test_cross_entropy_with_every_target_ignored_has_zero_gradient(device):
    x = tt.randn(2, 3, device=device, requires_grad=True)
    loss = _quiet(lambda: F.cross_entropy(x, tt.tensor([-100, -100], device=device)))
    assert math.isnan(loss.item())  # the mean over no targets, as in PyTorch
    _quiet(loss.backward)
    assert x.grad.tolist() == [[0.0] * 3] * 2


def test_second_backward_through_a_graph_that_saved_nothing(device):
    x = tt.ones(3, device=device, requires_grad=True)
    y = (x * 2).sum()  # mul by a constant keeps no array for backward
    y.backward()
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_gather_out_of_range_names_the_index_and_size(device):
    with pytest.raises(RuntimeError, match="index 7 is out of bounds for dimension 1 with "
                                           "size 4"):
        tt.ones(2, 4, device=device).gather(1, tt.tensor([[7]], device=device))


def test_generate_with_top_k_zero_keeps_every_token():
    from tinytorch.models.gpt import GPT, GPTConfig

    tt.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=4))
    out = model.generate(tt.zeros(1, 1, dtype=tt.int64), max_new_tokens=3, top_k=0)
    assert tuple(out.shape) == (1, 4)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(tt.zeros(1, 1, dtype=tt.int64), max_new_tokens=1, top_k=-1)
