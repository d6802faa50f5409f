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


# ---------------------------------------------------------------------- anomaly detection
_anomaly_enabled = False
_anomaly_check_nan = True


def is_anomaly_enabled() -> bool:
    return _anomaly_enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _anomaly_check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off (immediately, and as a context manager).

    While on, every recorded op keeps the traceback of its forward call; in backward, a
    node whose backward returns NaN raises ``RuntimeError`` naming the op (``check_nan``),
    and any error raised in a backward is preceded by that forward traceback. It makes
    every op slower: use it to debug, not to train.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        global _anomaly_enabled, _anomaly_check_nan
        self.prev = (_anomaly_enabled, _anomaly_check_nan)
        _anomaly_enabled, _anomaly_check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        global _anomaly_enabled, _anomaly_check_nan
        _anomaly_enabled, _anomaly_check_nan = self.prev
        return False


class detect_anomaly:
    """Context manager (and decorator) turning anomaly detection on inside it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        import warnings

        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)
        self.switch = set_detect_anomaly(True, self.check_nan)

    def __exit__(self, *exc):
        self.switch.__exit__()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper
