"""``nn.functional`` ops and ``nn`` layers.

The fused ops (softmax, cross-entropy, layer_norm, gelu, embedding, attention) are checked
against their readable formula: a composite of small tinytorch ops (``ref_kind=
"composite"``), whose autograd gradient is compared with the fused backward too. Layers are
rows whose tensor arguments are the inputs followed by the parameters (in
``named_parameters`` order), so gradcheck perturbs the weights as well.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from ...ops.nn import gelu_simple, layer_norm_simple
from ...ops.reduce import log_softmax_simple, softmax_simple
from .. import arrays, parameters_replaced, shapes
from ..opinfo import ErrorInput, OpInfo
from ..samples import away, unary, with_dim

COMPOSITE = "composite"


def _F(lib):
    return lib.nn.functional


def _as(lib, array, like):
    """``array`` (a NumPy keyword argument) as a tensor on ``like``'s device."""
    device = getattr(like, "device", None)
    return lib.tensor(array) if device is None else lib.tensor(array, device=device)


def _is_torch(lib) -> bool:
    return lib.__name__ == "torch"


def fixed(*array_list, **kwargs) -> st.SearchStrategy:
    """A sample that is always the same: the given arrays and keyword arguments."""
    return st.just((tuple(array_list), kwargs))


def _randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


# ------------------------------------------------------------------ the readable formulas

def softmax_composite(lib, x, dim):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x)."""
    return softmax_simple(x, dim)  # the formula beside the fused Function


def log_softmax_composite(lib, x, dim):
    """log_softmax(x) = (x - max x) - log sum exp(x - max x)."""
    return log_softmax_simple(x, dim)


def layer_norm_composite(lib, x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape) dims."""
    return layer_norm_simple(x, normalized_shape, weight, bias, eps)


def gelu_tanh_composite(lib, x):
    """gelu(x) ~ x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return gelu_simple(x, "tanh")


def _erf(np_, x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def gelu_ref(np_, x, approximate="none"):
    """gelu(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)) (NumPy, with math.erf)."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(np_, x / math.sqrt(2)))


def nll_composite(lib, logp, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """-sum over non-ignored rows of (1 - s) logp[target] + s mean_c logp[c] (class dim 1)."""
    n_classes = logp.shape[1] if logp.ndim > 1 else logp.shape[0]
    t = np.asarray(target)
    keep = t != ignore_index
    onehot = (np.where(keep, t, 0)[..., None] == np.arange(n_classes)) & keep[..., None]
    # classes last: (N, C, d...) -> (N, d..., C)
    class_last = logp.permute(0, *range(2, logp.ndim), 1) if logp.ndim > 1 else logp
    picked = (class_last * _as(lib, onehot.astype(np.float64), logp).to(logp.dtype)).sum(-1)
    loss = -picked
    if label_smoothing:
        smooth = -(class_last.sum(-1) / n_classes) * _as(lib, keep.astype(np.float64),
                                                         logp).to(logp.dtype)
        loss = (1 - label_smoothing) * loss + label_smoothing * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / float(keep.sum())


def cross_entropy_composite(lib, x, target, **kwargs):
    """cross_entropy(x, t) = nll(log_softmax(x, dim=1), t), with label smoothing."""
    return nll_composite(lib, log_softmax_composite(lib, x, 1 if x.ndim > 1 else 0), target,
                         **kwargs)


def sdpa_composite(lib, q, k, v, attn_mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v, scale = 1/sqrt(E); a row that sees no key gives 0."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale
    lq, lk = scores.shape[-2:]
    if is_causal:
        attn_mask = np.tril(np.ones((lq, lk), dtype=bool))
    if attn_mask is not None and getattr(attn_mask, "dtype", None) == np.bool_:
        allowed = np.broadcast_to(attn_mask, scores.shape)
        scores = scores.masked_fill(_as(lib, ~allowed, q), -math.inf)
        seen = allowed.any(-1, keepdims=True)
        weights = softmax_composite(lib, scores.masked_fill(_as(lib, ~seen, q), 0.0), -1)
        weights = weights.masked_fill(_as(lib, ~seen, q), 0.0)
    else:
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax_composite(lib, scores, -1)
    return weights @ v


def mha_composite(lib, q, k, v, w_in, b_in, w_out, b_out, num_heads=2):
    """Project q, k, v (rows of w_in), split E into heads, attend per head, merge, project
    out; the weights are averaged over heads."""
    n, lq, e = q.shape
    d = e // num_heads
    w_q, w_k, w_v = w_in.split(e)
    b_q, b_k, b_v = b_in.split(e)

    def heads(x, w, b):  # (N, L, E) -> (N, H, L, D)
        return _linear_composite(lib, x, w, b).reshape(n, x.shape[1], num_heads,
                                                       d).transpose(1, 2)

    scores = heads(q, w_q, b_q) @ heads(k, w_k, b_k).transpose(-2, -1) / math.sqrt(d)
    weights = softmax_composite(lib, scores, -1)  # (N, H, L, S)
    out = (weights @ heads(v, w_v, b_v)).transpose(1, 2).reshape(n, lq, e)
    return _linear_composite(lib, out, w_out, b_out), weights.mean(1)


def _sequence_first(sample):
    """mha_inputs' batch-first query, key and value as PyTorch's functional form takes them:
    (L, N, E)."""
    arrays_, kwargs = sample
    return tuple(np.swapaxes(a, 0, 1) for a in arrays_[:3]) + tuple(arrays_[3:]), kwargs


def _mha_sequence_first_composite(lib, q, k, v, w_in, b_in, w_out, b_out):
    out, weights = mha_composite(lib, *(t.transpose(0, 1) for t in (q, k, v)), w_in, b_in,
                                 w_out, b_out)
    return out.transpose(0, 1), weights


@st.composite
def mha_inputs(draw):
    """Batch-first query (N, L, 4), key and value (N, S, 4) and the projection parameters
    for 2 heads."""
    n, lq, lk, e = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), 4
    shapes_ = [(n, lq, e), (n, lk, e), (n, lk, e), (3 * e, e), (3 * e,), (e, e), (e,)]
    return tuple(draw(arrays(s, np.float64, -1.5, 1.5)) for s in shapes_), {}


def _pad_ref(np_, x, pad, value=0.0):
    """Constant padding; a negative pad crops."""
    out = x
    for i in range(len(pad) // 2):
        axis = x.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        n = out.shape[axis]
        out = np.take(out, np.arange(max(-left, 0), n - max(-right, 0)), axis=axis)
        widths = [(0, 0)] * x.ndim
        widths[axis] = (max(left, 0), max(right, 0))
        out = np.pad(out, widths, constant_values=value)
    return out


# ------------------------------------------------------------------ strategies

@st.composite
def layer_norm_inputs(draw, weight=True, bias=True):
    """x, and weight/bias of the normalized shape: the last 1 or 2 dims of x."""
    s = draw(shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    k = draw(st.integers(1, min(2, len(s))))
    normalized = tuple(s[-k:])
    tensors = [draw(arrays(s, np.float64))]
    if weight:
        tensors.append(draw(arrays(normalized, np.float64, 0.5, 2.0)))
    if bias:
        tensors.append(draw(arrays(normalized, np.float64)))
    # spread the values: layer norm of a nearly constant row amplifies rounding
    tensors[0] = tensors[0] + 0.37 * np.arange(tensors[0].size).reshape(s) % 1.9
    return tuple(tensors), {"normalized_shape": normalized}


@st.composite
def cross_entropy_inputs(draw, smoothing=True, reduction=True, nd=False):
    """Logits (N, C) or (N, C, d) or (C,), targets in range with some ``ignore_index``."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    shape = draw(st.sampled_from([(n, c), (n, c, 2), (c,)] if nd else [(n, c)]))
    x = draw(arrays(shape, np.float64, -4, 4))
    t_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = draw(arrays(t_shape, np.int64, 0, c - 1))
    ignore = draw(arrays(t_shape, np.bool_)) if t_shape else np.zeros((), bool)
    if ignore.all():  # a mean over no rows is NaN: checked on its own
        ignore = np.zeros_like(ignore)
    target = np.where(ignore, -100, target)
    kwargs = {"target": target}
    if reduction:
        kwargs["reduction"] = draw(st.sampled_from(["mean", "sum", "none"]))
    if smoothing:
        kwargs["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.35]))
    return (x,), kwargs


@st.composite
def sdpa_inputs(draw, masks=True):
    """q (B, Lq, E), k (B, Lk, E), v (B, Lk, Ev) and a mask: none, causal, bool or float."""
    b, lq, lk = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    e, ev = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    q = draw(arrays((b, lq, e), np.float64))
    k = draw(arrays((b, lk, e), np.float64))
    v = draw(arrays((b, lk, ev), np.float64))
    kind = draw(st.sampled_from(["none", "causal", "bool", "scale"] if masks else ["none"]))
    if kind == "causal":
        return (q, k, v), {"is_causal": True}
    if kind == "bool":
        mask = draw(arrays((lq, lk), np.bool_))
        mask[:, 0] = True  # a query that sees no key gives 0 here, NaN in PyTorch
        return (q, k, v), {"attn_mask": mask}
    if kind == "scale":
        return (q, k, v), {"scale": 0.3}
    return (q, k, v), {}


def _sdpa_call(lib, q, k, v, attn_mask=None, **kw):
    if attn_mask is not None:
        attn_mask = _as(lib, attn_mask, q)
    return _F(lib).scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, **kw)


@st.composite
def embedding_inputs(draw):
    """A weight (V, D) and int64 indices into it, repeats included; sometimes a padding row."""
    v, d = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    w = draw(arrays((v, d), np.float64))
    idx = draw(arrays(draw(shapes(min_dims=1, max_dims=2, max_side=4)), np.int64, 0, v - 1))
    padding = draw(st.one_of(st.none(), st.integers(0, v - 1))) if v > 1 else None
    if padding is not None:
        # the padding row gets no gradient by definition, so finite differences (which see
        # it) could never agree: look it up nowhere (tests/test_nn_functional.py checks it)
        idx = np.where(idx == padding, (padding + 1) % v, idx)
    return (w,), {"index": idx, "padding_idx": padding}


def _embedding_composite(lib, w, index, padding_idx=None):
    """embedding(i, W) = W[i]; the padding row gets no gradient."""
    if padding_idx is not None:
        keep = np.ones((w.shape[0], 1))
        keep[padding_idx] = 0.0
        w = w * _as(lib, keep, w) + (w * _as(lib, 1 - keep, w)).detach()
    return w[_as(lib, index, w)]


@st.composite
def pad_inputs(draw):
    """x and a padding tuple for its last 1..ndim dims; negative entries crop."""
    (x,), _ = draw(unary(min_dims=1, max_side=4))
    pads = []
    for axis in range(draw(st.integers(1, x.ndim))):
        n = x.shape[x.ndim - 1 - axis]
        left = draw(st.integers(-(n // 2), 2))
        right = draw(st.integers(-((n + min(left, 0)) // 2), 2))
        pads += [left, right]
    return (x,), {"pad": tuple(pads), "value": draw(st.sampled_from([0.0, 3.0]))}


@st.composite
def mse_inputs(draw):
    s = draw(shapes(max_dims=3, max_side=3))
    return (draw(arrays(s, np.float64)), draw(arrays(s, np.float64))), {
        "reduction": draw(st.sampled_from(["mean", "sum", "none"]))}


@st.composite
def one_hot_inputs(draw):
    idx = draw(arrays(draw(shapes(max_dims=2, max_side=3)), np.int64, 0, 3))
    return (), {"index": idx, "num_classes": draw(st.sampled_from([-1, 4, 6]))}


def _mse_ref(np_, x, y, reduction="mean"):
    sq = (x - y) ** 2
    return {"mean": sq.mean, "sum": sq.sum}.get(reduction, lambda: sq)()


# ------------------------------------------------------------------ layers

def module_call(make):
    """A row's call for the module ``make(lib)``: its tensor arguments are the module's
    inputs and then its parameters (``named_parameters`` order), which replace the module's
    own (``torch.func.functional_call`` on PyTorch)."""

    def call(lib, *tensors):
        module = make(lib)
        names = [name for name, _ in module.named_parameters()]
        n_in = len(tensors) - len(names)
        inputs, params = tensors[:n_in], dict(zip(names, tensors[n_in:]))
        if _is_torch(lib):
            return lib.func.functional_call(module, params, tuple(inputs))
        with parameters_replaced(module, params):
            return module(*inputs)

    return call


def module_inputs(make, *input_shapes, low=-3.0, high=3.0):
    """The module's input arrays (of ``input_shapes``) followed by its parameters' arrays."""
    import tinytorch

    @st.composite
    def draw_sample(draw):
        param_shapes = [tuple(p.shape) for p in make(tinytorch).parameters()]
        xs = [draw(arrays(s, np.float64, low, high)) for s in input_shapes]
        ps = [draw(arrays(s, np.float64, -1.0, 1.0)) for s in param_shapes]
        return tuple(xs + ps), {}

    return draw_sample()


def _layer(name, make, input_shapes, ref, *, kinks=False, **kw):
    strategy = module_inputs(make, *input_shapes)
    if kinks:
        strategy = strategy.map(lambda sample: (tuple(away(a, (0.0,)) for a in sample[0]),
                                                sample[1]))
    return OpInfo(f"nn.{name}", module_call(make), strategy, ref=ref, **kw)


def _linear_composite(lib, x, w, b=None):
    """linear(x) = x W^T + b."""
    y = x @ w.transpose(0, 1)
    return y if b is None else y + b


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 8), nn.GELU("tanh"), nn.LayerNorm(8), nn.Linear(8, 3))


def _mlp_composite(lib, x, w1, b1, ln_w, ln_b, w2, b2):
    h = gelu_tanh_composite(lib, _linear_composite(lib, x, w1, b1))
    return _linear_composite(lib, layer_norm_composite(lib, h, (8,), ln_w, ln_b), w2, b2)


LAYERS = [
    _layer("Linear", lambda lib: lib.nn.Linear(5, 4), [(3, 2, 5)], _linear_composite,
           ref_kind=COMPOSITE, covers=("nn.Linear",)),
    _layer("Linear_no_bias", lambda lib: lib.nn.Linear(5, 4, bias=False), [(3, 5)],
           _linear_composite, ref_kind=COMPOSITE),
    _layer("LayerNorm", lambda lib: lib.nn.LayerNorm(6), [(2, 3, 6)],
           lambda lib, x, w, b: layer_norm_composite(lib, x, (6,), w, b), ref_kind=COMPOSITE,
           covers=("nn.LayerNorm",)),
    _layer("LayerNorm_2d_no_bias", lambda lib: lib.nn.LayerNorm((3, 4), bias=False, eps=1e-3),
           [(2, 3, 4)], lambda lib, x, w: layer_norm_composite(lib, x, (3, 4), w, eps=1e-3),
           ref_kind=COMPOSITE),
    _layer("LayerNorm_no_affine", lambda lib: lib.nn.LayerNorm(4, elementwise_affine=False),
           [(3, 4)], lambda lib, x: layer_norm_composite(lib, x, (4,)), ref_kind=COMPOSITE),
    _layer("GELU", lambda lib: lib.nn.GELU(), [(3, 4)], gelu_ref, covers=("nn.GELU",)),
    _layer("GELU_tanh", lambda lib: lib.nn.GELU("tanh"), [(3, 4)], gelu_tanh_composite,
           ref_kind=COMPOSITE),
    _layer("ReLU", lambda lib: lib.nn.ReLU(), [(3, 4)], lambda np_, x: np.maximum(x, 0),
           kinks=True, covers=("nn.ReLU",)),
    _layer("Tanh", lambda lib: lib.nn.Tanh(), [(3, 4)], lambda np_, x: np.tanh(x),
           covers=("nn.Tanh",)),
    _layer("Sigmoid", lambda lib: lib.nn.Sigmoid(), [(3, 4)],
           lambda np_, x: 1 / (1 + np.exp(-x)), covers=("nn.Sigmoid",)),
    _layer("Softmax", lambda lib: lib.nn.Softmax(dim=0), [(3, 4)],
           lambda lib, x: softmax_composite(lib, x, 0), ref_kind=COMPOSITE,
           covers=("nn.Softmax",)),
    _layer("LogSoftmax", lambda lib: lib.nn.LogSoftmax(-1), [(3, 4)],
           lambda lib, x: log_softmax_composite(lib, x, -1), ref_kind=COMPOSITE,
           covers=("nn.LogSoftmax",)),
    _layer("Identity", lambda lib: lib.nn.Identity(), [(3, 4)], lambda np_, x: x,
           covers=("nn.Identity",)),
    _layer("Dropout_eval", lambda lib: lib.nn.Dropout(0.5).eval(), [(3, 4)], lambda np_, x: x,
           covers=("nn.Dropout",)),
    _layer("MSELoss", lambda lib: lib.nn.MSELoss(), [(3, 4), (3, 4)], _mse_ref,
           covers=("nn.MSELoss",)),
    _layer("MSELoss_sum", lambda lib: lib.nn.MSELoss(reduction="sum"), [(3, 4), (3, 4)],
           lambda np_, x, y: _mse_ref(np_, x, y, "sum")),
    _layer("mlp", _mlp, [(5, 4)], _mlp_composite, ref_kind=COMPOSITE,
           covers=("nn.Sequential",)),
]


# ------------------------------------------------------------------ functional rows

F_ROWS = [
    OpInfo("F.linear", lambda lib, x, w, b: _F(lib).linear(x, w, b),
           fixed(_randn(2, 3, 5, seed=1), _randn(4, 5, seed=2), _randn(4, seed=3)),
           ref=_linear_composite, ref_kind=COMPOSITE, covers=("F.linear",),
           errors=(ErrorInput(lambda lib, d: _F(lib).linear(lib.ones(2, 5, device=d),
                                                            lib.ones(4, 6, device=d)),
                              RuntimeError, r"5 features.*\(4, 6\)", torch_too=True),)),
    OpInfo("F.linear_no_bias", lambda lib, x, w: _F(lib).linear(x, w),
           fixed(_randn(3, 5, seed=1), _randn(4, 5, seed=2)), ref=_linear_composite,
           ref_kind=COMPOSITE),
    OpInfo("F.gelu", lambda lib, x, **kw: _F(lib).gelu(x, **kw),
           unary(low=-4, high=4).flatmap(lambda s: st.sampled_from(
               [{}, {"approximate": "tanh"}]).map(lambda kw: (s[0], kw))),
           ref=gelu_ref, covers=("F.gelu",)),
    OpInfo("F.gelu_tanh", lambda lib, x: _F(lib).gelu(x, approximate="tanh"),
           unary(low=-4, high=4), ref=gelu_tanh_composite, ref_kind=COMPOSITE),
    OpInfo("F.softmax", lambda lib, x, dim: _F(lib).softmax(x, dim=dim),
           with_dim(low=-5, high=5), ref=softmax_composite, ref_kind=COMPOSITE,
           covers=("F.softmax",), assignment=4),
    OpInfo("F.log_softmax", lambda lib, x, dim: _F(lib).log_softmax(x, dim=dim),
           with_dim(low=-5, high=5), ref=log_softmax_composite, ref_kind=COMPOSITE,
           covers=("F.log_softmax",), assignment=4),
    OpInfo("F.layer_norm", lambda lib, x, w, b, normalized_shape: _F(lib).layer_norm(
        x, normalized_shape, w, b), layer_norm_inputs(),
           ref=lambda lib, x, w, b, normalized_shape: layer_norm_composite(
               lib, x, normalized_shape, w, b), ref_kind=COMPOSITE, covers=("F.layer_norm",),
           errors=(ErrorInput(lambda lib, d: _F(lib).layer_norm(lib.ones(2, 3, device=d), (4,)),
                              RuntimeError, "normalized_shape"),), assignment=4),
    OpInfo("F.layer_norm_no_affine", lambda lib, x, normalized_shape: _F(lib).layer_norm(
        x, normalized_shape, eps=1e-3), layer_norm_inputs(weight=False, bias=False),
           ref=lambda lib, x, normalized_shape: layer_norm_composite(lib, x, normalized_shape,
                                                                     eps=1e-3),
           ref_kind=COMPOSITE, assignment=4),
    OpInfo("F.layer_norm_weight_only", lambda lib, x, w, normalized_shape: _F(lib).layer_norm(
        x, normalized_shape, w), layer_norm_inputs(bias=False),
           ref=lambda lib, x, w, normalized_shape: layer_norm_composite(lib, x,
                                                                        normalized_shape, w),
           ref_kind=COMPOSITE, assignment=4),
    OpInfo("F.cross_entropy",
           lambda lib, x, target, **kw: _F(lib).cross_entropy(x, _as(lib, target, x), **kw),
           cross_entropy_inputs(nd=True), ref=cross_entropy_composite, ref_kind=COMPOSITE,
           covers=("F.cross_entropy",),
           errors=(
               ErrorInput(lambda lib, d: _F(lib).cross_entropy(
                   lib.ones(3, 4, device=d), lib.tensor([0, 4, 1], device=d)),
                   IndexError, "target 4 is out of bounds for 4 classes", torch_too=False),
               ErrorInput(lambda lib, d: _F(lib).cross_entropy(
                   lib.ones(3, 4, device=d), lib.tensor([0, 1], device=d)),
                   RuntimeError, r"expects a target of shape \(3,\)", torch_too=False),
               ErrorInput(lambda lib, d: _F(lib).cross_entropy(
                   lib.ones(3, 4, device=d), lib.tensor([0, 1, 2], device=d),
                   reduction="avg"), ValueError, "reduction"),
           ), assignment=4),
    OpInfo("F.cross_entropy_custom_ignore",
           lambda lib, x, target: _F(lib).cross_entropy(x, _as(lib, target, x), ignore_index=2),
           fixed(_randn(4, 5), target=np.array([0, 4, 2, 2])),
           ref=lambda lib, x, target: cross_entropy_composite(lib, x, target, ignore_index=2),
           ref_kind=COMPOSITE, assignment=4),
    OpInfo("F.nll_loss",
           lambda lib, x, target, **kw: _F(lib).nll_loss(x, _as(lib, target, x), **kw),
           cross_entropy_inputs(smoothing=False, nd=True), ref=nll_composite,
           ref_kind=COMPOSITE, covers=("F.nll_loss",),
           errors=(ErrorInput(lambda lib, d: _F(lib).nll_loss(
               lib.ones(3, 4, device=d), lib.tensor([0.0, 1.0, 2.0], device=d)),
               RuntimeError, "integer dtype", torch_too=True),)),
    OpInfo("F.mse_loss", lambda lib, x, y, **kw: _F(lib).mse_loss(x, y, **kw), mse_inputs(),
           ref=_mse_ref, covers=("F.mse_loss",)),
    OpInfo("F.embedding",
           lambda lib, w, index, padding_idx: _F(lib).embedding(_as(lib, index, w), w,
                                                                padding_idx=padding_idx),
           embedding_inputs(), ref=_embedding_composite, ref_kind=COMPOSITE,
           covers=("F.embedding",),
           errors=(ErrorInput(lambda lib, d: _F(lib).embedding(lib.tensor([1, 5], device=d),
                                                               lib.ones(5, 3, device=d)),
                              IndexError, r"index 5 is out of range.*5 rows"),
                   ErrorInput(lambda lib, d: _F(lib).embedding(lib.tensor([1.0], device=d),
                                                               lib.ones(5, 3, device=d)),
                              RuntimeError, "integer dtype")), assignment=4),
    OpInfo("F.scaled_dot_product_attention", _sdpa_call, sdpa_inputs(), ref=sdpa_composite,
           ref_kind=COMPOSITE, covers=("F.scaled_dot_product_attention",),
           errors=(
               ErrorInput(lambda lib, d: _F(lib).scaled_dot_product_attention(
                   lib.ones(2, 3, 4, device=d), lib.ones(2, 3, 5, device=d),
                   lib.ones(2, 3, 4, device=d)), RuntimeError, "do not fit", torch_too=True),
               ErrorInput(lambda lib, d: _F(lib).scaled_dot_product_attention(
                   *(lib.ones(2, 3, 4, device=d),) * 3,
                   attn_mask=lib.ones(2, 2, dtype=lib.bool, device=d)),
                   RuntimeError, "attn_mask of shape"),
           ), assignment=5),
    OpInfo("F.sdpa_float_mask", lambda lib, q, k, v, m: _F(lib).scaled_dot_product_attention(
        q, k, v, attn_mask=m),
           fixed(_randn(2, 3, 4, 5, seed=1), _randn(2, 3, 6, 5, seed=2), _randn(2, 3, 6, 3),
                 _randn(3, 4, 6, seed=6)),
           ref=lambda lib, q, k, v, m: sdpa_composite(lib, q, k, v, m), ref_kind=COMPOSITE,
        assignment=5),
    OpInfo("F.sdpa_broadcast_batch", lambda lib, q, k, v: _F(lib).scaled_dot_product_attention(
        q, k, v), fixed(_randn(2, 3, 4, 5, seed=1), _randn(1, 3, 6, 5, seed=2),
                        _randn(2, 1, 6, 2, seed=3)),
           ref=sdpa_composite, ref_kind=COMPOSITE, assignment=5),
    OpInfo("F.multi_head_attention_forward",
           lambda lib, q, k, v, w_in, b_in, w_out, b_out: _F(lib).multi_head_attention_forward(
               q, k, v, 4, 2, w_in, b_in, None, None, False, 0.0, w_out, b_out),
           mha_inputs().map(_sequence_first), ref=_mha_sequence_first_composite,
           ref_kind=COMPOSITE, covers=("F.multi_head_attention_forward",), assignment=5),
    OpInfo("F.pad", lambda lib, x, pad, value: _F(lib).pad(x, pad, value=value), pad_inputs(),
           ref=_pad_ref, covers=("F.pad",),
           errors=(ErrorInput(lambda lib, d: _F(lib).pad(lib.ones(2, 2, device=d), (1,)),
                              RuntimeError, "divisible by 2", torch_too=False),)),
    OpInfo("F.one_hot", lambda lib, index, num_classes: _F(lib).one_hot(
        lib.tensor(index), num_classes), one_hot_inputs(),
           ref=lambda np_, index, num_classes: (index[..., None] == np.arange(
               index.max(initial=0) + 1 if num_classes == -1 else num_classes)).astype(
                   np.int64), differentiable=False, covers=("F.one_hot",),
           errors=(ErrorInput(lambda lib, d: _F(lib).one_hot(lib.tensor([5]), 3),
                              RuntimeError, "class values must be in", torch_too=True),)),
    OpInfo("F.dropout_identity", lambda lib, x, **kw: _F(lib).dropout(x, **kw),
           unary().flatmap(lambda s: st.sampled_from(
               [{"p": 0.0}, {"p": 0.5, "training": False}]).map(lambda kw: (s[0], kw))),
           ref=lambda np_, x, **kw: x, covers=("F.dropout",),
           errors=(ErrorInput(lambda lib, d: _F(lib).dropout(lib.ones(2, device=d), 1.5),
                              ValueError, "between 0 and 1"),)),
]

op_db = F_ROWS + LAYERS
