"""``tinytorch.utils.checkpoint``: activation checkpointing, as plain calls.

PyTorch's ``checkpoint(fn, *args)`` trades compute for memory by recomputing ``fn`` in
backward. tinytorch keeps the activations instead: the result and its gradients are the
same, only the memory saving is absent.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               context_fn=None, determinism_check: str = "default", debug: bool = False,
               preserve_rng_state: bool = True, **kwargs) -> Any:
    """``function(*args, **kwargs)`` (activations are kept, not recomputed)."""
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Run ``functions`` (a ``Sequential`` or a list of modules) one after another on ``input``."""
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for fn in functions:
        input = fn(input)
    return input
