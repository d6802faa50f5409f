"""Course assignment 9, convolutions and pooling: the textbook forms of ``tinytorch/ops/
conv.py`` (``im2col``, ``conv2d_forward``/``conv2d_backward``, ``max_pool2d_forward``/
``max_pool2d_backward``) against NumPy loops that follow the definitions one output element
at a time, float64 gradchecks, and PyTorch when it is installed (never counted).

The graded tests run under ``backend.fast_paths(False)``, so they run the code a student writes,
not the tuned paths beside it; ``test_fast_and_textbook_paths_agree`` ties the two together.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch import backend
from tinytorch.autograd import gradcheck
from tinytorch.ops import conv
from tinytorch.testing import parameters_replaced


@pytest.fixture(autouse=True)
def textbook():
    with backend.fast_paths(False):
        yield


# (stride, padding, dilation, groups) for convolutions: plain, strided + grouped, dilated
CONV_CASES = [((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 2),
              ((1, 2), (2, 1), (2, 1), 1)]
CONV_IDS = ["plain", "strided-grouped", "dilated"]


def _distinct(shape, seed):
    """Values with no ties (max-pooling's winner stays put under finite differences)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1 + rng.uniform(-0.01, 0.01, shape)


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _window(kernel, stride, dilation, i, j):
    """Row and column indices (into the padded input) of the window of output (i, j)."""
    rows = [i * stride[0] + a * dilation[0] for a in range(kernel[0])]
    cols = [j * stride[1] + b * dilation[1] for b in range(kernel[1])]
    return rows, cols


def conv2d_loops(x, w, b, g, stride, pad, dilation, groups):
    """y, dx, dw, db of a grouped cross-correlation, one output element (o, i, j) at a time:
    y = b[o] + <w[o], window>, and its output gradient g[:, o, i, j] goes to b[o], to w[o]
    (times the window) and back onto the window's inputs (times w[o])."""
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh, ow = (_out_size(h, kh, stride[0], pad[0], dilation[0]),
              _out_size(wd, kw, stride[1], pad[1], dilation[1]))
    y = np.zeros((n, oc, oh, ow))
    dxpad, dw, db = np.zeros_like(xpad), np.zeros_like(w), np.zeros(oc)
    for o in range(oc):
        chans = slice(o // (oc // groups) * cg, (o // (oc // groups) + 1) * cg)
        for i in range(oh):
            for j in range(ow):
                rows, cols = _window((kh, kw), stride, dilation, i, j)
                win = xpad[:, chans][:, :, rows][:, :, :, cols]  # (N, Cg, KH, KW)
                y[:, o, i, j] = (win * w[o]).sum(axis=(1, 2, 3)) + b[o]
                go = g[:, o, i, j]
                db[o] += go.sum()
                dw[o] += np.einsum("n,nckl->ckl", go, win)
                for a, r in enumerate(rows):
                    for bb, q in enumerate(cols):
                        dxpad[:, chans, r, q] += go[:, None] * w[o, :, a, bb]
    dx = dxpad[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + wd]
    return y, dx, dw, db


def max_pool2d_loops(x, g, kernel, stride, pad, dilation):
    """y and dx of max-pooling (padding is -inf), one window at a time: y is the window's
    maximum and g goes to the first element holding it."""
    n, c, h, wd = x.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])),
                  constant_values=-np.inf)
    oh, ow = (_out_size(h, kernel[0], stride[0], pad[0], dilation[0]),
              _out_size(wd, kernel[1], stride[1], pad[1], dilation[1]))
    y = np.zeros((n, c, oh, ow))
    dxpad = np.zeros_like(xpad)
    for m in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(kernel, stride, dilation, i, j)
                    cells = [(r, q) for r in rows for q in cols]
                    values = [xpad[m, ch, r, q] for r, q in cells]
                    best = max(range(len(values)), key=lambda k: (values[k], -k))
                    y[m, ch, i, j] = values[best]
                    dxpad[(m, ch) + cells[best]] += g[m, ch, i, j]
    return y, dxpad[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + wd]


# ------------------------------------------------------------------ im2col

@pytest.mark.assignment9
@pytest.mark.parametrize("stride,pad,dilation,groups", CONV_CASES, ids=CONV_IDS)
def test_im2col_holds_each_window_as_a_column(stride, pad, dilation, groups):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    xpad = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    kernel = (3, 2)
    oh, ow = (_out_size(5, 3, stride[0], pad[0], dilation[0]),
              _out_size(6, 2, stride[1], pad[1], dilation[1]))
    cols = conv.im2col(np, xpad, kernel, stride, dilation, (oh, ow))
    assert cols.shape == (2, 3 * 3 * 2, oh * ow)
    for i in range(oh):
        for j in range(ow):
            rows, cc = _window(kernel, stride, dilation, i, j)
            window = xpad[:, :, rows][:, :, :, cc]  # (N, C, KH, KW)
            np.testing.assert_array_equal(cols[:, :, i * ow + j], window.reshape(2, -1))


# ------------------------------------------------------------------ convolution

@pytest.mark.assignment9(points=2)
@pytest.mark.parametrize("stride,pad,dilation,groups", CONV_CASES, ids=CONV_IDS)
def test_conv2d_and_its_gradients_match_loops(stride, pad, dilation, groups):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 6, 7))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6)
    args = [tt.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.conv2d(*args, stride=stride, padding=pad, dilation=dilation, groups=groups)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(tt.tensor(g))
    expected = conv2d_loops(x, w, b, g, stride, pad, dilation, groups)
    for name, ours, ref in zip(("y", "dx", "dw", "db"),
                               (y.detach(), *(a.grad for a in args)), expected):
        np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12, err_msg=name)


@pytest.mark.assignment9
@pytest.mark.parametrize("stride,pad,dilation,groups", CONV_CASES, ids=CONV_IDS)
def test_conv2d_gradcheck(stride, pad, dilation, groups):
    rng = np.random.default_rng(2)
    args = [tt.tensor(rng.standard_normal(s), requires_grad=True)
            for s in ((1, 4, 5, 5), (4, 4 // groups, 2, 3), (4,))]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, pad, dilation, groups), args)


@pytest.mark.assignment9
def test_conv2d_without_bias_and_conv1d():
    # conv1d is conv2d on images one row high; a missing bias has no gradient
    rng = np.random.default_rng(3)
    x = tt.tensor(rng.standard_normal((2, 3, 8)), requires_grad=True)
    w = tt.tensor(rng.standard_normal((4, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x_, w_: F.conv1d(x_, w_, stride=2, padding=1), [x, w])
    y = F.conv1d(x, w, padding=1)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(tt.tensor(g))
    ref = conv2d_loops(x.detach().numpy()[:, :, None], w.detach().numpy()[:, :, None],
                       np.zeros(4), g[:, :, None], (1, 1), (0, 1), (1, 1), 1)
    np.testing.assert_allclose(y.detach().numpy(), ref[0][:, :, 0], atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), ref[1][:, :, 0], atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), ref[2][:, :, 0], atol=1e-12)


# ------------------------------------------------------------------ max-pooling

POOL_CASES = [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 1), (1, 2))]


@pytest.mark.assignment9
@pytest.mark.parametrize("kernel,stride,pad,dilation", POOL_CASES, ids=["2x2", "overlapping"])
def test_max_pool2d_and_its_gradient_match_loops(kernel, stride, pad, dilation):
    x = _distinct((2, 3, 6, 7), 4)
    xt = tt.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, kernel, stride, pad, dilation)
    g = np.random.default_rng(5).standard_normal(tuple(y.shape))
    y.backward(tt.tensor(g))
    y_ref, dx_ref = max_pool2d_loops(x, g, kernel, stride, pad, dilation)
    np.testing.assert_array_equal(y.detach().numpy(), y_ref)
    np.testing.assert_allclose(xt.grad.numpy(), dx_ref, atol=1e-12)


@pytest.mark.assignment9
def test_max_pool2d_gradcheck():
    x = tt.tensor(_distinct((2, 2, 5, 6), 6), requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1), [x])


@pytest.mark.assignment9
def test_max_pool2d_ties_go_to_the_first_maximum_and_overlaps_add_up():
    x = tt.tensor([[[[1.0, 5.0, 5.0],
                     [5.0, 0.0, 2.0]]]], requires_grad=True)
    y = F.max_pool2d(x, 2, stride=1)  # two overlapping windows, both maxima are 5
    assert y.tolist() == [[[[5.0, 5.0]]]]
    y.backward(tt.tensor([[[[1.0, 10.0]]]]))
    # window 0 = [1, 5 | 5, 0]: its first 5 (row 0); window 1 = [5, 5 | 0, 2]: the same cell
    assert x.grad.tolist() == [[[[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]]]]
    _, indices = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert indices.tolist() == [[[[1, 1]]]]


# ------------------------------------------------------------------ a whole CNN

@pytest.mark.assignment9(points=2)
def test_small_cnn_gradchecks_whole():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(3, 4, 2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4, 3)).double()
    x = tt.tensor(_distinct((2, 1, 4, 4), 7))
    names = [n for n, _ in model.named_parameters()]

    def loss_of(*leaves):
        with parameters_replaced(model, dict(zip(names, leaves))):
            return (model(x) ** 2).sum()

    assert gradcheck(loss_of, [p.detach().requires_grad_() for p in model.parameters()])


# ------------------------------------------------------------------ not graded

FAST_CASES = [("conv", dict(stride=1, padding=1)), ("conv", dict(stride=2, padding=(0, 1))),
              ("conv", dict(stride=1, dilation=2, groups=2)),
              ("conv", dict(stride=(1, 2), padding=2, dilation=(2, 1), groups=2)),
              ("pool", dict(kernel_size=2)),
              ("pool", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
              ("pool", dict(kernel_size=(2, 3), stride=1, dilation=(2, 1)))]


def _run_both(kind, kwargs, x, w, g):
    """Output, input gradient (and weight gradient) of one op on the fast and on the textbook
    path, from the same arrays."""
    results = []
    for fast in (True, False):
        backend.set_fast_paths(fast)
        xt = tt.tensor(x, requires_grad=True)
        if kind == "conv":
            wt = tt.tensor(w, requires_grad=True)
            y = F.conv2d(xt, wt, tt.tensor(np.arange(4.0)), **kwargs)
        else:
            y, idx = F.max_pool2d(xt, return_indices=True, **kwargs)
        y.backward(tt.tensor(g[tuple(slice(s) for s in y.shape)]))
        results.append([y.detach().numpy(), xt.grad.numpy()]
                       + ([wt.grad.numpy()] if kind == "conv" else [idx.numpy()]))
    return results


@pytest.mark.parametrize("kind,kwargs", FAST_CASES, ids=[f"{k}-{i}" for i, (k, _) in
                                                         enumerate(FAST_CASES)])
def test_fast_and_textbook_paths_agree(kind, kwargs):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 4, 7, 8))
    if kind == "pool":
        x = np.round(x, 1)  # ties: both paths take the first maximum of a window
        x[0, 0, 1, 1] = np.nan  # and a NaN wins its windows in both
    w = rng.standard_normal((4, 4 // kwargs.get("groups", 1), 3, 2))
    g = rng.standard_normal((2, 4, 12, 12))
    fast, textbook = _run_both(kind, kwargs, x, w, g)
    for name, a, b in zip(("y", "dx", "dw or indices"), fast, textbook):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


def test_the_switch_picks_the_path():
    assert not backend.use_fast_path(9)  # the fixture: textbook forms
    with backend.fast_paths(True):
        assert backend.use_fast_path(9)
    assert not backend.use_fast_path(9)


@pytest.mark.parametrize("stride,pad,dilation,groups", CONV_CASES, ids=CONV_IDS)
def test_textbook_paths_match_torch(stride, pad, dilation, groups):
    pytest.importorskip("torch")
    import torch
    from nn_oracle import check_against_torch

    def cnn(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(4, 6, (3, 2), stride, pad, dilation, groups),
                                 lib.nn.MaxPool2d((3, 2), stride, 1, dilation))

    torch.manual_seed(0)
    x = np.random.default_rng(9).standard_normal((2, 4, 6, 7))
    check_against_torch(cnn(tt), cnn(torch), [x], rtol=1e-10, atol=1e-11)
