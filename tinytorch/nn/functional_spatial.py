"""Convolution, pooling, resampling and im2col in ``nn.functional`` (PyTorch's names).

Every op computes on 2-D images ``(N, C, H, W)`` (``tinytorch.ops.conv``); the 1-D forms
add a height of 1, and unbatched inputs get a batch of 1, both removed again on return.
"""

from __future__ import annotations

import math

from ..ops import conv as C
from ..tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
           "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
           "upsample", "unfold", "fold", "pixel_shuffle", "pixel_unshuffle", "pad_by_mode"]


def _ntuple(value, n: int, name: str, op: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _check_tensor(x, op: str, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _as_image(x: Tensor, spatial: int, op: str):
    """``x`` as ``(N, C, H, W)`` plus a function that puts a result back in x's layout."""
    _check_tensor(x, op)
    batched = spatial + 2
    if x.ndim not in (batched - 1, batched):
        raise RuntimeError(f"{op}: expected a {batched - 1}-D (unbatched) or {batched}-D "
                           f"(batched) input, got input of shape {tuple(x.shape)}")
    unbatched = x.ndim == batched - 1
    if unbatched:
        x = x.unsqueeze(0)
    if spatial == 1:
        x = x.unsqueeze(2)

    def restore(y: Tensor) -> Tensor:
        if spatial == 1:
            y = y.squeeze(2)
        return y.squeeze(0) if unbatched else y

    return x, restore


def _lift(values: tuple, spatial: int, fill: int) -> tuple:
    """A 1-D hyper-parameter as its 2-D form (height gets ``fill``)."""
    return values if spatial == 2 else (fill,) + values


# ----------------------------------------------------------------------------- convolution
def _conv_padding(padding, spatial, kernel, dilation, stride, op):
    """Per spatial dim (before, after) zero padding, for ints, tuples, 'same' or 'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * spatial
        if padding != "same":
            raise RuntimeError(f"{op}: invalid padding string {padding!r}, should be one of "
                               f"'valid', 'same'")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                               f"convolutions (stride={stride})")
        # PyTorch puts the odd element of the total padding at the end
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                     for k, d in zip(kernel, dilation))
    pads = _ntuple(padding, spatial, "padding", op)
    if any(p < 0 for p in pads):
        raise RuntimeError(f"{op}: negative padding is not supported, got {pads}")
    return tuple((p, p) for p in pads)


def _conv_operands(op, name, spatial, input, weight):
    """The checks every convolution starts with: ``input`` and a ``(spatial + 2)``-D
    ``weight`` are Tensors; returns ``_as_image(input)``: the input as ``(N, C, H, W)`` and
    the function that puts a result back in the input's layout."""
    _check_tensor(input, op)
    _check_tensor(weight, op, "weight")
    if weight.ndim != spatial + 2:
        raise RuntimeError(f"{name}: expected a {spatial + 2}-D weight, got weight of shape "
                           f"{tuple(weight.shape)}")
    return _as_image(input, spatial, name)


def _conv(op, spatial, input, weight, bias, stride, padding, dilation, groups, module=None):
    name = module or op
    x, restore = _conv_operands(op, name, spatial, input, weight)
    groups = int(groups)
    if groups <= 0 or weight.shape[0] % groups:
        raise RuntimeError(f"{name}: groups={groups} must be positive and divide the "
                           f"{weight.shape[0]} output channels")
    expected = weight.shape[1] * groups
    if x.shape[1] != expected:
        raise RuntimeError(f"{name}: expected input with {expected} channels, got "
                           f"{x.shape[1]} (input shape {tuple(input.shape)})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"{name}: bias of shape {tuple(bias.shape)} does not match "
                           f"{weight.shape[0]} output channels")
    kernel = tuple(weight.shape[2:])
    stride = _ntuple(stride, spatial, "stride", op)
    dilation = _ntuple(dilation, spatial, "dilation", op)
    if any(s <= 0 for s in stride) or any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: stride {stride} and dilation {dilation} must be positive")
    pads = _conv_padding(padding, spatial, kernel, dilation, stride, op)
    for size, (lo, hi), k, d in zip(x.shape[2 + 2 - spatial:], pads, kernel, dilation):
        if size + lo + hi < d * (k - 1) + 1:
            raise RuntimeError(f"{name}: input of shape {tuple(input.shape)} (padded "
                               f"{size + lo + hi}) is smaller than the kernel {kernel} "
                               f"with dilation {dilation}")
    if spatial == 1:
        weight = weight.unsqueeze(2)
        pads = ((0, 0),) + pads
    y = C.Conv2d.apply(x, weight, bias, _lift(stride, spatial, 1), pads,
                       _lift(dilation, spatial, 1), groups)
    return restore(y)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation: input (N, C_in, L), weight (C_out, C_in/groups, K)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation: input (N, C_in, H, W), weight (C_out, C_in/groups, KH, KW)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op, spatial, input, weight, bias, stride, padding, output_padding,
                    groups, dilation, module=None):
    name = module or op
    x, restore = _conv_operands(op, name, spatial, input, weight)
    groups = int(groups)
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise RuntimeError(f"{name}: expected input with {weight.shape[0]} channels, got "
                           f"{x.shape[1]} (input shape {tuple(input.shape)})")
    stride = _ntuple(stride, spatial, "stride", op)
    padding = _ntuple(padding, spatial, "padding", op)
    output_padding = _ntuple(output_padding, spatial, "output_padding", op)
    dilation = _ntuple(dilation, spatial, "dilation", op)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= max(s, d):
            raise RuntimeError(f"{name}: output padding {output_padding} must be smaller "
                               f"than either stride {stride} or dilation {dilation}")
    kernel = tuple(weight.shape[2:])
    sizes = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                  zip(x.shape[4 - spatial:], stride, padding, dilation, kernel, output_padding))
    if min(sizes) < 1:
        raise RuntimeError(f"{name}: the output size {sizes} of input of shape "
                           f"{tuple(input.shape)} is too small (padding {padding})")
    if spatial == 1:
        weight = weight.unsqueeze(2)
    y = C.ConvTranspose2d.apply(x, weight, bias, _lift(stride, spatial, 1),
                                _lift(padding, spatial, 0), _lift(output_padding, spatial, 0),
                                groups, _lift(dilation, spatial, 1))
    return restore(y)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution: weight (C_in, C_out/groups, K)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d in its input): weight
    (C_in, C_out/groups, KH, KW)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def pad_by_mode(input: Tensor, pads: tuple, mode: str) -> Tensor:
    """Pad the last ``len(pads)`` dims, ``pads = ((lo, hi), ...)`` in dim order, with
    'reflect', 'replicate' or 'circular' values (an index gather: gradients accumulate)."""
    out = input
    first = input.ndim - len(pads)
    for i, (lo, hi) in enumerate(pads):
        if not lo and not hi:
            continue
        dim = first + i
        n = out.shape[dim]
        pos = list(range(-lo, n + hi))
        if mode == "reflect":
            if lo >= n or hi >= n:
                raise RuntimeError(f"pad: padding ({lo}, {hi}) should be smaller than the "
                                   f"input dimension {n} for reflect padding")
            idx = [-p if p < 0 else (2 * (n - 1) - p if p >= n else p) for p in pos]
        elif mode == "replicate":
            idx = [min(max(p, 0), n - 1) for p in pos]
        elif mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError(f"pad: padding ({lo}, {hi}) should be at most the input "
                                   f"dimension {n} for circular padding")
            idx = [p % n for p in pos]
        else:
            raise NotImplementedError(f"pad: mode {mode!r} is not supported")
        out = out[(slice(None),) * dim + (out._xp.asarray(idx, dtype="int64"),)]
    return out


# ----------------------------------------------------------------------------- pooling
def _pool_args(op, spatial, kernel_size, stride, padding, dilation):
    kernel = _ntuple(kernel_size, spatial, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _ntuple(stride, spatial, "stride", op)
    padding = _ntuple(padding, spatial, "padding", op)
    dilation = _ntuple(dilation, spatial, "dilation", op)
    if any(k <= 0 for k in kernel) or any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: kernel_size {kernel} and stride {stride} must be positive")
    for p, k in zip(padding, kernel):
        if p < 0 or p > k // 2:
            raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got "
                               f"pad={padding} and kernel_size={kernel}")
    return kernel, stride, padding, dilation


def _check_pool_output(op, input, x, kernel, stride, padding, dilation, ceil_mode):
    out, _ = C.pool_geometry(x.shape[2:], _pad_kernel(kernel, x), _pad_kernel(stride, x),
                             _pad_kernel(padding, x, 0), _pad_kernel(dilation, x),
                             ceil_mode)
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} is too small for "
                           f"kernel_size {kernel} (output size would be {out})")


def _pad_kernel(values, x, fill=1):
    return values if len(values) == 2 else (fill,) + values


def _max_pool(op, spatial, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    kernel, stride, padding, dilation = _pool_args(op, spatial, kernel_size, stride, padding,
                                                   dilation)
    x, restore = _as_image(input, spatial, op)
    _check_pool_output(op, input, x, kernel, stride, padding, dilation, ceil_mode)
    result = C.MaxPool2d.apply(x, _lift(kernel, spatial, 1), _lift(stride, spatial, 1),
                               _lift(padding, spatial, 0), _lift(dilation, spatial, 1),
                               bool(ceil_mode), bool(return_indices))
    if return_indices:
        return restore(result[0]), restore(result[1])
    return restore(result)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, L); indices are positions in L."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, H, W); indices are flat positions in H*W."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_pool(op, spatial, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    kernel, stride, padding, _ = _pool_args(op, spatial, kernel_size, stride, padding, 1)
    x, restore = _as_image(input, spatial, op)
    _check_pool_output(op, input, x, kernel, stride, padding, (1,) * spatial, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    y = C.AvgPool2d.apply(x, _lift(kernel, spatial, 1), _lift(stride, spatial, 1),
                          _lift(padding, spatial, 0), bool(ceil_mode), bool(count_include_pad),
                          divisor_override)
    return restore(y)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _adaptive_size(output_size, spatial, x, op):
    sizes = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * spatial
    if len(sizes) != spatial:
        raise ValueError(f"{op}: output_size must be an int or {spatial} ints, got "
                         f"{output_size!r}")
    in_sizes = x.shape[-spatial:]
    out = tuple(int(n) if s is None else int(s) for s, n in zip(sizes, in_sizes))
    if any(s <= 0 for s in out):
        raise RuntimeError(f"{op}: output_size must be positive, got {out}")
    return out


def _adaptive_avg(op, spatial, input, output_size):
    x, restore = _as_image(input, spatial, op)
    out = _lift(_adaptive_size(output_size, spatial, x, op), spatial, 1)
    xp, dtype = x._xp, x._data.dtype
    rows = C.adaptive_avg_matrix(xp, x.shape[2], out[0], dtype)
    cols = C.adaptive_avg_matrix(xp, x.shape[3], out[1], dtype)
    return restore(C.SeparableResample.apply(x, rows, cols))


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive windows to a length of ``output_size``."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive windows to ``output_size`` (None keeps a size)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def _adaptive_max(op, spatial, input, output_size, return_indices):
    x, restore = _as_image(input, spatial, op)
    out = _lift(_adaptive_size(output_size, spatial, x, op), spatial, 1)
    y, indices = C.AdaptiveMaxPool2d.apply(x, out)
    return (restore(y), restore(indices)) if return_indices else restore(y)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows to a length of ``output_size``."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows to ``output_size`` (None keeps a size)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


# ----------------------------------------------------------------------------- resampling
def _nearest_matrix(xp, size, out, scale, exact, dtype):
    m = xp.zeros((out, size), dtype=dtype)
    ratio = 1.0 / scale if scale else size / out
    for i in range(out):
        src = math.floor((i + 0.5) * ratio) if exact else math.floor(i * ratio)
        m[i, min(src, size - 1)] = 1.0
    return m


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) by ``size`` or ``scale_factor``: modes 'nearest',
    'nearest-exact', 'linear' (3-D) and 'bilinear' (4-D), each a separable matrix product."""
    op = "interpolate"
    _check_tensor(input, op)
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: only 3-D and 4-D inputs are supported, got "
                                  f"input of shape {tuple(input.shape)}")
    spatial = input.ndim - 2
    modes = {"nearest", "nearest-exact", "linear" if spatial == 1 else "bilinear"}
    if mode not in modes:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported for "
                                  f"{input.ndim}-D input (supported: {sorted(modes)})")
    if align_corners is not None and mode.startswith("nearest"):
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out = _ntuple(size, spatial, "size", op)
        scales = (None,) * spatial
    else:
        scales = tuple(float(s) for s in (scale_factor if isinstance(scale_factor, (list, tuple))
                                          else (scale_factor,) * spatial))
        if len(scales) != spatial:
            raise ValueError(f"interpolate: scale_factor must have {spatial} values")
        out = tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, scales))
        if recompute_scale_factor:
            scales = (None,) * spatial
    if any(o <= 0 for o in out):
        raise RuntimeError(f"interpolate: output size {out} must be positive (input of shape "
                           f"{tuple(input.shape)})")
    x, restore = _as_image(input, spatial, op)
    xp, dtype = x._xp, x._data.dtype

    def matrix(n, o, s):
        if mode.startswith("nearest"):
            return _nearest_matrix(xp, n, o, s, mode == "nearest-exact", dtype)
        return C.linear_interp_matrix(xp, n, o, bool(align_corners), s, dtype)

    mats = [matrix(n, o, s) for n, o, s in zip(in_sizes, out, scales)]
    if spatial == 1:
        mats = [xp.ones((1, 1), dtype=dtype)] + mats
    return restore(C.SeparableResample.apply(x, mats[0], mats[1]))


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """The deprecated spelling of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*KH*KW, L), one column per sliding window."""
    op = "unfold"
    x, restore = _as_image(input, 2, op)
    kernel = _ntuple(kernel_size, 2, "kernel_size", op)
    dilation = _ntuple(dilation, 2, "dilation", op)
    padding = _ntuple(padding, 2, "padding", op)
    stride = _ntuple(stride, 2, "stride", op)
    for n, k, d, p in zip(x.shape[2:], kernel, dilation, padding):
        if n + 2 * p < d * (k - 1) + 1:
            raise RuntimeError(f"unfold: input of shape {tuple(input.shape)} is too small for "
                               f"kernel_size {kernel} with padding {padding} and dilation "
                               f"{dilation}")
    y = C.Unfold.apply(x, kernel, dilation, padding, stride)
    return y.squeeze(0) if input.ndim == 3 else y


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of ``unfold``: (N, C*KH*KW, L) -> (N, C, H, W), overlaps summed."""
    op = "fold"
    _check_tensor(input, op)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D or 3-D input, got shape {tuple(input.shape)}")
    x = input.unsqueeze(0) if input.ndim == 2 else input
    out_hw = _ntuple(output_size, 2, "output_size", op)
    kernel = _ntuple(kernel_size, 2, "kernel_size", op)
    dilation = _ntuple(dilation, 2, "dilation", op)
    padding = _ntuple(padding, 2, "padding", op)
    stride = _ntuple(stride, 2, "stride", op)
    kk = kernel[0] * kernel[1]
    blocks = [C.conv_out_size(n, k, s, 2 * p, d)
              for n, k, s, p, d in zip(out_hw, kernel, stride, padding, dilation)]
    if x.shape[1] % kk or x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"fold: expected input of shape (N, C*{kk}, {blocks[0] * blocks[1]})"
                           f" for output_size {out_hw} and kernel_size {kernel}, got "
                           f"{tuple(input.shape)}")
    y = C.Fold.apply(x, out_hw, kernel, dilation, padding, stride)
    return y.squeeze(0) if input.ndim == 2 else y


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r², H, W) -> (*, C, H r, W r)."""
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    n = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r², H, W)."""
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} and input.size(-1)={w} "
                           f"with downscale_factor={r}")
    n = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)
