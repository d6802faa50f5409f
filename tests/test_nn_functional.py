"""nn.functional: every fused op gradchecked in float64 and compared with PyTorch.

One table (``SPECS``) drives the checks: each row builds float64 inputs, calls the
tinytorch op and (when torch is importable) the same PyTorch op on copies. The tests
compare outputs and every input gradient, in float64 (tight) and float32 (rtol 1e-5), and
run a finite-difference gradcheck of the tinytorch op.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch.autograd import GradcheckError, gradcheck
from tinytorch.ops.special import erf, normal_cdf


def _rng(seed=0):
    return np.random.default_rng(seed)


class Spec:
    """One row: a name, a maker of float64 input arrays, and the call written once for both
    frameworks against ``m`` (``m.F`` the functional module, ``m.tensor`` a factory for
    integer and bool arguments on the test device)."""

    def __init__(self, name, make, fn):
        self.name, self.make, self.fn = name, make, fn

    def __repr__(self):
        return self.name


class Framework:
    """``m`` of a spec: tinytorch on the test device, or torch on the CPU."""

    def __init__(self, module, functional, device=None):
        self.module, self.F, self.device = module, functional, device

    def tensor(self, a):
        if self.device is None:
            return self.module.tensor(a)
        return self.module.tensor(a, device=self.device)


def _randn(*shape, seed=0, scale=1.0):
    return lambda: [_rng(seed).standard_normal(shape) * scale]


_T1 = np.array([0, 4, -100, 2])
_T_ND = _rng(3).integers(0, 5, (2, 3, 2))
_IDX = np.array([[1, 2, 1], [6, 0, 1]])
_BOOL_MASK = _rng(4).random((4, 6)) > 0.4
_BOOL_MASK[:, 0] = True


def _qkv(lq=4, lk=6, e=5, ev=3, seed=5):
    r = _rng(seed)
    return lambda: [r.standard_normal((2, 3, lq, e)), r.standard_normal((2, 3, lk, e)),
                    r.standard_normal((2, 3, lk, ev))]


SPECS = [
    Spec("linear", lambda: [_rng(1).standard_normal((2, 3, 5)), _rng(2).standard_normal((4, 5)),
                            _rng(3).standard_normal(4)],
         lambda m, x, w, b: m.F.linear(x, w, b)),
    Spec("linear_no_bias", lambda: [_rng(1).standard_normal((3, 5)),
                                    _rng(2).standard_normal((4, 5))],
         lambda m, x, w: m.F.linear(x, w)),
    Spec("gelu", _randn(4, 5, scale=3), lambda m, x: m.F.gelu(x)),
    Spec("gelu_tanh", _randn(4, 5, scale=3),
         lambda m, x: m.F.gelu(x, approximate="tanh")),
    Spec("relu", lambda: [_rng(0).standard_normal((3, 4)) + 0.05],
         lambda m, x: m.F.relu(x)),
    Spec("softmax", _randn(3, 5), lambda m, x: m.F.softmax(x, dim=-1)),
    Spec("log_softmax_dim0", _randn(3, 5), lambda m, x: m.F.log_softmax(x, dim=0)),
    Spec("layer_norm", lambda: [_rng(1).standard_normal((3, 4, 6)), _rng(2).standard_normal(6),
                                _rng(3).standard_normal(6)],
         lambda m, x, w, b: m.F.layer_norm(x, (6,), w, b)),
    Spec("layer_norm_2d_no_affine", _randn(2, 3, 4, 5),
         lambda m, x: m.F.layer_norm(x, (4, 5))),
    Spec("layer_norm_weight_only", lambda: [_rng(1).standard_normal((3, 6)),
                                            _rng(2).standard_normal(6)],
         lambda m, x, w: m.F.layer_norm(x, (6,), w, None, 1e-3)),
    Spec("layer_norm_2d_bias_only", lambda: [_rng(1).standard_normal((2, 3, 4)),
                                             _rng(2).standard_normal((3, 4))],
         lambda m, x, b: m.F.layer_norm(x, (3, 4), None, b)),
    Spec("cross_entropy_mean_ignore", _randn(4, 5, scale=2),
         lambda m, x: m.F.cross_entropy(x, m.tensor(_T1))),
    Spec("cross_entropy_sum_smooth", _randn(4, 5, scale=2),
         lambda m, x: m.F.cross_entropy(x, m.tensor(_T1), reduction="sum",
                                                    label_smoothing=0.2)),
    Spec("cross_entropy_none_smooth", _randn(4, 5, scale=2),
         lambda m, x: m.F.cross_entropy(x, m.tensor(_T1), reduction="none",
                                                    label_smoothing=0.3)),
    Spec("cross_entropy_mean_smooth_ignore", _randn(4, 5, scale=2),
         lambda m, x: m.F.cross_entropy(x, m.tensor(_T1), label_smoothing=0.1)),
    Spec("cross_entropy_nd", _randn(2, 5, 3, 2),
         lambda m, x: m.F.cross_entropy(x, m.tensor(_T_ND), label_smoothing=0.1)),
    Spec("cross_entropy_unbatched", _randn(5),
         lambda m, x: m.F.cross_entropy(x, m.tensor(np.array(3)))),
    Spec("cross_entropy_custom_ignore", _randn(4, 5),
         lambda m, x: m.F.cross_entropy(x, m.tensor(np.array([0, 4, 2, 2])),
                                                    ignore_index=2)),
    Spec("nll_loss_nd", _randn(2, 5, 3, 2),
         lambda m, x: m.F.nll_loss(x, m.tensor(_T_ND))),
    Spec("nll_loss_sum_ignore", _randn(4, 5),
         lambda m, x: m.F.nll_loss(x, m.tensor(_T1), reduction="sum")),
    Spec("mse_loss", lambda: [_rng(1).standard_normal((3, 4)), _rng(2).standard_normal((3, 4))],
         lambda m, x, y: m.F.mse_loss(x, y)),
    Spec("mse_loss_none", lambda: [_rng(1).standard_normal((3, 4)),
                                   _rng(2).standard_normal((3, 4))],
         lambda m, x, y: m.F.mse_loss(x, y, reduction="none")),
    Spec("embedding", lambda: [_rng(1).standard_normal((7, 3))],
         lambda m, w: m.F.embedding(m.tensor(_IDX), w)),
    Spec("sdpa", _qkv(), lambda m, q, k, v: m.F.scaled_dot_product_attention(q, k, v)),
    Spec("sdpa_causal_scale", _qkv(lq=6),
         lambda m, q, k, v: m.F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                          scale=0.3)),
    Spec("sdpa_bool_mask", _qkv(),
         lambda m, q, k, v: m.F.scaled_dot_product_attention(
             q, k, v, attn_mask=m.tensor(_BOOL_MASK))),
    Spec("sdpa_float_mask", lambda: _qkv()() + [_rng(6).standard_normal((3, 4, 6))],
         lambda m, q, k, v, mask: m.F.scaled_dot_product_attention(
             q, k, v, attn_mask=mask)),
    Spec("sdpa_broadcast_batch", lambda: [_rng(1).standard_normal((2, 3, 4, 5)),
                                          _rng(2).standard_normal((1, 3, 6, 5)),
                                          _rng(3).standard_normal((2, 1, 6, 2))],
         lambda m, q, k, v: m.F.scaled_dot_product_attention(q, k, v)),
    Spec("pad", _randn(2, 3, 4),
         lambda m, x: m.F.pad(x, (1, 2, -1, 1), value=3.0)),
    Spec("pad_3dims", _randn(2, 3, 4),
         lambda m, x: m.F.pad(x, (0, 1, 2, 0, 1, 1))),
]


def _inputs(module, arrays, dtype, device=None):
    if module is tt:
        return [tt.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    return [module.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_gradcheck_float64(spec, device):
    m = Framework(tt, F, device)
    inputs = _inputs(tt, spec.make(), tt.float64, device)
    assert gradcheck(lambda *xs: spec.fn(m, *xs), inputs)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_matches_torch(spec, precision, device):
    torch = pytest.importorskip("torch")
    arrays = spec.make()
    rtol, atol = (1e-10, 1e-12) if precision == "float64" else (1e-5, 1e-6)
    ours_in = _inputs(tt, arrays, getattr(tt, precision), device)
    ours = spec.fn(Framework(tt, F, device), *ours_in)
    ref_in = _inputs(torch, arrays, getattr(torch, precision))
    ref = spec.fn(Framework(torch, torch.nn.functional), *ref_in)
    assert ours.dtype == getattr(tt, precision)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), ref.detach().numpy(), rtol=rtol,
                               atol=atol)
    cot = _rng(9).standard_normal(tuple(ref.shape))
    (ours * tt.tensor(cot, dtype=ours.dtype, device=device)).sum().backward()
    (ref * torch.tensor(cot, dtype=ref.dtype)).sum().backward()
    for i, (a, b) in enumerate(zip(ours_in, ref_in)):
        np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def test_gradcheck_catches_a_wrong_backward():
    """The harness above can fail: a deliberately wrong gelu derivative is caught."""
    from tinytorch.ops.nn import Gelu

    class WrongGelu(Gelu):
        @staticmethod
        def backward(ctx, g):
            d, _ = Gelu.backward(ctx, g)
            return d * 1.01, None

    x = tt.tensor(_rng(0).standard_normal(5), dtype=tt.float64, requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: WrongGelu.apply(t, "none"), x)


# ----------------------------------------------------------------------------- erf


def test_erf_float64_matches_math_erf():
    xs = np.concatenate([np.linspace(-7, 7, 20001), _rng(0).standard_normal(500) * 1e-4,
                         [0.0, 1.0, -1.0, 6.0, 30.0, -np.inf, np.inf]])
    ref = np.array([math.erf(x) for x in xs])
    np.testing.assert_allclose(erf(xs), ref, rtol=4e-16, atol=4e-16)


def test_erf_float32_accuracy():
    xs = np.linspace(-5, 5, 4001).astype(np.float32)
    ref = np.array([math.erf(float(x)) for x in xs])
    out = erf(xs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=3e-7, atol=1e-7)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 4e-16), (np.float32, 3e-7)])
def test_normal_cdf_accuracy(dtype, tol):
    xs = np.concatenate([np.linspace(-12, 12, 24001), [0.0, -40.0, 40.0]]).astype(dtype)
    ref = np.array([0.5 * math.erfc(-float(x) / math.sqrt(2)) for x in xs])
    out = normal_cdf(xs)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=0, atol=tol)
    # the left tail keeps relative accuracy (no 1 - erf cancellation)
    tail = (xs < -3) & (xs > -8.4)  # float64 keeps relative accuracy down to erfc(6)
    np.testing.assert_allclose(out[tail], ref[tail], rtol=1e-5 if dtype == np.float32
                               else 1e-13, atol=1e-300)


# ----------------------------------------------------------------------------- stability


@pytest.mark.assignment4
def test_cross_entropy_huge_logits_are_finite():
    x = tt.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(x, tt.tensor([1, 2]), label_smoothing=0.1)
    loss.backward()
    assert math.isfinite(loss.item())
    assert np.isfinite(x.grad.numpy()).all()
    # target 1 of row 0 is 2e4 below the max: the loss is about (1 - 0.1) * 2e4 / 2
    assert loss.item() > 8e3


def test_softmax_huge_logits_finite():
    x = tt.tensor([[1e4, 1e4 - 1, -1e4]], requires_grad=True)
    y = F.softmax(x, dim=-1)
    (y * tt.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(y.detach().numpy()[0, :2], [1 / (1 + math.exp(-1)),
                                                           math.exp(-1) / (1 + math.exp(-1))],
                               rtol=1e-6)


@pytest.mark.assignment5
def test_sdpa_fully_masked_row_returns_zeros_without_nan():
    r = _rng(0)
    q, k, v = (tt.tensor(r.standard_normal(s) * 1e3, requires_grad=True)
               for s in [(2, 3, 4), (2, 5, 4), (2, 5, 4)])
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False  # query 1 may see no key at all
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=tt.tensor(mask))
    out.sum().backward()
    o = out.detach().numpy()
    assert np.isfinite(o).all()
    np.testing.assert_array_equal(o[:, 1], 0.0)
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    np.testing.assert_array_equal(q.grad.numpy()[:, 1], 0.0)


@pytest.mark.assignment5
def test_sdpa_float_minus_inf_mask_row_is_zero():
    q, k, v = (tt.randn(1, 2, 3) for _ in range(3))
    mask = tt.zeros(2, 2)
    mask[0] = -math.inf
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.numpy()[0, 0], 0.0)
    assert np.isfinite(out.numpy()).all()


def test_sdpa_rows_match_torch_when_not_fully_masked():
    torch = pytest.importorskip("torch")
    r = _rng(1)
    q, k, v = (r.standard_normal((2, 4, 3)) * 30 for _ in range(3))
    mask = np.tril(np.ones((4, 4), dtype=bool))
    ours = F.scaled_dot_product_attention(tt.tensor(q), tt.tensor(k), tt.tensor(v),
                                          attn_mask=tt.tensor(mask))
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- dropout


def test_dropout_statistics_and_scaling():
    tt.manual_seed(0)
    x = tt.ones(200, 100)
    y = F.dropout(x, p=0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)


def test_dropout_seeded_and_gradient_is_the_mask():
    tt.manual_seed(5)
    x = tt.randn(6, 7, dtype=tt.float64, requires_grad=True)
    tt.manual_seed(11)
    y = F.dropout(x, p=0.4)
    tt.manual_seed(11)
    y2 = F.dropout(x.detach(), p=0.4)
    np.testing.assert_array_equal(y.detach().numpy(), y2.numpy())
    y.sum().backward()
    expected = (y.detach().numpy() != 0) / 0.6
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_dropout_eval_and_edge_probabilities():
    x = tt.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


@pytest.mark.assignment5
def test_sdpa_dropout_uses_the_global_generator():
    r = _rng(2)
    q, k, v = (tt.tensor(r.standard_normal((2, 3, 4))) for _ in range(3))
    tt.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tt.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    c = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


@pytest.mark.assignment5
def test_sdpa_dropout_gradcheck_with_fixed_mask():
    r = _rng(3)
    q, k, v = (tt.tensor(r.standard_normal((2, 3, 4)), dtype=tt.float64, requires_grad=True)
               for _ in range(3))

    def fn(q, k, v):
        tt.manual_seed(7)  # the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)

    assert gradcheck(fn, (q, k, v))


# ----------------------------------------------------------------------------- embedding


@pytest.mark.parametrize("vocab", [7, 5000])
def test_embedding_backward_matches_torch(vocab):
    """Sort + reduceat sums repeated rows like PyTorch, for small and large vocabularies."""
    torch = pytest.importorskip("torch")
    r = _rng(0)
    idx = r.integers(0, vocab, (40, 30))
    idx[0, :5] = 3  # repeats accumulate
    w = r.standard_normal((vocab, 4)).astype(np.float32)
    g = r.standard_normal((40, 30, 4)).astype(np.float32)
    ours = tt.tensor(w, requires_grad=True)
    F.embedding(tt.tensor(idx), ours, padding_idx=2).backward(tt.tensor(g))
    ref = torch.tensor(w, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(idx), ref, padding_idx=2).backward(
        torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), ref.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert (ours.grad.numpy()[2] == 0).all()


def test_embedding_empty_indices():
    w = tt.randn(5, 3, requires_grad=True)
    out = F.embedding(tt.zeros(0, 2, dtype=tt.int64), w)
    assert tuple(out.shape) == (0, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 0.0)


def test_embedding_bad_index_errors():
    w = tt.randn(5, 3)
    with pytest.raises(IndexError, match="index 5 is out of range.*5 rows"):
        F.embedding(tt.tensor([1, 5]), w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(tt.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.embedding(tt.tensor([1.0]), w)


# ----------------------------------------------------------------------------- errors


def test_cross_entropy_errors_name_the_problem():
    x = tt.randn(3, 4)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, tt.tensor([0, 4, 1]))
    with pytest.raises(RuntimeError, match=r"expects a target of shape \(3,\)"):
        F.cross_entropy(x, tt.tensor([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, tt.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.nll_loss(x, tt.tensor([0, 1, 2], dtype=tt.int32).float())


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x = tt.randn(2, 3, requires_grad=True)
    loss = F.cross_entropy(x, tt.tensor([-100, -100]))
    assert math.isnan(loss.item())
    total = F.cross_entropy(x, tt.tensor([-100, -100]), reduction="sum")
    assert total.item() == 0.0


def test_linear_and_sdpa_shape_errors():
    with pytest.raises(RuntimeError, match=r"5 features.*\(4, 6\)"):
        F.linear(tt.randn(2, 5), tt.randn(4, 6))
    q = tt.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="do not fit"):
        F.scaled_dot_product_attention(q, tt.randn(2, 3, 5), tt.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tt.ones(2, 2, dtype=tt.bool))
    with pytest.raises(RuntimeError, match="attn_mask must be bool"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tt.ones(3, 3, dtype=tt.int64))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(tt.randn(2, 3), (4,))


def test_one_hot_and_pad_like_torch():
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 2], [3, 1]])
    np.testing.assert_array_equal(F.one_hot(tt.tensor(idx)).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(idx)).numpy())
    out = F.one_hot(tt.tensor(idx), 6)
    assert out.dtype is tt.int64 and tuple(out.shape) == (2, 2, 6)
    with pytest.raises(RuntimeError, match="class values must be in"):
        F.one_hot(tt.tensor([5]), 3)
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(tt.randn(2, 2), (1,))


# ----------------------------------------------------------------------------- properties


@pytest.mark.assignment4
@given(rows=st.integers(1, 4), width=st.integers(2, 9), shift=st.floats(-1e3, 1e3),
       spread=st.floats(0.1, 100))
def test_layer_norm_normalises_any_scale(rows, width, shift, spread):
    x = _rng(rows * 10 + width).standard_normal((rows, width)) * spread + shift
    y = F.layer_norm(tt.tensor(x), (width,), eps=0.0).numpy()
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-9)
    np.testing.assert_allclose(y.var(axis=-1), 1.0, rtol=1e-8)


@pytest.mark.assignment4
@given(n=st.integers(1, 5), c=st.integers(2, 6), smoothing=st.floats(0, 1))
def test_cross_entropy_gradient_rows_sum_to_zero(n, c, smoothing):
    r = _rng(n * 7 + c)
    x = tt.tensor(r.standard_normal((n, c)) * 5, dtype=tt.float64, requires_grad=True)
    target = tt.tensor(r.integers(0, c, n))
    F.cross_entropy(x, target, label_smoothing=smoothing, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy().sum(axis=1), 0.0, atol=1e-12)
