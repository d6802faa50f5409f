"""GPT: a decoder-only Transformer language model (GPT-2's architecture), on tinytorch.

The model reads like nanoGPT's: a token embedding plus a learned position embedding, a
stack of pre-LayerNorm blocks (causal self-attention, then a 4x GELU MLP, each added back
to the residual stream), a final LayerNorm, and a language-model head that shares its
matrix with the token embedding. Shapes are commented where they change, with
B = batch, T = sequence length, C = n_embd, nh = n_head, hs = C // nh.

    from tinytorch import GPT
    model = GPT()                                   # a small default model
    logits, loss = model(idx, targets)              # idx: (B, T) int64 token ids
    out = model.generate(idx, max_new_tokens=100, top_k=10)
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import tinytorch as torch
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch import backend
from tinytorch.autograd.function import UnrecordedContext
from tinytorch.nn import module_hooks
from tinytorch.ops import nn as nn_ops
from tinytorch.tensor import Tensor


@dataclass
class GPTConfig:
    """The hyper-parameters of a GPT. The defaults make a small model (vocab 100)."""

    vocab_size: int = 100
    block_size: int = 64  # longest sequence the position embedding covers
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 32
    dropout: float = 0.0
    bias: bool = True  # biases in the Linear layers and LayerNorms, as GPT-2


class KVCache:
    """The keys and values of every position seen so far, one ``(k, v)`` pair per layer.

    Generation with a cache runs only the new position through the network: its query
    attends to the cached keys and values of the prefix, so a token costs one position
    instead of the whole prefix. Each ``k``/``v`` is (B, nh, T_cached, hs).

    The course's attention extends ``layers[layer]`` with ``torch.cat``, which copies the
    whole prefix at every token. The fast path (``append``, under ``no_grad``) writes the
    new positions in place into a buffer of ``capacity`` positions per layer, as PyTorch's
    static caches do, and ``layers[layer]`` views its filled part. A buffer too small is
    replaced by one twice as long; ``clear`` keeps the buffers for the next positions.
    """

    def __init__(self, n_layer: int, capacity: int | None = None):
        self.layers: list = [None] * n_layer
        self.start = 0  # the index in the full sequence of the first cached position
        self.capacity = capacity  # positions per buffer; None: as many as first needed
        self._buffers: list = [None] * n_layer  # per layer the (k, v) buffers of append
        self._appended: list = [None] * n_layer  # per layer the entry append last stored
        self._plain: tuple | None = None  # (model, whether it may run on arrays)

    def __len__(self) -> int:
        """The number of cached positions."""
        return self.length(0) if self.layers else 0

    def plain_model(self, model) -> bool:
        """``model._plain_inference()``, asked once per model this cache serves (walking
        the modules costs about as much as a token): a hook registered while a cache is in
        use is seen by the next cache (``generate`` makes one per call)."""
        if self._plain is None or self._plain[0] is not model:
            self._plain = (model, model._plain_inference())
        return self._plain[1]

    def length(self, layer: int) -> int:
        """The number of positions cached for ``layer``."""
        cached = self.layers[layer]
        return 0 if cached is None else cached[0].size(2)

    def clear(self, start: int = 0) -> None:
        """Forget every position; the next ones cached start at index ``start``."""
        self.layers = [None] * len(self.layers)
        self.start = start

    def append(self, layer: int, k: Tensor, v: Tensor):
        """Write ``k``, ``v`` (B, nh, T, hs) after the cached positions of ``layer`` in
        place and return all of them, (B, nh, past + T, hs) each: ``torch.cat`` without
        the copy of the prefix. Writes into buffers, so only for tensors outside a graph
        (generation runs under ``no_grad``)."""
        k_new, v_new = k._data, v._data
        B, nh, T, hs = k_new.shape
        cached = self.layers[layer]
        past = 0 if cached is None else cached[0]._data.shape[2]
        if cached is not None and cached[0]._data.shape != (B, nh, past, hs):
            raise RuntimeError(f"KVCache.append: layer {layer} caches keys of shape "
                               f"{tuple(cached[0].shape)}, cannot append keys of shape "
                               f"{tuple(k.shape)}")
        end = past + T
        buffers = self._buffers[layer]
        kb = None if buffers is None else buffers[0]._data
        if kb is None or kb.shape[2] < end or kb.shape[:2] != (B, nh) or kb.shape[3] != hs \
                or kb.dtype != k_new.dtype or buffers[0].device != k.device:
            size = max(self.capacity or 0, end, 0 if kb is None else 2 * kb.shape[2])
            buffers = tuple(torch.empty(B, nh, size, hs, dtype=k.dtype, device=k.device)
                            for _ in range(2))
            self._buffers[layer] = buffers
        elif cached is self._appended[layer]:
            cached = None  # its positions are in the buffers already
        kb, vb = buffers[0]._data, buffers[1]._data
        if cached is not None:  # kept in old buffers, or made by torch.cat: copy it over
            kb[:, :, :past] = cached[0]._data
            vb[:, :, :past] = cached[1]._data
        kb[:, :, past:end] = k_new
        vb[:, :, past:end] = v_new
        entry = (Tensor._make(kb[:, :, :end]), Tensor._make(vb[:, :, :end]))
        self.layers[layer] = self._appended[layer] = entry
        return entry


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees only itself and the past."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd ({config.n_embd}) must be divisible by n_head "
                             f"({config.n_head})")
        # query, key and value projections of all heads in one matrix: one matmul, not three
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout

    def forward(self, x, cache: KVCache | None = None, layer: int = 0):
        if cache is not None and not torch.is_grad_enabled() and backend.use_fast_path(7):
            return self._forward_cached(x, cache, layer)
        # BEGIN SOLUTION assignment=7 "CausalSelfAttention.forward: heads, cache, causal SDPA"
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        # (B, T, C) -> (B, nh, T, hs): every head attends independently
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

        past = 0
        if cache is not None:
            if cache.layers[layer] is not None:
                past_k, past_v = cache.layers[layer]
                past = past_k.size(2)
                k = torch.cat([past_k, k], dim=2)  # (B, nh, past + T, hs)
                v = torch.cat([past_v, v], dim=2)
            cache.layers[layer] = (k, v)

        dropout_p = self.dropout if self.training else 0.0
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        elif T == 1:
            # one new query after the cached prefix: it may see every key, no mask needed
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        else:
            # several new queries: query i sits at position past + i and sees keys <= it
            mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side
        return self.resid_dropout(self.c_proj(y))
        # END SOLUTION

    def _forward_cached(self, x, cache: KVCache, layer: int):
        """The forward above with a cache, outside any graph (generation, under no_grad):
        the same attention, with the heads split and merged as array views rather than
        six view and transpose ops, and the keys and values written into the cache's
        buffers (``KVCache.append``) rather than concatenated. At one token per call the
        ops' fixed costs are most of the time: this halves the attention's op count."""
        y = self._attend_cached(self.c_attn(x)._data, cache, layer)
        return self.resid_dropout(self.c_proj(Tensor._make(y)))

    def _attend_cached(self, qkv, cache: KVCache, layer: int):
        """The heads' attention of ``_forward_cached`` on arrays: the (B, T, 3C) projection
        in, the heads' outputs side by side (B, T, C) out, the new keys and values cached."""
        B, T, C3 = qkv.shape
        C = C3 // 3
        hs = C // self.n_head
        # (B, T, 3C) -> q, k, v, each (B, nh, T, hs): views of one array
        q, k, v = (Tensor._make(a) for a in
                   qkv.reshape(B, T, 3, self.n_head, hs).transpose(2, 0, 3, 1, 4))
        past = cache.length(layer)
        k, v = cache.append(layer, k, v)  # (B, nh, past + T, hs)
        dropout_p = self.dropout if self.training else 0.0
        if T == 1 and dropout_p == 0:  # one query sees every key: the op's forward itself
            y = _forward_of(nn_ops.ScaledDotProductAttention, q._data, k._data, v._data,
                            None, 0.0, False, 1 / math.sqrt(hs), False)
            return y.transpose(0, 2, 1, 3).reshape(B, T, C)
        if T > 1 and past > 0:  # query i sits at position past + i and sees keys <= it
            mask = torch.ones(T, past + T, dtype=torch.bool, device=k.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        else:  # no prefix: causal; one query after a prefix: it sees every key
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=T > 1)
        return y._data.transpose(0, 2, 1, 3).reshape(B, T, C)  # heads side by side


def _forward_of(op, *args):
    """What ``op.apply(*args)`` computes, on arrays and outside any graph: the op's own
    forward, without the Tensors and the bookkeeping around it."""
    return op.forward(UnrecordedContext(op, (False,) * len(args)), *args)


def _array(parameter):
    return None if parameter is None else parameter._data


def _linear_arrays(x, linear):
    """``linear(x)`` on an array."""
    return _forward_of(nn_ops.Linear, x, linear.weight._data, _array(linear.bias))


def _layer_norm_arrays(norm, x):
    """``norm(x)`` on an array (normalized over the last dim)."""
    return _forward_of(nn_ops.LayerNorm, x, _array(norm.weight), _array(norm.bias), 1,
                       norm.eps)


class MLP(nn.Module):
    """The position-wise feed-forward network: expand 4x, GELU (tanh form), project back."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's own GELU, and cheap in NumPy
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One Transformer block: x + attn(ln(x)), then x + mlp(ln(x)) (pre-LayerNorm)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, cache: KVCache | None = None, layer: int = 0):
        # BEGIN SOLUTION assignment=7 "Block.forward: pre-LayerNorm residual attention and MLP"
        x = x + self.attn(self.ln_1(x), cache, layer)
        x = x + self.mlp(self.ln_2(x))
        return x
        # END SOLUTION


class GPT(nn.Module):
    """The GPT language model: token ids (B, T) -> next-token logits (B, T, vocab)."""

    def __init__(self, config: GPTConfig | None = None):
        super().__init__()
        config = config if config is not None else GPTConfig()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # weight tying: the output layer reads logits off the token embedding matrix itself,
        # so the two are one parameter (one gradient sum, one update, saved once)
        self.transformer.wte.weight = self.lm_head.weight

        self.apply(self._init_weights)
        # GPT-2: the residual stream sums 2 * n_layer projections; scaling their initial
        # weights by 1/sqrt(2 n_layer) keeps its variance from growing with depth
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding: bool = True) -> int:
        """The number of parameters (the tied matrix counted once).

        By default the position embedding is left out, as nanoGPT reports it; the token
        embedding stays in because it is also the output layer's weight.
        """
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.transformer.wpe.weight.numel()
        return n

    def forward(self, idx, targets=None, cache: KVCache | None = None):
        """Logits (B, T, vocab) for every position, and the cross-entropy loss if targets.

        ``targets`` (B, T) holds the next token of each position; entries equal to -1 are
        ignored. With a ``cache``, ``idx`` holds only the positions after the cached ones.
        """
        if idx.dim() != 2:
            raise ValueError(f"GPT expects token ids of shape (B, T), got {tuple(idx.shape)}")
        B, T = idx.size()
        past = len(cache) if cache is not None else 0
        if past + T > self.config.block_size:
            raise ValueError(f"cannot forward a sequence of length {past + T}: the block size "
                             f"(longest sequence) is {self.config.block_size}")
        if cache is not None and not torch.is_grad_enabled() and backend.use_fast_path(7) \
                and targets is None and cache.plain_model(self):
            return Tensor._make(self._forward_cached_arrays(idx._data, cache, past)), None
        pos = torch.arange(past, past + T, dtype=torch.long, device=idx.device)  # (T,)

        tok_emb = self.transformer.wte(idx)  # (B, T, C)
        pos_emb = self.transformer.wpe(pos)  # (T, C), broadcast over the batch
        x = self.transformer.drop(tok_emb + pos_emb)
        for layer, block in enumerate(self.transformer.h):
            x = block(x, cache, layer)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, vocab)

        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                   ignore_index=-1)
        return logits, loss

    # ------------------------------------------------------------------ cached inference
    # Generating a token runs one position through the network: some 50 module and op
    # calls on (1, 1, C) arrays, whose fixed costs (Module.__call__, the functional checks,
    # Function.apply) were most of a token's time. Under no_grad with a cache, a model
    # made only of this file's modules, without hooks, runs the same computation on the
    # arrays instead: each op's own forward without Function.apply around it (the same
    # kernels and products), so the logits are those of the module path (tests/test_gpt.py).
    # S dimensions, 500 tokens: see benchmarks/RESULTS.md.

    def _plain_inference(self) -> bool:
        """Whether every submodule is one of this model's own kinds, without hooks, and
        dropout is off: then ``_forward_cached_arrays`` computes what ``forward`` would."""
        if module_hooks.global_forward_pre_hooks or module_hooks.global_forward_hooks:
            return False
        for m in self.modules():
            kind = type(m)
            if kind not in _PLAIN_MODULES or "_has_hooks" in m.__dict__:
                return False
            if kind is nn.Dropout and m.p > 0 and m.training:
                return False
            if kind is nn.GELU and m.approximate != "tanh":
                return False
            if kind is nn.LayerNorm and len(m.normalized_shape) != 1:
                return False
            if kind is nn.Embedding and m.max_norm is not None:
                return False
        return True

    def _forward_cached_arrays(self, idx, cache: KVCache, past: int):
        """``forward``'s logits for token ids ``idx`` (B, T) after ``past`` cached positions,
        computed on arrays (see above)."""
        t = self.transformer
        T = idx.shape[1]
        # the embedding op's forward checks the token ids (a -1 must not wrap around)
        tok = _forward_of(nn_ops.Embedding, t.wte.weight._data, idx, t.wte.padding_idx)
        x = tok + t.wpe.weight._data[past:past + T]  # (B, T, C)
        for layer, block in enumerate(t.h):
            attn, mlp = block.attn, block.mlp
            qkv = _linear_arrays(_layer_norm_arrays(block.ln_1, x), attn.c_attn)
            x = x + _linear_arrays(attn._attend_cached(qkv, cache, layer), attn.c_proj)
            h = _linear_arrays(_layer_norm_arrays(block.ln_2, x), mlp.c_fc)
            x = x + _linear_arrays(_forward_of(nn_ops.Gelu, h, "tanh"), mlp.c_proj)
        return _linear_arrays(_layer_norm_arrays(t.ln_f, x), self.lm_head)

    def configure_optimizers(self, weight_decay: float, learning_rate: float,
                             betas: tuple[float, float] = (0.9, 0.95)):
        """AdamW that decays the matrices (2-D and up) and leaves biases and gains alone.

        Weight decay pulls weights towards zero; that regularises matrices that mix
        features, but would only distort biases and LayerNorm gains. Each parameter
        (the tied embedding once) lands in exactly one group.
        """
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

    # ------------------------------------------------------------------ generation
    def window_start(self, length: int, hop: int | None = None) -> int:
        """Where the context window of a ``length``-token sequence starts.

        Up to ``block_size`` tokens the window is the whole sequence. Past it the window
        slides forward ``hop`` positions at a time (default ``block_size // 4``), so it
        holds between ``block_size - hop + 1`` and ``block_size`` tokens. The position
        embeddings are absolute: when the window moves, every position's embedding and so
        every cached key changes, and the KV cache must be rebuilt. Moving ``hop`` tokens
        at a time rebuilds it once per ``hop`` tokens instead of at every token (``hop=1``
        is nanoGPT's crop to the last ``block_size`` tokens, rebuilt each token).
        """
        block = self.config.block_size
        if length <= block:
            return 0
        hop = max(1, min(block, block // 4 if hop is None else hop))
        return -(-(length - block) // hop) * hop  # the first multiple of hop that fits

    def next_logits(self, idx, cache: KVCache | None = None, hop: int | None = None):
        """Logits (B, vocab) of the token that follows ``idx`` (B, T), from its window.

        The context is ``idx[:, window_start(T, hop):]`` (at most ``block_size`` tokens).
        Without a cache it runs whole through the network; with one, only the positions
        not cached yet do, and the cache is rebuilt from the window when the window
        moves: the logits are exactly those of the uncached path. Runs under no_grad.
        """
        length = idx.size(1)
        start = self.window_start(length, hop)
        with torch.no_grad():
            if cache is None:
                logits, _ = self(idx[:, start:])
                return logits[:, -1, :]
            if cache.start != start or len(cache) > length - start:
                cache.clear(start)
            logits, _ = self(idx[:, start + len(cache):], cache=cache)
            return logits[:, -1, :]

    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None,
                 use_cache: bool = True, hop: int | None = None):
        """Extend ``idx`` (B, T) by ``max_new_tokens`` sampled tokens, returning (B, T + new).

        Past ``block_size`` the context window slides ``hop`` tokens at a time (see
        ``window_start``); cached and uncached generation sample the same tokens.

        ``temperature`` divides the logits (below 1 sharper, above 1 flatter); ``top_k``
        keeps only the k likeliest tokens (0 or None: all of them, as Hugging Face's
        ``generate``); ``top_p`` keeps the smallest set of likeliest
        tokens whose probabilities sum to at least p (nucleus sampling).
        """
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if top_k is not None and top_k < 0:
            raise ValueError(f"top_k must be a positive number of tokens (or 0/None for "
                             f"all), got {top_k}")
        if top_p is not None and not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {top_p}")
        was_training = self.training
        self.eval()
        # buffers for as many positions as the window will hold: allocated once
        capacity = min(self.config.block_size, idx.size(1) + max_new_tokens)
        cache = KVCache(self.config.n_layer, capacity) if use_cache else None
        with torch.no_grad():
            # BEGIN SOLUTION assignment=7 "generate: sample one token at a time"
            for _ in range(max_new_tokens):
                logits = self.next_logits(idx, cache, hop) / temperature  # (B, vocab)
                if top_k:
                    kth = logits.topk(min(top_k, logits.size(-1)), dim=-1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                if top_p is not None:
                    probs = _nucleus(probs, top_p)
                idx_next = torch.multinomial(probs, num_samples=1)  # (B, 1)
                idx = torch.cat([idx, idx_next], dim=1)
            # END SOLUTION
        self.train(was_training)
        return idx

    # ------------------------------------------------------------------ checkpoints
    @classmethod
    def from_pretrained(cls, path: str) -> "GPT":
        """Load a GPT-2 saved in Hugging Face's layout: ``config.json`` + ``model.safetensors``.

        Hugging Face's GPT-2 stores its projections as ``Conv1D`` weights of shape
        (in, out); a Linear keeps (out, in), so those four matrices are transposed.
        """
        from safetensors.numpy import load_file

        with open(os.path.join(path, "config.json")) as f:
            hf = json.load(f)
        activation = hf.get("activation_function", "gelu_new")
        if activation not in ("gelu_new", "gelu_pytorch_tanh"):
            raise ValueError(f"{path}: activation_function {activation!r} is not GPT-2's "
                             f"tanh GELU ('gelu_new'), which this GPT uses")
        config = GPTConfig(vocab_size=hf["vocab_size"], block_size=hf["n_positions"],
                           n_layer=hf["n_layer"], n_head=hf["n_head"], n_embd=hf["n_embd"])
        model = cls(config)

        tensors = load_file(os.path.join(path, "model.safetensors"))
        # GPT2LMHeadModel prefixes names with "transformer.", a bare GPT2Model does not
        weights = {(k if k.startswith(("transformer.", "lm_head.")) else "transformer." + k): v
                   for k, v in tensors.items()}
        conv1d = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
                  "mlp.c_proj.weight")
        own = model.state_dict()
        missing = [k for k in own if k not in weights and k != "lm_head.weight"]
        if missing:
            raise KeyError(f"{path}: model.safetensors lacks {missing[:5]}"
                           f"{' ...' if len(missing) > 5 else ''}")
        with torch.no_grad():
            for name, param in model.named_parameters():
                key = name if name in weights else "transformer.wte.weight"  # tied lm_head
                array = weights[key]
                if name.endswith(conv1d):
                    array = array.T
                if tuple(array.shape) != tuple(param.shape):
                    raise ValueError(f"{path}: {key} has shape {tuple(array.shape)}, the model "
                                     f"expects {tuple(param.shape)}")
                param.copy_(torch.tensor(array.copy(), dtype=param.dtype))
        return model


def _nucleus(probs, top_p: float):
    """Zero all but the smallest set of likeliest tokens holding ``top_p`` of the mass."""
    sorted_probs, _ = probs.sort(dim=-1, descending=True)
    # a token is kept while the mass of the likelier ones is still below p, so the
    # likeliest token always survives; the last kept probability is the cut-off
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    n_kept = (mass_before < top_p).sum(dim=-1, keepdim=True)  # (B, 1), at least 1
    cutoff = sorted_probs.gather(-1, n_kept - 1)
    kept = probs.masked_fill(probs < cutoff, 0.0)
    return kept / kept.sum(dim=-1, keepdim=True)


# the modules ``GPT._forward_cached_arrays`` knows how to run on arrays
_PLAIN_MODULES = (GPT, Block, CausalSelfAttention, MLP, nn.ModuleDict, nn.ModuleList,
                  nn.Embedding, nn.Dropout, nn.LayerNorm, nn.Linear, nn.GELU)
