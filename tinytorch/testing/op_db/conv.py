"""Convolution, pooling, resampling and im2col rows (``F.conv2d``, ``F.max_pool2d``, ...),
and whole-layer rows for Conv2d, ConvTranspose2d, LSTM, GRU and RNN.

Each reference is NumPy written a different way from the op: convolution as a sum of
shifted copies (one per kernel offset) instead of im2col + matmul, the transposed
convolution as a scatter of each input pixel, pooling and resampling as loops over the
output positions with PyTorch's documented index formulas.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from ..opinfo import ErrorInput, OpInfo

__all__ = ["op_db"]


def _F(lib):
    return lib.nn.functional


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _distinct(shape, draw_seed):
    """Values with no ties (max-pooling's argmax stays put under finite differences)."""
    rng = np.random.default_rng(draw_seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1 + rng.uniform(-0.01, 0.01, shape)


def _image(draw, spatial, channels=None, min_side=1, max_side=5):
    n = draw(st.integers(1, 2))
    c = channels or draw(st.integers(1, 3))
    sides = tuple(draw(st.integers(min_side, max_side)) for _ in range(spatial))
    return _distinct((n, c) + sides, draw(st.integers(0, 2 ** 16)))


# ------------------------------------------------------------------ convolution
@st.composite
def conv_inputs(draw, spatial=2, transposed=False):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(spatial))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(spatial))
    padding = tuple(draw(st.integers(0, 1)) for _ in range(spatial))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    sides = tuple(draw(st.integers(max(1, s - 2 * p) if not transposed else 1,
                                   max(4, s - 2 * p)))
                  for s, p in zip(span, padding))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), cin) + sides)
    w_shape = (cin, cout // groups) + kernel if transposed else (cout, cin // groups) + kernel
    w = rng.standard_normal(w_shape)
    b = rng.standard_normal(cout)
    one = spatial == 1
    kwargs = {"stride": stride[0] if one else stride,
              "padding": padding[0] if one else padding,
              "dilation": dilation[0] if one else dilation, "groups": groups}
    if transposed:
        out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        kwargs["output_padding"] = out_pad[0] if one else out_pad
        sizes = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                 zip(sides, stride, padding, dilation, kernel, out_pad)]
        if min(sizes) < 1:  # PyTorch refuses an empty output: drop the padding
            kwargs["padding"] = 0 if one else (0,) * spatial
    elif draw(st.booleans()) and all(s == 1 for s in stride):
        fits = all(n >= s for n, s in zip(sides, span))  # 'valid' needs a whole kernel
        kwargs["padding"] = draw(st.sampled_from(["same", "valid"] if fits else ["same"]))
    return (x, w, b), kwargs


def _as_2d(x, w, spatial):
    return (x[:, :, None], w[:, :, None]) if spatial == 1 else (x, w)


def conv_ref(np_, x, w, b, stride=1, padding=0, dilation=1, groups=1, spatial=2):
    """y = b + Σ over kernel offsets (a, c) of w[:, :, a, c] · (x shifted by (a d, c d))."""
    x, w = _as_2d(x, w, spatial)
    lift = (lambda v, fill: (fill, v if not isinstance(v, (list, tuple)) else v[0])) \
        if spatial == 1 else (lambda v, fill: _pair(v))
    s, d = lift(stride, 1), lift(dilation, 1)
    kh, kw = w.shape[2:]
    if padding == "valid":
        pads = ((0, 0), (0, 0))
    elif padding == "same":
        pads = tuple((dd * (k - 1) // 2, dd * (k - 1) - dd * (k - 1) // 2)
                     for dd, k in zip(d, (kh, kw)))
    else:
        p = lift(padding, 0)
        pads = ((p[0], p[0]), (p[1], p[1]))
    xp_ = np.pad(x, ((0, 0), (0, 0)) + pads)
    oh = (xp_.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (xp_.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    cg, ocg = w.shape[1], w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for g in range(groups):
        xg = xp_[:, g * cg:(g + 1) * cg]
        wg = w[g * ocg:(g + 1) * ocg]
        for a in range(kh):
            for c in range(kw):
                shifted = xg[:, :, a * d[0]:a * d[0] + s[0] * (oh - 1) + 1:s[0],
                             c * d[1]:c * d[1] + s[1] * (ow - 1) + 1:s[1]]
                out[:, g * ocg:(g + 1) * ocg] += np.einsum("nchw,oc->nohw", shifted,
                                                           wg[:, :, a, c])
    out += b.reshape(1, -1, 1, 1)
    return out[:, :, 0] if spatial == 1 else out


def conv_transpose_ref(np_, x, w, b, stride=1, padding=0, output_padding=0, groups=1,
                       dilation=1, spatial=2):
    """Each input pixel (i, j) adds x[n, c, i, j] · w[c, o] at (i s - p + a d, j s - p + c d)."""
    x, w = _as_2d(x, w, spatial)
    lift = (lambda v, fill: (fill, v if not isinstance(v, (list, tuple)) else v[0])) \
        if spatial == 1 else (lambda v, fill: _pair(v))
    s, p, op_, d = lift(stride, 1), lift(padding, 0), lift(output_padding, 0), lift(dilation, 1)
    n, cin, h, wd = x.shape
    kh, kw = w.shape[2:]
    ocg = w.shape[1]
    cg = cin // groups
    out_h = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op_[0] + 1
    out_w = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op_[1] + 1
    out = np.zeros((n, ocg * groups, out_h, out_w))
    for g in range(groups):
        for i in range(h):
            for j in range(wd):
                contrib = np.einsum("nc,cokl->nokl", x[:, g * cg:(g + 1) * cg, i, j],
                                    w[g * cg:(g + 1) * cg])
                for a in range(kh):
                    for c in range(kw):
                        r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + c * d[1]
                        if 0 <= r < out_h and 0 <= q < out_w:
                            out[:, g * ocg:(g + 1) * ocg, r, q] += contrib[:, :, a, c]
    out += b.reshape(1, -1, 1, 1)
    return out[:, :, 0] if spatial == 1 else out


# ------------------------------------------------------------------ pooling
@st.composite
def pool_inputs(draw, spatial=2, avg=False):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    dilation = (1,) * spatial if avg else tuple(draw(st.integers(1, 2)) for _ in range(spatial))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    ceil_mode = draw(st.booleans())
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 2))
    # at least one dilated window's worth: no window is all padding (PyTorch's max over
    # nothing but -inf padding is not a value to compare)
    sides = tuple(draw(st.integers(d * (k - 1) + 1, 5)) for k, d in zip(kernel, dilation))
    x = _distinct((n, c) + sides, draw(st.integers(0, 2 ** 16)))
    one = spatial == 1
    kwargs = {"kernel_size": kernel[0] if one else kernel, "stride": stride[0] if one else stride,
              "padding": padding[0] if one else padding, "ceil_mode": ceil_mode}
    if avg:
        kwargs["count_include_pad"] = draw(st.booleans())
    else:
        kwargs["dilation"] = dilation[0] if one else dilation
    return (x,), kwargs


def _pool_windows(size, k, s, p, d, ceil_mode):
    """PyTorch's output length and each window's start (in unpadded coordinates)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return [i * s - p for i in range(out)]


def pool_ref(np_, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             count_include_pad=True, kind="max", spatial=2):
    """Each output is the max (or the mean, divided as PyTorch's docs say) of its window."""
    if spatial == 1:
        x = x[:, :, None]
        kernel_size, padding, dilation = (1, kernel_size), (0, padding), (1, dilation)
        stride = (1, stride) if stride is not None else kernel_size
    k, p, d = _pair(kernel_size), _pair(padding), _pair(dilation)
    s = _pair(stride) if stride is not None else k
    h, w = x.shape[2:]
    rows = _pool_windows(h, k[0], s[0], p[0], d[0], ceil_mode)
    cols = _pool_windows(w, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.zeros(x.shape[:2] + (len(rows), len(cols)))
    for i, r0 in enumerate(rows):
        for j, c0 in enumerate(cols):
            rr = [r0 + a * d[0] for a in range(k[0])]
            cc = [c0 + b * d[1] for b in range(k[1])]
            rr_in = [r for r in rr if 0 <= r < h]
            cc_in = [c for c in cc if 0 <= c < w]
            window = x[:, :, rr_in][:, :, :, cc_in].reshape(x.shape[0], x.shape[1], -1)
            if kind == "max":
                out[:, :, i, j] = window.max(axis=-1)
            else:
                if count_include_pad:
                    # the window clipped to the padded input (not to its ceil-mode overhang)
                    hh = min(r0 + k[0], h + p[0]) - r0
                    ww = min(c0 + k[1], w + p[1]) - c0
                    divisor = hh * ww
                else:
                    divisor = len(rr_in) * len(cc_in)
                out[:, :, i, j] = window.sum(axis=-1) / divisor
    return out[:, :, 0] if spatial == 1 else out


@st.composite
def adaptive_inputs(draw, spatial=2):
    x = _image(draw, spatial)
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(spatial))
    return (x,), {"output_size": sizes[0] if spatial == 1 else sizes}


def adaptive_ref(np_, x, output_size, kind="avg", spatial=2):
    """Window i covers [floor(i L / O), ceil((i + 1) L / O))."""
    if spatial == 1:
        x = x[:, :, None]
        output_size = (1, output_size)
    oh, ow = _pair(output_size)
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, (i * h) // oh:-(-(i + 1) * h // oh),
                       (j * w) // ow:-(-(j + 1) * w // ow)]
            out[:, :, i, j] = window.max(axis=(2, 3)) if kind == "max" \
                else window.mean(axis=(2, 3))
    return out[:, :, 0] if spatial == 1 else out


# ------------------------------------------------------------------ resampling
@st.composite
def interpolate_inputs(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "bilinear", "linear"]))
    spatial = 1 if mode == "linear" else 2
    x = _image(draw, spatial, max_side=4)
    kwargs = {"mode": mode}
    if draw(st.booleans()):
        kwargs["size"] = tuple(draw(st.integers(1, 6)) for _ in range(spatial))
    else:
        kwargs["scale_factor"] = draw(st.sampled_from([0.5, 1.5, 2.0, 2.5]))
        if any(math.floor(n * kwargs["scale_factor"]) < 1 for n in x.shape[2:]):
            kwargs["scale_factor"] = 2.0
    if mode in ("bilinear", "linear"):
        kwargs["align_corners"] = draw(st.booleans())
    return (x,), kwargs


def interpolate_ref(np_, x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Per output index i: nearest takes floor(i·in/out) (floor((i + ½)·in/out) for
    'nearest-exact'); linear blends floor(src) and the next index, src = i (in-1)/(out-1)
    with align_corners else max((i + ½) in/out - ½, 0) (in/out = 1/scale_factor if given)."""
    ins = x.shape[2:]
    outs = tuple(size) if size is not None else tuple(int(math.floor(n * scale_factor))
                                                       for n in ins)
    out = x
    for axis, (n, o) in enumerate(zip(ins, outs)):
        ratio = 1 / scale_factor if scale_factor else n / o
        weights = np.zeros((o, n))
        for i in range(o):
            if mode == "nearest":
                weights[i, min(int(math.floor(i * ratio)), n - 1)] = 1
            elif mode == "nearest-exact":
                weights[i, min(int(math.floor((i + 0.5) * ratio)), n - 1)] = 1
            else:
                if align_corners:
                    src = i * (n - 1) / (o - 1) if o > 1 else 0.0
                else:
                    src = max((i + 0.5) * ratio - 0.5, 0.0)
                lo = min(int(math.floor(src)), n - 1)
                hi = min(lo + 1, n - 1)
                weights[i, lo] += 1 - (src - lo)
                weights[i, hi] += src - lo
        out = np.moveaxis(np.tensordot(weights, np.moveaxis(out, 2 + axis, 0), axes=1), 0,
                          2 + axis)
    return out


@st.composite
def unfold_inputs(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    sides = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 5))
                  for k, d, p in zip(kernel, dilation, padding))
    x = np.random.default_rng(draw(st.integers(0, 2 ** 16))).standard_normal(
        (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + sides)
    return (x,), {"kernel_size": kernel, "dilation": dilation, "padding": padding,
                  "stride": stride}


def _blocks(size, k, d, p, s):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def unfold_ref(np_, x, kernel_size, dilation=1, padding=0, stride=1):
    """Column l = (i, j) lists x_pad[c, i s + a d, j s + b d] over (c, a, b)."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    xp_ = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = _blocks(x.shape[2], k[0], d[0], p[0], s[0])
    ow = _blocks(x.shape[3], k[1], d[1], p[1], s[1])
    cols = []
    for i in range(oh):
        for j in range(ow):
            patch = xp_[:, :, i * s[0]:i * s[0] + d[0] * (k[0] - 1) + 1:d[0],
                        j * s[1]:j * s[1] + d[1] * (k[1] - 1) + 1:d[1]]
            cols.append(patch.reshape(x.shape[0], -1))
    return np.stack(cols, axis=-1)


@st.composite
def fold_inputs(draw):
    (x,), kw = draw(unfold_inputs())
    cols = unfold_ref(np, x, **kw)
    y = np.random.default_rng(draw(st.integers(0, 2 ** 16))).standard_normal(cols.shape)
    return (y,), dict(kw, output_size=tuple(x.shape[2:]))


def fold_ref(np_, x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of unfold: column entries added back at their image positions."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    h, w = _pair(output_size)
    c = x.shape[1] // (k[0] * k[1])
    canvas = np.zeros((x.shape[0], c, h + 2 * p[0], w + 2 * p[1]))
    oh, ow = _blocks(h, k[0], d[0], p[0], s[0]), _blocks(w, k[1], d[1], p[1], s[1])
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * ow + j].reshape(x.shape[0], c, k[0], k[1])
            canvas[:, :, i * s[0]:i * s[0] + d[0] * (k[0] - 1) + 1:d[0],
                   j * s[1]:j * s[1] + d[1] * (k[1] - 1) + 1:d[1]] += patch
    return canvas[:, :, p[0]:p[0] + h, p[1]:p[1] + w]


@st.composite
def shuffle_inputs(draw, up=True):
    r = draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (n, c * r * r, h, w) if up else (n, c, h * r, w * r)
    x = np.random.default_rng(draw(st.integers(0, 2 ** 16))).standard_normal(shape)
    return (x,), ({"upscale_factor": r} if up else {"downscale_factor": r})


def pixel_shuffle_ref(np_, x, upscale_factor):
    """out[n, c, h r + i, w r + j] = x[n, c r² + i r + j, h, w]."""
    r = upscale_factor
    n, crr, h, w = x.shape
    out = np.zeros((n, crr // (r * r), h * r, w * r))
    for c in range(crr // (r * r)):
        for i in range(r):
            for j in range(r):
                out[:, c, i::r, j::r] = x[:, c * r * r + i * r + j]
    return out


def pixel_unshuffle_ref(np_, x, downscale_factor):
    """The inverse of pixel_shuffle: out[n, c r² + i r + j, h, w] = x[n, c, h r + i, w r + j]."""
    r = downscale_factor
    n, c, h, w = x.shape
    out = np.zeros((n, c * r * r, h // r, w // r))
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[:, ch * r * r + i * r + j] = x[:, ch, i::r, j::r]
    return out


# ------------------------------------------------------------------ the rows
def _conv_call(name):
    return lambda lib, x, w, b, **kw: getattr(_F(lib), name)(x, w, b, **kw)


def _zeros(lib, device, *shape):
    return lib.zeros(*shape, device=device)


op_db = [
    OpInfo("F.conv2d", _conv_call("conv2d"), conv_inputs(2),
           ref=lambda np_, x, w, b, **kw: conv_ref(np_, x, w, b, **kw), covers=("F.conv2d",),
           gradgrad=False,
           errors=(ErrorInput(lambda lib, d: _F(lib).conv2d(_zeros(lib, d, 2, 4, 8, 8),
                                                            _zeros(lib, d, 5, 3, 3, 3)),
                              RuntimeError, r"conv2d: expected input with 3 channels, got 4 "
                                            r"\(input shape \(2, 4, 8, 8\)\)"),
                   ErrorInput(lambda lib, d: _F(lib).conv2d(_zeros(lib, d, 1, 3, 2, 2),
                                                            _zeros(lib, d, 5, 3, 3, 3)),
                              RuntimeError, "smaller than the kernel"),
                   ErrorInput(lambda lib, d: _F(lib).conv2d(_zeros(lib, d, 1, 3, 5, 5),
                                                            _zeros(lib, d, 5, 3, 3, 3),
                                                            stride=2, padding="same"),
                              RuntimeError, "not supported for strided"))),
    OpInfo("F.conv1d", _conv_call("conv1d"), conv_inputs(1),
           ref=lambda np_, x, w, b, **kw: conv_ref(np_, x, w, b, spatial=1, **kw),
           covers=("F.conv1d",), gradgrad=False,
           errors=(ErrorInput(lambda lib, d: _F(lib).conv1d(_zeros(lib, d, 2, 4, 8),
                                                            _zeros(lib, d, 5, 3, 3)),
                              RuntimeError, "conv1d: expected input with 3 channels, got 4"),)),
    OpInfo("F.conv_transpose2d", _conv_call("conv_transpose2d"), conv_inputs(2, True),
           ref=lambda np_, x, w, b, **kw: conv_transpose_ref(np_, x, w, b, **kw),
           covers=("F.conv_transpose2d",), gradgrad=False,
           errors=(ErrorInput(lambda lib, d: _F(lib).conv_transpose2d(
               _zeros(lib, d, 1, 2, 3, 3), _zeros(lib, d, 2, 2, 3, 3), stride=2,
               output_padding=2), RuntimeError, "output padding"),)),
    OpInfo("F.conv_transpose1d", _conv_call("conv_transpose1d"), conv_inputs(1, True),
           ref=lambda np_, x, w, b, **kw: conv_transpose_ref(np_, x, w, b, spatial=1, **kw),
           covers=("F.conv_transpose1d",), gradgrad=False),
    OpInfo("F.max_pool2d", lambda lib, x, **kw: _F(lib).max_pool2d(x, **kw), pool_inputs(2),
           ref=lambda np_, x, **kw: pool_ref(np_, x, **kw), covers=("F.max_pool2d",),
           gradgrad=False,
           errors=(ErrorInput(lambda lib, d: _F(lib).max_pool2d(_zeros(lib, d, 1, 1, 4, 4), 2,
                                                                padding=2),
                              RuntimeError, "pad should be at most half"),)),
    OpInfo("F.max_pool1d", lambda lib, x, **kw: _F(lib).max_pool1d(x, **kw), pool_inputs(1),
           ref=lambda np_, x, **kw: pool_ref(np_, x, spatial=1, **kw), covers=("F.max_pool1d",),
           gradgrad=False),
    OpInfo("F.avg_pool2d", lambda lib, x, **kw: _F(lib).avg_pool2d(x, **kw),
           pool_inputs(2, avg=True), ref=lambda np_, x, **kw: pool_ref(np_, x, kind="avg", **kw),
           covers=("F.avg_pool2d",), gradgrad=False),
    OpInfo("F.avg_pool1d", lambda lib, x, **kw: _F(lib).avg_pool1d(x, **kw),
           pool_inputs(1, avg=True),
           ref=lambda np_, x, **kw: pool_ref(np_, x, kind="avg", spatial=1, **kw),
           covers=("F.avg_pool1d",), gradgrad=False),
    OpInfo("F.adaptive_avg_pool2d", lambda lib, x, **kw: _F(lib).adaptive_avg_pool2d(x, **kw),
           adaptive_inputs(2), ref=lambda np_, x, **kw: adaptive_ref(np_, x, **kw),
           covers=("F.adaptive_avg_pool2d",), gradgrad=False),
    OpInfo("F.adaptive_avg_pool1d", lambda lib, x, **kw: _F(lib).adaptive_avg_pool1d(x, **kw),
           adaptive_inputs(1), ref=lambda np_, x, **kw: adaptive_ref(np_, x, spatial=1, **kw),
           covers=("F.adaptive_avg_pool1d",), gradgrad=False),
    OpInfo("F.adaptive_max_pool2d", lambda lib, x, **kw: _F(lib).adaptive_max_pool2d(x, **kw),
           adaptive_inputs(2), ref=lambda np_, x, **kw: adaptive_ref(np_, x, kind="max", **kw),
           covers=("F.adaptive_max_pool2d",), gradgrad=False),
    OpInfo("F.adaptive_max_pool1d", lambda lib, x, **kw: _F(lib).adaptive_max_pool1d(x, **kw),
           adaptive_inputs(1),
           ref=lambda np_, x, **kw: adaptive_ref(np_, x, kind="max", spatial=1, **kw),
           covers=("F.adaptive_max_pool1d",), gradgrad=False),
    OpInfo("F.interpolate", lambda lib, x, **kw: _F(lib).interpolate(x, **kw),
           interpolate_inputs(), ref=interpolate_ref,
           variants={"upsample": lambda lib, x, **kw: _F(lib).upsample(x, **kw)},
           covers=("F.interpolate", "F.upsample"), gradgrad=False,
           errors=(ErrorInput(lambda lib, d: _F(lib).interpolate(_zeros(lib, d, 1, 1, 2, 2)),
                              ValueError, "only one of size or scale_factor"),)),
    OpInfo("F.unfold", lambda lib, x, **kw: _F(lib).unfold(x, **kw), unfold_inputs(),
           ref=unfold_ref, covers=("F.unfold",), gradgrad=False),
    OpInfo("F.fold", lambda lib, x, **kw: _F(lib).fold(x, **kw), fold_inputs(), ref=fold_ref,
           covers=("F.fold",), gradgrad=False,
           errors=(ErrorInput(lambda lib, d: _F(lib).fold(_zeros(lib, d, 1, 4, 5), (3, 3), 2),
                              RuntimeError, "fold: expected input of shape"),)),
    OpInfo("F.pixel_shuffle", lambda lib, x, **kw: _F(lib).pixel_shuffle(x, **kw),
           shuffle_inputs(True), ref=pixel_shuffle_ref, covers=("F.pixel_shuffle",),
           errors=(ErrorInput(lambda lib, d: _F(lib).pixel_shuffle(_zeros(lib, d, 1, 3, 2, 2),
                                                                   2),
                              RuntimeError, "divisible by the square"),)),
    OpInfo("F.pixel_unshuffle", lambda lib, x, **kw: _F(lib).pixel_unshuffle(x, **kw),
           shuffle_inputs(False), ref=pixel_unshuffle_ref, covers=("F.pixel_unshuffle",)),
]


# ------------------------------------------------------------------ layers (module rows)
def _module_rows():
    """Rows for whole layers: the inputs, then the parameters (``named_parameters`` order),
    through ``op_db.nn``'s module_call / module_inputs machinery."""
    from .nn import module_call, module_inputs

    def conv_make(lib):
        return lib.nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect", groups=2)

    def conv_ref_reflect(np_, x, w, b):
        padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
        return conv_ref(np_, padded, w, b, groups=2)

    def convt_make(lib):
        return lib.nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1)

    def convt_ref(np_, x, w, b):
        return conv_transpose_ref(np_, x, w, b, stride=2, output_padding=1)

    def recurrent(kind, **kw):
        def make(lib):
            class LastOutput(lib.nn.Module):
                """The layer's output sequence alone (rows compare one tensor)."""

                def __init__(self):
                    super().__init__()
                    self.rnn = getattr(lib.nn, kind)(3, 4, **kw)

                def forward(self, x):
                    return self.rnn(x)[0]

            return LastOutput()

        return make

    return [
        OpInfo("nn.Conv2d_reflect_groups", module_call(conv_make),
               module_inputs(conv_make, (2, 2, 4, 5)), ref=conv_ref_reflect, gradgrad=False),
        OpInfo("nn.ConvTranspose2d", module_call(convt_make),
               module_inputs(convt_make, (1, 2, 3, 2)), ref=convt_ref, gradgrad=False),
        OpInfo("nn.LSTM_2_layers", module_call(recurrent("LSTM", num_layers=2)),
               module_inputs(recurrent("LSTM", num_layers=2), (4, 2, 3)),
               ref=lambda lib, x, *ws: lstm_composite(lib, x, ws, layers=2),
               ref_kind="composite", gradgrad=False),
        OpInfo("nn.GRU_batch_first", module_call(recurrent("GRU", batch_first=True)),
               module_inputs(recurrent("GRU", batch_first=True), (2, 4, 3)),
               ref=lambda lib, x, *ws: gru_composite(lib, x.transpose(0, 1), ws).transpose(0, 1),
               ref_kind="composite", gradgrad=False),
        OpInfo("nn.RNN_tanh", module_call(recurrent("RNN")),
               module_inputs(recurrent("RNN"), (4, 2, 3)),
               ref=lambda lib, x, *ws: rnn_composite(lib, x, ws), ref_kind="composite",
               gradgrad=False),
    ]


def _steps_composite(lib, x, h0, step):
    """Run ``h = step(x_t, h)`` over time (dim 0) and stack the outputs."""
    h, outs = h0, []
    for t in range(x.shape[0]):
        h = step(x[t], h)
        outs.append(h[0] if isinstance(h, tuple) else h)
    return lib.stack(outs)


def lstm_composite(lib, x, ws, layers=1):
    """i, f, g, o = σ, σ, tanh, σ of the gate chunks; c' = f c + i g; h' = o tanh(c')."""
    for layer in range(layers):
        w_ih, w_hh, b_ih, b_hh = ws[4 * layer:4 * layer + 4]
        zero = lib.zeros(x.shape[1], w_hh.shape[1], dtype=x.dtype)

        def step(xt, state, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh):
            h, c = state
            i, f, g, o = (xt @ w_ih.transpose(0, 1) + b_ih + h @ w_hh.transpose(0, 1)
                          + b_hh).chunk(4, dim=1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            return o.sigmoid() * c.tanh(), c

        x = _steps_composite(lib, x, (zero, zero), step)
    return x


def gru_composite(lib, x, ws):
    """r, z = σ(...); n = tanh(x W_inᵀ + b_in + r (h W_hnᵀ + b_hn)); h' = (1 - z) n + z h."""
    w_ih, w_hh, b_ih, b_hh = ws

    def step(xt, h):
        xr, xz, xn = (xt @ w_ih.transpose(0, 1) + b_ih).chunk(3, dim=1)
        hr, hz, hn = (h @ w_hh.transpose(0, 1) + b_hh).chunk(3, dim=1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return (1 - z) * n + z * h

    return _steps_composite(lib, x, lib.zeros(x.shape[1], w_hh.shape[1], dtype=x.dtype), step)


def rnn_composite(lib, x, ws):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    w_ih, w_hh, b_ih, b_hh = ws

    def step(xt, h):
        return (xt @ w_ih.transpose(0, 1) + b_ih + h @ w_hh.transpose(0, 1) + b_hh).tanh()

    return _steps_composite(lib, x, lib.zeros(x.shape[1], w_hh.shape[1], dtype=x.dtype), step)


op_db += _module_rows()
