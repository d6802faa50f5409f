"""``nn.functional`` rows of issue 12 part A: activations, losses, distances,
normalisation, bilinear, embedding bags, padding modes and channel dropout.

Every row has a reference that is not PyTorch: NumPy formulas written from PyTorch's
documentation. Samples stay away from the kinks of non-smooth ops (finite differences cannot
agree with any backward there) and draw the keyword arguments the op takes.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from .. import arrays, shapes
from ..opinfo import ErrorInput, OpInfo

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _F(lib):
    return lib.nn.functional


def _as(lib, array, like):
    """A NumPy keyword argument as a tensor on ``like``'s device."""
    device = getattr(like, "device", None)
    return lib.tensor(array) if device is None else lib.tensor(array, device=device)


def _away(x: np.ndarray, points, margin: float = 0.05) -> np.ndarray:
    """Step elements within ``margin`` of a kink off it."""
    for p in points:
        x = np.where(np.abs(x - p) < margin, p + 2 * margin, x)
    return x


def _samples(n_arrays=1, kinks=(), low=-3.0, high=3.0, min_dims=0, max_dims=3, kwargs=None,
             same_shape=True, transform=None):
    """``n_arrays`` arrays of one drawn shape (kinks stepped off), plus drawn kwargs."""

    @st.composite
    def draw(draw):
        s = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=3))
        xs = tuple(_away(draw(arrays(s, np.float64, low, high)), kinks)
                   for _ in range(n_arrays))
        if transform is not None:
            xs = transform(*xs)
        kw = draw(kwargs) if kwargs is not None else {}
        return xs, kw

    return draw()


def _reduction():
    return st.sampled_from(["mean", "sum", "none"]).map(lambda r: {"reduction": r})


def _reduce(np_, loss, reduction="mean"):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, threshold)))
                    / beta)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _unary_row(name, fn, ref, kinks=(), kwargs=None, low=-3.0, high=3.0, covers=None,
               errors=(), variants=None):
    return OpInfo(f"F.{name}", lambda lib, x, **kw: getattr(_F(lib), fn)(x, **kw),
                  _samples(1, kinks, low, high, kwargs=kwargs),
                  ref=lambda np_, x, **kw: ref(x, **kw),
                  covers=covers if covers is not None else (f"F.{fn}",), errors=errors,
                  variants=variants or {})


def _err(call, exc, match, torch_too=True):
    return ErrorInput(call, exc, match, torch_too=torch_too)


def _ones(lib, d, *shape):
    return lib.ones(*shape, device=d, dtype=lib.float64)


# ------------------------------------------------------------------------ activations

_leaky = st.sampled_from([0.01, 0.2]).map(lambda s: {"negative_slope": s})
_alpha = st.sampled_from([0.5, 1.0, 2.0]).map(lambda a: {"alpha": a})


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _inplace_variant(fn, **fixed):
    """The in-place spelling, applied to a non-leaf copy (as PyTorch allows): the result and
    its gradient must equal the out-of-place op's."""
    def call(lib, x, **kw):
        return getattr(_F(lib), fn)(x * 1, **fixed, **kw)
    return call


ACTIVATIONS = [
    _unary_row("silu", "silu", lambda x: x * _sigmoid(x)),
    _unary_row("mish", "mish", lambda x: x * np.tanh(_softplus(x))),
    _unary_row("leaky_relu", "leaky_relu", lambda x, negative_slope=0.01: np.where(
        x > 0, x, x * negative_slope), kinks=(0,), kwargs=_leaky,
        covers=("F.leaky_relu", "F.leaky_relu_"),
        variants={"inplace": _inplace_variant("leaky_relu", inplace=True),
                  "underscore": _inplace_variant("leaky_relu_")}),
    _unary_row("elu", "elu", _elu, kinks=(0,), kwargs=_alpha, covers=("F.elu", "F.elu_"),
               variants={"underscore": _inplace_variant("elu_")}),
    _unary_row("selu", "selu", lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA), kinks=(0,)),
    _unary_row("celu", "celu", lambda x, alpha=1.0: np.maximum(x, 0) + np.minimum(
        0, alpha * np.expm1(np.minimum(x, 0) / alpha)), kinks=(0,), kwargs=_alpha),
    _unary_row("softplus", "softplus", _softplus, low=-5, high=5, kinks=(-1.5, 1.5),
               kwargs=st.sampled_from([{}, {"beta": 2.0, "threshold": 3.0},
                                       {"beta": 0.5}])),
    _unary_row("softsign", "softsign", lambda x: x / (1 + np.abs(x)), kinks=(0,)),
    _unary_row("hardtanh", "hardtanh", lambda x, min_val=-1.0, max_val=1.0: np.clip(
        x, min_val, max_val), kinks=(-1, 1, -0.5, 2),
        kwargs=st.sampled_from([{}, {"min_val": -0.5, "max_val": 2.0}]),
        covers=("F.hardtanh", "F.hardtanh_"),
        variants={"underscore": _inplace_variant("hardtanh_")},
        errors=(_err(lambda lib, d: _F(lib).hardtanh(_ones(lib, d, 2), 1.0, -1.0),
                     ValueError, "min_val"),)),
    _unary_row("relu6", "relu6", lambda x: np.clip(x, 0, 6), low=-2, high=8, kinks=(0, 6)),
    _unary_row("hardswish", "hardswish", lambda x: x * np.clip(x + 3, 0, 6) / 6, low=-5,
               high=5, kinks=(-3, 3)),
    _unary_row("hardsigmoid", "hardsigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1), low=-5,
               high=5, kinks=(-3, 3)),
    _unary_row("logsigmoid", "logsigmoid", lambda x: -_softplus(-x), low=-8, high=8),
    _unary_row("tanhshrink", "tanhshrink", lambda x: x - np.tanh(x)),
    _unary_row("softshrink", "softshrink", lambda x, lambd=0.5: np.where(
        x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0)),
        kinks=(-0.5, 0.5, -1, 1), kwargs=st.sampled_from([{}, {"lambd": 1.0}]),
        errors=(_err(lambda lib, d: _F(lib).softshrink(_ones(lib, d, 2), -1.0),
                     RuntimeError, "lambda must be greater or equal to 0"),)),
    _unary_row("hardshrink", "hardshrink", lambda x, lambd=0.5: np.where(
        np.abs(x) > lambd, x, 0.0), kinks=(-0.5, 0.5, -1, 1),
        kwargs=st.sampled_from([{}, {"lambd": 1.0}])),
    _unary_row("threshold", "threshold", lambda x, threshold, value: np.where(
        x > threshold, x, value), kinks=(0.5,),
        kwargs=st.just({"threshold": 0.5, "value": -2.0}),
        covers=("F.threshold", "F.threshold_"),
        variants={"underscore": _inplace_variant("threshold_")}),
    _unary_row("relu_inplace", "relu", lambda x: np.maximum(x, 0), kinks=(0,),
               covers=("F.relu_",), variants={"underscore": _inplace_variant("relu_"),
                                              "inplace": _inplace_variant("relu",
                                                                          inplace=True)}),
    OpInfo("F.prelu", lambda lib, x, w: _F(lib).prelu(x, w),
           st.sampled_from([((2, 3, 2), (3,)), ((2, 3), (1,)), ((4,), (1,))]).flatmap(
               lambda shapes_: st.tuples(arrays(shapes_[0], np.float64),
                                         arrays(shapes_[1], np.float64, 0.05, 0.5)).map(
                   lambda xs: ((_away(xs[0], (0,)), xs[1]), {}))),
           ref=lambda np_, x, w: np.where(
               x > 0, x, x * (w.reshape((1, -1) + (1,) * (x.ndim - 2)) if w.size > 1 else w)),
           covers=("F.prelu",),
           errors=(_err(lambda lib, d: _F(lib).prelu(_ones(lib, d, 2, 3), _ones(lib, d, 2)),
                        RuntimeError, "weight has 2 entries", torch_too=True),)),
    OpInfo("F.glu", lambda lib, x, dim: _F(lib).glu(x, dim),
           st.sampled_from([((4,), 0), ((2, 6), 1), ((2, 4, 3), -2)]).flatmap(
               lambda sd: arrays(sd[0], np.float64).map(lambda x: ((x,), {"dim": sd[1]}))),
           ref=lambda np_, x, dim: np.split(x, 2, axis=dim)[0] * _sigmoid(
               np.split(x, 2, axis=dim)[1]),
           covers=("F.glu",),
           errors=(_err(lambda lib, d: _F(lib).glu(_ones(lib, d, 2, 3)), RuntimeError,
                        "halving dimension must be even"),)),
    OpInfo("F.softmin", lambda lib, x, dim: _F(lib).softmin(x, dim),
           _samples(1, min_dims=1, kwargs=st.just({"dim": -1})),
           ref=lambda np_, x, dim: np.exp(-x - (-x).max(dim, keepdims=True)) / np.exp(
               -x - (-x).max(dim, keepdims=True)).sum(dim, keepdims=True),
           covers=("F.softmin",)),
]


# ------------------------------------------------------------------ distances and losses

def _norm_p(np_, x, p, axis, keepdims=False):
    return (np.abs(x) ** p).sum(axis, keepdims=keepdims) ** (1 / p)


def _cosine_ref(np_, x1, x2, dim=1, eps=1e-8):
    n1 = np.maximum(np.sqrt((x1 * x1).sum(dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(dim, keepdims=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _pairwise_ref(np_, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _norm_p(np_, x1 - x2 + eps, p, -1, keepdims=keepdim)


def _two(kw=None, low=-3.0, high=3.0, min_dims=1, kinks_of_difference=()):
    """Two arrays of one shape whose difference stays off the given kinks."""
    def fix(x, y):
        d = x - y
        return x, y + (d - _away(d, kinks_of_difference)) if kinks_of_difference else y
    return _samples(2, low=low, high=high, min_dims=min_dims, kwargs=kw, transform=fix)


def _probabilities(*xs):
    return tuple(0.05 + 0.9 / (1 + np.exp(-x)) for x in xs)


def _bce_ref(np_, p, y, reduction="mean"):
    return _reduce(np_, -(y * np.log(p) + (1 - y) * np.log(1 - p)), reduction)


def _bce_logits_ref(np_, x, y, pos_weight=None, reduction="mean"):
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight)
    loss = -(pw * y * np.log(_sigmoid(x)) + (1 - y) * np.log(1 - _sigmoid(x)))
    return _reduce(np_, loss, reduction)


def _kl_ref(np_, logq, p, reduction="mean", log_target=False):
    loss = np.exp(p) * (p - logq) if log_target else p * (np.log(p) - logq)
    if reduction == "batchmean":
        return loss.sum() / (logq.shape[0] if logq.ndim else 1)
    return _reduce(np_, loss, reduction)


def _sign_array(shape, seed):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _with_signs(n_arrays, low=-3.0, high=3.0, kinks=()):
    """(x..., y) with y of +-1 entries of the shape of x without its last dim (or of x)."""
    @st.composite
    def draw(draw):
        s = draw(shapes(min_dims=1, max_dims=2, max_side=3))
        xs = tuple(_away(draw(arrays(s, np.float64, low, high)), kinks)
                   for _ in range(n_arrays))
        seed = draw(st.integers(0, 2**16))
        return xs, {"target": _sign_array(s, seed), **draw(_reduction())}
    return draw()


def _hinge_ref(np_, x, target, margin=1.0, reduction="mean"):
    loss = np.where(target == 1, x, np.maximum(0, margin - x))
    return _reduce(np_, loss, reduction)


def _cos_embed_ref(np_, x1, x2, target, margin=0.0, reduction="mean"):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    loss = np.where(target == 1, 1 - cos, np.maximum(0, cos - margin))
    return _reduce(np_, loss, reduction)


@st.composite
def _cos_embed_inputs(draw):
    n, d = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    x1 = draw(arrays((n, d), np.float64, 0.2, 2.0))
    x2 = draw(arrays((n, d), np.float64, -2.0, 2.0))
    x2 = x2 + np.arange(x2.size).reshape(x2.shape) * 0.1  # not parallel to x1
    target = _sign_array((n,), draw(st.integers(0, 99)))
    return (x1, x2), {"target": target, "margin": -2.0, **draw(_reduction())}


def _triplet_ref(np_, a, p, n, margin=1.0, swap=False, reduction="mean"):
    d_ap = _pairwise_ref(np_, a, p)
    d_an = _pairwise_ref(np_, a, n)
    if swap:
        d_an = np.minimum(d_an, _pairwise_ref(np_, p, n))
    return _reduce(np_, np.maximum(d_ap - d_an + margin, 0), reduction)


@st.composite
def _triplet_inputs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a, p, n = (rng.standard_normal((3, 4)) for _ in range(3))
    return (a, p, n), {"margin": 5.0, "swap": draw(st.booleans()), **draw(_reduction())}


def _mlsm_ref(np_, x, y, weight=None, reduction="mean"):
    loss = -(y * np.log(_sigmoid(x)) + (1 - y) * np.log(_sigmoid(-x)))
    if weight is not None:
        loss = loss * weight
    return _reduce(np_, loss.mean(-1), reduction)


@st.composite
def _class_inputs(draw, n_max=4, c=4):
    n = draw(st.integers(1, n_max))
    x = draw(arrays((n, c), np.float64))
    x = x + np.arange(c) * 0.37  # no ties between a class score and the margin
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return (x,), {"target": target, **draw(_reduction())}


def _multi_margin_ref(np_, x, target, p=1, margin=1.0, reduction="mean"):
    n, c = x.shape
    x_y = x[np.arange(n), target][:, None]
    h = np.maximum(0, margin - x_y + x) ** p
    h[np.arange(n), target] = 0
    return _reduce(np_, h.sum(1) / c, reduction)


@st.composite
def _multilabel_inputs(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    x = draw(arrays((n, c), np.float64)) + np.arange(c) * 0.29  # margins off the kink
    rows = []
    for _ in range(n):
        listed = draw(st.lists(st.integers(0, c - 1), max_size=c))
        rows.append((listed + [-1] * c)[:c])
    return (x,), {"target": np.array(rows), **draw(_reduction())}


def _multilabel_margin_ref(np_, x, target, reduction="mean"):
    n, c = x.shape
    loss = np.zeros(n)
    for r in range(n):
        listed = []
        for t in target[r]:
            if t == -1:
                break
            listed.append(t)
        others = [i for i in range(c) if i not in listed]
        loss[r] = sum(max(0.0, 1 - (x[r, j] - x[r, i])) for j in listed for i in others) / c
    return _reduce(np_, loss, reduction)


def _poisson_ref(np_, x, y, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        safe = np.where(y > 1, y, 2.0)
        loss = loss + np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(
            2 * math.pi * safe), 0.0)
    return _reduce(np_, loss, reduction)


def _gaussian_ref(np_, x, y, var, full=False, eps=1e-6, reduction="mean"):
    v = np.maximum(var, eps)
    loss = 0.5 * (np.log(v) + (x - y) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(np_, loss, reduction)


def _nll_weighted_ref(np_, x, target, weight, reduction="mean", label_smoothing=0.0,
                      ignore_index=-100, log_softmax=True):
    logp = x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) - \
        x.max(1, keepdims=True) if log_softmax else x
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    picked = np.take_along_axis(logp, safe[:, None], 1)[:, 0]
    w = weight[safe] * valid
    loss = -picked * w
    smooth = -(logp * weight).sum(1) * valid
    if reduction == "mean":
        loss, smooth = loss.sum() / w.sum(), smooth.sum() / w.sum()
    elif reduction == "sum":
        loss, smooth = loss.sum(), smooth.sum()
    c = x.shape[1]
    return (1 - label_smoothing) * loss + label_smoothing / c * smooth


@st.composite
def _weighted_class_inputs(draw, smoothing=True):
    (x,), kw = draw(_class_inputs())
    target = kw["target"].copy()
    if draw(st.booleans()) and target.size > 1:
        target[0] = -100
    kw["weight"] = draw(arrays((x.shape[1],), np.float64, 0.2, 2.0))
    kw["target"] = target
    if smoothing:
        kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.25]))
    return (x,), kw


def _ce_probs_ref(np_, x, target, reduction="mean", label_smoothing=0.0):
    c = x.shape[1]
    y = target * (1 - label_smoothing) + label_smoothing / c
    logp = x - x.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    loss = -(logp * y).sum(1)
    if reduction == "mean":
        return loss.sum() / (x.size // c)
    return loss.sum() if reduction == "sum" else loss


@st.composite
def _prob_target_inputs(draw):
    s = draw(st.sampled_from([(3, 4), (2, 3, 2), (1, 2)]))
    x = draw(arrays(s, np.float64))
    t = np.exp(draw(arrays(s, np.float64)))
    t = t / t.sum(1, keepdims=True)
    return (x,), {"target": t, "label_smoothing": draw(st.sampled_from([0.0, 0.1])),
                  **draw(_reduction())}


_two_shapes_loss = _reduction()

LOSSES = [
    OpInfo("F.cosine_similarity", lambda lib, x1, x2, **kw: _F(lib).cosine_similarity(
        x1, x2, **kw), _samples(2, min_dims=2, low=0.2, high=3.0,
                                kwargs=st.sampled_from([{}, {"dim": -1}, {"dim": 0}])),
           ref=_cosine_ref, covers=("F.cosine_similarity",),
           errors=(_err(lambda lib, d: _F(lib).cosine_similarity(_ones(lib, d, 2, 3),
                                                                 _ones(lib, d, 4, 3)),
                        RuntimeError, ""),)),
    OpInfo("F.pairwise_distance", lambda lib, x1, x2, **kw: _F(lib).pairwise_distance(
        x1, x2, **kw), _two(st.sampled_from([{}, {"p": 1.0}, {"p": 3.0, "keepdim": True}]),
                            kinks_of_difference=(0,)),
           ref=_pairwise_ref, covers=("F.pairwise_distance",)),
    OpInfo("F.normalize", lambda lib, x, **kw: _F(lib).normalize(x, **kw),
           _samples(1, min_dims=2, low=0.2, high=3.0,
                    kwargs=st.sampled_from([{}, {"dim": -1}, {"p": 1.0, "dim": 0}])),
           ref=lambda np_, x, p=2.0, dim=1: x / np.maximum(_norm_p(np_, x, p, dim, True),
                                                            1e-12),
           covers=("F.normalize",)),
    OpInfo("F.l1_loss", lambda lib, x, y, **kw: _F(lib).l1_loss(x, y, **kw),
           _two(_reduction(), min_dims=0, kinks_of_difference=(0,)),
           ref=lambda np_, x, y, reduction="mean": _reduce(np_, np.abs(x - y), reduction),
           covers=("F.l1_loss",),
           errors=(_err(lambda lib, d: _F(lib).l1_loss(_ones(lib, d, 2), _ones(lib, d, 2),
                                                       reduction="avg"), ValueError,
                        "reduction"),)),
    OpInfo("F.smooth_l1_loss", lambda lib, x, y, **kw: _F(lib).smooth_l1_loss(x, y, **kw),
           _two(st.sampled_from([{}, {"beta": 0.5, "reduction": "sum"},
                                 {"beta": 2.0, "reduction": "none"}]), min_dims=0,
                kinks_of_difference=(0, -0.5, 0.5, -1, 1, -2, 2)),
           ref=lambda np_, x, y, beta=1.0, reduction="mean": _reduce(np_, np.where(
               np.abs(x - y) < beta, 0.5 * (x - y) ** 2 / beta, np.abs(x - y) - 0.5 * beta),
               reduction), covers=("F.smooth_l1_loss",)),
    OpInfo("F.huber_loss", lambda lib, x, y, **kw: _F(lib).huber_loss(x, y, **kw),
           _two(st.sampled_from([{}, {"delta": 0.5, "reduction": "sum"},
                                 {"delta": 2.0, "reduction": "none"}]), min_dims=0,
                kinks_of_difference=(-0.5, 0.5, -1, 1, -2, 2)),
           ref=lambda np_, x, y, delta=1.0, reduction="mean": _reduce(np_, np.where(
               np.abs(x - y) <= delta, 0.5 * (x - y) ** 2, delta * (np.abs(x - y) - 0.5 * delta)),
               reduction), covers=("F.huber_loss",)),
    OpInfo("F.binary_cross_entropy", lambda lib, p, y, **kw: _F(lib).binary_cross_entropy(
        p, y, **kw), _samples(2, kwargs=_reduction(), transform=_probabilities),
           ref=_bce_ref, covers=("F.binary_cross_entropy",),
           errors=(_err(lambda lib, d: _F(lib).binary_cross_entropy(
               _ones(lib, d, 2) * 2, _ones(lib, d, 2)), RuntimeError, "between 0 and 1"),)),
    OpInfo("F.binary_cross_entropy_with_logits",
           lambda lib, x, y, **kw: _F(lib).binary_cross_entropy_with_logits(x, y, **kw),
           _samples(2, kwargs=_reduction(), transform=lambda x, y: (x, _probabilities(y)[0])),
           ref=_bce_logits_ref, covers=("F.binary_cross_entropy_with_logits",),
           errors=(_err(lambda lib, d: _F(lib).binary_cross_entropy_with_logits(
               _ones(lib, d, 2), _ones(lib, d, 3)), ValueError, "must be the same as"),)),
    OpInfo("F.binary_cross_entropy_with_logits_pos_weight",
           lambda lib, x, y, pw: _F(lib).binary_cross_entropy_with_logits(
               x, y, pos_weight=_as(lib, pw, x)),
           st.just(((np.linspace(-2, 2, 6).reshape(2, 3), np.full((2, 3), 0.3)),
                    {"pw": np.array([0.5, 1.0, 3.0])})),
           ref=lambda np_, x, y, pw: _bce_logits_ref(np_, x, y, pw)),
    OpInfo("F.kl_div", lambda lib, x, y, **kw: _F(lib).kl_div(x, y, **kw),
           _samples(2, min_dims=1, transform=lambda a, b: (np.log(_probabilities(a)[0]),
                                                           _probabilities(b)[0]),
                    kwargs=st.sampled_from(["mean", "sum", "none", "batchmean"]).map(
                        lambda r: {"reduction": r})),
           ref=_kl_ref, covers=("F.kl_div",),
           errors=(_err(lambda lib, d: _F(lib).kl_div(_ones(lib, d, 2), _ones(lib, d, 2),
                                                      reduction="avg"),
                        ValueError, "reduction", torch_too=False),)),
    OpInfo("F.kl_div_log_target", lambda lib, x, y, **kw: _F(lib).kl_div(
        x, y, log_target=True, **kw),
           _samples(2, min_dims=1, transform=lambda a, b: tuple(
               np.log(_probabilities(v)[0]) for v in (a, b)),
                    kwargs=st.sampled_from(["sum", "batchmean"]).map(
                        lambda r: {"reduction": r})),
           ref=lambda np_, x, y, **kw: _kl_ref(np_, x, y, log_target=True, **kw)),
    OpInfo("F.margin_ranking_loss", lambda lib, x1, x2, target, **kw: _F(
        lib).margin_ranking_loss(x1, x2, _as(lib, target, x1), margin=0.3, **kw),
           _with_signs(2).map(lambda s: ((s[0][0], s[0][1] + 0.3 * s[1]["target"] + 0.05
                                          * np.sign(s[0][1] - s[0][0] + 1e-9)), s[1])),
           ref=lambda np_, x1, x2, target, reduction="mean": _reduce(
               np_, np.maximum(0, -target * (x1 - x2) + 0.3), reduction),
           covers=("F.margin_ranking_loss",)),
    OpInfo("F.hinge_embedding_loss", lambda lib, x, target, **kw: _F(
        lib).hinge_embedding_loss(x, _as(lib, target, x), **kw), _with_signs(1, kinks=(1,)),
           ref=_hinge_ref, covers=("F.hinge_embedding_loss",)),
    OpInfo("F.cosine_embedding_loss", lambda lib, x1, x2, target, **kw: _F(
        lib).cosine_embedding_loss(x1, x2, _as(lib, target, x1), **kw), _cos_embed_inputs(),
           ref=_cos_embed_ref, covers=("F.cosine_embedding_loss",)),
    OpInfo("F.triplet_margin_loss", lambda lib, a, p, n, **kw: _F(lib).triplet_margin_loss(
        a, p, n, **kw), _triplet_inputs(), ref=_triplet_ref,
           covers=("F.triplet_margin_loss",),
           errors=(_err(lambda lib, d: _F(lib).triplet_margin_loss(
               _ones(lib, d, 2, 3), _ones(lib, d, 2, 3), _ones(lib, d, 3)), RuntimeError,
               "same number of dimensions"),)),
    OpInfo("F.soft_margin_loss", lambda lib, x, target, **kw: _F(lib).soft_margin_loss(
        x, _as(lib, target, x), **kw), _with_signs(1),
           ref=lambda np_, x, target, reduction="mean": _reduce(
               np_, np.log1p(np.exp(-target * x)), reduction), covers=("F.soft_margin_loss",)),
    OpInfo("F.multilabel_soft_margin_loss", lambda lib, x, y, **kw: _F(
        lib).multilabel_soft_margin_loss(x, y, **kw),
           _samples(2, min_dims=2, max_dims=2, kwargs=_reduction(),
                    transform=lambda x, y: (x, (y > 0).astype(np.float64))),
           ref=_mlsm_ref, covers=("F.multilabel_soft_margin_loss",)),
    OpInfo("F.multi_margin_loss", lambda lib, x, target, **kw: _F(lib).multi_margin_loss(
        x, _as(lib, target, x), margin=0.1, **kw), _class_inputs(),
           ref=lambda np_, x, target, **kw: _multi_margin_ref(np_, x, target, margin=0.1, **kw),
           covers=("F.multi_margin_loss",), gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).multi_margin_loss(
               _ones(lib, d, 2, 3), lib.tensor([0, 3], device=d)), IndexError,
               "out of bounds", torch_too=False),)),
    OpInfo("F.multilabel_margin_loss", lambda lib, x, target, **kw: _F(
        lib).multilabel_margin_loss(x, _as(lib, target, x), **kw), _multilabel_inputs(),
           ref=_multilabel_margin_ref, covers=("F.multilabel_margin_loss",), gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).multilabel_margin_loss(
               _ones(lib, d, 2, 3), lib.tensor([[0, 1, 2]], device=d)), RuntimeError, ""),)),
    OpInfo("F.poisson_nll_loss", lambda lib, x, y, **kw: _F(lib).poisson_nll_loss(
        x, y, **kw), _samples(2, transform=lambda x, y: (x, _away(np.abs(y) * 2 + 0.1, (1,))),
                              kwargs=st.sampled_from([{}, {"full": True, "reduction": "sum"}])),
           ref=_poisson_ref, covers=("F.poisson_nll_loss",)),
    OpInfo("F.poisson_nll_loss_rate", lambda lib, x, y, **kw: _F(lib).poisson_nll_loss(
        x, y, log_input=False, **kw), _samples(2, transform=lambda x, y: (
            np.abs(x) + 0.2, np.abs(y) * 2 + 0.1), kwargs=_reduction()),
           ref=lambda np_, x, y, **kw: _poisson_ref(np_, x, y, log_input=False, **kw)),
    OpInfo("F.gaussian_nll_loss", lambda lib, x, y, v, **kw: _F(lib).gaussian_nll_loss(
        x, y, v, **kw), _samples(3, min_dims=1, transform=lambda x, y, v: (
            x, y, np.abs(v) + 0.1), kwargs=st.sampled_from(
                [{}, {"full": True, "reduction": "none"}, {"reduction": "sum"}])),
           ref=_gaussian_ref, covers=("F.gaussian_nll_loss",),
           errors=(_err(lambda lib, d: _F(lib).gaussian_nll_loss(
               _ones(lib, d, 2, 3), _ones(lib, d, 2, 3), -_ones(lib, d, 2, 3)), ValueError,
               "negative"),)),
    OpInfo("F.cross_entropy_weighted", lambda lib, x, target, weight, **kw: _F(
        lib).cross_entropy(x, _as(lib, target, x), weight=_as(lib, weight, x), **kw),
           _weighted_class_inputs(), ref=_nll_weighted_ref, gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).cross_entropy(
               _ones(lib, d, 2, 3), lib.tensor([0, 1], device=d), weight=_ones(lib, d, 4)),
               RuntimeError, "weight tensor should be defined"),)),
    OpInfo("F.nll_loss_weighted", lambda lib, x, target, weight, **kw: _F(lib).nll_loss(
        x, _as(lib, target, x), weight=_as(lib, weight, x), **kw),
           _weighted_class_inputs(smoothing=False), gradgrad=False,
           ref=lambda np_, x, target, weight, **kw: _nll_weighted_ref(
               np_, x, target, weight, log_softmax=False, **kw)),
    OpInfo("F.cross_entropy_probabilities", lambda lib, x, target, **kw: _F(
        lib).cross_entropy(x, _as(lib, target, x), **kw), _prob_target_inputs(),
           ref=lambda np_, x, target, **kw: _ce_probs_ref(
               np_, np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]),
               np.moveaxis(target, 1, -1).reshape(-1, x.shape[1]), **kw).reshape(
                   (x.shape[0],) + x.shape[2:]) if kw.get("reduction") == "none"
           else _ce_probs_ref(np_, np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]),
                              np.moveaxis(target, 1, -1).reshape(-1, x.shape[1]), **kw)),
]


# ------------------------------------------------------------------------ normalisation

@st.composite
def _norm_inputs(draw, min_spatial=0, groups=False):
    n = draw(st.integers(2, 3))
    c = draw(st.sampled_from([2, 4]))
    spatial = tuple(draw(st.lists(st.integers(2, 3), min_size=min_spatial,
                                  max_size=max(min_spatial, 2))))
    x = draw(arrays((n, c) + spatial, np.float64))
    x = x + np.linspace(0, 1, x.size).reshape(x.shape)  # no constant groups
    w = draw(arrays((c,), np.float64, 0.5, 2.0))
    b = draw(arrays((c,), np.float64))
    kw = {"eps": draw(st.sampled_from([1e-5, 1e-2]))}
    if groups:
        kw["num_groups"] = draw(st.sampled_from([g for g in (1, 2) if c % g == 0]))
    return (x, w, b), kw


def _standardize(x, axes, eps):
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _batch_norm_ref(np_, x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    return _standardize(x, axes, eps) * _channel(w, x.ndim) + _channel(b, x.ndim)


def _batch_norm_eval_ref(np_, x, w, b, rm, rv, eps=1e-5):
    return (x - _channel(rm, x.ndim)) / np.sqrt(_channel(rv, x.ndim) + eps) * \
        _channel(w, x.ndim) + _channel(b, x.ndim)


def _instance_norm_ref(np_, x, w, b, eps=1e-5):
    return _standardize(x, tuple(range(2, x.ndim)), eps) * _channel(w, x.ndim) + \
        _channel(b, x.ndim)


def _group_norm_ref(np_, x, w, b, num_groups, eps=1e-5):
    g = _standardize(x.reshape(x.shape[0], num_groups, -1), (2,), eps).reshape(x.shape)
    return g * _channel(w, x.ndim) + _channel(b, x.ndim)


def _rms_norm_ref(np_, x, w, normalized_shape, eps=None):
    eps = np.finfo(np.float64).eps if eps is None else eps
    dims = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    return x / np.sqrt((x * x).mean(dims, keepdims=True) + eps) * w


@st.composite
def _rms_inputs(draw):
    s = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    k = draw(st.integers(1, len(s)))
    x = draw(arrays(s, np.float64)) + 0.1
    w = draw(arrays(s[len(s) - k:], np.float64))
    return (x, w), {"normalized_shape": tuple(s[len(s) - k:]),
                    "eps": draw(st.sampled_from([None, 1e-3]))}


def _lrn_ref(np_, x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x * x
    padded = np.concatenate([np.zeros_like(sq[:, :size // 2]), sq,
                             np.zeros_like(sq[:, :(size - 1) // 2])], axis=1)
    window = sum(padded[:, i:i + c] for i in range(size))
    return x / (k + alpha / size * window) ** beta


def _running(lib, x, array):
    return _as(lib, array, x)


NORMS = [
    OpInfo("F.batch_norm", lambda lib, x, w, b, **kw: _F(lib).batch_norm(
        x, None, None, w, b, training=True, **kw), _norm_inputs(), ref=_batch_norm_ref,
           covers=("F.batch_norm",), gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).batch_norm(_ones(lib, d, 1, 3), None, None,
                                                          training=True), ValueError,
                        "more than 1 value per channel"),
                   _err(lambda lib, d: _F(lib).batch_norm(
                       _ones(lib, d, 2, 3), _ones(lib, d, 4), _ones(lib, d, 4)), RuntimeError,
                       "", torch_too=True))),
    OpInfo("F.batch_norm_eval", lambda lib, x, w, b, rm, rv, **kw: _F(lib).batch_norm(
        x, _as(lib, rm, x), _as(lib, rv, x), w, b, training=False, **kw),
           _norm_inputs().map(lambda s: (s[0], {**s[1], "rm": s[0][2] * 0.5,
                                                "rv": np.abs(s[0][1]) + 0.3})),
           ref=_batch_norm_eval_ref),
    OpInfo("F.instance_norm", lambda lib, x, w, b, **kw: _F(lib).instance_norm(
        x, weight=w, bias=b, **kw), _norm_inputs(min_spatial=1), ref=_instance_norm_ref,
           covers=("F.instance_norm",), gradgrad=False),
    OpInfo("F.group_norm", lambda lib, x, w, b, num_groups, **kw: _F(lib).group_norm(
        x, num_groups, w, b, **kw), _norm_inputs(groups=True), ref=_group_norm_ref,
           covers=("F.group_norm",), gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).group_norm(_ones(lib, d, 2, 3, 2), 2),
                        RuntimeError, "divisible by num_groups"),)),
    OpInfo("F.rms_norm", lambda lib, x, w, normalized_shape, eps: _F(lib).rms_norm(
        x, normalized_shape, w, eps), _rms_inputs(), ref=_rms_norm_ref,
           covers=("F.rms_norm",), gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).rms_norm(_ones(lib, d, 2, 3), (4,)),
                        RuntimeError, ""),)),
    OpInfo("F.local_response_norm", lambda lib, x, **kw: _F(lib).local_response_norm(
        x, **kw), _samples(1, min_dims=3, max_dims=4, kwargs=st.sampled_from(
            [{"size": 2}, {"size": 3, "alpha": 0.5, "beta": 0.6, "k": 2.0}])),
           ref=_lrn_ref, covers=("F.local_response_norm",)),
]


# ------------------------------------------------------------------ layers and padding

@st.composite
def _bilinear_inputs(draw):
    lead = draw(st.sampled_from([(2,), (2, 3), ()]))
    in1, in2, out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x1, x2 = draw(arrays(lead + (in1,), np.float64)), draw(arrays(lead + (in2,), np.float64))
    w, b = draw(arrays((out, in1, in2), np.float64)), draw(arrays((out,), np.float64))
    return (x1, x2, w, b), {}


@st.composite
def _bag_inputs(draw):
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    w = draw(arrays((5, 3), np.float64))
    w = w + np.arange(15).reshape(5, 3) * 0.1  # no ties for max
    if draw(st.booleans()):
        idx = np.array(draw(st.lists(st.integers(0, 4), min_size=4, max_size=4))).reshape(2, 2)
        return (w,), {"index": idx, "offsets": None, "mode": mode}
    idx = np.array(draw(st.lists(st.integers(0, 4), min_size=1, max_size=6)))
    cuts = sorted(draw(st.lists(st.integers(0, idx.size), max_size=3)))
    return (w,), {"index": idx, "offsets": np.array([0] + cuts), "mode": mode}


def _bag_ref(np_, w, index, offsets, mode):
    if offsets is None:
        bags = [list(r) for r in index]
    else:
        ends = list(offsets[1:]) + [index.size]
        bags = [list(index[s:e]) for s, e in zip(offsets, ends)]
    reduce = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode]
    return np.stack([reduce(w[b], axis=0) if b else np.zeros(w.shape[1]) for b in bags])


def _bag_call(lib, w, index, offsets, mode):
    return _F(lib).embedding_bag(_as(lib, index, w), w,
                                 None if offsets is None else _as(lib, offsets, w), mode=mode)


@st.composite
def _index_pad_inputs(draw):
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    k = draw(st.integers(1, 3))
    extra = draw(st.integers(1, 2))
    s = tuple(draw(st.lists(st.integers(2, 3), min_size=k + extra, max_size=k + extra)))
    x = draw(arrays(s, np.float64))
    pads = []
    for i in range(k):
        n = s[-1 - i]
        pads += [draw(st.integers(-1 if mode != "reflect" else 0, n - 1)) for _ in range(2)]
    return (x,), {"pad": tuple(pads), "mode": mode}


def _index_pad_ref(np_, x, pad, mode):
    out = x
    for i in range(len(pad) // 2):
        axis = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        # crop negative pads first, then pad with NumPy's modes of the same meaning
        n = out.shape[axis]
        sl = [slice(None)] * out.ndim
        sl[axis] = slice(max(-lo, 0), n - max(-hi, 0))
        if mode != "circular":  # reflect and replicate read from the uncropped edge
            out = np.take(out, _edge_index(n, lo, hi, mode), axis=axis)
            continue
        out = out[tuple(sl)]
        widths = [(0, 0)] * out.ndim
        widths[axis] = (max(lo, 0), max(hi, 0))
        out = np.pad(out, widths, mode="wrap")
    return out


def _edge_index(n, lo, hi, mode):
    j = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    return np.abs(j) if n == 1 else (n - 1) - np.abs((n - 1) - np.abs(j))


@st.composite
def _channel_input(draw, dims):
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + (2,) * (dims - 2)
    return (draw(arrays(s, np.float64)),), {
        "p": draw(st.sampled_from([0.0, 0.5])), "training": False}


LAYERS = [
    OpInfo("F.bilinear", lambda lib, x1, x2, w, b: _F(lib).bilinear(x1, x2, w, b),
           _bilinear_inputs(),
           ref=lambda np_, x1, x2, w, b: np.einsum("...i,oij,...j->...o", x1, w, x2) + b,
           covers=("F.bilinear",),
           errors=(_err(lambda lib, d: _F(lib).bilinear(_ones(lib, d, 2, 3), _ones(lib, d, 2, 2),
                                                        _ones(lib, d, 4, 3, 3)),
                        RuntimeError, ""),)),
    OpInfo("F.embedding_bag", _bag_call, _bag_inputs(), ref=_bag_ref,
           covers=("F.embedding_bag",),
           errors=(_err(lambda lib, d: _F(lib).embedding_bag(
               lib.tensor([[0, 1]], device=d), _ones(lib, d, 3, 2), mode="median"),
               ValueError, "mode", torch_too=False),)),
    OpInfo("F.pad_index_modes", lambda lib, x, pad, mode: _F(lib).pad(x, pad, mode=mode),
           _index_pad_inputs(), ref=_index_pad_ref, gradgrad=False,
           errors=(_err(lambda lib, d: _F(lib).pad(_ones(lib, d, 3), (1, 1), mode="reflect"),
                        NotImplementedError, "Padding size 2 is not supported for 1D"),
                   _err(lambda lib, d: _F(lib).pad(_ones(lib, d, 1, 3), (3, 3),
                                                   mode="reflect"),
                        RuntimeError, "Padding size should be less than"),
                   _err(lambda lib, d: _F(lib).pad(_ones(lib, d, 1, 3), (4, 0),
                                                   mode="circular"),
                        RuntimeError, "wrapping around more than once"))),
    OpInfo("F.channel_shuffle", lambda lib, x, groups: _F(lib).channel_shuffle(x, groups),
           st.sampled_from([((2, 6, 2), 3), ((1, 4, 2, 2), 2), ((2, 4, 3), 1)]).flatmap(
               lambda sg: arrays(sg[0], np.float64).map(lambda x: ((x,), {"groups": sg[1]}))),
           ref=lambda np_, x, groups: x.reshape(
               (x.shape[0], groups, x.shape[1] // groups) + x.shape[2:]).swapaxes(1, 2).reshape(
                   x.shape),
           covers=("F.channel_shuffle",),
           errors=(_err(lambda lib, d: _F(lib).channel_shuffle(_ones(lib, d, 1, 3, 2), 2),
                        RuntimeError, "divisible by groups"),)),
    OpInfo("F.dropout1d_identity", lambda lib, x, **kw: _F(lib).dropout1d(x, **kw),
           _channel_input(3), ref=lambda np_, x, **kw: x, covers=("F.dropout1d",),
           errors=(_err(lambda lib, d: _F(lib).dropout1d(_ones(lib, d, 2, 3, 4, 5)),
                        RuntimeError, "Expected 2D or 3D input"),)),
    OpInfo("F.dropout2d_identity", lambda lib, x, **kw: _F(lib).dropout2d(x, **kw),
           _channel_input(4), ref=lambda np_, x, **kw: x, covers=("F.dropout2d",)),
    OpInfo("F.dropout3d_identity", lambda lib, x, **kw: _F(lib).dropout3d(x, **kw),
           _channel_input(5), ref=lambda np_, x, **kw: x, covers=("F.dropout3d",)),
    OpInfo("F.alpha_dropout_identity", lambda lib, x, **kw: _F(lib).alpha_dropout(x, **kw),
           _channel_input(3), ref=lambda np_, x, **kw: x, covers=("F.alpha_dropout",),
           errors=(_err(lambda lib, d: _F(lib).alpha_dropout(_ones(lib, d, 2), 1.5, True),
                        ValueError, "between 0 and 1"),)),
    OpInfo("F.feature_alpha_dropout_identity",
           lambda lib, x, **kw: _F(lib).feature_alpha_dropout(x, **kw), _channel_input(4),
           ref=lambda np_, x, **kw: x, covers=("F.feature_alpha_dropout",)),
]

op_db = ACTIVATIONS + LOSSES + NORMS + LAYERS
