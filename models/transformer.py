"""Shim: the encoder-decoder lives in ``tinytorch.models.transformer``."""

from tinytorch.models.transformer import *  # noqa: F403
