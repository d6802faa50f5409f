"""The fast paths of issue 15 against their readable forms, with the thread pool on and off.

Every fused Function is checked against its ``*_simple`` composite of small ops (forward
and backward, float64), and each check runs twice: with ``backend.split_rows`` splitting
even these tiny arrays across two threads, and with threading switched off.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch
import tinytorch.nn.functional as F
from tinytorch import backend
from tinytorch.autograd import gradcheck
from tinytorch.models.gpt import GPT, GPTConfig, KVCache
from tinytorch.ops.elementwise import power_scalar
from tinytorch.ops.nn import (
    attention_simple,
    cross_entropy_simple,
    embedding_simple,
    gelu_simple,
    layer_norm_simple,
)
from tinytorch.ops.reduce import log_softmax_simple, softmax_simple


@pytest.fixture(params=[False, True], ids=["one-thread", "split"])
def threads(request, monkeypatch):
    """Threading off, or on with two threads and no size floor (so tiny arrays split)."""
    if request.param:
        monkeypatch.setattr(backend, "_threads", 2)
        monkeypatch.setattr(backend, "PARALLEL_MIN_ELEMENTS", 1)
    monkeypatch.setattr(backend, "_parallel", request.param)
    return request.param


def _leaf(rng, shape, scale=1.0):
    return tinytorch.tensor(rng.standard_normal(shape) * scale, requires_grad=True)


def _agree(fast, simple, inputs, rng, atol=1e-12):
    """fast(*inputs) and simple(*inputs) agree in value and in every input's gradient."""
    out_fast = fast(*inputs)
    g = tinytorch.tensor(rng.standard_normal(tuple(out_fast.shape)))
    grads_fast = tinytorch.autograd.grad([out_fast], inputs, [g])
    out_simple = simple(*inputs)
    grads_simple = tinytorch.autograd.grad([out_simple], inputs, [g])
    np.testing.assert_allclose(out_fast.detach().numpy(), out_simple.detach().numpy(),
                               rtol=1e-10, atol=atol)
    for a, b in zip(grads_fast, grads_simple):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=atol)


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_and_log_softmax_match_their_simple_forms(threads, dim):
    rng = np.random.default_rng(0)
    x = _leaf(rng, (6, 5, 7), 3)
    _agree(lambda t: F.softmax(t, dim), lambda t: softmax_simple(t, dim), [x], rng)
    _agree(lambda t: F.log_softmax(t, dim), lambda t: log_softmax_simple(t, dim), [x], rng)


def test_softmax_fully_masked_rows_stay_zero_when_split(threads):
    x = tinytorch.tensor([[-math.inf] * 3, [1.0, 2.0, 3.0], [-math.inf] * 3, [0.0] * 3],
                         requires_grad=True)
    y = F.softmax(x, -1).detach()
    assert y.numpy()[[0, 2]].tolist() == [[0.0] * 3] * 2
    np.testing.assert_allclose(y.numpy()[3], [1 / 3] * 3)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_its_simple_form(threads, affine):
    rng = np.random.default_rng(1)
    x = _leaf(rng, (5, 3, 8), 2)
    inputs = [x, _leaf(rng, (3, 8)), _leaf(rng, (3, 8))] if affine else [x]
    shape = (3, 8)
    _agree(lambda *t: F.layer_norm(t[0], shape, *t[1:], eps=1e-5),
           lambda *t: layer_norm_simple(t[0], shape, *t[1:], eps=1e-5), inputs, rng)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_its_simple_form(threads, approximate):
    rng = np.random.default_rng(2)
    x = _leaf(rng, (6, 4, 5), 3)
    _agree(lambda t: F.gelu(t, approximate=approximate),
           lambda t: gelu_simple(t, approximate), [x], rng, atol=1e-14)
    assert gradcheck(lambda t: F.gelu(t, approximate=approximate), (x,))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_matches_its_simple_form(smoothing):
    rng = np.random.default_rng(3)
    x = _leaf(rng, (7, 5), 2)
    target = tinytorch.tensor(rng.integers(0, 5, 7))
    _agree(lambda t: F.cross_entropy(t, target, label_smoothing=smoothing),
           lambda t: cross_entropy_simple(t, target, smoothing), [x], rng)


def test_embedding_matches_its_simple_form():
    rng = np.random.default_rng(4)
    weight = _leaf(rng, (6, 3))
    idx = tinytorch.tensor(rng.integers(0, 6, (4, 5)))
    _agree(lambda w: F.embedding(idx, w), lambda w: embedding_simple(w, idx), [weight], rng)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (3, 130, 2), (2, 260, 4), (5, 4)], ids=str)
def test_attention_matches_its_simple_form(threads, causal, shape):
    """The heads split across threads (a (3, 130, 2) batch: the causal row blocks too, an
    odd head count), or whole ((2, 260, 4): each head's products 260 * 260 * 4 >= 2^18,
    left to BLAS's threads); 2-D q, k, v have no heads to split."""
    rng = np.random.default_rng(5)
    q, k, v = (_leaf(rng, shape) for _ in range(3))
    _agree(lambda *t: F.scaled_dot_product_attention(*t, is_causal=causal),
           lambda *t: attention_simple(*t, is_causal=causal), [q, k, v], rng)


@pytest.mark.parametrize("length", [5, 130], ids=["heads", "causal-blocks"])
def test_attention_of_projected_heads_lays_out_as_the_projection(threads, length):
    """q, k, v as a GPT makes them (views of one (B, T, 3C) projection, heads transposed):
    the output and dq, dk, dv are laid out in memory as (B, T, H, D), so the model's
    transpose(1, 2).contiguous() copies nothing, and they equal the simple form's."""
    rng = np.random.default_rng(6)
    B, H, D = 2, 3, 4
    qkv = _leaf(rng, (B, length, 3 * H * D))

    def heads(fn):
        def run(qkv):
            q, k, v = (a.view(B, length, H, D).transpose(1, 2) for a in qkv.split(H * D, 2))
            return fn(q, k, v, is_causal=True).transpose(1, 2)
        return run

    out = heads(F.scaled_dot_product_attention)(qkv)
    assert out.is_contiguous()  # (B, T, H, D) memory: .contiguous() returns it as it is
    _agree(heads(F.scaled_dot_product_attention), heads(attention_simple), [qkv], rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("length", [6, 130], ids=["heads", "causal-blocks"])
def test_attention_softmax_without_row_max_redoes_extreme_rows(threads, dtype, length):
    """The heads' softmax takes exp of the scores unshifted and redoes, with each row's own
    max, the rows whose sum overflows or underflows: scores of +-1000 on some rows (beyond
    exp's range in float64 too) give the same probabilities as the max-shifted form, finite,
    rows summing to 1, and the same gradients."""
    rng = np.random.default_rng(7)
    B, H, D = 2, 3, 4
    q, k, v = (rng.standard_normal((B, H, length, D)) for _ in range(3))
    q[0, 1, 2] *= 1000  # overflows exp unshifted
    q[1, 0, 3] *= -1000  # scores far above and far below 0 in one row
    k[1, 2] = np.abs(k[1, 2])
    q[1, 2, 1:] = -np.abs(q[1, 2, 1:]) * 1000  # every score of these rows underflows
    inputs = [tinytorch.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*inputs, is_causal=True)
    assert np.isfinite(out.detach().numpy()).all()
    if dtype == "float64":
        _agree(lambda *t: F.scaled_dot_product_attention(*t, is_causal=True),
               lambda *t: attention_simple(*t, is_causal=True), inputs, rng, atol=1e-10)
    else:
        expected = attention_simple(*inputs, is_causal=True).detach().numpy()
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("length", [6, 130], ids=["heads", "causal-blocks"])
def test_attention_in_float16_keeps_the_row_max(threads, length):
    """float16's exp overflows at 11: its heads keep the max-shifted softmax, so scores
    beyond that stay finite and match the float64 simple form to float16's precision."""
    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal((2, 3, length, 4)) for _ in range(3))
    q[0, 1, 2] *= 12  # scores above 11 on this row
    # and scores near -14 on this one: each exp(s) subnormal, 1 / (their sum) above
    # float16's largest number (the shift-free form gave NaN here)
    k[1, 0] = 1 + 0.02 * k[1, 0]
    q[1, 0, 3] = -7 + 0.05 * q[1, 0, 3]
    out = F.scaled_dot_product_attention(
        *(tinytorch.tensor(a.astype(np.float16)) for a in (q, k, v)), is_causal=True)
    expected = attention_simple(*(tinytorch.tensor(a) for a in (q, k, v)), is_causal=True)
    assert out.dtype == tinytorch.float16 and np.isfinite(out.numpy()).all()
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected.numpy(), atol=1e-2)


def test_merged_heads_is_a_view_or_nothing():
    from tinytorch.ops.nn import _merged_heads

    base = np.arange(2 * 6 * 4 * 5.0).reshape(2, 6, 4, 5)
    for a in (base, base[:, ::2], base[:1], np.broadcast_to(base[0, 0], (2, 3, 4, 5)),
              base[0, 0][None, None]):
        merged = _merged_heads(a)
        assert np.shares_memory(merged, a)
        np.testing.assert_array_equal(merged, a.reshape((-1,) + a.shape[-2:]))
    # a (B, H, T, D) view of (B, T, H, D) memory, and a slice of heads: only a copy merges
    assert _merged_heads(base.reshape(2, 4, 6, 5).transpose(0, 2, 1, 3)) is None
    assert _merged_heads(base[:, :3]) is None


# ----------------------------------------------------------------------------- pow


EXPONENTS = [2, 3, 4, 5, 7, 16, -1, -2, -3, 0.5, -0.5, 1, 0, 2.0, 3.0, 2.5, 17]


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_pow_fast_forms_match_numpy_power(exponent):
    rng = np.random.default_rng(6)
    x = rng.uniform(0.2, 2.0, (4, 3))
    np.testing.assert_allclose(power_scalar(x, exponent), np.power(x, float(exponent)),
                               rtol=1e-14)
    x32 = x.astype(np.float32)
    out32 = power_scalar(x32, exponent)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, np.power(x32, np.float32(exponent)), rtol=4e-6)
    assert gradcheck(lambda t: t ** exponent, (tinytorch.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("exponent", [2, 3, 4, -1, -2, 0.5, -0.5, 0])
def test_pow_fast_forms_at_zero_inf_nan_and_negatives_match_torch(exponent):
    torch = pytest.importorskip("torch")
    x = np.array([-2.0, -0.0, 0.0, 3.0, math.inf, -math.inf, math.nan])
    ours = tinytorch.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    np.testing.assert_array_equal((ours ** exponent).detach().numpy(),
                                  (theirs ** exponent).detach().numpy())
    finite = np.array([-2.0, 3.0, 0.5])
    ours, theirs = tinytorch.tensor(finite, requires_grad=True), torch.tensor(finite,
                                                                              requires_grad=True)
    (ours ** exponent).sum().backward()
    (theirs ** exponent).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-14)


def test_set_parallel_is_the_one_switch(monkeypatch):
    monkeypatch.setattr(backend, "_threads", 2)
    monkeypatch.setattr(backend, "_parallel", True)
    backend.set_parallel(False)
    assert not backend.parallel_enabled() and backend.num_threads() == 1
    backend.set_parallel(True)
    assert backend.parallel_enabled() and backend.num_threads() == 2


def test_split_rows_covers_every_row_once(monkeypatch):
    monkeypatch.setattr(backend, "_threads", 3)
    monkeypatch.setattr(backend, "_parallel", True)
    monkeypatch.setattr(backend, "PARALLEL_MIN_ELEMENTS", 1)
    x = np.arange(20.0).reshape(10, 2)
    out = np.zeros_like(x)
    backend.split_rows(lambda a, o: np.multiply(a, 2, out=o), x, out)
    np.testing.assert_array_equal(out, 2 * x)


# ----------------------------------------------------------------------------- generation


def _tiny_gpt() -> GPT:
    tinytorch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8))
    return model.double().eval()


@pytest.mark.parametrize("hop", [None, 1, 3, 8])
def test_sliding_window_cache_equals_the_uncached_window_and_rebuilds_once_per_hop(hop):
    model = _tiny_gpt()
    idx = tinytorch.tensor(np.random.default_rng(7).integers(0, 11, (2, 30)))
    cache = KVCache(2)
    rebuilds = 0
    for t in range(1, 31):
        before = cache.start
        cached = model.next_logits(idx[:, :t], cache, hop)
        rebuilds += cache.start != before
        start = model.window_start(t, hop)
        uncached = model.next_logits(idx[:, :t], hop=hop)
        np.testing.assert_allclose(cached.numpy(), uncached.numpy(), rtol=0, atol=1e-12)
        with tinytorch.no_grad():
            direct = model(idx[:, start:t])[0][:, -1]
        np.testing.assert_allclose(uncached.numpy(), direct.numpy(), rtol=0, atol=1e-12)
        assert 8 - (hop or 2) < t - start <= 8 or t <= 8
    step = hop or 2  # the default hop is block_size // 4
    assert rebuilds == -(-(30 - 8) // step)  # once per hop past block_size, not per token


def test_hop_one_is_the_crop_to_the_last_block_size_tokens():
    model = _tiny_gpt()
    idx = tinytorch.tensor(np.random.default_rng(8).integers(0, 11, (1, 13)))
    assert model.window_start(13, 1) == 13 - 8
    with tinytorch.no_grad():
        expected = model(idx[:, -8:])[0][:, -1]
    np.testing.assert_allclose(model.next_logits(idx, KVCache(2), 1).numpy(),
                               expected.numpy(), rtol=0, atol=1e-12)


def test_tanh_matches_numpy_with_threads_on_and_off(threads):
    rng = np.random.default_rng(9)
    x = _leaf(rng, (6, 5), 2)
    y = x.tanh()
    g = rng.standard_normal((6, 5))
    y.backward(tinytorch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), np.tanh(x.detach().numpy()), rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), g * (1 - np.tanh(x.detach().numpy()) ** 2),
                               rtol=1e-13)


# ----------------------------------------------------------------------------- AdamW


def _adamw_run(split, monkeypatch, amsgrad=False, steps=4):
    monkeypatch.setattr(backend, "_threads", 2 if split else 1)
    monkeypatch.setattr(backend, "_parallel", split)
    monkeypatch.setattr(backend, "PARALLEL_MIN_ELEMENTS", 1)
    rng = np.random.default_rng(10)
    params = [tinytorch.tensor(rng.standard_normal(shape), requires_grad=True)
              for shape in [(3, 4), (5,), (2, 2, 3)]]
    arrays = [p._data for p in params]
    opt = tinytorch.optim.AdamW([{"params": params[:2]}, {"params": params[2:],
                                                         "weight_decay": 0.0}],
                                lr=0.1, weight_decay=0.05, amsgrad=amsgrad)
    for _ in range(steps):
        opt.zero_grad()
        loss = sum((p * p * (i + 1)).sum() + p.sum() for i, p in enumerate(params))
        loss.backward()
        opt.step()
    assert all(p._data is a for p, a in zip(params, arrays))  # updated in place
    return [a.copy() for a in arrays]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_split_across_threads_equals_one_thread(monkeypatch, amsgrad):
    one = _adamw_run(False, monkeypatch, amsgrad)
    split = _adamw_run(True, monkeypatch, amsgrad)
    for a, b in zip(one, split):
        np.testing.assert_array_equal(a, b)
