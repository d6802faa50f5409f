"""How tensors print: PyTorch's format, ``set_printoptions`` and ``Tensor.__repr__``.

The rules follow PyTorch's documented behaviour: floats print with ``precision`` decimals
(4), switching to scientific notation when the largest and smallest non-zero magnitudes
differ by more than 1000x, the largest exceeds 1e8 or the smallest is below 1e-4; a float
tensor holding only whole numbers prints them as ``1.``; a tensor with more than
``threshold`` (1000) elements is summarised with ``...`` and ``edgeitems`` (3) entries at
each edge; lines wrap at ``linewidth`` (80). The suffixes name what the values cannot
imply: a device other than the CPU, a dtype other than the default float, int64 and bool,
and ``grad_fn=<...>`` or ``requires_grad=True``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import backend


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (as ``torch.set_printoptions``); ``profile`` is one of
    ``'default'``, ``'short'``, ``'full'`` and is applied before the other arguments."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of "
                             f"{', '.join(_PROFILES)}")
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    # sci_mode=None means "choose automatically", so it is always assigned
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options as a dict (as ``torch._tensor_str.get_printoptions``)."""
    return dict(vars(PRINT_OPTS))


class _Formatter:
    """Chooses one width and one notation for every element of a tensor."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
        else:
            flat = flat.astype(np.float64)
            nonzero = flat[np.isfinite(flat) & (flat != 0)]
            if nonzero.size:
                magnitudes = np.abs(nonzero)
                lo, hi = magnitudes.min(), magnitudes.max()
                self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
                self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) \
                    if PRINT_OPTS.sci_mode is None else PRINT_OPTS.sci_mode
                p = PRINT_OPTS.precision
                if self.sci_mode:
                    texts = [f"{v:.{p}e}" for v in nonzero]
                elif self.int_mode:
                    texts = [f"{v:.0f}." for v in nonzero]
                else:
                    texts = [f"{v:.{p}f}" for v in nonzero]
                self.max_width = max(len(s) for s in texts)

    def format(self, value) -> str:
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if math.isfinite(value):
                    text += "."
            else:
                text = f"{value:.{p}f}"
        else:
            text = str(value)
        return text.rjust(self.max_width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows (for choosing the format)."""
    e = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        return np.concatenate([values[:e], values[-e:]]) if values.shape[0] > 2 * e else values
    if not e:
        return values[(slice(0, 0),) * values.ndim]
    rows = list(range(e)) + list(range(values.shape[0] - e, values.shape[0])) \
        if values.shape[0] > 2 * e else range(values.shape[0])
    return np.stack([_summarized(values[i]) for i in rows])


def _vector(values, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, int((PRINT_OPTS.linewidth - indent) // (fmt.max_width + 2)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and values.shape[0] > 2 * e:
        items = [fmt.format(v) for v in values[:e].tolist()] + [" ..."] + \
            [fmt.format(v) for v in values[-e:].tolist()]
    else:
        items = [fmt.format(v) for v in values.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(values, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = values.shape[0]
    if summarize and n > 2 * e:
        parts = [_nested(values[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
            [_nested(values[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        parts = [_nested(values[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_values(values: np.ndarray, indent: int = 0) -> str:
    """The bracketed body of a tensor's print, as PyTorch lays it out."""
    if values.size == 0:
        return "[]"
    summarize = values.size > PRINT_OPTS.threshold
    if values.dtype == np.float16:
        values = values.astype(np.float32)
    fmt = _Formatter(_summarized(values) if summarize else values)
    return _nested(values, indent, summarize, fmt)


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(t)``: ``tensor([...], <suffixes>)`` exactly as PyTorch prints it."""
    values = backend.to_numpy(t._data)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    dtype = t.dtype
    default = backend.get_default_dtype()
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype is not default:
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype not in (default, backend.int64, backend.bool_):
            suffixes.append(f"dtype={dtype}")
        body = format_values(values, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)


def tensor_format(t, spec: str) -> str:
    """``format(t, spec)``: a 0-d tensor formats as its number (``f"{loss:.4f}"``), any
    other tensor only with an empty spec, as PyTorch."""
    if t.ndim == 0:
        return format(t.item(), spec)
    if spec:
        raise TypeError("unsupported format string passed to Tensor.__format__")
    return tensor_repr(t)
