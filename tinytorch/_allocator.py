"""Process-wide allocator tuning, applied once when tinytorch is imported.

This is the one place tinytorch changes something outside itself: glibc's malloc
thresholds for the whole process (listed in docs/differences.md). Opt out with
``TINYTORCH_KEEP_FREED_MEMORY=0`` (or ``TINYTORCH_NO_MALLOPT=1``).
"""

from __future__ import annotations


def keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks for reuse instead of unmapping them.

    NumPy allocates every intermediate anew; with glibc's defaults large freed blocks go
    back to the OS and the next op re-faults fresh zeroed pages, which made layer_norm and
    softmax forward+backward 2-3x slower (PERF.md). No effect off glibc; opt out with
    TINYTORCH_NO_MALLOPT=1 (or TINYTORCH_KEEP_FREED_MEMORY=0).
    """
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or \
            os.environ.get("TINYTORCH_KEEP_FREED_MEMORY", "1") == "0" or \
            os.environ.get("TINYTORCH_NO_MALLOPT", "0") == "1":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        if not libc.mallopt(m_mmap_threshold, 1 << 30):
            libc.mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest allowed value
        libc.mallopt(m_trim_threshold, 1 << 30)
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        pass
