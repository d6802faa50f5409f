"""op_db rows: selection and ordering (sort, topk, kthvalue, median, mode, unique,
searchsorted, nonzero, masked_select, count_nonzero, bincount, histc)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..opinfo import ErrorInput, OpInfo
from .index_strategies import (
    dim_of,
    distinct,
    floats,
    long_tensor,
    once_differentiable,
    sample,
    shapes,
    small_ints,
)

T = "tinytorch."


def _distinct_dim(min_dims=1):
    return shapes(min_dims=min_dims).flatmap(
        lambda s: st.tuples(distinct(s), dim_of(len(s))))


def _sorted_ref(np_, x, dim, descending=False):
    order = np_.argsort(-x if descending else x, axis=dim, kind="stable")
    return np_.take_along_axis(x, order, axis=dim), order


def _sort_inputs():
    return st.tuples(_distinct_dim(), st.booleans()).map(
        lambda t: sample([t[0][0]], dim=t[0][1], descending=t[1]))


def _topk_inputs():
    return st.tuples(_distinct_dim(), st.booleans(), st.data()).map(
        lambda t: sample([t[0][0]], dim=t[0][1], largest=t[1],
                         k=t[2].draw(st.integers(0, t[0][0].shape[t[0][1]]))))


def _kth_inputs():
    return st.tuples(_distinct_dim(), st.booleans(), st.data()).map(
        lambda t: sample([t[0][0]], dim=t[0][1], keepdim=t[1],
                         k=t[2].draw(st.integers(1, t[0][0].shape[t[0][1]]))))


def _median_dim_ref(np_, x, dim, keepdim):
    order = np_.argsort(x, axis=dim, kind="stable")
    at = (x.shape[dim] - 1) // 2
    idx = np_.take(order, [at], axis=dim)
    values = np_.take_along_axis(x, idx, axis=dim)
    return (values, idx) if keepdim else (values.squeeze(dim), idx.squeeze(dim))


def _mode_ref(np_, x, dim, keepdim):
    moved = np_.moveaxis(x, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    vals, idxs = [], []
    for r in rows:
        u, c = np_.unique(r, return_counts=True)
        v = u[np_.argmax(c)]  # the smallest of the most frequent
        vals.append(v)
        idxs.append(np_.nonzero(r == v)[0][-1])  # its last occurrence
    shape = moved.shape[:-1]
    v = np_.asarray(vals).reshape(shape)
    i = np_.asarray(idxs, dtype=np_.int64).reshape(shape)
    if keepdim:
        v, i = np_.expand_dims(v, dim), np_.expand_dims(i, dim)
    return v, i


def _unique_ref(np_, x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    u, inv, c = np_.unique(x, return_inverse=True, return_counts=True, axis=dim)
    out = [u]
    if return_inverse:
        out.append(inv.reshape(x.shape if dim is None else (x.shape[dim],)))
    if return_counts:
        out.append(c)
    return tuple(out)


def _unique_consecutive_ref(np_, x, return_inverse=False, return_counts=False, dim=None):
    seq = x.reshape(-1) if dim is None else np_.moveaxis(x, dim, 0)
    groups = []  # (first position, count)
    for i in range(seq.shape[0]):
        if groups and np_.array_equal(seq[i], seq[groups[-1][0]]):
            groups[-1][1] += 1
        else:
            groups.append([i, 1])
    firsts = [g[0] for g in groups]
    u = seq[firsts] if dim is None else np_.moveaxis(seq[firsts], 0, dim)
    out = [u]
    if return_inverse:
        inv = np_.repeat(np_.arange(len(groups)), [g[1] for g in groups])
        out.append(inv.reshape(x.shape if dim is None else (-1,)))
    if return_counts:
        out.append(np_.asarray([g[1] for g in groups]))
    return tuple(out)


def _unique_inputs():
    def build(t):
        (x, d), flags, use_dim = t
        kw = dict(return_inverse=flags[0], return_counts=flags[1],
                  dim=d % x.ndim if use_dim else None)
        return sample([x], **kw)
    return st.tuples(shapes(max_side=5).flatmap(lambda s: st.tuples(small_ints(s, 2),
                                                                     dim_of(len(s)))),
                     st.tuples(st.booleans(), st.booleans()), st.booleans()).map(build)


def _as_tuple(out):
    """unique's result as a tuple: a lone tensor without ``return_inverse``/``return_counts``."""
    return out if isinstance(out, tuple) else (out,)


def _unique_row(name, ref, inputs, **function_only):
    """unique / unique_consecutive with the drawn return_inverse, return_counts and dim
    (``function_only``: keywords the function spelling passes too, as unique's sorted=True)."""
    return OpInfo(
        name=name,
        call=lambda lib, x, **kw: _as_tuple(getattr(lib, name)(x, **function_only, **kw)),
        inputs=inputs,
        ref=ref,
        variants={"method": lambda lib, x, **kw: _as_tuple(getattr(x, name)(**kw))},
        covers=("Tensor." + name, T + name),
        differentiable=False,
    )


def _search_inputs():
    def build(t):
        (seq, vals), right = t
        return sample([seq, vals], right=right)
    one_d = st.tuples(shapes(1, 1, 5), shapes(0, 2, 3)).flatmap(
        lambda s: st.tuples(floats(s[0]), floats(s[1])))
    batched = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda n: st.tuples(floats((n[0], n[1])), floats((n[0], n[2]))))
    return st.tuples(st.one_of(one_d, batched), st.booleans()).map(build)


def _call_search(lib, seq, vals, right):
    return lib.searchsorted(lib.sort(seq, dim=-1)[0], vals, right=right)


def _search_ref(np_, seq, vals, right):
    seq = np_.sort(seq, axis=-1)
    side = "right" if right else "left"
    if seq.ndim == 1:
        return np_.asarray(np_.searchsorted(seq, vals, side=side))
    return np_.stack([np_.searchsorted(s, v, side=side) for s, v in zip(seq, vals)])


def _bucket_inputs():
    return st.tuples(shapes(1, 1, 5), shapes(0, 3), st.booleans()).flatmap(
        lambda s: st.tuples(floats(s[0]), floats(s[1])).map(
            lambda a: sample(a, right=s[2])))


def _dim_sample(strategy_of_shape, min_dims=1, **extra):
    return shapes(min_dims=min_dims).flatmap(
        lambda s: st.tuples(strategy_of_shape(s), dim_of(len(s)), st.booleans())).map(
        lambda t: sample([t[0]], dim=t[1], keepdim=t[2]))


def _mask_inputs():
    return shapes(0, 3).flatmap(lambda s: st.tuples(
        floats(s), st.lists(st.booleans(), min_size=int(np.prod(s)),
                            max_size=int(np.prod(s))))).map(
        lambda t: sample([t[0]], mask=np.asarray(t[1], dtype=bool).reshape(t[0].shape)))


def _bincount_inputs():
    return st.tuples(shapes(1, 1, 6), st.integers(0, 8), st.booleans()).flatmap(
        lambda s: st.tuples(floats(s[0]), floats(s[0])).map(
            lambda a: sample(a if s[2] else a[:1], minlength=s[1])))


def _call_bincount(lib, x, w=None, minlength=0):
    return lib.bincount((x.abs() * 2).long(), weights=w, minlength=minlength)


def _ref_bincount(np_, x, w=None, minlength=0):
    return np_.bincount(np_.trunc(np_.abs(x) * 2).astype(np_.int64), weights=w,
                        minlength=minlength)


def _histc_inputs():
    return st.tuples(shapes(1, 2, 5), st.integers(1, 6), st.sampled_from(
        [(0.0, 0.0), (-1.0, 1.0), (-2.5, 0.5)])).flatmap(
        lambda s: small_ints(s[0], 32).map(lambda a: sample(
            [(a - 16) / 8 + 1 / 32], bins=s[1], min=s[2][0], max=s[2][1])))


def _ref_histc(np_, x, bins, min, max):
    lo, hi = (x.min(), x.max()) if min == max else (min, max)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np_.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype)


op_db = [
    OpInfo(
        name="sort.stable",
        call=lambda lib, x, dim, descending: lib.sort(x, dim=dim, descending=descending,
                                                      stable=True),
        inputs=_sort_inputs(),
        ref=lambda np_, x, dim, descending: _sorted_ref(np_, x, dim, descending),
        variants={"method": lambda lib, x, dim, descending: x.sort(dim, descending,
                                                                   stable=True),
                  "default stable": lambda lib, x, dim, descending: x.sort(
                      dim=dim, descending=descending)},
        covers=("Tensor.sort", T + "sort"),
        errors=(ErrorInput(lambda lib: lib.sort(lib.zeros(2, 3), dim=2), IndexError,
                           "Dimension out of range"),),
    ),
    OpInfo(
        name="argsort.stable",
        call=lambda lib, x, dim, descending: lib.argsort(x, dim=dim, descending=descending),
        inputs=_sort_inputs(),
        ref=lambda np_, x, dim, descending: _sorted_ref(np_, x, dim, descending)[1],
        variants={"method": lambda lib, x, dim, descending: x.argsort(dim, descending)},
        covers=("Tensor.argsort", T + "argsort"),
        differentiable=False,
    ),
    OpInfo(
        name="topk.k",
        call=lambda lib, x, k, dim, largest: lib.topk(x, k, dim=dim, largest=largest),
        inputs=_topk_inputs(),
        ref=lambda np_, x, k, dim, largest: tuple(
            np_.take(a, np_.arange(k), axis=dim) for a in _sorted_ref(np_, x, dim, largest)),
        variants={"method": lambda lib, x, k, dim, largest: x.topk(k, dim, largest, True),
                  "named": lambda lib, x, k, dim, largest: (
                      lambda r: (r.values, r.indices))(x.topk(k, dim=dim, largest=largest))},
        covers=("Tensor.topk", T + "topk"),
        errors=(ErrorInput(lambda lib: lib.topk(lib.zeros(2, 3), 4), RuntimeError,
                           "out of range"),),
    ),
    OpInfo(
        name="kthvalue",
        call=lambda lib, x, k, dim, keepdim: lib.kthvalue(x, k, dim, keepdim),
        inputs=_kth_inputs(),
        ref=lambda np_, x, k, dim, keepdim: tuple(
            (lambda a: a if keepdim else a.squeeze(dim))(np_.take(a, [k - 1], axis=dim))
            for a in _sorted_ref(np_, x, dim)),
        variants={"method": lambda lib, x, k, dim, keepdim: x.kthvalue(k, dim=dim,
                                                                       keepdim=keepdim)},
        covers=("Tensor.kthvalue", T + "kthvalue"),
        errors=(ErrorInput(lambda lib: lib.kthvalue(lib.zeros(2, 3), 0), RuntimeError,
                           "out of range"),
                ErrorInput(lambda lib: lib.zeros(2, 3).kthvalue(4, 1), RuntimeError,
                           "out of range")),
    ),
    OpInfo(
        name="median",
        call=lambda lib, x: lib.median(x),
        inputs=shapes(0, 3).flatmap(distinct).map(lambda a: sample([a])),
        ref=lambda np_, x: np_.sort(x.reshape(-1))[(x.size - 1) // 2],
        variants={"method": lambda lib, x: x.median(),
                  "nanmedian": lambda lib, x: lib.nanmedian(x),
                  "nanmedian method": lambda lib, x: x.nanmedian()},
        covers=("Tensor.median", T + "median", "Tensor.nanmedian", T + "nanmedian"),
        errors=(ErrorInput(lambda lib: lib.median(lib.zeros(0)), RuntimeError, "empty",
                           torch_too=False),),
    ),
    OpInfo(
        name="median.dim",
        call=lambda lib, x, dim, keepdim: lib.median(x, dim, keepdim),
        inputs=_dim_sample(distinct),
        ref=_median_dim_ref,
        variants={"method": lambda lib, x, dim, keepdim: x.median(dim, keepdim=keepdim),
                  "nanmedian": lambda lib, x, dim, keepdim: lib.nanmedian(x, dim, keepdim)},
        covers=("Tensor.median", T + "median"),
        errors=(ErrorInput(lambda lib: lib.median(lib.zeros(2, 3), 2), IndexError,
                           "Dimension out of range"),),
    ),
    OpInfo(
        name="mode",
        call=lambda lib, x, dim, keepdim: lib.mode(x, dim, keepdim),
        inputs=_dim_sample(lambda s: small_ints(s, 2)),
        ref=_mode_ref,
        variants={"method": lambda lib, x, dim, keepdim: x.mode(dim, keepdim)},
        covers=("Tensor.mode", T + "mode"),
        # the mode is defined by exact ties, which finite differences break: its gradient
        # (g to the returned index) is checked against PyTorch in test_surface_a
        differentiable=False,
    ),
    _unique_row("unique", _unique_ref, _unique_inputs(), sorted=True),
    _unique_row("unique_consecutive", _unique_consecutive_ref,
                _unique_inputs()),
    OpInfo(
        name="searchsorted",
        call=_call_search,
        inputs=_search_inputs(),
        ref=_search_ref,
        variants={"side": lambda lib, s, v, right: lib.searchsorted(
            lib.sort(s, dim=-1)[0], v, side="right" if right else "left")},
        covers=(T + "searchsorted",),
        differentiable=False,
        errors=(ErrorInput(lambda lib: lib.searchsorted(lib.zeros(2, 3), lib.zeros(3, 1)),
                           RuntimeError, "boundaries tensor"),
                ErrorInput(lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2),
                                                        right=True, side="left"),
                           RuntimeError, "side and right can't be set to opposites")),
    ),
    OpInfo(
        name="bucketize",
        call=lambda lib, b, x, right: lib.bucketize(x, lib.sort(b)[0], right=right),
        inputs=_bucket_inputs(),
        ref=lambda np_, b, x, right: np_.asarray(np_.searchsorted(
            np_.sort(b), x, side="right" if right else "left")),
        covers=(T + "bucketize",),
        differentiable=False,
        errors=(ErrorInput(lambda lib: lib.bucketize(lib.zeros(2), lib.zeros(2, 2)),
                           RuntimeError, "boundaries tensor must be 1 dimension"),),
    ),
    OpInfo(
        name="nonzero",
        call=lambda lib, x: lib.nonzero(x > 0),
        inputs=shapes(0, 3).flatmap(floats).map(lambda a: sample([a])),
        ref=lambda np_, x: np_.argwhere(x > 0),
        variants={"method": lambda lib, x: (x > 0).nonzero(),
                  "argwhere": lambda lib, x: lib.argwhere(x > 0),
                  "argwhere method": lambda lib, x: (x > 0).argwhere()},
        covers=("Tensor.nonzero", T + "nonzero", "Tensor.argwhere", T + "argwhere"),
        differentiable=False,
    ),
    OpInfo(
        name="nonzero.as_tuple",
        call=lambda lib, x: lib.nonzero(x > 0, as_tuple=True),
        inputs=shapes(1, 3).flatmap(floats).map(lambda a: sample([a])),
        ref=lambda np_, x: np_.nonzero(x > 0),
        variants={"method": lambda lib, x: (x > 0).nonzero(as_tuple=True)},
        covers=("Tensor.nonzero", T + "nonzero"),
        differentiable=False,
    ),
    OpInfo(
        name="masked_select",
        call=lambda lib, x, mask: lib.masked_select(x, lib.tensor(mask, device=x.device)),
        inputs=_mask_inputs(),
        ref=lambda np_, x, mask: x[mask],
        variants={"method": lambda lib, x, mask: x.masked_select(lib.tensor(mask, device=x.device)),
                  "broadcast mask": lambda lib, x, mask: lib.masked_select(
                      x, lib.tensor(mask, device=x.device)[None])},
        covers=("Tensor.masked_select", T + "masked_select"),
        errors=(ErrorInput(lambda lib: lib.masked_select(lib.zeros(2), lib.zeros(2)),
                           RuntimeError, "dtype"),),
    ),
    OpInfo(
        name="count_nonzero",
        call=lambda lib, x, dim, keepdim: lib.count_nonzero(lib.relu(x), dim=dim),
        inputs=_dim_sample(floats),
        ref=lambda np_, x, dim, keepdim: np_.asarray(np_.count_nonzero(np_.maximum(x, 0),
                                                                       axis=dim)),
        variants={"method": lambda lib, x, dim, keepdim: lib.relu(x).count_nonzero(dim)},
        covers=("Tensor.count_nonzero", T + "count_nonzero"),
        differentiable=False,
    ),
    OpInfo(
        name="count_nonzero.all",
        call=lambda lib, x: lib.count_nonzero(lib.relu(x)),
        inputs=shapes(0, 3).flatmap(floats).map(lambda a: sample([a])),
        ref=lambda np_, x: np_.asarray(np_.count_nonzero(np_.maximum(x, 0))),
        covers=("Tensor.count_nonzero", T + "count_nonzero"),
        differentiable=False,
    ),
    OpInfo(
        name="bincount",
        call=_call_bincount,
        inputs=_bincount_inputs(),
        ref=_ref_bincount,
        variants={"method": lambda lib, x, w=None, minlength=0: (x.abs() * 2).long().bincount(
            w, minlength)},
        covers=("Tensor.bincount", T + "bincount"),
        differentiable=False,
        errors=(ErrorInput(lambda lib: lib.bincount(long_tensor(lib, [1, -1])), RuntimeError,
                           "non-negative"),
                ErrorInput(lambda lib: lib.bincount(long_tensor(lib, [[1]])), RuntimeError,
                           "1-d")),
    ),
    OpInfo(
        name="histc",
        call=lambda lib, x, bins, min, max: lib.histc(x, bins=bins, min=min, max=max),
        inputs=_histc_inputs(),
        ref=_ref_histc,
        variants={"method": lambda lib, x, bins, min, max: x.histc(bins, min, max)},
        covers=("Tensor.histc", T + "histc"),
        differentiable=False,
        errors=(ErrorInput(lambda lib: lib.histc(lib.zeros(3), bins=-1), RuntimeError,
                           "bins"),
                ErrorInput(lambda lib: lib.histc(lib.zeros(3), min=2, max=1), RuntimeError,
                           "max must be larger than min")),
    ),
]

op_db = once_differentiable(op_db, set("""
sort.stable topk.k kthvalue median median.dim masked_select
""".split()))
