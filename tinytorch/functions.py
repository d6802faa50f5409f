"""The ``tinytorch.*`` functional forms of Tensor methods: ``tinytorch.exp(x)`` is ``x.exp()``.

Written out one by one (PyTorch's signatures) so that each is findable and has a docstring;
the math and the gradient live with the method's Function (see ``tinytorch/ops/__init__.py``).
"""

from __future__ import annotations

from .tensor import Tensor


def exp(input) -> Tensor:
    """``input.exp()``."""
    return input.exp()


def log(input) -> Tensor:
    """``input.log()``."""
    return input.log()


def sqrt(input) -> Tensor:
    """``input.sqrt()``."""
    return input.sqrt()


def rsqrt(input) -> Tensor:
    """``input.rsqrt()``."""
    return input.rsqrt()


def sin(input) -> Tensor:
    """``input.sin()``."""
    return input.sin()


def cos(input) -> Tensor:
    """``input.cos()``."""
    return input.cos()


def tanh(input) -> Tensor:
    """``input.tanh()``."""
    return input.tanh()


def sigmoid(input) -> Tensor:
    """``input.sigmoid()``."""
    return input.sigmoid()


def relu(input) -> Tensor:
    """``input.relu()``."""
    return input.relu()


def abs(input) -> Tensor:
    """``input.abs()``."""
    return input.abs()


def neg(input) -> Tensor:
    """``input.neg()``."""
    return input.neg()


def square(input) -> Tensor:
    """``input.square()``."""
    return input.square()


def sign(input) -> Tensor:
    """``input.sign()``."""
    return input.sign()


def isnan(input) -> Tensor:
    """``input.isnan()``."""
    return input.isnan()


def isinf(input) -> Tensor:
    """``input.isinf()``."""
    return input.isinf()


def isfinite(input) -> Tensor:
    """``input.isfinite()``."""
    return input.isfinite()


def sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``input.sum(dim, keepdim, dtype)``."""
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``input.mean(dim, keepdim, dtype)``."""
    return input.mean(dim, keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """``input.var(dim, unbiased, keepdim, correction)``."""
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """``input.std(dim, unbiased, keepdim, correction)``."""
    return input.std(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False):
    """The largest element; with ``dim``, ``(values, indices)``; with a tensor ``dim``,
    the elementwise maximum (``torch.max(a, b)``)."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """The smallest element; with ``dim``, ``(values, indices)``; with a tensor ``dim``,
    the elementwise minimum."""
    return input.min(dim, keepdim)


def amax(input, dim=None, keepdim=False) -> Tensor:
    """``input.amax(dim, keepdim)``."""
    return input.amax(dim, keepdim)


def amin(input, dim=None, keepdim=False) -> Tensor:
    """``input.amin(dim, keepdim)``."""
    return input.amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False) -> Tensor:
    """``input.argmax(dim, keepdim)``."""
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False) -> Tensor:
    """``input.argmin(dim, keepdim)``."""
    return input.argmin(dim, keepdim)


def prod(input, dim=None, keepdim=False) -> Tensor:
    """``input.prod(dim, keepdim)``."""
    return input.prod(dim, keepdim)


def cumsum(input, dim, *, dtype=None) -> Tensor:
    """``input.cumsum(dim, dtype=dtype)``."""
    return input.cumsum(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False) -> Tensor:
    """``input.logsumexp(dim, keepdim)``."""
    return input.logsumexp(dim, keepdim)


def softmax(input, dim) -> Tensor:
    """``input.softmax(dim)``."""
    return input.softmax(dim)


def log_softmax(input, dim) -> Tensor:
    """``input.log_softmax(dim)``."""
    return input.log_softmax(dim)


def matmul(input, other) -> Tensor:
    """``input.matmul(other)``."""
    return input.matmul(other)


def reshape(input, shape) -> Tensor:
    """``input.reshape(shape)``."""
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1) -> Tensor:
    """``input.flatten(start_dim, end_dim)``."""
    return input.flatten(start_dim, end_dim)


def permute(input, dims) -> Tensor:
    """``input.permute(dims)``."""
    return input.permute(dims)


def transpose(input, dim0, dim1) -> Tensor:
    """``input.transpose(dim0, dim1)``."""
    return input.transpose(dim0, dim1)


def squeeze(input, dim=None) -> Tensor:
    """``input.squeeze(dim)``."""
    return input.squeeze(dim)


def unsqueeze(input, dim) -> Tensor:
    """``input.unsqueeze(dim)``."""
    return input.unsqueeze(dim)


def split(input, split_size_or_sections, dim=0):
    """``input.split(split_size_or_sections, dim)``."""
    return input.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """``input.chunk(chunks, dim)``."""
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    """``input.unbind(dim)``."""
    return input.unbind(dim)


def narrow(input, dim, start, length) -> Tensor:
    """``input.narrow(dim, start, length)``."""
    return input.narrow(dim, start, length)


def select(input, dim, index) -> Tensor:
    """``input.select(dim, index)``."""
    return input.select(dim, index)


def gather(input, dim, index) -> Tensor:
    """``input.gather(dim, index)``."""
    return input.gather(dim, index)


def masked_fill(input, mask, value) -> Tensor:
    """``input.masked_fill(mask, value)``."""
    return input.masked_fill(mask, value)


def clamp(input, min=None, max=None) -> Tensor:
    """``input.clamp(min, max)``."""
    return input.clamp(min, max)


def clip(input, min=None, max=None) -> Tensor:
    """``input.clip(min, max)``."""
    return input.clip(min, max)


def maximum(input, other) -> Tensor:
    """``input.maximum(other)``."""
    return input.maximum(other)


def minimum(input, other) -> Tensor:
    """``input.minimum(other)``."""
    return input.minimum(other)


def pow(input, exponent) -> Tensor:
    """``input.pow(exponent)``."""
    return input.pow(exponent)


def add(input, other, *, alpha=1) -> Tensor:
    """``input.add(other, alpha)``."""
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input.sub(other, alpha)``."""
    return input.sub(other, alpha=alpha)


def mul(input, other) -> Tensor:
    """``input.mul(other)``."""
    return input.mul(other)


def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input.div(other, rounding_mode=rounding_mode)``."""
    return input.div(other, rounding_mode=rounding_mode)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """``input.allclose(other, rtol, atol, equal_nan)``."""
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other) -> bool:
    """``input.equal(other)``."""
    return input.equal(other)
