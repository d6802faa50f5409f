"""``finfo``/``iinfo``: the numeric limits of a dtype, with PyTorch's attribute names."""

from __future__ import annotations

import numpy as np

from . import backend

__all__ = ["finfo", "iinfo"]


class finfo:
    """Limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``
    (= ``smallest_normal``) and ``resolution``; ``finfo()`` is the default dtype's."""

    def __init__(self, type=None):
        d = backend.get_default_dtype() if type is None else backend.to_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"finfo: {d} is not a floating point dtype (use iinfo)")
        if d.name == "bfloat16":  # no NumPy type: bfloat16's published limits
            self.bits, self.eps, self.max = 16, 2.0 ** -7, 3.3895313892515355e38
            self.tiny, self.resolution = 1.1754943508222875e-38, 0.01
        else:
            info = np.finfo(d.np)
            self.bits, self.eps, self.max = info.bits, float(info.eps), float(info.max)
            self.tiny, self.resolution = float(info.smallest_normal), float(info.resolution)
        self.min = -self.max
        self.smallest_normal = self.tiny
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer (or bool) dtype: ``bits``, ``max``, ``min``."""

    def __init__(self, type):
        d = backend.to_dtype(type)
        if d.is_floating_point:
            raise TypeError(f"iinfo: {d} is a floating point dtype (use finfo)")
        if d.name == "bool":
            self.bits, self.min, self.max = 8, 0, 1
        else:
            info = np.iinfo(d.np)
            self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
