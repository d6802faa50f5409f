"""op_db rows: shape ops of issue 11a (flip, roll, rot90, repeat_interleave, tile,
broadcasting, movedim, diagonals, splits and stacks, atleast_nd, unfold, meshgrid and
friends, tril/triu_indices, squeeze/unsqueeze, narrow_copy)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from ..opinfo import ErrorInput, OpInfo
from .index_strategies import (
    dim_of,
    floats,
    once_differentiable,
    rng,
    sample,
    shapes,
    spelled_row,
)

T = "tinytorch."


def _any(min_dims=0, max_dims=3):
    return shapes(min_dims, max_dims).flatmap(floats).map(lambda a: sample([a]))


def _flip_inputs():
    return shapes(1, 3).flatmap(lambda s: st.tuples(
        floats(s), st.lists(st.integers(0, len(s) - 1), unique=True, max_size=len(s)))).map(
        lambda t: sample([t[0]], dims=tuple(t[1])))


def _roll_inputs():
    def build(t):
        x, gen, kind = t
        if kind == 0:
            return sample([x], shifts=int(gen.integers(-5, 6)), dims=None)
        k = int(gen.integers(1, x.ndim + 1))
        dims = tuple(int(d) for d in gen.permutation(x.ndim)[:k])
        shifts = tuple(int(s) for s in gen.integers(-5, 6, size=k))
        return sample([x], shifts=shifts if kind == 2 else shifts[0],
                      dims=dims if kind == 2 else dims[0])
    return shapes(1, 3).flatmap(lambda s: st.tuples(floats(s), rng(),
                                                    st.integers(0, 2))).map(build)


def _rot90_inputs():
    return shapes(2, 3).flatmap(lambda s: st.tuples(
        floats(s), st.integers(-5, 5), st.permutations(range(len(s))))).map(
        lambda t: sample([t[0]], k=t[1], dims=tuple(t[2][:2])))


def _repeat_inputs():
    def build(t):
        x, gen, kind = t
        if kind == 0:
            return sample([x], repeats=int(gen.integers(0, 3)), dim=None)
        dim = int(gen.integers(0, x.ndim))
        reps = gen.integers(0, 3, size=x.shape[dim])
        return sample([x], repeats=reps if kind == 2 else int(gen.integers(0, 3)), dim=dim)
    return shapes(1, 3).flatmap(lambda s: st.tuples(floats(s), rng(),
                                                    st.integers(0, 2))).map(build)


def _repeats(lib, repeats):
    """The drawn repeats as repeat_interleave takes them: an int, or counts as a tensor."""
    return lib.tensor(repeats) if isinstance(repeats, np.ndarray) else repeats


def _ref_repeat(np_, x, repeats, dim):
    return np_.repeat(x, repeats, axis=dim) if dim is not None else np_.repeat(x.reshape(-1),
                                                                              repeats)


def _tile_inputs():
    return shapes(0, 3).flatmap(lambda s: st.tuples(
        floats(s), st.lists(st.integers(1, 3), min_size=0, max_size=3))).map(
        lambda t: sample([t[0]], dims=tuple(t[1])))


def _broadcast_inputs():
    def build(t):
        x, lead, stretch = t
        shape = tuple(lead) + tuple(n if n != 1 or not stretch else 3 for n in x.shape)
        return sample([x], size=shape)
    return shapes(0, 3).flatmap(lambda s: st.tuples(
        floats(s), st.lists(st.integers(1, 3), max_size=2), st.booleans())).map(build)


def _broadcast_pair():
    def build(t):
        a_shape, b_shape = t
        return st.tuples(floats(a_shape), floats(b_shape)).map(lambda ab: sample(ab))
    pairs = shapes(0, 3).flatmap(lambda s: st.tuples(
        st.just(s), st.lists(st.booleans(), min_size=len(s), max_size=len(s)),
        st.integers(0, len(s)))).map(
        lambda t: (t[0], tuple(1 if ones else n for n, ones in zip(t[0], t[1]))[t[2]:]))
    return pairs.flatmap(build)


def _movedim_inputs():
    def build(t):
        x, gen = t
        k = int(gen.integers(1, x.ndim + 1))
        src = tuple(int(d) for d in gen.permutation(x.ndim)[:k])
        dst = tuple(int(d) for d in gen.permutation(x.ndim)[:k])
        return sample([x], source=src, destination=dst)
    return shapes(1, 4).flatmap(lambda s: st.tuples(floats(s), rng())).map(build)


def _swap_inputs():
    return shapes(1, 3).flatmap(lambda s: st.tuples(
        floats(s), dim_of(len(s)), dim_of(len(s)))).map(
        lambda t: sample([t[0]], axis0=t[1], axis1=t[2]))


def _diagonal_inputs():
    return shapes(2, 4).flatmap(lambda s: st.tuples(
        floats(s), st.integers(-3, 3), st.permutations(range(len(s))))).map(
        lambda t: sample([t[0]], offset=t[1], dim1=t[2][0], dim2=t[2][1]))


def _diag_embed_inputs():
    return shapes(1, 3).flatmap(lambda s: st.tuples(
        floats(s), st.integers(-2, 2), st.permutations(range(len(s) + 1)))).map(
        lambda t: sample([t[0]], offset=t[1], dim1=t[2][0], dim2=t[2][1]))


def _ref_diag_embed(np_, x, offset, dim1, dim2):
    n = x.shape[-1] + abs(offset)
    out = np_.zeros(x.shape[:-1] + (n, n))
    rows = np_.arange(x.shape[-1]) + max(-offset, 0)
    cols = np_.arange(x.shape[-1]) + max(offset, 0)
    out[..., rows, cols] = x
    return np_.moveaxis(out, (-2, -1), (dim1, dim2))


def _diag_inputs():
    return shapes(1, 2).flatmap(lambda s: st.tuples(floats(s), st.integers(-2, 2))).map(
        lambda t: sample([t[0]], diagonal=t[1]))


def _split_inputs():
    def build(t):
        x, d, gen, kind = t
        n = x.shape[d % x.ndim]
        if kind:
            spec = sorted(int(i) for i in gen.integers(-n - 1, n + 2, size=int(
                gen.integers(0, 4))))
            return sample([x], spec=spec, dim=d)
        return sample([x], spec=int(gen.integers(1, n + 2)), dim=d)
    return shapes(1, 3).flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng(),
                                                    st.booleans())).map(build)


def _ref_tensor_split(np_, x, spec, dim):
    # array_split cuts at python-slice positions, as tensor_split does
    return tuple(np_.array_split(x, spec, axis=dim))


def _hvd_inputs(need):
    def build(t):
        x, gen, kind = t
        axis = 0 if (need == 1 and x.ndim == 1) else {1: 1, 2: 0, 3: 2}[need]
        n = x.shape[axis]
        if kind:
            return sample([x], spec=sorted(int(i) for i in gen.integers(0, n + 1, size=2)))
        divisors = [k for k in range(1, n + 1) if n % k == 0]
        return sample([x], spec=int(gen.choice(divisors)))
    return shapes(max(need, 2 if need == 1 else need), 3).flatmap(
        lambda s: st.tuples(floats(s), rng(), st.booleans())).map(build)


def _stack_inputs(min_dims=0, max_dims=3, same_rank_cat=None):
    """2-3 arrays sharing a shape except along the axis they are joined on."""
    def build(t):
        base, gen, count = t
        arrays = []
        for _ in range(count):
            shape = list(base)
            if same_rank_cat is not None and len(shape) >= max(same_rank_cat + 1, 2):
                shape[same_rank_cat] = int(gen.integers(1, 4))
            arrays.append(gen.uniform(-2, 2, size=tuple(shape)))
        return sample(arrays)
    return st.tuples(shapes(min_dims, max_dims), rng(), st.integers(1, 3)).map(build)


def _unfold_inputs():
    def build(t):
        x, d, gen = t
        n = x.shape[d % x.ndim]
        size = int(gen.integers(0, n + 1))
        return sample([x], dimension=d, size=size, step=int(gen.integers(1, 4)))
    return shapes(1, 3).flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng())).map(
        build)


def _ref_unfold(np_, x, dimension, size, step):
    d = dimension % x.ndim
    windows = np_.lib.stride_tricks.sliding_window_view(x, size, axis=d)
    return np_.take(windows, np_.arange(0, windows.shape[d], step), axis=d)


def _vectors(low=1, high=3):
    return st.lists(shapes(1, 1, 4), min_size=low, max_size=high).flatmap(
        lambda ss: st.tuples(*(floats(s) for s in ss))).map(lambda arrays: sample(arrays))


def _ref_combinations(np_, x, r, with_replacement):
    make = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = [list(c) for c in make(x.tolist(), r)]
    return np_.asarray(rows, dtype=x.dtype).reshape(len(rows), r)


def _tri_inputs():
    return st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(-4, 4)).map(
        lambda t: sample([], row=t[0], col=t[1], offset=t[2]))


def _squeeze_inputs():
    return hnp_shapes_with_ones().flatmap(lambda s: st.tuples(
        floats(s), st.lists(st.integers(0, len(s) - 1), unique=True, max_size=len(s)))).map(
        lambda t: sample([t[0]], dim=tuple(t[1])))


def hnp_shapes_with_ones():
    return st.lists(st.sampled_from([1, 1, 2, 3]), min_size=1, max_size=4).map(tuple)


def _narrow_inputs():
    def build(t):
        x, d, gen = t
        n = x.shape[d % x.ndim]
        start = int(gen.integers(0, n))
        return sample([x], dim=d, start=start, length=int(gen.integers(0, n - start + 1)))
    return shapes(1, 3).flatmap(lambda s: st.tuples(floats(s), dim_of(len(s)), rng())).map(
        build)


# ------------------------------------------------------------------ row builders: families
# of ops that differ only in a name or one argument


def _flip_side_row(name, min_dims):
    """fliplr (flips dim 1) and flipud (dim 0) need ``min_dims`` dims; NumPy's functions
    of the same name are the reference."""
    too_few_dims = (3,) * (min_dims - 1)
    return spelled_row(
        name, lambda lib, x: (), inputs=_any(min_dims, 3),
        ref=lambda np_, x: getattr(np_, name)(x),
        errors=(ErrorInput(lambda lib: getattr(lib, name)(lib.zeros(too_few_dims)),
                           RuntimeError, f">= {min_dims}-d"),),
    )


def _hvd_split_row(name, needs_dims, errors=()):
    """hsplit / vsplit / dsplit (which need 1 / 2 / 3 dims): tensor_split along dim 1
    (dim 0 for a vector) / 0 / 2, by a number of equal sections or a list of indices."""
    return spelled_row(
        name, lambda lib, x, spec: (spec,), inputs=_hvd_inputs(needs_dims),
        ref=lambda np_, x, spec: tuple(getattr(np_, name)(x, spec)), errors=errors,
    )


def _stack_row(name, max_dims, cat_dim, aliases=(), errors=()):
    """hstack / vstack / dstack / column_stack of 1-3 tensors that differ in size only along
    ``cat_dim``; each alias (``row_stack``) is a variant."""
    return OpInfo(
        name=name,
        call=lambda lib, *ts: getattr(lib, name)(ts),
        inputs=_stack_inputs(0, max_dims, same_rank_cat=cat_dim),
        ref=lambda np_, *arrays: getattr(np_, name)(arrays),
        variants={alias: lambda lib, *ts, alias=alias: getattr(lib, alias)(ts)
                  for alias in aliases},
        covers=tuple(T + n for n in (name, *aliases)),
        errors=errors,
    )


def _atleast_row(n, variants=None):
    """atleast_{n}d of 1-3 tensors (a tensor for one, a tuple for several; always a tuple
    here, so that one reference serves both)."""
    name = f"atleast_{n}d"

    def call(lib, *ts):
        out = getattr(lib, name)(*ts)
        return out if isinstance(out, tuple) else (out,)

    return OpInfo(
        name=name,
        call=call,
        inputs=_stack_inputs(0, 3),
        ref=lambda np_, *arrays: tuple(getattr(np_, name)(a) for a in arrays),
        variants=variants or {},
        covers=(T + name,),
    )


def _tri_indices_row(name):
    """tril_indices / triu_indices(row, col, offset): NumPy's takes (n, k, m)."""
    return OpInfo(
        name=name,
        call=lambda lib, row, col, offset: getattr(lib, name)(row, col, offset),
        inputs=_tri_inputs(),
        ref=lambda np_, row, col, offset: np_.stack(getattr(np_, name)(row, offset, col)),
        covers=(T + name,),
        differentiable=False,
    )


op_db = [
    spelled_row(
        "flip", lambda lib, x, dims: (dims,), inputs=_flip_inputs(),
        ref=lambda np_, x, dims: np_.flip(x, dims) if dims else x.copy(),
        variants={"method varargs": lambda lib, x, dims: x.flip(*dims)},
        errors=(ErrorInput(lambda lib: lib.flip(lib.zeros(2, 3), (0, 0)), RuntimeError,
                           "more than once"),
                ErrorInput(lambda lib: lib.flip(lib.zeros(2, 3), (2,)), IndexError,
                           "Dimension out of range")),
    ),
    _flip_side_row("fliplr", min_dims=2),
    _flip_side_row("flipud", min_dims=1),
    spelled_row(
        "roll", lambda lib, x, shifts, dims: (shifts, dims), inputs=_roll_inputs(),
        ref=lambda np_, x, shifts, dims: np_.roll(x, shifts, dims),
        errors=(ErrorInput(lambda lib: lib.roll(lib.zeros(2, 3), (1, 2), (0,)), RuntimeError,
                           "shifts and dimensions must align"),),
    ),
    spelled_row(
        "rot90", lambda lib, x, k, dims: (k, dims), inputs=_rot90_inputs(),
        ref=lambda np_, x, k, dims: np_.rot90(x, k, dims),
        errors=(ErrorInput(lambda lib: lib.rot90(lib.zeros(2, 3), 1, (0, 0)), RuntimeError,
                           "rotation dims to be different"),
                ErrorInput(lambda lib: lib.rot90(lib.zeros(2, 3), 1, (0,)), RuntimeError,
                           "total rotation dims == 2")),
    ),
    OpInfo(
        name="repeat_interleave",
        call=lambda lib, x, repeats, dim: lib.repeat_interleave(x, _repeats(lib, repeats), dim),
        inputs=_repeat_inputs(),
        ref=_ref_repeat,
        variants={"method": lambda lib, x, repeats, dim: x.repeat_interleave(
            _repeats(lib, repeats), dim=dim)},
        covers=("Tensor.repeat_interleave", T + "repeat_interleave"),
        errors=(ErrorInput(lambda lib: lib.repeat_interleave(
            lib.zeros(3), lib.tensor([1, 2]), 0), RuntimeError, "repeats must have the same "
                                                                "size"),),
    ),
    OpInfo(
        name="repeat_interleave.counts",
        call=lambda lib, x: lib.repeat_interleave((x.abs() * 2).long()),
        inputs=_any(1, 1),
        ref=lambda np_, x: np_.repeat(np_.arange(x.size), np_.trunc(np_.abs(x) * 2).astype(int)),
        covers=(T + "repeat_interleave",),
        differentiable=False,
    ),
    spelled_row(
        "tile", lambda lib, x, dims: (dims,), inputs=_tile_inputs(),
        ref=lambda np_, x, dims: np_.tile(x, dims),
    ),
    spelled_row(
        "broadcast_to", lambda lib, x, size: (size,), inputs=_broadcast_inputs(),
        ref=lambda np_, x, size: np_.broadcast_to(x, size),
        variants={"expand_as": lambda lib, x, size: x.expand_as(lib.zeros(size,
                                                                          dtype=x.dtype))},
        covers=("Tensor.expand_as",),
        errors=(ErrorInput(lambda lib: lib.broadcast_to(lib.zeros(2, 3), (2, 4)),
                           RuntimeError, "expand"),),
    ),
    OpInfo(
        name="broadcast_tensors",
        call=lambda lib, a, b: lib.broadcast_tensors(a, b),
        inputs=_broadcast_pair(),
        ref=lambda np_, a, b: tuple(np_.broadcast_arrays(a, b)),
        variants={"shapes": lambda lib, a, b: tuple(
            x.expand(lib.broadcast_shapes(a.shape, b.shape)) for x in (a, b))},
        covers=(T + "broadcast_tensors", T + "broadcast_shapes"),
        errors=(ErrorInput(lambda lib: lib.broadcast_shapes((2, 3), (4,)), RuntimeError,
                           "Shape mismatch"),),
    ),
    spelled_row(
        "movedim", lambda lib, x, source, destination: (source, destination),
        inputs=_movedim_inputs(),
        ref=lambda np_, x, source, destination: np_.moveaxis(x, source, destination),
        variants={"moveaxis": lambda lib, x, source, destination: lib.moveaxis(
                      x, source, destination),
                  "moveaxis method": lambda lib, x, source, destination: x.moveaxis(
                      source, destination)},
        covers=("Tensor.moveaxis", T + "moveaxis"),
        errors=(ErrorInput(lambda lib: lib.movedim(lib.zeros(2, 3), (0, 0), (0, 1)),
                           RuntimeError, "repeated dim in `source`"),),
    ),
    spelled_row(
        "swapaxes", lambda lib, x, axis0, axis1: (axis0, axis1), inputs=_swap_inputs(),
        ref=lambda np_, x, axis0, axis1: np_.swapaxes(x, axis0, axis1),
        variants={"swapdims": lambda lib, x, axis0, axis1: lib.swapdims(x, axis0, axis1),
                  "swapdims method": lambda lib, x, axis0, axis1: x.swapdims(axis0, axis1)},
        covers=("Tensor.swapdims", T + "swapdims"),
    ),
    spelled_row(
        "diagonal", lambda lib, x, offset, dim1, dim2: (offset, dim1, dim2),
        inputs=_diagonal_inputs(),
        ref=lambda np_, x, offset, dim1, dim2: np_.diagonal(x, offset, dim1, dim2),
        errors=(ErrorInput(lambda lib: lib.diagonal(lib.zeros(2, 3), 0, 1, 1), RuntimeError,
                           "diagonal dimensions cannot be identical"),),
    ),
    spelled_row(
        "diag_embed", lambda lib, x, offset, dim1, dim2: (offset, dim1, dim2),
        inputs=_diag_embed_inputs(), ref=_ref_diag_embed,
    ),
    spelled_row(
        "diag", lambda lib, x, diagonal: (diagonal,), inputs=_diag_inputs(),
        ref=lambda np_, x, diagonal: np_.diag(x, diagonal),
        errors=(ErrorInput(lambda lib: lib.diag(lib.zeros(2, 2, 2)), RuntimeError,
                           "Supports 1D or 2D tensors"),),
    ),
    spelled_row(
        "diagflat", lambda lib, x, offset: (offset,),
        inputs=shapes(0, 2).flatmap(lambda s: st.tuples(floats(s), st.integers(-2, 2))).map(
            lambda t: sample([t[0]], offset=t[1])),
        ref=lambda np_, x, offset: np_.diagflat(x, offset),
    ),
    spelled_row(
        "trace", lambda lib, x: (), inputs=_any(2, 2),
        ref=lambda np_, x: np_.asarray(np_.trace(x)),
        errors=(ErrorInput(lambda lib: lib.trace(lib.zeros(2, 2, 2)), RuntimeError,
                           "expected a matrix"),),
    ),
    spelled_row(
        "tensor_split", lambda lib, x, spec, dim: (spec, dim), inputs=_split_inputs(),
        ref=_ref_tensor_split,
        variants={"tensor spec": lambda lib, x, spec, dim: lib.tensor_split(
                      x, lib.tensor(spec, dtype=lib.int64), dim)},
        errors=(ErrorInput(lambda lib: lib.tensor_split(lib.zeros(3), 0), RuntimeError,
                           "number of sections must be larger than 0"),),
    ),
    _hvd_split_row("hsplit", needs_dims=1, errors=(
        ErrorInput(lambda lib: lib.hsplit(lib.zeros(2, 5), 2), RuntimeError, "not divisible"),)),
    _hvd_split_row("vsplit", needs_dims=2, errors=(
        ErrorInput(lambda lib: lib.vsplit(lib.zeros(3), 1), RuntimeError,
                   "at least 2 dimension"),)),
    _hvd_split_row("dsplit", needs_dims=3),
    _stack_row("hstack", max_dims=3, cat_dim=1, errors=(
        ErrorInput(lambda lib: lib.hstack([]), RuntimeError, "non-empty"),)),
    _stack_row("vstack", max_dims=3, cat_dim=0, aliases=("row_stack",)),
    _stack_row("dstack", max_dims=3, cat_dim=2),
    _stack_row("column_stack", max_dims=2, cat_dim=1),
    _atleast_row(1, variants={"list": lambda lib, *ts: tuple(lib.atleast_1d(list(ts)))}),
    _atleast_row(2),
    _atleast_row(3),
    OpInfo(
        name="view_as.other",
        call=lambda lib, x, other: x.view_as(other),
        inputs=shapes(0, 3).flatmap(lambda s: st.tuples(floats(s), floats(s[::-1]))).map(
            lambda t: sample(t)),
        ref=lambda np_, x, other: x.reshape(other.shape),
        variants={"reshape_as": lambda lib, x, other: x.reshape_as(other)},
        covers=("Tensor.view_as", "Tensor.reshape_as"),
        needs_contiguous=True,
    ),
    OpInfo(
        name="unfold",
        call=lambda lib, x, dimension, size, step: x.unfold(dimension, size, step),
        inputs=_unfold_inputs(),
        ref=_ref_unfold,
        covers=("Tensor.unfold",),
        errors=(ErrorInput(lambda lib: lib.zeros(3).unfold(0, 5, 1), RuntimeError,
                           "maximum size for tensor at dimension 0 is 3 but size is 5"),
                ErrorInput(lambda lib: lib.zeros(3).unfold(0, 2, 0), RuntimeError,
                           "step is 0 but must be > 0")),
    ),
    OpInfo(
        name="meshgrid",
        call=lambda lib, *ts: lib.meshgrid(*ts, indexing="ij"),
        inputs=_vectors(),
        ref=lambda np_, *arrays: tuple(np_.meshgrid(*arrays, indexing="ij")),
        variants={"list": lambda lib, *ts: lib.meshgrid(list(ts), indexing="ij")},
        covers=(T + "meshgrid",),
        errors=(ErrorInput(lambda lib: lib.meshgrid(lib.zeros(2, 2), indexing="ij"),
                           RuntimeError, "0 or 1 dimensions"),),
    ),
    OpInfo(
        name="meshgrid.xy",
        call=lambda lib, *ts: lib.meshgrid(*ts, indexing="xy"),
        inputs=_vectors(),
        ref=lambda np_, *arrays: tuple(np_.meshgrid(*arrays, indexing="xy")),
        covers=(T + "meshgrid",),
    ),
    OpInfo(
        name="cartesian_prod",
        call=lambda lib, *ts: lib.cartesian_prod(*ts),
        inputs=_vectors(),
        ref=lambda np_, *arrays: arrays[0].copy() if len(arrays) == 1 else np_.stack(
            [g.reshape(-1) for g in np_.meshgrid(*arrays, indexing="ij")], 1),
        covers=(T + "cartesian_prod",),
    ),
    OpInfo(
        name="combinations",
        call=lambda lib, x, r, with_replacement: lib.combinations(x, r, with_replacement),
        inputs=shapes(1, 1, 4).flatmap(lambda s: st.tuples(
            floats(s), st.integers(1, 3), st.booleans())).map(
            lambda t: sample([t[0]], r=t[1], with_replacement=t[2])),
        ref=_ref_combinations,
        covers=(T + "combinations",),
        errors=(ErrorInput(lambda lib: lib.combinations(lib.zeros(2, 2)), RuntimeError,
                           "1D vector"),),
    ),
    _tri_indices_row("tril_indices"),
    _tri_indices_row("triu_indices"),
    spelled_row(
        "squeeze", lambda lib, x, dim: (dim,), name="squeeze.dims", inputs=_squeeze_inputs(),
        ref=lambda np_, x, dim: np_.squeeze(x, tuple(d for d in dim if x.shape[d] == 1)),
    ),
    spelled_row(
        "unsqueeze", lambda lib, x, dim: (dim,), name="unsqueeze.dim",
        inputs=shapes(0, 3).flatmap(lambda s: st.tuples(floats(s), dim_of(len(s) + 1))).map(
            lambda t: sample([t[0]], dim=t[1])),
        ref=lambda np_, x, dim: np_.expand_dims(x, dim),
    ),
    spelled_row(
        "narrow_copy", lambda lib, x, dim, start, length: (dim, start, length),
        inputs=_narrow_inputs(),
        ref=lambda np_, x, dim, start, length: np_.take(x, np_.arange(start, start + length),
                                                        axis=dim),
    ),
]

op_db = once_differentiable(op_db, set("""
flip fliplr flipud roll rot90 repeat_interleave diagonal diag_embed diag diagflat trace
unfold combinations
""".split()))
