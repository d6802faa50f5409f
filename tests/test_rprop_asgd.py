"""optim.Rprop and optim.ASGD: against PyTorch (parameters and state after many steps, two
param groups), against NumPy references written from the papers' update rules, checkpoints
that continue bit for bit, and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

# the problem of the other optimizers' tests: a wavy bowl (gradients change sign now and
# then, which Rprop reacts to), three parameters of different shapes
from test_optim_more import SHAPES, _init, _run

import tinytorch
from tinytorch import optim

STEPS = 40

CASES = [
    ("Rprop", dict(), dict(), dict(lr=0.05)),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5)), dict(step_sizes=(1e-3, 0.2)),
     dict(maximize=True)),
    ("ASGD", dict(), dict(), dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, t0=10, lambd=1e-2), dict(weight_decay=0.1),
     dict(alpha=0.5, maximize=True)),
    ("ASGD", dict(lr=0.03, t0=0), dict(), dict()),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _targets():
    rng = np.random.default_rng(9)
    return [rng.standard_normal(s) for s in SHAPES]


def _build(lib, name, defaults, g0, g1, dtype=np.float64):
    params = [lib.tensor(a.astype(dtype), requires_grad=True) for a in _init()]
    targets = [lib.tensor(t.astype(dtype)) for t in _targets()]
    groups = [dict(params=params[:2], **g0), dict(params=params[2:], **g1)]
    return params, targets, getattr(lib.optim, name)(groups, **defaults)


@pytest.mark.parametrize("name,defaults,g0,g1", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_pytorch(name, defaults, g0, g1, dtype):
    torch = pytest.importorskip("torch")
    ours = _build(tinytorch, name, defaults, g0, g1, dtype)
    ref = _build(torch, name, defaults, g0, g1, dtype)
    _run(ours[2], ours[0], ours[1], STEPS)
    _run(ref[2], ref[0], ref[1], STEPS)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    for a, b in zip(ours[0], ref[0]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol,
                                   atol=rtol)
    ours_state, ref_state = ours[2].state_dict(), ref[2].state_dict()
    assert ours_state["param_groups"] == ref_state["param_groups"]
    for index, buffers in ref_state["state"].items():
        assert sorted(ours_state["state"][index]) == sorted(buffers)
        for key, value in buffers.items():
            mine = ours_state["state"][index][key]
            assert mine.dtype.itemsize == value.dtype.itemsize, key
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=rtol, atol=rtol,
                                       err_msg=key)


def _grads(params, targets):
    """The gradients of test_optim_more's loss, sum (p - t)² + 0.3 sin p."""
    return [2 * (p - t) + 0.3 * np.cos(p) for p, t in zip(params, targets)]


def _rprop_reference(params, targets, steps, lr=1e-2, etas=(0.5, 1.2), sizes=(1e-6, 50)):
    """Rprop as Riedmiller & Braun describe it (the iRprop- variant: no move, and a
    forgotten gradient, after a sign change)."""
    params = [p.copy() for p in params]
    prevs = [np.zeros_like(p) for p in params]
    etas_now = [np.full_like(p, lr) for p in params]
    for _ in range(steps):
        for i, g in enumerate(_grads(params, targets)):
            for j in np.ndindex(g.shape):
                s = g[j] * prevs[i][j]
                if s > 0:
                    etas_now[i][j] = min(etas_now[i][j] * etas[1], sizes[1])
                elif s < 0:
                    etas_now[i][j] = max(etas_now[i][j] * etas[0], sizes[0])
                    g[j] = 0.0
                params[i][j] -= np.sign(g[j]) * etas_now[i][j]
            prevs[i] = g
    return params


def _asgd_reference(params, targets, steps, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6):
    """Averaged SGD with the decaying step η_t = lr / (1 + λ lr t)^α; the average starts at
    step t0 (μ_t = 1 / max(1, t - t0))."""
    params = [p.copy() for p in params]
    averages = [np.zeros_like(p) for p in params]
    eta, mu = lr, 1.0
    for t in range(1, steps + 1):
        for i, g in enumerate(_grads(params, targets)):
            params[i] = params[i] * (1 - lambd * eta) - eta * g
            averages[i] = averages[i] + mu * (params[i] - averages[i])
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
    return params, averages


def test_rprop_matches_numpy_reference():
    options = dict(lr=0.05, etas=(0.4, 1.3), step_sizes=(1e-4, 0.3))
    params = [tinytorch.tensor(a, requires_grad=True) for a in _init()]
    targets = [tinytorch.tensor(t) for t in _targets()]
    opt = optim.Rprop(params, **options)
    _run(opt, params, targets, STEPS)
    expected = _rprop_reference(_init(), _targets(), STEPS, lr=0.05, etas=(0.4, 1.3),
                                sizes=(1e-4, 0.3))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-12, atol=1e-12)
    # a sign flip: that element stays put, its step size shrinks and its prev is 0
    assert (opt.state[params[0]]["step_size"].numpy() < 0.05).any()


@pytest.mark.parametrize("t0", [1e6, 5])
def test_asgd_matches_numpy_reference(t0):
    params = [tinytorch.tensor(a, requires_grad=True) for a in _init()]
    targets = [tinytorch.tensor(t) for t in _targets()]
    tinytorch.set_default_dtype(tinytorch.float64)  # η and μ stored in float64, as computed
    try:
        opt = optim.ASGD(params, lr=0.05, lambd=1e-2, t0=t0)
        _run(opt, params, targets, STEPS)
    finally:
        tinytorch.set_default_dtype(tinytorch.float32)
    expected, averages = _asgd_reference(_init(), _targets(), STEPS, lr=0.05, lambd=1e-2,
                                         t0=t0)
    for p, e, a in zip(params, expected, averages):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(opt.state[p]["ax"].numpy(), a, rtol=1e-12, atol=1e-12)
    assert opt.state[params[0]]["eta"].dtype == tinytorch.float64


def test_asgd_scalars_are_float32_by_default():
    p = tinytorch.tensor([1.0, 2.0], dtype=tinytorch.float64, requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, lambd=0.3)
    (p * p).sum().backward()
    opt.step()
    state = opt.state[p]
    assert state["eta"].dtype == state["mu"].dtype == tinytorch.float32
    assert float(state["eta"]) == float(np.float32(0.1 / (1 + 0.3 * 0.1) ** 0.75))
    np.testing.assert_array_equal(state["ax"].numpy(), p.detach().numpy())  # μ = 1: a copy


@pytest.mark.parametrize("name,defaults,g0,g1", CASES, ids=IDS)
def test_checkpoint_continues_bit_for_bit(name, defaults, g0, g1, tmp_path):
    # float32 parameters: loading casts ASGD's float32 η and μ to the parameters' dtype (as
    # PyTorch does), which changes nothing only when that is float32 too
    params, targets, opt = _build(tinytorch, name, defaults, g0, g1, np.float32)
    _run(opt, params, targets, 5)
    path = tmp_path / "checkpoint.safetensors"
    tinytorch.save({"params": params, "optimizer": opt.state_dict()}, path)
    _run(opt, params, targets, 5)
    checkpoint = tinytorch.load(path)
    resumed = [p.requires_grad_() for p in checkpoint["params"]]
    opt2 = getattr(optim, name)([dict(params=resumed[:2], **g0),
                                 dict(params=resumed[2:], **g1)], **defaults)
    opt2.load_state_dict(checkpoint["optimizer"])
    _run(opt2, resumed, targets, 5)
    for a, b in zip(params, resumed):
        assert b.dtype == tinytorch.float32
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_asgd_load_state_dict_casts_scalars_like_pytorch():
    torch = pytest.importorskip("torch")
    dtypes = []
    for lib in (tinytorch, torch):
        p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        opt = lib.optim.ASGD([p])
        (p * p).sum().backward()
        opt.step()
        opt2 = lib.optim.ASGD([p])
        opt2.load_state_dict(opt.state_dict())
        dtypes.append([str(opt2.state[p][k].dtype).split(".")[-1] for k in ("step", "eta", "mu")])
    assert dtypes[0] == dtypes[1] == ["float32", "float64", "float64"]


@pytest.mark.parametrize("cls,kwargs,match", [
    (optim.Rprop, dict(etas=(1.5, 2.0)), "Invalid eta values: 1.5, 2.0"),
    (optim.Rprop, dict(etas=(0.5, 0.9)), "Invalid eta values"),
    (optim.Rprop, dict(lr=-1), "Invalid learning rate"),
    (optim.ASGD, dict(weight_decay=-0.1), "Invalid weight_decay value"),
    (optim.ASGD, dict(lr=-0.1), "Invalid learning rate"),
])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([tinytorch.zeros(1, requires_grad=True)], **kwargs)


def test_differentiable_is_refused():
    for cls in (optim.Rprop, optim.ASGD):
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls([tinytorch.zeros(1, requires_grad=True)], differentiable=True)
