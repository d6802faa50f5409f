"""Tiny user-defined Functions shared by the autograd, gradcheck and higher-order tests."""

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


class Cube(Function):
    """out = x^3;  dx = 3 x^2 g. No ``tensor_backward``: once differentiable, so
    differentiating its gradient raises."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad
