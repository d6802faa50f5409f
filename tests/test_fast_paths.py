"""Each op's fast path against its textbook formula (the graded region, issue 16 item 3).

An op with a tuned body keeps the course page's formula inside its solution region and the
tuned form outside it; ``backend.use_fast_path(assignment)`` picks one. Here every such op
runs both ways (``testing.assert_fast_path_matches``: outputs and gradients) on a few seeded
shapes in float64 and float32, with the edge cases each op has, and the textbook path is
gradchecked on its own in float64 under ``backend.fast_paths(False)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# the fixture that runs a test with threading off, and split across two threads
from test_perf_paths import threads  # noqa: F401

import tinytorch
from tinytorch import backend, nn, optim
from tinytorch.optim.optimizer import CHUNK_ELEMENTS
from tinytorch.testing import assert_fast_path_matches, tensors

DTYPES = [tinytorch.float64, tinytorch.float32]


def _tol(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype is tinytorch.float64 else \
        dict(rtol=2e-5, atol=2e-6)


def test_switch_follows_set_fast_paths_and_the_context():
    before = backend.fast_paths_enabled()
    with backend.fast_paths(False):
        assert not backend.use_fast_path(6)
        with backend.fast_paths(True):
            assert backend.use_fast_path(6) == (backend._first_open_assignment is None
                                                or backend._first_open_assignment > 6)
        assert not backend.use_fast_path(6)
    assert backend.fast_paths_enabled() == before


# ----------------------------------------------------------------------------- Adam


ADAM_CASES = [
    dict(),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(amsgrad=True),
    dict(maximize=True),
    dict(maximize=True, weight_decay=0.05, amsgrad=True),
    dict(maximize=True, weight_decay=0.05, decoupled_weight_decay=True, amsgrad=True),
]


def _adam_steps(**options):
    def run(start, *grads):
        p = nn.Parameter(start.clone())
        opt = optim.Adam([p], lr=0.05, betas=(0.8, 0.95), eps=1e-6, **options)
        for g in grads:
            p.grad = g
            opt.step()
        assert (p.grad.numpy() == grads[-1].numpy()).all(), "Adam wrote into .grad"
        return p.detach()
    return run


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("options", ADAM_CASES, ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (CHUNK_ELEMENTS + 7,)],
                         ids=["0d", "5", "3x4", "chunked"])
@pytest.mark.usefixtures("threads")
def test_adam_fast_path_matches_the_formula(dtype, options, shape):
    gen = tinytorch.Generator().manual_seed(len(shape) + sum(shape))
    start = tinytorch.randn(shape, generator=gen, dtype=dtype)
    grads = [tinytorch.randn(shape, generator=gen, dtype=dtype) for _ in range(6)]
    assert_fast_path_matches(_adam_steps(**options), start, *grads, **_tol(dtype))


def test_adam_textbook_path_runs_when_switched_off():
    """With fast paths off the update comes from ``adam_update`` (the graded region)."""
    from tinytorch.optim import adam

    calls = []
    real = adam.adam_update

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    p = nn.Parameter(tinytorch.ones(3, dtype=tinytorch.float64))
    p.grad = tinytorch.ones(3, dtype=tinytorch.float64)
    adam.adam_update = spy
    try:
        with backend.fast_paths(False):
            optim.AdamW([p], lr=0.1).step()
    finally:
        adam.adam_update = real
    assert calls == [1]


# ----------------------------------------------------------------------------- cross-entropy


def _seeded(shape, dtype, seed, scale=1.0, requires_grad=True):
    gen = tinytorch.Generator().manual_seed(seed)
    x = tinytorch.randn(shape, generator=gen, dtype=dtype) * scale
    return x.requires_grad_(requires_grad)


CE_CASES = [  # (logits shape, target shape, options)
    ((6, 5), (6,), dict()),
    ((6, 5), (6,), dict(reduction="sum", label_smoothing=0.2)),
    ((6, 5), (6,), dict(reduction="none", ignore_index=2)),
    ((6, 5), (6,), dict(ignore_index=1, label_smoothing=0.1)),
    ((3, 4, 2, 3), (3, 2, 3), dict(label_smoothing=0.3)),   # N-d: classes on dim 1
    ((5,), (), dict(reduction="sum")),                      # unbatched
    ((0, 4), (0,), dict(reduction="sum")),                  # empty batch
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", range(len(CE_CASES)))
def test_cross_entropy_fast_path_matches_the_formula(dtype, case):
    import tinytorch.nn.functional as F

    shape, target_shape, options = CE_CASES[case]
    logits = _seeded(shape, dtype, case, scale=3.0)
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    gen = np.random.default_rng(case)
    target = tinytorch.tensor(gen.integers(0, n_classes, target_shape))
    grad_output = None
    if options.get("reduction") == "none":
        grad_output = _seeded(target_shape, dtype, 99, requires_grad=False)
    assert_fast_path_matches(lambda x: F.cross_entropy(x, target, **options), logits,
                             grad_output=grad_output, **_tol(dtype))


def test_cross_entropy_formula_keeps_huge_logits_finite():
    import tinytorch.nn.functional as F

    logits = tinytorch.tensor([[1000.0, -1000.0, 0.0], [0.0, 0.0, 2000.0]],
                              dtype=tinytorch.float64, requires_grad=True)
    target = tinytorch.tensor([0, 1])
    assert_fast_path_matches(lambda x: F.cross_entropy(x, target, label_smoothing=0.1), logits)
    with backend.fast_paths(False):
        loss = F.cross_entropy(logits, target, label_smoothing=0.1)
        loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad.numpy()).all()


def test_cross_entropy_every_target_ignored_matches():
    import tinytorch.nn.functional as F

    logits = _seeded((3, 4), tinytorch.float64, 5)
    target = tinytorch.tensor([-100, -100, -100])
    for reduction in ("sum", "none"):
        assert_fast_path_matches(lambda x, r=reduction: F.cross_entropy(x, target, reduction=r),
                                 logits)


@pytest.mark.parametrize("options", [dict(), dict(label_smoothing=0.2, ignore_index=0),
                                     dict(reduction="none")], ids=str)
def test_cross_entropy_formula_gradchecks(options):
    import tinytorch.nn.functional as F
    from tinytorch.autograd import gradcheck

    logits = _seeded((2, 4, 3), tinytorch.float64, 7)
    target = tinytorch.tensor([[0, 3, 1], [2, 0, 3]])
    with backend.fast_paths(False):
        assert gradcheck(lambda x: F.cross_entropy(x, target, **options), (logits,))


# ----------------------------------------------------------------------------- attention


def _qkv(dtype, seed, q_shape=(2, 3, 4, 5), k_shape=None, v_shape=None):
    k_shape = k_shape or q_shape[:-2] + (6, q_shape[-1])
    v_shape = v_shape or k_shape[:-1] + (3,)
    return (_seeded(q_shape, dtype, seed), _seeded(k_shape, dtype, seed + 1),
            _seeded(v_shape, dtype, seed + 2))


def _bool_mask(shape, seed):
    gen = np.random.default_rng(seed)
    m = gen.random(shape) < 0.7
    m[..., 0, :] = False  # one fully masked query row: its output and gradient are zeros
    return tinytorch.tensor(m)


SDPA_CASES = {
    "plain": lambda dt: dict(),
    "causal": lambda dt: dict(is_causal=True),
    "bool-mask": lambda dt: dict(attn_mask=_bool_mask((4, 6), 0)),
    "bool-mask-batch": lambda dt: dict(attn_mask=_bool_mask((7, 1, 1, 4, 6), 1)),
    "float-mask": lambda dt: dict(attn_mask=_seeded((3, 4, 6), dt, 2, requires_grad=False)),
    "scale": lambda dt: dict(scale=0.3),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_attention_fast_path_matches_the_formula(dtype, case):
    import tinytorch.nn.functional as F

    options = SDPA_CASES[case](dtype)
    q, k, v = _qkv(dtype, 10)
    if case == "causal":
        k, v = _seeded((2, 3, 4, 5), dtype, 11), _seeded((2, 3, 4, 3), dtype, 12)
    assert_fast_path_matches(lambda *t: F.scaled_dot_product_attention(*t, **options),
                             q, k, v, **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("length", [128, 200, 320])
def test_causal_attention_in_row_blocks_matches_the_formula(dtype, length):
    """Long causal attention skips the products above the diagonal, block by block
    (ops/nn.py's _sdpa_forward_causal_blocks): the same output and gradients."""
    import tinytorch.nn.functional as F
    from tinytorch.ops import nn as nn_ops

    q, k, v = (_seeded((2, 2, length, 8), dtype, seed) for seed in (30, 31, 32))
    assert nn_ops._causal_blocks(q._data, k._data, v._data, None, 0.0, True, False)
    assert_fast_path_matches(lambda *t: F.scaled_dot_product_attention(*t, is_causal=True),
                             q, k, v, **_tol(dtype))


def test_causal_attention_in_row_blocks_gradchecks():
    import tinytorch.nn.functional as F
    from tinytorch.autograd import gradcheck, gradgradcheck

    q, k, v = (_seeded((1, 1, 128, 2), tinytorch.float64, seed) for seed in (33, 34, 35))
    attend = lambda *t: F.scaled_dot_product_attention(*t, is_causal=True)  # noqa: E731
    assert gradcheck(attend, [q, k, v])
    small = [t[..., :3, :].detach().requires_grad_() for t in (q, k, v)]
    assert gradgradcheck(attend, small)


def test_attention_float_mask_gradient_and_weights_match():
    from tinytorch.ops.nn import ScaledDotProductAttention

    q, k, v = _qkv(tinytorch.float64, 20, q_shape=(2, 4, 3))
    mask = _seeded((2, 4, 6), tinytorch.float64, 23)

    def both(q, k, v, mask):  # the output and the returned weights both carry gradient
        out, weights = ScaledDotProductAttention.apply(q, k, v, mask, 0.0, False, 0.5, True)
        return out.sum() + (weights * weights).sum()

    assert_fast_path_matches(both, q, k, v, mask)


def test_attention_dropout_matches_with_the_same_draws():
    import tinytorch.nn.functional as F

    def attend(*t):
        tinytorch.manual_seed(3)  # both paths draw the same dropout mask
        return F.scaled_dot_product_attention(*t, dropout_p=0.3)

    assert_fast_path_matches(attend, *_qkv(tinytorch.float64, 30))


def test_multihead_attention_matches_with_masks():
    tinytorch.manual_seed(4)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, dtype=tinytorch.float64)
    x = _seeded((2, 5, 8), tinytorch.float64, 40)
    padding = tinytorch.tensor([[False] * 5, [False, False, False, True, True]])
    assert_fast_path_matches(lambda t: mha(t, t, t, key_padding_mask=padding)[0], x)


@pytest.mark.parametrize("case", ["plain", "causal", "bool-mask", "float-mask"])
def test_attention_formula_gradchecks(case):
    import tinytorch.nn.functional as F
    from tinytorch.autograd import gradcheck

    f64 = tinytorch.float64
    q, k, v = _qkv(f64, 50, q_shape=(2, 4, 3))
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v)  # noqa: E731
    inputs = (q, k, v)
    if case == "causal":
        inputs = (q, _seeded((2, 4, 3), f64, 51), _seeded((2, 4, 2), f64, 52))
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)  # noqa
    elif case == "bool-mask":
        mask = _bool_mask((4, 6), 0)
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # noqa
    elif case == "float-mask":
        inputs = (q, k, v, _seeded((4, 6), f64, 53))
        fn = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa
    with backend.fast_paths(False):
        assert gradcheck(fn, inputs)


# ----------------------------------------------------------------------------- drawn inputs


@given(data=st.data(), rows=st.integers(1, 5), classes=st.integers(1, 6),
       smoothing=st.sampled_from([0.0, 0.25]),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_paths_agree_on_drawn_inputs(data, rows, classes, smoothing, reduction):
    import tinytorch.nn.functional as F

    logits = data.draw(tensors((rows, classes), low=-8, high=8, requires_grad=True))
    target = tinytorch.tensor(data.draw(hnp.arrays(np.int64, (rows,),
                                                   elements=st.integers(-1, classes - 1))))
    assert_fast_path_matches(
        lambda x: F.cross_entropy(x, target, ignore_index=-1, label_smoothing=smoothing,
                                  reduction=reduction), logits,
        grad_output=None if reduction != "none" else tinytorch.ones(rows, dtype=tinytorch.float64),
        rtol=1e-10, atol=1e-12)


@given(data=st.data(), heads=st.integers(1, 3), n_q=st.integers(1, 4), n_k=st.integers(1, 4),
       causal=st.booleans(), transposed=st.booleans())
def test_attention_paths_agree_on_drawn_inputs(data, heads, n_q, n_k, causal, transposed):
    import tinytorch.nn.functional as F

    e = 3
    # transposed: the heads are views of (N, L, H, E), as a model's split heads are
    layout = (lambda n: (2, n, heads, e)) if transposed else (lambda n: (2, heads, n, e))
    q, k, v = (data.draw(tensors(layout(n), requires_grad=True)) for n in (n_q, n_k, n_k))
    mask = None
    if not causal:
        mask = tinytorch.tensor(data.draw(hnp.arrays(np.bool_, (n_q, n_k))))

    def attend(q, k, v):
        if transposed:
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        if causal:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    assert_fast_path_matches(attend, q, k, v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True)], ids=str)
def test_causal_attention_in_row_blocks_computes_only_the_gradients_asked_for(needs):
    """Long causal attention with some of q, k, v constant: their gradients stay None, the
    others equal the composite's."""
    import tinytorch.nn.functional as F
    from tinytorch.ops.nn import attention_simple

    rng = np.random.default_rng(36)
    arrays = [rng.standard_normal((2, 2, 200, 8)) for _ in range(3)]
    fast = [tinytorch.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    simple = [tinytorch.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    F.scaled_dot_product_attention(*fast, is_causal=True).sum().backward()
    attention_simple(*simple, is_causal=True).sum().backward()
    for a, b, n in zip(fast, simple, needs):
        if n:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
        else:
            assert a.grad is None
