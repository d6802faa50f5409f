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




# The module name that reprs print: ``tinytorch.float32``, ``tinytorch.Size([2, 3])``.
# ``tinytorch.run`` sets it to "torch" while a PyTorch script runs, so that the script prints
# what it prints under PyTorch (``print(x.shape)``: ``torch.Size([2, 3])``).
repr_module = "tinytorch"


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


def worth_splitting(array, min_elements: int = 0) -> bool:
    """True when ``split_rows`` would split ``array`` (threading on, a NumPy array of at
    least ``min_elements``, default ``PARALLEL_MIN_ELEMENTS``)."""
    return _parallel and array.size >= (min_elements or PARALLEL_MIN_ELEMENTS) \
        and array.ndim > 0 and array.shape[0] >= _threads and isinstance(array, np.ndarray)


def map_rows(ufunc, array):
    """``ufunc(array)``, split across threads when ``array`` is large (a fresh array)."""
    if not worth_splitting(array):  # the common small case pays one check, ~0.1 us
        return ufunc(array)
    out = np.empty_like(array)
    split_rows(lambda block, out_block: ufunc(block, out=out_block), array, out)
    return out


# A fused op makes many passes (ufunc calls) over its arrays. Walked in blocks of rows
# that stay in cache, the passes after the first read cache, not memory: the tanh GELU's
# backward over (8, 256, 1536) float32 took 6.8 ms whole and 5.4 ms in blocks of 256K
# elements (one thread, CPU time, best of 5 rounds); layer_norm's forward + backward of
# (8, 256, 384) 4.24 ms whole, 2.99 ms in 256K blocks. Smaller blocks lose (16K blocks
# doubled the time of the row kernels): each pass pays a few microseconds of call
# overhead per block.
CACHE_BLOCK_ELEMENTS = 1 << 18


def in_blocks(kernel, *arrays, block: int = 0) -> None:
    """Run ``kernel(*chunks)`` on consecutive row blocks of ``arrays`` (equal leading dims)
    of about ``block`` elements of the first array each (at least one row; default
    ``CACHE_BLOCK_ELEMENTS``), in this thread."""
    block = block or CACHE_BLOCK_ELEMENTS
    first = arrays[0]
    rows = first.shape[0] if first.ndim else 0
    step = max(1, block // max(1, first.size // rows)) if rows else 0
    # under two blocks' worth it runs whole: the exact GELU on 393K floats took 2.03 ms
    # whole and 2.45 ms in a 256K and a 131K block (a pass's data stays in L3 either way)
    if first.size < 2 * block or not isinstance(first, np.ndarray):
        kernel(*arrays)
        return
    for lo in range(0, rows, step):
        kernel(*(a[lo:lo + step] for a in arrays))


def split_rows(kernel, *arrays, blocked: bool = False, min_elements: int = 0) -> None:
    """Run ``kernel(*chunks)`` on row blocks of ``arrays`` (equal leading dims), in parallel.

    ``kernel`` must write its results through ``out=`` into the chunks it is given (they
    are views); it is called once on the whole arrays when threading is off, the arrays
    are small (below ``min_elements``, default ``PARALLEL_MIN_ELEMENTS``), on the GPU, or
    the leading dim cannot be split. ``blocked``: each thread walks its rows in cache-sized
    blocks (``in_blocks``).

    Threads pay only when each makes long ufunc calls: a kernel of many short passes
    hands the GIL back and forth between its calls (softmax over 192K floats in rows of
    64: 0.90 ms on one thread, 0.96-1.35 ms split; layer_norm, whose passes are matrix-
    vector products and row dots, never gained, 1.35 against 0.81 ms at 192K floats).
    """
    if blocked:
        inner = kernel

        def kernel(*parts):
            in_blocks(inner, *parts)
    if not worth_splitting(arrays[0], min_elements):
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


# ----------------------------------------------------------------------------- fast paths
# Some ops exist twice: the textbook formula (the few lines of the course page, and the
# graded region a student writes) and, beside it, a fast path tuned for NumPy, tested to
# agree with it. Ops ask ``use_fast_path(assignment)`` which one to run. The fast paths run
# by default; TINYTORCH_FAST_PATHS=0 in the environment, or ``set_fast_paths(False)``, sends
# every such op through its textbook formula. In a student edition built for assignment E
# (``tinytorch/course/edition.json``) the ops of assignments E and later run the textbook
# formula, so what runs, and what the milestones show, is the student's own code.

_fast_paths = os.environ.get("TINYTORCH_FAST_PATHS", "1") != "0"


def _edition_assignment() -> int | None:
    import json

    path = os.path.join(os.path.dirname(__file__), "course", "edition.json")
    try:
        with open(path) as f:
            return int(json.load(f)["assignment"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


_first_open_assignment = _edition_assignment()


def set_fast_paths(enabled: bool) -> None:
    """Run the ops' fast paths (True, the default) or their textbook formulas (False)."""
    global _fast_paths
    _fast_paths = bool(enabled)


def fast_paths_enabled() -> bool:
    """True when ops that have a fast path may use it (``set_fast_paths``)."""
    return _fast_paths


class fast_paths:
    """``with backend.fast_paths(False): ...`` runs the textbook formulas inside the block."""

    def __init__(self, enabled: bool):
        self.enabled = bool(enabled)

    def __enter__(self):
        self.previous = _fast_paths
        set_fast_paths(self.enabled)

    def __exit__(self, *exc_info):
        set_fast_paths(self.previous)


def use_fast_path(assignment: int) -> bool:
    """Whether an op whose textbook formula is graded in ``assignment`` runs its fast path.

    False when fast paths are switched off, or in a student edition where that assignment
    is still the student's to write (so the student's formula is what runs).
    """
    return _fast_paths and (_first_open_assignment is None or assignment < _first_open_assignment)


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


def cupy_special(name: str):
    """A kernel of ``cupyx.scipy.special`` by name (erfc, erfinv, digamma, gammaln, ...)."""
    import cupyx.scipy.special

    return getattr(cupyx.scipy.special, name)


# ----------------------------------------------------------------------------- dtypes


class dtype:
    """A tinytorch dtype: a thin, printable wrapper around a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "fci"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"{repr_module}.{self.name}"

    def __reduce__(self):
        return (to_dtype, (self.name,))


class _NamedOnlyDtype(dtype):
    """A dtype PyTorch has and NumPy lacks (bfloat16): its name works, storage does not."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: int):
        self.name = name
        self.is_floating_point = True
        self.is_complex = False
        self.is_signed = True
        self.itemsize = itemsize

    @property
    def np(self):
        raise TypeError(f"{self.name} is not supported for storage: NumPy has no {self.name} "
                        f"type (use tinytorch.float16 or tinytorch.float32)")


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
bfloat16 = _NamedOnlyDtype("bfloat16", 2)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
int64 = dtype("int64", np.int64)
int32 = dtype("int32", np.int32)
int16 = dtype("int16", np.int16)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
float = float32  # noqa: A001  (torch.float is float32)
double = float64
long = int64
int = int32  # noqa: A001  (torch.int is int32)
half = float16
short = int16
cfloat = complex64
cdouble = complex128

_ALL_DTYPES = (float32, float64, float16, complex64, complex128, int64, int32, int16, int8,
               uint8, bool_)
_BY_NP = {d.np: d for d in _ALL_DTYPES}
_BY_NAME = {d.name: d for d in _ALL_DTYPES}
_BY_NAME.update({"float": float32, "double": float64, "long": int64, "int": int32,
                 "half": float16, "short": int16, "cfloat": complex64, "cdouble": complex128,
                 "bfloat16": bfloat16})

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
    """bool < integer < floating < complex: the order of PyTorch's promotion categories."""
    if d is bool_:
        return 0
    return 3 if d.is_complex else (2 if d.is_floating_point else 1)


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
    if isinstance(s, (builtins.complex, np.complexfloating)):
        return complex128 if _default_float is float64 else complex64
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


def promote_types(type1, type2) -> dtype:
    """The dtype of ``a op b`` for tensors (with dimensions) of these two dtypes."""
    return _promote_group([to_dtype(type1), to_dtype(type2)])


def can_cast(from_, to) -> bool:
    """PyTorch's casting rule: no cast to a lower category (float to int, int to bool...)."""
    return _category(to_dtype(from_)) <= _category(to_dtype(to))


class finfo:
    """Machine limits of a floating dtype (as ``torch.finfo``): eps, max, min, tiny..."""

    def __init__(self, type=None):  # noqa: A002  (PyTorch's argument name)
        d = to_dtype(type if type is not None else _default_float)
        if d is bfloat16:
            self.bits, self.eps, self.max, self.min = 16, 2.0 ** -7, 3.3895313892515355e38, \
                -3.3895313892515355e38
            self.tiny = self.smallest_normal = 2.0 ** -126
            self.resolution = 0.01
        else:
            if not (d.is_floating_point or d.is_complex):
                raise TypeError(f"finfo: {d} is not a floating point dtype (use iinfo)")
            info = np.finfo(d.np)
            self.bits = info.bits
            self.eps, self.max, self.min = (builtins.float(info.eps), builtins.float(info.max),
                                            builtins.float(info.min))
            self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
            self.resolution = builtins.float(info.resolution)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
                f"eps={self.eps}, smallest_normal={self.smallest_normal}, tiny={self.tiny}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (as ``torch.iinfo``): bits, min, max."""

    def __init__(self, type):  # noqa: A002
        d = to_dtype(type)
        if d.np.kind not in "iub":
            raise TypeError(f"iinfo: {d} is not an integer dtype (use finfo)")
        info = np.iinfo(d.np) if d is not bool_ else None
        self.bits = d.itemsize * 8
        self.min = builtins.int(info.min) if info else 0
        self.max = builtins.int(info.max) if info else 1
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# ----------------------------------------------------------------------------- devices


class device:
    """``tinytorch.device('cpu')`` or ``tinytorch.device('cuda')``; compares equal to its string."""

    __slots__ = ("type", "index", "_previous")

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

    def __enter__(self):
        """``with tinytorch.device('cuda'):`` factories inside default to this device."""
        self._previous = _default_device
        set_default_device(self)
        return self

    def __exit__(self, *exc_info):
        set_default_device(self._previous)


CPU = device("cpu")

# the device factories (zeros, randn, tensor(...), arange...) use when given none; None
# means the CPU. ``set_default_device`` and ``with tinytorch.device(...)`` change it.
_default_device: device | None = None


def set_default_device(d) -> None:
    """Make factories without ``device=`` create tensors on ``d`` (None: back to the CPU)."""
    global _default_device
    d = None if d is None else to_device(d)
    _default_device = None if d is None or d.type == "cpu" else d


def get_default_device() -> device:
    """The device factories create tensors on when they are given none."""
    return _default_device if _default_device is not None else CPU


def default_device_or(d):
    """``d``, or the default device when ``d`` is None (None again when that is the CPU)."""
    return d if d is not None else _default_device


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
