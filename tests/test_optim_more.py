"""RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam against PyTorch, state-dict round trips
(continuing bit for bit), add_param_group, zero_grad; the nn.utils gradient helpers."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinytorch
from tinytorch import nn, optim

SHAPES = [(3, 4), (5,), (2, 3, 2)]
STEPS = 30

CASES = [
    ("RMSprop", dict(lr=0.01), dict(), dict(alpha=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True), dict(weight_decay=0.1),
     dict(maximize=True, momentum=0.0)),
    ("Adagrad", dict(lr=0.1), dict(lr_decay=0.01), dict(initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.05), dict(maximize=True), dict(eps=1e-6)),
    ("Adadelta", dict(), dict(rho=0.8), dict(lr=0.5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.3, maximize=True), dict(), dict(eps=1e-4)),
    ("Adamax", dict(lr=0.01), dict(betas=(0.8, 0.99)), dict(weight_decay=0.1)),
    ("Adamax", dict(lr=0.02, maximize=True), dict(), dict(eps=1e-5)),
    ("NAdam", dict(lr=0.01), dict(momentum_decay=0.01), dict(weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
     dict(maximize=True), dict(betas=(0.8, 0.95))),
    ("RAdam", dict(lr=0.01), dict(weight_decay=0.1), dict(betas=(0.5, 0.9))),
    ("RAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
     dict(maximize=True), dict()),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2), dict(), dict(weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True), dict(weight_decay=0.1), dict(betas=(0.8, 0.9))),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _init():
    rng = np.random.default_rng(7)
    return [rng.standard_normal(s) for s in SHAPES]


def _loss(params, targets):
    total = 0
    for p, t in zip(params, targets):
        total = total + ((p - t) ** 2).sum() + (p.sin() * 0.3).sum()
    return total


def _build(lib, name, defaults, g0, g1):
    params = [lib.tensor(a.copy(), requires_grad=True) for a in _init()]
    rng = np.random.default_rng(9)
    targets = [lib.tensor(rng.standard_normal(a.shape)) for a in _init()]
    groups = [dict(params=params[:2], **g0), dict(params=params[2:], **g1)]
    return params, targets, getattr(lib.optim, name)(groups, **defaults)


def _run(opt, params, targets, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, targets).backward()
        opt.step()


@pytest.mark.parametrize("name,defaults,g0,g1", CASES, ids=IDS)
def test_matches_pytorch(name, defaults, g0, g1):
    torch = pytest.importorskip("torch")
    ours = _build(tinytorch, name, defaults, g0, g1)
    ref = _build(torch, name, defaults, g0, g1)
    _run(ours[2], ours[0], ours[1], STEPS)
    _run(ref[2], ref[0], ref[1], STEPS)
    for a, b in zip(ours[0], ref[0]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    ours_state, ref_state = ours[2].state_dict(), ref[2].state_dict()
    assert ours_state["param_groups"] == [
        {k: v for k, v in g.items()} for g in ref_state["param_groups"]]
    for index, buffers in ref_state["state"].items():
        assert sorted(ours_state["state"][index]) == sorted(buffers)
        for key, value in buffers.items():
            np.testing.assert_allclose(ours_state["state"][index][key].numpy(),
                                       value.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name,defaults,g0,g1", CASES, ids=IDS)
def test_state_dict_round_trip_continues_bit_for_bit(name, defaults, g0, g1):
    params, targets, opt = _build(tinytorch, name, defaults, g0, g1)
    _run(opt, params, targets, 5)
    saved_params = [p.detach().numpy().copy() for p in params]
    saved = copy.deepcopy(opt.state_dict())
    _run(opt, params, targets, 5)
    resumed = [tinytorch.tensor(a, requires_grad=True) for a in saved_params]
    groups = [dict(params=resumed[:2], **g0), dict(params=resumed[2:], **g1)]
    opt2 = getattr(optim, name)(groups, **defaults)
    opt2.load_state_dict(saved)
    _run(opt2, resumed, targets, 5)
    for a, b in zip(params, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_reference_single_steps():
    # the formulas, written out for one scalar parameter with gradient 2 (p = 1, loss p^2)
    def one_step(opt_cls, **kw):
        p = tinytorch.tensor([1.0], requires_grad=True)
        opt = opt_cls([p], **kw)
        (p * p).sum().backward()
        opt.step()
        return float(p.detach().numpy()[0])

    assert one_step(optim.Adagrad, lr=0.1) == pytest.approx(1 - 0.1 * 2 / (2 + 1e-10))
    assert one_step(optim.RMSprop, lr=0.01, alpha=0.9) == pytest.approx(
        1 - 0.01 * 2 / (np.sqrt(0.1 * 4) + 1e-8))
    assert one_step(optim.Adamax, lr=0.1) == pytest.approx(1 - 0.1 / 0.1 * 0.2 / (2 + 1e-8))
    delta = np.sqrt(1e-6) / np.sqrt(0.1 * 4 + 1e-6) * 2
    assert one_step(optim.Adadelta) == pytest.approx(1 - delta)
    # RAdam's first steps are un-rectified momentum SGD: m̂ = g
    assert one_step(optim.RAdam, lr=0.1) == pytest.approx(1 - 0.1 * 2)


def test_add_param_group_and_zero_grad():
    a = tinytorch.zeros(2, requires_grad=True)
    b = tinytorch.zeros(3, requires_grad=True)
    opt = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.2)
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["initial_accumulator_value"] == 0.2
    (a.sum() + b.sum()).backward()
    opt.step()
    assert float(opt.state[b]["sum"].numpy()[0]) == pytest.approx(1.2)
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and not a.grad.numpy().any()
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("cls,kwargs,match", [
    (optim.RMSprop, dict(alpha=-0.1), "Invalid alpha value"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value"),
    (optim.Adadelta, dict(rho=1.5), "Invalid rho value"),
    (optim.Adamax, dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (optim.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value"),
    (optim.RAdam, dict(eps=-1), "Invalid epsilon value"),
])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([tinytorch.zeros(1, requires_grad=True)], **kwargs)


def test_grad_utils_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) * 3 for s in SHAPES]
    for fn, args in [("clip_grad_value_", (0.5,)), ("clip_grad_norm_", (1.0,)),
                     ("clip_grad_norm_", (2.0, float("inf"))),
                     ("clip_grad_norm_", (1.5, 1.0))]:
        ours = [tinytorch.zeros(*a.shape, dtype=tinytorch.float64, requires_grad=True)
                for a in arrays]
        ref = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
        for o, r, a in zip(ours, ref, arrays):
            o.grad, r.grad = tinytorch.tensor(a.copy()), torch.tensor(a.copy())
        out_o = getattr(nn.utils, fn)(ours, *args)
        out_r = getattr(torch.nn.utils, fn)(ref, *args)
        if out_r is not None:
            assert float(out_o) == pytest.approx(float(out_r), rel=1e-12)
        for o, r in zip(ours, ref):
            np.testing.assert_allclose(o.grad.numpy(), r.grad.numpy(), rtol=1e-12)
    ours = [tinytorch.tensor(a, requires_grad=True) for a in arrays]
    vec = nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(
        vec.detach().numpy(),
        torch.nn.utils.parameters_to_vector([torch.tensor(a) for a in arrays]).numpy())
    nn.utils.vector_to_parameters(vec * 2, ours)
    np.testing.assert_array_equal(ours[1].detach().numpy(), arrays[1] * 2)
    bad = [tinytorch.zeros(2, requires_grad=True)]
    bad[0].grad = tinytorch.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True, foreach=True)
