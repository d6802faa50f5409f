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
    if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), ()):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match "
                           f"out_features {weight.shape[0]}")
    return nn_ops.Linear.apply(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return elementwise.Relu.apply(input)


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
    """Rows of ``weight`` picked by the integer ``input``: output shape input.shape + (dim,)."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are "
                                  "not supported by tinytorch")
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
    return nn_ops.Embedding.apply(weight, input, padding_idx)


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
    if weight is not None:
        raise NotImplementedError("cross_entropy: class weights are not supported by tinytorch")
    if target.is_floating_point():
        raise NotImplementedError("cross_entropy: class-probability (float) targets are not "
                                  "supported by tinytorch; pass class indices (int64)")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
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
        raise NotImplementedError("nll_loss: class weights are not supported by tinytorch")
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
    """Pad the last len(pad) // 2 dims: pad = (left_last, right_last, left_prev, ...)."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported by tinytorch (only "
                                  f"'constant')")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding {pad} pads {len(pad) // 2} dims but the input has "
                           f"only {input.ndim}")
    return nn_ops.ConstantPad.apply(input, pad, 0 if value is None else value)


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
    try:
        batch = np.broadcast_shapes(q_shape[:-2], k_shape[:-2], v_shape[:-2])
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


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
                                 in_proj_weight: Tensor, in_proj_bias: Tensor | None,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                                 dropout_p: float = 0.0, training: bool = True,
                                 key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    """Multi-head attention on batch-first (N, L, E) query and (N, S, E) key/value.

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
