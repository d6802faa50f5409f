"""Layers against PyTorch with copied weights: outputs and every gradient, plus gradchecks
in float64, PyTorch's default initialisations and state_dict layouts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
from tinytorch.autograd import gradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


def _copy_weights(ours, ref):
    """Load the PyTorch module's weights into ours (via plain arrays, by state_dict key)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})


def _compare(ours, ref, inputs, *, rtol=1e-5, atol=1e-6, extra=None, outputs=lambda o: o):
    """Run both modules on copies of ``inputs`` (float arrays get gradients) and compare the
    outputs, the input gradients and every parameter gradient."""
    import torch

    extra = extra or {}
    ours_in = [tt.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    ref_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    out_ours = outputs(ours(*ours_in, **extra.get("ours", {})))
    out_ref = outputs(ref(*ref_in, **extra.get("ref", {})))
    out_ours = out_ours if isinstance(out_ours, tuple) else (out_ours,)
    out_ref = out_ref if isinstance(out_ref, tuple) else (out_ref,)
    loss_ours, loss_ref = 0, 0
    for i, (a, b) in enumerate(zip(out_ours, out_ref)):
        if b is None:
            assert a is None
            continue
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"output {i}")
        cot = _rng(10 + i).standard_normal(tuple(b.shape))
        loss_ours = loss_ours + (a * tt.tensor(cot, dtype=a.dtype)).sum()
        loss_ref = loss_ref + (b * torch.tensor(cot, dtype=b.dtype)).sum()
    loss_ours.backward()
    loss_ref.backward()
    for i, (a, b) in enumerate(zip(ours_in, ref_in)):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"input {i} gradient")
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), ref_params[name].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of {name}")


def _pair(factory_ours, factory_ref, dtype="float32"):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = factory_ref(torch).to(getattr(torch, dtype))
    ours = factory_ours().to(getattr(tt, dtype))
    assert list(ours.state_dict()) == list(ref.state_dict())
    for k, v in ref.state_dict().items():
        assert tuple(ours.state_dict()[k].shape) == tuple(v.shape), k
    _copy_weights(ours, ref)
    return ours, ref


LAYERS = [
    ("linear", lambda: nn.Linear(5, 4), lambda t: t.nn.Linear(5, 4), [(3, 2, 5)]),
    ("linear_no_bias", lambda: nn.Linear(5, 4, bias=False),
     lambda t: t.nn.Linear(5, 4, bias=False), [(3, 5)]),
    ("layer_norm", lambda: nn.LayerNorm(6), lambda t: t.nn.LayerNorm(6), [(2, 3, 6)]),
    ("layer_norm_2d_no_bias", lambda: nn.LayerNorm((3, 4), bias=False, eps=1e-3),
     lambda t: t.nn.LayerNorm((3, 4), bias=False, eps=1e-3), [(2, 3, 4)]),
    ("layer_norm_no_affine", lambda: nn.LayerNorm(4, elementwise_affine=False),
     lambda t: t.nn.LayerNorm(4, elementwise_affine=False), [(3, 4)]),
    ("gelu", lambda: nn.GELU(), lambda t: t.nn.GELU(), [(3, 4)]),
    ("gelu_tanh", lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh"), [(3, 4)]),
    ("relu", lambda: nn.ReLU(), lambda t: t.nn.ReLU(), [(3, 4)]),
    ("tanh", lambda: nn.Tanh(), lambda t: t.nn.Tanh(), [(3, 4)]),
    ("sigmoid", lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid(), [(3, 4)]),
    ("softmax", lambda: nn.Softmax(dim=0), lambda t: t.nn.Softmax(dim=0), [(3, 4)]),
    ("log_softmax", lambda: nn.LogSoftmax(-1), lambda t: t.nn.LogSoftmax(-1), [(3, 4)]),
    ("identity", lambda: nn.Identity(), lambda t: t.nn.Identity(), [(3, 4)]),
    ("dropout_eval", lambda: nn.Dropout(0.5).eval(), lambda t: t.nn.Dropout(0.5).eval(),
     [(3, 4)]),
    ("mse", lambda: nn.MSELoss(), lambda t: t.nn.MSELoss(), [(3, 4), (3, 4)]),
    ("mse_sum", lambda: nn.MSELoss(reduction="sum"), lambda t: t.nn.MSELoss(reduction="sum"),
     [(3, 4), (3, 4)]),
    ("mlp", lambda: nn.Sequential(nn.Linear(4, 8), nn.GELU("tanh"), nn.LayerNorm(8),
                                  nn.Linear(8, 3)),
     lambda t: t.nn.Sequential(t.nn.Linear(4, 8), t.nn.GELU("tanh"), t.nn.LayerNorm(8),
                               t.nn.Linear(8, 3)), [(5, 4)]),
]


@pytest.mark.parametrize("name,ours,ref,shapes", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_matches_torch(name, ours, ref, shapes):
    m_ours, m_ref = _pair(ours, ref)
    inputs = [_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]
    _compare(m_ours, m_ref, inputs)


@pytest.mark.parametrize("name,ours,ref,shapes", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_gradcheck(name, ours, ref, shapes):
    tt.manual_seed(0)
    module = ours().double()
    inputs = [tt.tensor(_rng(i).standard_normal(s), requires_grad=True)
              for i, s in enumerate(shapes)]
    params = list(module.parameters())
    n = len(inputs)

    def fn(*xs):
        return _call_with_parameters(module, xs[n:], *xs[:n])

    assert gradcheck(fn, inputs + [tt.tensor(p._data.copy(), requires_grad=True)
                                   for p in params])


def _call_with_parameters(module, leaves, *args, **kwargs):
    """Call ``module`` with its parameters (in ``parameters()`` order) replaced by ``leaves``,
    so that gradcheck can perturb them."""
    owners = [(m, k) for m in module.modules() for k, p in m._parameters.items()
              if p is not None]
    originals = [m._parameters[k] for m, k in owners]
    try:
        for (m, k), leaf in zip(owners, leaves):
            m._parameters[k] = leaf
        return module(*args, **kwargs)
    finally:
        for (m, k), p in zip(owners, originals):
            m._parameters[k] = p


def test_embedding_matches_torch_with_padding():
    torch = pytest.importorskip("torch")
    ours, ref = _pair(lambda: nn.Embedding(10, 3, padding_idx=0),
                      lambda t: t.nn.Embedding(10, 3, padding_idx=0))
    idx = np.array([[0, 3, 3], [9, 0, 1]])
    out_o, out_r = ours(tt.tensor(idx)), ref(torch.tensor(idx))
    np.testing.assert_allclose(out_o.detach().numpy(), out_r.detach().numpy())
    g = _rng(1).standard_normal((2, 3, 3)).astype(np.float32)
    out_o.backward(tt.tensor(g))
    out_r.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-6)
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_torch(reduction):
    torch = pytest.importorskip("torch")
    x = _rng(0).standard_normal((4, 5, 3)).astype(np.float32)
    t = np.array([[0, 1, 4], [-100, 2, 2], [3, 3, 0], [1, -100, 4]])
    for ours, ref in [(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
                       torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1)),
                      (nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction))]:
        a = tt.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        la, lb = ours(a, tt.tensor(t)), ref(b, torch.tensor(t))
        np.testing.assert_allclose(la.detach().numpy(), lb.detach().numpy(), rtol=1e-5)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- attention


def _mha_pair(batch_first, bias=True, dtype="float32"):
    return _pair(lambda: nn.MultiheadAttention(8, 2, bias=bias, batch_first=batch_first),
                 lambda t: t.nn.MultiheadAttention(8, 2, bias=bias, batch_first=batch_first),
                 dtype)


def _mha_inputs(batch_first, n=2, lq=3, lk=4, e=8, seed=0):
    r = _rng(seed)
    q = r.standard_normal((n, lq, e) if batch_first else (lq, n, e)).astype(np.float32)
    k = r.standard_normal((n, lk, e) if batch_first else (lk, n, e)).astype(np.float32)
    v = r.standard_normal(k.shape).astype(np.float32)
    return q, k, v


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_cross_attention_matches_torch(batch_first, need_weights):
    ours, ref = _mha_pair(batch_first)
    kw = {"need_weights": need_weights}
    _compare(ours, ref, list(_mha_inputs(batch_first)), extra={"ours": kw, "ref": kw})


def test_mha_self_attention_masks_match_torch():
    torch = pytest.importorskip("torch")
    ours, ref = _mha_pair(True)
    x = _rng(1).standard_normal((2, 5, 8)).astype(np.float32)
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)  # True = blocked
    padding = np.zeros((2, 5), dtype=bool)
    padding[1, 3:] = True

    a = tt.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out_a, w_a = ours(a, a, a, key_padding_mask=tt.tensor(padding),
                      attn_mask=tt.tensor(causal), average_attn_weights=False)
    out_b, w_b = ref(b, b, b, key_padding_mask=torch.tensor(padding),
                     attn_mask=torch.tensor(causal), average_attn_weights=False)
    np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(w_a.detach().numpy(), w_b.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    cot = _rng(2).standard_normal((2, 5, 8)).astype(np.float32)
    (out_a * tt.tensor(cot)).sum().backward()
    (out_b * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), dict(ref.named_parameters())[name].grad
                                   .numpy(), rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
def test_mha_float_and_3d_masks_match_torch():
    torch = pytest.importorskip("torch")
    ours, ref = _mha_pair(False)
    q, k, v = _mha_inputs(False)
    float_mask = _rng(3).standard_normal((2 * 2, 3, 4)).astype(np.float32)
    padding = np.array([[False, False, True, False], [False, False, False, True]])
    out_a, w_a = ours(tt.tensor(q), tt.tensor(k), tt.tensor(v), attn_mask=tt.tensor(float_mask),
                      key_padding_mask=tt.tensor(padding))
    out_b, w_b = ref(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                     attn_mask=torch.tensor(float_mask), key_padding_mask=torch.tensor(padding))
    np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(w_a.detach().numpy(), w_b.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_mha_unbatched_and_no_bias_match_torch():
    torch = pytest.importorskip("torch")
    ours, ref = _mha_pair(False, bias=False)
    x = _rng(4).standard_normal((3, 8)).astype(np.float32)
    out_a, w_a = ours(tt.tensor(x), tt.tensor(x), tt.tensor(x))
    out_b, w_b = ref(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(w_a.detach().numpy(), w_b.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.assignment5
def test_mha_gradcheck_float64():
    tt.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, batch_first=True).double()
    for p in mha.parameters():  # non-zero biases so their gradients are exercised
        with tt.no_grad():
            p.data[...] = np.random.default_rng(1).standard_normal(p.shape) * 0.5
    params = list(mha.parameters())
    r = _rng(5)
    q = tt.tensor(r.standard_normal((2, 3, 4)), requires_grad=True)
    kv = tt.tensor(r.standard_normal((2, 2, 4)), requires_grad=True)
    mask = tt.tensor([[False, True], [False, False]])

    def fn(q, kv, *ps):
        return _call_with_parameters(mha, ps, q, kv, kv, key_padding_mask=mask)

    leaves = [tt.tensor(p._data.copy(), requires_grad=True) for p in params]
    assert gradcheck(fn, [q, kv] + leaves)


@pytest.mark.assignment5
def test_mha_fully_masked_query_gives_zeros_not_nan():
    mha = nn.MultiheadAttention(4, 1, batch_first=True)
    x = tt.randn(1, 2, 4)
    mask = tt.tensor([[True, True]])
    with tt.no_grad():
        out, w = mha(x, x, x, key_padding_mask=mask)
    assert np.isfinite(out.numpy()).all()
    np.testing.assert_array_equal(w.numpy(), 0.0)


def test_mha_errors():
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = tt.randn(2, 3, 8)
    with pytest.raises(RuntimeError, match="key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=tt.zeros(2, 4, dtype=tt.bool))
    with pytest.raises(RuntimeError, match="attn_mask must have shape"):
        mha(x, x, x, attn_mask=tt.zeros(4, 3, dtype=tt.bool))
    with pytest.raises(RuntimeError, match="embed_dim 8"):
        mha(tt.randn(2, 3, 6), x, x)


# ----------------------------------------------------------------------------- init


def test_default_initialisations_follow_torch():
    tt.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w = lin.weight.detach().numpy()
    assert w.shape == (50, 100) and np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # uniform over the whole interval
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    emb = nn.Embedding(400, 50, padding_idx=3)
    e = emb.weight.detach().numpy()
    assert abs(e.std() - 1) < 0.05 and (e[3] == 0).all()
    ln = nn.LayerNorm(7)
    assert (ln.weight.detach().numpy() == 1).all() and (ln.bias.detach().numpy() == 0).all()
    mha = nn.MultiheadAttention(16, 4)
    assert (mha.in_proj_bias.detach().numpy() == 0).all()
    assert (mha.out_proj.bias.detach().numpy() == 0).all()
    xavier = math.sqrt(6 / (16 + 48))
    assert np.abs(mha.in_proj_weight.detach().numpy()).max() <= xavier


def test_layers_are_seeded():
    tt.manual_seed(3)
    a = nn.Linear(4, 4).weight.detach().numpy().copy()
    tt.manual_seed(3)
    b = nn.Linear(4, 4).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_module_train_and_eval():
    d = nn.Dropout(0.5)
    x = tt.ones(1000)
    tt.manual_seed(0)
    y = d(x).numpy()
    assert 0.4 < (y == 0).mean() < 0.6
    d.eval()
    assert d(x) is x
    assert repr(d) == "Dropout(p=0.5, inplace=False)"
