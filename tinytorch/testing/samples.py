"""Sample strategies for op specifications: each draws ``(arrays, kwargs)``.

A *sample* is a tuple of float64 NumPy arrays (the tensor arguments of an op) and a dict
of its other arguments; ``tinytorch.testing.op_db`` rows name one of these as ``inputs``.
The generic builders (``unary``, ``binary``, ``with_dim``, ``scalar_and``) take an input
domain (``low``/``high``, a ``band`` kept away from 0, ``kinks`` to step off); the others
draw the arguments of one family of ops (``matmul_inputs``, ``cat_inputs``, ...).

Inputs avoid the kinks of non-smooth ops (``abs`` at 0, ties in ``max``), where a
derivative does not exist and finite differences cannot agree with any backward.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from .. import backend
from . import arrays, broadcastable_shapes, shapes


def away(x: np.ndarray, points, margin: float = 0.05) -> np.ndarray:
    """Move elements within ``margin`` of a kink point off it (to ``point + 2 margin``)."""
    for p in points:
        x = np.where(np.abs(x - p) < margin, p + 2 * margin, x)
    return x


def break_ties(x: np.ndarray, step: float = 0.01, offset: float = 0.0) -> np.ndarray:
    """Break ties (hypothesis loves all-zero arrays) with a small ramp."""
    return x + offset + step * np.arange(x.size, dtype=np.float64).reshape(x.shape)


def min_gap(x: np.ndarray, axis=None) -> float:
    """Smallest distance between two elements (along ``axis``), for ``assume``."""
    if axis is None:
        v = np.sort(x.reshape(-1))
        return float(np.min(np.diff(v))) if v.size > 1 else np.inf
    v = np.sort(x, axis=axis)
    d = np.diff(v, axis=axis)
    return float(d.min()) if d.size else np.inf


def unary(low=-3.0, high=3.0, band=0.0, kinks=(), min_dims=0, max_dims=3, max_side=3,
          transform=None, min_size=1):
    """One array of a drawn shape, elements in ``[low, high]``."""

    @st.composite
    def draw_sample(draw):
        s = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
        x = draw(arrays(s, backend.float64, low, high, band))
        assume(x.size >= min_size)
        if kinks:
            x = away(x, kinks)
        if transform is not None:
            x = transform(x)
        return (x,), {}

    return draw_sample()


def binary(low=-3.0, high=3.0, b_low=None, b_high=None, b_band=0.0, distinct=False,
           into_first=False):
    """Two arrays of mutually broadcastable shapes (``into_first``: the second broadcasts to
    the first's shape, as an in-place op ``a.add_(b)`` needs)."""

    @st.composite
    def draw_sample(draw):
        sa, sb = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
        if into_first:
            sa = np.broadcast_shapes(sa, sb)
        a = draw(arrays(sa, backend.float64, low, high))
        b = draw(arrays(sb, backend.float64, low if b_low is None else b_low,
                        high if b_high is None else b_high, b_band))
        if distinct:
            a, b = break_ties(a), break_ties(b, 0.0173, 0.0037)
            assume(np.abs(a - b).min(initial=1.0) > 1e-4)
        return (a, b), {}

    return draw_sample()


def with_dim(low=-3.0, high=3.0, keepdim=False, min_side=1, distinct=False, dims=1):
    """One array with at least one axis and a drawn ``dim`` (and ``keepdim``)."""

    @st.composite
    def draw_sample(draw):
        s = draw(shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=3))
        x = draw(arrays(s, backend.float64, low, high))
        if distinct:
            x = break_ties(x)
        nd = len(s)
        if dims == 1:
            dim = draw(st.integers(-nd, nd - 1))
        else:
            dim = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                      unique=True)))
        if distinct:
            assume(min_gap(x, None if dims != 1 else dim) > 1e-4)
        kwargs = {"dim": dim}
        if keepdim:
            kwargs["keepdim"] = draw(st.booleans())
        return (x,), kwargs

    return draw_sample()


@st.composite
def matmul_inputs(draw):
    """Operands for every matmul case: 1-d, 2-d, batched, broadcast batch dims."""
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["vv", "vm", "mv", "mm", "bb", "bm", "mb", "bv", "vb"]))
    batch_a, batch_b = draw(broadcastable_shapes(2, min_dims=1, max_dims=2, max_side=3))
    shape_a = {"v": (k,), "m": (m, k), "b": batch_a + (m, k)}[kind[0]]
    shape_b = {"v": (k,), "m": (k, n), "b": batch_b + (k, n)}[kind[1]]
    a = draw(arrays(shape_a, backend.float64))
    b = draw(arrays(shape_b, backend.float64))
    return (a, b), {}


@st.composite
def transpose_inputs(draw):
    (x,), _ = draw(unary(min_dims=1))
    nd = x.ndim
    return (x,), {"dim0": draw(st.integers(-nd, nd - 1)), "dim1": draw(st.integers(-nd, nd - 1))}


@st.composite
def permute_inputs(draw):
    (x,), _ = draw(unary())
    return (x,), {"dims": tuple(draw(st.permutations(range(x.ndim))))}


@st.composite
def reshape_inputs(draw):
    (x,), _ = draw(unary())
    # a different factorisation of the same size, with one -1 to infer
    target = draw(st.sampled_from([(-1,), (x.size, 1), (1, -1), tuple(reversed(x.shape)) or (1,)]))
    return (x,), {"shape": target}


@st.composite
def unsqueeze_inputs(draw):
    (x,), _ = draw(unary())
    return (x,), {"dim": draw(st.integers(-x.ndim - 1, x.ndim))}


@st.composite
def squeeze_inputs(draw):
    s = list(draw(shapes(min_dims=1, max_dims=3, max_side=3)))
    s.insert(draw(st.integers(0, len(s))), 1)
    x = draw(arrays(tuple(s), backend.float64))
    dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return (x,), ({} if dim is None else {"dim": dim})


@st.composite
def expand_inputs(draw):
    target = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    src = tuple(draw(st.sampled_from([1, n])) for n in target[draw(st.integers(0, len(target))):])
    x = draw(arrays(src, backend.float64))
    return (x,), {"size": target}


@st.composite
def flatten_inputs(draw):
    (x,), _ = draw(unary(min_dims=1))
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    return (x,), {"start_dim": start, "end_dim": end}


@st.composite
def split_inputs(draw):
    (x,), kw = draw(with_dim())
    n = x.shape[kw["dim"]]
    return (x,), {"split_size_or_sections": draw(st.integers(1, max(n, 1))), "dim": kw["dim"]}


@st.composite
def chunk_inputs(draw):
    (x,), kw = draw(with_dim())
    return (x,), {"chunks": draw(st.integers(1, 4)), "dim": kw["dim"]}


@st.composite
def cat_inputs(draw):
    base = list(draw(shapes(min_dims=1, max_dims=3, max_side=3)))
    dim = draw(st.integers(-len(base), len(base) - 1))
    count = draw(st.integers(1, 3))
    xs = []
    for _ in range(count):
        s = list(base)
        s[dim] = draw(st.integers(1, 3))
        xs.append(draw(arrays(tuple(s), backend.float64)))
    return tuple(xs), {"dim": dim}


@st.composite
def stack_inputs(draw):
    s = draw(shapes(max_dims=2, max_side=3))
    xs = tuple(draw(arrays(s, backend.float64)) for _ in range(draw(st.integers(1, 3))))
    return xs, {"dim": draw(st.integers(-len(s) - 1, len(s)))}


@st.composite
def basic_index_inputs(draw):
    """ints (negative too), slices with steps, None and Ellipsis."""
    s = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    x = draw(arrays(s, backend.float64))
    items = []
    for n in s:
        kind = draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            items.append(slice(start, stop, draw(st.one_of(st.none(), st.integers(1, 3)))))
        else:
            items.append(slice(None))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()) and len(items) > 1:
        # replace a leading run of full slices with an Ellipsis
        cut = draw(st.integers(1, len(items)))
        items = [Ellipsis] + items[cut:]
    return (x,), {"index": tuple(items)}


@st.composite
def array_index_inputs(draw):
    """Integer-array indexing with repeats (gradients must accumulate) on one axis."""
    s = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(arrays(s, backend.float64))
    axis = draw(st.integers(0, len(s) - 1))
    idx = draw(st.lists(st.integers(-s[axis], s[axis] - 1), min_size=1, max_size=5))
    return (x,), {"axis": axis, "idx": np.array(idx, dtype=np.int64)}


@st.composite
def mask_index_inputs(draw):
    s = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(arrays(s, backend.float64))
    mask_dims = draw(st.integers(1, len(s)))
    mask = draw(arrays(s[:mask_dims], backend.bool_))
    return (x,), {"mask": mask}


@st.composite
def masked_fill_inputs(draw):
    sx, sm = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    x = draw(arrays(sx, backend.float64))
    m = draw(arrays(sm, backend.bool_))
    assume(np.broadcast_shapes(sx, sm) == sx)  # the result keeps x's shape
    return (x,), {"mask": m, "value": draw(st.sampled_from([0.0, -1.5, 100.0]))}


@st.composite
def where_inputs(draw):
    sc, sa, sb = draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = draw(arrays(sc, backend.bool_))
    a = draw(arrays(sa, backend.float64))
    b = draw(arrays(sb, backend.float64))
    return (a, b), {"cond": cond}


@st.composite
def triangle_inputs(draw):
    (x,), _ = draw(unary(min_dims=2))
    return (x,), {"diagonal": draw(st.integers(-3, 3))}


@st.composite
def clamp_inputs(draw):
    (x,), _ = draw(unary(kinks=(-0.5, 0.5)))
    bounds = draw(st.sampled_from([(-0.5, None), (None, 0.5), (-0.5, 0.5)]))
    return (x,), {"min": bounds[0], "max": bounds[1]}


@st.composite
def clamp_tensor_inputs(draw):
    """clamp with tensor bounds: gradients flow to the bounds too."""
    sx, slo, shi = draw(broadcastable_shapes(3, max_dims=2, max_side=3))
    x = break_ties(draw(arrays(sx, backend.float64)))
    lo = break_ties(draw(arrays(slo, backend.float64, -3, -0.5)), 0.0131, 0.0051)
    hi = break_ties(draw(arrays(shi, backend.float64, 0.5, 3)), 0.0117, 0.0029)
    assume(np.abs(x - lo).min(initial=1) > 1e-4 and np.abs(x - hi).min(initial=1) > 1e-4)
    assume(np.broadcast_shapes(sx, slo, shi) == sx)
    return (x, lo, hi), {}


def scalar_and(strategy, values):
    """Add a Python scalar argument ``s`` to a sample."""

    @st.composite
    def draw_sample(draw):
        arrays_, kw = draw(strategy)
        return arrays_, {**kw, "s": draw(st.sampled_from(values))}

    return draw_sample()




@st.composite
def gather_inputs(draw):
    """``x``, a ``dim`` and an int64 ``index`` of x's rank: at most x's size off ``dim``, any
    length along it, entries in range (repeats accumulate in the gradient)."""
    s = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(arrays(s, backend.float64))
    dim = draw(st.integers(-len(s), len(s) - 1))
    d = dim % len(s)
    index_shape = tuple(draw(st.integers(1, 3)) if i == d else draw(st.integers(1, n))
                        for i, n in enumerate(s))
    index = draw(arrays(index_shape, backend.int64, 0, s[d] - 1))
    return (x,), {"dim": dim, "index": index}


@st.composite
def repeat_inputs(draw):
    """``x`` and repeat counts, one per dim of x or more (new leading dims)."""
    (x,), _ = draw(unary(max_dims=2))
    extra = draw(st.integers(0, 1))
    return (x,), {"sizes": tuple(draw(st.integers(1, 3)) for _ in range(x.ndim + extra))}


@st.composite
def select_inputs(draw):
    """``x``, a ``dim`` and an ``index`` along it (negative too)."""
    (x,), kw = draw(with_dim())
    n = x.shape[kw["dim"]]
    return (x,), {"dim": kw["dim"], "index": draw(st.integers(-n, n - 1))}


@st.composite
def narrow_inputs(draw):
    """``x``, a ``dim``, a ``start`` and a ``length`` that fits (0 too)."""
    (x,), kw = draw(with_dim())
    n = x.shape[kw["dim"]]
    start = draw(st.integers(0, n))
    return (x,), {"dim": kw["dim"], "start": start, "length": draw(st.integers(0, n - start))}


@st.composite
def unflatten_inputs(draw):
    """``x``, a ``dim`` and sizes whose product is that dim's size (one may be -1)."""
    (x,), kw = draw(with_dim())
    n = x.shape[kw["dim"]]
    sizes = draw(st.sampled_from([(n,), (1, n), (n, 1), (-1, 1), (1, -1, 1)]))
    return (x,), {"dim": kw["dim"], "sizes": sizes}


@st.composite
def with_zeros(draw, strategy):
    """A sample from ``strategy`` with some elements set exactly to 0 (for ``prod``)."""
    arrays_, kw = draw(strategy)
    out = []
    for a in arrays_:
        zero = draw(arrays(a.shape, backend.bool_))
        out.append(np.where(zero & draw(st.booleans()), 0.0, a))
    return tuple(out), kw


@st.composite
def outer_inputs(draw):
    """Two 1-d arrays (any lengths)."""
    return (draw(arrays((draw(st.integers(1, 4)),), backend.float64)),
            draw(arrays((draw(st.integers(1, 4)),), backend.float64))), {}


@st.composite
def sort_inputs(draw):
    """Distinct values (ties would make the order ambiguous), a ``dim``, ``descending``."""
    (x,), kw = draw(with_dim(distinct=True))
    return (x,), {"dim": kw["dim"], "descending": draw(st.booleans())}


@st.composite
def topk_inputs(draw):
    """Distinct values, ``k`` up to the size of ``dim`` (0 too), ``largest``."""
    (x,), kw = draw(with_dim(distinct=True))
    return (x,), {"k": draw(st.integers(0, x.shape[kw["dim"]])), "dim": kw["dim"],
                  "largest": draw(st.booleans())}
