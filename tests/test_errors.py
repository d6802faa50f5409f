"""Bad input gets a clear error: the right type, and a message naming what was wrong."""

from __future__ import annotations

import pytest

import tinytorch as tt

# Errors of ops (matmul, broadcasting, view, indexing, dims, cat, masks, ...) are rows
# ``errors`` in tinytorch.testing.op_db, checked by tests/test_op_db.py (with PyTorch's
# exception type). What remains here is the API around ops: tensor construction, dtypes,
# devices, conversion out of the graph and backward itself.
# (description, callable taking the device, error type, regex the message must match)
CASES = [
    ("int tensor requiring grad", lambda d: tt.tensor([1, 2], device=d, requires_grad=True),
     RuntimeError, r"floating point dtype can require gradients, got tinytorch.int64"),
    ("backward through an int tensor", lambda d: tt.tensor([1, 2], device=d).sum().backward(),
     RuntimeError, r"does not require grad"),
    ("backward on a non-scalar", lambda d: (tt.ones(3, device=d, requires_grad=True) * 2)
     .backward(),
     RuntimeError, r"only for scalar outputs.*shape \(3,\)"),
    ("backward gradient of the wrong shape", lambda d: (tt.ones(3, device=d, requires_grad=True)
                                                        * 2).backward(tt.ones(2, device=d)),
     RuntimeError, r"gradient has shape \(2,\) but the tensor has shape \(3,\)"),
    ("item of a non-scalar", lambda d: tt.ones(2, device=d).item(),
     RuntimeError, r"2 elements cannot be converted"),
    ("numpy of a tensor needing grad", lambda d: tt.ones(2, requires_grad=True).numpy(),
     RuntimeError, r"detach\(\)\.numpy\(\)"),
    ("setitem on a tensor needing grad", lambda d: tt.ones(2, device=d, requires_grad=True)
     .__setitem__(0, 1.0),
     RuntimeError, r"requires grad"),
    ("unknown device", lambda d: tt.ones(2).to("tpu"),
     RuntimeError, r"unknown device 'tpu'"),
    ("unknown dtype", lambda d: tt.ones(2, dtype="complex"),
     TypeError, r"unknown dtype 'complex'"),
    ("strings as data", lambda d: tt.tensor(["a"]),
     TypeError, r"can't convert"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(case, device):
    _, call, error, message = case
    with pytest.raises(error, match=message):
        call(device)


def test_backward_twice_without_retain_graph(device):
    x = tt.ones(3, device=device, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_twice_through_a_shared_subgraph(device):
    """A second backward through freed nodes is caught even from a new root."""
    x = tt.ones(3, device=device, requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 2).sum().backward()


def test_cuda_without_cupy_is_a_clear_error():
    if tt.cuda.is_available():
        pytest.skip("CuPy and a GPU are available here")
    for call in (lambda: tt.ones(2).cuda(), lambda: tt.ones(2, device="cuda"),
                 lambda: tt.tensor([1.0]).to("cuda")):
        with pytest.raises(RuntimeError, match="CuPy with a GPU is not available"):
            call()


def test_mixing_devices_is_a_clear_error():
    if not tt.cuda.is_available():
        pytest.skip("needs CuPy and a GPU")
    with pytest.raises(RuntimeError, match=r"same device.*\['cpu', 'cuda'\]"):
        tt.ones(2) + tt.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="same device"):
        tt.ones(2, 2, device="cuda") @ tt.ones(2, 2)
