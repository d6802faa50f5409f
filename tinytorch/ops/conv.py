"""Convolution and pooling with hand-derived backward: im2col + one matmul.

Every op here works on 2-D images ``(N, C, H, W)``; the 1-D forms in ``nn.functional``
call them with ``H = 1``. The shared pieces:

- ``im2col``: the column matrix ``(N, C*KH*KW, OH*OW)`` of a padded input, one column per
  output position holding its window (the textbook form, course assignment 9);
- ``windows``: the same windows as a strided *view* ``(N, C, OH, OW, KH, KW)`` (no copy
  until a matmul needs the columns: the fast paths use it);
- ``col2im``: the adjoint of both: window gradients added back onto the padded input, one
  strided slice per kernel offset (``KH * KW`` vectorised adds, no ``add.at``);
  ``col2im_matrix`` takes them in ``im2col``'s column layout.

Convolution is then ``W @ cols`` per group; its input gradient is ``col2im(Wᵀ g)`` and
its weight gradient ``g colsᵀ``. The transposed convolution is the same pair swapped.
Max-pooling is the argmax of each column, and its gradient goes back to that element.

``Conv2d`` and ``MaxPool2d`` each have two forms: the textbook one (``conv2d_forward``,
``conv2d_backward``, ``max_pool2d_forward``, ``max_pool2d_backward``: what the course grades)
and a tuned one beside it (``_conv2d_forward_fast``, ...). ``backend.use_fast_path(9)``
picks (``with backend.fast_paths(False):`` runs the textbook forms; so does a student
edition while assignment 9 is open); the tests check that both give the same numbers.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function, array_module


def im2col(xp, xpad, kernel, stride, dilation, out_hw):
    """The column matrix ``cols (N, C*KH*KW, OH*OW)`` of a padded input:
    ``cols[n, (c, a, b), (i, j)] = xpad[n, c, i*sh + a*dh, j*sw + b*dw]``, so column
    ``(i, j)`` holds the window of output position ``(i, j)``, row ``(c, a, b)`` one offset."""
    # BEGIN SOLUTION assignment=9 "im2col: the window of each output position as a column"
    n, c = xpad.shape[:2]
    (kh, kw), (oh, ow) = kernel, out_hw
    cols = xp.empty((n, c, kh, kw, oh, ow), dtype=xpad.dtype)
    for a in range(kh):
        for b in range(kw):
            # offset (a, b) of every window: rows a*dh, a*dh + sh, ...; columns likewise
            top, left = a * dilation[0], b * dilation[1]
            cols[:, :, a, b] = xpad[:, :, top:top + stride[0] * (oh - 1) + 1:stride[0],
                                    left:left + stride[1] * (ow - 1) + 1:stride[1]]
    return cols.reshape(n, c * kh * kw, oh * ow)
    # END SOLUTION


def windows(xp, x, kernel, stride, dilation, out_hw):
    """The view ``(N, C, OH, OW, KH, KW)`` with ``[n, c, i, j, a, b] =
    x[n, c, i*sh + a*dh, j*sw + b*dw]`` (``x`` already padded)."""
    sn, sc, sh, sw = x.strides
    shape = (x.shape[0], x.shape[1], out_hw[0], out_hw[1], kernel[0], kernel[1])
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def col2im(xp, grad_windows, padded_shape, stride, dilation, dtype):
    """Adjoint of ``windows``: sum ``grad_windows (N, C, OH, OW, KH, KW)`` back onto an
    array of ``padded_shape``."""
    out = xp.zeros(padded_shape, dtype=dtype)
    oh, ow, kh, kw = grad_windows.shape[2:]
    for a in range(kh):
        h0 = a * dilation[0]
        for b in range(kw):
            w0 = b * dilation[1]
            out[:, :, h0:h0 + stride[0] * (oh - 1) + 1:stride[0],
                w0:w0 + stride[1] * (ow - 1) + 1:stride[1]] += grad_windows[:, :, :, :, a, b]
    return out


def col2im_matrix(xp, cols, padded_shape, kernel, stride, dilation, out_hw):
    """Adjoint of ``im2col``: every entry of ``cols (N, C*KH*KW, OH*OW)`` added back onto
    the element of the padded input ``padded_shape`` that ``im2col`` copied it from."""
    n, c = padded_shape[:2]
    win = cols.reshape(n, c, kernel[0], kernel[1], out_hw[0], out_hw[1])
    return col2im(xp, win.transpose(0, 1, 4, 5, 2, 3), padded_shape, stride, dilation,
                  cols.dtype)


def pad2d(xp, x, padding, value=0.0):
    """``x`` with ``padding = ((top, bottom), (left, right))`` filled with ``value``."""
    if not any(padding[0]) and not any(padding[1]):
        return x
    return xp.pad(x, ((0, 0), (0, 0), padding[0], padding[1]), mode="constant",
                  constant_values=value)


def unpad2d(x, padding, hw):
    (top, _), (left, _) = padding
    return x[:, :, top:top + hw[0], left:left + hw[1]]


def conv_out_size(size, kernel, stride, pad_total, dilation, ceil_mode=False, pad_left=0):
    """PyTorch's output length: floor((L + pads - d(k-1) - 1) / s) + 1 (ceil with ceil_mode,
    dropping a last window that would start inside the right padding)."""
    span = size + pad_total - dilation * (kernel - 1) - 1
    if ceil_mode:
        n = -(-span // stride) + 1
        if (n - 1) * stride >= size + pad_left:
            n -= 1
        return n
    return span // stride + 1


def _group_cols(win, groups):
    """Window view ``(N, C, OH, OW, KH, KW)`` -> columns ``(G, Cg*KH*KW, N*OH*OW)`` (a copy).

    Channel-major columns: the copy reads each window row along OW (contiguous for stride
    1), the products below are plain row-major GEMMs, and the result is already laid out
    as ``(C_out, N, OH, OW)``."""
    n, c, oh, ow, kh, kw = win.shape
    g = win.reshape(n, groups, c // groups, oh, ow, kh, kw)
    return g.transpose(1, 2, 5, 6, 0, 3, 4).reshape(groups, (c // groups) * kh * kw,
                                                     n * oh * ow)


def _cols_to_windows(cols, n, c, oh, ow, kh, kw, groups):
    """Inverse layout of ``_group_cols`` as a view: ``(G, Cg*KH*KW, N*OH*OW)`` ->
    ``(N, C, OH, OW, KH, KW)``."""
    g = cols.reshape(groups, c // groups, kh, kw, n, oh, ow)
    return g.transpose(4, 0, 1, 5, 6, 2, 3).reshape(n, c, oh, ow, kh, kw)


def _rows_to_image(rows, n, oh, ow):
    """``(G, OCg, N*OH*OW)`` -> ``(N, G*OCg, OH, OW)`` (contiguous)."""
    groups, ocg = rows.shape[:2]
    out = rows.reshape(groups * ocg, n, oh, ow).transpose(1, 0, 2, 3)
    return out.copy()


def _image_to_rows(img, groups):
    """``(N, G*OCg, OH, OW)`` -> ``(G, OCg, N*OH*OW)``."""
    n, oc, oh, ow = img.shape
    return img.transpose(1, 0, 2, 3).reshape(groups, oc // groups, n * oh * ow)


def _input_grad_stride1(xp, g, w_g, pad_shape, kernel, dilation):
    """Conv2d's input gradient at stride 1, summed on flat rows of the padded width.

    With g widened to the padded width Wp (zeros in the extra columns), the window element
    (a, b) of output (i, j) lands at flat position (i + a dh) Wp + j + b dw: for each kernel
    offset the whole (OH, Wp) block adds to one *contiguous* run of the flat padded input,
    and the zero columns make the wrap-around past a row's end harmless. That is KH*KW long
    contiguous adds instead of KH*KW strided ones (measured 4x faster on LeNet shapes)."""
    n, oc, oh, ow = g.shape
    groups, _, ckk = w_g.shape
    kh, kw = kernel
    c = ckk // (kh * kw) * groups
    hp, wp = pad_shape[2:]
    wide = xp.zeros((oc, n, oh, wp), dtype=g.dtype)
    wide[..., :ow] = g.transpose(1, 0, 2, 3)
    dcols = w_g.transpose(0, 2, 1) @ wide.reshape(groups, oc // groups, n * oh * wp)
    dcols = dcols.reshape(c, kh, kw, n, oh * wp)
    flat = xp.zeros((c, n, hp * wp + wp), dtype=g.dtype)  # one row of slack for the wrap
    span = oh * wp
    for a in range(kh):
        for b in range(kw):
            start = a * dilation[0] * wp + b * dilation[1]
            flat[:, :, start:start + span] += dcols[:, a, b]
    return flat[:, :, :hp * wp].reshape(c, n, hp, wp).transpose(1, 0, 2, 3)


def conv2d_forward(xp, xpad, weight, bias, stride, dilation, groups, out_hw):
    """y[n, o] = b[o] + Σ_{c in group(o), a, b} w[o, c, a, b] · xpad[n, c, i s + a d, j s + b d]
    as one matrix product per group, y = W @ im2col(xpad) + b. Returns (y, cols)."""
    # BEGIN SOLUTION assignment=9 "conv2d_forward: y = W @ im2col(x) + b, one product per group"
    n = xpad.shape[0]
    oc, _, kh, kw = weight.shape
    oh, ow = out_hw
    cols = im2col(xp, xpad, (kh, kw), stride, dilation, out_hw)  # (N, C*KH*KW, OH*OW)
    cols_g = cols.reshape(n, groups, -1, oh * ow)  # (N, G, C/G*KH*KW, OH*OW)
    w_g = weight.reshape(groups, oc // groups, -1)  # (G, OC/G, C/G*KH*KW)
    out = (w_g @ cols_g).reshape(n, oc, oh, ow)  # (N, G, OC/G, OH*OW) -> (N, OC, OH, OW)
    if bias is not None:
        out += bias.reshape(1, oc, 1, 1)
    return out, cols
    # END SOLUTION


def conv2d_backward(xp, g, cols, weight, padded_shape, stride, dilation, groups):
    """Per group, with g[n] as an (OC/G, OH*OW) matrix like the forward's output:
    dW = Σ_n g[n] cols[n]ᵀ, db = Σ_{n, i, j} g, d xpad = col2im(Wᵀ g[n]).
    Returns (d xpad, dW, db)."""
    # BEGIN SOLUTION assignment=9 "conv2d_backward: dW = g cols^T, db = sum g, dx = col2im(W^T g)"
    n, oc, oh, ow = g.shape
    _, _, kh, kw = weight.shape
    g_g = g.reshape(n, groups, oc // groups, oh * ow)  # (N, G, OC/G, OH*OW)
    cols_g = cols.reshape(n, groups, -1, oh * ow)  # (N, G, C/G*KH*KW, OH*OW)
    w_g = weight.reshape(groups, oc // groups, -1)  # (G, OC/G, C/G*KH*KW)
    dw = (g_g @ cols_g.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
    db = g.sum(axis=(0, 2, 3))
    dcols = (w_g.transpose(0, 2, 1) @ g_g).reshape(cols.shape)  # (N, C*KH*KW, OH*OW)
    dxpad = col2im_matrix(xp, dcols, padded_shape, (kh, kw), stride, dilation, out_hw=(oh, ow))
    return dxpad, dw, db
    # END SOLUTION


def _conv2d_forward_fast(xp, xpad, weight, bias, stride, dilation, groups, out_hw):
    """``conv2d_forward`` with channel-major columns ``(G, C/G*KH*KW, N*OH*OW)`` copied
    from the strided ``windows`` view: the products are plain row-major GEMMs and the
    result is already laid out as ``(C_out, N, OH, OW)``."""
    n = xpad.shape[0]
    oc, _, kh, kw = weight.shape
    cols = _group_cols(windows(xp, xpad, (kh, kw), stride, dilation, out_hw), groups)
    w_g = weight.reshape(groups, oc // groups, -1)
    out = _rows_to_image(w_g @ cols, n, *out_hw)  # (G, OCg, N*OH*OW) -> (N, OC, OH, OW)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out, cols


def _conv2d_backward_fast(xp, g, cols, weight, padded_shape, stride, dilation, groups,
                          needs):
    """``conv2d_backward`` on ``_conv2d_forward_fast``'s columns; at stride 1 the input
    gradient is summed on flat rows (``_input_grad_stride1``). Only the ``needs`` grads."""
    oc, _, kh, kw = weight.shape
    n, _, oh, ow = g.shape
    rows = _image_to_rows(g, groups)  # (G, OCg, N*OH*OW)
    dxpad = dw = db = None
    if needs[0]:
        w_g = weight.reshape(groups, oc // groups, -1)
        if stride == (1, 1):
            dxpad = _input_grad_stride1(xp, g, w_g, padded_shape, (kh, kw), dilation)
        else:
            dcols = w_g.transpose(0, 2, 1) @ rows  # (G, Cg*KH*KW, N*OH*OW)
            win = _cols_to_windows(dcols, n, padded_shape[1], oh, ow, kh, kw, groups)
            dxpad = col2im(xp, win, padded_shape, stride, dilation, g.dtype)
    if needs[1]:
        dw = (rows @ cols.transpose(0, 2, 1)).reshape(weight.shape)
    if needs[2]:
        db = g.sum(axis=(0, 2, 3))
    return dxpad, dw, db


class Conv2d(Function):
    """y[n, o] = b[o] + Σ_{c in group(o), a, b} w[o, c, a, b] · x_pad[n, c, i s + a d, j s + b d];
    dx = col2im(Wᵀ g), dW = g colsᵀ, db = Σ g   (``conv2d_forward``, ``conv2d_backward``)"""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        xp = array_module(x)
        n, c, h, w = x.shape
        oc, _, kh, kw = weight.shape
        xpad = pad2d(xp, x, padding)
        oh = conv_out_size(h, kh, stride[0], sum(padding[0]), dilation[0])
        ow = conv_out_size(w, kw, stride[1], sum(padding[1]), dilation[1])
        ctx.fast = backend.use_fast_path(9)  # backward reads the columns in the layout forward made
        forward = _conv2d_forward_fast if ctx.fast else conv2d_forward
        out, cols = forward(xp, xpad, weight, bias, stride, dilation, groups, (oh, ow))
        ctx.save_for_backward(cols, weight)
        ctx.meta = (x.shape, xpad.shape, stride, padding, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        cols, weight = ctx.saved_tensors
        x_shape, pad_shape, stride, padding, dilation, groups = ctx.meta
        needs = ctx.needs_input_grad[:3]
        if ctx.fast:
            dxpad, dw, db = _conv2d_backward_fast(xp, g, cols, weight, pad_shape, stride,
                                                  dilation, groups, needs)
        else:
            dxpad, dw, db = conv2d_backward(xp, g, cols, weight, pad_shape, stride, dilation,
                                            groups)
        dx = unpad2d(dxpad, padding, x_shape[2:]) if needs[0] else None
        return dx, dw if needs[1] else None, db if needs[2] else None, None, None, None, None


class ConvTranspose2d(Function):
    """The adjoint of Conv2d in its input: y = crop(col2im(Wᵀ x)) + b (x as a conv's output
    gradient, W of shape (C_in, C_out/G, KH, KW)); dx = W cols(g_pad), dW = x cols(g_pad)ᵀ"""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, output_padding, groups, dilation):
        xp = array_module(x)
        n, cin, h, w = x.shape
        _, ocg, kh, kw = weight.shape
        oc = ocg * groups
        out_h = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) \
            + output_padding[0] + 1
        out_w = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) \
            + output_padding[1] + 1
        # the uncropped canvas: every window fits, and the output_padding rows exist
        full = (max((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1, padding[0] + out_h),
                max((w - 1) * stride[1] + dilation[1] * (kw - 1) + 1, padding[1] + out_w))
        rows = _image_to_rows(x, groups)  # (G, Cg_in, N*H*W)
        w_g = weight.reshape(groups, cin // groups, -1)  # (G, Cg_in, OCg*KH*KW)
        win = _cols_to_windows(w_g.transpose(0, 2, 1) @ rows, n, oc, h, w, kh, kw, groups)
        canvas = col2im(xp, win, (n, oc, full[0], full[1]), stride, dilation, x.dtype)
        out = canvas[:, :, padding[0]:padding[0] + out_h, padding[1]:padding[1] + out_w]
        out = xp.ascontiguousarray(out)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, weight)
        ctx.meta = (stride, padding, groups, dilation, full, (h, w))
        return out

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, weight = ctx.saved_tensors
        stride, padding, groups, dilation, full, (h, w) = ctx.meta
        cin, ocg, kh, kw = weight.shape
        canvas = xp.zeros(g.shape[:2] + full, dtype=g.dtype)
        canvas[:, :, padding[0]:padding[0] + g.shape[2], padding[1]:padding[1] + g.shape[3]] = g
        cols = _group_cols(windows(xp, canvas, (kh, kw), stride, dilation, (h, w)), groups)
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            w_g = weight.reshape(groups, cin // groups, -1)
            dx = _rows_to_image(w_g @ cols, x.shape[0], h, w)
        if ctx.needs_input_grad[1]:
            rows = _image_to_rows(x, groups)
            dw = (rows @ cols.transpose(0, 2, 1)).reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            db = g.sum(axis=(0, 2, 3))
        return dx, dw, db, None, None, None, None, None


def pool_geometry(hw, kernel, stride, padding, dilation, ceil_mode):
    """Output size and the (top, bottom), (left, right) padding that makes every window fit
    (the right/bottom side grows for ceil_mode's partial last window)."""
    out, pads = [], []
    for size, k, s, p, d in zip(hw, kernel, stride, padding, dilation):
        o = conv_out_size(size, k, s, 2 * p, d, ceil_mode, p)
        need = (o - 1) * s + d * (k - 1) + 1
        pads.append((p, max(need - size - p, 0)))
        out.append(o)
    return tuple(out), tuple(pads)


def _window_slices(kernel, stride, dilation, out_hw):
    """Per kernel offset (k, (rows, cols)): the strided slices of a padded input that hold
    that offset's element of every window."""
    for a in range(kernel[0]):
        h0 = a * dilation[0]
        for b in range(kernel[1]):
            w0 = b * dilation[1]
            yield a * kernel[1] + b, (slice(h0, h0 + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
                                      slice(w0, w0 + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def max_pool2d_forward(xp, xpad, kernel, stride, dilation, out_hw):
    """y[n, c, i, j] = max of window (i, j) of ``xpad`` (padded with -inf), and ``arg``: the
    window offset a*KW + b holding it (the first maximum; a NaN wins). Returns (y, arg)."""
    # BEGIN SOLUTION assignment=9 "max_pool2d_forward: max and argmax of each im2col column"
    n, c = xpad.shape[:2]
    cols = im2col(xp, xpad, kernel, stride, dilation, out_hw)  # (N, C*KH*KW, OH*OW)
    cols = cols.reshape(n, c, kernel[0] * kernel[1], out_hw[0], out_hw[1])
    arg = cols.argmax(axis=2)  # (N, C, OH, OW)
    out = xp.take_along_axis(cols, arg[:, :, None], axis=2)[:, :, 0]
    return out, arg
    # END SOLUTION


def max_pool2d_backward(xp, g, arg, padded_shape, kernel, stride, dilation):
    """d xpad = col2im of the columns that hold g[n, c, i, j] at the window's argmax and 0
    elsewhere: each output's gradient goes to the one element that won its window."""
    # BEGIN SOLUTION assignment=9 "max_pool2d_backward: g to each window's argmax, col2im"
    n, c, oh, ow = g.shape
    offsets = xp.arange(kernel[0] * kernel[1]).reshape(1, 1, -1, 1, 1)
    winner = arg[:, :, None] == offsets  # (N, C, KH*KW, OH, OW): one-hot of the argmax
    dcols = (winner * g[:, :, None]).reshape(n, -1, oh * ow)
    return col2im_matrix(xp, dcols, padded_shape, kernel, stride, dilation, (oh, ow))
    # END SOLUTION


def _max_pool2d_forward_fast(xp, xpad, kernel, stride, dilation, out_hw):
    """``max_pool2d_forward`` as one elementwise pass per kernel offset over strided slices:
    no ``(N, C, KH*KW, OH, OW)`` column copy."""
    out = arg = better = None
    for k, (rows, cols) in _window_slices(kernel, stride, dilation, out_hw):
        part = xpad[:, :, rows, cols]
        if out is None:
            out = part.copy()
            arg = xp.zeros(out.shape, dtype=xp.int32)
            better = xp.empty(out.shape, dtype=bool)
            continue
        xp.greater(part, out, out=better)  # larger, or a NaN (PyTorch's rule: the last
        better |= xp.isnan(part)  # NaN of a window wins; a max already NaN is not beaten)
        xp.copyto(arg, k, where=better)
        xp.maximum(out, part, out=out)
    return out, arg


def _max_pool2d_backward_fast(xp, g, arg, padded_shape, kernel, stride, dilation):
    """``max_pool2d_backward`` as one masked add per kernel offset."""
    dpad = xp.zeros(padded_shape, dtype=g.dtype)
    zero = g.dtype.type(0)
    for k, (rows, cols) in _window_slices(kernel, stride, dilation, g.shape[2:]):
        dpad[:, :, rows, cols] += xp.where(arg == k, g, zero)
    return dpad


class MaxPool2d(Function):
    """y = max over each (dilated) window of x padded with -inf; dx routes g to the argmax
    (the first maximum in window order; a NaN wins: the tuned path takes the last of several
    NaNs as PyTorch does, the textbook argmax the first). With ``with_indices`` a second output
    holds each maximum's flat position in the unpadded (H, W) plane (``return_indices``).
    (``max_pool2d_forward``, ``max_pool2d_backward``)"""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, with_indices):
        xp = array_module(x)
        n, c, h, w = x.shape
        (oh, ow), pads = pool_geometry((h, w), kernel, stride, padding, dilation, ceil_mode)
        xpad = pad2d(xp, x, pads, -xp.inf)
        forward = _max_pool2d_forward_fast if backend.use_fast_path(9) else max_pool2d_forward
        out, arg = forward(xp, xpad, kernel, stride, dilation, (oh, ow))
        ctx.save_for_backward(arg)
        ctx.meta = (x.shape, xpad.shape, kernel, stride, dilation, pads)
        if not with_indices:
            return out
        ki, kj = arg // kernel[1], arg % kernel[1]
        row0 = xp.arange(oh).reshape(-1, 1) * stride[0] - padding[0]
        col0 = xp.arange(ow) * stride[1] - padding[1]
        indices = ((row0 + ki * dilation[0]) * w + col0 + kj * dilation[1]).astype(xp.int64)
        ctx.mark_non_differentiable(indices)
        return out, indices

    @staticmethod
    def backward(ctx, g, _g_indices=None):
        xp = array_module(g)
        (arg,) = ctx.saved_tensors
        x_shape, pad_shape, kernel, stride, dilation, pads = ctx.meta
        backward = _max_pool2d_backward_fast if backend.use_fast_path(9) else max_pool2d_backward
        dpad = backward(xp, g, arg, pad_shape, kernel, stride, dilation)
        return unpad2d(dpad, pads, x_shape[2:]), None, None, None, None, None, None


class AvgPool2d(Function):
    """y = Σ window / divisor (the window's size inside the padded or the real input, or
    divisor_override); dx = col2im(g / divisor)"""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        xp = array_module(x)
        n, c, h, w = x.shape
        one = (1, 1)
        (oh, ow), pads = pool_geometry((h, w), kernel, stride, padding, one, ceil_mode)
        xpad = pad2d(xp, x, pads)
        sums = windows(xp, xpad, kernel, stride, one, (oh, ow)).sum(axis=(4, 5))
        if divisor_override:
            divisor = xp.asarray(float(divisor_override), dtype=x.dtype)
        else:
            # 1 where a window element counts toward the divisor
            mask = xp.zeros((1, 1) + xpad.shape[2:], dtype=x.dtype)
            if count_include_pad:
                mask[:, :, :h + 2 * padding[0], :w + 2 * padding[1]] = 1
            else:
                mask[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = 1
            divisor = windows(xp, mask, kernel, stride, one, (oh, ow)).sum(axis=(4, 5))
        ctx.meta = (x.shape, xpad.shape, kernel, stride, pads)
        ctx.save_for_backward(divisor)
        return sums / divisor

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        (divisor,) = ctx.saved_tensors
        x_shape, pad_shape, kernel, stride, pads = ctx.meta
        per = (g / divisor)[..., None, None]
        win = xp.broadcast_to(per, g.shape + tuple(kernel))
        dpad = col2im(xp, win, pad_shape, stride, (1, 1), g.dtype)
        return unpad2d(dpad, pads, x_shape[2:]), None, None, None, None, None, None


def adaptive_bounds(size: int, out: int):
    """PyTorch's adaptive windows: [floor(i L / O), ceil((i + 1) L / O)) for i < O."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_avg_matrix(xp, size: int, out: int, dtype):
    """The (out, size) matrix whose row i averages adaptive window i."""
    m = xp.zeros((out, size), dtype=dtype)
    for i, (lo, hi) in enumerate(adaptive_bounds(size, out)):
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def linear_interp_matrix(xp, size: int, out: int, align_corners: bool, scale, dtype):
    """The (out, size) matrix of 1-D linear interpolation (PyTorch's source-index rule:
    src = i (L-1)/(O-1) with align_corners, else max((i + 0.5) / scale - 0.5, 0))."""
    m = xp.zeros((out, size), dtype=dtype)
    for i in range(out):
        if align_corners:
            src = i * (size - 1) / (out - 1) if out > 1 else 0.0
        else:
            ratio = 1.0 / scale if scale else size / out
            src = max((i + 0.5) * ratio - 0.5, 0.0)
        i0 = min(int(math.floor(src)), size - 1)
        i1 = min(i0 + 1, size - 1)
        lam = src - i0
        m[i, i0] += 1 - lam
        m[i, i1] += lam
    return m


class SeparableResample(Function):
    """y = A x Bᵀ over the last two dims (A: (OH, H), B: (OW, W) constant);
    dx = Aᵀ g B. Adaptive average pooling and bilinear interpolation are both this."""

    @staticmethod
    def forward(ctx, x, rows, cols):
        ctx.save_for_backward(rows, cols)
        return rows @ x @ cols.T

    @staticmethod
    def backward(ctx, g):
        rows, cols = ctx.saved_tensors
        return rows.T @ g @ cols, None, None


class AdaptiveMaxPool2d(Function):
    """y[i, j] = max of adaptive window (i, j); dx routes g to each window's argmax"""

    @staticmethod
    def forward(ctx, x, out_hw):
        xp = array_module(x)
        n, c, h, w = x.shape
        hb, wb = adaptive_bounds(h, out_hw[0]), adaptive_bounds(w, out_hw[1])
        out = xp.empty((n, c) + tuple(out_hw), dtype=x.dtype)
        indices = xp.empty((n, c) + tuple(out_hw), dtype=xp.int64)
        for i, (h0, h1) in enumerate(hb):
            for j, (w0, w1) in enumerate(wb):
                win = x[:, :, h0:h1, w0:w1].reshape(n, c, -1)
                a = win.argmax(axis=-1)
                out[:, :, i, j] = xp.take_along_axis(win, a[..., None], axis=-1)[..., 0]
                indices[:, :, i, j] = (h0 + a // (w1 - w0)) * w + w0 + a % (w1 - w0)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        ctx.shape = x.shape
        return out, indices

    @staticmethod
    def backward(ctx, g, _g_indices):
        xp = array_module(g)
        (indices,) = ctx.saved_tensors
        n, c, h, w = ctx.shape
        dx = xp.zeros((n * c, h * w), dtype=g.dtype)
        flat_idx = indices.reshape(n * c, -1)
        flat_g = g.reshape(n * c, -1)
        # windows overlap, so one argmax can win several outputs: add, do not assign
        for k in range(flat_idx.shape[1]):
            dx[xp.arange(n * c), flat_idx[:, k]] += flat_g[:, k]
        return dx.reshape(ctx.shape), None


class Unfold(Function):
    """im2col: y[n, (c, a, b), l] = x_pad[n, c, i s + a d, j s + b d] for window l = (i, j);
    dx = col2im(g)"""

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        xp = array_module(x)
        n, c, h, w = x.shape
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
        oh = conv_out_size(h, kernel[0], stride[0], 2 * padding[0], dilation[0])
        ow = conv_out_size(w, kernel[1], stride[1], 2 * padding[1], dilation[1])
        xpad = pad2d(xp, x, pads)
        win = windows(xp, xpad, kernel, stride, dilation, (oh, ow))
        ctx.meta = (x.shape, xpad.shape, kernel, stride, dilation, pads, oh, ow)
        return xp.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(
            n, c * kernel[0] * kernel[1], oh * ow)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x_shape, pad_shape, kernel, stride, dilation, pads, oh, ow = ctx.meta
        n, c = x_shape[:2]
        win = g.reshape(n, c, kernel[0], kernel[1], oh, ow).transpose(0, 1, 4, 5, 2, 3)
        dpad = col2im(xp, win, pad_shape, stride, dilation, g.dtype)
        return unpad2d(dpad, pads, x_shape[2:]), None, None, None, None


class Fold(Function):
    """col2im: the adjoint of Unfold, y = Σ of the columns onto the image; dx = unfold(g)"""

    @staticmethod
    def forward(ctx, x, out_hw, kernel, dilation, padding, stride):
        xp = array_module(x)
        n, ckk, _ = x.shape
        c = ckk // (kernel[0] * kernel[1])
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
        oh = conv_out_size(out_hw[0], kernel[0], stride[0], 2 * padding[0], dilation[0])
        ow = conv_out_size(out_hw[1], kernel[1], stride[1], 2 * padding[1], dilation[1])
        pad_shape = (n, c, out_hw[0] + 2 * padding[0], out_hw[1] + 2 * padding[1])
        win = x.reshape(n, c, kernel[0], kernel[1], oh, ow).transpose(0, 1, 4, 5, 2, 3)
        ctx.meta = (kernel, dilation, padding, stride)
        return xp.ascontiguousarray(unpad2d(col2im(xp, win, pad_shape, stride, dilation,
                                                   x.dtype), pads, out_hw))

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, padding, stride = ctx.meta
        return Unfold.forward(ctx, g, kernel, dilation, padding, stride), None, None, None, \
            None, None
