"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``,
plus ``Unfold``/``Fold`` and ``PixelShuffle``/``PixelUnshuffle``.

Parameters, defaults and initialisation are PyTorch's: weight ``(C_out, C_in/groups, *k)``
(transposed: ``(C_in, C_out/groups, *k)``) from ``kaiming_uniform_(a=sqrt(5))``, bias from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

from . import functional_spatial as FS
from . import init
from .module import Module
from .parameter import register_weight_and_bias

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold",
           "PixelShuffle", "PixelUnshuffle"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _spatial = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, output_padding=0) -> None:
        super().__init__()
        name = type(self).__name__
        n = self._spatial
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by "
                             f"groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = FS._ntuple(kernel_size, n, "kernel_size", name)
        self.stride = FS._ntuple(stride, n, "stride", name)
        self.dilation = FS._ntuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"['valid', 'same']")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = FS._ntuple(padding, n, "padding", name)
        self.output_padding = FS._ntuple(output_padding, n, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        register_weight_and_bias(self, shape, out_channels if bias else None, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}" \
            f", stride={self.stride}"
        n = self._spatial
        if self.padding != (0,) * n:
            s += f", padding={self.padding if isinstance(self.padding, str) else self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        name, n = type(self).__name__, self._spatial
        op = f"conv{n}d"
        padding = self.padding
        if self.padding_mode != "zeros":
            pads = FS._conv_padding(padding, n, self.kernel_size, self.dilation, self.stride,
                                    name)
            FS._check_tensor(input, name)
            if input.ndim in (n + 1, n + 2) and input.shape[-n - 1] == self.in_channels:
                input = FS.pad_by_mode(input, pads, self.padding_mode)
            padding = 0
        return FS._conv(op, n, input, self.weight, self.bias, self.stride, padding,
                        self.dilation, self.groups, module=name)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out)."""

    _spatial = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    _spatial = 2


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule), else the stored one."""
        if output_size is None:
            return self.output_padding
        n = self._spatial
        size = list(output_size)[-n:]
        out = []
        for i in range(n):
            length = input.shape[input.ndim - n + i]
            smallest = (length - 1) * self.stride[i] - 2 * self.padding[i] \
                + self.dilation[i] * (self.kernel_size[i] - 1) + 1
            extra = int(size[i]) - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"requested an output size of {tuple(size)}, but valid sizes "
                                 f"range from {smallest} to "
                                 f"{smallest + max(self.stride[i], self.dilation[i]) - 1} in "
                                 f"dimension {i}")
            out.append(extra)
        return tuple(out)

    def forward(self, input, output_size=None):
        n = self._spatial
        return FS._conv_transpose(f"conv_transpose{n}d", n, input, self.weight, self.bias,
                                  self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation, module=type(self).__name__)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (the input-gradient of Conv1d), weight (C_in, C_out/g, K)."""

    _spatial = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution, weight (C_in, C_out/groups, KH, KW)."""

    _spatial = 2


class Unfold(Module):
    """im2col: (N, C, H, W) -> (N, C*KH*KW, L) (``F.unfold``)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return FS.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """col2im: (N, C*KH*KW, L) -> (N, C, H, W), overlaps summed (``F.fold``)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return FS.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                       self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class PixelShuffle(Module):
    """(N, C r², H, W) -> (N, C, H r, W r) (Shi et al. 2016)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return FS.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r², H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return FS.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
