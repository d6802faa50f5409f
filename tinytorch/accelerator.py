"""``tinytorch.accelerator``: PyTorch's device-generic names (``torch.accelerator``), which
current PyTorch tutorials start with::

    device = torch.accelerator.current_accelerator().type \
        if torch.accelerator.is_available() else "cpu"

tinytorch's one accelerator is CUDA through CuPy (``tinytorch.cuda``). Without a GPU,
``is_available()`` is False, ``current_accelerator()`` is None and ``device_count()`` is 0;
the calls that need a device raise ``RuntimeError``, with PyTorch's message.
"""

from __future__ import annotations

from . import backend, cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "reset_peak_memory_stats", "device_index"]

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU seen by CuPy) can be used."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> backend.device | None:
    """``device('cuda')`` when a GPU is available, else None."""
    return backend.device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def _need_device() -> None:
    if not cuda.is_available():
        raise RuntimeError(_NONE_AVAILABLE)


def current_device_index() -> int:
    _need_device()
    return cuda.current_device()


def set_device_index(device, /) -> None:
    _need_device()
    cuda.set_device(device)


def synchronize(device=None, /) -> None:
    _need_device()
    cuda.synchronize(device)


def empty_cache() -> None:
    _need_device()
    cuda.empty_cache()


def memory_allocated(device=None, /) -> int:
    _need_device()
    return cuda.memory_allocated(device)


def max_memory_allocated(device=None, /) -> int:
    _need_device()
    return cuda.max_memory_allocated(device)


def memory_reserved(device=None, /) -> int:
    _need_device()
    return cuda.memory_reserved(device)


def reset_peak_memory_stats(device=None, /) -> None:
    _need_device()
    cuda.reset_peak_memory_stats(device)


class device_index:
    """``with torch.accelerator.device_index(i):`` (None: no change)."""

    def __init__(self, device, /):
        self.device = device

    def __enter__(self):
        if self.device is not None:
            _need_device()
            self.previous = cuda.current_device()
            cuda.set_device(self.device)
        return self

    def __exit__(self, *exc_info):
        if self.device is not None:
            cuda.set_device(self.previous)


current_device_idx = current_device_index  # the older spellings, still in PyTorch
set_device_idx = set_device_index
