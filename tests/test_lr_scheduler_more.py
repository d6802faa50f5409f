"""The schedulers of issue 12 against PyTorch's learning-rate (and momentum) sequences over
60 steps, and state-dict round trips that continue the same sequence."""

from __future__ import annotations

import copy
import math

import pytest
from test_lr_scheduler import scheduler_steps

import tinytorch
from tinytorch import optim
from tinytorch.optim import lr_scheduler as S

STEPS = 60


def _opt(lib, name="SGD", **kw):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    kw.setdefault("lr", 0.1)
    if name == "SGD":
        kw.setdefault("momentum", 0.9)
    return getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.05}], **kw)


def _halving(epoch):
    return 0.95


CASES = {
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[5, 20, 20, 40], gamma=0.5),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=7),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=30, power=2.0),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, _halving),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.001),
    "CosineAnnealingWarmRestarts-1": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=7),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS + 1),
    "OneCycleLR-3": lambda L, o: L.OneCycleLR(o, max_lr=0.8, epochs=4, steps_per_epoch=16,
                                              three_phase=True, anneal_strategy="linear",
                                              pct_start=0.25),
    "CyclicLR": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=7),
    "CyclicLR-2": lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4,
                                          step_size_down=9, mode="triangular2"),
    "CyclicLR-exp": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                            mode="exp_range", gamma=0.97),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=4), L.ExponentialLR(o, gamma=0.9)]),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.MultiStepLR(o, [10, 20]),
            L.PolynomialLR(o, total_iters=10)], milestones=[8, 30]),
}


def _lrs_and_momenta(lib, case, optimizer="SGD"):
    opt = _opt(lib, optimizer)
    sched = CASES[case](lib.optim.lr_scheduler, opt)
    seen = []
    for _ in range(STEPS):
        group = opt.param_groups[1]
        momentum = group.get("momentum", group.get("betas", (None,))[0])
        seen.append((list(sched.get_last_lr()), momentum))
        opt.step()
        sched.step()
    return seen


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    optimizer = "Adam" if case.startswith("OneCycleLR-3") else "SGD"
    ours = _lrs_and_momenta(tinytorch, case, optimizer)
    ref = _lrs_and_momenta(torch, case, optimizer)
    for step, ((lr_a, m_a), (lr_b, m_b)) in enumerate(zip(ours, ref)):
        assert lr_a == pytest.approx(lr_b, rel=1e-12, abs=1e-15), f"step {step}"
        assert m_a == pytest.approx(m_b, rel=1e-12), f"momentum at step {step}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_round_trip(case):
    opt = _opt(tinytorch)
    sched = CASES[case](S, opt)
    scheduler_steps(opt, sched, 13)
    saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    expected = scheduler_steps(opt, sched, 10)
    opt2 = _opt(tinytorch)
    sched2 = CASES[case](S, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    assert scheduler_steps(opt2, sched2, 10) == expected


def test_reduce_lr_on_plateau_matches_pytorch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.94, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.79,
               0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] * 3
    for kwargs in (dict(patience=2), dict(mode="max", factor=0.5, patience=1, cooldown=2,
                                          min_lr=[0.01, 0.02]),
                   dict(threshold_mode="abs", threshold=0.05, patience=0)):
        seqs = []
        for lib in (tinytorch, torch):
            opt = _opt(lib)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
            seq = []
            for m in metrics:
                opt.step()
                sched.step(m)
                seq.extend(sched.get_last_lr())
            seqs.append(seq)
        assert seqs[0] == pytest.approx(seqs[1])


def test_reference_values():
    opt = _opt(tinytorch)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=4)
    lrs = []
    for _ in range(9):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    expected = [0.05 * (1 + math.cos(math.pi * (t % 4) / 4)) for t in range(9)]
    assert lrs == pytest.approx(expected)
    opt = _opt(tinytorch)
    sched = S.MultiStepLR(opt, [2, 4])
    assert scheduler_steps(opt, sched, 5)[-1][0] == pytest.approx(0.1 * 0.1 ** 2)


def test_errors():
    opt = _opt(tinytorch)
    with pytest.raises(ValueError, match="total_steps OR"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.CyclicLR(optim.Adagrad([tinytorch.zeros(1, requires_grad=True)]), 0.01, 0.1)
    opt = _opt(tinytorch)
    sched = S.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    opt.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        sched.step()
