"""The one place that knows about NumPy and CuPy: array modules, devices and dtypes.

Every other module asks this file for ``xp`` (``numpy`` or ``cupy``) instead of importing
CuPy itself, so the CPU-only install never touches CuPy and the device switch lives here.
"""

from __future__ import annotations

import builtins
import os

import numpy as np

try:  # CuPy is optional: the `cuda` extra installs it.
    import cupy as _cupy

    _cupy.cuda.runtime.getDeviceCount()
except Exception:  # ImportError, or CuPy present without a usable GPU
    _cupy = None




# ----------------------------------------------------------------------------- threads
# NumPy runs each ufunc on one core but releases the GIL inside it, so two Python threads
# working on two halves of a large array run in parallel: tanh, multiply and exp with
# ``out=`` over a (2048, 1536) float32 array took 2.95 ms on one thread and 1.57 ms split
# across two (PERF.md). The fused ops hand their elementwise passes to ``split_rows``.
# One switch turns it off: TINYTORCH_THREADS=1 in the environment, or set_parallel(False).

_threads = max(1, int(os.environ.get("TINYTORCH_THREADS", "0")) or min(os.cpu_count() or 1, 4))
_parallel = _threads > 1
_pool = None
# below this many elements per call a pass takes ~20 us and the hand-off costs more than
# it saves (a thread pool submit and wait is ~10-30 us)
PARALLEL_MIN_ELEMENTS = 1 << 16


def set_parallel(enabled: bool) -> None:
    """Switch splitting large elementwise passes across threads on or off (process-wide)."""
    global _parallel
    _parallel = bool(enabled) and _threads > 1


def parallel_enabled() -> bool:
    """True when large elementwise passes are split across ``num_threads()`` threads."""
    return _parallel


def num_threads() -> int:
    """Threads that large elementwise passes use (TINYTORCH_THREADS, default the cores, <= 4)."""
    return _threads if _parallel else 1


def worth_splitting(array) -> bool:
    """True when ``split_rows`` would split ``array`` (threading on, a large NumPy array)."""
    return _parallel and array.size >= PARALLEL_MIN_ELEMENTS and array.ndim > 0 \
        and array.shape[0] >= _threads and isinstance(array, np.ndarray)


def map_rows(ufunc, array):
    """``ufunc(array)``, split across threads when ``array`` is large (a fresh array)."""
    if not worth_splitting(array):  # the common small case pays one check, ~0.1 us
        return ufunc(array)
    out = np.empty_like(array)
    split_rows(lambda block, out_block: ufunc(block, out=out_block), array, out)
    return out


def split_rows(kernel, *arrays) -> None:
    """Run ``kernel(*chunks)`` on row blocks of ``arrays`` (equal leading dims), in parallel.

    ``kernel`` must write its results through ``out=`` into the chunks it is given (they
    are views); it is called once on the whole arrays when threading is off, the arrays
    are small, on the GPU, or the leading dim cannot be split.
    """
    if not worth_splitting(arrays[0]):
        kernel(*arrays)
        return
    rows = arrays[0].shape[0]
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(_threads - 1, thread_name_prefix="tinytorch")
    bounds = [rows * i // _threads for i in range(_threads + 1)]
    futures = [_pool.submit(kernel, *(a[lo:hi] for a in arrays))
               for lo, hi in zip(bounds[1:-1], bounds[2:])]
    kernel(*(a[:bounds[1]] for a in arrays))  # the calling thread takes the first block
    for f in futures:
        f.result()


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return _cupy is not None


def cupy_module():
    """The ``cupy`` module itself, for ``tinytorch.cuda``'s device queries (None without a GPU)."""
    return _cupy


def cuda_synchronize() -> None:
    """Wait for the GPU's queued work (nothing to do without CuPy)."""
    if _cupy is not None:
        _cupy.cuda.Device().synchronize()


def cupy_erf(x):
    """CuPy's erf kernel for a CuPy array (tinytorch's own series run on NumPy arrays)."""
    import cupyx.scipy.special

    return cupyx.scipy.special.erf(x)


# ----------------------------------------------------------------------------- dtypes


class dtype:
    """A tinytorch dtype: a thin, printable wrapper around a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"tinytorch.{self.name}"

    def __reduce__(self):
        return (to_dtype, (self.name,))


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
int64 = dtype("int64", np.int64)
int32 = dtype("int32", np.int32)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
float = float32  # noqa: A001  (torch.float is float32)
double = float64
long = int64
int = int32  # noqa: A001  (torch.int is int32)
half = float16

_ALL_DTYPES = (float32, float64, float16, int64, int32, uint8, bool_)
_BY_NP = {d.np: d for d in _ALL_DTYPES}
_BY_NAME = {d.name: d for d in _ALL_DTYPES}
_BY_NAME.update({"float": float32, "double": float64, "long": int64, "int": int32, "half": float16})

_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    """Set the dtype that Python floats and float factories produce (float32 or float64)."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: expected a floating point dtype, got {d}")
    _default_float = d


def to_dtype(d) -> dtype:
    """Accept a tinytorch dtype, a NumPy dtype/type or a name and return the tinytorch dtype."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str):
        key = d.removeprefix("tinytorch.").removeprefix("torch.")
        if key in _BY_NAME:
            return _BY_NAME[key]
        raise TypeError(f"unknown dtype {d!r}")
    if d is builtins.float:
        return _default_float
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    try:
        return _BY_NP[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"unsupported dtype {d!r}; tinytorch supports "
                        f"{', '.join(x.name for x in _ALL_DTYPES)}") from None


def dtype_of(array) -> dtype:
    """The tinytorch dtype of a backend array."""
    try:
        return _BY_NP[array.dtype]
    except KeyError:
        raise TypeError(f"unsupported array dtype {array.dtype}") from None


def _category(d: dtype) -> int:
    return 0 if d is bool_ else (2 if d.is_floating_point else 1)


def _promote_group(dtypes):
    """Within one priority group: the highest category wins, then NumPy's promotion."""
    top = max(_category(d) for d in dtypes)
    res = None
    for d in dtypes:
        if _category(d) == top:
            res = d if res is None else _BY_NP[np.promote_types(res.np, d.np)]
    return res


def _scalar_dtype(s) -> dtype:
    if isinstance(s, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(s, (builtins.int, np.integer)):
        return int64
    if isinstance(s, (builtins.float, np.floating)):
        return _default_float
    raise TypeError(f"unsupported operand of type {type(s).__name__}")


def result_type(*operands) -> dtype:
    """PyTorch's type promotion over arrays and Python scalars.

    Priority: arrays with dimensions, then 0-d arrays, then Python scalars. A lower-priority
    group changes the result only when its category (bool < integer < float) is higher:
    ``int64 + 2.5 -> float32`` (default float), ``float32 + float64 0-d -> float32``,
    ``float32 + float64 (both with dims) -> float64``.
    """
    # BEGIN SOLUTION assignment=1 "result_type: PyTorch's promotion of arrays and scalars"
    groups = ([], [], [])
    for o in operands:
        if hasattr(o, "dtype") and hasattr(o, "ndim") and not isinstance(o, np.generic):
            groups[0 if o.ndim else 1].append(dtype_of(o))
        else:
            groups[2].append(_scalar_dtype(o))
    res = None
    for g in groups:
        if not g:
            continue
        cand = _promote_group(g)
        if res is None or _category(cand) > _category(res):
            res = cand
    return res
    # END SOLUTION


# ----------------------------------------------------------------------------- devices


class device:
    """``tinytorch.device('cpu')`` or ``tinytorch.device('cuda')``; compares equal to its string."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        spec = str(spec)
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"unknown device {spec!r}: expected 'cpu' or 'cuda'")
        self.type = kind
        self.index = builtins.int(idx) if idx else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type

    def __hash__(self):
        return hash(self.type)

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")


def to_device(d) -> device:
    d = d if isinstance(d, device) else device(d if d is not None else "cpu")
    if d.type == "cuda" and _cupy is None:
        raise RuntimeError("device 'cuda' requested but CuPy with a GPU is not available "
                           "(install tinytorch[cuda] on a machine with an NVIDIA GPU)")
    return d


def get_array_module(array):
    """``numpy`` or ``cupy``, whichever owns ``array`` (DeZero/CuPy style)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def device_of(array) -> device:
    return device("cuda") if get_array_module(array) is not np else CPU


def xp_for(d: device):
    """The array module for a device."""
    return _cupy if to_device(d).type == "cuda" else np


def move(array, d: device):
    """Copy an array to a device (no copy when it is already there)."""
    d = to_device(d)
    if d.type == "cuda":
        return _cupy.asarray(array)
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return array


def to_numpy(array) -> np.ndarray:
    """A NumPy array on the host (copies from the GPU when needed)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


def is_array(obj) -> bool:
    return isinstance(obj, np.ndarray) or (_cupy is not None and isinstance(obj, _cupy.ndarray))


def scatter_add(xp, target, indices, values):
    """``target[indices] += values`` with repeated indices accumulated (np.add.at semantics)."""
    if xp is np:
        np.add.at(target, indices, values)
    else:
        import cupyx

        cupyx.scatter_add(target, indices, values)


def ufunc_at(xp, name: str, target, indices, values):
    """``target[indices] = name(target[indices], values)`` unbuffered (repeats all apply),
    for ``name`` in maximum, minimum, multiply: NumPy's ``ufunc.at``, CuPy's own where it
    has one."""
    if xp is np:
        getattr(np, name).at(target, indices, values)
        return
    import cupyx

    if name in ("maximum", "minimum"):
        getattr(cupyx, "scatter_max" if name == "maximum" else "scatter_min")(
            target, indices, values)
    else:
        getattr(_cupy, name).at(target, indices, values)
