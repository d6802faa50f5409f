"""Recurrent layers as fused Functions: one direction of one layer over a whole sequence,
with hand-written backpropagation through time.

A sequence is ``x (T, N, I)``. The input projection ``x W_ihᵀ + b_ih`` of all steps is one
matmul before the time loop; each step then does one ``(N, H) @ (H, G·H)`` product. The
backward pass walks time in reverse and gathers the gate gradients of all steps, so the
weight gradients are again single matmuls after the loop.

``mask`` (``(T, N, 1)``, 1 where step t exists for sequence n, or None) runs sequences of
different lengths in one batch (packed sequences): where the mask is 0 the state is carried
unchanged and the output is 0. ``reverse`` walks time from the end (the backward direction
of a bidirectional layer); with a mask each sequence then starts at its own last step.

Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).
"""

from __future__ import annotations

from ..autograd.function import Function, array_module


def _sigmoid(xp, a):
    # 1 / (1 + exp(-a)) without overflow warnings for large negative a
    return 0.5 * (xp.tanh(0.5 * a) + 1.0)


def _input_gates(x, w_ih, b_ih, b_hh=None):
    """x W_ihᵀ + b_ih (+ b_hh when it can be folded in) for all steps at once: (T, N, G·H)."""
    gates = x @ w_ih.T
    if b_ih is not None:
        gates += b_ih
    if b_hh is not None:
        gates += b_hh
    return gates


def _steps(n_steps, reverse):
    return range(n_steps - 1, -1, -1) if reverse else range(n_steps)


def _input_grads(ctx, dgates_in, x, w_ih, dgates_h, h_prev):
    """dx, dW_ih, dW_hh, db_ih, db_hh from the per-step gate gradients (all steps at once)."""
    n_in = x.shape[-1]
    flat_in = dgates_in.reshape(-1, dgates_in.shape[-1])
    flat_h = dgates_h.reshape(-1, dgates_h.shape[-1])
    dx = dgates_in @ w_ih if ctx.needs_input_grad[0] else None
    dw_ih = flat_in.T @ x.reshape(-1, n_in) if ctx.needs_input_grad[3] else None
    dw_hh = flat_h.T @ h_prev.reshape(-1, h_prev.shape[-1]) if ctx.needs_input_grad[4] \
        else None
    db_ih = flat_in.sum(axis=0) if ctx.needs_input_grad[5] else None
    db_hh = flat_h.sum(axis=0) if ctx.needs_input_grad[6] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


class LSTMLayer(Function):
    """i, f, g, o = σ, σ, tanh, σ of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh; c' = f c + i g;
    h' = (o tanh c') W_hrᵀ (W_hr only with proj_size). Outputs (h_1..h_T, h_T, c_T)."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse):
        xp = array_module(x)
        n_steps, n = x.shape[:2]
        hid = w_hh.shape[1] if w_hr is None else w_hr.shape[0]
        cell = c0.shape[-1]
        gates_x = _input_gates(x, w_ih, b_ih, b_hh)
        acts = xp.empty((n_steps, n, 4 * cell), dtype=x.dtype)
        h_prev = xp.empty((n_steps, n, hid), dtype=x.dtype)  # the h each step started from
        c_prev = xp.empty((n_steps, n, cell), dtype=x.dtype)
        tanh_c = xp.empty((n_steps, n, cell), dtype=x.dtype)
        out = xp.empty((n_steps, n, hid), dtype=x.dtype)
        h, c = h0, c0
        for t in _steps(n_steps, reverse):
            h_prev[t], c_prev[t] = h, c
            a = gates_x[t] + h @ w_hh.T
            ifo = _sigmoid(xp, a[:, :2 * cell])
            acts[t, :, :2 * cell] = ifo
            acts[t, :, 2 * cell:3 * cell] = g = xp.tanh(a[:, 2 * cell:3 * cell])
            acts[t, :, 3 * cell:] = o = _sigmoid(xp, a[:, 3 * cell:])
            c_new = ifo[:, cell:] * c + ifo[:, :cell] * g
            tanh_c[t] = tc = xp.tanh(c_new)
            h_new = o * tc
            if w_hr is not None:
                h_new = h_new @ w_hr.T
            if mask is not None:
                m = mask[t]
                out[t] = h_new * m
                h_new = m * h_new + (1 - m) * h
                c_new = m * c_new + (1 - m) * c
            else:
                out[t] = h_new
            h, c = h_new, c_new
        ctx.save_for_backward(x, w_ih, w_hh, w_hr, acts, h_prev, c_prev, tanh_c, mask)
        ctx.reverse = reverse
        return out, h, c

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        xp = array_module(g_out)
        x, w_ih, w_hh, w_hr, acts, h_prev, c_prev, tanh_c, mask = ctx.saved_tensors
        n_steps = x.shape[0]
        cell = c_prev.shape[-1]
        dgates = xp.empty_like(acts)
        dw_hr = None if w_hr is None else xp.zeros_like(w_hr)
        dh, dc = g_h, g_c
        for t in _steps(n_steps, not ctx.reverse):
            dh_new = g_out[t] + dh
            dc_new = dc
            if mask is not None:
                m = mask[t]
                dh_carry, dc_carry = (1 - m) * dh, (1 - m) * dc
                dh_new = g_out[t] * m + m * dh
                dc_new = m * dc
            act = acts[t]
            i, f, g, o = (act[:, :cell], act[:, cell:2 * cell], act[:, 2 * cell:3 * cell],
                          act[:, 3 * cell:])
            tc = tanh_c[t]
            if w_hr is not None:
                dw_hr += dh_new.T @ (o * tc)
                dh_new = dh_new @ w_hr
            dc_new = dc_new + dh_new * o * (1 - tc * tc)
            dgate = dgates[t]
            dgate[:, :cell] = dc_new * g * i * (1 - i)
            dgate[:, cell:2 * cell] = dc_new * c_prev[t] * f * (1 - f)
            dgate[:, 2 * cell:3 * cell] = dc_new * i * (1 - g * g)
            dgate[:, 3 * cell:] = dh_new * tc * o * (1 - o)
            dh = dgate @ w_hh
            dc = dc_new * f
            if mask is not None:
                dh = dh + dh_carry
                dc = dc + dc_carry
        dx, dw_ih, dw_hh, db_ih, db_hh = _input_grads(ctx, dgates, x, w_ih, dgates, h_prev)
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr, None, None


class GRULayer(Function):
    """r, z = σ(x W_i{r,z}ᵀ + b_i{r,z} + h W_h{r,z}ᵀ + b_h{r,z});
    n = tanh(x W_inᵀ + b_in + r (h W_hnᵀ + b_hn)); h' = (1 - z) n + z h."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse):
        xp = array_module(x)
        n_steps, n = x.shape[:2]
        hid = w_hh.shape[1]
        gates_x = _input_gates(x, w_ih, b_ih)
        rzn = xp.empty((n_steps, n, 3 * hid), dtype=x.dtype)
        hn = xp.empty((n_steps, n, hid), dtype=x.dtype)  # h W_hnᵀ + b_hn
        h_prev = xp.empty((n_steps, n, hid), dtype=x.dtype)
        out = xp.empty((n_steps, n, hid), dtype=x.dtype)
        h = h0
        for t in _steps(n_steps, reverse):
            h_prev[t] = h
            gh = h @ w_hh.T
            if b_hh is not None:
                gh += b_hh
            gx = gates_x[t]
            rz = _sigmoid(xp, gx[:, :2 * hid] + gh[:, :2 * hid])
            hn[t] = gh[:, 2 * hid:]
            cand = xp.tanh(gx[:, 2 * hid:] + rz[:, :hid] * hn[t])
            rzn[t, :, :2 * hid] = rz
            rzn[t, :, 2 * hid:] = cand
            z = rz[:, hid:]
            h_new = cand + z * (h - cand)
            if mask is not None:
                m = mask[t]
                out[t] = h_new * m
                h_new = m * h_new + (1 - m) * h
            else:
                out[t] = h_new
            h = h_new
        ctx.save_for_backward(x, w_ih, w_hh, rzn, hn, h_prev, mask)
        ctx.reverse = reverse
        return out, h

    @staticmethod
    def backward(ctx, g_out, g_h):
        xp = array_module(g_out)
        x, w_ih, w_hh, rzn, hn, h_prev, mask = ctx.saved_tensors
        n_steps = x.shape[0]
        hid = w_hh.shape[1]
        dgx = xp.empty_like(rzn)
        dgh = xp.empty_like(rzn)
        dh = g_h
        for t in _steps(n_steps, not ctx.reverse):
            if mask is not None:
                m = mask[t]
                dh_carry = (1 - m) * dh
                dh_new = (g_out[t] + dh) * m
            else:
                dh_new = g_out[t] + dh
            r, z, cand = rzn[t, :, :hid], rzn[t, :, hid:2 * hid], rzn[t, :, 2 * hid:]
            da_n = dh_new * (1 - z) * (1 - cand * cand)
            dgx[t, :, hid:2 * hid] = dgh[t, :, hid:2 * hid] = \
                dh_new * (h_prev[t] - cand) * z * (1 - z)
            dgx[t, :, :hid] = dgh[t, :, :hid] = da_n * hn[t] * r * (1 - r)
            dgx[t, :, 2 * hid:] = da_n
            dgh[t, :, 2 * hid:] = da_n * r
            dh = dh_new * z + dgh[t] @ w_hh
            if mask is not None:
                dh = dh + dh_carry
        dx, dw_ih, dw_hh, db_ih, db_hh = _input_grads(ctx, dgx, x, w_ih, dgh, h_prev)
        return dx, dh, None, dw_ih, dw_hh, db_ih, db_hh, None, None, None


class RNNLayer(Function):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu (``c0`` is the name of
    the nonlinearity here; the slot is the LSTM's cell state elsewhere)."""

    @staticmethod
    def forward(ctx, x, h0, nonlinearity, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse):
        xp = array_module(x)
        n_steps = x.shape[0]
        gates_x = _input_gates(x, w_ih, b_ih, b_hh)
        out = xp.empty((n_steps,) + h0.shape, dtype=x.dtype)
        h_prev = xp.empty_like(out)
        h = h0
        for t in _steps(n_steps, reverse):
            h_prev[t] = h
            a = gates_x[t] + h @ w_hh.T
            h_new = xp.tanh(a) if nonlinearity == "tanh" else xp.maximum(a, 0)
            if mask is not None:
                m = mask[t]
                out[t] = h_new * m
                h_new = m * h_new + (1 - m) * h
            else:
                out[t] = h_new
            h = h_new
        ctx.save_for_backward(x, w_ih, w_hh, out, h_prev, mask)
        ctx.reverse, ctx.nonlinearity = reverse, nonlinearity
        return out, h

    @staticmethod
    def backward(ctx, g_out, g_h):
        xp = array_module(g_out)
        x, w_ih, w_hh, out, h_prev, mask = ctx.saved_tensors
        da = xp.empty_like(out)
        dh = g_h
        for t in _steps(x.shape[0], not ctx.reverse):
            dh_new = g_out[t] + dh
            if mask is not None:
                m = mask[t]
                dh_carry = (1 - m) * dh
                dh_new = dh_new * m
            y = out[t]  # equals h_new wherever the mask is 1
            da[t] = dh_new * (1 - y * y) if ctx.nonlinearity == "tanh" else dh_new * (y > 0)
            dh = da[t] @ w_hh
            if mask is not None:
                dh = dh + dh_carry
        dx, dw_ih, dw_hh, db_ih, db_hh = _input_grads(ctx, da, x, w_ih, da, h_prev)
        return dx, dh, None, dw_ih, dw_hh, db_ih, db_hh, None, None, None
