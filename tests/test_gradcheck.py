"""``gradcheck`` must pass correct backwards and catch wrong ones, saying where and by how much."""

from __future__ import annotations

import re

import numpy as np
import pytest
from toy_functions import Square

import tinytorch as tt
from tinytorch.autograd import Function, GradcheckError, gradcheck


def leaf(values, device="cpu", dtype=None):
    return tt.tensor(values, dtype=dtype or tt.float64, device=device, requires_grad=True)


class SquareWrongFactor(Square):
    """out = x^2 (Square's forward) with the classic slip: dx = x g (missing the 2)"""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return x * g

    tensor_backward = backward


class MulWrongSecondInput(Function):
    """out = a * b;  da correct, db wrong in a single element (index (1, 0))"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        db = g * a
        db = db.copy()
        db[1, 0] += 0.5
        return g * b, db


def test_correct_backward_passes(device):
    assert gradcheck(Square.apply, (leaf([0.5, -1.25, 2.0], device),))


def test_builtin_ops_pass(device):
    a = leaf(np.linspace(-1, 1, 6).reshape(2, 3), device)
    b = leaf(np.linspace(0.5, 2, 3), device)
    assert gradcheck(lambda x, y: (x * y).tanh().sum(-1), (a, b))


def test_wrong_backward_is_caught_with_a_useful_message(device):
    x = leaf([[0.5, -1.0], [2.0, 3.0]], device)
    with pytest.raises(GradcheckError) as info:
        gradcheck(SquareWrongFactor.apply, (x,))
    message = str(info.value)
    assert "input 0" in message
    assert "element (0, 0)" in message  # the first element already disagrees
    numerical, analytical = map(float, re.search(r"numerical (\S+) vs analytical (\S+)",
                                                 message).groups())
    # d/dx of sum(v * x^2) is 2 v x; the wrong backward gives v x: exactly half
    assert analytical == pytest.approx(numerical / 2, rel=1e-6)
    assert numerical != 0


def test_wrong_gradient_of_one_element_of_the_second_input(device):
    a = leaf(np.arange(6.0).reshape(3, 2) / 4, device)
    b = leaf(np.ones((3, 2)), device)
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(3, 2\)\) at element \(1, 0\)"):
        gradcheck(MulWrongSecondInput.apply, (a, b))


def test_raise_exception_false_returns_false(device):
    assert gradcheck(SquareWrongFactor.apply, (leaf([1.0, 2.0], device),),
                     raise_exception=False) is False


def test_float32_inputs_warn(device):
    x = leaf([1.0, 2.0], device, dtype=tt.float32)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(Square.apply, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_callers_tensors_are_not_perturbed_or_given_grads(device):
    x = leaf([0.25, -0.75], device)
    before = x.detach().cpu().numpy().copy()
    gradcheck(Square.apply, (x,))
    np.testing.assert_array_equal(x.detach().cpu().numpy(), before)
    assert x.grad is None


def test_inputs_without_grad_are_passed_through_unchecked(device):
    """Only inputs that require grad are perturbed; others may even be non-tensors."""
    a = leaf([1.0, 2.0], device)
    b = tt.tensor([3.0, 4.0], dtype=tt.float64, device=device)
    assert gradcheck(lambda x, y, scale: x * y * scale, (a, b, 0.5))


def test_no_input_requiring_grad_is_an_error(device):
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(Square.apply, (tt.tensor([1.0], dtype=tt.float64, device=device),))


def test_multiple_outputs_are_all_checked(device):
    class SplitWrong(Function):
        """(x, 2x) with the second output's gradient forgotten"""

        @staticmethod
        def forward(ctx, x):
            return x * 1.0, x * 2.0

        @staticmethod
        def backward(ctx, g1, g2):
            return g1

    with pytest.raises(GradcheckError):
        gradcheck(SplitWrong.apply, (leaf([1.0, 2.0], device),))


def test_max_elements_checks_a_subset(device):
    x = leaf(np.linspace(-1, 1, 50), device)
    assert gradcheck(lambda t: (t * t).sum(), (x,), max_elements=5)
    with pytest.raises(GradcheckError):
        gradcheck(SquareWrongFactor.apply, (x,), max_elements=5)
