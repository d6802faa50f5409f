"""The two architectures the course teaches, written with tinytorch's public API only.

- ``tinytorch.models.gpt``: ``GPTConfig``, ``GPT`` (decoder-only language model, KV-cache
  generation, GPT-2 checkpoint loading). Also reachable as ``from tinytorch import GPT``.
- ``tinytorch.models.transformer``: the encoder-decoder of "Attention Is All You Need", its
  mask helpers, greedy and beam decoding, label smoothing and the warm-up learning rate.
"""

from .gpt import GPT, GPTConfig, KVCache
from .transformer import (
                          LabelSmoothingLoss,
                          Transformer,
                          TransformerConfig,
                          causal_mask,
                          noam_lr,
                          padding_mask,
                          target_mask,
)

__all__ = ["GPT", "GPTConfig", "KVCache", "LabelSmoothingLoss", "Transformer",
           "TransformerConfig", "causal_mask", "noam_lr", "padding_mask", "target_mask"]
