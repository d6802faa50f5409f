"""Every check of every op, generated from ``tinytorch.testing.op_db``.

For each row (``OpInfo``): float64 gradcheck (and gradgradcheck where the row allows it and
``tinytorch.autograd.gradgradcheck`` exists); the forward (and, for a composite reference,
the gradients) against the row's non-PyTorch reference; outputs and gradients against
PyTorch when it is installed; permuted and strided inputs; every variant against ``call``;
the row's error inputs. And the coverage rule: every public ``Tensor`` method,
``tinytorch.*`` function and ``nn.functional`` name has a row or an exemption.
"""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import autograd
from tinytorch.autograd import gradcheck
from tinytorch.testing import noncontiguous, op_db, op_db_exempt
from tinytorch.testing.opinfo import OpInfo

DIFFERENTIABLE = [op for op in op_db if op.differentiable]

# Examples per row and check, capped below the profile's: the table has hundreds of rows
# and six checks each, and the whole suite must stay within the CI budget. The checks that
# restate a value already checked (another layout, spelling or precision) draw fewer.
PRIMARY = settings(max_examples=min(settings().max_examples, 25))
SECONDARY = settings(max_examples=min(settings().max_examples, 10))


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _leaves(arrays_, requires_grad: bool, device: str = "cpu") -> list:
    return [tt.tensor(a, dtype=tt.float64, device=device, requires_grad=requires_grad)
            for a in arrays_]


def _array(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _backward_with(outs: list, cotangents: list, device: str) -> None:
    """Backward from every output that requires grad, each with its own cotangent."""
    pairs = [(o, c) for o, c in zip(outs, cotangents) if c is not None and o.requires_grad]
    if pairs:
        autograd.backward([o for o, _ in pairs],
                          [tt.tensor(c, dtype=o.dtype, device=device) for o, c in pairs])


def _cotangents(outs: list) -> list:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(tuple(o.shape)) if o.is_floating_point() else None
            for o in outs]


def _grads(inputs: list) -> list:
    return [np.zeros(tuple(x.shape)) if x.grad is None else x.grad.cpu().numpy()
            for x in inputs]


def _assert_same_grads(op: OpInfo, got: list, got_in: list, expected: list, expected_in: list,
                       device: str, what: str, rtol, atol) -> None:
    """Backward one set of random cotangents from both ``got`` and ``expected`` (outputs of
    the same shapes): the gradients of ``got_in`` equal those of ``expected_in``."""
    cotangents = _cotangents(expected)
    _backward_with(got, cotangents, device)
    _backward_with(expected, cotangents, device)
    for i, (g, e) in enumerate(zip(_grads(got_in), _grads(expected_in))):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol,
                                   err_msg=f"{op.name}: gradient of input {i} vs {what}")


def _assert_outputs_equal(op: OpInfo, got: list, expected: list, what: str,
                          rtol=None, atol=None) -> None:
    assert len(got) == len(expected), f"{op.name}: {len(got)} outputs vs {what}'s " \
                                      f"{len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape, f"{op.name} output {i}: shape {g.shape} vs {what} {e.shape}"
        assert g.dtype == e.dtype, f"{op.name} output {i}: dtype {g.dtype} vs {what} {e.dtype}"
        np.testing.assert_allclose(g, e, rtol=op.rtol if rtol is None else rtol,
                                   atol=op.atol if atol is None else atol,
                                   err_msg=f"{op.name} output {i} vs {what}")


# ------------------------------------------------------------------ gradients

@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=repr)
@PRIMARY
@given(data=st.data())
def test_gradcheck(op: OpInfo, data, device):
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    inputs = _leaves(arrays_, True, device)
    assert gradcheck(lambda *xs: op.call(tt, *xs, **kwargs), inputs, eps=1e-6, atol=1e-6,
                     rtol=1e-4)


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if op.gradgrad], ids=repr)
@PRIMARY
@given(data=st.data())
def test_gradgradcheck(op: OpInfo, data, device):
    gradgradcheck = getattr(autograd, "gradgradcheck", None)
    if gradgradcheck is None:
        pytest.skip("tinytorch.autograd.gradgradcheck does not exist yet (double backward)")
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    inputs = _leaves(arrays_, True, device)
    assert gradgradcheck(lambda *xs: op.call(tt, *xs, **kwargs), inputs, eps=1e-6,
                         atol=1e-5, rtol=1e-3)


# ------------------------------------------------------------------ the reference

@pytest.mark.parametrize("op", [op for op in op_db if op.ref is not None], ids=repr)
@PRIMARY
@given(data=st.data())
def test_matches_reference(op: OpInfo, data, device):
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    ours_in = _leaves(arrays_, op.differentiable, device)
    ours = _outputs(op.call(tt, *ours_in, **kwargs))
    if op.ref_kind == "numpy":
        with np.errstate(all="ignore"):  # references may make NaN/inf on purpose (log(-1))
            expected = _outputs(op.ref(np, *(a.copy() for a in arrays_), **kwargs))
        _assert_outputs_equal(op, [_array(o) for o in ours], expected, "the NumPy reference")
        return
    ref_in = _leaves(arrays_, op.differentiable, device)
    refs = _outputs(op.ref(tt, *ref_in, **kwargs))
    _assert_outputs_equal(op, [_array(o) for o in ours], [_array(r) for r in refs],
                          "the composite reference")
    if not op.differentiable:
        return
    _assert_same_grads(op, ours, ours_in, refs, ref_in, device, "the composite reference",
                       rtol=op.rtol, atol=op.atol)


def _check_against_torch(op: OpInfo, data, device, precision: str, rtol: float,
                         atol: float) -> None:
    """Outputs and input gradients (under one random cotangent) equal PyTorch's."""
    torch = pytest.importorskip("torch")
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    ours_in = [tt.tensor(a, dtype=getattr(tt, precision), device=device,
                         requires_grad=op.differentiable) for a in arrays_]
    theirs_in = [torch.tensor(a, dtype=getattr(torch, precision),
                              requires_grad=op.differentiable) for a in arrays_]
    ours = _outputs(op.call(tt, *ours_in, **kwargs))
    theirs = _outputs((op.torch_call or op.call)(torch, *theirs_in, **kwargs))
    _assert_outputs_equal(op, [_array(o) for o in ours], [t.detach().numpy() for t in theirs],
                          f"torch ({precision})", rtol=rtol, atol=atol)
    if not op.differentiable:
        return
    cotangents = [None if c is None else c.astype(precision) for c in _cotangents(ours)]
    pairs = [(t, c) for t, c in zip(theirs, cotangents) if c is not None and t.requires_grad]
    if pairs:
        torch.autograd.backward([t for t, _ in pairs], [torch.tensor(c) for _, c in pairs])
    _backward_with(ours, cotangents, device)
    for i, (x, y) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(tuple(y.shape)) if y.grad is None else y.grad.numpy()
        np.testing.assert_allclose(_grads([x])[0], expected, rtol=rtol, atol=atol,
                                   err_msg=f"{op.name}: {precision} gradient of input {i} "
                                           f"vs torch")


@pytest.mark.parametrize("op", op_db, ids=repr)
@PRIMARY
@given(data=st.data())
def test_matches_torch(op: OpInfo, data, device):
    if op.torch_reason:
        pytest.skip(op.torch_reason)
    _check_against_torch(op, data, device, "float64", op.rtol, op.atol)


NN_ROWS = [op for op in op_db if op.name.startswith(("F.", "nn.")) and not op.torch_reason]

# rows whose float arguments outside the tensors (class weights, pos_weight, targets, running
# statistics, a module row's parameters) are float64: PyTorch refuses to mix them with float32
# inputs, so the float32 run would compare two different programs; the float64 one stands
FLOAT64_ARGUMENTS = {"F.cross_entropy_weighted", "F.nll_loss_weighted", "F.batch_norm_eval",
                     "F.binary_cross_entropy_with_logits_pos_weight", "F.soft_margin_loss",
                     "nn.LayerNorm"}


@pytest.mark.parametrize("op", [op for op in NN_ROWS if op.name not in FLOAT64_ARGUMENTS],
                         ids=repr)
@SECONDARY
@given(data=st.data())
def test_nn_matches_torch_in_float32(op: OpInfo, data, device):
    """The fused nn ops run in float32 in training: outputs and gradients within float32's
    rounding of PyTorch's."""
    _check_against_torch(op, data, device, "float32", 1e-4, 1e-4)


# ------------------------------------------------------------------ layouts and spellings

@pytest.mark.parametrize("op", [op for op in op_db if not op.needs_contiguous], ids=repr)
@SECONDARY
@given(data=st.data())
def test_noncontiguous_inputs(op: OpInfo, data, device):
    """An op sees only values: permuted or strided views give what contiguous inputs give."""
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    contiguous = _leaves(arrays_, op.differentiable, device)
    views = [data.draw(noncontiguous(x), label=f"view {i}") for i, x in enumerate(contiguous)]
    expected = _outputs(op.call(tt, *contiguous, **kwargs))
    got = _outputs(op.call(tt, *views, **kwargs))
    _assert_outputs_equal(op, [_array(g) for g in got], [_array(e) for e in expected],
                          "contiguous inputs", rtol=1e-12, atol=1e-12)
    if not op.differentiable:
        return
    # BLAS may sum in another order for another layout: a few ulps apart
    _assert_same_grads(op, got, views, expected, contiguous, device, "contiguous inputs",
                       rtol=1e-12, atol=1e-12)


VARIANTS = [(op, name) for op in op_db for name in op.variants]


@pytest.mark.parametrize("op,variant", VARIANTS, ids=[f"{op.name}-{v}" for op, v in VARIANTS])
@SECONDARY
@given(data=st.data())
def test_variants_agree(op: OpInfo, variant: str, data, device):
    """Every spelling of an op (method, function, F., in-place) computes what ``call`` does,
    gradients included."""
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    a_in = _leaves(arrays_, op.differentiable, device)
    b_in = _leaves(arrays_, op.differentiable, device)
    a = _outputs(op.call(tt, *a_in, **kwargs))
    b = _outputs(op.variants[variant](tt, *b_in, **kwargs))
    _assert_outputs_equal(op, [_array(o) for o in b], [_array(o) for o in a], "call",
                          rtol=1e-13, atol=1e-13)
    if op.differentiable:
        _assert_same_grads(op, b, b_in, a, a_in, device, "call", rtol=1e-13, atol=1e-13)


# ------------------------------------------------------------------ errors

ERRORS = [(op, err) for op in op_db for err in op.errors]


def _call_error(err, lib, device):
    """An error input's call takes ``(lib, device)``, or ``(lib)`` alone."""
    if len(inspect.signature(err.call).parameters) >= 2:
        return err.call(lib, device)
    return err.call(lib)


@pytest.mark.parametrize("op,err", ERRORS, ids=[f"{op.name}-{i}" for i, (op, _) in
                                                 enumerate(ERRORS)])
def test_error_inputs(op: OpInfo, err, device):
    with pytest.raises(err.exc, match=err.match):
        _call_error(err, tt, device)


@pytest.mark.parametrize("op,err", [(op, e) for op, e in ERRORS if e.torch_too],
                         ids=[f"{op.name}-{i}" for i, (op, e) in enumerate(ERRORS)
                              if e.torch_too])
def test_error_inputs_raise_the_same_type_in_torch(op: OpInfo, err):
    torch = pytest.importorskip("torch")
    with pytest.raises(err.exc):
        _call_error(err, torch, "cpu")


# ------------------------------------------------------------------ coverage by rule

def _public_functions(module, prefix: str) -> set[str]:
    names = getattr(module, "__all__", None) or dir(module)
    return {f"{prefix}.{n}" for n in names if not n.startswith("_")
            and callable(getattr(module, n, None))
            and not isinstance(getattr(module, n), (type, types.ModuleType))}


def public_names() -> set[str]:
    """Every public ``Tensor`` attribute, ``tinytorch.*``, ``tinytorch.linalg.*`` and
    ``tinytorch.special.*`` function and ``F.*`` name."""
    tensor = {f"Tensor.{n}" for n in dir(tt.Tensor) if not n.startswith("_")}
    return tensor | _public_functions(tt, "tinytorch") | _public_functions(F, "F") | \
        _public_functions(tt.linalg, "tinytorch.linalg") | \
        _public_functions(tt.special, "tinytorch.special")


def test_every_public_op_has_a_row_or_an_exemption():
    covered = {name for op in op_db for name in op.covers}
    missing = sorted(public_names() - covered - set(op_db_exempt))
    assert not missing, (f"{len(missing)} public names have no op_db row (OpInfo.covers) "
                         f"and no exemption (op_db_exempt): {missing}")


def test_rows_and_exemptions_name_real_things():
    public = public_names()
    stale = sorted((set(op_db_exempt) | {n for op in op_db for n in op.covers
                                         if not n.startswith("nn.")}) - public)
    assert not stale, f"op_db names that are not public names: {stale}"
    both = sorted(set(op_db_exempt) & {n for op in op_db for n in op.covers})
    assert not both, f"names both covered by a row and exempt: {both}"


def test_row_names_are_unique():
    names = [op.name for op in op_db]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_every_differentiable_row_has_a_reference():
    """The issue's bar: every public differentiable op has a non-PyTorch reference."""
    assert not [op.name for op in op_db if op.differentiable and op.ref is None]
