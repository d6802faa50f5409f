"""Process-wide settings with PyTorch's names: threads, matmul precision, determinism.

``set_num_threads(n)`` really sets the BLAS threads of the running process: through
``threadpoolctl`` when it is installed, otherwise by calling OpenBLAS's own
``openblas_set_num_threads`` in the library NumPy loaded (found by ctypes). When neither
is possible (another BLAS, or no way to reach it) only the environment variables
``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/``MKL_NUM_THREADS`` are set, which reach
subprocesses started afterwards, and a warning says so. NumPy's elementwise ops are
single-threaded whatever the setting.
"""

from __future__ import annotations

import ctypes
import os
import warnings

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_requested_threads: int | None = None
_interop_threads = 1
_matmul_precision = "highest"
_deterministic = False
_deterministic_warn_only = False


def _openblas_functions():
    """``(set, get)`` of the OpenBLAS that NumPy loaded, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in (("openblas_set_num_threads", "openblas_get_num_threads"),
                                   ("scipy_openblas_set_num_threads64_",
                                    "scipy_openblas_get_num_threads64_"),
                                   ("scipy_openblas_set_num_threads",
                                    "scipy_openblas_get_num_threads")):
            if hasattr(lib, set_name) and hasattr(lib, get_name):
                return getattr(lib, set_name), getattr(lib, get_name)
    return None


def _check_count(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"{name}: expected a positive number of threads, got {n!r}")
    return n


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for matrix products (BLAS) in this process (see the module)."""
    global _requested_threads
    _check_count("set_num_threads", n)
    _requested_threads = n
    for var in _THREAD_ENV:
        os.environ[var] = str(n)
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(limits=n)
        return
    functions = _openblas_functions()
    if functions is not None:
        functions[0](ctypes.c_int(n))
        return
    warnings.warn("set_num_threads: could not reach this NumPy's BLAS (install threadpoolctl); "
                  "only OMP/OPENBLAS/MKL_NUM_THREADS are set, for subprocesses", stacklevel=2)


def get_num_threads() -> int:
    """The number of BLAS threads in use (as set, or as the BLAS reports)."""
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            return int(infos[0]["num_threads"])
    functions = _openblas_functions()
    if functions is not None:
        return int(functions[1]())
    if _requested_threads is not None:
        return _requested_threads
    for var in _THREAD_ENV:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def set_num_interop_threads(n: int) -> None:
    """Recorded only: tinytorch runs independent ops one after another."""
    global _interop_threads
    _interop_threads = _check_count("set_num_interop_threads", n)


def get_num_interop_threads() -> int:
    return _interop_threads


def set_float32_matmul_precision(precision: str) -> None:
    """``'highest'``, ``'high'`` or ``'medium'``: recorded; float32 products stay full float32."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: invalid precision {precision!r}; "
                           f"expected 'highest', 'high' or 'medium'")
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded: every tinytorch op is already deterministic on the CPU."""
    global _deterministic, _deterministic_warn_only
    _deterministic, _deterministic_warn_only = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic_warn_only
