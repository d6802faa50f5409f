"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their cells, with PyTorch's parameter
names (``weight_ih_l0``, ``weight_hh_l0_reverse``, ``bias_ih_l1``, ``weight_hr_l0``, ...),
gate orders, shapes and initialisation (every parameter ~ U(-1/sqrt(H), 1/sqrt(H))).

Each layer and direction runs as one Function over the whole sequence
(``tinytorch.ops.rnn``), fused for speed; ``LSTMCell``, and ``LSTM`` when
``backend.use_fast_path(10)`` is False, step the textbook cell of course assignment 10.
Inputs are ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``), unbatched
``(L, H_in)``, or a ``PackedSequence``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import creation
from ..ops import rnn as R
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, options_repr
from .parameter import Parameter
from .utils.rnn import PackedSequence, packed_data_to_padded, padded_to_packed_data

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _run_layer(mode, x, h0, c0, w, mask, reverse, textbook=False):
    """One direction of one layer: returns (output, h_n, c_n or None). ``textbook`` runs an
    LSTM through the textbook cell (``ops.rnn.LSTMLayer``) whatever the fast-path switch."""
    w_ih, w_hh, b_ih, b_hh, w_hr = w
    if mode == "LSTM":
        layer = R.LSTMLayer.apply if textbook else R.lstm_layer
        return layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse)
    fn = R.GRULayer if mode == "GRU" else R.RNNLayer
    extra = None if mode == "GRU" else ("tanh" if mode == "RNN_TANH" else "relu")
    out, h = fn.apply(x, h0, extra, w_ih, w_hh, b_ih, b_hh, None, mask, reverse)
    return out, h, None


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (PyTorch's ``nn.RNNBase``)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 \
                or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._name = name
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_in)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for base, shape in shapes:
                    pname = f"{base}_l{layer}{suffix}"
                    setattr(self, pname,
                            Parameter(creation.empty(*shape, dtype=dtype, device=device)))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list[list[Tensor]]:
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional
                                                                    else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch code (cuDNN's weight layout does not exist here)."""

    def _layer_weights(self, layer: int, direction: int):
        suffix = "_reverse" if direction == 1 else ""

        def get(base):
            return getattr(self, f"{base}_l{layer}{suffix}", None)

        return (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                get("weight_hr"))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + options_repr(
            self, proj_size=0, num_layers=1, bias=True, batch_first=False, dropout=0,
            bidirectional=False)

    # ------------------------------------------------------------------ forward
    def _state_shape(self, batch: int, cell: bool) -> tuple:
        directions = 2 if self.bidirectional else 1
        size = self.hidden_size if cell or self.proj_size == 0 else self.proj_size
        return (self.num_layers * directions, batch, size)

    def _check_state(self, h: Tensor, expected: tuple, what: str) -> None:
        if tuple(h.shape) != expected:
            raise RuntimeError(f"{self._name}: expected {what} of size {expected}, got "
                               f"{tuple(h.shape)}")

    def forward(self, input, hx=None):
        name = self._name
        packed = isinstance(input, PackedSequence)
        mask = None
        if packed:
            x, lengths = packed_data_to_padded(input)  # (T, N, I), sorted by length
            batch = x.shape[1]
            mask = (np.arange(x.shape[0])[:, None] < np.asarray(lengths)[None, :])
            mask = x._xp.asarray(mask[:, :, None], dtype=x._data.dtype)
            unbatched = False
            if hx is not None and input.sorted_indices is not None:
                idx = input.sorted_indices._data
                hx = tuple(h[:, idx] for h in hx) if isinstance(hx, tuple) else hx[:, idx]
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: input must be a Tensor or PackedSequence, not "
                                f"{type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 f"tensor (shape {tuple(input.shape)})")
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else input
            if self.batch_first and not unbatched:
                x = x.transpose(0, 1)
            batch = x.shape[1]
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        is_lstm = self.mode == "LSTM"
        if hx is None:
            h0 = creation.zeros(*self._state_shape(batch, False), dtype=x.dtype,
                                device=x.device)
            c0 = creation.zeros(*self._state_shape(batch, True), dtype=x.dtype,
                                device=x.device) if is_lstm else None
        else:
            if is_lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            self._check_state(h0, self._state_shape(batch, False), "hidden[0]" if is_lstm
                              else "hidden")
            if c0 is not None:
                self._check_state(c0, self._state_shape(batch, True), "hidden[1]")

        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                out, h, c = _run_layer(self.mode, layer_input, h0[k],
                                       c0[k] if c0 is not None else None,
                                       self._layer_weights(layer, d), mask, d == 1)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if directions == 1 else creation.cat(outs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = creation.stack(h_n)
        c_n = creation.stack(c_n) if is_lstm else None
        if packed:
            output = PackedSequence(padded_to_packed_data(output, lengths), input.batch_sizes,
                                    input.sorted_indices, input.unsorted_indices)
            if input.unsorted_indices is not None:
                idx = input.unsorted_indices._data
                h_n = h_n[:, idx]
                c_n = c_n[:, idx] if c_n is not None else None
        else:
            if unbatched:
                output = output.squeeze(1)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if c_n is not None else None
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, ((h_n, c_n) if is_lstm else h_n)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o), optional output projection (proj_size)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer: parameters weight_ih, weight_hh, bias_ih, bias_hh."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(gate, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.empty(gate, hidden_size, dtype=dtype,
                                                  device=device))
        if bias:
            self.bias_ih = Parameter(creation.empty(gate, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.empty(gate, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + options_repr(
            self, bias=True, nonlinearity="tanh")

    def _step(self, input, hx, lstm: bool):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (1, 2):
            shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {shape}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        if hx is None:
            zeros = creation.zeros(x.shape[0], self.hidden_size, dtype=x.dtype,
                                   device=x.device)
            hx = (zeros, zeros) if lstm else zeros
        elif unbatched:
            hx = tuple(h.unsqueeze(0) for h in hx) if lstm else hx.unsqueeze(0)
        h0, c0 = hx if lstm else (hx, None)
        if tuple(h0.shape) != (x.shape[0], self.hidden_size):
            raise RuntimeError(f"{name}: expected hidden of size "
                               f"{(x.shape[0], self.hidden_size)}, got {tuple(h0.shape)}")
        w = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None)
        # one step: an LSTMCell always runs the textbook cell (there is nothing to fuse)
        _, h, c = _run_layer(self._mode, x.unsqueeze(0), h0, c0, w, None, False,
                             textbook=True)
        if unbatched:
            h = h.squeeze(0)
            c = c.squeeze(0) if c is not None else None
        return (h, c) if lstm else h


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):
        return self._step(input, hx, False)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx, True)


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx, False)
