"""``tinytorch.amp``: ``autocast`` and ``GradScaler`` with PyTorch's names and arguments.

tinytorch has no mixed-precision kernels: every op computes in the dtype of its inputs.
So ``autocast`` is a context manager (and decorator) that checks its arguments as PyTorch
does and then changes nothing: a request to compute in ``float32`` (or ``enabled=False``)
is exactly PyTorch's meaning; a request for ``bfloat16`` or ``float16`` warns once per
device and dtype and the block computes in float32 (slower than PyTorch's half precision,
never less accurate). ``GradScaler`` is a real loss scaler (``scale``, ``unscale_``,
``step`` skipping steps with inf/NaN gradients, ``update`` growing and backing off the
scale, ``state_dict``); like PyTorch's, a scaler for ``'cuda'`` on a machine without a GPU
warns and disables itself, and a disabled scaler passes everything through.
"""

from __future__ import annotations

import functools
import math
import warnings

from . import backend
from .autograd import no_grad

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]

_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "hpu", "meta")
_DEFAULT_DTYPES = {"cpu": "bfloat16", "cuda": "float16"}
_warned: set[tuple[str, str]] = set()
_enabled_stack: list[bool] = []


def is_autocast_available(device_type: str) -> bool:
    """True for ``'cpu'`` and ``'cuda'``, the device types ``autocast`` accepts."""
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled ``autocast`` block is active (it still computes in float32)."""
    return bool(_enabled_stack and _enabled_stack[-1])


class autocast:
    """``with autocast(device_type, dtype=None, enabled=True):`` a no-op region (see module).

    ``device_type`` is a string such as ``'cpu'`` or ``'cuda'``; ``dtype`` defaults to
    bfloat16 on the CPU and float16 on CUDA, as in PyTorch. Usable as a decorator.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected device_type of type str, got "
                             f"{type(device_type).__name__} (e.g. 'cpu' or 'cuda')")
        kind = device_type.partition(":")[0]
        if kind not in _DEVICE_TYPES:
            raise RuntimeError(f"autocast: unknown device_type {device_type!r}; expected one "
                               f"of {', '.join(_DEVICE_TYPES)}")
        self.device = kind
        if dtype is None:
            dtype = _DEFAULT_DTYPES.get(kind, "float16")
        # by name: bfloat16 is a dtype tinytorch can name but not store
        self.dtype_name = str(getattr(dtype, "name", dtype)).removeprefix("torch.")
        if self.dtype_name not in ("float32", "float64", "float16", "bfloat16"):
            raise RuntimeError(f"autocast: expected a floating dtype such as bfloat16 or "
                               f"float16, got {dtype}")
        self.fast_dtype = dtype
        self._enabled = bool(enabled)

    def __enter__(self):
        if self._enabled and self.dtype_name in ("bfloat16", "float16"):
            key = (self.device, self.dtype_name)
            if key not in _warned:
                _warned.add(key)
                warnings.warn(f"autocast({self.device!r}, dtype={self.dtype_name}): tinytorch "
                              f"has no mixed-precision kernels; the block computes in float32",
                              UserWarning, stacklevel=2)
        _enabled_stack.append(self._enabled)
        return self

    def __exit__(self, *exc) -> bool:
        _enabled_stack.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """A decorator for ``Function.forward`` under autocast: returns ``fwd`` unchanged."""
    if fwd is None:
        return lambda f: f
    return fwd


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """A decorator for ``Function.backward`` under autocast: returns ``bwd`` unchanged."""
    if bwd is None:
        return lambda f: f
    return bwd


class GradScaler:
    """Dynamic loss scaling: ``scaler.scale(loss).backward(); scaler.step(opt); scaler.update()``.

    ``scale(x) = x * S``; ``unscale_`` multiplies every gradient by ``1/S`` and records
    whether any is inf/NaN; ``step`` skips the optimizer step when one was; ``update``
    halves ``S`` (``backoff_factor``) after a skipped step and doubles it
    (``growth_factor``) after ``growth_interval`` good steps in a row.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self._device = str(device)
        if enabled and self._device.startswith("cuda") and not backend.cuda_is_available():
            # point at the user's line, also through cuda.amp.GradScaler's __init__
            depth = 2 if type(self).__init__ is GradScaler.__init__ else 3
            warnings.warn("GradScaler is enabled, but CUDA is not available.  Disabling.",
                          UserWarning, stacklevel=depth)
            enabled = False
        self._enabled = bool(enabled)
        if self._enabled:
            if not growth_factor > 1.0:
                raise ValueError(f"GradScaler: growth_factor should be > 1, got {growth_factor}")
            if not 0.0 < backoff_factor < 1.0:
                raise ValueError(f"GradScaler: backoff_factor should be in (0, 1), got "
                                 f"{backoff_factor}")
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: dict[int, dict] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled, as in PyTorch)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def scale(self, outputs):
        """``outputs * scale`` for a tensor or a (nested) list/tuple of tensors."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def _state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False,
                                                              "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update().")
        inv = 1.0 / self._scale
        found_inf = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad._data
                    g *= g.dtype.type(inv)
                    xp = backend.get_array_module(g)
                    if not bool(xp.isfinite(g).all()):
                        found_inf = True
        state["unscaled"], state["found_inf"] = True, found_inf

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done yet), then ``optimizer.step()`` unless a gradient is inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if not state["unscaled"]:
            self.unscale_(optimizer)
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Adjust the scale after the steps of this iteration (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
        elif any(s["found_inf"] for s in self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        elif self._per_optimizer:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = self._scale * self._growth_factor
                if math.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
        self._per_optimizer.clear()

    def state_dict(self) -> dict:
        """The scale and growth settings (``{}`` when disabled, as in PyTorch)."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
