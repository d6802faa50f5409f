"""Hypothesis strategies for property-based tests of tensors and ops (public, for courses).

Typical use::

    from hypothesis import given
    from tinytorch.testing import broadcastable_shapes, tensors

    @given(broadcastable_shapes(n=2).flatmap(
        lambda shapes: st.tuples(*(tensors(s, dtype=tinytorch.float64) for s in shapes))))
    def test_add_commutes(pair):
        a, b = pair
        assert (a + b).allclose(b + a)

Every strategy draws small shapes by default so that property tests stay fast.
Requires ``hypothesis`` (in the ``test`` extra); importing ``tinytorch`` alone does not.
"""

from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .. import backend
from ..tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "arrays", "tensors", "tensor_tuples",
           "noncontiguous", "assert_close", "parameters_replaced", "assert_fast_path_matches"]

Shape = tuple


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[Shape]:
    """Array shapes with ``min_dims..max_dims`` axes, each of size ``min_side..max_side``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[tuple[Shape, ...]]:
    """``n`` shapes that broadcast together (some axes size 1, some missing on the left)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda bs: tuple(bs.input_shapes))


def arrays(shape: Shape, dtype=None, low: float = -3.0, high: float = 3.0,
           exclude_zero_band: float = 0.0) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays of ``shape`` with finite elements in ``[low, high]``.

    ``exclude_zero_band`` keeps ``|x| >= band`` (for ops like ``1/x`` or ``log|x|`` whose
    finite differences blow up near 0). Integer and bool dtypes draw from ``[low, high]``.
    """
    np_dtype = backend.to_dtype(dtype if dtype is not None else backend.float64).np
    if np_dtype.kind == "b":
        elements = st.booleans()
    elif np_dtype.kind in "iu":
        elements = st.integers(int(np.ceil(low)), int(np.floor(high)))
    else:
        width = 32 if np_dtype == np.float32 else 64
        elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)
        if exclude_zero_band > 0:
            band = exclude_zero_band
            elements = elements.filter(lambda v: abs(v) >= band)
    return hnp.arrays(np_dtype, shape, elements=elements)


def tensors(shape: Shape | st.SearchStrategy[Shape] | None = None, dtype=None,
            low: float = -3.0, high: float = 3.0, requires_grad: bool = False,
            device: str = "cpu", exclude_zero_band: float = 0.0) -> st.SearchStrategy[Tensor]:
    """Tensors of a given shape (or drawn from a shape strategy) and dtype (default float64).

    Elements are finite and bounded by ``[low, high]``; ``requires_grad`` makes leaves.
    """
    shape_strategy = shape if isinstance(shape, st.SearchStrategy) else (
        st.just(tuple(shape)) if shape is not None else shapes())

    def build(arr: np.ndarray) -> Tensor:
        t = Tensor._make(backend.move(arr, device))
        return t.requires_grad_(True) if requires_grad else t

    return shape_strategy.flatmap(
        lambda s: arrays(s, dtype, low, high, exclude_zero_band)).map(build)


def tensor_tuples(shapes_: Sequence[Shape], dtype=None, low: float = -3.0, high: float = 3.0,
                  requires_grad: bool = False, device: str = "cpu"
                  ) -> st.SearchStrategy[tuple[Tensor, ...]]:
    """One tensor per shape in ``shapes_`` (pair with ``broadcastable_shapes`` via flatmap)."""
    return st.tuples(*(tensors(s, dtype, low, high, requires_grad, device) for s in shapes_))


def noncontiguous(t: Tensor) -> st.SearchStrategy[Tensor]:
    """Tensors equal to ``t`` whose memory is not row-major: permuted or strided views.

    The view is made with NumPy on a larger or transposed buffer, so the values (and shape)
    match ``t`` while the strides differ; the result is a leaf like ``t``.
    """
    arr = t._data
    xp = backend.get_array_module(arr)

    def strided(step: int) -> Tensor:
        # every `step`-th element of a buffer `step` times larger along the last axis
        if arr.ndim == 0:
            return _leaf_like(t, arr)
        big = xp.zeros(arr.shape[:-1] + (arr.shape[-1] * step,), dtype=arr.dtype)
        big[..., ::step] = arr
        return _leaf_like(t, big[..., ::step])

    def permuted(perm: Sequence[int]) -> Tensor:
        # store the data in permuted order, then view it back in t's order
        inverse = tuple(int(i) for i in np.argsort(perm))
        stored = xp.ascontiguousarray(arr.transpose(perm))
        return _leaf_like(t, stored.transpose(inverse))

    options = [st.integers(2, 3).map(strided)]
    if arr.ndim >= 2:
        options.append(st.permutations(range(arr.ndim)).filter(
            lambda p: list(p) != list(range(arr.ndim))).map(permuted))
    return st.one_of(*options)


def _leaf_like(t: Tensor, array) -> Tensor:
    out = Tensor._make(array)
    return out.requires_grad_(True) if t.requires_grad else out


def assert_close(actual, expected, rtol: float = 1e-7, atol: float = 1e-7,
                 check_dtype: bool = True) -> None:
    """Assert two tensors (or arrays) are equal within tolerance, naming shapes and dtypes."""
    a = backend.to_numpy(actual._data if isinstance(actual, Tensor) else np.asarray(actual))
    e = np.asarray(expected.detach().cpu().numpy() if hasattr(expected, "detach") and not
                   isinstance(expected, Tensor) else backend.to_numpy(
                       expected._data if isinstance(expected, Tensor) else np.asarray(expected)))
    if a.shape != e.shape:
        raise AssertionError(f"shapes differ: actual {a.shape}, expected {e.shape}")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(f"dtypes differ: actual {a.dtype}, expected {e.dtype}")
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def assert_fast_path_matches(fn, *inputs, grad_output=None, rtol: float = 1e-6,
                             atol: float = 1e-6) -> None:
    """Assert ``fn(*inputs)`` gives the same output, and the same gradients for every input
    that requires grad, with the ops' fast paths on and with their textbook formulas
    (``backend.fast_paths(False)``). ``grad_output`` seeds the backward (default: ones)."""
    results = []
    for enabled in (True, False):
        leaves = [x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x
                  for x in inputs]
        with backend.fast_paths(enabled):
            out = fn(*leaves)
            wanted = [x for x in leaves if isinstance(x, Tensor) and x.requires_grad]
            grads = []
            if wanted:
                seed = grad_output if grad_output is not None else out.detach() * 0 + 1
                out.backward(seed)
                grads = [x.grad for x in wanted]
        results.append((out.detach(), grads))
    (fast_out, fast_grads), (text_out, text_grads) = results
    assert_close(fast_out, text_out, rtol=rtol, atol=atol)
    for i, (fast, text) in enumerate(zip(fast_grads, text_grads)):
        if (fast is None) != (text is None):
            raise AssertionError(f"input {i}: one path gave no gradient")
        if fast is not None:
            try:
                assert_close(fast, text, rtol=rtol, atol=atol)
            except AssertionError as e:
                raise AssertionError(f"gradient of input {i}: fast path != textbook: {e}") from None


@contextlib.contextmanager
def parameters_replaced(model, replacements: dict):
    """Run ``model`` with some parameters (by ``named_parameters`` name) swapped for other
    tensors, a tied parameter everywhere it is used.

    Like ``torch.func.functional_call``: gradients then flow into the replacements, which is
    what ``gradcheck`` needs to check a whole model (it differentiates with respect to its
    own leaf copies of the inputs)::

        names = [n for n, _ in model.named_parameters()]
        def loss_of(*leaves):
            with parameters_replaced(model, dict(zip(names, leaves))):
                return model(x, y)[1]
        gradcheck(loss_of, [p.detach().requires_grad_() for p in model.parameters()])
    """
    originals = dict(model.named_parameters())
    slots = [(module, attr, name) for name, p in originals.items() if name in replacements
             for module in model.modules()
             for attr, q in list(module.named_parameters(recurse=False)) if q is p]
    for module, attr, name in slots:
        delattr(module, attr)
        object.__setattr__(module, attr, replacements[name])
    try:
        yield model
    finally:
        for module, attr, name in slots:
            object.__delattr__(module, attr)
            setattr(module, attr, originals[name])


# the op specification table and its sample strategies (after the names they use)
from .op_db import op_db, op_db_exempt  # noqa: E402, I001
from .opinfo import ErrorInput, OpInfo  # noqa: E402
from .samples import (  # noqa: E402
    away,
    binary,
    break_ties,
    min_gap,
    scalar_and,
    unary,
    with_dim,
)

__all__ += ["OpInfo", "ErrorInput", "op_db", "op_db_exempt", "unary", "binary", "with_dim",
            "scalar_and", "away", "break_ties", "min_gap"]
