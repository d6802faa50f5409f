"""``tinytorch.nn.functional``: the stateless layer functions, PyTorch's names and meanings.

The hot paths (linear, cross_entropy, layer_norm, gelu, embedding, dropout and
scaled_dot_product_attention) are single fused Functions from ``tinytorch.ops.nn``;
softmax and log_softmax are the ones from ``tinytorch.ops.reduce``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from .._convert import as_array
from ..ops import elementwise, reduce
from ..ops import nn as nn_ops
from ..tensor import Tensor, _dim

__all__ = ["linear", "relu", "gelu", "tanh", "sigmoid", "softmax", "log_softmax", "dropout",
           "layer_norm", "embedding", "cross_entropy", "nll_loss", "mse_loss", "pad",
           "one_hot", "scaled_dot_product_attention", "multi_head_attention_forward"]


def _tensor(x, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    return x


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias, weight of shape (out_features, in_features)."""
    _tensor(input, "input", "linear")
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got "
                           f"shape {tuple(weight.shape)}")
    if input.ndim == 0:
        raise RuntimeError("linear: both arguments to linear need to be at least 1D, but the "
                           "input is 0-D")
    for name, t in (("input", input), ("bias", bias)):
        if t is not None and t.dtype != weight.dtype:  # PyTorch refuses, never promotes
            raise RuntimeError(f"linear: {name} and weight must have the same dtype, but got "
                               f"{t.dtype} and {weight.dtype}")
    if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), ()):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match "
                           f"out_features {weight.shape[0]}")
    return nn_ops.Linear.apply(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); with ``inplace=True`` the result is written into ``input``."""
    out = elementwise.Relu.apply(input)
    return _inplace(input, out) if inplace else out


def tanh(input: Tensor) -> Tensor:
    return elementwise.Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    return elementwise.Sigmoid.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) (``'none'``, exact, with erf) or GPT-2's tanh form (``'tanh'``)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    _tensor(input, "input", "gelu")
    if not input.is_floating_point():
        raise RuntimeError(f"gelu: expected a floating point input, got {input.dtype}")
    return nn_ops.Gelu.apply(input, approximate)


def _softmax_dtype(input, dtype):
    return input if dtype is None else input.to(dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    if dim is None:
        raise TypeError("softmax(): pass dim explicitly (the implicit choice is deprecated "
                        "in PyTorch)")
    input = _softmax_dtype(input, dtype)
    return reduce.Softmax.apply(input, _dim(dim, input.ndim))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    if dim is None:
        raise TypeError("log_softmax(): pass dim explicitly (the implicit choice is "
                        "deprecated in PyTorch)")
    input = _softmax_dtype(input, dtype)
    return reduce.LogSoftmax.apply(input, _dim(dim, input.ndim))


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    return nn_ops.Dropout.apply(input, float(p))


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift."""
    _tensor(input, "input", "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or k > input.ndim:
        raise RuntimeError(f"layer_norm: normalized_shape {list(shape)} does not match the "
                           f"trailing dims of input of shape {tuple(input.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"layer_norm: {name} has shape {tuple(p.shape)}, expected "
                               f"normalized_shape {shape}")
    return nn_ops.LayerNorm.apply(input, weight, bias, k, float(eps))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: output shape input.shape + (dim,).

    ``max_norm``: the rows looked up are first renormalised in place (outside the graph) to
    norm at most max_norm. ``scale_grad_by_freq``: each row's gradient is divided by the
    number of times the row occurs in ``input``.
    """
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by "
                                  "tinytorch")
    if not isinstance(input, Tensor):
        input = Tensor(input, dtype=backend.int64, device=weight.device)
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                           f"got shape {tuple(weight.shape)}")
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"num_embeddings {n}")
        padding_idx %= n
    if max_norm is not None:
        _embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    out = nn_ops.Embedding.apply(weight, input, padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        xp = input._xp
        _, inverse, counts = xp.unique(input._data.reshape(-1), return_inverse=True,
                                       return_counts=True)
        scale = (1.0 / counts[inverse.reshape(-1)]).reshape(tuple(input.shape) + (1,))
        scale = Tensor._make(scale.astype(out._data.dtype))
        # value out, gradient out * scale
        out = out * scale + out.detach() * (1 - scale)
    return out


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float,
                       norm_type: float) -> None:
    """Scale the looked-up rows of ``weight`` whose p-norm exceeds max_norm back to it."""
    xp = weight._xp
    rows = xp.unique(input._data.reshape(-1))
    w = weight._data
    picked = w[rows]
    norms = (xp.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if bool(big.any()):
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] = picked[big] * scale[:, None]


def _target(target, op):
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}(): argument 'target' must be a Tensor, not "
                        f"{type(target).__name__}")
    return target


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    raise NotImplementedError("size_average and reduce are deprecated; use reduction=")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over dim 1 (dim 0 unbatched) and NLL against class indices, in one op.

    ``input`` is (N, C), (N, C, d1, ...) or (C,); ``target`` holds class indices of shape
    (N,), (N, d1, ...) or (). Targets equal to ``ignore_index`` add nothing; with
    ``reduction='mean'`` the loss is averaged over the others.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nn_ops._check_reduction(reduction, "cross_entropy")
    _tensor(input, "input", "cross_entropy")
    target = _target(target, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    if target.is_floating_point():
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if weight is not None:
        return _cross_entropy_weighted(input, target, weight, ignore_index, reduction,
                                       label_smoothing)
    return nn_ops.CrossEntropy.apply(input, target, int(ignore_index), float(label_smoothing),
                                reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (log-probabilities in, class indices as targets)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nn_ops._check_reduction(reduction, "nll_loss")
    _tensor(input, "input", "nll_loss")
    target = _target(target, "nll_loss")
    if weight is not None:
        return _weighted_nll(input, target, weight, int(ignore_index), reduction)
    return nn_ops.NLLLoss.apply(input, target, int(ignore_index), reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    """(input - target)^2, averaged, summed or kept per element."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nn_ops._check_reduction(reduction, "mse_loss")
    if tuple(input.shape) != tuple(target.shape):
        # PyTorch warns and broadcasts; broadcasting a loss is almost always a bug
        try:
            np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except ValueError:
            raise RuntimeError(f"mse_loss: input of shape {tuple(input.shape)} and target of "
                               f"shape {tuple(target.shape)} do not broadcast") from None
    diff = input - target
    sq = diff * diff
    if reduction == "none":
        return sq
    return sq.sum() if reduction == "sum" else sq.mean()


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims: pad = (left_last, right_last, left_prev, ...).

    ``constant`` fills with ``value`` (any number of dims; negative pads crop); ``reflect``
    mirrors without repeating the edge, ``replicate`` repeats the edge, ``circular`` wraps
    around; these three pad the last 1, 2 or 3 dims of an input with one or two more dims.
    """
    _tensor(input, "input", "pad")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    if mode == "constant":
        return nn_ops.ConstantPad.apply(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    from ..ops import padding as _padding

    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor "
            f"(mode {mode!r} pads the last dim of 2D or 3D input with 2 values, the last 2 "
            f"dims of 3D or 4D input with 4, the last 3 dims of 4D or 5D input with 6)")
    widths = []
    for i in range(k):
        axis = input.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = input.shape[axis]
        if n + lo + hi < 0 or (n == 0 and (lo or hi)):
            raise RuntimeError(f"pad: padding {(lo, hi)} of dimension {axis} of input "
                               f"{list(input.shape)} leaves no entries to read")
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding {(lo, hi)} "
                               f"at dimension {axis} of input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"Padding value causes wrapping around more than once: "
                               f"padding {(lo, hi)} at dimension {axis} of input "
                               f"{list(input.shape)}")
        widths.append((axis, (lo, hi)))
    return _padding.IndexPad.apply(input, tuple(widths), mode)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each class index."""
    if tensor.dtype is not backend.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of dtype int64, got "
                           f"{tensor.dtype}")
    idx = tensor._data
    xp = tensor._xp
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from an empty "
                               "tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got values "
                           f"in [{int(idx.min())}, {int(idx.max())}]")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v over (..., L, E) queries and (..., S, E) keys.

    ``attn_mask`` follows PyTorch: a bool mask says which keys take part (True = attend),
    a float mask is added to the scores. ``is_causal`` lets query i see keys 0..i.
    ``scale`` defaults to 1 / sqrt(E). Unlike PyTorch (NaN), a query whose keys are all
    masked out returns zeros and passes no gradient; logits of any finite size are stable.
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    for name, t in (("query", query), ("key", key), ("value", value)):
        _tensor(t, name, "scaled_dot_product_attention")
        if t.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: {name} must have at least 2 "
                               f"dims (..., seq, features), got shape {tuple(t.shape)}")
    q_shape, k_shape, v_shape = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if q_shape[-1] != k_shape[-1] or k_shape[-2] != v_shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query {q_shape}, key {k_shape} and "
                           f"value {v_shape} do not fit (need query[-1] == key[-1] and "
                           f"key[-2] == value[-2])")
    try:  # equal batch dims, the usual case, skip NumPy's broadcast (~15 us a call)
        batch = q_shape[:-2] if q_shape[:-2] == k_shape[:-2] == v_shape[:-2] else \
            np.broadcast_shapes(q_shape[:-2], k_shape[:-2], v_shape[:-2])
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention: batch dims of query {q_shape}, "
                           f"key {k_shape} and value {v_shape} do not broadcast") from None
    n_q, n_k = q_shape[-2], k_shape[-2]
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = Tensor._make(as_array(attn_mask, device=query.device))
        if attn_mask.dtype is not backend.bool_ and attn_mask.dtype != query.dtype:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask must be bool or "
                               f"{query.dtype} like the query, got {attn_mask.dtype}")
        try:
            np.broadcast_shapes(tuple(attn_mask.shape), tuple(batch) + (n_q, n_k))
        except ValueError:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape "
                               f"{tuple(attn_mask.shape)} does not broadcast to the scores' "
                               f"shape {tuple(batch) + (n_q, n_k)}") from None
        if is_causal:
            raise RuntimeError("scaled_dot_product_attention: pass either attn_mask or "
                               "is_causal=True, not both")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1), got "
                         f"{dropout_p}")
    scale = 1 / math.sqrt(q_shape[-1]) if scale is None else float(scale)
    return nn_ops.ScaledDotProductAttention.apply(query, key, value, attn_mask, float(dropout_p),
                                             bool(is_causal), scale, False)


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False):
    """PyTorch's functional multi-head attention: query (L, N, E), key/value (S, N, E), or
    unbatched (L, E) / (S, E); returns (output (L, N, E), weights (N, L, S) averaged over
    heads, (N, H, L, S) with ``average_attn_weights=False``, or None).

    ``bias_k``/``bias_v`` (1, 1, E) append one learned key/value position, ``add_zero_attn``
    one of zeros; ``static_k``/``static_v`` (N * H, S, E / H) replace the projected keys and
    values. Masks as ``nn.MultiheadAttention``'s: True (or -inf) = may NOT attend.
    """
    unbatched = query.ndim == 2
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise RuntimeError(f"multi_head_attention_forward: query, key and value must all be "
                           f"2-D (unbatched) or 3-D (L, N, E), got {tuple(query.shape)}, "
                           f"{tuple(key.shape)} and {tuple(value.shape)}")
    if query.shape[-1] != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {query.shape[-1]}")
    same = query is key and key is value
    # to the batch-first layout the attention below works in: (N, L, E)
    if unbatched:
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    else:
        query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
    if same:
        key = value = query
    plain = (not use_separate_proj_weight and bias_k is None and bias_v is None
             and not add_zero_attn and static_k is None and static_v is None)
    attend = _multi_head_attention if plain else _multi_head_attention_extended
    extra = {} if plain else dict(
        bias_k=bias_k, bias_v=bias_v, add_zero_attn=add_zero_attn, static_k=static_k,
        static_v=static_v, q_proj_weight=q_proj_weight if use_separate_proj_weight else None,
        k_proj_weight=k_proj_weight if use_separate_proj_weight else None,
        v_proj_weight=v_proj_weight if use_separate_proj_weight else None)
    out, weights = attend(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                          out_proj_weight, out_proj_bias, dropout_p, training,
                          key_padding_mask, need_weights, attn_mask, average_attn_weights,
                          is_causal, **extra)
    if unbatched:
        return out.squeeze(0), (weights.squeeze(0) if weights is not None else None)
    return out.transpose(0, 1), weights


def _multi_head_attention(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
                          in_proj_weight: Tensor, in_proj_bias: Tensor | None,
                          out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                          dropout_p: float = 0.0, training: bool = True,
                          key_padding_mask: Tensor | None = None, need_weights: bool = True,
                          attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                          is_causal: bool = False):
    """Multi-head attention on batch-first (N, L, E) query and (N, S, E) key/value, with the
    packed ``in_proj_weight`` (3E, E): the common case, and the course's.

    Masks use PyTorch's MultiheadAttention convention (the opposite of SDPA's bool mask):
    ``key_padding_mask`` (N, S) and a bool ``attn_mask`` (L, S) or (N * H, L, S) mark with
    True the positions that may NOT be attended; float masks are added to the scores.
    Returns (output (N, L, E), weights or None).
    """
    n, n_q, e = query.shape
    n_k = key.shape[1]
    if e % num_heads:
        raise RuntimeError(f"multi_head_attention: embed_dim {e} is not divisible by "
                           f"num_heads {num_heads}")
    d = e // num_heads
    w = in_proj_weight
    b = in_proj_bias
    # BEGIN SOLUTION assignment=5 "multi-head attention: project, split heads, attend, merge"
    if query is key and key is value:
        qkv = linear(query, w, b)
        q, k, v = qkv.split(e, dim=-1)
    else:
        bq, bk, bv = (None, None, None) if b is None else b.split(e)
        wq, wk, wv = w.split(e)
        q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    q = q.reshape(n, n_q, num_heads, d).transpose(1, 2)  # (N, H, L, D)
    k = k.reshape(n, n_k, num_heads, d).transpose(1, 2)  # (N, H, S, D)
    v = v.reshape(n, n_k, num_heads, d).transpose(1, 2)

    mask = _merge_mha_masks(attn_mask, key_padding_mask, n, num_heads, n_q, n_k, query)
    if is_causal and mask is None:
        causal = Tensor._make(query._xp.tril(query._xp.ones((n_q, n_k), dtype=bool)))
        mask = causal
    p = dropout_p if training else 0.0
    out = nn_ops.ScaledDotProductAttention.apply(q, k, v, mask, float(p), False,
                                            1 / math.sqrt(d), need_weights)
    weights = None
    if need_weights:
        out, weights = out
        if average_attn_weights:
            weights = weights.mean(dim=1)
    out = out.transpose(1, 2).reshape(n, n_q, e)
    return linear(out, out_proj_weight, out_proj_bias), weights
    # END SOLUTION


def _multi_head_attention_extended(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                                   out_proj_weight, out_proj_bias, dropout_p, training,
                                   key_padding_mask, need_weights, attn_mask,
                                   average_attn_weights, is_causal, *, bias_k=None, bias_v=None,
                                   add_zero_attn=False, static_k=None, static_v=None,
                                   q_proj_weight=None, k_proj_weight=None, v_proj_weight=None):
    """``_multi_head_attention`` with separate projections (``q/k/v_proj_weight``), learned
    ``bias_k``/``bias_v``, zero attention and static keys/values: the extra key positions
    are appended after projecting, and every mask gets columns that let them be attended."""
    e = query.shape[-1]
    if q_proj_weight is not None:
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        wq, wk, wv = in_proj_weight.split(e)
    bq, bk, bv = (None,) * 3 if in_proj_bias is None else in_proj_bias.split(e)
    heads, d = num_heads, e // num_heads
    q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    n, n_q, n_k = q.shape[0], q.shape[1], k.shape[1]
    if is_causal and attn_mask is None:
        attn_mask = _C.ones(n_q, n_k, dtype=backend.bool_, device=query.device).triu(1)
    if (bias_k is None) != (bias_v is None):
        raise RuntimeError("multi_head_attention_forward: bias_k and bias_v come together")
    if bias_k is not None:
        k = _C.cat([k, bias_k.reshape(1, 1, e).expand(n, 1, e)], 1)
        v = _C.cat([v, bias_v.reshape(1, 1, e).expand(n, 1, e)], 1)
    q = q.reshape(n, n_q, heads, d).transpose(1, 2)  # (N, H, L, D)
    k = k.reshape(n, k.shape[1], heads, d).transpose(1, 2)  # (N, H, S, D)
    v = v.reshape(n, v.shape[1], heads, d).transpose(1, 2)
    if static_k is not None:
        k = static_k.reshape(n, heads, static_k.shape[1], d)
    if static_v is not None:
        v = static_v.reshape(n, heads, static_v.shape[1], d)
    if add_zero_attn:
        zero = _C.zeros(n, heads, 1, d, dtype=k.dtype, device=k.device)
        k, v = _C.cat([k, zero], 2), _C.cat([v, zero], 2)
    added = k.shape[2] - n_k
    if added > 0:
        attn_mask = pad(attn_mask, (0, added)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, added)) \
            if key_padding_mask is not None else None
    mask = _merge_mha_masks(attn_mask, key_padding_mask, n, heads, n_q, k.shape[2], query)
    # from here on as _multi_head_attention: attend per head, merge the heads, project
    attended = nn_ops.ScaledDotProductAttention.apply(
        q, k, v, mask, float(dropout_p if training else 0.0), False, 1 / math.sqrt(d),
        need_weights)
    out, weights = attended if need_weights else (attended, None)
    if need_weights and average_attn_weights:
        weights = weights.mean(dim=1)
    return linear(out.transpose(1, 2).reshape(n, n_q, e), out_proj_weight,
                  out_proj_bias), weights


def _merge_mha_masks(attn_mask, key_padding_mask, n, heads, n_q, n_k, like):
    """MultiheadAttention's 'True = blocked' masks as one SDPA mask (True = attend, or float)."""
    xp = like._xp
    parts = []
    if attn_mask is not None:
        m = attn_mask._data
        if m.ndim == 2:
            if m.shape != (n_q, n_k):
                raise RuntimeError(f"multi_head_attention: 2-D attn_mask must have shape "
                                   f"{(n_q, n_k)}, got {tuple(m.shape)}")
        elif m.ndim == 3:
            if m.shape != (n * heads, n_q, n_k):
                raise RuntimeError(f"multi_head_attention: 3-D attn_mask must have shape "
                                   f"{(n * heads, n_q, n_k)}, got {tuple(m.shape)}")
            m = m.reshape(n, heads, n_q, n_k)
        else:
            raise RuntimeError(f"multi_head_attention: attn_mask must be 2-D or 3-D, got "
                               f"shape {tuple(m.shape)}")
        parts.append(m)
    if key_padding_mask is not None:
        m = key_padding_mask._data
        if m.shape != (n, n_k):
            raise RuntimeError(f"multi_head_attention: key_padding_mask must have shape "
                               f"{(n, n_k)}, got {tuple(m.shape)}")
        parts.append(m.reshape(n, 1, 1, n_k))
    if not parts:
        return None
    if all(p.dtype == np.bool_ for p in parts):
        blocked = parts[0]
        for p in parts[1:]:
            blocked = blocked | p
        return Tensor._make(~blocked)
    dtype = like._data.dtype
    total = None
    for p in parts:
        f = xp.where(p, dtype.type(-np.inf), dtype.type(0)) if p.dtype == np.bool_ \
            else p.astype(dtype)
        total = f if total is None else total + f
    return Tensor._make(total)


# ============================================================================ activations
# Issue 12 part A. Each activation is a short composite of differentiable tensor ops (so its
# gradient comes from ops that are gradchecked one by one); where PyTorch's derivative at a
# kink differs from the composite's, ``where`` picks PyTorch's side.

from .. import creation as _C  # noqa: E402
from ..autograd import grad_mode as _grad_mode  # noqa: E402

__all__ += ["silu", "mish", "leaky_relu", "prelu", "elu", "selu", "celu", "softplus",
            "softsign", "hardtanh", "relu6", "hardswish", "hardsigmoid", "logsigmoid",
            "tanhshrink", "softshrink", "hardshrink", "threshold", "glu", "softmin",
            "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_input(input, op: str) -> Tensor:
    _tensor(input, "input", op)
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    return input


def _inplace(input: Tensor, result: Tensor) -> Tensor:
    """PyTorch's ``inplace=True``: write ``result`` into ``input``'s storage, return input.

    When ``input`` is part of a graph (it requires grad), overwriting it would silently
    corrupt values that backward needs (tinytorch has no version counters), so the result
    is returned out of place and ``input`` is left as it was.
    """
    if input.requires_grad and _grad_mode.is_grad_enabled():
        return result
    return input.copy_(result)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x)."""
    out = _float_input(input, "silu") * input.sigmoid()
    return _inplace(input, out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    bx = _float_input(input, "softplus") * beta
    linear_part = bx > threshold
    # clamping keeps exp finite in the branch ``where`` discards (its 0 * inf would be NaN)
    smooth = (bx.clamp(max=threshold).exp() + 1).log() / beta
    return _C.where(linear_part, input, smooth)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    out = _float_input(input, "mish") * softplus(input).tanh()
    return _inplace(input, out) if inplace else out


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    out = _C.where(_float_input(input, "leaky_relu") > 0, input, input * negative_slope)
    return _inplace(input, out) if inplace else out


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, a_c x elsewhere, with one learned slope per channel (dim 1) or one
    shared slope."""
    _float_input(input, "prelu")
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else input.shape[0] if input.ndim else 1
        if n != channels:
            raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: "
                               f"weight has {n} entries, input of shape "
                               f"{tuple(input.shape)} has {channels} channels")
        shape = [1] * input.ndim
        shape[1 if input.ndim >= 2 else 0] = n
        weight = weight.reshape(*shape)
    else:
        weight = weight.reshape(())
    return _C.where(input > 0, input, input * weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, alpha (exp(x) - 1) elsewhere."""
    neg = (_float_input(input, "elu").clamp(max=0).exp() - 1) * alpha
    out = _C.where(input > 0, input, neg)
    return _inplace(input, out) if inplace else out


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    out = elu(_float_input(input, "selu"), _SELU_ALPHA) * _SELU_SCALE
    return _inplace(input, out) if inplace else out


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu: alpha must not be 0")
    neg = ((_float_input(input, "celu").clamp(max=0) / alpha).exp() - 1) * alpha
    out = _C.where(input > 0, input, neg)
    return _inplace(input, out) if inplace else out


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return _float_input(input, "softsign") / (input.abs() + 1)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 1 strictly inside, 0 on and outside."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} cannot be greater than max_val "
                         f"{max_val}")
    _float_input(input, "hardtanh")
    out = _C.where(input <= min_val, min_val, _C.where(input >= max_val, max_val, input))
    return _inplace(input, out) if inplace else out


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between."""
    _float_input(input, "hardsigmoid")
    out = _C.where(input <= -3, 0.0, _C.where(input >= 3, 1.0, input / 6 + 0.5))
    return _inplace(input, out) if inplace else out


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    _float_input(input, "hardswish")
    out = _C.where(input < -3, 0.0, _C.where(input <= 3, input * (input + 3) / 6, input))
    return _inplace(input, out) if inplace else out


def logsigmoid(input: Tensor) -> Tensor:
    """log(1 / (1 + exp(-x))) = -softplus(-x)."""
    return -softplus(-_float_input(input, "logsigmoid"))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return _float_input(input, "tanhshrink") - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}")
    _float_input(input, "softshrink")
    return _C.where(input > lambd, input - lambd,
                    _C.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    _float_input(input, "hardshrink")
    return _C.where((input > lambd) | (input < -lambd), input, 0.0)


def _thresholded(input: Tensor, limit: float, value: float) -> Tensor:
    _tensor(input, "input", "threshold")
    return _C.where(input > limit, input, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    out = _thresholded(input, threshold, value)
    return _inplace(input, out) if inplace else out


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _inplace(input, _thresholded(input, threshold, value))


def relu_(input: Tensor) -> Tensor:
    """In-place max(x, 0)."""
    return _inplace(input, relu(input))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    _float_input(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dim is None:
        raise TypeError("softmin(): pass dim explicitly (the implicit choice is deprecated in "
                        "PyTorch)")
    return softmax(-_softmax_dtype(input, dtype), dim)


# ================================================================ distances and losses
# Issue 12 part A. Composites of differentiable tensor ops, each following PyTorch's formula
# (including where it clamps and which side of a kink its gradient takes).

__all__ += ["cosine_similarity", "pairwise_distance", "normalize", "l1_loss",
            "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss",
            "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
            "soft_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
            "gaussian_nll_loss", "multi_margin_loss"]


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _loss_args(op: str, reduction: str, size_average, reduce, **tensors) -> str:
    """Check the reduction and that every named argument is a Tensor; return the reduction."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nn_ops._check_reduction(reduction, op)
    for name, t in tensors.items():
        _tensor(t, name, op)
    return reduction


def _same_shape(input: Tensor, target: Tensor, op: str, target_name: str = "target") -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op}: {target_name} size {tuple(target.shape)} must be the same as "
                         f"input size {tuple(input.shape)}")


def _p_norm(x: Tensor, p: float, dim: int, keepdim: bool = False) -> Tensor:
    """(sum |x|^p)^(1/p) along dim (p = inf: max |x|)."""
    if p == float("inf"):
        return x.abs().amax(dim, keepdim=keepdim)
    if p == 2:
        return (x * x).sum(dim, keepdim=keepdim).sqrt()
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    return (x.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps)) along ``dim`` (broadcast first)."""
    _tensor(x1, "x1", "cosine_similarity")
    _tensor(x2, "x2", "cosine_similarity")
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(f"cosine_similarity: x1 of shape {tuple(x1.shape)} and x2 of shape "
                           f"{tuple(x2.shape)} do not broadcast") from None
    d = _dim(dim, len(shape))
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)
    n1 = _p_norm(x1, 2, d, keepdim=True).clamp(min=eps)
    n2 = _p_norm(x2, 2, d, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    _tensor(x1, "x1", "pairwise_distance")
    _tensor(x2, "x2", "pairwise_distance")
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        raise RuntimeError("pairwise_distance: inputs must have at least 1 dimension")
    return _p_norm(diff, p, -1, keepdim=keepdim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported by tinytorch")
    _float_input(input, "normalize")
    return input / _p_norm(input, p, _dim(dim, max(input.ndim, 1)),
                           keepdim=True).clamp(min=eps)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """|input - target|."""
    reduction = _loss_args("l1_loss", reduction, size_average, reduce, input=input,
                           target=target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    reduction = _loss_args("smooth_l1_loss", reduction, size_average, reduce, input=input,
                           target=target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got "
                           f"{beta}")
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    a = d.abs()
    return _reduce(_C.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere."""
    reduction = _loss_args("huber_loss", reduction, None, None, input=input, target=target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got "
                           f"{delta}")
    d = input - target
    a = d.abs()
    loss = _C.where(a <= delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)), each log clamped at -100 as PyTorch."""
    reduction = _loss_args("binary_cross_entropy", reduction, size_average, reduce,
                           input=input, target=target)
    _same_shape(input, target, "binary_cross_entropy", "target")
    x = input._data
    if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           "and 1")
    log_x = input.log().clamp(min=-100)
    log_1mx = (1 - input).log().clamp(min=-100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """-w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), computed stably as
    (1 - y) x + (1 + (p - 1) y) softplus(-x)."""
    reduction = _loss_args("binary_cross_entropy_with_logits", reduction, size_average, reduce,
                           input=input, target=target)
    _same_shape(input, target, "binary_cross_entropy_with_logits", "target")
    softplus_neg = softplus(-input)  # -log sigmoid(x)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target (log target - input) pointwise, input being log-probabilities; ``batchmean``
    divides the sum by the batch size (the true KL divergence per sample)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', "
                         f"got {reduction!r}")
    _tensor(input, "input", "kl_div")
    _tensor(target, "target", "kl_div")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy: 0 log 0 = 0
        positive = target > 0
        safe = _C.where(positive, target, 1.0)
        loss = _C.where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin)."""
    reduction = _loss_args("margin_ranking_loss", reduction, size_average, reduce,
                           input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss: all input tensors should have same "
                           f"dimension but got sizes: input1: {tuple(input1.shape)}, input2: "
                           f"{tuple(input2.shape)}, target: {tuple(target.shape)}")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = _loss_args("hinge_embedding_loss", reduction, size_average, reduce,
                           input=input, target=target)
    margin_part = _C.where(target != 1, (margin - input).clamp(min=0), 0.0)
    self_part = _C.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = _loss_args("cosine_embedding_loss", reduction, size_average, reduce,
                           input1=input1, input2=input2, target=target)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"cosine_embedding_loss: expected input1 and input2 of one shape "
                           f"(N, D) or (D,), got {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)}")
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(f"cosine_embedding_loss: expected target of {input1.ndim - 1} dims "
                           f"for input of shape {tuple(input1.shape)}, got "
                           f"{tuple(target.shape)}")
    eps = 1e-12  # PyTorch's: keeps the denominator of a zero vector's cosine finite
    prod = (input1 * input2).sum(-1)
    mag = ((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)
    cos = prod / mag.sqrt()
    pos = _C.where(target == 1, 1 - cos, 0.0)
    neg = _C.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance; ``swap``
    uses min(d(a, n), d(p, n))."""
    reduction = _loss_args("triplet_margin_loss", reduction, size_average, reduce,
                           anchor=anchor, positive=positive, negative=negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"triplet_margin_loss: the anchor, positive, and negative tensors "
                           f"are expected to have the same number of dimensions, but got: "
                           f"anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x))."""
    reduction = _loss_args("soft_margin_loss", reduction, size_average, reduce, input=input,
                           target=target)
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """-(1/C) sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) per sample."""
    reduction = _loss_args("multilabel_soft_margin_loss", reduction, size_average, reduce,
                           input=input, target=target)
    _same_shape(input, target, "multilabel_soft_margin_loss")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.mean(-1) if input.ndim else loss
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average=None, eps: float = 1e-8,
                     reduce=None, reduction: str = "mean") -> Tensor:
    """exp(x) - y x (``log_input``) or x - y log(x + eps); ``full`` adds Stirling's
    y log y - y + 0.5 log(2 pi y) where y > 1."""
    reduction = _loss_args("poisson_nll_loss", reduction, size_average, reduce, input=input,
                           target=target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = _C.where(big, target, 2.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + _C.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log max(var, eps) + (x - y)^2 / max(var, eps)) (+ 0.5 log 2 pi with ``full``)."""
    reduction = _loss_args("gaussian_nll_loss", reduction, None, None, input=input,
                           target=target)
    if not isinstance(var, Tensor):
        var = _C.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # one variance per sample: homoscedastic
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit "
                             f"input of shape {tuple(input.shape)}")
    if bool((var._data < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    # PyTorch clamps a copy of var without recording it: the gradient passes as if unclamped
    var = var + (var.clamp(min=eps) - var).detach()
    diff = input - target
    loss = (var.log() + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """(1/C) sum_{i != y} max(0, margin - x_y + x_i)^p (times w_y) per sample."""
    reduction = _loss_args("multi_margin_loss", reduction, size_average, reduce, input=input,
                           target=target)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    y = target.reshape(-1)
    if x.ndim != 2 or y.shape[0] != x.shape[0]:
        raise RuntimeError(f"multi_margin_loss: expected input (N, C) or (C,) and target (N,) "
                           f"or (), got {tuple(input.shape)} and {tuple(target.shape)}")
    classes = x.shape[1]
    nn_ops._check_classes(y._data, classes, -10**18, "multi_margin_loss")
    x_y = x.gather(1, y.reshape(-1, 1))
    h = (x - x_y + margin).clamp(min=0)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight[y].reshape(-1, 1)
    not_target = Tensor._make(x._xp.arange(classes)[None, :] != y._data[:, None])
    loss = (h * not_target).sum(1) / classes
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# --------------------------------------------- class weights and probability targets
# Built around the fused CrossEntropy / NLLLoss Functions of ``ops/nn.py``: these paths are
# composites (gather, log_softmax, sums), as PyTorch defines them.


def _check_weight(weight: Tensor, classes: int, op: str) -> None:
    _tensor(weight, "weight", op)
    if tuple(weight.shape) != (classes,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{tuple(weight.shape)}")


def _class_view(t: Tensor) -> tuple:
    """Shape (1, C, 1, ...) that broadcasts a per-class vector over (N, C, d...)."""
    return (-1,) if t.ndim == 1 else (1, -1) + (1,) * (t.ndim - 2)


def _weighted_nll(logp: Tensor, target: Tensor, weight: Tensor, ignore_index: int,
                  reduction: str) -> Tensor:
    """-w[t] logp[t] per element; ``mean`` divides by the sum of the weights it used."""
    classes = logp.shape[1] if logp.ndim > 1 else logp.shape[0]
    _check_weight(weight, classes, "nll_loss")
    nn_ops._class_last(logp._data, target._data, "nll_loss")  # shape check
    valid = nn_ops._check_classes(target._data, classes, ignore_index, "nll_loss")
    xp = logp._xp
    safe = xp.where(valid, target._data, 0)
    class_dim = 1 if logp.ndim > 1 else 0
    picked = logp.gather(class_dim, Tensor._make(xp.expand_dims(safe, class_dim)))
    picked = picked.squeeze(class_dim)
    w = Tensor._make(weight._data[safe] * valid)
    loss = -picked * w
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def _cross_entropy_weighted(input, target, weight, ignore_index, reduction, label_smoothing):
    class_dim = 1 if input.ndim > 1 else 0
    logp = log_softmax(input, class_dim)
    loss = _weighted_nll(logp, target, weight, int(ignore_index), reduction)
    if label_smoothing == 0:
        return loss
    classes = input.shape[class_dim]
    valid = Tensor._make(target._data != ignore_index)
    smooth = -(logp * weight.reshape(*_class_view(input))).sum(class_dim) * valid
    if reduction == "mean":
        xp = input._xp
        safe = xp.where(valid._data, target._data, 0)
        smooth = smooth.sum() / Tensor._make((weight._data[safe] * valid._data).sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    """-sum_c w_c y_c log softmax(x)_c with class-probability targets y of input's shape."""
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"cross_entropy: class-probability targets must have the input's "
                           f"shape {tuple(input.shape)}, got {tuple(target.shape)}")
    class_dim = 1 if input.ndim > 1 else 0
    classes = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = log_softmax(input, class_dim) * target
    if weight is not None:
        _check_weight(weight, classes, "cross_entropy")
        terms = terms * weight.reshape(*_class_view(input))
    if reduction == "none":
        return -terms.sum(class_dim)
    if reduction == "sum":
        return -terms.sum()
    return -terms.sum() / (input.numel() // classes if classes else 1)


# ========================================================================= normalisation
# Issue 12 part A. Batch statistics go through the fused Functions of ``ops/norm.py``;
# normalising with fixed running statistics is a composite of broadcast ops.

from ..ops import norm as _norm  # noqa: E402

__all__ += ["batch_norm", "instance_norm", "group_norm", "rms_norm", "local_response_norm"]


def _channel_param(p, channels: int, name: str, op: str, like: Tensor) -> None:
    if p is not None and p.numel() != channels:
        raise RuntimeError(f"{op}: expected {name} with {channels} elements (one per channel "
                           f"of input of shape {tuple(like.shape)}), got shape "
                           f"{tuple(p.shape)}")


def _checked_channels(input, op: str, expected: str, least_dims: int, **per_channel) -> int:
    """The channel count C = input.shape[1], after checking that ``input`` is a float tensor
    of at least ``least_dims`` dims (``expected`` describes it) and that each given
    per-channel tensor (running statistics, weight, bias) has C elements."""
    _float_input(input, op)
    if input.ndim < least_dims:
        raise ValueError(f"{op}: expected {expected}, got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for name, p in per_channel.items():
        _channel_param(p, channels, name, op, input)
    return channels


def _affine(x: Tensor, weight, bias, shape) -> Tensor:
    if weight is not None:
        x = x * weight.reshape(*shape)
    if bias is not None:
        x = x + bias.reshape(*shape)
    return x


def _update_running(running: Tensor | None, value, momentum: float) -> None:
    """running <- (1 - momentum) running + momentum value, in place and outside the graph."""
    if running is not None:
        data = running._data
        data *= 1 - momentum
        data += momentum * value.astype(data.dtype, copy=False)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and every other dim, then scale by
    ``weight`` and shift by ``bias``. In training the batch's statistics are used and the
    running ones move toward them by ``momentum`` (the variance unbiased); otherwise the
    running statistics are used."""
    channels = _checked_channels(input, "batch_norm", "input of at least 2 dims (N, C, ...)",
                                 2, running_mean=running_mean, running_var=running_var,
                                 weight=weight, bias=bias)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        per_channel = input.numel() // channels if channels else 0
        if per_channel <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"input size {tuple(input.shape)}")
        out, mean, var = _norm.BatchNorm.apply(input, weight, bias, float(eps))
        _update_running(running_mean, mean._data, momentum)
        if running_var is not None:
            unbiased = var._data * (per_channel / (per_channel - 1))
            _update_running(running_var, unbiased, momentum)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when "
                           "training=False")
    scale = (running_var.reshape(*shape) + eps).rsqrt()
    return _affine((input - running_mean.reshape(*shape)) * scale, weight, bias, shape)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (dims 2, ...)."""
    _checked_channels(input, "instance_norm", "input (N, C, *spatial) of at least 3 dims", 3,
                      running_mean=running_mean, running_var=running_var, weight=weight,
                      bias=bias)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum,
                          eps)
    axes = tuple(range(2, input.ndim))
    spatial = int(np.prod(input.shape[2:]))
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{tuple(input.shape)}")
    if running_mean is not None or running_var is not None:
        x = input._data
        _update_running(running_mean, x.mean(axis=axes).mean(axis=0), momentum)
        _update_running(running_var, x.var(axis=axes, ddof=1).mean(axis=0), momentum)
    out = _norm.Standardize.apply(input, axes, float(eps))
    return _affine(out, weight, bias, shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Split the channels into ``num_groups`` groups and normalise each group of each sample
    over its channels and spatial dims; then a per-channel scale and shift."""
    _float_input(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input (N, C, ...) of at least 2 dims, got "
                           f"shape {tuple(input.shape)}")
    n, channels = input.shape[0], input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {tuple(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        _channel_param(p, channels, name, "group_norm", input)
    grouped = input.reshape(n, num_groups, -1)
    out = _norm.Standardize.apply(grouped, (2,), float(eps)).reshape(*input.shape)
    return _affine(out, weight, bias, (1, -1) + (1,) * (input.ndim - 2))


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing ``normalized_shape`` dims, times
    ``weight``; eps defaults to the machine epsilon of the input's dtype."""
    _float_input(input, "rms_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    k = len(shape)
    if k > input.ndim or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"rms_norm: normalized_shape {list(shape)} does not match the "
                           f"trailing dims of input of shape {tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"rms_norm: weight has shape {tuple(weight.shape)}, expected "
                           f"normalized_shape {shape}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha / size * sum of x^2 over ``size`` neighbouring channels)^beta."""
    _float_input(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input "
                         f"(got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    sq = input * input
    # zero-pad the channel dim by size // 2 in front and (size - 1) // 2 behind, then sum
    # each window of ``size`` channels
    pad_spec = (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2)
    padded = pad(sq, pad_spec)
    window = padded.narrow(1, 0, channels)
    for offset in range(1, size):
        window = window + padded.narrow(1, offset, channels)
    div = (window * (alpha / size) + k) ** beta
    return input / div


# ================================================================== layers and dropout
# Issue 12 part A.

__all__ += ["bilinear", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
            "feature_alpha_dropout", "channel_shuffle", "embedding_bag"]


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k, weight of shape (out, in1, in2)."""
    _tensor(input1, "input1", "bilinear")
    _tensor(input2, "input2", "bilinear")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: weight must be 3-D (out, in1, in2), got shape "
                           f"{tuple(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or \
            tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear: input1 {tuple(input1.shape)} and input2 "
                           f"{tuple(input2.shape)} must share their leading dims and end in "
                           f"{in1} and {in2} features (weight {tuple(weight.shape)})")
    # (..., in1) @ (in1, out * in2) -> (..., out, in2), then the dot product with x2
    left = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2))
    left = left.reshape(*input1.shape[:-1], out_f, in2)
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out + bias if bias is not None else out


def _feature_dropout(input: Tensor, p: float, training: bool, batched_dims: int,
                     op: str) -> Tensor:
    """Zero whole channels: one keep/drop draw per (sample, channel)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (batched_dims - 1, batched_dims):
        raise RuntimeError(f"{op}: Expected {batched_dims - 1}D or {batched_dims}D input, but "
                           f"received a {input.ndim}D input of shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    lead = 2 if input.ndim == batched_dims else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    if p == 1:
        return input * 0.0
    keep = nn_ops.keep_mask(shape, p, input._xp, input._data.dtype)  # 0 or 1 / (1 - p)
    return input * Tensor._make(keep)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input; scale the rest by 1 / (1 - p)."""
    return _feature_dropout(input, p, training, 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input."""
    return _feature_dropout(input, p, training, 4, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    return _feature_dropout(input, p, training, 5, "dropout3d")


_ALPHA_PRIME = -_SELU_ALPHA * _SELU_SCALE  # SELU's negative saturation value


def _alpha_dropout(input: Tensor, p: float, training: bool, mask_shape) -> Tensor:
    """Dropped units become SELU's saturation value, then an affine map a x + b restores
    zero mean and unit variance (Klambauer et al., 2017)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = (nn_ops.keep_mask(mask_shape, p, input._xp, input._data.dtype) > 0).astype(
        input._data.dtype)
    a = ((1 - p) * (1 + p * _ALPHA_PRIME ** 2)) ** -0.5
    b = -a * _ALPHA_PRIME * p
    keep_t = Tensor._make(keep)
    return (input * keep_t + _ALPHA_PRIME * (1 - keep_t)) * a + b


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU activations' mean and variance."""
    return _alpha_dropout(_float_input(input, "alpha_dropout"), p, training,
                          tuple(input.shape))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels."""
    _float_input(input, "feature_alpha_dropout")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, shape)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, ...) -> channels regrouped as k groups of g (ShuffleNet)."""
    _tensor(input, "input", "channel_shuffle")
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value "
                           f"of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of the embedding vectors of each bag: the rows of a 2-D ``input``, or
    the slices of a 1-D ``input`` that start at each of ``offsets``. Empty bags give zeros;
    ``padding_idx`` entries are left out of their bag."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported by "
                                  "tinytorch")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    idx = input._data
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as "
                             "input is treated is a mini-batch of fixed length sequences.")
        bags, width = idx.shape
        starts = np.arange(bags) * width
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    elif input.ndim == 1:
        if offsets is None or offsets.ndim != 1:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None"
                             if offsets is None else
                             f"embedding_bag: offsets has to be a 1D Tensor, got shape "
                             f"{tuple(offsets.shape)}")
        starts = np.asarray(backend.to_numpy(offsets._data)).astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        flat, psw = input, per_sample_weights
        if starts.size and (starts[0] != 0 or (np.diff(starts) < 0).any()
                            or starts[-1] > idx.size):
            raise ValueError(f"embedding_bag: offsets must start at 0 and increase within "
                             f"the input's {idx.size} entries, got {starts.tolist()}")
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of "
                         f"dimension {input.ndim}")
    n_flat = int(flat.shape[0])
    ends = np.append(starts[1:], n_flat) if not (input.ndim == 1 and include_last_offset) \
        else np.append(starts[1:], int(backend.to_numpy(offsets._data)[-1]))
    vectors = embedding(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    if psw is not None:
        vectors = vectors * psw.unsqueeze(-1)
    flat_idx = np.asarray(backend.to_numpy(flat._data))
    dim = weight.shape[1]
    zero = _C.zeros(dim, dtype=weight.dtype, device=weight.device)
    out = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        rows = np.arange(s, e)
        if padding_idx is not None:
            rows = rows[flat_idx[s:e] != padding_idx % weight.shape[0]]
        if rows.size == 0:
            out.append(zero)
            continue
        bag = vectors[Tensor._make(vectors._xp.asarray(rows))]
        if mode == "sum":
            out.append(bag.sum(0))
        elif mode == "mean":
            out.append(bag.mean(0))
        else:
            out.append(bag.amax(0))
    if not out:
        return _C.zeros(0, dim, dtype=weight.dtype, device=weight.device)
    return _C.stack(out)


__all__ += ["multilabel_margin_loss"]


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """(1/C) sum over target classes j and non-target classes i of max(0, 1 - (x_j - x_i));
    each row of ``target`` lists class indices, ended by the first -1."""
    reduction = _loss_args("multilabel_margin_loss", reduction, size_average, reduce,
                           input=input, target=target)
    if tuple(input.shape) != tuple(target.shape) or input.ndim not in (1, 2):
        raise RuntimeError(f"multilabel_margin_loss: expected input (N, C) or (C,) and target "
                           f"of the same shape, got {tuple(input.shape)} and "
                           f"{tuple(target.shape)}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target._data.reshape(x.shape)
    xp = input._xp
    classes = x.shape[1]
    # slot j is a target while no -1 came before it in the row
    valid = xp.cumprod(t != -1, axis=1).astype(bool)
    safe = xp.where(valid, t, 0)
    if bool(((safe < 0) | (safe >= classes)).any()):
        raise RuntimeError(f"multilabel_margin_loss: target values must be in [-1, {classes}), "
                           f"got {t.tolist()}")
    is_target = xp.zeros(x.shape, dtype=bool)
    rows = xp.broadcast_to(xp.arange(x.shape[0])[:, None], safe.shape)
    is_target[rows[valid], safe[valid]] = True
    x_j = x.gather(1, Tensor._make(safe))  # (N, C): the score of each listed target
    margins = (1 - x_j.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)  # (N, j, i)
    pairs = Tensor._make((valid[:, :, None] & ~is_target[:, None, :]).astype(x._data.dtype))
    loss = (margins * pairs).sum((1, 2)) / classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- issue 12 part B
# convolution, pooling, resampling, im2col (implemented in functional_spatial.py)
from .functional_spatial import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    interpolate,
    max_pool1d,
    max_pool2d,
    pixel_shuffle,
    pixel_unshuffle,
    unfold,
    upsample,
)

__all__ += ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
            "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
            "upsample", "unfold", "fold", "pixel_shuffle", "pixel_unshuffle"]
