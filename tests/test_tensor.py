"""Tensor basics: dtype promotion, factories, repr, conversions and devices."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt

# PyTorch's promotion rules, written out: (expression over `lib`, expected dtype name).
# A Python float gives the default float32; dimensioned tensors outrank 0-d ones, which
# outrank Python scalars, unless the lower group is of a higher category (bool < int < float).
PROMOTION = [
    ("lib.tensor([1, 2]) + 2.5", "float32"),
    ("2.5 * lib.tensor([1, 2])", "float32"),
    ("lib.tensor([1, 2]) * 2", "int64"),
    ("lib.tensor([1.0, 2.0]) + lib.tensor([1.0, 2.0], dtype=lib.float64)", "float64"),
    ("lib.tensor([1.0, 2.0]) + lib.tensor(1.0, dtype=lib.float64)", "float32"),
    ("lib.tensor([1, 2]) + lib.tensor(1.5, dtype=lib.float64)", "float64"),
    ("lib.tensor([1, 2]) + lib.tensor([True, False])", "int64"),
    ("lib.tensor([True]) + lib.tensor([True])", "bool"),
    ("lib.tensor([True]) + 1", "int64"),
    ("lib.tensor([1.5]) * True", "float32"),
    ("lib.tensor([1, 2], dtype=lib.int32) + lib.tensor([1, 2])", "int64"),
    ("lib.tensor([1, 2], dtype=lib.int32) + 1", "int32"),
    ("lib.tensor([1, 2]) / 2", "float32"),
    ("lib.tensor([1, 2]) / lib.tensor([2, 2])", "float32"),
    ("lib.tensor([1.0], dtype=lib.float64) / 2", "float64"),
    ("lib.tensor([1, 2]) ** 2", "int64"),
    ("lib.tensor([1, 2]) ** 0.5", "float32"),
    ("2 ** lib.tensor([1, 2])", "int64"),
    ("2.0 ** lib.tensor([1, 2])", "float32"),
    ("lib.tensor([1, 2]).sum()", "int64"),
    ("lib.tensor([True, True]).sum()", "int64"),
    ("lib.tensor([1, 2]).exp()", "float32"),
    ("lib.tensor([1, 2]).sqrt()", "float32"),
    ("lib.tensor([1, 2]) > 1.5", "bool"),
    ("lib.tensor([1, 2]).abs()", "int64"),
    ("lib.tensor([1, 2]).clamp(min=1)", "int64"),
    ("lib.tensor([1, 2]).clamp(min=0.5)", "float32"),
    ("lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), 0.5)", "float32"),
    ("lib.maximum(lib.tensor([1, 2]), lib.tensor([1.5, 0.5]))", "float32"),
    ("lib.cat([lib.tensor([1]), lib.tensor([2.0])])", "float32"),
    ("lib.tensor(3.5)", "float32"),
    ("lib.tensor(2)", "int64"),
    ("lib.tensor(np.float64(2.0))", "float64"),
    ("lib.tensor(np.array([1, 2], dtype=np.int32))", "int32"),
    ("lib.tensor(np.array([1.0, 2.0]))", "float64"),
    ("lib.zeros(2)", "float32"),
    ("lib.arange(5)", "int64"),
    ("lib.arange(0, 1, 0.25)", "float32"),
    ("lib.full((2,), 3)", "int64"),
    ("lib.full((2,), 3.0)", "float32"),
    ("lib.full((2,), True)", "bool"),
    ("lib.randn(2, 3)", "float32"),
    ("lib.rand(2)", "float32"),
    ("lib.randint(0, 5, (3,))", "int64"),
    ("lib.tensor([1.0, 2.0]).sum(dtype=lib.float64)", "float64"),
    ("lib.tensor([1, 2]).to(lib.float32)", "float32"),
]

# the rows graded in assignment 1: those that need its ``result_type``
PROMOTING = (
    "lib.tensor([1, 2]) + 2.5",
    "lib.tensor([1, 2]) * 2",
    "lib.tensor([1.0, 2.0]) + lib.tensor([1.0, 2.0], dtype=lib.float64)",
    "lib.tensor([1.0, 2.0]) + lib.tensor(1.0, dtype=lib.float64)",
    "lib.tensor([1, 2]) + lib.tensor(1.5, dtype=lib.float64)",
    "lib.tensor([1, 2]) + lib.tensor([True, False])",
    "lib.tensor([True]) + 1",
    "lib.tensor([1.5]) * True",
    "lib.tensor([1, 2], dtype=lib.int32) + lib.tensor([1, 2])",
    "lib.tensor([1, 2], dtype=lib.int32) + 1",
    "lib.tensor([1.0], dtype=lib.float64) / 2",
    "lib.cat([lib.tensor([1]), lib.tensor([2.0])])",
    "lib.arange(0, 1, 0.25)",
    "lib.full((2,), True)",
)


@pytest.mark.assignment1(only=PROMOTING)
@pytest.mark.parametrize("expression,expected", PROMOTION, ids=[p[0] for p in PROMOTION])
def test_dtype_promotion(expression, expected):
    out = eval(expression, {"lib": tt, "np": np})
    assert out.dtype == getattr(tt, expected if expected != "bool" else "bool")
    assert out.dtype.name == expected


@pytest.mark.parametrize("expression,expected", PROMOTION, ids=[p[0] for p in PROMOTION])
def test_dtype_promotion_matches_torch(expression, expected):
    torch = pytest.importorskip("torch")
    theirs = eval(expression, {"lib": torch, "np": np})
    ours = eval(expression, {"lib": tt, "np": np})
    assert str(theirs.dtype) == f"torch.{expected}"
    if not expression.startswith(("lib.rand", "lib.randn", "lib.randint")):
        np.testing.assert_allclose(ours.numpy().astype(np.float64),
                                   theirs.numpy().astype(np.float64), rtol=1e-6)


def test_set_default_dtype_changes_python_floats():
    try:
        tt.set_default_dtype(tt.float64)
        assert tt.tensor([1.5]).dtype == tt.float64
        assert (tt.tensor([1, 2]) + 0.5).dtype == tt.float64
        assert tt.zeros(2).dtype == tt.float64
    finally:
        tt.set_default_dtype(tt.float32)
    with pytest.raises(TypeError, match="floating point"):
        tt.set_default_dtype(tt.int64)


def test_default_device_reaches_the_factories(device):
    """set_default_device and ``with tinytorch.device(...)``: factories without device=."""
    assert tt.get_default_device() == "cpu"
    try:
        tt.set_default_device(device)
        assert tt.get_default_device() == device
        made = [tt.zeros(2), tt.randn(2), tt.arange(3), tt.tensor([1.0]), tt.full((2,), 3.0),
                tt.nn.Linear(2, 2).weight]
        assert all(t.device == device for t in made)
        assert tt.from_numpy(np.zeros(2)).device == "cpu"  # shares NumPy memory: stays put
    finally:
        tt.set_default_device(None)
    assert tt.get_default_device() == "cpu" and tt.zeros(1).device == "cpu"
    with tt.device(device):
        assert tt.ones(2).device == device
    assert tt.ones(2).device == "cpu"
    with pytest.raises(RuntimeError, match="unknown device"):
        tt.set_default_device("tpu")


# ------------------------------------------------------------------ factories

def test_factories_shapes_and_values(device):
    assert tt.zeros(2, 3, device=device).shape == (2, 3)
    assert tt.zeros((2, 3), device=device).shape == (2, 3)
    assert tt.ones(4, device=device).sum().item() == 4
    assert tt.full((2, 2), 7.0, device=device).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tt.arange(1, 7, 2, device=device).tolist() == [1, 3, 5]
    assert tt.eye(3, device=device).sum().item() == 3
    assert tt.eye(2, 3).shape == (2, 3)
    assert tt.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    x = tt.randn(2, 3, dtype=tt.float64, device=device)
    assert tt.zeros_like(x).dtype == tt.float64 and tt.ones_like(x).shape == (2, 3)
    assert tt.full_like(x, 2.0).sum().item() == 12.0
    assert tt.tril(tt.ones(3, 3)).sum().item() == 6
    assert tt.triu(tt.ones(3, 3), 1).sum().item() == 3
    assert tt.zeros(2, requires_grad=True).requires_grad


def test_random_factories_follow_manual_seed():
    tt.manual_seed(123)
    a = tt.randn(5).tolist(), tt.rand(3).tolist(), tt.randint(0, 10, (4,)).tolist()
    tt.manual_seed(123)
    b = tt.randn(5).tolist(), tt.rand(3).tolist(), tt.randint(0, 10, (4,)).tolist()
    assert a == b
    u = tt.rand(1000)
    assert 0 <= u.min().item() and u.max().item() < 1
    r = tt.randint(3, 6, (1000,))
    assert set(r.tolist()) == {3, 4, 5}


def test_tensor_copies_its_data_and_from_numpy_shares():
    arr = np.array([1.0, 2.0])
    t = tt.tensor(arr)
    arr[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    shared = tt.from_numpy(arr)
    arr[1] = 5.0
    assert shared.tolist() == [9.0, 5.0] and shared.dtype == tt.float64


def test_tensor_from_nested_lists_of_tensors():
    t = tt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.shape.numel() == 4
    assert tt.stack([tt.tensor([1, 2]), tt.tensor([3, 4])]).tolist() == [[1, 2], [3, 4]]


# ------------------------------------------------------------------ repr

REPRS = [
    ("lib.tensor([1.5, 2.25])", "tensor([1.5000, 2.2500])"),
    ("lib.tensor([[1, 2], [3, 4]])", "tensor([[1, 2],\n        [3, 4]])"),
    ("lib.tensor([1.0, 2.0], dtype=lib.float64)", "tensor([1., 2.], dtype={}.float64)"),
    ("lib.tensor([True, False])", "tensor([ True, False])"),
    ("lib.tensor(3.5)", "tensor(3.5000)"),
    ("lib.tensor([1.0, 2.0], requires_grad=True)", "tensor([1., 2.], requires_grad=True)"),
    ("lib.tensor([])", "tensor([])"),
    ("lib.zeros(2, 0)", "tensor([], size=(2, 0))"),
    ("lib.tensor([], dtype=lib.int64)", "tensor([], dtype={}.int64)"),
    ("lib.tensor([0.1, -2.0])", "tensor([ 0.1000, -2.0000])"),
]


@pytest.mark.parametrize("expression,expected", REPRS, ids=[r[0] for r in REPRS])
def test_repr_is_pytorch_style(expression, expected):
    assert repr(eval(expression, {"lib": tt})) == expected.format("tinytorch")


@pytest.mark.parametrize("expression,expected", REPRS, ids=[r[0] for r in REPRS])
def test_repr_matches_torch(expression, expected):
    torch = pytest.importorskip("torch")
    assert repr(eval(expression, {"lib": torch})) == expected.format("torch")


def test_repr_names_grad_fn():
    y = tt.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward0>)"


# ------------------------------------------------------------------ conversions

def test_item_tolist_numpy(device):
    t = tt.tensor([[1.5, 2.0]], device=device)
    assert t[0, 1].item() == 2.0 and isinstance(t[0, 0].item(), float)
    assert tt.tensor([3], device=device).item() == 3
    assert t.tolist() == [[1.5, 2.0]]
    assert isinstance(t.cpu().numpy(), np.ndarray)
    assert float(tt.tensor(2.5)) == 2.5 and int(tt.tensor(3)) == 3


def test_numpy_shares_memory_on_cpu():
    t = tt.tensor([1.0, 2.0])
    t.numpy()[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


def test_to_dtype_device_and_other(device):
    t = tt.tensor([1.7, -2.2], device=device)
    assert t.to(tt.float64).dtype == tt.float64
    assert t.to(tt.int64).tolist() == [1, -2]  # truncation toward zero, like PyTorch
    assert t.double().dtype == tt.float64 and t.long().dtype == tt.int64
    assert t.to(device).device == device
    assert t.to(tt.zeros(1, dtype=tt.float64)).dtype == tt.float64
    same = t.to(tt.float32)
    assert same is t  # no conversion needed: the same tensor, as in PyTorch


def test_to_float64_is_differentiable(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x.to(tt.float64) * 3).sum()
    y.backward()
    assert x.grad.dtype == tt.float32 and x.grad.tolist() == [3.0, 3.0]


def test_detach_requires_grad_and_leaf_flags(device):
    x = tt.ones(2, device=device).requires_grad_()
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_setitem_without_grad(device):
    t = tt.zeros(2, 3, device=device)
    t[0] = 1.0
    t[:, 2] = tt.tensor([5.0, 6.0], device=device)
    t[t > 5.5] = -1.0
    assert t.tolist() == [[1.0, 1.0, 5.0], [0.0, 0.0, -1.0]]


def test_in_place_updates_under_no_grad(device):
    w = tt.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1
    with tt.no_grad():
        w -= 0.5
        w.mul_(2)
    assert w.tolist() == [1.0, 1.0] and w.requires_grad


def test_shape_metadata(device):
    t = tt.zeros(2, 3, 4, device=device)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(-1) == 4
    assert t.dim() == 3 and t.ndim == 3 and t.numel() == 24 and len(t) == 2
    assert repr(t.shape) == "tinytorch.Size([2, 3, 4])"
    assert t.is_contiguous() and not t.transpose(0, 1).is_contiguous()
    assert t.transpose(0, 1).contiguous().is_contiguous()
    assert t.is_floating_point() and not tt.zeros(1, dtype=tt.int64).is_floating_point()


# ------------------------------------------------------------------ devices

def test_cpu_device_and_str():
    t = tt.ones(2)
    assert t.device == "cpu" and str(t.device) == "cpu" and not t.is_cuda
    assert repr(tt.device("cpu")) == "device(type='cpu')"
    assert t.cpu() is t


def test_cuda_round_trip():
    if not tt.cuda.is_available():
        pytest.skip("needs CuPy and a GPU")
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    g = x.cuda()
    assert g.device == "cuda" and g.is_cuda and "device='cuda'" in repr(g.detach())
    (g * g).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [2.0, 4.0]
    assert g.detach().cpu().tolist() == [1.0, 2.0]


def test_cuda_unavailable_is_reported():
    if tt.cuda.is_available():
        pytest.skip("CuPy and a GPU are available here")
    with pytest.raises(RuntimeError, match="CuPy"):
        tt.zeros(2).cuda()


def test_tensor_class_constructor_gives_the_default_float_dtype_like_torch_Tensor():
    # torch.Tensor(data) is a float tensor whatever the data; torch.tensor infers the dtype
    assert tt.Tensor([1, 2]).dtype is tt.float32
    assert tt.Tensor([True, False]).tolist() == [1.0, 0.0]
    assert tt.Tensor([1, 2], dtype=tt.int64).dtype is tt.int64
    assert tt.tensor([1, 2]).dtype is tt.int64
