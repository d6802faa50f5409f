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
    uniform), or with ``kdim``/``vdim`` different from E the separate ``q_proj_weight``
    (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E,)
    zeros; ``out_proj`` Linear(E, E) with zero bias; with ``add_bias_kv`` the learned
    ``bias_k``/``bias_v`` (1, 1, E) appended to the keys and values, and with
    ``add_zero_attn`` a zero key and value appended to each head.
    Inputs are (L, N, E) or with ``batch_first`` (N, L, E), or unbatched (L, E).
    ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * H, L, S): bool True marks
    a position that may NOT be attended; float masks are added to the scores. A query whose
    keys are all masked gets zeros (PyTorch: NaN).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim {embed_dim} must be divisible by num_heads "
                                 f"{num_heads}")
        kw = {"dtype": dtype, "device": device}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

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
        if key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise RuntimeError(f"MultiheadAttention: expected key features {self.kdim} and "
                               f"value features {self.vdim}, got key {tuple(key.shape)} and "
                               f"value {tuple(value.shape)}")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise RuntimeError(f"MultiheadAttention: key {tuple(key.shape)} and value "
                               f"{tuple(value.shape)} must have the same batch and length, "
                               f"and the batch of the query {tuple(query.shape)}")
        separate = not self._qkv_same_embed_dim
        attend = F._multi_head_attention_extended if (
            separate or self.bias_k is not None or self.add_zero_attn) \
            else F._multi_head_attention
        extra = {} if attend is F._multi_head_attention else dict(
            bias_k=self.bias_k, bias_v=self.bias_v, add_zero_attn=self.add_zero_attn,
            q_proj_weight=self.q_proj_weight if separate else None,
            k_proj_weight=self.k_proj_weight if separate else None,
            v_proj_weight=self.v_proj_weight if separate else None)
        out, weights = attend(query, key, value, self.num_heads, self.in_proj_weight,
                              self.in_proj_bias, self.out_proj.weight, self.out_proj.bias,
                              self.dropout, self.training, key_padding_mask, need_weights,
                              attn_mask, average_attn_weights, is_causal, **extra)
        if unbatched:
            out = out.squeeze(0)
            weights = weights.squeeze(0) if weights is not None else None
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self) -> str:
        return ""
