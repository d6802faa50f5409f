"""Tiny user-defined Functions shared by the gradcheck and higher-order tests."""

from __future__ import annotations

from tinytorch.autograd import Function


class Square(Function):
    """out = x^2;  dx = 2 x g (correct). The backward uses only operators that arrays and
    Tensors share, so it is also the ``tensor_backward``: twice differentiable."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g

    tensor_backward = backward
