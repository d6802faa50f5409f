"""The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et al., 2017).

An encoder reads the source sentence into one vector per source position (the
"memory"); a decoder writes the target one token at a time, attending to its own past
(masked self-attention) and to the memory (cross-attention). Shapes: B = batch,
S = source length, T = target length, D = d_model, h = heads, dk = D // h.

Masks follow one convention everywhere, that of ``F.scaled_dot_product_attention``:
a boolean mask is True where a query MAY attend to a key. Masks broadcast against the
attention scores (B, h, T_query, T_key):

    padding_mask(src, pad_id)      (B, 1, 1, S)   True at real source tokens
    causal_mask(T)                 (T, T)         True on and below the diagonal
    target_mask(tgt, pad_id)       (B, 1, T, T)   both combined, for the decoder

Sequences: the decoder reads ``[bos, y1, ..., yn]`` and is trained to predict
``[y1, ..., yn, eos]``; padding (``pad_id``) fills shorter rows. Every source row needs at
least one real token (a query that may attend to nothing has no softmax).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import tinytorch as torch
import tinytorch.nn as nn
import tinytorch.nn.functional as F


@dataclass
class TransformerConfig:
    """The hyper-parameters; the defaults are the paper's base model."""

    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 512
    n_head: int = 8
    n_layer: int = 6  # N: encoder layers, and as many decoder layers
    d_ff: int = 2048
    dropout: float = 0.1
    norm_first: bool = False  # False: post-norm as the paper; True: pre-norm
    share_embeddings: bool = False  # one matrix for both embeddings and the output layer
    max_len: int = 512  # longest sequence the positional encoding table covers
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2


# ----------------------------------------------------------------------------- masks


def padding_mask(tokens, pad_id: int):
    """(B, 1, 1, S) bool: True at real tokens, so no query attends to padding."""
    return (tokens != pad_id).unsqueeze(1).unsqueeze(2)


def causal_mask(size: int, device=None):
    """(size, size) bool: position i may attend to positions 0..i (no look-ahead)."""
    return torch.ones(size, size, dtype=torch.bool, device=device).tril()


def target_mask(tgt, pad_id: int):
    """(B, 1, T, T) bool: the decoder's self-attention mask, causal and padding combined."""
    return padding_mask(tgt, pad_id) & causal_mask(tgt.size(1), device=tgt.device)


# ----------------------------------------------------------------------------- layers


class Embeddings(nn.Module):
    """Token embedding scaled by sqrt(d_model), so it is not drowned by the positions."""

    def __init__(self, vocab_size: int, d_model: int):
        super().__init__()
        self.lut = nn.Embedding(vocab_size, d_model)
        self.scale = math.sqrt(d_model)

    def forward(self, tokens):
        return self.lut(tokens) * self.scale  # (B, T, D)


class PositionalEncoding(nn.Module):
    """Adds the fixed sinusoids PE(pos, 2i) = sin(pos / 10000^(2i/D)), PE(pos, 2i+1) = cos(...)."""

    def __init__(self, d_model: int, dropout: float, max_len: int):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(0, max_len, dtype=torch.float64).unsqueeze(1)  # (max_len, 1)
        inv_freq = (torch.arange(0, d_model, 2, dtype=torch.float64)
                    * (-math.log(10000.0) / d_model)).exp()  # (ceil(D/2),)
        angles = position * inv_freq  # (max_len, ceil(D/2))
        # interleave: even features take the sine, odd ones the cosine
        pe = torch.stack([angles.sin(), angles.cos()], dim=-1).view(max_len, -1)[:, :d_model]
        self.register_buffer("pe", pe.to(torch.get_default_dtype()))

    def forward(self, x):
        if x.size(1) > self.pe.size(0):
            raise ValueError(f"sequence of length {x.size(1)} is longer than the positional "
                             f"encoding's max_len {self.pe.size(0)}")
        return self.dropout(x + self.pe[: x.size(1)].to(x.dtype))


class MultiHeadAttention(nn.Module):
    """h heads of scaled dot-product attention over learned projections, concatenated."""

    def __init__(self, d_model: int, n_head: int, dropout: float):
        super().__init__()
        if d_model % n_head != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_head ({n_head})")
        self.n_head = n_head
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def _split_heads(self, x):
        B, T, D = x.size()
        return x.view(B, T, self.n_head, D // self.n_head).transpose(1, 2)  # (B, h, T, dk)

    def forward(self, query, key, value, mask=None):
        q = self._split_heads(self.q_proj(query))
        k = self._split_heads(self.k_proj(key))
        v = self._split_heads(self.v_proj(value))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        B, _, T, _ = y.size()
        y = y.transpose(1, 2).contiguous().view(B, T, -1)  # (B, T, D): heads side by side
        return self.out_proj(y)


class FeedForward(nn.Module):
    """The position-wise feed-forward network FFN(x) = max(0, x W1 + b1) W2 + b2."""

    def __init__(self, d_model: int, d_ff: int, dropout: float):
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.w_2(self.dropout(F.relu(self.w_1(x))))


class Residual(nn.Module):
    """A sublayer with its residual connection, dropout and LayerNorm.

    Post-norm (the paper): LayerNorm(x + Dropout(sublayer(x))).
    Pre-norm (modern practice, easier to train deep): x + Dropout(sublayer(LayerNorm(x))).
    """

    def __init__(self, d_model: int, dropout: float, norm_first: bool):
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, x, sublayer):
        if self.norm_first:
            return x + self.dropout(sublayer(self.norm(x)))
        return self.norm(x + self.dropout(sublayer(x)))


def _attention(config: TransformerConfig) -> MultiHeadAttention:
    return MultiHeadAttention(config.d_model, config.n_head, config.dropout)


def _feed_forward(config: TransformerConfig) -> FeedForward:
    return FeedForward(config.d_model, config.d_ff, config.dropout)


def _residuals(config: TransformerConfig, count: int) -> nn.ModuleList:
    """The residual connections around a layer's ``count`` sublayers, in order."""
    return nn.ModuleList([Residual(config.d_model, config.dropout, config.norm_first)
                          for _ in range(count)])


class EncoderLayer(nn.Module):
    """Self-attention over the source, then the feed-forward network."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.self_attn = _attention(config)
        self.feed_forward = _feed_forward(config)
        self.sublayer = _residuals(config, 2)

    def forward(self, x, src_mask):
        # BEGIN SOLUTION assignment=8 "EncoderLayer.forward: self-attention, then FFN"
        x = self.sublayer[0](x, lambda y: self.self_attn(y, y, y, src_mask))
        return self.sublayer[1](x, self.feed_forward)
        # END SOLUTION


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention over the memory, then the feed-forward network."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.self_attn = _attention(config)
        self.cross_attn = _attention(config)
        self.feed_forward = _feed_forward(config)
        self.sublayer = _residuals(config, 3)

    def forward(self, x, memory, src_mask, tgt_mask):
        # BEGIN SOLUTION assignment=8 "DecoderLayer.forward: masked self-, cross-attention, FFN"
        x = self.sublayer[0](x, lambda y: self.self_attn(y, y, y, tgt_mask))
        x = self.sublayer[1](x, lambda y: self.cross_attn(y, memory, memory, src_mask))
        return self.sublayer[2](x, self.feed_forward)
        # END SOLUTION


class Stack(nn.Module):
    """N copies of a layer; pre-norm stacks end in a LayerNorm (post-norm ones already do)."""

    def __init__(self, layer: nn.Module, config: TransformerConfig):
        super().__init__()
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(config.n_layer)])
        self.norm = nn.LayerNorm(config.d_model) if config.norm_first else None

    def forward(self, x, *args):
        for layer in self.layers:
            x = layer(x, *args)
        return self.norm(x) if self.norm is not None else x


# ----------------------------------------------------------------------------- model


class Transformer(nn.Module):
    """Encoder-decoder Transformer: (src (B, S), tgt (B, T)) -> logits (B, T, tgt_vocab)."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        if config.share_embeddings and config.src_vocab_size != config.tgt_vocab_size:
            raise ValueError(f"share_embeddings needs one vocabulary, got source "
                             f"{config.src_vocab_size} and target {config.tgt_vocab_size}")
        self.src_embed = Embeddings(config.src_vocab_size, config.d_model)
        self.tgt_embed = Embeddings(config.tgt_vocab_size, config.d_model)
        self.positions = PositionalEncoding(config.d_model, config.dropout, config.max_len)
        self.encoder = Stack(EncoderLayer(config), config)
        self.decoder = Stack(DecoderLayer(config), config)
        self.generator = nn.Linear(config.d_model, config.tgt_vocab_size)

        # Glorot initialisation of every matrix, as the Annotated Transformer does
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        if config.share_embeddings:
            # the paper shares one matrix between both embeddings and the output layer
            self.tgt_embed.lut.weight = self.src_embed.lut.weight
            self.generator.weight = self.src_embed.lut.weight

    def encode(self, src, src_mask=None):
        """The memory (B, S, D): one vector per source position."""
        if src_mask is None:
            src_mask = padding_mask(src, self.config.pad_id)
        return self.encoder(self.positions(self.src_embed(src)), src_mask)

    def decode(self, memory, src_mask, tgt, tgt_mask=None):
        """Logits (B, T, tgt_vocab) of the token after each target position."""
        if tgt_mask is None:
            tgt_mask = target_mask(tgt, self.config.pad_id)
        x = self.decoder(self.positions(self.tgt_embed(tgt)), memory, src_mask, tgt_mask)
        return self.generator(x)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None):
        """Teacher-forced logits (B, T, tgt_vocab); masks default to those from ``pad_id``."""
        if src.dim() != 2 or tgt.dim() != 2 or src.size(0) != tgt.size(0):
            raise ValueError(f"Transformer expects src (B, S) and tgt (B, T) token ids with one "
                             f"batch size, got {tuple(src.shape)} and {tuple(tgt.shape)}")
        if src_mask is None:
            src_mask = padding_mask(src, self.config.pad_id)
        return self.decode(self.encode(src, src_mask), src_mask, tgt, tgt_mask)

    # ------------------------------------------------------------------ decoding
    def greedy_decode(self, src, max_len: int):
        """The likeliest token at every step: (B, 1 + up to max_len) ids starting with bos.

        A row stops at its eos; rows that have stopped are filled with ``pad_id`` until
        every row has stopped or ``max_len`` tokens were produced. Pad and bos are never
        chosen (they are not output tokens), here nor in ``beam_search``.
        """
        c = self.config
        with torch.no_grad():
            src_mask = padding_mask(src, c.pad_id)
            memory = self.encode(src, src_mask)
            ys = torch.full((src.size(0), 1), c.bos_id, dtype=torch.long, device=src.device)
            finished = torch.zeros(src.size(0), dtype=torch.bool, device=src.device)
            # BEGIN SOLUTION assignment=8 "greedy_decode: append the arg-max until all finish"
            for _ in range(max_len):
                logits = self.decode(memory, src_mask, ys)[:, -1, :]  # (B, V)
                logits = logits.masked_fill(self._never_emitted(logits), float("-inf"))
                next_token = logits.argmax(dim=-1).masked_fill(finished, c.pad_id)
                ys = torch.cat([ys, next_token.unsqueeze(1)], dim=1)
                finished = finished | (next_token == c.eos_id)
                if finished.all():
                    break
            # END SOLUTION
        return ys

    def _never_emitted(self, logits):
        """(V,) bool: True at pad and bos, which the decoders never produce as output."""
        never = torch.zeros(logits.size(-1), dtype=torch.bool, device=logits.device)
        never[self.config.pad_id] = True
        never[self.config.bos_id] = True
        return never

    def sequence_log_prob(self, src, ys):
        """log p(ys[1:] | src) (B,), summed up to and including each row's eos.

        ``ys`` starts with bos as the decoders return it; the padding after eos is not
        scored. This is the score beam search maximises (before the length penalty).
        """
        with torch.no_grad():
            logp = F.log_softmax(self(src, ys[:, :-1]), dim=-1)  # (B, T-1, V)
            token_logp = logp.gather(-1, ys[:, 1:].unsqueeze(-1)).squeeze(-1)
            scored = _before_or_at_eos(ys[:, 1:], self.config.eos_id)
            return token_logp.masked_fill(~scored, 0.0).sum(dim=-1)

    def beam_search(self, src, beam_size: int = 4, max_len: int = 50,
                    length_penalty: float = 0.0):
        """Keep the ``beam_size`` best partial translations at every step; return the best.

        A hypothesis' score is its summed token log-probability, divided at the end by the
        length penalty ((5 + length) / 6) ** length_penalty of Wu et al. (2016);
        length_penalty = 0 ranks by log-probability alone. A hypothesis that emits eos
        is finished: it stays in the beam, padded, at its final score. Returns
        (B, 1 + up to max_len) ids starting with bos, like ``greedy_decode``.
        """
        if beam_size < 1:
            raise ValueError(f"beam_size must be at least 1, got {beam_size}")
        c = self.config
        B, K = src.size(0), beam_size
        with torch.no_grad():
            src_mask = padding_mask(src, c.pad_id)
            memory = self.encode(src, src_mask)
            # every beam of a source row reads the same memory: (B * K, S, D)
            memory = memory.unsqueeze(1).expand(B, K, *memory.shape[1:]).reshape(
                B * K, *memory.shape[1:])
            src_mask = src_mask.unsqueeze(1).expand(B, K, *src_mask.shape[1:]).reshape(
                B * K, *src_mask.shape[1:])
            ys = torch.full((B * K, 1), c.bos_id, dtype=torch.long, device=src.device)
            # all beams start as the same empty hypothesis: only beam 0 may expand first
            scores = torch.full((B, K), float("-inf"), device=src.device)
            scores[:, 0] = 0.0
            finished = torch.zeros(B * K, dtype=torch.bool, device=src.device)
            lengths = torch.zeros(B * K, dtype=torch.long, device=src.device)
            # BEGIN SOLUTION assignment=8 "beam_search: keep the K best, then length penalty"
            for _ in range(max_len):
                logp = F.log_softmax(self.decode(memory, src_mask, ys)[:, -1, :], dim=-1)
                logp = logp.masked_fill(self._never_emitted(logp), float("-inf"))
                V = logp.size(-1)
                # a finished hypothesis can only be extended by padding, at no cost
                pad_only = torch.full((V,), float("-inf"), device=src.device)
                pad_only[c.pad_id] = 0.0
                logp = torch.where(finished.unsqueeze(1), pad_only.to(logp.dtype), logp)
                candidates = scores.unsqueeze(-1).to(logp.dtype) + logp.view(B, K, V)
                scores, flat = candidates.view(B, K * V).topk(K, dim=-1)  # (B, K) each
                beam = flat // V  # which hypothesis each survivor extends
                token = flat % V
                rows = (beam + torch.arange(B, device=src.device).unsqueeze(1) * K).view(-1)
                ys = torch.cat([ys[rows], token.view(-1, 1)], dim=1)
                was_finished = finished[rows]
                lengths = lengths[rows] + (~was_finished).long()
                finished = was_finished | (token.view(-1) == c.eos_id)
                if finished.all():
                    break
            penalty = ((5.0 + lengths.view(B, K).to(scores.dtype)) / 6.0) ** length_penalty
            best = (scores / penalty).argmax(dim=-1)  # (B,)
            rows = best + torch.arange(B, device=src.device) * K
            return ys[rows]
            # END SOLUTION


def _before_or_at_eos(tokens, eos_id: int):
    """(B, T) bool: True up to and including each row's first eos (all True without one)."""
    is_eos = (tokens == eos_id).long()
    eos_seen_before = is_eos.cumsum(dim=-1) - is_eos
    return eos_seen_before == 0


# ----------------------------------------------------------------------------- training


class LabelSmoothingLoss(nn.Module):
    """Cross-entropy against a smoothed target: 1 - eps on the true token, eps spread evenly.

    Label smoothing (eps = 0.1 in the paper) hurts perplexity but helps accuracy and
    BLEU: the model is never pushed to infinite confidence. Positions whose target is
    ``ignore_index`` (the padding) do not count.
    """

    def __init__(self, smoothing: float = 0.1, ignore_index: int = 0):
        super().__init__()
        self.smoothing = smoothing
        self.ignore_index = ignore_index

    def forward(self, logits, target):
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1),
                               ignore_index=self.ignore_index,
                               label_smoothing=self.smoothing)


def noam_lr(step: int, d_model: int, warmup: int = 4000, factor: float = 1.0) -> float:
    """The paper's learning rate: factor * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5).

    It rises linearly for ``warmup`` steps, then decays as 1/sqrt(step). Use it as
    ``LambdaLR(optimizer, lambda s: noam_lr(s + 1, d_model, warmup))`` with a base lr of 1.
    """
    step = max(step, 1)
    return factor * d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)
