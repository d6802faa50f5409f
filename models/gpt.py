"""Shim: the GPT lives in ``tinytorch.models.gpt``."""

from tinytorch.models.gpt import *  # noqa: F403
from tinytorch.models.gpt import GPT, GPTConfig, KVCache  # noqa: F401
