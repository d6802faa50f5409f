"""Learning-rate schedulers against PyTorch, their state dicts, and the Transformer warm-up rule."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytorch
from tinytorch import nn, optim
from tinytorch.optim import lr_scheduler

STEPS = 20


class Scaled:
    """A picklable-free callable lambda, so LambdaLR's state dict keeps its attributes."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.rate ** epoch


# each entry builds a scheduler from (lr_scheduler module, optimizer)
SCHEDULES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 + e]),
    "StepLR": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingLR-past-T_max": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=1e-3),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=8),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.25,
                                              total_iters=12),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.2, total_iters=5),
            m.CosineAnnealingLR(o, T_max=12, eta_min=1e-4)], milestones=[5]),
    "SequentialLR-three": lambda m, o: m.SequentialLR(
        o, [m.LambdaLR(o, lambda e: 0.5), m.StepLR(o, step_size=2, gamma=0.8),
            m.LinearLR(o, start_factor=0.5, total_iters=3)], milestones=[3, 9]),
}


def _params(lib, dtype=np.float64):
    rng = np.random.default_rng(7)
    return [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in [(4, 3), (3,), (5,)]]


def scheduler_steps(opt, sched, n: int) -> list:
    """Take ``n`` optimizer steps, each followed by a scheduler step; the rates after each."""
    lrs = []
    for _ in range(n):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return lrs


def _run(lib, build, make_opt=None, steps=STEPS):
    """Train a quadratic for ``steps`` steps; return the lrs seen and the final parameters."""
    params = _params(lib)
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.05,
                                        "weight_decay": 0.01}]
    opt = make_opt(lib, groups) if make_opt else lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    sched = build(lib.optim.lr_scheduler, opt)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.zero_grad()
        sum(((p - 0.5) ** 2).sum() for p in params).backward()
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
    return np.array(lrs), [p.detach().numpy() for p in params]


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_matches_pytorch_over_20_steps(name):
    torch = pytest.importorskip("torch")
    ours, ours_params = _run(tinytorch, SCHEDULES[name])
    theirs, their_params = _run(torch, SCHEDULES[name])
    assert ours.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert len(set(ours[:, 0].tolist())) > 1, "the schedule never changed the lr"
    for a, b in zip(ours_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


def test_adamw_with_warmup_then_cosine_matches_pytorch():
    torch = pytest.importorskip("torch")

    def make(lib, groups):
        return lib.optim.AdamW(groups, lr=0.02, weight_decay=0.1, amsgrad=True)

    ours, ours_params = _run(tinytorch, SCHEDULES["SequentialLR"], make)
    theirs, their_params = _run(torch, SCHEDULES["SequentialLR"], make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for a, b in zip(ours_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


@pytest.mark.assignment6
def test_closed_forms_hold_without_torch():
    # independent checks of the documented formulas (the chainable forms must agree)
    lrs, _ = _run(tinytorch, SCHEDULES["StepLR"])
    np.testing.assert_allclose(lrs[:, 0], [0.1 * 0.5 ** (e // 4) for e in range(STEPS + 1)])
    lrs, _ = _run(tinytorch, SCHEDULES["CosineAnnealingLR-past-T_max"])
    expected = [1e-3 + (0.1 - 1e-3) * (1 + math.cos(math.pi * e / 6)) / 2
                for e in range(STEPS + 1)]
    np.testing.assert_allclose(lrs[:, 0], expected, rtol=1e-10)
    lrs, _ = _run(tinytorch, SCHEDULES["LinearLR"])
    expected = [0.05 * (0.1 + 0.9 * min(e, 8) / 8) for e in range(STEPS + 1)]
    np.testing.assert_allclose(lrs[:, 1], expected, rtol=1e-12)
    lrs, _ = _run(tinytorch, SCHEDULES["SequentialLR"])
    warm = [0.1 * (0.2 + 0.8 * e / 5) for e in range(5)]
    cos = [1e-4 + (0.1 - 1e-4) * (1 + math.cos(math.pi * e / 12)) / 2 for e in range(16)]
    np.testing.assert_allclose(lrs[:, 0], warm + cos, rtol=1e-10)


@pytest.mark.assignment6
def test_noam_lambda_is_the_papers_rule():
    d_model, warmup = 512, 4000
    rule = lr_scheduler.noam_lambda(d_model, warmup)
    for step in [1, 2, 100, 3999, 4000, 4001, 10**5]:
        expected = d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)
        assert rule(step - 1) == pytest.approx(expected, rel=1e-12)
    values = [rule(e) for e in range(8000)]
    assert int(np.argmax(values)) == warmup - 1  # the peak is at step_num == warmup
    assert values[warmup - 1] == pytest.approx((d_model * warmup) ** -0.5)
    assert rule(0) == pytest.approx(d_model ** -0.5 * warmup ** -1.5)
    assert lr_scheduler.noam_lambda(d_model, warmup, factor=2.0)(10) == pytest.approx(
        2 * rule(10))
    with pytest.raises(ValueError, match="warmup"):
        lr_scheduler.noam_lambda(512, 0)


@pytest.mark.assignment6
def test_noam_with_lambda_lr_sets_the_learning_rate():
    p = nn.Parameter(tinytorch.ones(2))
    opt = optim.Adam([p], lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    sched = lr_scheduler.LambdaLR(opt, lr_scheduler.noam_lambda(d_model=64, warmup=10))
    seen = []
    for _ in range(30):
        seen.append(opt.param_groups[0]["lr"])
        p.grad = tinytorch.ones(2)
        opt.step()
        sched.step()
    expected = [64 ** -0.5 * min(s ** -0.5, s * 10 ** -1.5) for s in range(1, 31)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_round_trip_through_a_checkpoint(tmp_path, name):
    pytest.importorskip("safetensors")
    build = SCHEDULES[name]
    params = _params(tinytorch)
    opt = optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.1)
    sched = build(lr_scheduler, opt)
    scheduler_steps(opt, sched, 7)
    path = tmp_path / "sched.safetensors"
    tinytorch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    expected = scheduler_steps(opt, sched, 9)

    ckpt = tinytorch.load(path)
    opt2 = optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.1)
    sched2 = build(lr_scheduler, opt2)
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    assert scheduler_steps(opt2, sched2, 9) == expected


def test_lambda_lr_state_dict_keeps_callable_objects_only():
    p = nn.Parameter(tinytorch.ones(1))
    opt = optim.SGD([{"params": [p]}, {"params": [nn.Parameter(tinytorch.ones(1))]}], lr=1.0)
    sched = lr_scheduler.LambdaLR(opt, [Scaled(0.5), lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    other = lr_scheduler.LambdaLR(opt, [Scaled(0.9), lambda e: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5


def test_resuming_needs_initial_lr():
    opt = optim.SGD([nn.Parameter(tinytorch.ones(1))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)
    lr_scheduler.StepLR(opt, step_size=2)
    resumed = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert resumed.last_epoch == 5


def test_stepping_the_scheduler_first_warns():
    opt = optim.SGD([nn.Parameter(tinytorch.ones(1))], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = optim.SGD([nn.Parameter(tinytorch.ones(1))], lr=0.1)
    sched2 = lr_scheduler.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


@pytest.mark.parametrize("build,error,match", [
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0] * 3), ValueError, "Expected 1"),
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), ValueError, "Starting"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], milestones=[3]),
     ValueError, "milestone"),
    (lambda o: lr_scheduler.StepLR(object(), 2), TypeError, "not an Optimizer"),
])
def test_bad_arguments_raise_clear_errors(build, error, match):
    opt = optim.SGD([nn.Parameter(tinytorch.ones(1))], lr=0.1)
    with pytest.raises(error, match=match):
        build(opt)
