"""Issue 11a: the selection, scatter and reshaping rows of op_db, run by a small local
runner (until the shared op_db machinery runs them), plus what a row cannot express:
ties, NaN, in-place history and argument forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinytorch
from tinytorch.autograd import gradcheck
from tinytorch.testing.op_db import reshaping, scatter, selection

ROWS = [*selection.op_db, *scatter.op_db, *reshaping.op_db]


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _tensors(lib, arrays, grad, noncontiguous=False):
    out = []
    for a in arrays:
        if noncontiguous and lib is tinytorch and a.ndim >= 2:
            t = tinytorch.Tensor._make(np.asfortranarray(a))
            out.append(t.requires_grad_(grad))
        else:
            out.append(lib.tensor(a, requires_grad=grad))
    return out


def _close(actual, expected, row, what):
    assert len(actual) == len(expected), f"{what}: {len(actual)} outputs vs {len(expected)}"
    for k, (a, e) in enumerate(zip(actual, expected)):
        a, e = _np(a), _np(e)
        assert a.shape == e.shape, f"{what} output {k}: shape {a.shape} vs {e.shape}"
        np.testing.assert_allclose(a, e, rtol=row.rtol, atol=row.atol,
                                   err_msg=f"{what} output {k}")


@pytest.mark.parametrize("row", ROWS, ids=repr)
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_row(row, data):
    arrays, kwargs = data.draw(row.inputs)
    ts = _tensors(tinytorch, arrays, row.differentiable)
    out = _outputs(row.call(tinytorch, *ts, **kwargs))
    if row.ref is not None:
        ref = row.ref(np, *arrays, **kwargs)
        _close(out, _outputs(ref), row, "reference")
    for name, variant in row.variants.items():
        vs = _tensors(tinytorch, arrays, row.differentiable)
        _close(_outputs(variant(tinytorch, *vs, **kwargs)), out, row, f"variant {name}")
    if not row.needs_contiguous:
        nc = _tensors(tinytorch, arrays, False, noncontiguous=True)
        _close(_outputs(row.call(tinytorch, *nc, **kwargs)), out, row, "non-contiguous")
    if row.differentiable and ts:
        gradcheck(lambda *xs: row.call(tinytorch, *xs, **kwargs), tuple(ts))
    torch = pytest.importorskip("torch")
    if row.torch_reason:
        return
    tts = _tensors(torch, arrays, row.differentiable)
    tout = _outputs((row.torch_call or row.call)(torch, *tts, **kwargs))
    _close(out, tout, row, "torch")
    for a, e in zip(out, tout):
        assert str(a.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], (a.dtype, e.dtype)
    if row.differentiable and ts:
        ts = _tensors(tinytorch, arrays, True)
        out = _outputs(row.call(tinytorch, *ts, **kwargs))
        seeds = [np.random.default_rng(k).standard_normal(_np(o).shape) for k, o in
                 enumerate(out)]
        floats = [k for k, o in enumerate(out) if o.requires_grad]
        if not floats:
            return
        sum((out[k] * tinytorch.tensor(seeds[k])).sum() for k in floats).backward()
        sum((tout[k] * torch.tensor(seeds[k])).sum() for k in floats).backward()
        for a, e in zip(ts, tts):
            ga = np.zeros(a.shape) if a.grad is None else _np(a.grad)
            ge = np.zeros(tuple(e.shape)) if e.grad is None else _np(e.grad)
            np.testing.assert_allclose(ga, ge, rtol=1e-7, atol=1e-10)


ERRORS = [(row, e) for row in ROWS for e in row.errors]


@pytest.mark.parametrize("row,error", ERRORS, ids=lambda x: repr(x))
def test_errors(row, error):
    with pytest.raises(error.exc, match=error.match):
        error.call(tinytorch)
    if not error.torch_too:
        return
    torch = pytest.importorskip("torch")
    with pytest.raises(error.exc):
        error.call(torch)
