"""``MultiheadAttention`` with PyTorch's parameter names, so its state_dict loads both ways."""

from __future__ import annotations

from .. import creation
from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's ``out_proj`` (a plain Linear)."""


class MultiheadAttention(Module):
    """Attention(Q W_q, K W_k, V W_v) over ``num_heads`` heads, concatenated, then ``out_proj``
    ("Attention Is All You Need", section 3.2.2).

    Parameters as in PyTorch: ``in_proj_weight`` (3E, E) stacks W_q, W_k, W_v (xavier
    uniform), ``in_proj_bias`` (3E,) zeros, ``out_proj`` Linear(E, E) with zero bias.
    Inputs are (L, N, E) or with ``batch_first`` (N, L, E), or unbatched (L, E).
    ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * H, L, S): bool True marks
    a position that may NOT be attended; float masks are added to the scores. A query whose
    keys are all masked gets zeros (PyTorch: NaN).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are "
                                      "not supported by tinytorch")
        if (kdim is not None and kdim != embed_dim) or (vdim is not None and vdim != embed_dim):
            raise NotImplementedError("MultiheadAttention: kdim/vdim different from embed_dim "
                                      "are not supported by tinytorch")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim {embed_dim} must be divisible by num_heads "
                                 f"{num_heads}")
        self.embed_dim = embed_dim
        self.kdim = self.vdim = embed_dim
        self._qkv_same_embed_dim = True
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype,
                                                       device=device))
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype,
                                                         device=device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        """Returns (attn_output, attn_weights); weights are (N, L, S) averaged over heads,
        (N, H, L, S) with ``average_attn_weights=False``, or None without ``need_weights``."""
        if query.ndim not in (2, 3):
            raise RuntimeError(f"MultiheadAttention: query must be 2-D (unbatched) or 3-D, got "
                               f"shape {tuple(query.shape)}")
        unbatched = query.ndim == 2
        same = query is key and key is value
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if same:
            key = value = query
        if query.shape[-1] != self.embed_dim:
            raise RuntimeError(f"MultiheadAttention: expected embed_dim {self.embed_dim} in the "
                               f"query's last dim, got shape {tuple(query.shape)}")
        if key.shape != value.shape or key.shape[0] != query.shape[0]:
            raise RuntimeError(f"MultiheadAttention: key {tuple(key.shape)} and value "
                               f"{tuple(value.shape)} must have the same shape and batch as "
                               f"the query {tuple(query.shape)}")
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.out_proj.weight, self.out_proj.bias, dropout_p=self.dropout,
            training=self.training, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if unbatched:
            out = out.squeeze(0)
            weights = weights.squeeze(0) if weights is not None else None
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self) -> str:
        return ""
