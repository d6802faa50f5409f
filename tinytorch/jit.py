"""``tinytorch.jit`` and ``tinytorch.compile``: PyTorch's compilers, as the identity.

tinytorch runs eagerly; there is nothing to compile into. ``compile(model)`` and
``jit.script``/``jit.trace`` return what they were given, so scripts that compile when
PyTorch 2 is present run unchanged (just at eager speed). ``jit.save``/``jit.load`` (a
TorchScript archive) are absent: a script that needs them fails clearly.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "compile", "annotate", "Final"]

Final = Any  # ``x: torch.jit.Final[int]`` annotations in TorchScript-ready modules


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic=None,
            backend="inductor", mode=None, options=None, disable: bool = False):
    """``tinytorch.compile(model)`` returns ``model`` unchanged; ``@compile(...)`` likewise."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError(f"compile: expected a module or a function, got "
                           f"{type(model).__name__}")
    return model


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``jit.script(fn_or_module)``: returns it unchanged (eager execution)."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """``jit.trace(fn_or_module, example_inputs)``: returns ``func`` unchanged (no trace)."""
    return func


def _identity_decorator(drop=None):
    if callable(drop):  # used bare: @jit.ignore
        return drop
    return lambda fn: fn


def ignore(drop=False, **kwargs):
    """``@jit.ignore`` / ``@jit.ignore(drop=True)``: the function, unchanged."""
    return _identity_decorator(drop)


def unused(fn):
    """``@jit.unused``: the function, unchanged."""
    return fn


def export(fn):
    """``@jit.export``: the method, unchanged."""
    return fn


def annotate(the_type, the_value):
    """``jit.annotate(T, value)`` is ``value`` outside TorchScript."""
    return the_value


def is_scripting() -> bool:
    """False: code never runs under TorchScript in tinytorch."""
    return False


def is_tracing() -> bool:
    """False: nothing is traced in tinytorch."""
    return False
