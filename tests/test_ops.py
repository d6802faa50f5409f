"""The op-spec table: one row per op drives every check of that op.

Each ``OpSpec`` names an op, a hypothesis strategy for its inputs (float64 arrays plus
non-tensor arguments such as ``dim``), and a call written once against a library argument
``lib``: the same line runs as ``call(tinytorch, ...)`` and ``call(torch, ...)``, which is the
API contract itself. From the table:

- ``test_gradcheck``: float64 finite differences against our backward;
- ``test_matches_torch``: forward values and input gradients equal PyTorch's;
- ``test_noncontiguous_inputs``: permuted/strided views give the same result as contiguous ones;
- plus properties of particular ops at the bottom.

Inputs avoid the kinks of non-smooth ops (``abs`` at 0, ties in ``max``) where a derivative
does not exist and finite differences cannot agree with any backward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinytorch as tt
from tinytorch.autograd import gradcheck
from tinytorch.testing import arrays, broadcastable_shapes, noncontiguous, shapes

Sample = tuple  # (tuple of float64 arrays, dict of keyword arguments)


@dataclass(frozen=True)
class OpSpec:
    """One op: how to draw its inputs and how to call it (on tinytorch, or on torch)."""

    name: str
    call: Callable  # call(lib, *tensors, **kwargs) -> Tensor or tuple of Tensors
    inputs: st.SearchStrategy  # draws a Sample
    ref: Callable | None = None  # the torch call, when it differs from `call`
    differentiable: bool = True
    atol: float = 1e-10
    rtol: float = 1e-7
    needs_contiguous: bool = False  # view() refuses non-contiguous input, as in PyTorch

    def __repr__(self) -> str:  # pytest ids
        return self.name


# ------------------------------------------------------------------ input strategies

def _away(x: np.ndarray, points, margin: float = 0.05) -> np.ndarray:
    """Move elements within ``margin`` of a kink point off it (to ``point + 2 margin``)."""
    for p in points:
        x = np.where(np.abs(x - p) < margin, p + 2 * margin, x)
    return x


def _distinct(x: np.ndarray, step: float = 0.01, offset: float = 0.0) -> np.ndarray:
    """Break ties (hypothesis loves all-zero arrays) with a small ramp."""
    return x + offset + step * np.arange(x.size, dtype=np.float64).reshape(x.shape)


def _min_gap(x: np.ndarray, axis=None) -> float:
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
        x = draw(arrays(s, tt.float64, low, high, band))
        assume(x.size >= min_size)
        if kinks:
            x = _away(x, kinks)
        if transform is not None:
            x = transform(x)
        return (x,), {}

    return draw_sample()


def binary(low=-3.0, high=3.0, b_low=None, b_high=None, b_band=0.0, distinct=False):
    """Two arrays of mutually broadcastable shapes."""

    @st.composite
    def draw_sample(draw):
        sa, sb = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
        a = draw(arrays(sa, tt.float64, low, high))
        b = draw(arrays(sb, tt.float64, low if b_low is None else b_low,
                        high if b_high is None else b_high, b_band))
        if distinct:
            a, b = _distinct(a), _distinct(b, 0.0173, 0.0037)
            assume(np.abs(a - b).min(initial=1.0) > 1e-4)
        return (a, b), {}

    return draw_sample()


def with_dim(low=-3.0, high=3.0, keepdim=False, min_side=1, distinct=False, dims=1):
    """One array with at least one axis and a drawn ``dim`` (and ``keepdim``)."""

    @st.composite
    def draw_sample(draw):
        s = draw(shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=3))
        x = draw(arrays(s, tt.float64, low, high))
        if distinct:
            x = _distinct(x)
        nd = len(s)
        if dims == 1:
            dim = draw(st.integers(-nd, nd - 1))
        else:
            dim = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                      unique=True)))
        if distinct:
            assume(_min_gap(x, None if dims != 1 else dim) > 1e-4)
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
    a = draw(arrays(shape_a, tt.float64))
    b = draw(arrays(shape_b, tt.float64))
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
    x = draw(arrays(tuple(s), tt.float64))
    dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return (x,), ({} if dim is None else {"dim": dim})


@st.composite
def expand_inputs(draw):
    target = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    src = tuple(draw(st.sampled_from([1, n])) for n in target[draw(st.integers(0, len(target))):])
    x = draw(arrays(src, tt.float64))
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
        xs.append(draw(arrays(tuple(s), tt.float64)))
    return tuple(xs), {"dim": dim}


@st.composite
def stack_inputs(draw):
    s = draw(shapes(max_dims=2, max_side=3))
    xs = tuple(draw(arrays(s, tt.float64)) for _ in range(draw(st.integers(1, 3))))
    return xs, {"dim": draw(st.integers(-len(s) - 1, len(s)))}


@st.composite
def basic_index_inputs(draw):
    """ints (negative too), slices with steps, None and Ellipsis."""
    s = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    x = draw(arrays(s, tt.float64))
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
    x = draw(arrays(s, tt.float64))
    axis = draw(st.integers(0, len(s) - 1))
    idx = draw(st.lists(st.integers(-s[axis], s[axis] - 1), min_size=1, max_size=5))
    return (x,), {"axis": axis, "idx": np.array(idx, dtype=np.int64)}


@st.composite
def mask_index_inputs(draw):
    s = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(arrays(s, tt.float64))
    mask_dims = draw(st.integers(1, len(s)))
    mask = draw(arrays(s[:mask_dims], tt.bool))
    return (x,), {"mask": mask}


@st.composite
def masked_fill_inputs(draw):
    sx, sm = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    x = draw(arrays(sx, tt.float64))
    m = draw(arrays(sm, tt.bool))
    assume(np.broadcast_shapes(sx, sm) == sx)  # the result keeps x's shape
    return (x,), {"mask": m, "value": draw(st.sampled_from([0.0, -1.5, 100.0]))}


@st.composite
def where_inputs(draw):
    sc, sa, sb = draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = draw(arrays(sc, tt.bool))
    a = draw(arrays(sa, tt.float64))
    b = draw(arrays(sb, tt.float64))
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
    x = _distinct(draw(arrays(sx, tt.float64)))
    lo = _distinct(draw(arrays(slo, tt.float64, -3, -0.5)), 0.0131, 0.0051)
    hi = _distinct(draw(arrays(shi, tt.float64, 0.5, 3)), 0.0117, 0.0029)
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


# ------------------------------------------------------------------ the table

def _index(lib, x, index):
    return x[index]


def _array_index(lib, x, axis, idx):
    return x[(slice(None),) * axis + (lib.tensor(idx),)]


def _mask_index(lib, x, mask):
    return x[lib.tensor(mask)]


SMOOTH = dict(low=-3.0, high=3.0)

OPS = [
    # arithmetic, tensors and Python scalars on either side
    OpSpec("add", lambda lib, a, b: a + b, binary()),
    OpSpec("sub", lambda lib, a, b: a - b, binary()),
    OpSpec("mul", lambda lib, a, b: a * b, binary()),
    OpSpec("div", lambda lib, a, b: a / b, binary(b_band=0.3)),
    OpSpec("pow_tensor_tensor", lambda lib, a, b: a ** b, binary(low=0.3, high=3.0)),
    OpSpec("pow_tensor_scalar", lambda lib, a, s: a ** s,
           scalar_and(unary(band=0.3), [2, 3, -1, -2])),
    OpSpec("pow_tensor_fractional", lambda lib, a, s: a ** s,
           scalar_and(unary(low=0.3, high=3.0), [0.5, -1.5, 2.5])),
    OpSpec("rsqrt", lambda lib, a: a.rsqrt(), unary(low=0.3, high=3.0)),
    OpSpec("square", lambda lib, a: a.square(), unary()),
    OpSpec("pow_scalar_tensor", lambda lib, a, s: s ** a, scalar_and(unary(), [2.0, 0.5, 3])),
    OpSpec("radd_scalar", lambda lib, a, s: s + a, scalar_and(unary(), [1, -2.5])),
    OpSpec("rsub_scalar", lambda lib, a, s: s - a, scalar_and(unary(), [1, -2.5])),
    OpSpec("rmul_scalar", lambda lib, a, s: s * a, scalar_and(unary(), [3, -0.5])),
    OpSpec("rdiv_scalar", lambda lib, a, s: s / a, scalar_and(unary(band=0.3), [1, -2.5])),
    OpSpec("div_scalar", lambda lib, a, s: a / s, scalar_and(unary(), [2, -0.25])),
    OpSpec("sub_scalar", lambda lib, a, s: a - s, scalar_and(unary(), [2, -0.25])),
    OpSpec("neg", lambda lib, a: -a, unary()),
    # unary math
    OpSpec("abs", lambda lib, a: a.abs(), unary(kinks=(0.0,))),
    OpSpec("exp", lambda lib, a: a.exp(), unary()),
    OpSpec("log", lambda lib, a: a.log(), unary(low=0.2, high=5.0)),
    OpSpec("sqrt", lambda lib, a: a.sqrt(), unary(low=0.2, high=5.0)),
    OpSpec("sin", lambda lib, a: a.sin(), unary()),
    OpSpec("cos", lambda lib, a: a.cos(), unary()),
    OpSpec("tanh", lambda lib, a: a.tanh(), unary()),
    OpSpec("sigmoid", lambda lib, a: a.sigmoid(), unary(low=-8.0, high=8.0)),
    OpSpec("relu", lambda lib, a: a.relu(), unary(kinks=(0.0,))),
    OpSpec("clamp", lambda lib, a, min, max: a.clamp(min=min, max=max), clamp_inputs()),
    OpSpec("clamp_tensor_bounds", lambda lib, a, lo, hi: lib.clamp(a, lo, hi),
           clamp_tensor_inputs()),
    OpSpec("maximum", lambda lib, a, b: lib.maximum(a, b), binary(distinct=True)),
    OpSpec("minimum", lambda lib, a, b: lib.minimum(a, b), binary(distinct=True)),
    OpSpec("where", lambda lib, a, b, cond: lib.where(lib.tensor(cond), a, b), where_inputs()),
    # comparisons: bool results, no gradient
    OpSpec("eq", lambda lib, a, b: a == b, binary(high=1.0, low=-1.0), differentiable=False),
    OpSpec("ne", lambda lib, a, b: a != b, binary(), differentiable=False),
    OpSpec("lt", lambda lib, a, b: a < b, binary(), differentiable=False),
    OpSpec("le", lambda lib, a, b: a <= b, binary(), differentiable=False),
    OpSpec("gt", lambda lib, a, b: a > b, binary(), differentiable=False),
    OpSpec("ge", lambda lib, a, b: a >= b, binary(), differentiable=False),
    OpSpec("gt_scalar", lambda lib, a, s: a > s, scalar_and(unary(), [0, 0.5]),
           differentiable=False),
    # matrix products
    OpSpec("matmul", lambda lib, a, b: a @ b, matmul_inputs()),
    OpSpec("matmul_fn", lambda lib, a, b: lib.matmul(a, b), matmul_inputs()),
    # reductions
    OpSpec("sum_all", lambda lib, a: a.sum(), unary()),
    OpSpec("sum_dim", lambda lib, a, dim, keepdim: a.sum(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True)),
    OpSpec("sum_dims", lambda lib, a, dim: a.sum(dim=dim), with_dim(dims=2)),
    OpSpec("mean_all", lambda lib, a: a.mean(), unary()),
    OpSpec("mean_dim", lambda lib, a, dim, keepdim: a.mean(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True)),
    OpSpec("mean_dims", lambda lib, a, dim: a.mean(dim=dim), with_dim(dims=2)),
    OpSpec("var_all", lambda lib, a: a.var(), unary(min_size=2, transform=_distinct)),
    OpSpec("var_dim", lambda lib, a, dim, keepdim: a.var(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True, min_side=2, distinct=True)),
    OpSpec("var_correction0", lambda lib, a, dim: a.var(dim=dim, correction=0),
           with_dim(distinct=True)),
    OpSpec("var_unbiased_false", lambda lib, a, dim: a.var(dim, unbiased=False),
           with_dim(distinct=True)),
    OpSpec("std_all", lambda lib, a: a.std(), unary(min_size=2, transform=_distinct)),
    OpSpec("std_dim", lambda lib, a, dim, keepdim: a.std(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True, min_side=2, distinct=True)),
    OpSpec("max_all", lambda lib, a: a.max(), unary(transform=_distinct)),
    OpSpec("min_all", lambda lib, a: a.min(), unary(transform=_distinct)),
    OpSpec("max_dim", lambda lib, a, dim, keepdim: tuple(a.max(dim=dim, keepdim=keepdim)),
           with_dim(keepdim=True, distinct=True)),
    OpSpec("min_dim", lambda lib, a, dim, keepdim: tuple(a.min(dim, keepdim)),
           with_dim(keepdim=True, distinct=True)),
    OpSpec("argmax", lambda lib, a, dim, keepdim: a.argmax(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True, distinct=True), differentiable=False),
    OpSpec("argmin", lambda lib, a, dim: a.argmin(dim), with_dim(distinct=True),
           differentiable=False),
    OpSpec("argmax_all", lambda lib, a: a.argmax(), unary(transform=_distinct),
           differentiable=False),
    OpSpec("softmax", lambda lib, a, dim: a.softmax(dim), with_dim(low=-5, high=5)),
    OpSpec("log_softmax", lambda lib, a, dim: a.log_softmax(dim=dim), with_dim(low=-5, high=5)),
    OpSpec("softmax_fn", lambda lib, a, dim: lib.softmax(a, dim), with_dim()),
    OpSpec("logsumexp", lambda lib, a, dim, keepdim: a.logsumexp(dim, keepdim=keepdim),
           with_dim(keepdim=True)),
    # shape ops
    OpSpec("view", lambda lib, a, shape: a.view(shape), reshape_inputs(), needs_contiguous=True),
    OpSpec("reshape", lambda lib, a, shape: a.reshape(*shape), reshape_inputs()),
    OpSpec("transpose", lambda lib, a, dim0, dim1: a.transpose(dim0, dim1), transpose_inputs()),
    OpSpec("permute", lambda lib, a, dims: a.permute(dims), permute_inputs()),
    OpSpec("T", lambda lib, a: a.T, unary(min_dims=2, max_dims=2)),
    OpSpec("mT", lambda lib, a: a.mT, unary(min_dims=2)),
    OpSpec("unsqueeze", lambda lib, a, dim: a.unsqueeze(dim), unsqueeze_inputs()),
    OpSpec("squeeze", lambda lib, a, **kw: a.squeeze(**kw), squeeze_inputs()),
    OpSpec("expand", lambda lib, a, size: a.expand(*size), expand_inputs()),
    OpSpec("flatten", lambda lib, a, start_dim, end_dim: a.flatten(start_dim, end_dim),
           flatten_inputs()),
    OpSpec("contiguous", lambda lib, a: a.transpose(0, -1).contiguous(),
           unary(min_dims=1)),
    OpSpec("split", lambda lib, a, split_size_or_sections, dim: a.split(split_size_or_sections,
                                                                        dim), split_inputs()),
    OpSpec("chunk", lambda lib, a, chunks, dim: a.chunk(chunks, dim), chunk_inputs()),
    OpSpec("cat", lambda lib, *xs, dim: lib.cat(xs, dim=dim), cat_inputs()),
    OpSpec("stack", lambda lib, *xs, dim: lib.stack(xs, dim=dim), stack_inputs()),
    OpSpec("getitem_basic", _index, basic_index_inputs()),
    OpSpec("getitem_int_array", _array_index, array_index_inputs()),
    OpSpec("getitem_bool_mask", _mask_index, mask_index_inputs()),
    OpSpec("masked_fill", lambda lib, a, mask, value: a.masked_fill(lib.tensor(mask), value),
           masked_fill_inputs()),
    OpSpec("tril", lambda lib, a, diagonal: a.tril(diagonal), triangle_inputs()),
    OpSpec("triu", lambda lib, a, diagonal: lib.triu(a, diagonal), triangle_inputs()),
]

DIFFERENTIABLE = [op for op in OPS if op.differentiable]


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _leaves(arrays_, requires_grad: bool, device: str = "cpu"):
    return [tt.tensor(a, dtype=tt.float64, device=device, requires_grad=requires_grad)
            for a in arrays_]


# ------------------------------------------------------------------ the checks

@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
@given(data=st.data())
def test_gradcheck(op: OpSpec, data, device):
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    inputs = _leaves(arrays_, True, device)
    assert gradcheck(lambda *xs: op.call(tt, *xs, **kwargs), inputs, eps=1e-6, atol=1e-6,
                     rtol=1e-4)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_matches_torch(op: OpSpec, data, device):
    torch = pytest.importorskip("torch")
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    ours_in = _leaves(arrays_, op.differentiable, device)
    theirs_in = [torch.tensor(a, dtype=torch.float64, requires_grad=op.differentiable)
                 for a in arrays_]
    ours = _outputs(op.call(tt, *ours_in, **kwargs))
    theirs = _outputs((op.ref or op.call)(torch, *theirs_in, **kwargs))
    assert len(ours) == len(theirs), f"{op.name}: {len(ours)} outputs vs torch's {len(theirs)}"
    for i, (o, t) in enumerate(zip(ours, theirs)):
        expected = t.detach().numpy()
        got = o.detach().cpu().numpy()
        assert got.shape == expected.shape, f"{op.name} output {i}: shape {got.shape} vs " \
                                            f"torch {expected.shape}"
        assert got.dtype == expected.dtype, f"{op.name} output {i}: dtype {got.dtype} vs " \
                                            f"torch {expected.dtype}"
        np.testing.assert_allclose(got, expected, rtol=op.rtol, atol=op.atol,
                                   err_msg=f"{op.name} output {i}")
    if not op.differentiable:
        return
    # the same random cotangent on every floating output of both
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(tuple(t.shape)) if t.is_floating_point() else None
                  for t in theirs]
    pairs = [(o, t, c) for o, t, c in zip(ours, theirs, cotangents)
             if c is not None and t.requires_grad]
    if not pairs:
        return
    torch.autograd.backward([t for _, t, _ in pairs], [torch.tensor(c) for _, _, c in pairs])
    tt.autograd.backward([o for o, _, _ in pairs], [tt.tensor(c, dtype=tt.float64,
                                                              device=device)
                                                    for _, _, c in pairs])
    for i, (x, y) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(y.shape) if y.grad is None else y.grad.numpy()
        got = np.zeros(tuple(x.shape)) if x.grad is None else x.grad.cpu().numpy()
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=op.rtol, atol=op.atol,
                                   err_msg=f"{op.name}: gradient of input {i}")


@pytest.mark.parametrize("op", [op for op in OPS if not op.needs_contiguous],
                         ids=lambda op: op.name)
@given(data=st.data())
def test_noncontiguous_inputs(op: OpSpec, data, device):
    """An op sees only values: permuted or strided views give what contiguous inputs give."""
    arrays_, kwargs = data.draw(op.inputs, label="sample")
    contiguous = _leaves(arrays_, op.differentiable, device)
    views = [data.draw(noncontiguous(x), label=f"view {i}") for i, x in enumerate(contiguous)]
    expected = _outputs(op.call(tt, *contiguous, **kwargs))
    got = _outputs(op.call(tt, *views, **kwargs))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g.detach().cpu().numpy(), e.detach().cpu().numpy(),
                                   rtol=1e-13, atol=1e-13)
    if not op.differentiable:
        return
    for outs in (expected, got):
        floating = [o for o in outs if o.requires_grad]
        if floating:
            tt.autograd.backward(floating, [tt.ones_like(o) for o in floating])
    for c, v in zip(contiguous, views):
        assert (c.grad is None) == (v.grad is None)
        if c.grad is not None:
            np.testing.assert_allclose(v.grad.cpu().numpy(), c.grad.cpu().numpy(),
                                       rtol=1e-13, atol=1e-13)


def test_every_listed_op_has_a_row():
    """Item 3 of the engine issue, op by op: each must appear in the table."""
    required = """add sub mul div pow_tensor_tensor pow_tensor_scalar pow_scalar_tensor neg abs
    exp log sqrt sin cos tanh sigmoid relu clamp maximum minimum eq ne lt le gt ge where matmul
    sum_dim mean_dim var_dim std_dim max_dim min_dim argmax argmin softmax log_softmax view
    reshape transpose permute T mT unsqueeze squeeze expand flatten contiguous split chunk cat
    stack getitem_basic getitem_int_array getitem_bool_mask masked_fill tril triu""".split()
    names = {op.name for op in OPS}
    assert not [r for r in required if r not in names]


# ------------------------------------------------------------------ properties

def _pair(shape_a, shape_b, low=-3.0, high=3.0):
    return st.tuples(arrays(shape_a, tt.float64, low, high), arrays(shape_b, tt.float64, low,
                                                                     high))


@given(data=st.data())
def test_add_then_sub_is_identity(data, device):
    sa, sb = data.draw(broadcastable_shapes(2))
    a, b = data.draw(_pair(sa, sb))
    # rounding of a + b loses at most an ulp of max(|a|, |b|) <= 3
    ta, tb = tt.tensor(a, device=device), tt.tensor(b, device=device)
    out = ((ta + tb) - tb).cpu().numpy()
    np.testing.assert_allclose(out, np.broadcast_to(a, out.shape), rtol=0, atol=1e-14)


@given(data=st.data())
def test_transpose_twice_is_identity(data, device):
    (x,), kw = data.draw(transpose_inputs())
    t = tt.tensor(x, device=device)
    back = t.transpose(kw["dim0"], kw["dim1"]).transpose(kw["dim0"], kw["dim1"])
    assert back.shape == t.shape
    np.testing.assert_array_equal(back.cpu().numpy(), x)


@pytest.mark.assignment4
@given(data=st.data())
def test_softmax_gradients_sum_to_zero(data, device):
    """softmax rows sum to 1, so any upstream gradient's projection sums to 0 along dim."""
    (x,), kw = data.draw(with_dim(low=-5, high=5))
    g = data.draw(arrays(x.shape, tt.float64))
    t = tt.tensor(x, device=device, requires_grad=True)
    y = t.softmax(kw["dim"])
    np.testing.assert_allclose(y.sum(kw["dim"]).detach().cpu().numpy(), 1.0, rtol=1e-12)
    y.backward(tt.tensor(g, device=device))
    np.testing.assert_allclose(t.grad.sum(kw["dim"]).cpu().numpy(), 0.0, atol=1e-12)


@given(data=st.data())
def test_log_softmax_is_log_of_softmax(data, device):
    (x,), kw = data.draw(with_dim(low=-5, high=5))
    t = tt.tensor(x, device=device)
    np.testing.assert_allclose(t.log_softmax(kw["dim"]).cpu().numpy(),
                               np.log(t.softmax(kw["dim"]).cpu().numpy()), atol=1e-12)


@pytest.mark.assignment3
@given(data=st.data())
def test_sum_gradient_is_ones_and_mean_is_one_over_n(data, device):
    (x,), _ = data.draw(unary())
    t = tt.tensor(x, device=device, requires_grad=True)
    t.sum().backward()
    np.testing.assert_array_equal(t.grad.cpu().numpy(), np.ones_like(x))
    t.grad = None
    t.mean().backward()
    np.testing.assert_allclose(t.grad.cpu().numpy(), np.full_like(x, 1 / x.size))


@pytest.mark.assignment2
@given(data=st.data())
def test_broadcast_gradient_sums_to_input_shape(data, device):
    """d(sum(a + b))/db counts how many times each b element was broadcast."""
    sa, sb = data.draw(broadcastable_shapes(2))
    a, b = data.draw(_pair(sa, sb))
    ta = tt.tensor(a, device=device, requires_grad=True)
    tb = tt.tensor(b, device=device, requires_grad=True)
    (ta + tb).sum().backward()
    out_size = int(np.prod(np.broadcast_shapes(sa, sb)))
    assert tuple(tb.grad.shape) == sb and tuple(ta.grad.shape) == sa
    np.testing.assert_array_equal(tb.grad.cpu().numpy(), np.full(sb, out_size / max(b.size, 1)))


@pytest.mark.assignment1
@given(data=st.data())
def test_reshape_roundtrip_and_view_shares_memory(data, device):
    (x,), kw = data.draw(reshape_inputs())
    t = tt.tensor(x, device=device)
    v = t.view(kw["shape"])
    assert v.reshape(t.shape).equal(t)
    v.data[...] = 7.0  # a view: writes show through
    assert bool((t == 7.0).all())


@given(data=st.data())
def test_split_then_cat_is_identity(data, device):
    (x,), kw = data.draw(split_inputs())
    t = tt.tensor(x, device=device)
    parts = t.split(kw["split_size_or_sections"], kw["dim"])
    assert tt.cat(parts, kw["dim"]).equal(t)


@pytest.mark.assignment1
@given(data=st.data())
def test_matmul_matches_sum_of_products(data, device):
    (a, b), _ = data.draw(matmul_inputs())
    out = (tt.tensor(a, device=device) @ tt.tensor(b, device=device)).cpu().numpy()
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_setitem_matches_numpy(data, device):
    """setitem on a tensor that does not require grad writes like NumPy (and torch)."""
    (x,), kw = data.draw(basic_index_inputs())
    t = tt.tensor(x, device=device)
    t[kw["index"]] = -9.0
    expected = x.copy()
    expected[kw["index"]] = -9.0
    np.testing.assert_array_equal(t.cpu().numpy(), expected)


@given(data=st.data())
def test_tril_plus_strict_triu_is_whole(data, device):
    (x,), kw = data.draw(triangle_inputs())
    t = tt.tensor(x, device=device)
    k = kw["diagonal"]
    assert (t.tril(k) + t.triu(k + 1)).equal(t)


# ------------------------------------------------------------------ the strategies themselves

@given(data=st.data())
def test_noncontiguous_strategy_gives_equal_strided_views(data, device):
    (x,), _ = data.draw(unary(min_dims=1))
    t = tt.tensor(x, device=device, requires_grad=True)
    view = data.draw(noncontiguous(t))
    assert view.shape == t.shape and view.dtype == t.dtype and view.requires_grad
    np.testing.assert_array_equal(view.detach().cpu().numpy(), x)
    if x.size > 1 and max(x.shape) > 1:
        assert not view.is_contiguous() or view._data.base is not None


@given(data=st.data())
def test_broadcastable_shapes_broadcast(data):
    n = data.draw(st.integers(1, 4))
    shapes_ = data.draw(broadcastable_shapes(n, max_dims=4))
    assert len(shapes_) == n
    np.broadcast_shapes(*shapes_)  # raises if they do not broadcast


@given(data=st.data())
def test_tensors_strategy_respects_bounds_and_dtype(data):
    from tinytorch.testing import tensors

    low, high = data.draw(st.sampled_from([(-1.0, 1.0), (0.5, 2.0)]))
    dtype = data.draw(st.sampled_from([tt.float32, tt.float64]))
    t = data.draw(tensors(shapes(max_dims=2), dtype=dtype, low=low, high=high,
                          requires_grad=True))
    assert t.dtype == dtype and t.requires_grad
    values = t.detach().numpy()
    assert np.isfinite(values).all() and (values >= low).all() and (values <= high).all()


@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": 0, "keepdim": True},
                                    {"correction": 0}])
def test_std_of_a_constant_has_zero_gradient_like_torch(kwargs):
    # sqrt's derivative is infinite at 0; PyTorch defines std's gradient there as 0
    a = tt.tensor([0.25, 0.25, 0.25], dtype=tt.float64, requires_grad=True)
    out = a.std(**kwargs)
    assert np.all(out.detach().numpy() == 0)
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0]
