"""Recurrent layers as Functions over a whole sequence: one direction of one layer, with
hand-written backpropagation through time.

A sequence is ``x (T, N, I)``. The LSTM exists twice. ``lstm_cell_forward`` and
``lstm_cell_backward`` are one step of the textbook formulas (course assignment 10), and
``LSTMLayer`` steps them forward over time and back through time; ``nn.LSTMCell`` always
runs them. ``FusedLSTMLayer`` is the fast path that ``nn.LSTM`` runs (``lstm_layer`` picks,
through ``use_fused_lstm``): the input projection ``x W_ihᵀ + b_ih`` of all steps is one
matmul before the time loop, each step does one ``(N, H) @ (H, 4H)`` product, and the
backward gathers the gate gradients of all steps so the weight gradients are again single
matmuls after the loop. GRU and RNN layers are fused in the same way.

``mask`` (``(T, N, 1)``, 1 where step t exists for sequence n, or None) runs sequences of
different lengths in one batch (packed sequences): where the mask is 0 the state is carried
unchanged and the output is 0. ``reverse`` walks time from the end (the backward direction
of a bidirectional layer); with a mask each sequence then starts at its own last step.

Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function, array_module
from .elementwise import sigmoid_of


def _sigmoid(xp, a):
    """σ(a) = 1 / (1 + exp(-a)): the sigmoid op's own array function (``sigmoid_of``,
    accurate in both tails, no overflow). ``xp`` is the cells' array module, kept in the
    signature the course's step functions call."""
    return sigmoid_of(a)


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


def _masked_output(out, t, mask, h_new, h):
    """Write step t's output ``out[t]`` and return the hidden state carried to the next
    step: the new one, except where ``mask`` is 0 (a finished sequence keeps its state and
    outputs 0)."""
    if mask is None:
        out[t] = h_new
        return h_new
    m = mask[t]
    out[t] = h_new * m
    return m * h_new + (1 - m) * h


def _lstm_output(out, t, mask, h_new, c_new, h, c):
    """``_masked_output`` for an LSTM step: the cell state is carried the same way."""
    carried = _masked_output(out, t, mask, h_new, h)
    return carried, (c_new if mask is None else mask[t] * c_new + (1 - mask[t]) * c)


def lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step on arrays: x (N, I), h (N, P), c (N, H); W_ih (4H, I), W_hh (4H, P),
    biases (4H,) or None. Returns (h', c', cache for ``lstm_cell_backward``):

        a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh,   split into four (N, H) chunks a_i, a_f, a_g, a_o
        i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
        c' = f c + i g,   h' = o tanh(c')
    """
    # BEGIN SOLUTION assignment=10 "lstm_cell_forward: gates i, f, g, o, new c and h"
    xp = array_module(x)
    a = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        a = a + b_ih
    if b_hh is not None:
        a = a + b_hh
    a_i, a_f, a_g, a_o = xp.split(a, 4, axis=1)
    i, f, g, o = _sigmoid(xp, a_i), _sigmoid(xp, a_f), xp.tanh(a_g), _sigmoid(xp, a_o)
    c_new = f * c + i * g
    tanh_c = xp.tanh(c_new)
    h_new = o * tanh_c
    return h_new, c_new, (x, h, c, i, f, g, o, tanh_c)
    # END SOLUTION


def lstm_cell_backward(dh_new, dc_new, cache, w_ih, w_hh):
    """The backward of one ``lstm_cell_forward`` step: from dL/dh' and dL/dc' (both (N, H))
    to (dx, dh, dc, dW_ih, dW_hh, db), db being the gradient of b_ih and of b_hh alike:

        dc~ = dc' + dh' o (1 - tanh²c')            everything that reaches c'
        da_i = dc~ g i (1 - i),   da_f = dc~ c f (1 - f)
        da_g = dc~ i (1 - g²),    da_o = dh' tanh(c') o (1 - o)
        da = [da_i, da_f, da_g, da_o]              (N, 4H)
        dx = da W_ih,  dh = da W_hh,  dc = dc~ f
        dW_ih = daᵀ x,  dW_hh = daᵀ h,  db = Σ_rows da
    """
    # BEGIN SOLUTION assignment=10 "lstm_cell_backward: dgates, then dx, dh, dc, dW, db"
    xp = array_module(dh_new)
    x, h, c, i, f, g, o, tanh_c = cache
    dc_total = dc_new + dh_new * o * (1 - tanh_c * tanh_c)
    da_i = dc_total * g * i * (1 - i)
    da_f = dc_total * c * f * (1 - f)
    da_g = dc_total * i * (1 - g * g)
    da_o = dh_new * tanh_c * o * (1 - o)
    da = xp.concatenate([da_i, da_f, da_g, da_o], axis=1)
    dx = da @ w_ih
    dh = da @ w_hh
    dc = dc_total * f
    dw_ih = da.T @ x
    dw_hh = da.T @ h
    db = da.sum(axis=0)
    return dx, dh, dc, dw_ih, dw_hh, db
    # END SOLUTION


class LSTMLayer(Function):
    """The textbook LSTM over a sequence: ``lstm_cell_forward`` at each step, forward in
    time, then ``lstm_cell_backward`` at each step, back through time, adding up each step's
    weight gradients. With proj_size, h' = (o tanh c') W_hrᵀ. Outputs (h_1..h_T, h_T, c_T).
    Same arguments and results as ``FusedLSTMLayer``."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse):
        xp = array_module(x)
        n_steps, n = x.shape[:2]
        hid = w_hh.shape[1] if w_hr is None else w_hr.shape[0]
        out = xp.empty((n_steps, n, hid), dtype=x.dtype)
        caches, unprojected = [None] * n_steps, [None] * n_steps
        h, c = h0, c0
        for t in _steps(n_steps, reverse):
            h_new, c_new, caches[t] = lstm_cell_forward(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
            if w_hr is not None:
                unprojected[t] = h_new
                h_new = h_new @ w_hr.T
            h, c = _lstm_output(out, t, mask, h_new, c_new, h, c)
        ctx.save_for_backward(x, w_ih, w_hh, w_hr, mask)
        ctx.caches, ctx.unprojected, ctx.reverse = caches, unprojected, reverse
        return out, h, c

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        xp = array_module(g_out)
        x, w_ih, w_hh, w_hr, mask = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = xp.empty_like(x)
        dw_ih, dw_hh = xp.zeros_like(w_ih), xp.zeros_like(w_hh)
        db = xp.zeros(w_ih.shape[0], dtype=x.dtype)
        dw_hr = None if w_hr is None else xp.zeros_like(w_hr)
        dh, dc = g_h, g_c  # what reaches the state after the step being undone
        for t in _steps(x.shape[0], not ctx.reverse):
            dh_new, dc_new = g_out[t] + dh, dc
            if mask is not None:  # where the step did not exist, the state went around it
                m = mask[t]
                dh_carry, dc_carry = (1 - m) * dh, (1 - m) * dc
                dh_new, dc_new = m * dh_new, m * dc
            if w_hr is not None:
                dw_hr += dh_new.T @ ctx.unprojected[t]
                dh_new = dh_new @ w_hr
            dx[t], dh, dc, dwi, dwh, dbt = lstm_cell_backward(dh_new, dc_new, ctx.caches[t],
                                                              w_ih, w_hh)
            dw_ih += dwi
            dw_hh += dwh
            db += dbt
            if mask is not None:
                dh, dc = dh + dh_carry, dc + dc_carry
        return (dx if need[0] else None, dh, dc, dw_ih if need[3] else None,
                dw_hh if need[4] else None, db if need[5] else None,
                db if need[6] else None, dw_hr, None, None)


def use_fused_lstm() -> bool:
    """Whether ``nn.LSTM`` runs ``FusedLSTMLayer`` (True) or the textbook ``LSTMLayer``:
    ``backend.use_fast_path(10)``, so with the fast paths off, or in a student edition
    where assignment 10 is open, the student's cell is what runs.

    Measured (the benchmark's 2-layer LSTM step, T=32, B=32, H=256, float32, one thread,
    CPU time): the fused layer about 95 ms, the textbook one about 120 ms (x W_ihᵀ and the
    weight gradients as T small products instead of one large one each).
    """
    return backend.use_fast_path(10)


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse):
    """One direction of one LSTM layer (Tensors in, ``(output, h_T, c_T)`` out): the fused
    fast path or the textbook cell stepped over time, as ``use_fused_lstm`` says."""
    layer = FusedLSTMLayer if use_fused_lstm() else LSTMLayer
    return layer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse)


class FusedLSTMLayer(Function):
    """The fast path of ``LSTMLayer``, the same formulas: i, f, g, o = σ, σ, tanh, σ of
    x W_ihᵀ + b_ih + h W_hhᵀ + b_hh; c' = f c + i g; h' = (o tanh c') W_hrᵀ (W_hr only with
    proj_size). Outputs (h_1..h_T, h_T, c_T)."""

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
            h, c = _lstm_output(out, t, mask, h_new, c_new, h, c)
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
            h = _masked_output(out, t, mask, cand + z * (h - cand), h)
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
            h = _masked_output(out, t, mask, h_new, h)
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
