"""Core ops: arithmetic, unary math, comparisons, matmul, reductions, shape and indexing.

Every row's ``ref`` is NumPy (``ref(np, *arrays, **kwargs)``), the plainest statement of
what the op computes; the checks in ``tests/test_op_db.py`` read these rows.
"""

from __future__ import annotations

from ..opinfo import ErrorInput, OpInfo
from ..samples import (
    array_index_inputs,
    basic_index_inputs,
    binary,
    break_ties,
    cat_inputs,
    chunk_inputs,
    clamp_inputs,
    clamp_tensor_inputs,
    expand_inputs,
    flatten_inputs,
    gather_inputs,
    mask_index_inputs,
    masked_fill_inputs,
    matmul_inputs,
    narrow_inputs,
    outer_inputs,
    permute_inputs,
    repeat_inputs,
    reshape_inputs,
    scalar_and,
    select_inputs,
    sort_inputs,
    split_inputs,
    squeeze_inputs,
    stack_inputs,
    topk_inputs,
    transpose_inputs,
    triangle_inputs,
    unary,
    unflatten_inputs,
    unsqueeze_inputs,
    where_inputs,
    with_dim,
    with_zeros,
)


def _fn(name):
    """The ``tinytorch.name(x, ...)`` / ``torch.name(x, ...)`` spelling of a method."""
    return lambda lib, *xs, **kw: getattr(lib, name)(*xs, **kw)


def _quiet_div(np, a, b):
    """a / b with inf and NaN where they arise, without NumPy's warnings."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.true_divide(a, b)


def _mean(np, a, dim=None, keepdim=False):
    """The mean; NaN over nothing (sum / count, so NumPy does not warn)."""
    count = a.size if dim is None else int(np.prod([a.shape[d] for d in np.atleast_1d(dim)]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(np.sum(a, axis=dim, keepdims=keepdim), count)


def _softmax(np, a, dim):
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _logsumexp(np, a, dim, keepdim=False):
    m = a.max(axis=dim, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=dim, keepdims=True))
    return out if keepdim else np.squeeze(out, axis=dim)


def _split(np, a, sizes, dim):
    """Pieces of ``a`` along ``dim`` of the given sizes."""
    starts = np.cumsum([0] + list(sizes))
    return tuple(np.take(a, np.arange(s, s + n), axis=dim) for s, n in zip(starts, sizes))


def _split_ref(np, a, split_size_or_sections, dim):
    n, step = a.shape[dim], split_size_or_sections
    return _split(np, a, [min(step, n - i) for i in range(0, n, step)], dim)


def _chunk_ref(np, a, chunks, dim):
    n = a.shape[dim]
    return _split_ref(np, a, max(-(-n // chunks), 1), dim)


def _squeeze_ref(np, a, dim=None):
    if dim is None:
        return np.squeeze(a)
    return np.squeeze(a, axis=dim) if a.shape[dim] == 1 else a


def _flatten_ref(np, a, start_dim, end_dim):
    merged = int(np.prod(a.shape[start_dim:end_dim + 1]))  # not -1: other dims may be 0
    return a.reshape(a.shape[:start_dim] + (merged,) + a.shape[end_dim + 1:])


def _unflatten_ref(np, a, dim, sizes):
    d = dim % a.ndim
    known = int(np.prod([s for s in sizes if s != -1]))
    sizes = tuple(a.shape[d] // known if s == -1 else s for s in sizes)
    return a.reshape(a.shape[:d] + sizes + a.shape[d + 1:])


def _max_dim_ref(np, a, dim, keepdim, is_max=True):
    pick, arg = (np.max, np.argmax) if is_max else (np.min, np.argmin)
    return pick(a, axis=dim, keepdims=keepdim), arg(a, axis=dim, keepdims=keepdim)


def _gather_ref(np, a, dim, index):
    return np.take_along_axis(a[tuple(slice(0, n) if i != dim % a.ndim else slice(None)
                                      for i, n in enumerate(index.shape))], index, axis=dim)


def _repeat_ref(np, a, sizes):
    return np.tile(a.reshape((1,) * (len(sizes) - a.ndim) + a.shape), sizes)


def _narrow_ref(np, a, dim, start, length):
    return np.take(a, np.arange(start, start + length), axis=dim)


def _sort_ref(np, a, dim, descending):
    order = np.argsort(-a if descending else a, axis=dim, kind="stable")
    return np.take_along_axis(a, order, axis=dim), order


def _topk_ref(np, a, k, dim, largest):
    values, order = _sort_ref(np, a, dim, largest)
    keep = np.arange(k)
    return np.take(values, keep, axis=dim), np.take(order, keep, axis=dim)


def _prod_ref(np, a, dim=None, keepdim=False):
    return np.prod(a, axis=dim, keepdims=keepdim)


def _std(np, a, dim=None, keepdim=False, ddof=1):
    return np.std(a, axis=dim, keepdims=keepdim, ddof=ddof)


def _var(np, a, dim=None, keepdim=False, ddof=1):
    return np.var(a, axis=dim, keepdims=keepdim, ddof=ddof)


def _as(lib, array, like):
    """``array`` (a NumPy keyword argument) as a tensor on ``like``'s device."""
    device = getattr(like, "device", None)
    return lib.tensor(array) if device is None else lib.tensor(array, device=device)


FUNCTION, METHOD = "function", "method"

# In-place ops on a tensor in the graph are recorded (version-counted), so their rows are
# gradchecked like any other; False would check their values only.
INPLACE_GRAD = True

op_db = [
    # arithmetic, tensors and Python scalars on either side
    OpInfo("add", lambda lib, a, b: a + b, binary(), ref=lambda np, a, b: a + b,
           variants={METHOD: lambda lib, a, b: a.add(b), FUNCTION: _fn("add")},
           covers=("Tensor.add", "tinytorch.add"), assignment=2,
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d) + lib.ones(4, 5, device=d),
                      RuntimeError,
                      r"add: shapes \(2, 3\) and \(4, 5\) cannot be broadcast.*3 vs 5"),
           ErrorInput(lambda lib, d: lib.ones(2, device=d) + "a", TypeError,
                      r"unsupported operand type str"),)),
    OpInfo("add_alpha", lambda lib, a, b: a.add(b, alpha=-1.5), binary(),
           ref=lambda np, a, b: a - 1.5 * b, covers=("Tensor.add",)),
    OpInfo("add_", lambda lib, a, b: a.clone().add_(b, alpha=2), binary(into_first=True),
           ref=lambda np, a, b: a + 2 * b, covers=("Tensor.add_",), differentiable=INPLACE_GRAD),
    OpInfo("sub", lambda lib, a, b: a - b, binary(), ref=lambda np, a, b: a - b,
           variants={METHOD: lambda lib, a, b: a.sub(b), FUNCTION: _fn("sub")},
           covers=("Tensor.sub", "tinytorch.sub"), assignment=2),
    OpInfo("sub_", lambda lib, a, b: a.clone().sub_(b), binary(into_first=True),
           ref=lambda np, a, b: a - b, covers=("Tensor.sub_",), differentiable=INPLACE_GRAD),
    OpInfo("mul", lambda lib, a, b: a * b, binary(), ref=lambda np, a, b: a * b,
           variants={METHOD: lambda lib, a, b: a.mul(b), FUNCTION: _fn("mul")},
           covers=("Tensor.mul", "tinytorch.mul"),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d) * lib.ones(3, 2, device=d),
                      RuntimeError, r"mul: shapes \(2, 3\) and \(3, 2\)"),)),
    OpInfo("mul_", lambda lib, a, b: a.clone().mul_(b), binary(into_first=True),
           ref=lambda np, a, b: a * b, covers=("Tensor.mul_",), differentiable=INPLACE_GRAD),
    OpInfo("div", lambda lib, a, b: a / b, binary(b_band=0.3), ref=lambda np, a, b: a / b,
           variants={METHOD: lambda lib, a, b: a.div(b), FUNCTION: _fn("div")},
           covers=("Tensor.div", "tinytorch.div"), assignment=3),
    OpInfo("div_", lambda lib, a, b: a.clone().div_(b), binary(b_band=0.3, into_first=True),
           ref=lambda np, a, b: a / b, covers=("Tensor.div_",), differentiable=INPLACE_GRAD),
    OpInfo("pow_tensor_tensor", lambda lib, a, b: a ** b, binary(low=0.3, high=3.0),
           ref=lambda np, a, b: a ** b,
           variants={METHOD: lambda lib, a, b: a.pow(b), FUNCTION: _fn("pow")},
           covers=("Tensor.pow", "tinytorch.pow")),
    OpInfo("pow_tensor_scalar", lambda lib, a, s: a ** s,
           scalar_and(unary(band=0.3), [2, 3, -1, -2]), ref=lambda np, a, s: a ** float(s)),
    OpInfo("pow_tensor_fractional", lambda lib, a, s: a ** s,
           scalar_and(unary(low=0.3, high=3.0), [0.5, -1.5, 2.5]),
           ref=lambda np, a, s: a ** s),
    OpInfo("rsqrt", lambda lib, a: a.rsqrt(), unary(low=0.3, high=3.0),
           ref=lambda np, a: 1 / np.sqrt(a), variants={FUNCTION: _fn("rsqrt")},
           covers=("Tensor.rsqrt", "tinytorch.rsqrt"), gradgrad=False),
    OpInfo("square", lambda lib, a: a.square(), unary(), ref=lambda np, a: a * a,
           variants={FUNCTION: _fn("square")}, covers=("Tensor.square", "tinytorch.square")),
    OpInfo("pow_scalar_tensor", lambda lib, a, s: s ** a, scalar_and(unary(), [2.0, 0.5, 3]),
           ref=lambda np, a, s: float(s) ** a),
    OpInfo("radd_scalar", lambda lib, a, s: s + a, scalar_and(unary(), [1, -2.5]),
           ref=lambda np, a, s: s + a),
    OpInfo("rsub_scalar", lambda lib, a, s: s - a, scalar_and(unary(), [1, -2.5]),
           ref=lambda np, a, s: s - a),
    OpInfo("rmul_scalar", lambda lib, a, s: s * a, scalar_and(unary(), [3, -0.5]),
           ref=lambda np, a, s: s * a),
    OpInfo("rdiv_scalar", lambda lib, a, s: s / a, scalar_and(unary(band=0.3), [1, -2.5]),
           ref=lambda np, a, s: s / a, assignment=3),
    OpInfo("div_scalar", lambda lib, a, s: a / s, scalar_and(unary(), [2, -0.25]),
           ref=lambda np, a, s: a / s),
    OpInfo("sub_scalar", lambda lib, a, s: a - s, scalar_and(unary(), [2, -0.25]),
           ref=lambda np, a, s: a - s),
    OpInfo("neg", lambda lib, a: -a, unary(), ref=lambda np, a: -a,
           variants={METHOD: lambda lib, a: a.neg(), FUNCTION: _fn("neg")},
           covers=("Tensor.neg", "tinytorch.neg")),
    # unary math
    OpInfo("abs", lambda lib, a: a.abs(), unary(kinks=(0.0,)), ref=lambda np, a: np.abs(a),
           variants={FUNCTION: _fn("abs"), "builtin": lambda lib, a: abs(a)},
           covers=("Tensor.abs", "tinytorch.abs")),
    OpInfo("sign", lambda lib, a: a.sign(), unary(kinks=(0.0,)), ref=lambda np, a: np.sign(a),
           variants={FUNCTION: _fn("sign")}, covers=("Tensor.sign", "tinytorch.sign"),
           gradgrad=False),
    OpInfo("exp", lambda lib, a: a.exp(), unary(), ref=lambda np, a: np.exp(a),
           variants={FUNCTION: _fn("exp")}, covers=("Tensor.exp", "tinytorch.exp")),
    OpInfo("log", lambda lib, a: a.log(), unary(low=0.2, high=5.0),
           ref=lambda np, a: np.log(a), variants={FUNCTION: _fn("log")},
           covers=("Tensor.log", "tinytorch.log"), assignment=3),
    OpInfo("sqrt", lambda lib, a: a.sqrt(), unary(low=0.2, high=5.0),
           ref=lambda np, a: np.sqrt(a), variants={FUNCTION: _fn("sqrt")},
           covers=("Tensor.sqrt", "tinytorch.sqrt")),
    OpInfo("sin", lambda lib, a: a.sin(), unary(), ref=lambda np, a: np.sin(a),
           variants={FUNCTION: _fn("sin")}, covers=("Tensor.sin", "tinytorch.sin")),
    OpInfo("cos", lambda lib, a: a.cos(), unary(), ref=lambda np, a: np.cos(a),
           variants={FUNCTION: _fn("cos")}, covers=("Tensor.cos", "tinytorch.cos")),
    OpInfo("tanh", lambda lib, a: a.tanh(), unary(), ref=lambda np, a: np.tanh(a),
           variants={FUNCTION: _fn("tanh"), "F": lambda lib, a: lib.nn.functional.tanh(a)},
           covers=("Tensor.tanh", "tinytorch.tanh", "F.tanh")),
    OpInfo("sigmoid", lambda lib, a: a.sigmoid(), unary(low=-8.0, high=8.0),
           ref=lambda np, a: 1 / (1 + np.exp(-a)),
           variants={FUNCTION: _fn("sigmoid"),
                     "F": lambda lib, a: lib.nn.functional.sigmoid(a)},
           covers=("Tensor.sigmoid", "tinytorch.sigmoid", "F.sigmoid")),
    OpInfo("relu", lambda lib, a: a.relu(), unary(kinks=(0.0,)),
           ref=lambda np, a: np.maximum(a, 0.0),
           variants={FUNCTION: _fn("relu"), "F": lambda lib, a: lib.nn.functional.relu(a)},
           covers=("Tensor.relu", "tinytorch.relu", "F.relu")),
    OpInfo("clamp", lambda lib, a, min, max: a.clamp(min=min, max=max), clamp_inputs(),
           ref=lambda np, a, min, max: np.clip(a, min, max),
           variants={"clip": lambda lib, a, min, max: a.clip(min, max),
                     FUNCTION: lambda lib, a, min, max: lib.clamp(a, min, max),
                     "clip_function": lambda lib, a, min, max: lib.clip(a, min, max)},
           covers=("Tensor.clamp", "Tensor.clip", "tinytorch.clamp", "tinytorch.clip")),
    OpInfo("clamp_", lambda lib, a, min, max: a.clone().clamp_(min, max), clamp_inputs(),
           ref=lambda np, a, min, max: np.clip(a, min, max), covers=("Tensor.clamp_",),
           differentiable=INPLACE_GRAD),
    OpInfo("clamp_tensor_bounds", lambda lib, a, lo, hi: lib.clamp(a, lo, hi),
           clamp_tensor_inputs(), ref=lambda np, a, lo, hi: np.minimum(np.maximum(a, lo), hi)),
    OpInfo("maximum", lambda lib, a, b: lib.maximum(a, b), binary(distinct=True),
           ref=lambda np, a, b: np.maximum(a, b),
           variants={METHOD: lambda lib, a, b: a.maximum(b),
                     "max_of_two": lambda lib, a, b: lib.max(a, b)},
           covers=("Tensor.maximum", "tinytorch.maximum")),
    OpInfo("minimum", lambda lib, a, b: lib.minimum(a, b), binary(distinct=True),
           ref=lambda np, a, b: np.minimum(a, b),
           variants={METHOD: lambda lib, a, b: a.minimum(b),
                     "min_of_two": lambda lib, a, b: a.min(b)},
           covers=("Tensor.minimum", "tinytorch.minimum")),
    OpInfo("where", lambda lib, a, b, cond: lib.where(_as(lib, cond, a), a, b), where_inputs(),
           ref=lambda np, a, b, cond: np.where(cond, a, b), covers=("tinytorch.where",),
           errors=(ErrorInput(lambda lib, d: lib.where(lib.ones(3, device=d) > 0,
                                                       lib.ones(2, device=d), 0.0),
                      RuntimeError, r"where: shapes .*\(3,\).*\(2,\)"),
           ErrorInput(lambda lib, d: lib.where(lib.tensor([1, 0], device=d), lib.ones(2, device=d),
                                               0.0), RuntimeError, r"boolean.*int64"),)),
    # comparisons and predicates: bool results, no gradient
    OpInfo("eq", lambda lib, a, b: a == b, binary(high=1.0, low=-1.0),
           ref=lambda np, a, b: a == b, differentiable=False,
           variants={METHOD: lambda lib, a, b: a.eq(b)}, covers=("Tensor.eq",)),
    OpInfo("ne", lambda lib, a, b: a != b, binary(), ref=lambda np, a, b: a != b,
           differentiable=False, variants={METHOD: lambda lib, a, b: a.ne(b)},
           covers=("Tensor.ne",)),
    OpInfo("lt", lambda lib, a, b: a < b, binary(), ref=lambda np, a, b: a < b,
           differentiable=False, variants={METHOD: lambda lib, a, b: a.lt(b)},
           covers=("Tensor.lt",)),
    OpInfo("le", lambda lib, a, b: a <= b, binary(), ref=lambda np, a, b: a <= b,
           differentiable=False, variants={METHOD: lambda lib, a, b: a.le(b)},
           covers=("Tensor.le",)),
    OpInfo("gt", lambda lib, a, b: a > b, binary(), ref=lambda np, a, b: a > b,
           differentiable=False, variants={METHOD: lambda lib, a, b: a.gt(b)},
           covers=("Tensor.gt",)),
    OpInfo("ge", lambda lib, a, b: a >= b, binary(), ref=lambda np, a, b: a >= b,
           differentiable=False, variants={METHOD: lambda lib, a, b: a.ge(b)},
           covers=("Tensor.ge",)),
    OpInfo("gt_scalar", lambda lib, a, s: a > s, scalar_and(unary(), [0, 0.5]),
           ref=lambda np, a, s: a > s, differentiable=False),
    OpInfo("logical_not", lambda lib, a: (a > 0).logical_not(), unary(),
           ref=lambda np, a: ~(a > 0), differentiable=False, covers=("Tensor.logical_not",)),
    OpInfo("isnan", lambda lib, a: (a / a).isnan(), unary(),
           ref=lambda np, a: np.isnan(_quiet_div(np, a, a)), differentiable=False,
           variants={FUNCTION: lambda lib, a: lib.isnan(a / a)},
           covers=("Tensor.isnan", "tinytorch.isnan")),
    OpInfo("isinf", lambda lib, a: (1 / a).isinf(), unary(),
           ref=lambda np, a: np.isinf(_quiet_div(np, 1.0, a)), differentiable=False,
           variants={FUNCTION: lambda lib, a: lib.isinf(1 / a)},
           covers=("Tensor.isinf", "tinytorch.isinf")),
    OpInfo("isfinite", lambda lib, a: (1 / a).isfinite(), unary(),
           ref=lambda np, a: np.isfinite(_quiet_div(np, 1.0, a)), differentiable=False,
           variants={FUNCTION: lambda lib, a: lib.isfinite(1 / a)},
           covers=("Tensor.isfinite", "tinytorch.isfinite")),
    OpInfo("any_all", lambda lib, a, dim: ((a > 0).any(dim), (a > 0).all(dim)), with_dim(),
           ref=lambda np, a, dim: ((a > 0).any(axis=dim), (a > 0).all(axis=dim)),
           differentiable=False, covers=("Tensor.any", "Tensor.all")),
    # matrix products
    OpInfo("matmul", lambda lib, a, b: a @ b, matmul_inputs(),
           ref=lambda np, a, b: np.matmul(a, b),
           variants={METHOD: lambda lib, a, b: a.matmul(b), FUNCTION: _fn("matmul")},
           covers=("Tensor.matmul", "tinytorch.matmul"), assignment=3,
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d) @ lib.ones(4, 5, device=d),
                      RuntimeError, r"\(2, 3\) and \(4, 5\).*3 != 4"),
           ErrorInput(lambda lib, d: lib.ones(2, 3, 4, device=d) @ lib.ones(5, 4, 2, device=d),
                      RuntimeError, r"\(2, 3, 4\) and \(5, 4, 2\).*2 vs 5"),
           ErrorInput(lambda lib, d: lib.ones(2, 2, device=d) @ lib.ones(2, 2, device=d,
                                                                     dtype=lib.float64),
                      RuntimeError, r"same dtype, but got float32 and float64"),
           ErrorInput(lambda lib, d: lib.ones((), device=d) @ lib.ones(2, device=d),
                      RuntimeError, r"at least 1 dimension.*\(\) and \(2,\)"),)),
    # reductions
    OpInfo("sum_all", lambda lib, a: a.sum(), unary(), ref=lambda np, a: np.sum(a),
           variants={FUNCTION: _fn("sum")}, covers=("Tensor.sum", "tinytorch.sum")),
    OpInfo("sum_dim", lambda lib, a, dim, keepdim: a.sum(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True), ref=lambda np, a, dim, keepdim: a.sum(dim, keepdims=keepdim),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d).sum(dim=3), IndexError,
                      r"Dimension out of range .*\[-2, 1\].*got 3"),)),
    OpInfo("sum_dims", lambda lib, a, dim: a.sum(dim=dim), with_dim(dims=2),
           ref=lambda np, a, dim: a.sum(dim)),
    OpInfo("mean_all", lambda lib, a: a.mean(), unary(), ref=_mean,
           variants={FUNCTION: _fn("mean")}, assignment=3, covers=("Tensor.mean", "tinytorch.mean"),
           errors=(ErrorInput(lambda lib, d: lib.tensor([1, 2], device=d).mean(), RuntimeError,
                      r"floating point, but got int64"),)),
    OpInfo("mean_dim", lambda lib, a, dim, keepdim: a.mean(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True),
           ref=lambda np, a, dim, keepdim: a.mean(dim, keepdims=keepdim), assignment=3),
    OpInfo("mean_dims", lambda lib, a, dim: a.mean(dim=dim), with_dim(dims=2),
           ref=lambda np, a, dim: a.mean(dim), assignment=3),
    OpInfo("var_all", lambda lib, a: a.var(), unary(min_size=2, transform=break_ties),
           ref=_var, variants={FUNCTION: _fn("var")}, covers=("Tensor.var", "tinytorch.var"),
           errors=(ErrorInput(lambda lib, d: lib.tensor([1, 2], device=d).var(), RuntimeError,
                      r"floating point.*int64"),)),
    OpInfo("var_dim", lambda lib, a, dim, keepdim: a.var(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True, min_side=2, distinct=True), ref=_var),
    OpInfo("var_correction0", lambda lib, a, dim: a.var(dim=dim, correction=0),
           with_dim(distinct=True), ref=lambda np, a, dim: _var(np, a, dim, ddof=0)),
    OpInfo("var_unbiased_false", lambda lib, a, dim: a.var(dim, unbiased=False),
           with_dim(distinct=True), ref=lambda np, a, dim: _var(np, a, dim, ddof=0)),
    OpInfo("std_all", lambda lib, a: a.std(), unary(min_size=2, transform=break_ties),
           ref=_std, variants={FUNCTION: _fn("std")}, covers=("Tensor.std", "tinytorch.std")),
    OpInfo("std_dim", lambda lib, a, dim, keepdim: a.std(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True, min_side=2, distinct=True), ref=_std),
    # once-differentiable: prod's backward (products of the other entries, exact at zeros,
    # from cumulative products) has no Tensor version yet
    OpInfo("prod_all", lambda lib, a: a.prod(), with_zeros(unary(low=-2, high=2)),
           ref=_prod_ref, variants={FUNCTION: _fn("prod")},
           covers=("Tensor.prod", "tinytorch.prod"), gradgrad=False),
    OpInfo("prod_dim", lambda lib, a, dim, keepdim: a.prod(dim, keepdim=keepdim),
           with_zeros(with_dim(low=-2, high=2, keepdim=True)), ref=_prod_ref, gradgrad=False),
    OpInfo("cumsum", lambda lib, a, dim: a.cumsum(dim), with_dim(),
           ref=lambda np, a, dim: np.cumsum(a, axis=dim), variants={FUNCTION: _fn("cumsum")},
           covers=("Tensor.cumsum", "tinytorch.cumsum")),
    OpInfo("max_all", lambda lib, a: a.max(), unary(transform=break_ties, min_size=1),
           ref=lambda np, a: np.max(a), variants={FUNCTION: _fn("max")},
           covers=("Tensor.max", "tinytorch.max")),
    OpInfo("min_all", lambda lib, a: a.min(), unary(transform=break_ties, min_size=1),
           ref=lambda np, a: np.min(a), variants={FUNCTION: _fn("min")},
           covers=("Tensor.min", "tinytorch.min")),
    OpInfo("max_dim", lambda lib, a, dim, keepdim: tuple(a.max(dim=dim, keepdim=keepdim)),
           with_dim(keepdim=True, distinct=True), ref=_max_dim_ref, assignment=3),
    OpInfo("min_dim", lambda lib, a, dim, keepdim: tuple(a.min(dim, keepdim)),
           with_dim(keepdim=True, distinct=True),
           ref=lambda np, a, dim, keepdim: _max_dim_ref(np, a, dim, keepdim, False), assignment=3),
    OpInfo("amax", lambda lib, a, dim, keepdim: a.amax(dim, keepdim),
           with_dim(keepdim=True, distinct=True),
           ref=lambda np, a, dim, keepdim: np.max(a, axis=dim, keepdims=keepdim),
           variants={FUNCTION: _fn("amax")}, covers=("Tensor.amax", "tinytorch.amax")),
    OpInfo("amin", lambda lib, a, dim: a.amin(dim), with_dim(dims=2, distinct=True),
           ref=lambda np, a, dim: np.min(a, axis=dim), variants={FUNCTION: _fn("amin")},
           covers=("Tensor.amin", "tinytorch.amin")),
    OpInfo("argmax", lambda lib, a, dim, keepdim: a.argmax(dim=dim, keepdim=keepdim),
           with_dim(keepdim=True, distinct=True),
           ref=lambda np, a, dim, keepdim: np.argmax(a, axis=dim, keepdims=keepdim),
           differentiable=False, variants={FUNCTION: _fn("argmax")},
           covers=("Tensor.argmax", "tinytorch.argmax")),
    OpInfo("argmin", lambda lib, a, dim: a.argmin(dim), with_dim(distinct=True),
           ref=lambda np, a, dim: np.argmin(a, axis=dim), differentiable=False,
           variants={FUNCTION: _fn("argmin")}, covers=("Tensor.argmin", "tinytorch.argmin")),
    OpInfo("argmax_all", lambda lib, a: a.argmax(),
           unary(transform=break_ties, min_size=1),
           ref=lambda np, a: np.argmax(a), differentiable=False),
    OpInfo("softmax", lambda lib, a, dim: a.softmax(dim), with_dim(low=-5, high=5),
           ref=_softmax, variants={FUNCTION: lambda lib, a, dim: lib.softmax(a, dim)},
           assignment=4, covers=("Tensor.softmax", "tinytorch.softmax"),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d).softmax(-3), IndexError,
                      r"Dimension out of range"),)),
    OpInfo("log_softmax", lambda lib, a, dim: a.log_softmax(dim=dim), with_dim(low=-5, high=5),
           ref=lambda np, a, dim: np.log(_softmax(np, a, dim)),
           variants={FUNCTION: lambda lib, a, dim: lib.log_softmax(a, dim)},
           covers=("Tensor.log_softmax", "tinytorch.log_softmax"), assignment=4),
    OpInfo("logsumexp", lambda lib, a, dim, keepdim: a.logsumexp(dim, keepdim=keepdim),
           with_dim(keepdim=True), ref=_logsumexp,
           variants={FUNCTION: lambda lib, a, dim, keepdim: lib.logsumexp(a, dim, keepdim)},
           covers=("Tensor.logsumexp", "tinytorch.logsumexp")),
    # shape ops
    OpInfo("view", lambda lib, a, shape: a.view(shape), reshape_inputs(),
           ref=lambda np, a, shape: a.reshape(shape), needs_contiguous=True,
           covers=("Tensor.view",),
           errors=(ErrorInput(lambda lib, d: lib.ones(6, device=d).view(4, 2), RuntimeError,
                      r"shape '\[4, 2\]' is invalid for input of size 6"),
           ErrorInput(lambda lib, d: lib.ones(6, device=d).view(-1, -1), RuntimeError,
                      r"only one dimension can be inferred"),
           ErrorInput(lambda lib, d: lib.ones(2, 3, device=d).t().view(6), RuntimeError,
                      r"\(3, 2\) to \(6,\).*reshape"),)),
    OpInfo("view_as", lambda lib, a: a.view_as(a.reshape(-1)), unary(),
           ref=lambda np, a: a.reshape(-1), needs_contiguous=True, covers=("Tensor.view_as",)),
    OpInfo("reshape", lambda lib, a, shape: a.reshape(*shape), reshape_inputs(),
           ref=lambda np, a, shape: a.reshape(shape),
           variants={FUNCTION: lambda lib, a, shape: lib.reshape(a, shape),
                     "reshape_as": lambda lib, a, shape: a.reshape_as(
                         lib.zeros(a.reshape(shape).shape, dtype=a.dtype, device=a.device))},
           covers=("Tensor.reshape", "tinytorch.reshape", "Tensor.reshape_as"),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d).reshape(5, -1), RuntimeError,
                      r"shape '\[5, -1\]' is invalid for input of size 6"),)),
    OpInfo("transpose", lambda lib, a, dim0, dim1: a.transpose(dim0, dim1), transpose_inputs(),
           ref=lambda np, a, dim0, dim1: np.swapaxes(a, dim0, dim1),
           variants={FUNCTION: lambda lib, a, dim0, dim1: lib.transpose(a, dim0, dim1),
                     "transpose_": lambda lib, a, dim0, dim1: a.clone().transpose_(dim0, dim1),
                     "swapdims_": lambda lib, a, dim0, dim1: a.clone().swapdims_(dim0, dim1),
                     "swapaxes_": lambda lib, a, dim0, dim1: a.clone().swapaxes_(dim0, dim1)},
           covers=("Tensor.transpose", "tinytorch.transpose", "Tensor.transpose_",
                   "Tensor.swapdims_", "Tensor.swapaxes_")),
    OpInfo("permute", lambda lib, a, dims: a.permute(dims), permute_inputs(),
           ref=lambda np, a, dims: np.transpose(a, dims),
           variants={"unpacked": lambda lib, a, dims: a.permute(*dims),
                     FUNCTION: lambda lib, a, dims: lib.permute(a, dims)},
           covers=("Tensor.permute", "tinytorch.permute"),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d).permute(0, 0), RuntimeError,
                      r"\(0, 0\) are not a permutation"),)),
    OpInfo("T", lambda lib, a: a.T, unary(min_dims=2, max_dims=2), ref=lambda np, a: a.T,
           variants={"t": lambda lib, a: a.t(), "t_": lambda lib, a: a.clone().t_()},
           covers=("Tensor.T", "Tensor.t", "Tensor.t_")),
    OpInfo("mT", lambda lib, a: a.mT, unary(min_dims=2),
           ref=lambda np, a: np.swapaxes(a, -1, -2), covers=("Tensor.mT",)),
    OpInfo("unsqueeze", lambda lib, a, dim: a.unsqueeze(dim), unsqueeze_inputs(),
           ref=lambda np, a, dim: np.expand_dims(a, dim),
           variants={FUNCTION: lambda lib, a, dim: lib.unsqueeze(a, dim),
                     "unsqueeze_": lambda lib, a, dim: a.clone().unsqueeze_(dim)},
           covers=("Tensor.unsqueeze", "tinytorch.unsqueeze", "Tensor.unsqueeze_")),
    OpInfo("squeeze", lambda lib, a, **kw: a.squeeze(**kw), squeeze_inputs(), ref=_squeeze_ref,
           variants={FUNCTION: lambda lib, a, **kw: lib.squeeze(a, **kw),
                     "squeeze_": lambda lib, a, **kw: a.clone().squeeze_(**kw)},
           covers=("Tensor.squeeze", "tinytorch.squeeze", "Tensor.squeeze_")),
    OpInfo("expand", lambda lib, a, size: a.expand(*size), expand_inputs(),
           ref=lambda np, a, size: np.broadcast_to(a, size),
           variants={"broadcast_to": lambda lib, a, size: a.broadcast_to(size),
                     "expand_as": lambda lib, a, size: a.expand_as(
                         lib.zeros(size, dtype=a.dtype, device=a.device))},
           covers=("Tensor.expand", "Tensor.broadcast_to", "Tensor.expand_as"),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 3, device=d).expand(3, 3), RuntimeError,
                      r"expanded size of the tensor \(3\) must match the existing size \(2\)"),)),
    OpInfo("repeat", lambda lib, a, sizes: a.repeat(*sizes), repeat_inputs(), ref=_repeat_ref,
           variants={"tuple": lambda lib, a, sizes: a.repeat(sizes)}, covers=("Tensor.repeat",)),
    OpInfo("flatten", lambda lib, a, start_dim, end_dim: a.flatten(start_dim, end_dim),
           flatten_inputs(), ref=_flatten_ref,
           variants={FUNCTION: lambda lib, a, start_dim, end_dim: lib.flatten(a, start_dim,
                                                                                end_dim)},
           covers=("Tensor.flatten", "tinytorch.flatten")),
    OpInfo("unflatten", lambda lib, a, dim, sizes: a.unflatten(dim, sizes), unflatten_inputs(),
           ref=_unflatten_ref, covers=("Tensor.unflatten",)),
    OpInfo("contiguous", lambda lib, a: a.transpose(0, -1).contiguous(), unary(min_dims=1),
           ref=lambda np, a: np.swapaxes(a, 0, -1), covers=("Tensor.contiguous",)),
    OpInfo("split", lambda lib, a, split_size_or_sections, dim: a.split(split_size_or_sections,
                                                                        dim),
           split_inputs(), ref=_split_ref,
           variants={FUNCTION: lambda lib, a, split_size_or_sections, dim: lib.split(
               a, split_size_or_sections, dim)},
           covers=("Tensor.split", "tinytorch.split"),
           errors=(ErrorInput(lambda lib, d: lib.ones(3, device=d).split([1, 1]), RuntimeError,
                      r"\[1, 1\] do not sum to the size 3"),)),
    OpInfo("split_sections", lambda lib, a, dim: a.split([1, a.shape[dim] - 1], dim),
           with_dim(), ref=lambda np, a, dim: _split(np, a, [1, a.shape[dim] - 1], dim)),
    OpInfo("chunk", lambda lib, a, chunks, dim: a.chunk(chunks, dim), chunk_inputs(),
           ref=_chunk_ref,
           variants={FUNCTION: lambda lib, a, chunks, dim: lib.chunk(a, chunks, dim)},
           covers=("Tensor.chunk", "tinytorch.chunk")),
    OpInfo("unbind", lambda lib, a, dim: a.unbind(dim), with_dim(),
           ref=lambda np, a, dim: tuple(np.moveaxis(a, dim, 0)),
           variants={FUNCTION: lambda lib, a, dim: lib.unbind(a, dim)},
           covers=("Tensor.unbind", "tinytorch.unbind")),
    OpInfo("select", lambda lib, a, dim, index: a.select(dim, index), select_inputs(),
           ref=lambda np, a, dim, index: np.take(a, index, axis=dim),
           variants={FUNCTION: lambda lib, a, dim, index: lib.select(a, dim, index)},
           covers=("Tensor.select", "tinytorch.select")),
    OpInfo("narrow", lambda lib, a, dim, start, length: a.narrow(dim, start, length),
           narrow_inputs(), ref=_narrow_ref,
           variants={FUNCTION: lambda lib, a, dim, start, length: lib.narrow(a, dim, start,
                                                                             length)},
           covers=("Tensor.narrow", "tinytorch.narrow")),
    OpInfo("cat", lambda lib, *xs, dim: lib.cat(xs, dim=dim), cat_inputs(),
           ref=lambda np, *xs, dim: np.concatenate(xs, axis=dim),
           variants={"concat": lambda lib, *xs, dim: lib.concat(xs, dim=dim)},
           covers=("tinytorch.cat", "tinytorch.concat"),
           errors=(ErrorInput(lambda lib, d: lib.cat([lib.ones(2, 3, device=d),
                                                     lib.ones(3, 2, device=d)]),
                      RuntimeError, r"tensor 0 has shape \(2, 3\), tensor 1 has shape \(3, 2\)"),)),
    OpInfo("stack", lambda lib, *xs, dim: lib.stack(xs, dim=dim), stack_inputs(),
           ref=lambda np, *xs, dim: np.stack(xs, axis=dim), covers=("tinytorch.stack",),
           errors=(ErrorInput(lambda lib, d: lib.stack([lib.ones(2, device=d),
                                                       lib.ones(3, device=d)]),
                      RuntimeError, r"\(2,\) at entry 0 and \(3,\) at entry 1"),)),
    # indexing
    OpInfo("getitem_basic", lambda lib, a, index: a[index], basic_index_inputs(),
           ref=lambda np, a, index: a[index],
           errors=(ErrorInput(lambda lib, d: lib.ones(3, device=d)[5], IndexError,
                      r"index 5 is out of range for dimension 0 with size 3"),
           ErrorInput(lambda lib, d: lib.ones(3, 2, device=d)[:, -3], IndexError,
                      r"index -3 is out of range for dimension 1 with size 2"),
           ErrorInput(lambda lib, d: lib.ones(3, device=d)[lib.tensor([0, 7], device=d)],
                      IndexError, r"index 7 is out of bounds for dimension 0 with size 3"),
           ErrorInput(lambda lib, d: lib.ones(3, device=d)[0, 0], IndexError,
                      r"too many indices for tensor of dimension 1"),
           ErrorInput(lambda lib, d: lib.ones(3, device=d)[lib.tensor([True, False], device=d)],
                      IndexError, r"mask \(2,\) does not match .* \(3,\)"),
           ErrorInput(lambda lib, d: lib.ones(3, device=d)[lib.tensor([0.5], device=d)],
                      IndexError, r"must be long, int or bool, got tinytorch.float32"),)),
    OpInfo("getitem_int_array", lambda lib, a, axis, idx: a[(slice(None),) * axis
                                                           + (_as(lib, idx, a),)],
           array_index_inputs(), ref=lambda np, a, axis, idx: a[(slice(None),) * axis + (idx,)]),
    OpInfo("getitem_bool_mask", lambda lib, a, mask: a[_as(lib, mask, a)], mask_index_inputs(),
           ref=lambda np, a, mask: a[mask]),
    OpInfo("gather", lambda lib, a, dim, index: a.gather(dim, _as(lib, index, a)),
           gather_inputs(), ref=_gather_ref,
           variants={FUNCTION: lambda lib, a, dim, index: lib.gather(a, dim,
                                                                     _as(lib, index, a))},
           covers=("Tensor.gather", "tinytorch.gather"),
           gradgrad=False,  # gather's backward (a scatter-add of arrays) is once-differentiable
           errors=(ErrorInput(lambda lib, d: lib.ones(2, 4, device=d).gather(
               1, lib.tensor([[7]], device=d)),
                      RuntimeError, r"index 7 is out of bounds for dimension 1 with size 4"),
           ErrorInput(lambda lib, d: lib.ones(2, 4, device=d).gather(1, lib.tensor([7], device=d)),
                      RuntimeError, r"same number of dimensions"),)),
    OpInfo("masked_fill", lambda lib, a, mask, value: a.masked_fill(_as(lib, mask, a), value),
           masked_fill_inputs(), ref=lambda np, a, mask, value: np.where(mask, value, a),
           variants={FUNCTION: lambda lib, a, mask, value: lib.masked_fill(
               a, _as(lib, mask, a), value)},
           covers=("Tensor.masked_fill", "tinytorch.masked_fill"),
           errors=(ErrorInput(lambda lib, d: lib.ones(2, device=d).masked_fill(
               lib.tensor([1, 0], device=d), 0), RuntimeError, r"boolean masks.*int64"),
           ErrorInput(lambda lib, d: lib.ones(2, device=d).masked_fill(
               lib.tensor([True, False, True], device=d), 0.0), RuntimeError,
               r"mask of shape \(3,\) does not broadcast to .*\(2,\)"),)),
    OpInfo("masked_fill_", lambda lib, a, mask, value: a.clone().masked_fill_(
        _as(lib, mask, a), value), masked_fill_inputs(),
           ref=lambda np, a, mask, value: np.where(mask, value, a),
           covers=("Tensor.masked_fill_",), differentiable=INPLACE_GRAD),
    OpInfo("fill_", lambda lib, a: a.clone().fill_(2.5), unary(),
           ref=lambda np, a: np.full_like(a, 2.5), covers=("Tensor.fill_",),
           differentiable=INPLACE_GRAD),
    OpInfo("zero_", lambda lib, a: (a * 2).zero_(), unary(),  # NaN/inf: tests/test_ops.py
           ref=lambda np, a: np.zeros_like(a), covers=("Tensor.zero_",),
           differentiable=INPLACE_GRAD),
    OpInfo("copy_", lambda lib, a, b: a.clone().copy_(b), binary(into_first=True),
           ref=lambda np, a, b: np.broadcast_to(b, a.shape).copy(), covers=("Tensor.copy_",),
           differentiable=INPLACE_GRAD),
    # copies and casts
    OpInfo("clone", lambda lib, a: a.clone(), unary(), ref=lambda np, a: a.copy(),
           covers=("Tensor.clone",)),
    OpInfo("to_float64", lambda lib, a: a.to(lib.float64), unary(), ref=lambda np, a: a,
           variants={"double": lambda lib, a: a.double(),
                     "type_as": lambda lib, a: a.type_as(lib.zeros(1, dtype=lib.float64)),
                     "to_device": lambda lib, a: a.to(a.device)},
           covers=("Tensor.to", "Tensor.double", "Tensor.type_as")),
    OpInfo("to_int", lambda lib, a: (a * 2).long(), unary(),
           ref=lambda np, a: np.trunc(a * 2).astype(np.int64), differentiable=False,
           variants={"to": lambda lib, a: (a * 2).to(lib.int64)}, covers=("Tensor.long",)),
    OpInfo("to_int32", lambda lib, a: (a * 2).int(), unary(),
           ref=lambda np, a: np.trunc(a * 2).astype(np.int32), differentiable=False,
           covers=("Tensor.int",)),
    OpInfo("to_bool", lambda lib, a: a.bool(), unary(kinks=(0.0,)), ref=lambda np, a: a != 0,
           differentiable=False, covers=("Tensor.bool",)),
    OpInfo("outer", lambda lib, a, b: lib.outer(a, b), outer_inputs(),
           ref=lambda np, a, b: np.outer(a, b), covers=("tinytorch.outer",)),
    # sorting and selection
    OpInfo("sort", lambda lib, a, dim, descending: tuple(a.sort(dim, descending=descending)),
           sort_inputs(), ref=_sort_ref, covers=("Tensor.sort",), gradgrad=False),
    OpInfo("argsort", lambda lib, a, dim, descending: a.argsort(dim, descending=descending),
           sort_inputs(), ref=lambda np, a, dim, descending: _sort_ref(np, a, dim,
                                                                        descending)[1],
           differentiable=False, covers=("Tensor.argsort",)),
    OpInfo("topk", lambda lib, a, k, dim, largest: tuple(a.topk(k, dim, largest=largest)),
           topk_inputs(), ref=_topk_ref, covers=("Tensor.topk",), gradgrad=False),
    OpInfo("tril", lambda lib, a, diagonal: a.tril(diagonal), triangle_inputs(),
           ref=lambda np, a, diagonal: np.tril(a, diagonal),
           variants={FUNCTION: lambda lib, a, diagonal: lib.tril(a, diagonal)},
           covers=("Tensor.tril", "tinytorch.tril")),
    OpInfo("triu", lambda lib, a, diagonal: lib.triu(a, diagonal), triangle_inputs(),
           ref=lambda np, a, diagonal: np.triu(a, diagonal),
           variants={METHOD: lambda lib, a, diagonal: a.triu(diagonal)},
           covers=("Tensor.triu", "tinytorch.triu")),
]
