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

import tinytorch
from tinytorch import backend, nn, optim
from tinytorch.optim.optimizer import CHUNK_ELEMENTS
from tinytorch.testing import assert_fast_path_matches

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


@pytest.fixture(params=[False, True], ids=["one-thread", "split"])
def threads(request, monkeypatch):
    """Threading off, or on with two threads and no size floor (so the fast Adam splits)."""
    if request.param:
        monkeypatch.setattr(backend, "_threads", 2)
        monkeypatch.setattr(backend, "PARALLEL_MIN_ELEMENTS", 1)
    monkeypatch.setattr(backend, "_parallel", request.param)
    return request.param


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
def test_adam_fast_path_matches_the_formula(threads, dtype, options, shape):
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

