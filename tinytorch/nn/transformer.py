"""The Transformer family with PyTorch's names, defaults and parameter layout.

``Transformer``, ``TransformerEncoder``, ``TransformerDecoder``, ``TransformerEncoderLayer``
and ``TransformerDecoderLayer`` ("Attention Is All You Need", section 3.1). Sequences are
(S, N, E) by default, (N, S, E) with ``batch_first=True``, or unbatched (S, E). State-dict
keys equal PyTorch's (``self_attn.in_proj_weight``, ``linear1.weight``, ``norm1.bias``, ...),
so weights move both ways.
"""

from __future__ import annotations

import copy
from typing import Callable

from .. import creation
from ..tensor import Tensor
from . import functional as F
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer",
           "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees 0..i)."""
    return creation.triu(creation.full((sz, sz), float("-inf"), dtype=dtype, device=device),
                         diagonal=1)


def _activation_fn(activation) -> Callable:
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    if not callable(activation):
        raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation


def _clones(module: Module, n: int) -> ModuleList:
    """n independent deep copies of ``module`` (PyTorch's encoder/decoder stacking)."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _check_sequence(x, name: str, layer: str, d_model: int, batch_first: bool) -> None:
    """Raise a RuntimeError naming the expected layout when ``x`` is not a sequence batch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: {name} must be a Tensor, not {type(x).__name__}")
    layout = "(N, S, " if batch_first else "(S, N, "
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        raise RuntimeError(f"{layer}: expected {name} of shape {layout}{d_model}) or "
                           f"(S, {d_model}) unbatched, got {tuple(x.shape)}")


def _check_padding_mask(mask, x, name: str, layer: str, batch_first: bool) -> None:
    if mask is None:
        return
    if x.ndim == 2:
        want = (x.shape[0],)
    else:
        want = (x.shape[0], x.shape[1]) if batch_first else (x.shape[1], x.shape[0])
    if tuple(mask.shape) != want:
        raise RuntimeError(f"{layer}: expected {name} of shape {want} (batch, sequence), got "
                           f"{tuple(mask.shape)}")


class _TransformerLayer(Module):
    """What both layers hold, in PyTorch's order: self-attention (and, in the decoder,
    attention over the encoder's memory), the feed-forward net, one LayerNorm and one
    dropout per sub-block. ``cross_attention`` (class attribute) says which layer it is."""

    cross_attention = False

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}

        def attention():
            return MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                      batch_first=batch_first, **kw)

        def norm():
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)

        self.self_attn = attention()
        if self.cross_attention:
            self.multihead_attn = attention()
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1, self.norm2 = norm(), norm()
        if self.cross_attention:
            self.norm3 = norm()
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        if self.cross_attention:
            self.dropout3 = Dropout(dropout)
        self.activation = _activation_fn(activation)

    @property
    def batch_first(self) -> bool:
        return self.self_attn.batch_first

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return (self.dropout3 if self.cross_attention else self.dropout2)(x)


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a position-wise feed-forward net, each wrapped in dropout, a
    residual connection and LayerNorm (after, or before with ``norm_first=True``)."""

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        """src (S, N, E) -> (S, N, E); masks as ``MultiheadAttention``'s (True = blocked)."""
        d_model = self.self_attn.embed_dim
        _check_sequence(src, "src", "TransformerEncoderLayer", d_model, self.batch_first)
        _check_padding_mask(src_key_padding_mask, src, "src_key_padding_mask",
                            "TransformerEncoderLayer", self.batch_first)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(_TransformerLayer):
    """Masked self-attention, attention over the encoder's ``memory``, then a feed-forward
    net; each sub-block with dropout, a residual connection and LayerNorm."""

    cross_attention = True

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        """tgt (T, N, E) and memory (S, N, E) -> (T, N, E)."""
        d_model = self.self_attn.embed_dim
        name = "TransformerDecoderLayer"
        _check_sequence(tgt, "tgt", name, d_model, self.batch_first)
        _check_sequence(memory, "memory", name, d_model, self.batch_first)
        _check_padding_mask(tgt_key_padding_mask, tgt, "tgt_key_padding_mask", name,
                            self.batch_first)
        _check_padding_mask(memory_key_padding_mask, memory, "memory_key_padding_mask", name,
                            self.batch_first)
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask,
                                               memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn, then ``norm``."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        # enable_nested_tensor is a PyTorch fast path for padded batches; the result is the
        # same without it, so it is accepted and ignored
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=bool(is_causal),
                         src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn, then ``norm``."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer: ``encoder`` over src makes the memory that
    ``decoder`` attends to while reading tgt. Matrices are re-initialised xavier-uniform."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = F.relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}

        def stack(stack_cls, layer_cls, num_layers):
            """``num_layers`` copies of one layer, then a final LayerNorm."""
            layer = layer_cls(d_model, nhead, dim_feedforward, dropout, activation,
                              layer_norm_eps, batch_first, norm_first, bias, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            return stack_cls(layer, num_layers, norm)

        self.encoder = custom_encoder if custom_encoder is not None else \
            stack(TransformerEncoder, TransformerEncoderLayer, num_encoder_layers)
        self.decoder = custom_decoder if custom_decoder is not None else \
            stack(TransformerDecoder, TransformerDecoderLayer, num_decoder_layers)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """src (S, N, E), tgt (T, N, E) -> (T, N, E) (batch first: (N, S, E), (N, T, E))."""
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError(f"the batch number of src and tgt must be equal (src "
                               f"{tuple(src.shape)}, tgt {tuple(tgt.shape)}, "
                               f"batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"the feature number of src and tgt must be equal to d_model "
                               f"{self.d_model} (src {tuple(src.shape)}, tgt "
                               f"{tuple(tgt.shape)})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above."""
        return generate_square_subsequent_mask(sz, device=device, dtype=dtype)
