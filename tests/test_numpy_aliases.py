"""NumPy's argument names that PyTorch's parser accepts (``axis``, ``keepdims``) and Python
sequences as indices (``x[range(n), y]``): the spellings of makemore and of many notebooks."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt

try:
    import torch
except ImportError:  # the NumPy checks below still run
    torch = None

X = np.arange(12.0).reshape(3, 4) - 5.0

CALLS = [
    ("sum", lambda lib, x: x.sum(1, keepdims=True)),
    ("sum axis", lambda lib, x: lib.sum(x, axis=0)),
    ("mean", lambda lib, x: x.mean(axis=1, keepdims=True)),
    ("amax", lambda lib, x: x.amax(axis=0, keepdims=True)),
    ("max values", lambda lib, x: x.max(axis=1, keepdims=True).values),
    ("argmax", lambda lib, x: x.argmax(axis=1)),
    ("std", lambda lib, x: lib.std(x, axis=0, keepdims=True)),
    ("logsumexp", lambda lib, x: x.logsumexp(axis=1)),
    ("cumsum", lambda lib, x: x.cumsum(axis=1)),
    ("softmax method", lambda lib, x: x.softmax(axis=1)),
    ("sort", lambda lib, x: x.sort(axis=0, descending=True).values),
    ("unsqueeze", lambda lib, x: x.unsqueeze(axis=0)),
]
REFERENCE = {
    "sum": X.sum(1, keepdims=True), "sum axis": X.sum(0), "mean": X.mean(1, keepdims=True),
    "amax": X.max(0, keepdims=True), "max values": X.max(1, keepdims=True),
    "argmax": X.argmax(1), "std": X.std(0, ddof=1, keepdims=True),
    "logsumexp": np.log(np.exp(X).sum(1)), "cumsum": X.cumsum(1),
    "softmax method": np.exp(X) / np.exp(X).sum(1, keepdims=True),
    "sort": -np.sort(-X, axis=0), "unsqueeze": X[None],
}


@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_numpy_names_for_dim_and_keepdim(name, call):
    ours = call(tt, tt.tensor(X))
    np.testing.assert_allclose(ours.numpy(), REFERENCE[name], rtol=1e-12)
    if torch is not None:
        theirs = call(torch, torch.tensor(X))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_a_name_and_its_alias_together_are_refused():
    with pytest.raises(TypeError, match="'dim' and its alias 'axis'"):
        tt.tensor(X).sum(dim=0, axis=0)


def test_ranges_and_empty_lists_index_like_sequences():
    x = tt.tensor(X, requires_grad=True)
    picked = x[range(3), [0, 2, 1]]
    np.testing.assert_array_equal(picked.detach().numpy(), X[[0, 1, 2], [0, 2, 1]])
    picked.sum().backward()
    expected = np.zeros_like(X)
    expected[[0, 1, 2], [0, 2, 1]] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert x[[]].shape == (0, 4) and x[range(0)].shape == (0, 4)
    y = tt.zeros(3, 4)
    y[range(2), [1, 1]] = 5.0
    assert y.sum().item() == 10.0


def test_out_writes_into_the_given_tensor_and_returns_it():
    a, b = tt.tensor(X[:, :3]), tt.tensor(X[:, :3].T.copy())
    out = tt.empty(3, 3, dtype=tt.float64)
    assert tt.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out.numpy(), X[:, :3] @ X[:, :3].T)
    m = tt.zeros(3, 3, dtype=tt.float64)
    assert tt.mul(m, 2.0, out=m) is m  # out may be an input
    empty = tt.zeros(0)
    tt.add(tt.ones(2, 2), 1, out=empty)  # an empty out is resized silently
    assert empty.shape == (2, 2) and empty.sum().item() == 8
    with pytest.warns(UserWarning, match="resized"):
        tt.add(tt.ones(2), 1, out=tt.zeros(3))
    values, indices = tt.zeros(3, dtype=tt.float64), tt.zeros(3, dtype=tt.int64)
    result = tt.max(tt.tensor(X), 1, out=(values, indices))
    assert result[0] is values and result.indices is indices
    np.testing.assert_array_equal(indices.numpy(), X.argmax(1))


def test_out_refuses_autograd_and_lossy_casts():
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tt.exp(tt.ones(2, requires_grad=True), out=tt.zeros(2))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        tt.add(tt.ones(2), 1.5, out=tt.zeros(2, dtype=tt.int64))
    with tt.no_grad():
        out = tt.zeros(2)
        tt.exp(tt.zeros(2, requires_grad=True), out=out)
        assert out.tolist() == [1.0, 1.0]


def test_randint_takes_low_and_high_by_keyword_or_low_by_position():
    tt.manual_seed(0)
    a = tt.randint(2, high=10, size=(50,))
    tt.manual_seed(0)
    b = tt.randint(low=2, high=10, size=(50,))
    tt.manual_seed(0)
    c = tt.randint(2, 10, (50,))
    assert a.tolist() == b.tolist() == c.tolist() and 2 <= a.min() and a.max() < 10
    with pytest.raises(TypeError, match="high given both"):
        tt.randint(5, 2, high=10, size=(3,))
    with pytest.raises(TypeError, match="low given without high"):
        tt.randint(low=2, size=(3,))
