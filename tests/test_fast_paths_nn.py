"""The fast paths of softmax, log_softmax, layer_norm, GELU and embedding against the
course's textbook formulas (``backend.use_fast_path(4)``), and the textbook formulas
gradchecked on their own.

Each op runs in float32 and float64 on an odd shape, an empty one, a non-contiguous input
and one large enough for ``backend.split_rows`` to split it across two threads; the
softmax forward's block-wide shift is checked against a per-row NumPy reference on rows
of very different scales, and the float32 normal CDF of the exact GELU against math.erfc.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch
import tinytorch.nn.functional as F
from tinytorch import backend
from tinytorch.autograd import gradcheck
from tinytorch.ops.special import normal_cdf
from tinytorch.testing import assert_fast_path_matches

DTYPES = [tinytorch.float32, tinytorch.float64]
# odd sizes, an empty batch, an empty row, and > PARALLEL_MIN_ELEMENTS (65536) elements
SHAPES = [(3, 5, 7), (0, 7), (4, 0), (300, 257)]


@pytest.fixture(autouse=True)
def two_threads(monkeypatch):
    """Threading on with two threads, whatever the machine: the large case splits."""
    monkeypatch.setattr(backend, "_threads", 2)
    monkeypatch.setattr(backend, "_parallel", True)


def _tol(dtype):
    """float32: sums of a few hundred terms, accumulated in different orders by the paths"""
    return {"rtol": 1e-4, "atol": 1e-5} if dtype is tinytorch.float32 else \
        {"rtol": 1e-10, "atol": 1e-12}


def _leaf(shape, dtype, seed=0, scale=1.0, transpose=False):
    """A leaf of ``shape``; ``transpose``: a 2-D non-contiguous view (a transpose)."""
    rng = np.random.default_rng(seed)
    if transpose:
        t = tinytorch.tensor(rng.standard_normal(shape[::-1]) * scale, dtype=dtype).t()
        return t.detach().requires_grad_(True)
    return tinytorch.tensor(rng.standard_normal(shape) * scale, dtype=dtype,
                            requires_grad=True)


def _grad_output(shape, dtype, seed=1):
    return tinytorch.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_fast_path_matches_the_textbook(op, shape, dtype):
    fn = getattr(F, op)
    x = _leaf(shape, dtype, scale=3)
    for dim in (-1, 0):
        assert_fast_path_matches(lambda t, dim=dim: fn(t, dim), x,
                                 grad_output=_grad_output(shape, dtype), **_tol(dtype))


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_fast_path_on_a_non_contiguous_input(op):
    fn = getattr(F, op)
    for dtype in DTYPES:
        x = _leaf((6, 9), dtype, transpose=True)
        assert not x.is_contiguous()
        np.testing.assert_array_equal(fn(x, -1).detach().numpy(),
                                      fn(x.contiguous(), -1).detach().numpy())
        assert_fast_path_matches(lambda t: fn(t, -1), x,
                                 grad_output=_grad_output((6, 9), dtype), **_tol(dtype))


def _softmax_reference(a):
    """softmax and log_softmax of each row of a float64 array, each row shifted by its max."""
    shifted = a - a.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return np.exp(log_p), log_p


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_softmax_block_shift_keeps_every_row_exact(dtype):
    """The forward computes exp(a) unshifted and redoes with their own max the rows whose
    sum overflows or underflows (or shifts the whole block first when they are many)."""
    rng = np.random.default_rng(3)
    rows = [rng.standard_normal(9) * 3 + offset
            for offset in (0.0, 60.0, -20.0, -300.0, 500.0, 1e30 if dtype is
                           tinytorch.float64 else 1e20, 10.0)]
    a = np.stack(rows)
    ordinary = rng.standard_normal((14, 9)) * 3
    # many far rows: the block is shifted by its max; two of sixteen: those rows are redone
    for block in (a, a[[0, 2, 6]], a[[2, 3]], np.vstack([ordinary, a[[3, 4]]])):
        x = tinytorch.tensor(block, dtype=dtype)
        p, log_p = _softmax_reference(block.astype(x.numpy().dtype).astype(np.float64))
        tol = {"rtol": 2e-6, "atol": 1e-30} if dtype is tinytorch.float32 else \
            {"rtol": 1e-12, "atol": 1e-300}
        np.testing.assert_allclose(F.softmax(x, -1).numpy(), p, **tol)
        np.testing.assert_allclose(F.log_softmax(x, -1).numpy(), log_p,
                                   rtol=tol["rtol"], atol=1e-5 if dtype is tinytorch.float32
                                   else 1e-12)


def test_softmax_rows_of_minus_inf_nan_and_inf_in_a_block():
    """Fully masked rows give zeros (softmax) and NaN (log_softmax, as PyTorch); a NaN row
    stays NaN; the other rows of the block are untouched."""
    x = tinytorch.tensor([[-math.inf] * 3, [1.0, 2.0, 3.0], [math.nan, 0.0, 1.0],
                          [0.0, -math.inf, 0.0]])
    p = F.softmax(x, -1).numpy()
    assert p[0].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(p[2]).all()
    np.testing.assert_allclose(p[1], _softmax_reference(np.array([1.0, 2.0, 3.0]))[0],
                               rtol=1e-6)
    np.testing.assert_allclose(p[3], [0.5, 0.0, 0.5])
    log_p = F.log_softmax(x, -1).numpy()
    assert np.isnan(log_p[0]).all() and np.isnan(log_p[2]).all()
    np.testing.assert_allclose(log_p[3], [-math.log(2), -math.inf, -math.log(2)])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES + [(2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_layer_norm_fast_path_matches_the_textbook(shape, dtype, affine):
    norm_shape = shape[-1:] if len(shape) < 4 else shape[-2:]
    x = _leaf(shape, dtype, scale=2)
    params = [_leaf(norm_shape, dtype, seed=s) for s in (5, 6)] if affine else []
    assert_fast_path_matches(lambda t, *p: F.layer_norm(t, norm_shape, *p), x, *params,
                             grad_output=_grad_output(shape, dtype), **_tol(dtype))


def test_layer_norm_fast_path_on_a_non_contiguous_input():
    for dtype in DTYPES:
        x = _leaf((6, 9), dtype, transpose=True)
        w, b = _leaf((9,), dtype, seed=2), _leaf((9,), dtype, seed=3)
        np.testing.assert_allclose(F.layer_norm(x, (9,), w, b).detach().numpy(),
                                   F.layer_norm(x.contiguous(), (9,), w, b).detach().numpy(),
                                   **_tol(dtype))
        assert_fast_path_matches(lambda t, *p: F.layer_norm(t, (9,), *p), x, w, b,
                                 grad_output=_grad_output((6, 9), dtype), **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES + [()], ids=str)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_its_simple_form_at_every_size(shape, dtype, approximate):
    """GELU has no graded region: its fused forms are checked against ``gelu_simple``."""
    from tinytorch.ops.nn import gelu_simple

    x = _leaf(shape, dtype, scale=3)
    g = _grad_output(shape, dtype)
    x2 = x.detach().requires_grad_(True)
    F.gelu(x, approximate=approximate).backward(g)
    gelu_simple(x2, approximate).backward(g)
    # float32: the composite's own rounding (its 1 + tanh cancels in the left tail)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype is tinytorch.float32 else \
        {"rtol": 1e-12, "atol": 1e-14}
    np.testing.assert_allclose(F.gelu(x, approximate=approximate).detach().numpy(),
                               gelu_simple(x2, approximate).detach().numpy(), **tol)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), **tol)


def test_gelu_on_a_non_contiguous_input():
    x = _leaf((5, 7), tinytorch.float64, transpose=True)
    assert not x.is_contiguous()
    np.testing.assert_array_equal(F.gelu(x).detach().numpy(),
                                  F.gelu(x.contiguous()).detach().numpy())
    for approximate in ("none", "tanh"):
        assert gradcheck(lambda t, a=approximate: F.gelu(t, approximate=a), (x,))


def test_exact_gelu_float32_normal_cdf_is_within_float32_rounding():
    xs = np.linspace(-12, 12, 48001).astype(np.float32)
    ref = np.array([0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in xs])
    np.testing.assert_allclose(normal_cdf(xs), ref, rtol=0, atol=2e-7)
    y = F.gelu(tinytorch.tensor(xs)).numpy()
    assert np.all(np.abs(y - xs * ref) <= 2e-7 * (1 + np.abs(xs)))
    edges = tinytorch.tensor(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3e38],
                                      dtype=np.float32))
    out = F.gelu(edges).numpy()
    # gelu(-inf) = -inf * 0: NaN, as PyTorch
    assert out[0] == np.inf and np.isnan(out[1]) and np.isnan(out[2]) and out[3] == 0
    assert out[5] == np.float32(3e38)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("vocab", [7, 65, 300], ids=lambda v: f"V{v}")
@pytest.mark.parametrize("idx_shape", [(4, 5), (0,), (1000,)], ids=str)
def test_embedding_fast_path_matches_the_textbook(vocab, idx_shape, dtype):
    """One-hot product (V <= 128) and sort + reduceat (larger V) against np.add.at."""
    rng = np.random.default_rng(7)
    w = _leaf((vocab, 6), dtype)
    idx = tinytorch.tensor(rng.integers(0, vocab, idx_shape))
    g = _grad_output(idx_shape + (6,), dtype)
    for padding_idx in (None, 3):
        assert_fast_path_matches(lambda t, p=padding_idx: F.embedding(idx, t, padding_idx=p),
                                 w, grad_output=g, **_tol(dtype))


def test_embedding_fast_path_on_non_contiguous_gradients():
    w = _leaf((10, 4), tinytorch.float64)
    idx = tinytorch.tensor([[1, 1, 2], [9, 1, 0]])
    g = _grad_output((4, 3, 2), tinytorch.float64).permute(2, 1, 0)  # (2, 3, 4), strided
    assert_fast_path_matches(lambda t: F.embedding(idx, t), w, grad_output=g)


# ----------------------------------------------------------------------------- textbook


def test_textbook_formulas_gradcheck_in_float64():
    rng = np.random.default_rng(11)

    def leaf(*shape):
        return tinytorch.tensor(rng.standard_normal(shape), requires_grad=True)

    x, w, b = leaf(3, 4, 5), leaf(5), leaf(5)
    idx = tinytorch.tensor([[0, 2, 2], [1, 0, 3]])
    with backend.fast_paths(False):
        assert not backend.use_fast_path(4)
        for dim in (-1, 1):
            assert gradcheck(lambda t, dim=dim: F.softmax(t, dim), (x,))
            assert gradcheck(lambda t, dim=dim: F.log_softmax(t, dim), (x,))
        assert gradcheck(lambda t, p, q: F.layer_norm(t, (5,), p, q), (x, w, b))
        assert gradcheck(lambda t: F.layer_norm(t, (4, 5)), (x,))
        emb = leaf(4, 3)
        assert gradcheck(lambda t: F.embedding(idx, t), (emb,))


def test_textbook_regions_run_when_fast_paths_are_off(monkeypatch):
    """With fast paths off, each op's backward goes through the graded function."""
    from tinytorch.ops import nn as nn_ops
    from tinytorch.ops import reduce as reduce_ops

    called = []
    for module, name in [(reduce_ops, "softmax_backward"),
                         (reduce_ops, "log_softmax_backward"),
                         (nn_ops, "layer_norm_forward"), (nn_ops, "layer_norm_backward"),
                         (nn_ops, "embedding_backward")]:
        original = getattr(module, name)

        def spy(*args, _original=original, _name=name):
            called.append(_name)
            return _original(*args)

        monkeypatch.setattr(module, name, spy)
    x = tinytorch.randn(3, 4, requires_grad=True)
    w = tinytorch.randn(5, 4, requires_grad=True)
    idx = tinytorch.tensor([0, 4, 4])

    def run():
        (F.softmax(x, -1).sum() + F.log_softmax(x, -1).sum()
         + F.layer_norm(x, (4,)).sum() + F.embedding(idx, w).sum()).backward()

    run()
    assert called == []  # the fast paths
    with backend.fast_paths(False):
        run()
    assert sorted(called) == sorted(["softmax_backward", "log_softmax_backward",
                                     "layer_norm_forward", "layer_norm_backward",
                                     "embedding_backward"])


@pytest.mark.parametrize("rows,width,block", [(10, 3, 6), (7, 1, 2), (5, 4, 100), (0, 3, 2)])
def test_in_blocks_covers_every_row_once(rows, width, block):
    a = np.arange(rows * width, dtype=np.float64).reshape(rows, width)
    out = np.zeros_like(a)
    seen = []

    def kernel(x, y):
        seen.append(x.shape[0])
        np.multiply(x, 2, out=y)

    backend.in_blocks(kernel, a, out, block=block)
    np.testing.assert_array_equal(out, 2 * a)
    assert sum(seen) == rows
    if a.size >= 2 * block:  # blocked: about ``block`` elements each, at least one row
        assert max(seen) == max(1, block // width)
