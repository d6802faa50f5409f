"""Course assignment 10: the LSTM cell, one step forward and backward, and the textbook layer
that steps it through time (``tinytorch/ops/rnn.py``; docs/course/10-rnn.md).

The graded tests compare with references that are not PyTorch: the equations written
again in NumPy, the same step built from small tinytorch ops (its gradients from autograd),
and float64 finite differences. The fused fast path ``FusedLSTMLayer`` (what ``nn.LSTM``
runs) is checked against the textbook one; PyTorch, when installed, is one more check.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
from tinytorch import backend
from tinytorch.autograd import gradcheck
from tinytorch.ops import rnn as R
from tinytorch.testing import assert_fast_path_matches


def _rng(seed):
    return np.random.default_rng(seed)


def _cell_arrays(rng, n=3, n_in=2, hid=4, proj=None, bias=True):
    """x, h, c, W_ih, W_hh, b_ih, b_hh of one step (float64; h has ``proj`` columns)."""
    p = hid if proj is None else proj
    shapes = [(n, n_in), (n, p), (n, hid), (4 * hid, n_in), (4 * hid, p)]
    arrays = [rng.standard_normal(s) for s in shapes]
    return arrays + ([rng.standard_normal(4 * hid), rng.standard_normal(4 * hid)] if bias
                     else [None, None])


# ----------------------------------------------------------------------------- references

def numpy_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """The LSTM equations, one step, in NumPy: (h', c')."""
    hid = c.shape[1]
    a = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        a = a + b_ih + b_hh
    gate = [a[:, k * hid:(k + 1) * hid] for k in range(4)]
    i, f, o = (1 / (1 + np.exp(-gate[k])) for k in (0, 1, 3))
    c_next = f * c + i * np.tanh(gate[2])
    return o * np.tanh(c_next), c_next


def numpy_sequence(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None, mask=None, reverse=False):
    """``numpy_step`` over time, with the projection, the mask and the direction of
    ``nn.LSTM``: (outputs, h_T, c_T)."""
    out = np.zeros(x.shape[:2] + (h.shape[1],))
    order = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in order:
        h_t, c_t = numpy_step(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        if w_hr is not None:
            h_t = h_t @ w_hr.T
        keep = np.ones((x.shape[1], 1)) if mask is None else mask[t]
        out[t] = keep * h_t
        h, c = np.where(keep > 0, h_t, h), np.where(keep > 0, c_t, c)
    return out, h, c


def composite_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """The same step from small tinytorch ops, so autograd gives its gradients."""
    hid = c.shape[1]
    a = x @ w_ih.transpose(0, 1) + h @ w_hh.transpose(0, 1) + b_ih + b_hh
    i, f = a[:, :hid].sigmoid(), a[:, hid:2 * hid].sigmoid()
    g, o = a[:, 2 * hid:3 * hid].tanh(), a[:, 3 * hid:].sigmoid()
    c_next = f * c + i * g
    return o * c_next.tanh(), c_next


SEQUENCE_CASES = {
    "plain": {},
    "reverse": {"reverse": True},
    "masked": {"mask": True},
    "masked_reverse_projected": {"mask": True, "reverse": True, "proj": 2},
}


def _sequence_args(case, seed=0, n_steps=3):
    """Arrays for a layer call: x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr, mask, reverse."""
    opts = SEQUENCE_CASES[case]
    rng = _rng(seed)
    proj = opts.get("proj")
    _, h, c, w_ih, w_hh, b_ih, b_hh = _cell_arrays(rng, n=2, proj=proj)
    x = rng.standard_normal((n_steps, 2, 2))
    w_hr = rng.standard_normal((proj, 4)) if proj else None
    mask = np.array([[1, 1], [1, 0], [1, 0]], dtype=np.float64)[:n_steps, :, None] \
        if opts.get("mask") else None
    return [x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr], mask, opts.get("reverse", False)


def _tensors(arrays):
    return [None if a is None else tt.tensor(a, requires_grad=True) for a in arrays]


# ----------------------------------------------------------------------------- graded

@pytest.mark.assignment10
@pytest.mark.parametrize("bias", [True, False])
def test_cell_forward_follows_the_equations(bias):
    for seed, (n, n_in, hid) in enumerate([(3, 2, 4), (1, 5, 3)]):
        args = _cell_arrays(_rng(seed), n, n_in, hid, bias=bias)
        h_next, c_next, _ = R.lstm_cell_forward(*args)
        h_ref, c_ref = numpy_step(*args)
        np.testing.assert_allclose(h_next, h_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c_next, c_ref, rtol=1e-12, atol=1e-14)
    # saturated gates: sigmoid and tanh of huge pre-activations stay finite, warn nothing
    x, h, c, w_ih, w_hh, b_ih, b_hh = _cell_arrays(_rng(9))
    h_next, c_next, _ = R.lstm_cell_forward(x * 1e3, h, c, w_ih, w_hh, b_ih, b_hh)
    assert np.isfinite(h_next).all() and np.isfinite(c_next).all()


@pytest.mark.assignment10(points=3)
def test_cell_backward_matches_autograd_of_the_composite():
    rng = _rng(1)
    args = _cell_arrays(rng)
    dh_next, dc_next = rng.standard_normal((2, 3, 4))
    _, _, cache = R.lstm_cell_forward(*args)
    dx, dh, dc, dw_ih, dw_hh, db = R.lstm_cell_backward(dh_next, dc_next, cache,
                                                        args[3], args[4])
    leaves = _tensors(args)
    h_next, c_next = composite_step(*leaves)
    ((h_next * tt.tensor(dh_next)).sum() + (c_next * tt.tensor(dc_next)).sum()).backward()
    for name, ours, leaf in zip(["dx", "dh", "dc", "dW_ih", "dW_hh", "db", "db"],
                                [dx, dh, dc, dw_ih, dw_hh, db, db], leaves):
        assert ours.shape == leaf.shape, f"{name}: shape {ours.shape}, expected {leaf.shape}"
        np.testing.assert_allclose(ours, leaf.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


@pytest.mark.assignment10(points=2)
def test_one_step_gradcheck():
    """The cell as a one-step layer, against finite differences in all seven inputs."""
    leaves = _tensors(_cell_arrays(_rng(2)))

    def one_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
        return R.LSTMLayer.apply(x.unsqueeze(0), h, c, w_ih, w_hh, b_ih, b_hh, None, None,
                                 False)

    assert gradcheck(one_step, leaves)


@pytest.mark.assignment10
def test_lstm_cell_module_runs_the_cell():
    tt.manual_seed(0)
    for bias in (True, False):
        cell = nn.LSTMCell(3, 4, bias=bias, dtype=tt.float64)
        w = [None if p is None else p.detach().numpy()
             for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
        rng = _rng(3)
        x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), \
            rng.standard_normal((2, 4))
        h_next, c_next = cell(tt.tensor(x), (tt.tensor(h), tt.tensor(c)))
        h_ref, c_ref = numpy_step(x, h, c, *w)
        np.testing.assert_allclose(h_next.detach().numpy(), h_ref, rtol=1e-12)
        np.testing.assert_allclose(c_next.detach().numpy(), c_ref, rtol=1e-12)
        # unbatched, zero initial state
        h1, c1 = cell(tt.tensor(x[0]))
        h_ref, c_ref = numpy_step(x[:1], np.zeros((1, 4)), np.zeros((1, 4)), *w)
        np.testing.assert_allclose(h1.detach().numpy(), h_ref[0], rtol=1e-12)
        (h1.sum() + c1.sum()).backward()
        assert cell.weight_hh.grad is not None and cell.weight_ih.grad.shape == (16, 3)


@pytest.mark.assignment10
@pytest.mark.parametrize("case", sorted(SEQUENCE_CASES))
def test_sequence_follows_the_equations(case):
    arrays, mask, reverse = _sequence_args(case, seed=4)
    out, h_n, c_n = R.LSTMLayer.apply(*_tensors(arrays), mask, reverse)
    ref = numpy_sequence(*arrays, mask=mask, reverse=reverse)
    for ours, theirs in zip((out, h_n, c_n), ref):
        np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.assignment10
@pytest.mark.parametrize("case", sorted(SEQUENCE_CASES))
def test_sequence_gradcheck_through_time(case):
    arrays, mask, reverse = _sequence_args(case, seed=5)
    leaves = _tensors(arrays)
    present = [t for t in leaves if t is not None]

    def layer(*ts):
        it = iter(ts)
        return R.LSTMLayer.apply(*[None if a is None else next(it) for a in arrays], mask,
                                 reverse)

    assert gradcheck(layer, present)


# ----------------------------------------------------------------------------- fast path


@pytest.mark.parametrize("case", sorted(SEQUENCE_CASES))
def test_fused_layer_agrees_with_the_textbook_layer(case):
    arrays, mask, reverse = _sequence_args(case, seed=6, n_steps=3)
    results = []
    for layer in (R.LSTMLayer, R.FusedLSTMLayer):
        leaves = _tensors(arrays)
        outs = layer.apply(*leaves, mask, reverse)
        seeds = [tt.tensor(_rng(7 + k).standard_normal(o.shape)) for k, o in enumerate(outs)]
        sum((o * s).sum() for o, s in zip(outs, seeds)).backward()
        results.append([o.detach().numpy() for o in outs]
                       + [t.grad.numpy() for t in leaves if t is not None])
    for textbook, fused in zip(*results):
        np.testing.assert_allclose(fused, textbook, rtol=1e-10, atol=1e-12)


def test_fused_layer_gradcheck_masked_projected():
    arrays, mask, reverse = _sequence_args("masked_reverse_projected", seed=8)
    assert gradcheck(lambda *ts: R.FusedLSTMLayer.apply(*ts, mask, reverse), _tensors(arrays))


def test_nn_lstm_takes_the_textbook_layer_when_the_switch_says_so():
    tt.manual_seed(0)
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).double()
    x = tt.tensor(_rng(9).standard_normal((4, 2, 2)), requires_grad=True)
    assert_fast_path_matches(lambda x_: lstm(x_)[0], x, rtol=1e-10, atol=1e-12)
    for fast in (True, False):
        with backend.fast_paths(fast):
            out, _ = lstm(x)
            expected = R.FusedLSTMLayer if backend.use_fast_path(10) else R.LSTMLayer
        assert {node.fn for node in _nodes(out)} & {R.FusedLSTMLayer, R.LSTMLayer} \
            == {expected}


def _nodes(t):
    """The graph nodes that produced ``t``."""
    found, stack, seen = [], [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or not hasattr(node, "fn") or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        stack.extend(node.parents)
    return found


# ----------------------------------------------------------------------------- PyTorch


def test_cell_matches_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    tt.manual_seed(1)
    ours = nn.LSTMCell(3, 4, dtype=tt.float64)
    theirs = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.tensor(p.detach().numpy()))
    rng = _rng(10)
    x, h, c = (rng.standard_normal(s) for s in [(2, 3), (2, 4), (2, 4)])
    h_o, c_o = ours(tt.tensor(x), (tt.tensor(h), tt.tensor(c)))
    h_t, c_t = theirs(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    (h_o.sum() + (c_o * c_o).sum()).backward()
    (h_t.sum() + (c_t * c_t).sum()).backward()
    np.testing.assert_allclose(h_o.detach().numpy(), h_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_o.detach().numpy(), c_t.detach().numpy(), rtol=1e-12)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), getattr(theirs, name).grad.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)


def test_textbook_sequence_matches_torch():
    torch = pytest.importorskip("torch")
    arrays, _, _ = _sequence_args("plain", seed=11, n_steps=4)
    x, h, c, w_ih, w_hh, b_ih, b_hh, _ = arrays
    ref = torch.nn.LSTM(2, 4, dtype=torch.float64)
    with torch.no_grad():
        for name, a in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
                           [w_ih, w_hh, b_ih, b_hh]):
            getattr(ref, name).copy_(torch.tensor(a))
    out_t, (h_t, c_t) = ref(torch.tensor(x), (torch.tensor(h)[None], torch.tensor(c)[None]))
    out, h_n, c_n = R.LSTMLayer.apply(*_tensors(arrays), None, False)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy(), h_t[0].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(c_n.detach().numpy(), c_t[0].detach().numpy(), rtol=1e-12)
