"""Hypothesis strategies, and the row builder ``spelled_row``, shared by the selection,
scatter and reshaping rows of ``op_db``.

Samples are ``(arrays, kwargs)`` as ``OpInfo`` wants: float64 arrays are the tensor
arguments; integer index arrays travel in ``kwargs`` and each row's ``call`` turns them
into ``lib.tensor``. Ordering ops draw *distinct, well separated* values so that the order
(and so the gradient) is the same for every library and survives gradcheck's nudges.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..opinfo import OpInfo


def shapes(min_dims: int = 1, max_dims: int = 3, max_side: int = 4, min_side: int = 1):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def floats(shape):
    """float64 values in [-2, 2] (gradcheck-friendly, no NaN)."""
    return hnp.arrays(np.float64, shape, elements=st.floats(-2, 2, width=64))


def distinct(shape):
    """float64 values that are pairwise at least 0.25 apart, in a drawn order."""
    n = int(np.prod(shape))
    return st.permutations(range(n)).map(
        lambda p: (np.asarray(p, dtype=np.float64).reshape(shape) - n / 2) * 0.25 + 0.1)


def small_ints(shape, high: int = 3):
    """Integer-valued float64 (ties on purpose: unique, mode, count_nonzero)."""
    return hnp.arrays(np.float64, shape, elements=st.integers(0, high).map(float))


def rng():
    """A NumPy generator seeded by hypothesis (index arrays drawn from it shrink well)."""
    return st.integers(0, 2**32 - 1).map(np.random.default_rng)


def dim_of(ndim: int):
    return st.integers(-max(ndim, 1), max(ndim, 1) - 1)


def sample(arrays, **kwargs):
    """A sample: the tuple of tensor arrays and the dict of other arguments."""
    return (tuple(arrays), kwargs)


def perm_prefix(gen, size: int, count: int):
    """``count`` distinct entries of ``range(size)`` (an index without repeats)."""
    return gen.permutation(size)[:count].astype(np.int64)


def ref_take_along(np_, a, dim, idx):
    """``a`` read at ``idx`` along ``dim``, where idx may be smaller in the other dims."""
    grids = list(np_.ogrid[tuple(slice(0, n) for n in idx.shape)])
    grids[dim] = idx
    return a[tuple(grids)]


def non_leaf_copy(x):
    """A copy of ``x`` that is not a leaf, so that PyTorch lets an in-place op on it
    record its history."""
    return x * 1


def spelled_row(op: str, args, *, name: str | None = None, inplace: bool = False,
                variants=None, covers=(), **fields) -> OpInfo:
    """The row (named ``name``, by default ``op``) of an op called as
    ``lib.<op>(x, *args(lib, x, ...))``, with ``x.<op>(...)`` as its "method" variant and,
    when ``inplace``, ``x.<op>_(...)`` on a non-leaf copy of ``x`` as its "inplace" variant:
    one argument list for every spelling, and ``covers`` naming them all.

    ``args`` takes what ``call`` takes (the sample's tensors, then its other arguments by
    name) and returns the arguments that follow ``x``, index arrays made tensors. Further
    ``variants`` and ``covers`` follow the standard ones; ``fields`` are OpInfo's."""
    def function(lib, x, *rest, **kw):
        return getattr(lib, op)(x, *args(lib, x, *rest, **kw))

    def method(lib, x, *rest, **kw):
        return getattr(x, op)(*args(lib, x, *rest, **kw))

    def inplace_on_copy(lib, x, *rest, **kw):
        return getattr(non_leaf_copy(x), op + "_")(*args(lib, x, *rest, **kw))

    spellings = {"method": method}
    spelled = ("Tensor." + op, "tinytorch." + op)
    if inplace:
        spellings["inplace"] = inplace_on_copy
        spelled += ("Tensor." + op + "_",)
    return OpInfo(name=name or op, call=function, variants={**spellings, **(variants or {})},
                  covers=spelled + tuple(covers), **fields)


def once_differentiable(rows, names):
    """``rows`` with ``gradgrad=False`` for those in ``names``: their Functions (Take,
    PutReduce, IndexAddRows, Flip, Roll, Unfold, Diagonal) have no ``tensor_backward`` yet,
    so their gradients cannot be differentiated again."""
    from dataclasses import replace

    return [replace(r, gradgrad=False) if r.name in names else r for r in rows]


def long_tensor(lib, data):
    """``data`` as an int64 tensor of ``lib`` (the index arguments of error inputs)."""
    return lib.tensor(data, dtype=lib.int64)
