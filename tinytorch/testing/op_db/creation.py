"""Creation and random rows of ``op_db`` (issue 11b).

Factories have no tensor input: their samples are ``((), kwargs)``. Random ops have no
deterministic reference, so their ``call`` returns what must hold for every draw (range,
dtype, shape, and with many draws a mean within a few standard errors) and compares that.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..opinfo import ErrorInput, OpInfo
from .math import unary_sample

_NO_GRAD = dict(differentiable=False)


def _kw(**strategies):
    return st.fixed_dictionaries(strategies).map(lambda kw: ((), kw))


_RANDOM = "random draws: torch's generator gives other numbers; the row checks properties"

op_db: list[OpInfo] = [
    OpInfo(name="linspace", call=lambda lib, start, end, steps: lib.linspace(start, end, steps),
           inputs=_kw(start=st.floats(-5, 5), end=st.floats(-5, 5), steps=st.integers(0, 7)),
           ref=lambda np_, start, end, steps: np.linspace(start, end, steps).astype(
               np.float32), covers=("tinytorch.linspace",), atol=1e-6, rtol=1e-6, **_NO_GRAD,
           errors=(ErrorInput(lambda lib: lib.linspace(0, 1, -1), RuntimeError, "steps"),)),
    OpInfo(name="logspace", call=lambda lib, start, end, steps: lib.logspace(
        start, end, steps, base=2.0, dtype=lib.float64),
           inputs=_kw(start=st.floats(-3, 3), end=st.floats(-3, 3), steps=st.integers(0, 7)),
           ref=lambda np_, start, end, steps: np.logspace(start, end, steps, base=2.0),
           covers=("tinytorch.logspace",), **_NO_GRAD),
    OpInfo(name="arange", call=lambda lib, start, end, step: lib.arange(start, end, step),
           inputs=_kw(start=st.sampled_from([0, -1.5, 0.25, 2]),
                      end=st.sampled_from([5, 2.5, 7.75]),
                      step=st.sampled_from([1, 0.5, 0.1, 0.3, 2])),
           ref=lambda np_, start, end, step: (start + np.arange(
               int(np.ceil((end - start) / step))) * step).astype(
               np.int64 if all(isinstance(v, int) for v in (start, end, step))
               else np.float32),
           covers=("tinytorch.arange",), atol=1e-6, rtol=1e-6, **_NO_GRAD,
           errors=(ErrorInput(lambda lib: lib.arange(0, 5, -1), RuntimeError, "step"),
                   ErrorInput(lambda lib: lib.arange(0, 5, 0), RuntimeError, "step"))),
    OpInfo(name="eye", call=lambda lib, n, m: lib.eye(n, m),
           inputs=_kw(n=st.integers(0, 4), m=st.integers(0, 4)),
           ref=lambda np_, n, m: np.eye(n, m, dtype=np.float32), covers=("tinytorch.eye",),
           **_NO_GRAD),
    OpInfo(name="full", call=lambda lib, v: lib.full((2, 3), v),
           inputs=_kw(v=st.one_of(st.integers(-5, 5), st.floats(-5, 5), st.booleans())),
           ref=lambda np_, v: np.full((2, 3), v, dtype=np.bool_ if isinstance(v, bool) else
                                      np.int64 if isinstance(v, int) else np.float32),
           covers=("tinytorch.full",), **_NO_GRAD),
    OpInfo(name="like_factories",
           call=lambda lib, x: (lib.zeros_like(x), lib.ones_like(x, dtype=lib.int32),
                                lib.full_like(x, 2.5),
                                lib.tensor(lib.empty_like(x).shape == x.shape),
                                lib.zeros_like(x, dtype=lib.bool)),
           inputs=unary_sample(),
           ref=lambda np_, x: (np.zeros_like(x), np.ones(x.shape, np.int32),
                               np.full_like(x, 2.5), np.array(True), np.zeros(x.shape, bool)),
           covers=("tinytorch.zeros_like", "tinytorch.ones_like", "tinytorch.full_like",
                   "tinytorch.empty_like"), **_NO_GRAD),
    OpInfo(name="new_factories",
           call=lambda lib, x: (x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((1, 2), 7),
                                x.new_tensor([1, 2]), lib.tensor(x.new_empty(3).shape == (3,)),
                                x.new_zeros(2, dtype=lib.int64)),
           inputs=unary_sample(),
           ref=lambda np_, x: (np.zeros((2, 3)), np.ones(2), np.full((1, 2), 7.0),
                               np.array([1.0, 2.0]), np.array(True), np.zeros(2, np.int64)),
           covers=("Tensor.new_zeros", "Tensor.new_ones", "Tensor.new_full",
                   "Tensor.new_tensor", "Tensor.new_empty"), **_NO_GRAD),
    OpInfo(name="randint",
           call=lambda lib, x: _in_range(lib, lib.randint(3, 7, (400,)), 3, 7, 4.5, 1.25),
           inputs=unary_sample(), ref=lambda np_, x: (True, True),
           variants={"high_only": lambda lib, x: _in_range(
               lib, lib.randint(4, (400,)) + 3, 3, 7, 4.5, 1.25),
               "like": lambda lib, x: _in_range(
               lib, lib.randint_like(lib.zeros(400), 3, 7), 3, 7, 4.5, 1.25)},
           covers=("tinytorch.randint", "tinytorch.randint_like"), **_NO_GRAD,
           errors=(ErrorInput(lambda lib: lib.randint(5, 2, (3,)), RuntimeError, "from"),)),
    OpInfo(name="rand_randn",
           call=lambda lib, x: (_in_range(lib, lib.rand(2000), 0, 1, 0.5, 1 / 12)
                                + _in_range(lib, lib.randn(2000) * 0.1 + 0.5, -1, 2, 0.5,
                                            0.01)),
           inputs=unary_sample(), ref=lambda np_, x: (True,) * 4,
           variants={"like": lambda lib, x: (
               _in_range(lib, lib.rand_like(lib.zeros(2000)), 0, 1, 0.5, 1 / 12)
               + _in_range(lib, lib.randn_like(lib.zeros(2000)) * 0.1 + 0.5, -1, 2, 0.5,
                           0.01))},
           covers=("tinytorch.rand", "tinytorch.randn", "tinytorch.rand_like",
                   "tinytorch.randn_like"), **_NO_GRAD),
    OpInfo(name="randperm", call=lambda lib, x: lib.randperm(7).sort().values,
           inputs=unary_sample(), ref=lambda np_, x: np.arange(7),
           covers=("tinytorch.randperm",), **_NO_GRAD),
    OpInfo(name="normal",
           call=lambda lib, x: (_in_range(lib, lib.normal(2.0, 0.5, (2000,)), -5, 9, 2.0, 0.25)
                                + _in_range(lib, lib.normal(lib.full((2000,), 2.0), 0.5), -5,
                                            9, 2.0, 0.25)
                                + _in_range(lib, lib.normal(2.0, lib.full((2000,), 0.5)), -5,
                                            9, 2.0, 0.25)),
           inputs=unary_sample(), ref=lambda np_, x: (True,) * 6,
           covers=("tinytorch.normal",), **_NO_GRAD,
           errors=(ErrorInput(lambda lib: lib.normal(0.0, -1.0, (3,)), RuntimeError, "std"),)),
    OpInfo(name="bernoulli",
           call=lambda lib, x: _in_range(lib, lib.bernoulli(lib.full((2000,), 0.25)), 0, 1.5,
                                         0.25, 0.1875),
           inputs=unary_sample(), ref=lambda np_, x: (True, True),
           variants={"method": lambda lib, x: _in_range(
               lib, lib.full((2000,), 0.25).bernoulli(), 0, 1.5, 0.25, 0.1875),
               "inplace": lambda lib, x: _in_range(
               lib, lib.zeros(2000).bernoulli_(0.25), 0, 1.5, 0.25, 0.1875)},
           covers=("tinytorch.bernoulli", "Tensor.bernoulli", "Tensor.bernoulli_"), **_NO_GRAD),
    OpInfo(name="poisson",
           call=lambda lib, x: _in_range(lib, lib.poisson(lib.full((2000,), 3.0)), 0, 40, 3.0,
                                         3.0),
           inputs=unary_sample(), ref=lambda np_, x: (True, True),
           covers=("tinytorch.poisson",), **_NO_GRAD),
    OpInfo(name="multinomial",
           call=lambda lib, x: (lib.multinomial(lib.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]),
                                                4, True),
                                lib.multinomial(lib.tensor([1.0, 1.0, 1.0]), 3).sort().values,
                                _in_range(lib, lib.multinomial(lib.tensor([1.0, 3.0]), 2000,
                                                               replacement=True), 0, 2, 0.75,
                                          0.1875)[1]),
           inputs=unary_sample(), ref=lambda np_, x: (np.array([[1] * 4, [2] * 4]),
                                                      np.arange(3), True),
           covers=("tinytorch.multinomial",), **_NO_GRAD,
           errors=(ErrorInput(lambda lib: lib.multinomial(lib.tensor([1.0, 0.0]), 3),
                              RuntimeError, "replacement"),
                   ErrorInput(lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1),
                              RuntimeError, "element < 0"))),
    OpInfo(name="random_fills",
           call=lambda lib, x: (
               _in_range(lib, lib.zeros(2000).uniform_(-1, 3), -1, 3, 1.0, 16 / 12)
               + _in_range(lib, lib.zeros(2000).normal_(1.0, 0.5), -5, 7, 1.0, 0.25)
               + _in_range(lib, lib.zeros(2000).random_(2, 6), 2, 6, 3.5, 1.25)
               + _in_range(lib, lib.zeros(2000).exponential_(2.0), 0, 40, 0.5, 0.25)
               + _in_range(lib, lib.zeros(2000).geometric_(0.5), 1, 60, 2.0, 2.0)
               + _in_range(lib, lib.zeros(2000).log_normal_(0.0, 0.25), 0, 10,
                           float(np.exp(0.25 ** 2 / 2)), 0.07)
               + _finite(lib, lib.zeros(2000).cauchy_())
               + _in_range(lib, lib.zeros(2000).fill_(3.0), 3, 3.5, 3.0, 0.0)
               + _in_range(lib, lib.ones(2000).zero_(), 0, 0.5, 0.0, 0.0)),
           inputs=unary_sample(), ref=lambda np_, x: (True,) * 17,
           covers=("Tensor.uniform_", "Tensor.normal_", "Tensor.random_",
                   "Tensor.exponential_", "Tensor.geometric_", "Tensor.log_normal_",
                   "Tensor.cauchy_", "Tensor.fill_", "Tensor.zero_"), **_NO_GRAD,
           errors=(ErrorInput(lambda lib: lib.zeros(3).uniform_(2, 1), RuntimeError, "from"),
                   ErrorInput(lambda lib: lib.zeros(3).normal_(0, -1), RuntimeError, "std"))),
]


def _in_range(lib, x, low, high, mean, var=None):
    """(every draw in [low, high), the sample mean within 5 standard errors of ``mean``)."""
    values = x.double()
    inside = ((values >= low) & (values < high)).all()
    n = values.numel()
    tolerance = 5 * (var / n) ** 0.5 if var else 1e-12
    close = (values.mean() - mean).abs() <= tolerance
    return inside, close


def _finite(lib, x):
    return (lib.isfinite(x).all(),)

