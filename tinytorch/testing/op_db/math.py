"""Math rows of ``op_db`` (issue 11b): elementwise math, logical and bitwise ops, scans,
reductions, norms and the matrix products. References are NumPy (``ref(np, *arrays)``) or,
where NumPy has no such function, a composite of small tinytorch ops.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..opinfo import ErrorInput, OpInfo

# ----------------------------------------------------------------------------- samples


def _array(shape, low, high, band=0.0):
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if band:
        elements = elements.filter(lambda v: abs(v) >= band)
    return hnp.arrays(np.float64, shape, elements=elements)


def _shape(min_dims=0, max_dims=3, min_side=1, max_side=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def unary_sample(low=-2.0, high=2.0, band=0.0, min_dims=0, max_dims=3, kinks=(), **kwargs):
    """One float64 array in [low, high] (|x| >= band), kept 0.05 off each kink point."""

    @st.composite
    def draw(d):
        x = d(_array(d(_shape(min_dims, max_dims)), low, high, band))
        for k in kinks:
            x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
        return (x,), dict(kwargs)

    return draw()


def _off_half_integers(sample):
    """Move entries within 0.05 of a half-integer (where ``round`` jumps) 0.1 away."""
    (x,), kwargs = sample
    near = np.abs(x - 0.5 - np.round(x - 0.5)) < 0.05
    return (np.where(near, x + 0.1, x),), kwargs


def binary_sample(low=-2.0, high=2.0, b_low=None, b_high=None, b_band=0.0, into_first=True,
                  apart=0.0, a_band=0.0):
    """Two broadcastable float64 arrays (``into_first``: b broadcasts to a's shape)."""

    @st.composite
    def draw(d):
        shapes = d(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
        sa, sb = shapes.input_shapes
        if into_first:
            sa = np.broadcast_shapes(sa, sb)
        a = d(_array(sa, low, high, a_band))
        b = d(_array(sb, low if b_low is None else b_low, high if b_high is None else b_high,
                     b_band))
        if apart:
            assume(np.abs(a - b).min(initial=1.0) > apart)
        return (a, b), {}

    return draw()


def dim_sample(low=-2.0, high=2.0, min_dims=1, max_dims=3, distinct=False, kinks=(),
               **kwargs):
    """One array and a valid ``dim`` (``distinct``: no ties, for max-like ops)."""

    @st.composite
    def draw(d):
        x = d(_array(d(_shape(min_dims, max_dims)), low, high))
        for k in kinks:
            x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
        if distinct:
            x = x + 0.0137 * np.arange(x.size).reshape(x.shape)
        dim = d(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1))
        return (x,), dict(dim=dim, **kwargs)

    return draw()


def _fn(name):
    return lambda lib, *xs, **kw: getattr(lib, name)(*xs, **kw)


def _method(name):
    return lambda lib, x, *xs, **kw: getattr(x, name)(*xs, **kw)


def _inplace(name):
    return lambda lib, x, *xs, **kw: getattr(x.clone(), name + "_")(*xs, **kw)


def spellings(name, function=True, method=True, inplace=True, aliases=()):
    """(variants, covers) for an op with PyTorch's usual spellings."""
    variants, covers = {}, []
    if method:
        variants["method"] = _method(name)
        covers.append(f"Tensor.{name}")
    if function:
        covers.append(f"tinytorch.{name}")
    if inplace:
        variants["inplace"] = _inplace(name)
        covers.append(f"Tensor.{name}_")
    for alias in aliases:
        variants[alias] = _method(alias) if method else _fn(alias)
        covers.append(f"Tensor.{alias}" if method else f"tinytorch.{alias}")
        if function and method:
            covers.append(f"tinytorch.{alias}")
        if inplace:
            variants[alias + "_"] = _inplace(alias)
            covers.append(f"Tensor.{alias}_")
    return variants, tuple(covers)


def _row(name, ref, inputs, function=True, method=True, inplace=True, aliases=(), **kw):
    variants, covers = spellings(name, function, method, inplace, aliases)
    call = _fn(name) if function else _method(name)
    return OpInfo(name=name, call=call, inputs=inputs, ref=ref, variants=variants,
                  covers=covers, **kw)


def _erfinv_np(np_, x):
    from tinytorch.ops.special import erfinv

    return erfinv(x)


def _digamma_np(np_, x):
    from tinytorch.ops.special import digamma

    return digamma(x)


def _lgamma_np(np_, x):
    return np.vectorize(math.lgamma)(x)


def _erf_np(np_, x):
    return np.vectorize(math.erf)(x)


def _erfc_np(np_, x):
    return np.vectorize(math.erfc)(x)


def _off_integer_quotients(sample) -> bool:
    """fmod and remainder jump where a / b is an integer: keep the fraction of a / b in
    [0.02, 0.98], so finite differences never straddle a jump (nor sit on one)."""
    a, b = np.broadcast_arrays(*sample[0])
    q = np.abs(a / b)
    frac = q - np.floor(q)
    return bool(((frac > 0.02) & (frac < 0.98)).all())


def _nograd_error(name):
    return ErrorInput(lambda lib: getattr(lib, name)(lib.tensor([1.0, 2.0]), lib.ones(3)),
                      RuntimeError, "")


_UNARY = [
    # name, NumPy reference, sample, extra row arguments
    ("expm1", lambda np, x: np.expm1(x), unary_sample(), {}),
    ("log1p", lambda np, x: np.log1p(x), unary_sample(-0.9, 3.0), {}),
    ("log2", lambda np, x: np.log2(x), unary_sample(0.1, 4.0), {}),
    ("log10", lambda np, x: np.log10(x), unary_sample(0.1, 4.0), {}),
    ("exp2", lambda np, x: np.exp2(x), unary_sample(), {}),
    ("rsqrt", lambda np, x: 1 / np.sqrt(x), unary_sample(0.2, 4.0), {}),
    ("reciprocal", lambda np, x: 1 / x, unary_sample(band=0.2), {}),
    ("tan", lambda np, x: np.tan(x), unary_sample(-1.2, 1.2), {}),
    ("sinh", lambda np, x: np.sinh(x), unary_sample(), {}),
    ("cosh", lambda np, x: np.cosh(x), unary_sample(), {}),
    ("asin", lambda np, x: np.arcsin(x), unary_sample(-0.9, 0.9), {"aliases": ("arcsin",)}),
    ("acos", lambda np, x: np.arccos(x), unary_sample(-0.9, 0.9), {"aliases": ("arccos",)}),
    ("atan", lambda np, x: np.arctan(x), unary_sample(), {"aliases": ("arctan",)}),
    ("asinh", lambda np, x: np.arcsinh(x), unary_sample(), {"aliases": ("arcsinh",)}),
    ("acosh", lambda np, x: np.arccosh(x), unary_sample(1.1, 4.0), {"aliases": ("arccosh",)}),
    ("atanh", lambda np, x: np.arctanh(x), unary_sample(-0.9, 0.9), {"aliases": ("arctanh",)}),
    ("sinc", lambda np, x: np.sinc(x), unary_sample(kinks=(0,)), {}),
    ("frac", lambda np, x: x - np.trunc(x), unary_sample(kinks=(-2, -1, 0, 1, 2)), {}),
    ("floor", lambda np, x: np.floor(x), unary_sample(kinks=(-2, -1, 0, 1, 2)), {}),
    ("ceil", lambda np, x: np.ceil(x), unary_sample(kinks=(-2, -1, 0, 1, 2)), {}),
    ("trunc", lambda np, x: np.trunc(x), unary_sample(kinks=(-2, -1, 0, 1, 2)),
     {"aliases": ("fix",)}),
    ("sign", lambda np, x: np.sign(x), unary_sample(kinks=(0,)), {}),
    # torch's sgn gradient is a ZeroTensor, which has no NumPy form: add 0 x to realise it
    ("sgn", lambda np, x: np.sign(x), unary_sample(kinks=(0,)),
     {"torch_call": lambda lib, x: lib.sgn(x) + 0 * x}),
    ("erf", _erf_np, unary_sample(-3.0, 3.0), {}),
    ("erfc", _erfc_np, unary_sample(-3.0, 3.0), {}),
    ("erfinv", _erfinv_np, unary_sample(-0.9, 0.9), {"rtol": 1e-6, "atol": 1e-9}),
    ("lgamma", _lgamma_np, unary_sample(0.2, 5.0), {"rtol": 1e-6, "atol": 1e-9}),
    ("digamma", _digamma_np, unary_sample(0.2, 5.0), {"rtol": 1e-6, "atol": 1e-9}),
    ("deg2rad", lambda np, x: np.deg2rad(x), unary_sample(), {}),
    ("rad2deg", lambda np, x: np.rad2deg(x), unary_sample(), {}),
    ("negative", lambda np, x: -x, unary_sample(), {}),
    ("absolute", lambda np, x: np.abs(x), unary_sample(kinks=(0,)), {}),
    ("logit", lambda np, x: np.log(x / (1 - x)), unary_sample(0.1, 0.9), {}),
]

op_db: list[OpInfo] = [_row(name, ref, sample, **extra) for name, ref, sample, extra in _UNARY]

op_db += [
    OpInfo(name="positive", call=_fn("positive"), inputs=unary_sample(),
           ref=lambda np, x: x, variants={"method": _method("positive")},
           covers=("tinytorch.positive", "Tensor.positive")),
    OpInfo(name="signbit", call=_fn("signbit"), inputs=unary_sample(),
           ref=lambda np, x: np.signbit(x), variants={"method": _method("signbit")},
           covers=("tinytorch.signbit", "Tensor.signbit"), differentiable=False),
    OpInfo(name="round", call=_fn("round"), inputs=unary_sample(-50.0, 50.0).map(
               _off_half_integers),  # round jumps at every k + 1/2
           ref=lambda np, x: np.round(x), variants=spellings("round")[0],
           covers=spellings("round")[1]),
    OpInfo(name="round_decimals", call=lambda lib, x: lib.round(x, decimals=2),
           inputs=unary_sample(), ref=lambda np, x: np.round(x * 100) / 100,
           variants={"method": lambda lib, x: x.round(decimals=2)}),
    OpInfo(name="nan_to_num", call=lambda lib, x: lib.nan_to_num(x.log(), nan=1.5),
           inputs=unary_sample(-1.0, 2.0, kinks=(0,)),
           ref=lambda np, x: np.nan_to_num(np.log(x), nan=1.5),
           variants={"method": lambda lib, x: x.log().nan_to_num(nan=1.5),
                     "inplace": lambda lib, x: x.log().nan_to_num_(nan=1.5)},
           covers=("tinytorch.nan_to_num", "Tensor.nan_to_num", "Tensor.nan_to_num_")),
]

_BINARY = [
    ("atan2", lambda np, a, b: np.arctan2(a, b), binary_sample(b_band=0.2, a_band=0.2),
     {"aliases": ("arctan2",)}),
    ("hypot", lambda np, a, b: np.hypot(a, b), binary_sample(0.2, 2.0), {}),
    ("copysign", lambda np, a, b: np.copysign(a, b),
     binary_sample(b_band=0.1).filter(lambda s: (np.abs(s[0][0]) > 0.05).all()), {}),
    ("xlogy", lambda np, a, b: a * np.log(b), binary_sample(b_low=0.2, b_high=3.0), {}),
    ("fmod", lambda np, a, b: np.fmod(a, b),
     binary_sample(b_band=0.3, apart=0.05).filter(_off_integer_quotients), {}),
    ("remainder", lambda np, a, b: np.remainder(a, b),
     binary_sample(b_band=0.3).filter(_off_integer_quotients), {}),
    ("logaddexp", lambda np, a, b: np.logaddexp(a, b), binary_sample(), {"inplace": False}),
    ("fmax", lambda np, a, b: np.fmax(a, b), binary_sample(apart=0.01), {"inplace": False}),
    ("fmin", lambda np, a, b: np.fmin(a, b), binary_sample(apart=0.01), {"inplace": False}),
    ("float_power", lambda np, a, b: np.power(a, b), binary_sample(0.2, 2.0), {}),
]

for _name, _ref, _sample, _extra in _BINARY:
    op_db.append(_row(_name, _ref, _sample, **_extra))

op_db += [
    OpInfo(name="floor_divide", call=_fn("floor_divide"),
           inputs=binary_sample(b_band=0.3), ref=lambda np, a, b: np.floor_divide(a, b),
           variants=spellings("floor_divide")[0], covers=spellings("floor_divide")[1],
           differentiable=False),
    OpInfo(name="div_trunc", call=lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
           inputs=binary_sample(b_band=0.3), ref=lambda np, a, b: np.trunc(a / b),
           variants={"method": lambda lib, a, b: a.div(b, rounding_mode="trunc"),
                     "divide": lambda lib, a, b: lib.divide(a, b, rounding_mode="trunc")},
           differentiable=False,
           errors=(ErrorInput(lambda lib: lib.div(lib.ones(2), lib.ones(2),
                                                  rounding_mode="round"),
                              RuntimeError, "rounding_mode"),)),
    OpInfo(name="true_divide", call=_fn("true_divide"), inputs=binary_sample(b_band=0.3),
           ref=lambda np, a, b: a / b,
           variants={"method": _method("true_divide"), "inplace": _inplace("true_divide"),
                     "divide": _fn("divide"), "divide_method": _method("divide"),
                     "divide_": _inplace("divide")},
           covers=("tinytorch.true_divide", "Tensor.true_divide", "Tensor.true_divide_",
                   "tinytorch.divide", "Tensor.divide", "Tensor.divide_")),
    OpInfo(name="multiply", call=_fn("multiply"), inputs=binary_sample(),
           ref=lambda np, a, b: a * b,
           variants={"method": _method("multiply"), "inplace": _inplace("multiply")},
           covers=("tinytorch.multiply", "Tensor.multiply", "Tensor.multiply_")),
    OpInfo(name="subtract", call=lambda lib, a, b: lib.subtract(a, b, alpha=2),
           inputs=binary_sample(), ref=lambda np, a, b: a - 2 * b,
           variants={"method": lambda lib, a, b: a.subtract(b, alpha=2),
                     "inplace": lambda lib, a, b: a.clone().subtract_(b, alpha=2)},
           covers=("tinytorch.subtract", "Tensor.subtract", "Tensor.subtract_")),
    OpInfo(name="heaviside", call=_fn("heaviside"),
           inputs=binary_sample().map(lambda s: ((np.round(s[0][0]), s[0][1]), s[1])),
           ref=lambda np, a, b: np.heaviside(a, b), differentiable=False,
           variants={"method": _method("heaviside")},
           covers=("tinytorch.heaviside", "Tensor.heaviside", "Tensor.heaviside_")),
    OpInfo(name="lerp", call=lambda lib, a, b: lib.lerp(a, b, 0.3),
           inputs=binary_sample(into_first=True), ref=lambda np, a, b: a + 0.3 * (b - a),
           variants={"method": lambda lib, a, b: a.lerp(b, 0.3),
                     "inplace": lambda lib, a, b: a.clone().lerp_(b, 0.3)},
           covers=("tinytorch.lerp", "Tensor.lerp", "Tensor.lerp_")),
    OpInfo(name="lerp_tensor_weight", call=lambda lib, a, b: lib.lerp(a, b, b.sigmoid()),
           inputs=binary_sample(into_first=True),
           ref=lambda np, a, b: a + (1 / (1 + np.exp(-b))) * (b - a)),
    OpInfo(name="addcmul", call=lambda lib, a, b: lib.addcmul(a, b, b + 1, value=0.5),
           inputs=binary_sample(into_first=True), ref=lambda np, a, b: a + 0.5 * b * (b + 1),
           variants={"method": lambda lib, a, b: a.addcmul(b, b + 1, value=0.5),
                     "inplace": lambda lib, a, b: a.clone().addcmul_(b, b + 1, value=0.5)},
           covers=("tinytorch.addcmul", "Tensor.addcmul", "Tensor.addcmul_")),
    OpInfo(name="addcdiv", call=lambda lib, a, b: lib.addcdiv(a, a, b, value=0.5),
           inputs=binary_sample(b_band=0.3, into_first=True),
           ref=lambda np, a, b: a + 0.5 * a / b,
           variants={"method": lambda lib, a, b: a.addcdiv(a, b, value=0.5),
                     "inplace": lambda lib, a, b: a.clone().addcdiv_(a, b, value=0.5)},
           covers=("tinytorch.addcdiv", "Tensor.addcdiv", "Tensor.addcdiv_")),
    OpInfo(name="clamp_min", call=lambda lib, x: lib.clamp_min(x, 0.5),
           inputs=unary_sample(kinks=(0.5,)), ref=lambda np, x: np.maximum(x, 0.5),
           variants={"method": lambda lib, x: x.clamp_min(0.5),
                     "inplace": lambda lib, x: x.clone().clamp_min_(0.5)},
           covers=("tinytorch.clamp_min", "Tensor.clamp_min", "Tensor.clamp_min_")),
    OpInfo(name="clamp_max", call=lambda lib, x: lib.clamp_max(x, 0.5),
           inputs=unary_sample(kinks=(0.5,)), ref=lambda np, x: np.minimum(x, 0.5),
           variants={"method": lambda lib, x: x.clamp_max(0.5),
                     "inplace": lambda lib, x: x.clone().clamp_max_(0.5)},
           covers=("tinytorch.clamp_max", "Tensor.clamp_max", "Tensor.clamp_max_")),
]

# ----------------------------------------------------------------------------- predicates,
# logical and bitwise ops: not differentiable; integer inputs come from rounding the floats


def _ints(lib, x):
    return (x * 3).round().long()


_LOGICAL = [
    ("logical_and", lambda np, a, b: np.logical_and(a > 0, b > 0)),
    ("logical_or", lambda np, a, b: np.logical_or(a > 0, b > 0)),
    ("logical_xor", lambda np, a, b: np.logical_xor(a > 0, b > 0)),
]
for _name, _ref in _LOGICAL:
    op_db.append(OpInfo(
        name=_name, call=lambda lib, a, b, _n=_name: getattr(lib, _n)(a > 0, b > 0),
        inputs=binary_sample(into_first=True), ref=_ref, differentiable=False,
        variants={"method": lambda lib, a, b, _n=_name: getattr(a > 0, _n)(b > 0),
                  "inplace": lambda lib, a, b, _n=_name: getattr(a > 0, _n + "_")(b > 0)},
        covers=(f"tinytorch.{_name}", f"Tensor.{_name}", f"Tensor.{_name}_")))

def _float_operands_call(name):
    return lambda lib: getattr(lib, name)(lib.ones(2), lib.ones(2))


_BITWISE = [
    ("bitwise_and", lambda np, a, b: np.round(a * 3).astype(np.int64)
     & np.round(b * 3).astype(np.int64)),
    ("bitwise_or", lambda np, a, b: np.round(a * 3).astype(np.int64)
     | np.round(b * 3).astype(np.int64)),
    ("bitwise_xor", lambda np, a, b: np.round(a * 3).astype(np.int64)
     ^ np.round(b * 3).astype(np.int64)),
    ("bitwise_left_shift", lambda np, a, b: np.round(a * 3).astype(np.int64)
     << np.abs(np.round(b * 3)).astype(np.int64)),
    ("bitwise_right_shift", lambda np, a, b: np.round(a * 3).astype(np.int64)
     >> np.abs(np.round(b * 3)).astype(np.int64)),
]
for _name, _ref in _BITWISE:
    _shift = "shift" in _name
    op_db.append(OpInfo(
        name=_name,
        call=lambda lib, a, b, _n=_name, _s=_shift: getattr(lib, _n)(
            _ints(lib, a), _ints(lib, b).abs() if _s else _ints(lib, b)),
        inputs=binary_sample(into_first=True), ref=_ref, differentiable=False,
        variants={"method": lambda lib, a, b, _n=_name, _s=_shift: getattr(_ints(lib, a), _n)(
            _ints(lib, b).abs() if _s else _ints(lib, b)),
            "inplace": lambda lib, a, b, _n=_name, _s=_shift: getattr(_ints(lib, a), _n + "_")(
            _ints(lib, b).abs() if _s else _ints(lib, b))},
        covers=(f"tinytorch.{_name}", f"Tensor.{_name}", f"Tensor.{_name}_"),
        errors=(ErrorInput(_float_operands_call(_name), RuntimeError,
                           "not implemented for 'Float'"),)))

op_db += [
    OpInfo(name="bitwise_not", call=lambda lib, x: lib.bitwise_not(_ints(lib, x)),
           inputs=unary_sample(), ref=lambda np, x: ~np.round(x * 3).astype(np.int64),
           differentiable=False,
           variants={"method": lambda lib, x: _ints(lib, x).bitwise_not(),
                     "inplace": lambda lib, x: _ints(lib, x).bitwise_not_()},
           covers=("tinytorch.bitwise_not", "Tensor.bitwise_not", "Tensor.bitwise_not_")),
    OpInfo(name="logical_not", call=lambda lib, x: lib.logical_not(x > 0),
           inputs=unary_sample(), ref=lambda np, x: ~(x > 0), differentiable=False,
           variants={"method": lambda lib, x: (x > 0).logical_not(),
                     "inplace": lambda lib, x: (x > 0).logical_not_()},
           covers=("tinytorch.logical_not", "Tensor.logical_not", "Tensor.logical_not_")),
    OpInfo(name="isposinf", call=lambda lib, x: lib.isposinf(1 / x.round()),
           inputs=unary_sample(), ref=lambda np, x: np.isposinf(1 / np.round(x)),
           differentiable=False, variants={"method": lambda lib, x: (1 / x.round()).isposinf()},
           covers=("tinytorch.isposinf", "Tensor.isposinf")),
    OpInfo(name="isneginf", call=lambda lib, x: lib.isneginf(-1 / x.round()),
           inputs=unary_sample(), ref=lambda np, x: np.isneginf(-1 / np.round(x)),
           differentiable=False, variants={"method": lambda lib, x: (-1 / x.round()).isneginf()},
           covers=("tinytorch.isneginf", "Tensor.isneginf")),
    OpInfo(name="isreal", call=_fn("isreal"), inputs=unary_sample(),
           ref=lambda np, x: np.isreal(x), differentiable=False,
           variants={"method": _method("isreal")}, covers=("tinytorch.isreal", "Tensor.isreal")),
    OpInfo(name="isclose", call=lambda lib, a, b: lib.isclose(a, b, rtol=0.1, atol=0.1),
           inputs=binary_sample(), ref=lambda np, a, b: np.isclose(a, b, rtol=0.1, atol=0.1),
           differentiable=False,
           variants={"method": lambda lib, a, b: a.isclose(b, rtol=0.1, atol=0.1)},
           covers=("tinytorch.isclose", "Tensor.isclose")),
]

# ----------------------------------------------------------------------------- reductions,
# scans and norms


def _cummax_ref(np, x, dim, is_max=True):
    acc = (np.maximum if is_max else np.minimum).accumulate(x, axis=dim) if x.ndim else x
    if x.ndim == 0:
        return x, np.zeros((), np.int64)
    positions = np.arange(x.shape[dim]).reshape([-1 if i == dim % x.ndim else 1
                                                 for i in range(x.ndim)])
    idx = np.maximum.accumulate(np.where(x == acc, positions, 0), axis=dim)
    return acc, idx.astype(np.int64)


def _cumprod_ref(np, x, dim):
    return np.cumprod(x, axis=dim) if x.ndim else x


def _diff_ref(np, x, dim, n=1):
    return np.diff(x, n=n, axis=dim)


def _logcumsumexp_ref(np, x, dim):
    return np.logaddexp.accumulate(x, axis=dim) if x.ndim else x


def _vector_norm_ref(np, x, p, dim=None, keepdim=False):
    if p == np.inf:
        return np.abs(x).max(axis=dim, keepdims=keepdim)
    return (np.abs(x) ** p).sum(axis=dim, keepdims=keepdim) ** (1 / p)


def _cdist_ref(np, a, b, p=2.0):
    return (np.abs(a[:, None, :] - b[None, :, :]) ** p).sum(-1) ** (1 / p)


def _renorm_ref(np, x, p, dim, maxnorm):
    others = tuple(i for i in range(x.ndim) if i != dim)
    norms = (np.abs(x) ** p).sum(axis=others, keepdims=True) ** (1 / p)
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


@st.composite
def _two_matrices(d, k_same=True):
    n, k, m = d(st.integers(1, 3)), d(st.integers(1, 3)), d(st.integers(1, 3))
    return (d(_array((n, k), -2, 2)), d(_array((m, k), -2, 2))), {}


@st.composite
def _product_operands(d):
    """Operands of every matrix product at once: (b, n, k), (b, k, m), (k,), (n, m)."""
    b, n, k, m = (d(st.integers(1, 3)) for _ in range(4))
    return (d(_array((b, n, k), -2, 2)), d(_array((b, k, m), -2, 2)),
            d(_array((k,), -2, 2)), d(_array((n, m), -2, 2))), {}


def _positive_rows(x):
    return x - x.min() + 0.5


op_db += [
    OpInfo(name="cumsum", call=lambda lib, x, dim: lib.cumsum(x, dim),
           inputs=dim_sample(min_dims=0), ref=lambda np, x, dim: np.cumsum(x, axis=dim)
           if x.ndim else x,
           variants={"method": lambda lib, x, dim: x.cumsum(dim),
                     "inplace": lambda lib, x, dim: x.clone().cumsum_(dim),
                     "dtype": lambda lib, x, dim: x.cumsum(dim, dtype=lib.float64)},
           covers=("tinytorch.cumsum", "Tensor.cumsum", "Tensor.cumsum_"),
           errors=(ErrorInput(lambda lib: lib.ones(2, 3).cumsum(2), IndexError,
                              "Dimension out of range"),)),
    # tiny entries flushed to 0: PyTorch's backward divides by the input, and where the
    # running product underflows (5e-324 * 5e-324) its gradient is 0, ours the exact product
    OpInfo(name="cumprod", call=lambda lib, x, dim: lib.cumprod(x, dim),
           inputs=dim_sample(min_dims=0).map(
               lambda s: ((np.where(np.abs(s[0][0]) < 1e-30, 0.0, s[0][0]),), s[1])),
           ref=_cumprod_ref,
           variants={"method": lambda lib, x, dim: x.cumprod(dim),
                     "inplace": lambda lib, x, dim: x.clone().cumprod_(dim)},
           covers=("tinytorch.cumprod", "Tensor.cumprod", "Tensor.cumprod_")),
    OpInfo(name="cumprod_with_zeros",
           call=lambda lib, x, dim: lib.cumprod(x * (x.abs() > 1), dim),
           inputs=dim_sample(kinks=()).map(
               lambda s: ((np.where(np.abs(np.abs(s[0][0]) - 1) < 0.05, 1.2, s[0][0]),),
                          s[1])),
           ref=lambda np, x, dim: np.cumprod(x * (np.abs(x) > 1), axis=dim)),
    OpInfo(name="cummax", call=lambda lib, x, dim: lib.cummax(x, dim),
           inputs=dim_sample(distinct=True), ref=_cummax_ref,
           variants={"method": lambda lib, x, dim: x.cummax(dim)},
           covers=("tinytorch.cummax", "Tensor.cummax")),
    OpInfo(name="cummin", call=lambda lib, x, dim: lib.cummin(x, dim),
           inputs=dim_sample(distinct=True),
           ref=lambda np, x, dim: _cummax_ref(np, x, dim, False),
           variants={"method": lambda lib, x, dim: x.cummin(dim)},
           covers=("tinytorch.cummin", "Tensor.cummin")),
    OpInfo(name="logcumsumexp", call=lambda lib, x, dim: lib.logcumsumexp(x, dim),
           inputs=dim_sample(), ref=_logcumsumexp_ref,
           variants={"method": lambda lib, x, dim: x.logcumsumexp(dim)},
           covers=("tinytorch.logcumsumexp", "Tensor.logcumsumexp")),
    OpInfo(name="diff", call=lambda lib, x, dim: lib.diff(x, dim=dim),
           inputs=dim_sample(), ref=_diff_ref,
           variants={"method": lambda lib, x, dim: x.diff(dim=dim)},
           covers=("tinytorch.diff", "Tensor.diff")),
    OpInfo(name="diff_n2_prepend",
           call=lambda lib, x, dim: lib.diff(x, n=2, dim=dim, prepend=x * 2, append=x + 1),
           inputs=dim_sample(),
           ref=lambda np, x, dim: np.diff(np.concatenate([x * 2, x, x + 1], axis=dim), n=2,
                                          axis=dim)),
    OpInfo(name="aminmax", call=lambda lib, x, dim: lib.aminmax(x, dim=dim),
           inputs=dim_sample(distinct=True),
           ref=lambda np, x, dim: (x.min(axis=dim), x.max(axis=dim)),
           variants={"method": lambda lib, x, dim: x.aminmax(dim=dim)},
           covers=("tinytorch.aminmax", "Tensor.aminmax")),
    OpInfo(name="var_mean", call=lambda lib, x, dim: lib.var_mean(x, dim),
           inputs=dim_sample().filter(lambda s: s[0][0].shape[s[1]["dim"]] > 1),
           ref=lambda np, x, dim: (np.var(x, axis=dim, ddof=1), np.mean(x, axis=dim)),
           variants={"method": lambda lib, x, dim: x.var_mean(dim)},
           covers=("tinytorch.var_mean", "Tensor.var_mean")),
    OpInfo(name="std_mean", call=lambda lib, x, dim: lib.std_mean(x, dim, correction=0),
           inputs=dim_sample().map(lambda s: ((s[0][0] + 0.01 * np.arange(s[0][0].size)
                                               .reshape(s[0][0].shape),), s[1])),
           ref=lambda np, x, dim: (np.std(x, axis=dim), np.mean(x, axis=dim)),
           variants={"method": lambda lib, x, dim: x.std_mean(dim, correction=0)},
           covers=("tinytorch.std_mean", "Tensor.std_mean")),
    OpInfo(name="nansum", call=lambda lib, x, dim: lib.nansum((x - 1).log(), dim),
           inputs=dim_sample(kinks=(1,)),
           ref=lambda np, x, dim: np.nansum(np.log(x - 1), axis=dim),
           variants={"method": lambda lib, x, dim: (x - 1).log().nansum(dim)},
           covers=("tinytorch.nansum", "Tensor.nansum")),
    OpInfo(name="nanmean", call=lambda lib, x, dim: lib.nanmean((x + 1).log(), dim),
           inputs=dim_sample(kinks=(-1,)).filter(
               lambda s: (np.log(s[0][0] + 1 + 0j).imag == 0).any(axis=s[1]["dim"]).all()),
           ref=lambda np, x, dim: np.nanmean(np.log(x + 1), axis=dim),
           variants={"method": lambda lib, x, dim: (x + 1).log().nanmean(dim)},
           covers=("tinytorch.nanmean", "Tensor.nanmean")),
    OpInfo(name="all_any_dim",
           call=lambda lib, x, dim: (lib.all(x > 0, dim), lib.any(x > 0, dim)),
           inputs=dim_sample(), ref=lambda np, x, dim: ((x > 0).all(axis=dim),
                                                        (x > 0).any(axis=dim)),
           differentiable=False,
           variants={"method": lambda lib, x, dim: ((x > 0).all(dim), (x > 0).any(dim))},
           covers=("tinytorch.all", "tinytorch.any", "Tensor.all", "Tensor.any")),
    OpInfo(name="norm", call=lambda lib, x, dim: lib.norm(x, 3, dim),
           inputs=dim_sample(kinks=(0,)),
           ref=lambda np, x, dim: _vector_norm_ref(np, x, 3, dim),
           variants={"method": lambda lib, x, dim: x.norm(3, dim)},
           covers=("tinytorch.norm", "Tensor.norm")),
    OpInfo(name="norm_fro", call=lambda lib, x: lib.norm(x),
           inputs=unary_sample(kinks=(0,), min_dims=1),
           ref=lambda np, x: np.sqrt((x * x).sum())),
    OpInfo(name="dist", call=lambda lib, a, b: lib.dist(a, b, 1.5),
           inputs=binary_sample(apart=0.05),
           ref=lambda np, a, b: (np.abs(a - b) ** 1.5).sum() ** (1 / 1.5),
           variants={"method": lambda lib, a, b: a.dist(b, 1.5)},
           covers=("tinytorch.dist", "Tensor.dist")),
    OpInfo(name="cdist", call=lambda lib, a, b: lib.cdist(a, b),
           inputs=_two_matrices().filter(
               lambda s: np.abs(s[0][0][:, None] - s[0][1][None]).sum(-1).min() > 0.1),
           ref=_cdist_ref, covers=("tinytorch.cdist",),
           errors=(ErrorInput(lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)),
                              RuntimeError, "same number of columns"),)),
    OpInfo(name="renorm", call=lambda lib, x: lib.renorm(x, 2, 0, 1.0),
           inputs=unary_sample(min_dims=2, max_dims=2, kinks=(0,)),
           ref=lambda np, x: _renorm_ref(np, x, 2, 0, 1.0), differentiable=False,
           variants={"method": lambda lib, x: x.renorm(2, 0, 1.0),
                     "inplace": lambda lib, x: x.clone().renorm_(2, 0, 1.0)},
           covers=("tinytorch.renorm", "Tensor.renorm", "Tensor.renorm_")),
]

# ----------------------------------------------------------------------------- matrix
# products: one sample draws compatible operands for all of them

op_db += [
    OpInfo(name="mm", call=lambda lib, a, b, v, c: lib.mm(a[0], b[0]),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: a[0] @ b[0],
           variants={"method": lambda lib, a, b, v, c: a[0].mm(b[0])},
           covers=("tinytorch.mm", "Tensor.mm"),
           errors=(ErrorInput(lambda lib: lib.mm(lib.ones(2, 3), lib.ones(2, 3)),
                              RuntimeError, ""),
                   ErrorInput(lambda lib: lib.mm(lib.ones(2, 3, 1), lib.ones(1, 3)),
                              RuntimeError, "2-D"))),
    OpInfo(name="bmm", call=lambda lib, a, b, v, c: lib.bmm(a, b),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: a @ b,
           variants={"method": lambda lib, a, b, v, c: a.bmm(b)},
           covers=("tinytorch.bmm", "Tensor.bmm"),
           errors=(ErrorInput(lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(3, 2)),
                              RuntimeError, "3-D"),)),
    OpInfo(name="mv", call=lambda lib, a, b, v, c: lib.mv(a[0], v),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: a[0] @ v,
           variants={"method": lambda lib, a, b, v, c: a[0].mv(v)},
           covers=("tinytorch.mv", "Tensor.mv")),
    OpInfo(name="dot", call=lambda lib, a, b, v, c: lib.dot(v, v * 2),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: np.dot(v, v * 2),
           variants={"method": lambda lib, a, b, v, c: v.dot(v * 2),
                     "vdot": lambda lib, a, b, v, c: lib.vdot(v, v * 2),
                     "vdot_method": lambda lib, a, b, v, c: v.vdot(v * 2)},
           covers=("tinytorch.dot", "Tensor.dot", "tinytorch.vdot", "Tensor.vdot"),
           errors=(ErrorInput(lambda lib: lib.dot(lib.ones(2), lib.ones(3)), RuntimeError,
                              "inconsistent tensor size"),)),
    OpInfo(name="inner", call=lambda lib, a, b, v, c: lib.inner(a, v),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: np.inner(a, v),
           variants={"method": lambda lib, a, b, v, c: a.inner(v)},
           covers=("tinytorch.inner", "Tensor.inner")),
    OpInfo(name="outer", call=lambda lib, a, b, v, c: lib.outer(v, c[0]),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: np.outer(v, c[0]),
           variants={"method": lambda lib, a, b, v, c: v.outer(c[0]),
                     "ger": lambda lib, a, b, v, c: lib.ger(v, c[0]),
                     "ger_method": lambda lib, a, b, v, c: v.ger(c[0])},
           covers=("tinytorch.outer", "Tensor.outer", "tinytorch.ger", "Tensor.ger")),
    OpInfo(name="addmm", call=lambda lib, a, b, v, c: lib.addmm(c, a[0], b[0], beta=0.5,
                                                                 alpha=2),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: 0.5 * c + 2 * a[0] @ b[0],
           variants={"method": lambda lib, a, b, v, c: c.addmm(a[0], b[0], beta=0.5, alpha=2),
                     "inplace": lambda lib, a, b, v, c: c.clone().addmm_(a[0], b[0], beta=0.5,
                                                                        alpha=2)},
           covers=("tinytorch.addmm", "Tensor.addmm", "Tensor.addmm_")),
    OpInfo(name="addbmm", call=lambda lib, a, b, v, c: lib.addbmm(c, a, b, alpha=2),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: c + 2 * (a @ b).sum(0),
           variants={"method": lambda lib, a, b, v, c: c.addbmm(a, b, alpha=2),
                     "inplace": lambda lib, a, b, v, c: c.clone().addbmm_(a, b, alpha=2)},
           covers=("tinytorch.addbmm", "Tensor.addbmm", "Tensor.addbmm_")),
    OpInfo(name="baddbmm", call=lambda lib, a, b, v, c: lib.baddbmm(c, a, b, beta=2),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: 2 * c + a @ b,
           variants={"method": lambda lib, a, b, v, c: (c + 0 * (a @ b)).baddbmm(a, b, beta=2),
                     "inplace": lambda lib, a, b, v, c: (c + 0 * (a @ b)).baddbmm_(a, b,
                                                                                  beta=2)},
           covers=("tinytorch.baddbmm", "Tensor.baddbmm", "Tensor.baddbmm_")),
    OpInfo(name="addmv", call=lambda lib, a, b, v, c: lib.addmv(c[:, 0], a[0], v, beta=0),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: a[0] @ v,
           variants={"method": lambda lib, a, b, v, c: c[:, 0].addmv(a[0], v, beta=0),
                     "inplace": lambda lib, a, b, v, c: c[:, 0].clone().addmv_(a[0], v,
                                                                               beta=0)},
           covers=("tinytorch.addmv", "Tensor.addmv", "Tensor.addmv_")),
    OpInfo(name="addr", call=lambda lib, a, b, v, c: lib.addr(c, c[:, 0], c[0], alpha=3),
           inputs=_product_operands(),
           ref=lambda np, a, b, v, c: c + 3 * np.outer(c[:, 0], c[0]),
           variants={"method": lambda lib, a, b, v, c: c.addr(c[:, 0], c[0], alpha=3),
                     "inplace": lambda lib, a, b, v, c: c.clone().addr_(c[:, 0], c[0],
                                                                        alpha=3)},
           covers=("tinytorch.addr", "Tensor.addr", "Tensor.addr_")),
    OpInfo(name="kron", call=lambda lib, a, b, v, c: lib.kron(a[0], c),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: np.kron(a[0], c),
           variants={"method": lambda lib, a, b, v, c: a[0].kron(c)},
           covers=("tinytorch.kron", "Tensor.kron")),
    OpInfo(name="tensordot", call=lambda lib, a, b, v, c: lib.tensordot(a, b, ([0, 2], [0, 1])),
           inputs=_product_operands(),
           ref=lambda np, a, b, v, c: np.tensordot(a, b, ([0, 2], [0, 1])),
           variants={"method": lambda lib, a, b, v, c: a.tensordot(b, ([0, 2], [0, 1]))},
           covers=("tinytorch.tensordot", "Tensor.tensordot")),
    OpInfo(name="einsum", call=lambda lib, a, b, v, c: lib.einsum("bnk,bkm->nm", a, b),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: np.einsum("bnk,bkm->nm", a, b),
           variants={"list": lambda lib, a, b, v, c: lib.einsum("bnk,bkm->nm", [a, b]),
                     "implicit": lambda lib, a, b, v, c: lib.einsum("bnk,bkm", a, b).mT},
           covers=("tinytorch.einsum",),
           errors=(ErrorInput(lambda lib: lib.einsum("ij,jk", lib.ones(2, 3)), RuntimeError,
                              "operand"),)),
    OpInfo(name="einsum_ellipsis_trace_outer",
           call=lambda lib, a, b, v, c: lib.einsum("...nk,k,ii->...n", a, v,
                                                   c[:1, :1] + a[0, :1, :1]),
           inputs=_product_operands(),
           ref=lambda np, a, b, v, c: np.einsum("...nk,k,ii->...n", a, v,
                                                c[:1, :1] + a[0, :1, :1])),
    OpInfo(name="einsum_unique_label", call=lambda lib, a, b, v, c: lib.einsum("bnk->n", a),
           inputs=_product_operands(), ref=lambda np, a, b, v, c: a.sum((0, 2))),
    OpInfo(name="cross", call=lambda lib, a, b: lib.cross(a, b, dim=-1),
           inputs=st.tuples(st.integers(1, 3)).flatmap(lambda n: st.tuples(
               _array((n[0], 3), -2, 2), _array((n[0], 3), -2, 2))).map(lambda ab: (ab, {})),
           ref=lambda np, a, b: np.cross(a, b),
           variants={"method": lambda lib, a, b: a.cross(b, dim=-1),
                     "linalg": lambda lib, a, b: lib.linalg.cross(a, b)},
           covers=("tinytorch.cross", "Tensor.cross", "tinytorch.linalg.cross"),
           errors=(ErrorInput(lambda lib: lib.cross(lib.ones(2, 4), lib.ones(2, 4), dim=1),
                              RuntimeError, "3"),)),
    OpInfo(name="matrix_power", call=lambda lib, x: lib.matrix_power(x, 3),
           inputs=st.integers(1, 3).flatmap(lambda n: _array((n, n), -1.5, 1.5)).map(
               lambda x: ((x,), {})),
           ref=lambda np, x: np.linalg.matrix_power(x, 3),
           variants={"method": lambda lib, x: x.matrix_power(3),
                     "linalg": lambda lib, x: lib.linalg.matrix_power(x, 3)},
           covers=("tinytorch.matrix_power", "Tensor.matrix_power",
                   "tinytorch.linalg.matrix_power")),
]

# ----------------------------------------------------------------------------- special


def _special_variant(row_name, special_name):
    for i, row in enumerate(op_db):
        if row.name == row_name:
            variants = dict(row.variants)
            variants["special"] = lambda lib, *xs, _n=special_name, **kw: getattr(
                lib.special, _n)(*xs, **kw)
            covers = row.covers + (f"tinytorch.special.{special_name}",)
            op_db[i] = type(row)(**{**row.__dict__, "variants": variants, "covers": covers})


for _row_name, _special in (("erf", "erf"), ("erfc", "erfc"), ("erfinv", "erfinv"),
                            ("lgamma", "gammaln"), ("digamma", "digamma"), ("digamma", "psi"),
                            ("expm1", "expm1"), ("log1p", "log1p"), ("exp2", "exp2"),
                            ("sinc", "sinc"), ("logit", "logit"), ("xlogy", "xlogy")):
    _special_variant(_row_name, _special)


def _ndtr_np(np_, x):
    return 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2))


op_db += [
    OpInfo(name="special.expit", covers=("tinytorch.special.expit",),
           call=lambda lib, x: lib.special.expit(x),
           inputs=unary_sample(), ref=lambda np, x: 1 / (1 + np.exp(-x))),
    OpInfo(name="special.xlog1py", covers=("tinytorch.special.xlog1py",),
           call=lambda lib, a, b: lib.special.xlog1py(a, b),
           inputs=binary_sample(b_low=-0.8, b_high=2.0), ref=lambda np, a, b: a * np.log1p(b)),
    OpInfo(name="special.entr", covers=("tinytorch.special.entr",),
           call=lambda lib, x: lib.special.entr(x),
           inputs=unary_sample(0.1, 3.0), ref=lambda np, x: -x * np.log(x)),
    OpInfo(name="special.ndtr", covers=("tinytorch.special.ndtr",),
           call=lambda lib, x: lib.special.ndtr(x),
           inputs=unary_sample(-3.0, 3.0), ref=_ndtr_np),
    OpInfo(name="special.log_ndtr", covers=("tinytorch.special.log_ndtr",),
           call=lambda lib, x: lib.special.log_ndtr(x),
           inputs=unary_sample(-3.0, 3.0), ref=lambda np_, x: np.log(_ndtr_np(np_, x))),
    OpInfo(name="special.i0", covers=("tinytorch.special.i0",),
           call=lambda lib, x: lib.special.i0(x), inputs=unary_sample(),
           ref=lambda np, x: np.i0(x), differentiable=False),
    OpInfo(name="special.softmax", call=lambda lib, x, dim: lib.special.softmax(x, dim),
           covers=("tinytorch.special.softmax", "tinytorch.special.log_softmax"),
           inputs=dim_sample(), ref=lambda np, x, dim: np.exp(x) / np.exp(x).sum(
               axis=dim, keepdims=True),
           variants={"log": lambda lib, x, dim: lib.special.log_softmax(x, dim).exp()}),
    OpInfo(name="special.logsumexp", covers=("tinytorch.special.logsumexp",),
           call=lambda lib, x, dim: lib.special.logsumexp(x, dim),
           inputs=dim_sample(), ref=lambda np, x, dim: np.log(np.exp(x).sum(axis=dim))),
    OpInfo(name="special.round", covers=("tinytorch.special.round",),
           call=lambda lib, x: lib.special.round(x, decimals=1),
           # inputs 0.02 above a multiple of 0.1: far from rounding's jumps at the halves
           inputs=unary_sample().map(lambda s: ((np.floor(s[0][0] * 10) / 10 + 0.02,), {})),
           ref=lambda np, x: np.round(x * 10) / 10),
]

# ----------------------------------------------------------------------------- in-place forms
# of the core ops, comparisons written as methods and functions, transposes, conj


def _inplace_row(name, ref, sample, method=None):
    method = method or name
    return OpInfo(name=f"{name}_", call=lambda lib, x, *xs: getattr(x.clone(), method + "_")(
        *xs), inputs=sample, ref=ref, covers=(f"Tensor.{method}_",))


op_db += [
    _inplace_row("abs", lambda np, x: np.abs(x), unary_sample(kinks=(0,))),
    _inplace_row("neg", lambda np, x: -x, unary_sample()),
    _inplace_row("exp", lambda np, x: np.exp(x), unary_sample()),
    _inplace_row("log", lambda np, x: np.log(x), unary_sample(0.2, 3.0)),
    _inplace_row("sqrt", lambda np, x: np.sqrt(x), unary_sample(0.2, 3.0)),
    _inplace_row("sin", lambda np, x: np.sin(x), unary_sample()),
    _inplace_row("cos", lambda np, x: np.cos(x), unary_sample()),
    _inplace_row("tanh", lambda np, x: np.tanh(x), unary_sample()),
    _inplace_row("sigmoid", lambda np, x: 1 / (1 + np.exp(-x)), unary_sample()),
    _inplace_row("relu", lambda np, x: np.maximum(x, 0), unary_sample(kinks=(0,))),
    _inplace_row("square", lambda np, x: x * x, unary_sample()),
    _inplace_row("pow", lambda np, x, y: np.abs(x) ** y,
                 binary_sample(0.2, 2.0).map(lambda s: ((np.abs(s[0][0]) + 0.2, s[0][1]), {}))),
    OpInfo(name="clip_", call=lambda lib, x: x.clone().clip_(-0.5, 0.5),
           inputs=unary_sample(kinks=(-0.5, 0.5)), ref=lambda np, x: np.clip(x, -0.5, 0.5),
           covers=("Tensor.clip_",)),
    OpInfo(name="conj", call=_fn("conj"), inputs=unary_sample(), ref=lambda np, x: np.conj(x),
           variants={"method": _method("conj"), "real": lambda lib, x: x.real},
           covers=("tinytorch.conj", "Tensor.conj", "Tensor.real")),
    OpInfo(name="H", call=lambda lib, x: x.H, inputs=unary_sample(min_dims=2, max_dims=2),
           ref=lambda np, x: x.T, variants={"mH": lambda lib, x: x.mH},
           covers=("Tensor.H", "Tensor.mH")),
]

for _name, _ufunc in (("eq", "equal"), ("ne", "not_equal"), ("lt", "less"),
                      ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal")):
    op_db.append(OpInfo(
        name=f"{_name}_functions", call=lambda lib, a, b, _n=_name: getattr(lib, _n)(
            a.round(), b.round()),
        inputs=binary_sample(), ref=lambda np, a, b, _u=_ufunc: getattr(np, _u)(
            np.round(a), np.round(b)), differentiable=False,
        variants={"inplace": lambda lib, a, b, _n=_name: getattr(a.round(), _n + "_")(
            b.round()).bool()},
        covers=(f"tinytorch.{_name}", f"Tensor.{_name}_")))

# core.py has the basic rows of these names; the rows here add their other spellings
# (in-place, dtype=, aliases), so they carry a suffixed name
_SPELLING_ROWS = {"cumsum", "logical_not", "outer", "rsqrt", "sign"}
op_db = [dataclasses.replace(row, name=row.name + "_spellings")
         if row.name in _SPELLING_ROWS else row for row in op_db]

op_db.append(OpInfo(
    name="cdist_large", call=lambda lib, a, b: lib.cdist(a, b),
    # ramps keep the points apart: the distance has no gradient where two points meet
    inputs=st.tuples(_array((27, 2), -2, 2), _array((3, 2), -2, 2)).map(lambda ab: (
        (ab[0] + 0.05 * np.arange(54).reshape(27, 2), ab[1] + 0.0313 * np.arange(6).reshape(
            3, 2) + 0.0171), {})),
    ref=_cdist_ref, rtol=1e-6, atol=1e-7,
    errors=(ErrorInput(lambda lib: lib.cdist(lib.ones(2), lib.ones(2, 2)), RuntimeError,
                       "2D"),)))
