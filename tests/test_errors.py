"""Bad input gets a clear error: the right type, and a message naming what was wrong."""

from __future__ import annotations

import pytest

import tinytorch as tt

# (description, callable taking the device, error type, regex the message must match)
CASES = [
    ("matmul inner sizes", lambda d: tt.ones(2, 3, device=d) @ tt.ones(4, 5, device=d),
     RuntimeError, r"\(2, 3\) and \(4, 5\).*3 != 4"),
    ("matmul batch dims", lambda d: tt.ones(2, 3, 4, device=d) @ tt.ones(5, 4, 2, device=d),
     RuntimeError, r"\(2, 3, 4\) and \(5, 4, 2\).*2 vs 5"),
    ("matmul of mixed dtypes", lambda d: tt.ones(2, 2, device=d) @ tt.ones(2, 2, device=d,
                                                                            dtype=tt.float64),
     RuntimeError, r"same dtype, but got float32 and float64"),
    ("matmul of a 0-d tensor", lambda d: tt.ones((), device=d) @ tt.ones(2, device=d),
     RuntimeError, r"at least 1 dimension.*\(\) and \(2,\)"),
    ("broadcast add", lambda d: tt.ones(2, 3, device=d) + tt.ones(4, 5, device=d),
     RuntimeError, r"add: shapes \(2, 3\) and \(4, 5\) cannot be broadcast.*3 vs 5"),
    ("broadcast mul", lambda d: tt.ones(2, 3, device=d) * tt.ones(3, 2, device=d),
     RuntimeError, r"mul: shapes \(2, 3\) and \(3, 2\)"),
    ("broadcast where", lambda d: tt.where(tt.ones(3, device=d) > 0, tt.ones(2, device=d), 0.0),
     RuntimeError, r"where: shapes .*\(3,\).*\(2,\)"),
    ("view to a wrong size", lambda d: tt.ones(6, device=d).view(4, 2),
     RuntimeError, r"shape '\[4, 2\]' is invalid for input of size 6"),
    ("reshape to a wrong size", lambda d: tt.ones(2, 3, device=d).reshape(5, -1),
     RuntimeError, r"shape '\[5, -1\]' is invalid for input of size 6"),
    ("two inferred sizes", lambda d: tt.ones(6, device=d).view(-1, -1),
     RuntimeError, r"only one dimension can be inferred"),
    ("view of a non-contiguous tensor", lambda d: tt.ones(2, 3, device=d).t().view(6),
     RuntimeError, r"\(3, 2\) to \(6,\).*reshape"),
    ("int index out of range", lambda d: tt.ones(3, device=d)[5],
     IndexError, r"index 5 is out of range for dimension 0 with size 3"),
    ("negative int index out of range", lambda d: tt.ones(3, 2, device=d)[:, -3],
     IndexError, r"index -3 is out of range for dimension 1 with size 2"),
    ("tensor index out of range", lambda d: tt.ones(3, device=d)[tt.tensor([0, 7], device=d)],
     IndexError, r"index 7 is out of bounds for dimension 0 with size 3"),
    ("too many indices", lambda d: tt.ones(3, device=d)[0, 0],
     IndexError, r"too many indices for tensor of dimension 1"),
    ("mask of the wrong shape", lambda d: tt.ones(3, device=d)[tt.tensor([True, False],
                                                                           device=d)],
     IndexError, r"mask \(2,\) does not match .* \(3,\)"),
    ("float index", lambda d: tt.ones(3, device=d)[tt.tensor([0.5], device=d)],
     IndexError, r"must be long, int or bool, got tinytorch.float32"),
    ("dim out of range", lambda d: tt.ones(2, 3, device=d).sum(dim=3),
     IndexError, r"Dimension out of range .*\[-2, 1\].*got 3"),
    ("softmax dim out of range", lambda d: tt.ones(2, 3, device=d).softmax(-3),
     IndexError, r"Dimension out of range"),
    ("permute with repeats", lambda d: tt.ones(2, 3, device=d).permute(0, 0),
     RuntimeError, r"\(0, 0\) are not a permutation"),
    ("expand a non-singleton", lambda d: tt.ones(2, 3, device=d).expand(3, 3),
     RuntimeError, r"expanded size of the tensor \(3\) must match the existing size \(2\)"),
    ("cat mismatched shapes", lambda d: tt.cat([tt.ones(2, 3, device=d), tt.ones(3, 2,
                                                                                 device=d)]),
     RuntimeError, r"tensor 0 has shape \(2, 3\), tensor 1 has shape \(3, 2\)"),
    ("stack mismatched shapes", lambda d: tt.stack([tt.ones(2, device=d), tt.ones(3, device=d)]),
     RuntimeError, r"\(2,\) at entry 0 and \(3,\) at entry 1"),
    ("split sizes", lambda d: tt.ones(3, device=d).split([1, 1]),
     RuntimeError, r"\[1, 1\] do not sum to the size 3"),
    ("non-bool mask", lambda d: tt.ones(2, device=d).masked_fill(tt.tensor([1, 0], device=d), 0),
     RuntimeError, r"boolean masks.*int64"),
    ("mask does not broadcast", lambda d: tt.ones(2, device=d).masked_fill(
        tt.tensor([True, False, True], device=d), 0.0),
     RuntimeError, r"mask of shape \(3,\) does not broadcast to .*\(2,\)"),
    ("non-bool where condition", lambda d: tt.where(tt.tensor([1, 0], device=d),
                                                      tt.ones(2, device=d), 0.0),
     RuntimeError, r"boolean.*int64"),
    ("int tensor requiring grad", lambda d: tt.tensor([1, 2], device=d, requires_grad=True),
     RuntimeError, r"floating point dtype can require gradients, got tinytorch.int64"),
    ("backward through an int tensor", lambda d: tt.tensor([1, 2], device=d).sum().backward(),
     RuntimeError, r"does not require grad"),
    ("mean of an int tensor", lambda d: tt.tensor([1, 2], device=d).mean(),
     RuntimeError, r"floating point, but got int64"),
    ("var of an int tensor", lambda d: tt.tensor([1, 2], device=d).var(),
     RuntimeError, r"floating point.*int64"),
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
    ("string operand", lambda d: tt.ones(2, device=d) + "a",
     TypeError, r"unsupported operand type str"),
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
