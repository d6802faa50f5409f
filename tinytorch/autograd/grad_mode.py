"""Switches for recording the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a decorator, like PyTorch's.
"""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


class set_grad_enabled:
    """Turn graph recording on or off; restores the previous state on exit."""

    def __init__(self, mode: bool = True):
        global _enabled
        self.prev = _enabled
        self.mode = bool(mode)
        _enabled = self.mode  # takes effect immediately, as in PyTorch

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode
        self.__exit__()  # as a decorator, the constructor's switch must not leak out

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _GradModeContext:
    mode = True

    def __enter__(self):
        global _enabled
        self.prev = _enabled
        _enabled = self.mode

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Inside it, ops record no graph: outputs have ``requires_grad=False`` and save nothing."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a ``no_grad`` region."""

    mode = True


class inference_mode(no_grad):
    """Alias of ``no_grad`` (tinytorch has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode
