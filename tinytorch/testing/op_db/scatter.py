"""op_db rows: gather and scatter (gather, scatter, scatter_add, scatter_reduce,
index_select/add/copy/fill, index_put, take, take_along_dim, masked_scatter, put,
select_scatter, slice_scatter, masked_fill)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..opinfo import ErrorInput, OpInfo
from .index_strategies import (
    dim_of,
    distinct,
    floats,
    long_tensor,
    non_leaf_copy,
    once_differentiable,
    perm_prefix,
    ref_take_along,
    rng,
    sample,
    shapes,
    spelled_row,
)

T = "tinytorch."


def _idx(lib, a, like):
    """An index array as a tensor of ``lib`` on ``like``'s device."""
    return lib.tensor(a, device=like.device)


# ------------------------------------------------------------------ gather


def _gather_inputs():
    def build(t):
        x, d, gen = t
        dim = d % x.ndim
        shape = [int(gen.integers(1, n + 1)) for n in x.shape]
        shape[dim] = int(gen.integers(1, 5))
        index = gen.integers(0, x.shape[dim], size=shape)
        return sample([x], dim=d, index=index)
    return shapes().flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng())).map(build)


# ------------------------------------------------------------------ scatter


def _scatter_index(gen, x_shape, dim, unique):
    """An index no larger than ``x`` in the dims but ``dim``; without repeats along
    ``dim`` when ``unique`` (plain scatter's result is undefined for repeats)."""
    shape = [int(gen.integers(1, n + 1)) for n in x_shape]
    if unique:
        shape[dim] = int(gen.integers(1, x_shape[dim] + 1))
        lines = np.moveaxis(np.zeros(shape, dtype=np.int64), dim, -1)
        flat = lines.reshape(-1, shape[dim])
        for row in flat:
            row[:] = perm_prefix(gen, x_shape[dim], shape[dim])
        return np.ascontiguousarray(np.moveaxis(flat.reshape(lines.shape), -1, dim))
    shape[dim] = int(gen.integers(1, 5))
    return gen.integers(0, x_shape[dim], size=shape)


def _scatter_inputs(unique, value_form=False, reduce=False):
    def build(t):
        xs, d, gen, extra = t
        x, src = xs
        dim = d % x.ndim
        index = _scatter_index(gen, x.shape, dim, unique)
        src = src[tuple(slice(0, n) for n in index.shape)] if src.ndim else src
        # src may be larger than the index: scatter reads only its leading block
        # (a src larger than the index is valid, but PyTorch's backward rejects it:
        # tests/test_surface_a.py checks that case against NumPy)
        big = src
        kw = dict(dim=d, index=index)
        if reduce:
            kw.update(reduce=extra[0], include_self=extra[1])
        if value_form:
            return sample([x], value=extra[2], **kw)
        return sample([x, big], **kw)
    strategy = shapes().flatmap(lambda s: st.tuples(
        distinct(s) if reduce else floats(s),
        floats(tuple(n + 3 for n in s)) if not reduce else
        distinct(tuple(n + 3 for n in s)).map(lambda a: a * 0.01 + 3.001)))
    extras = st.tuples(st.sampled_from(["sum", "prod", "mean", "amax", "amin"]),
                       st.booleans(), st.floats(-2, 2))
    # dim: from -ndim to ndim - 1 (the draw is folded onto the drawn rank)
    return st.tuples(strategy, st.integers(-3, 2), rng(), extras).map(
        lambda t: build((t[0], t[1] % t[0][0].ndim - t[0][0].ndim * (t[1] < 0), t[2], t[3])))


def _ref_scatter(np_, x, src, dim, index, mode="none", include_self=True):
    out = x.copy()
    dim %= x.ndim
    src = src[tuple(slice(0, n) for n in index.shape)]
    pos = list(np_.ogrid[tuple(slice(0, n) for n in index.shape)])
    pos[dim] = index
    pos = np_.ravel_multi_index(tuple(np_.broadcast_arrays(*pos)), x.shape).reshape(-1)
    flat = out.reshape(-1)
    vals = src.reshape(-1)
    groups = {}
    for p, v in zip(pos, vals):
        groups.setdefault(int(p), []).append(float(v))
    for p, vs in groups.items():
        own = [flat[p]] if include_self else []
        if mode == "none":
            flat[p] = vs[-1]
        elif mode == "sum":
            flat[p] = sum(own + vs)
        elif mode == "prod":
            flat[p] = np_.prod(own + vs)
        elif mode == "mean":
            flat[p] = sum(own + vs) / len(own + vs)
        elif mode == "amax":
            flat[p] = max(own + vs)
        elif mode == "amin":
            flat[p] = min(own + vs)
    return flat.reshape(x.shape)


def _ref_scatter_value(np_, x, dim, index, value):
    return _ref_scatter(np_, x, np_.full(index.shape, value), dim, index)


# ------------------------------------------------------------------ index_*


def _index_inputs(kind):
    def build(t):
        x, d, gen, alpha = t
        dim = d % x.ndim
        n = x.shape[dim]
        if kind in ("copy",):
            index = perm_prefix(gen, n, int(gen.integers(1, n + 1)))
        else:
            index = gen.integers(0, n, size=int(gen.integers(1, 6)))
        shape = list(x.shape)
        shape[dim] = index.shape[0]
        source = gen.uniform(-2, 2, size=shape)
        if kind == "select":
            return sample([x], dim=d, index=index)
        if kind == "fill":
            return sample([x], dim=d, index=index, value=alpha)
        if kind == "add":
            return sample([x, source], dim=d, index=index, alpha=alpha)
        return sample([x, source], dim=d, index=index)
    return shapes().flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng(),
                                                st.sampled_from([1, 2.5, -1]))).map(build)


def _slices_at(x, dim, index):
    return (slice(None),) * (dim % x.ndim) + (index,)


def _ref_index_add(np_, x, source, dim, index, alpha=1):
    out = x.copy()
    np_.add.at(out, _slices_at(x, dim, index), alpha * source)
    return out


def _ref_index_copy(np_, x, source, dim, index):
    out = x.copy()
    out[_slices_at(x, dim, index)] = source
    return out


def _ref_index_fill(np_, x, dim, index, value):
    out = x.copy()
    out[_slices_at(x, dim, index)] = value
    return out


def _index_put_inputs():
    def build(t):
        x, gen, accumulate, k = t
        k = min(k, x.ndim)
        count = int(gen.integers(1, 5))
        if accumulate:
            flat = gen.integers(0, int(np.prod(x.shape[:k])), size=count)
        else:
            flat = perm_prefix(gen, int(np.prod(x.shape[:k])), count)
        indices = tuple(np.asarray(i, dtype=np.int64) for i in
                        np.unravel_index(flat, x.shape[:k]))
        values = gen.uniform(-2, 2, size=(flat.shape[0],) + x.shape[k:])
        return sample([x, values], indices=indices, accumulate=accumulate)
    return shapes().flatmap(lambda s: st.tuples(floats(s), rng(), st.booleans(),
                                                st.integers(1, 2))).map(build)


def _ref_index_put(np_, x, values, indices, accumulate):
    out = x.copy()
    if accumulate:
        np_.add.at(out, indices, values)
    else:
        out[indices] = values
    return out


# ------------------------------------------------------------------ take, put, masks


def _take_inputs():
    def build(t):
        x, gen = t
        n = x.size
        index = gen.integers(-n, n, size=tuple(gen.integers(1, 4, size=gen.integers(0, 3))))
        return sample([x], index=index)
    return shapes(0, 3).flatmap(lambda s: st.tuples(floats(s), rng())).map(build)


def _take_along_inputs():
    def build(t):
        x, d, gen, use_dim = t
        dim = d % x.ndim
        shape = [int(gen.choice([1, n])) for n in x.shape]
        shape[dim] = int(gen.integers(1, 5))
        index = gen.integers(0, x.shape[dim], size=shape)
        if not use_dim:
            return sample([x], indices=gen.integers(0, x.size, size=(3,)), dim=None)
        return sample([x], indices=index, dim=d)
    return shapes().flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng(),
                                                st.booleans())).map(build)


def _ref_take_along(np_, x, indices, dim):
    if dim is None:
        return x.reshape(-1)[indices]
    return np_.take_along_axis(x, indices, axis=dim)


def _masked_scatter_inputs():
    def build(t):
        x, gen, extra = t
        mask = gen.random(x.shape) < 0.5
        source = gen.uniform(-2, 2, size=(int(mask.sum()) + extra,))
        return sample([x, source], mask=mask)
    return shapes(0, 3).flatmap(lambda s: st.tuples(floats(s), rng(),
                                                    st.integers(0, 2))).map(build)


def _ref_masked_scatter(np_, x, source, mask):
    out = x.copy()
    out[mask] = source[:int(mask.sum())]
    return out


def _put_inputs():
    def build(t):
        x, gen, accumulate = t
        n = x.size
        count = int(gen.integers(1, n + 1))
        index = gen.integers(-n, n, size=count) if accumulate else \
            perm_prefix(gen, n, count) - n * gen.integers(0, 2, size=count)
        return sample([x, gen.uniform(-2, 2, size=count)], index=index, accumulate=accumulate)
    return shapes(0, 3).flatmap(lambda s: st.tuples(floats(s), rng(), st.booleans())).map(
        build)


def _ref_put(np_, x, source, index, accumulate):
    out = x.copy().reshape(-1)
    if accumulate:
        np_.add.at(out, index % x.size, source)
    else:
        out[index % x.size] = source
    return out.reshape(x.shape)


def _select_scatter_inputs():
    def build(t):
        x, d, gen = t
        dim = d % x.ndim
        index = int(gen.integers(-x.shape[dim], x.shape[dim]))
        src = gen.uniform(-2, 2, size=x.shape[:dim] + x.shape[dim + 1:])
        return sample([x, src], dim=d, index=index)
    return shapes().flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng())).map(build)


def _slice_scatter_inputs():
    def build(t):
        x, d, gen = t
        dim = d % x.ndim
        n = x.shape[dim]
        start, step = int(gen.integers(0, n)), int(gen.integers(1, 3))
        end = int(gen.integers(start, n + 1))
        taken = len(range(start, end, step))
        shape = list(x.shape)
        shape[dim] = taken
        return sample([x, gen.uniform(-2, 2, size=shape)], dim=d, start=start, end=end,
                      step=step)
    return shapes().flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng())).map(build)


def _ref_slice_scatter(np_, x, src, dim, start, end, step):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (slice(start, end, step),)] = src
    return out


def _ref_select_scatter(np_, x, src, dim, index):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (index,)] = src
    return out


def _ref_masked_fill(np_, x, mask, value):
    return np_.where(mask, value, x)


def _masked_fill_inputs():
    return shapes(0, 3).flatmap(lambda s: st.tuples(floats(s), rng(), st.floats(-2, 2))).map(
        lambda t: sample([t[0]], mask=t[1].random(t[0].shape) < 0.5, value=t[2]))


op_db = [
    spelled_row(
        "gather", lambda lib, x, dim, index: (dim, _idx(lib, index, x)), name="gather.index",
        inputs=_gather_inputs(),
        ref=lambda np_, x, dim, index: ref_take_along(np_, x, dim % x.ndim, index),
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).gather(1, long_tensor(lib, [[7]])),
                           RuntimeError, "index 7 is out of bounds for dimension 1 with size 4"),
                ErrorInput(lambda lib: lib.zeros(2, 4).gather(1, lib.tensor([[1.0]])),
                           RuntimeError, "Expected dtype int"),
                ErrorInput(lambda lib: lib.zeros(2, 4).gather(1, long_tensor(lib, [1])),
                           RuntimeError, "same number of dimensions"),
                ErrorInput(lambda lib: lib.zeros(2, 4).gather(2, long_tensor(lib, [[1]])),
                           IndexError, "Dimension out of range"),
                ErrorInput(lambda lib: lib.zeros(2, 4).gather(1, long_tensor(lib, [[1]] * 3)),
                           RuntimeError, "Size does not match at dimension 0")),
    ),
    spelled_row(
        "scatter", lambda lib, x, src, dim, index: (dim, _idx(lib, index, x), src),
        inplace=True, inputs=_scatter_inputs(unique=True),
        ref=lambda np_, x, src, dim, index: _ref_scatter(np_, x, src, dim, index),
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).scatter(1, long_tensor(lib, [[7]]), 1.0),
                           RuntimeError, "index 7 is out of bounds for dimension 1 with size 4"),
                ErrorInput(lambda lib: lib.zeros(2, 4).scatter(1, lib.tensor([[1.0]]), 1.0),
                           RuntimeError, "Expected dtype int"),
                ErrorInput(lambda lib: lib.zeros(2, 4).scatter(
                    1, long_tensor(lib, [[1]]), lib.ones(1, 1, dtype=lib.float64)),
                           RuntimeError, "dtype"),
                ErrorInput(lambda lib: lib.zeros(2, 4).scatter(
                    1, long_tensor(lib, [[1, 2]]), lib.ones(1, 1)), RuntimeError, "Size does not "
                                                                           "match")),
    ),
    OpInfo(
        name="scatter.value",
        call=lambda lib, x, dim, index, value: lib.scatter(x, dim, _idx(lib, index, x), value),
        inputs=_scatter_inputs(unique=False, value_form=True),
        ref=_ref_scatter_value,
        variants={"method": lambda lib, x, dim, index, value: x.scatter(
            dim, _idx(lib, index, x), value=value),
                  "inplace": lambda lib, x, dim, index, value: non_leaf_copy(x).scatter_(
                      dim, _idx(lib, index, x), value)},
        covers=("Tensor.scatter", T + "scatter", "Tensor.scatter_"),
    ),
    OpInfo(
        name="scatter.reduce",
        call=lambda lib, x, src, dim, index: lib.scatter(x, dim, _idx(lib, index, x), src,
                                                         reduce="add"),
        inputs=_scatter_inputs(unique=False),
        ref=lambda np_, x, src, dim, index: _ref_scatter(np_, x, src, dim, index, "sum"),
        variants={"inplace": lambda lib, x, src, dim, index: non_leaf_copy(x).scatter_(
            dim, _idx(lib, index, x), src, reduce="add")},
        covers=("Tensor.scatter", T + "scatter", "Tensor.scatter_"),
        # PyTorch has no backward for scatter's (deprecated) reduce=; ours is scatter_add's
        differentiable=False,
        errors=(ErrorInput(lambda lib: lib.zeros(2).scatter(0, long_tensor(lib, [0]), 1.0,
                                                            reduce="max"),
                           RuntimeError, "reduce argument must be either add or multiply"),),
    ),
    spelled_row(
        "scatter_add", lambda lib, x, src, dim, index: (dim, _idx(lib, index, x), src),
        inplace=True, inputs=_scatter_inputs(unique=False),
        ref=lambda np_, x, src, dim, index: _ref_scatter(np_, x, src, dim, index, "sum"),
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).scatter_add(
            1, long_tensor(lib, [[4]]), lib.ones(1, 1)), RuntimeError,
            "index 4 is out of bounds for dimension 1 with size 4"),),
    ),
    OpInfo(
        name="scatter_reduce",
        call=lambda lib, x, src, dim, index, reduce, include_self: lib.scatter_reduce(
            x, dim, _idx(lib, index, x), src, reduce, include_self=include_self),
        inputs=_scatter_inputs(unique=False, reduce=True),
        ref=lambda np_, x, src, dim, index, reduce, include_self: _ref_scatter(
            np_, x, src, dim, index, reduce, include_self),
        variants={"method": lambda lib, x, src, dim, index, reduce, include_self:
                  x.scatter_reduce(dim, _idx(lib, index, x), src, reduce,
                                   include_self=include_self),
                  "inplace": lambda lib, x, src, dim, index, reduce, include_self:
                  non_leaf_copy(x).scatter_reduce_(dim, _idx(lib, index, x), src, reduce,
                                                   include_self=include_self)},
        covers=("Tensor.scatter_reduce", T + "scatter_reduce", "Tensor.scatter_reduce_"),
        errors=(ErrorInput(lambda lib: lib.zeros(2).scatter_reduce(
            0, long_tensor(lib, [0]), lib.ones(1), "max"), RuntimeError,
            "reduce argument must be either sum, prod, mean, amax or amin, got max",
            torch_too=False),),
    ),
    spelled_row(
        "index_select", lambda lib, x, dim, index: (dim, _idx(lib, index, x)),
        inputs=_index_inputs("select"),
        ref=lambda np_, x, dim, index: np_.take(x, index, axis=dim),
        errors=(ErrorInput(lambda lib: lib.zeros(2, 3).index_select(1, long_tensor(lib, [7])),
                           IndexError, "index 7 is out of bounds for dimension 1 with size 3",
                           torch_too=False),
                ErrorInput(lambda lib: lib.zeros(2, 3).index_select(1, lib.tensor([1.0])),
                           RuntimeError, "Expected dtype int", torch_too=False),
                ErrorInput(lambda lib: lib.zeros(2, 3).index_select(1, long_tensor(lib, [[1]])),
                           IndexError, "Index is supposed to be a vector")),
    ),
    OpInfo(
        name="index_add",
        call=lambda lib, x, source, dim, index, alpha: lib.index_add(
            x, dim, _idx(lib, index, x), source, alpha=alpha),
        inputs=_index_inputs("add"),
        ref=_ref_index_add,
        variants={"method": lambda lib, x, source, dim, index, alpha: x.index_add(
            dim, _idx(lib, index, x), source, alpha=alpha),
                  "inplace": lambda lib, x, source, dim, index, alpha: non_leaf_copy(
                      x).index_add_(dim, _idx(lib, index, x), source, alpha=alpha)},
        covers=("Tensor.index_add", T + "index_add", "Tensor.index_add_"),
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).index_add(
            1, long_tensor(lib, [7]), lib.ones(2, 1)), IndexError, "index 7 is out of bounds",
            torch_too=False),
                ErrorInput(lambda lib: lib.zeros(2, 4).index_add(
                    1, long_tensor(lib, [1, 2]), lib.ones(2, 1)), RuntimeError,
                    "Number of indices"),),
    ),
    spelled_row(
        "index_copy", lambda lib, x, source, dim, index: (dim, _idx(lib, index, x), source),
        inplace=True, inputs=_index_inputs("copy"), ref=_ref_index_copy,
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).index_copy(
            1, long_tensor(lib, [1, 2]), lib.ones(2, 1)), IndexError, "Number of indices"),),
    ),
    spelled_row(
        "index_fill", lambda lib, x, dim, index, value: (dim, _idx(lib, index, x), value),
        inplace=True, inputs=_index_inputs("fill"), ref=_ref_index_fill,
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).index_fill(
            1, long_tensor(lib, [9]), 1.0), IndexError, "index 9 is out of bounds",
            torch_too=False),),
    ),
    spelled_row(
        "index_put", lambda lib, x, values, indices, accumulate: (
            tuple(_idx(lib, i, x) for i in indices), values, accumulate),
        inplace=True, inputs=_index_put_inputs(), ref=_ref_index_put,
        covers=(T + "index_put_",),
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).index_put_(
            (long_tensor(lib, [5]),), lib.ones(1)), IndexError,
            "index 5 is out of bounds for dimension 0 with size 2"),
                ErrorInput(lambda lib: lib.zeros(2, 4).index_put_(
                    (long_tensor(lib, [1]),), lib.ones(1, dtype=lib.float64)), RuntimeError,
                    "dtypes match")),
    ),
    spelled_row(
        "take", lambda lib, x, index: (_idx(lib, index, x),), inputs=_take_inputs(),
        ref=lambda np_, x, index: x.reshape(-1)[index],
        errors=(ErrorInput(lambda lib: lib.take(lib.zeros(2, 3), long_tensor(lib, [7])),
                           IndexError, "index 7 is out of range"),),
    ),
    spelled_row(
        "take_along_dim", lambda lib, x, indices, dim: (_idx(lib, indices, x), dim),
        inputs=_take_along_inputs(), ref=_ref_take_along,
        errors=(ErrorInput(lambda lib: lib.take_along_dim(lib.zeros(2, 3), long_tensor(lib, [1]),
                                                          1), RuntimeError,
                           "same number of dimensions"),),
    ),
    spelled_row(
        "masked_scatter", lambda lib, x, source, mask: (_idx(lib, mask, x), source),
        inplace=True, inputs=_masked_scatter_inputs(), ref=_ref_masked_scatter,
        errors=(ErrorInput(lambda lib: lib.zeros(4).masked_scatter(
            lib.ones(4, dtype=lib.bool), lib.ones(2)), RuntimeError,
            "Number of elements of source"),),
    ),
    spelled_row(
        "put", lambda lib, x, source, index, accumulate: (_idx(lib, index, x), source,
                                                          accumulate),
        inplace=True, inputs=_put_inputs(), ref=_ref_put,
        errors=(ErrorInput(lambda lib: lib.zeros(2, 4).put_(long_tensor(lib, [9]), lib.ones(1)),
                           IndexError, "index 9 is out of range"),
                ErrorInput(lambda lib: lib.zeros(2, 4).put_(long_tensor(lib, [1]), lib.ones(2)),
                           IndexError, "same number of elements")),
    ),
    spelled_row(
        "select_scatter", lambda lib, x, src, dim, index: (src, dim, index),
        inputs=_select_scatter_inputs(), ref=_ref_select_scatter,
        errors=(ErrorInput(lambda lib: lib.select_scatter(lib.zeros(2, 4), lib.zeros(3), 0, 0),
                           RuntimeError, "expected src to have a size equal to the slice"),),
    ),
    OpInfo(
        name="slice_scatter",
        call=lambda lib, x, src, dim, start, end, step: lib.slice_scatter(x, src, dim, start,
                                                                          end, step),
        inputs=_slice_scatter_inputs(),
        ref=_ref_slice_scatter,
        variants={"method": lambda lib, x, src, dim, start, end, step: x.slice_scatter(
            src, dim=dim, start=start, end=end, step=step)},
        covers=("Tensor.slice_scatter", T + "slice_scatter"),
        errors=(ErrorInput(lambda lib: lib.slice_scatter(lib.zeros(2, 4), lib.zeros(2, 3), 1,
                                                         0, 2),
                           RuntimeError, "expected src to have a size equal to the slice"),),
    ),
    spelled_row(
        "masked_fill", lambda lib, x, mask, value: (_idx(lib, mask, x), value),
        name="masked_fill.value", inplace=True, inputs=_masked_fill_inputs(),
        ref=_ref_masked_fill,
        errors=(ErrorInput(lambda lib: lib.zeros(2).masked_fill(lib.zeros(2), 1.0),
                           RuntimeError, "boolean"),),
    ),
]

op_db = once_differentiable(op_db, set("""
gather.index scatter scatter.value scatter_add scatter_reduce index_select index_add
index_copy index_fill index_put take take_along_dim masked_scatter put select_scatter
slice_scatter
""".split()))
