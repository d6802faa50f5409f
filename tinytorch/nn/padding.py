"""Padding layers: ``F.pad`` with a fixed padding and mode, as modules.

``padding`` is an int (the same on every side of the last ``n`` dims) or a tuple of
``2 n`` ints ``(left_last, right_last, left_prev, right_prev, ...)``, as ``F.pad`` takes it.
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """Pads the last ``n_dims`` dims with ``mode`` (and ``value`` for 'constant')."""

    n_dims = 1
    mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.n_dims)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self.n_dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or "
                             f"{2 * self.n_dims} ints, got {padding}")
        self.padding, self.value = padding, float(value)

    def forward(self, input):
        if self.mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        if self.mode == "constant" and not type(self).__name__.startswith("Zero"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _pad_layer(name: str, n_dims: int, mode: str, doc: str):
    if mode == "constant":
        def __init__(self, padding, value: float = 0.0 if name.startswith("Zero") else None):
            if value is None:
                raise TypeError(f"{name}.__init__() missing 1 required positional argument: "
                                f"'value'")
            _PadNd.__init__(self, padding, value)
    else:
        def __init__(self, padding):
            _PadNd.__init__(self, padding)
    return type(name, (_PadNd,), {"n_dims": n_dims, "mode": mode, "__init__": __init__,
                                  "__doc__": doc, "__module__": __name__})


ZeroPad1d = _pad_layer("ZeroPad1d", 1, "constant", "Pads the last dim with zeros.")
ZeroPad2d = _pad_layer("ZeroPad2d", 2, "constant", "Pads the last 2 dims with zeros.")
ZeroPad3d = _pad_layer("ZeroPad3d", 3, "constant", "Pads the last 3 dims with zeros.")
ConstantPad1d = _pad_layer("ConstantPad1d", 1, "constant", "Pads the last dim with a value.")
ConstantPad2d = _pad_layer("ConstantPad2d", 2, "constant", "Pads the last 2 dims with a value.")
ConstantPad3d = _pad_layer("ConstantPad3d", 3, "constant", "Pads the last 3 dims with a value.")
ReflectionPad1d = _pad_layer("ReflectionPad1d", 1, "reflect",
                             "Pads the last dim with its mirror image (edge not repeated).")
ReflectionPad2d = _pad_layer("ReflectionPad2d", 2, "reflect",
                             "Pads the last 2 dims with their mirror image.")
ReflectionPad3d = _pad_layer("ReflectionPad3d", 3, "reflect",
                             "Pads the last 3 dims with their mirror image.")
ReplicationPad1d = _pad_layer("ReplicationPad1d", 1, "replicate",
                              "Pads the last dim by repeating its edge values.")
ReplicationPad2d = _pad_layer("ReplicationPad2d", 2, "replicate",
                              "Pads the last 2 dims by repeating their edge values.")
ReplicationPad3d = _pad_layer("ReplicationPad3d", 3, "replicate",
                              "Pads the last 3 dims by repeating their edge values.")
CircularPad1d = _pad_layer("CircularPad1d", 1, "circular", "Pads the last dim by wrapping.")
CircularPad2d = _pad_layer("CircularPad2d", 2, "circular", "Pads the last 2 dims by wrapping.")
CircularPad3d = _pad_layer("CircularPad3d", 3, "circular", "Pads the last 3 dims by wrapping.")
