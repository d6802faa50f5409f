"""The convolution/pooling family of op_db rows, run here directly (a few examples each):
float64 gradcheck, the NumPy reference, PyTorch, non-contiguous input and the error table.
``tests/test_op_db.py`` runs the same rows in full once the family is wired into op_db."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import tinytorch as tt
from tinytorch.autograd import gradcheck
from tinytorch.testing.op_db.conv import op_db

FEW = settings(max_examples=8, deadline=None, derandomize=True,
               suppress_health_check=list(HealthCheck))


def _to_tt(arrays, grad=False):
    return [tt.tensor(a, requires_grad=grad) for a in arrays]


@pytest.mark.parametrize("op", op_db, ids=repr)
def test_row_gradcheck_reference_variants(op):
    @FEW
    @given(op.inputs)
    def check(sample):
        arrays, kwargs = sample
        inputs = _to_tt(arrays, grad=op.differentiable)
        out = op.call(tt, *inputs, **kwargs)
        expected = op.ref(np, *arrays, **kwargs)
        np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-10, rtol=1e-7)
        for name, variant in op.variants.items():
            np.testing.assert_allclose(variant(tt, *_to_tt(arrays), **kwargs).numpy(),
                                       expected, atol=1e-10, err_msg=name)
        # a non-contiguous copy of every input gives the same result
        strided = [tt.tensor(np.repeat(a, 2, axis=-1))[..., ::2] for a in arrays]
        np.testing.assert_allclose(op.call(tt, *strided, **kwargs).numpy(), expected,
                                   atol=1e-10)
        if op.differentiable:
            assert gradcheck(lambda *xs: op.call(tt, *xs, **kwargs), inputs)

    check()


@pytest.mark.parametrize("op", op_db, ids=repr)
def test_row_matches_torch(op):
    torch = pytest.importorskip("torch")

    @FEW
    @given(op.inputs)
    def check(sample):
        arrays, kwargs = sample
        ours = _to_tt(arrays, grad=True)
        ref = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, y_ref = op.call(tt, *ours, **kwargs), op.call(torch, *ref, **kwargs)
        np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), atol=1e-10)
        g = np.random.default_rng(0).standard_normal(tuple(y_ref.shape))
        y.backward(tt.tensor(g))
        y_ref.backward(torch.tensor(g))
        for a, b in zip(ours, ref):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)

    check()


ERRORS = [(op, e) for op in op_db for e in op.errors]


@pytest.mark.parametrize("op,err", ERRORS, ids=[f"{op.name}-{i}" for i, (op, _) in
                                                 enumerate(ERRORS)])
def test_error_inputs(op, err):
    call = (lambda lib: err.call(lib, "cpu")) \
        if len(inspect.signature(err.call).parameters) >= 2 else err.call
    with pytest.raises(err.exc, match=err.match):
        call(tt)
    if err.torch_too:
        torch = pytest.importorskip("torch")
        with pytest.raises(err.exc):
            call(torch)
