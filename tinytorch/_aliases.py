"""What PyTorch's argument parser accepts beyond each function's own parameters:

- NumPy's names ``axis`` for ``dim`` and ``keepdims`` for ``keepdim``
  (``x.sum(1, keepdims=True)``, ``x.sort(axis=0)``), on ``Tensor`` methods and the
  ``tinytorch.*`` functions;
- ``out=`` on the ``tinytorch.*`` functions (``torch.matmul(a, b, out=c)``): the result is
  written into the given tensor (resized, with PyTorch's warning, when its shape differs),
  which is returned; outside autograd only, as in PyTorch.

PyTorch's Python-defined functions (``torch.nn.functional.softmax``...) take neither, so
only ``Tensor`` and the ``tinytorch`` module get them (``add_numpy_aliases``). A wrapped
call pays one ``if kwargs`` when given no keywords.
"""

from __future__ import annotations

import functools
import inspect
import warnings

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def with_numpy_aliases(fn, out: bool = False):
    """``fn`` accepting ``axis=``/``keepdims=`` for its ``dim``/``keepdim`` parameters, and
    ``out=`` when ``out`` is set and ``fn`` has no such parameter (fn itself when none
    applies)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    renames = {alias: name for alias, name in _ALIASES if name in params and alias not in params}
    takes_out = out and "out" not in params and not any(
        p.kind is p.VAR_KEYWORD for p in params.values())
    if not renames and not takes_out:
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs:
            for alias, name in renames.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {name!r} and its alias "
                                        f"{alias!r}")
                    kwargs[name] = kwargs.pop(alias)
            if takes_out and "out" in kwargs:
                target = kwargs.pop("out")
                if target is not None:
                    return write_out(fn.__name__, fn(*args, **kwargs), target, args)
        return fn(*args, **kwargs)

    call.__wrapped_numpy_aliases__ = True
    return call


def write_out(name: str, result, out, args=()):
    """Copy ``result`` (a Tensor or a tuple of them) into ``out`` and return ``out``, with
    PyTorch's rules: no autograd, a dtype the result can be cast to, and a resize (with a
    warning unless ``out`` was empty) when the shapes differ."""
    from . import backend
    from .autograd import grad_mode
    from .tensor import Tensor

    results = result if isinstance(result, tuple) else (result,)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    if len(outs) != len(results) or not all(isinstance(t, Tensor) for t in (*outs, *results)):
        raise TypeError(f"{name}(): out= must be {'a tuple of ' if len(results) > 1 else 'a '}"
                        f"{len(results)} Tensor{'s' if len(results) > 1 else ''} matching what "
                        f"{name} returns")
    if grad_mode.is_grad_enabled() and any(
            t.requires_grad for t in (*outs, *results, *(a for a in args
                                                          if isinstance(a, Tensor)))):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           f"automatic differentiation, but one of the arguments requires "
                           f"grad.")
    for target, value in zip(outs, results):
        data = value._data
        if data.dtype != target._data.dtype:
            if not backend.can_cast(backend.dtype_of(data), target.dtype):
                raise RuntimeError(f"result type {backend.dtype_of(data)} can't be cast to "
                                   f"the desired output type {target.dtype}")
            data = data.astype(target._data.dtype)
        if tuple(target.shape) != tuple(data.shape):
            if target.numel() != 0:
                warnings.warn(f"An output with one or more elements was resized since it had "
                              f"shape {list(target.shape)}, which does not match the required "
                              f"output shape {list(data.shape)}.", UserWarning, stacklevel=3)
            target._data = target._xp.empty(data.shape, dtype=target._data.dtype)
        target._data[...] = data
        target._bump_version()
    if not isinstance(result, tuple):
        return out
    # the same kind of result, holding the out tensors: (values, indices) with .values...
    return tuple(outs) if type(result) is tuple else type(result)(*outs)


def add_numpy_aliases(owner, names=None, out: bool = False) -> None:
    """Wrap the public functions of a class or module (or only ``names``) in place; with
    ``out``, functions without an ``out`` parameter also take ``out=``."""
    members = vars(owner)
    for name in list(names if names is not None else members):
        fn = members.get(name)
        if name.startswith("_") or not inspect.isfunction(fn) or \
                getattr(fn, "__wrapped_numpy_aliases__", False):
            continue
        wrapped = with_numpy_aliases(fn, out=out)
        if wrapped is not fn:
            setattr(owner, name, wrapped)
