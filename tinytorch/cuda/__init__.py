"""``tinytorch.cuda``: PyTorch's ``torch.cuda`` names, answered by CuPy through ``backend``.

On a machine without a GPU (or without CuPy) every function does what PyTorch's does on a
CPU-only machine: ``is_available()`` is False, ``device_count()`` is 0, seeding and
``empty_cache`` are silent no-ops, the memory counters are 0, and the calls that need a
device (``synchronize``, ``get_device_name``, ``current_device``, ``set_device``) raise a
clear ``RuntimeError`` (PyTorch raises ``AssertionError: Torch not compiled with CUDA``).
With CuPy and a GPU they ask CuPy: its default memory pool is the allocator whose counters
``memory_allocated`` reports.
"""

from __future__ import annotations

import contextlib

from .. import backend
from . import amp

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "empty_cache", "get_device_name", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "reset_peak_memory_stats", "is_bf16_supported", "current_device",
           "set_device", "device", "amp", "is_initialized", "init"]

_peak_bytes = 0


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return backend.cuda_is_available()


def is_initialized() -> bool:
    return backend.cuda_is_available()


def init() -> None:
    """Nothing to initialise: CuPy starts lazily; raises when there is no GPU, as PyTorch."""
    _cupy("init")


def device_count() -> int:
    """The number of visible GPUs (0 without CuPy or a GPU)."""
    if not is_available():
        return 0
    return int(backend.cupy_module().cuda.runtime.getDeviceCount())


def manual_seed(seed: int) -> None:
    """Seed the GPU generator; silently nothing without a GPU, as in PyTorch.

    tinytorch draws every random number from one generator on the host (see
    ``tinytorch.manual_seed``), so there is no separate GPU stream to seed.
    """
    int(seed)  # a non-number fails here, as in PyTorch


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: the same as ``manual_seed`` (one host generator)."""
    manual_seed(seed)


def seed() -> None:
    """PyTorch seeds the GPU generator from entropy; tinytorch's single generator is host-side."""


def seed_all() -> None:
    """See ``seed``."""


def _cupy(what: str):
    if not is_available():
        raise RuntimeError(f"tinytorch.cuda.{what}: CUDA is not available (no CuPy with a "
                           f"GPU; install tinytorch[cuda] on a machine with an NVIDIA GPU)")
    return backend.cupy_module()


def synchronize(device=None) -> None:
    """Wait for all GPU work to finish."""
    _cupy("synchronize").cuda.Device().synchronize()


def empty_cache() -> None:
    """Return the GPU memory pool's unused blocks to the driver (no-op without a GPU)."""
    if is_available():
        cp = backend.cupy_module()
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
    cp = _cupy("get_device_name")
    index = _index(device, cp)
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None) -> tuple[int, int]:
    """``(major, minor)`` compute capability of the GPU."""
    cp = _cupy("get_device_capability")
    props = cp.cuda.runtime.getDeviceProperties(_index(device, cp))
    return int(props["major"]), int(props["minor"])


def _index(device, cp) -> int:
    if device is None:
        return int(cp.cuda.runtime.getDevice())
    if isinstance(device, int):
        return device
    d = backend.device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index or 0


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory that tensors occupy now (0 without a GPU)."""
    global _peak_bytes
    if not is_available():
        return 0
    used = int(backend.cupy_module().get_default_memory_pool().used_bytes())
    _peak_bytes = max(_peak_bytes, used)
    return used


def max_memory_allocated(device=None) -> int:
    """The largest ``memory_allocated`` seen since the start or the last reset.

    CuPy keeps no peak counter, so this is the peak of the values tinytorch observed (at
    each call of ``memory_allocated``/``max_memory_allocated``): a lower bound of the true
    peak, which PyTorch's caching allocator tracks exactly.
    """
    return max(_peak_bytes, memory_allocated(device))


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds from the driver (0 without a GPU)."""
    if not is_available():
        return 0
    return int(backend.cupy_module().get_default_memory_pool().total_bytes())


def reset_peak_memory_stats(device=None) -> None:
    """Start ``max_memory_allocated`` again from the current use."""
    global _peak_bytes
    _peak_bytes = 0
    memory_allocated(device)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: tinytorch computes in float16/32/64 only (NumPy and CuPy have no bfloat16)."""
    return False


def current_device() -> int:
    """The index of the current GPU."""
    return int(_cupy("current_device").cuda.runtime.getDevice())


def set_device(device) -> None:
    """Make ``device`` (an index, ``'cuda:1'`` or a ``tinytorch.device``) current."""
    if not isinstance(device, int) and backend.device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    cp = _cupy("set_device")
    cp.cuda.Device(_index(device, cp)).use()


@contextlib.contextmanager
def device(device):
    """``with tinytorch.cuda.device(1):`` makes a GPU current inside the block."""
    cp = _cupy("device")
    with cp.cuda.Device(_index(device, cp)):
        yield
