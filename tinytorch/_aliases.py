"""NumPy's argument names, which PyTorch's argument parser also accepts: ``axis`` for
``dim`` and ``keepdims`` for ``keepdim`` (``x.sum(1, keepdims=True)``, ``x.sort(axis=0)``).

PyTorch's C++-bound functions and Tensor methods take these aliases; its Python-defined
ones (``torch.nn.functional.softmax``...) do not, so only ``Tensor`` methods and the
``tinytorch.*`` functions get them (``add_numpy_aliases``). A wrapped call pays one
``if kwargs`` when given no keywords.
"""

from __future__ import annotations

import functools
import inspect

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def with_numpy_aliases(fn):
    """``fn`` accepting ``axis=``/``keepdims=`` for its ``dim``/``keepdim`` parameters (fn
    itself when it has neither)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    renames = {alias: name for alias, name in _ALIASES if name in params and alias not in params}
    if not renames:
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
        return fn(*args, **kwargs)

    call.__wrapped_numpy_aliases__ = True
    return call


def add_numpy_aliases(owner, names=None) -> None:
    """Wrap the public functions of a class or module (or only ``names``) in place."""
    members = vars(owner)
    for name in list(names if names is not None else members):
        fn = members.get(name)
        if name.startswith("_") or not inspect.isfunction(fn) or \
                getattr(fn, "__wrapped_numpy_aliases__", False):
            continue
        wrapped = with_numpy_aliases(fn)
        if wrapped is not fn:
            setattr(owner, name, wrapped)
