"""Issue 11a beyond the op_db rows (tests/test_op_db.py runs those): ties and NaN in
ordering, the mode's gradient, in-place history of the `_` forms, and argument forms a
row's hypothesis strategy does not draw."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt


def _torch():
    return pytest.importorskip("torch")


def test_sort_is_stable_with_ties_both_directions_like_torch_stable():
    torch = _torch()
    data = [[2.0, 1.0, 2.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 0.0, 5.0, -1.0]]
    for descending in (False, True):
        v, i = tt.sort(tt.tensor(data), dim=1, descending=descending)
        tv, ti = torch.sort(torch.tensor(data), dim=1, descending=descending, stable=True)
        assert v.tolist() == tv.tolist() and i.tolist() == ti.tolist()


def test_sort_puts_nan_last_ascending_and_first_descending():
    x = tt.tensor([2.0, float("nan"), 1.0, 2.0])
    assert tt.sort(x).indices.tolist() == [2, 0, 3, 1]
    assert tt.sort(x, descending=True).indices.tolist() == [1, 0, 3, 2]


def test_median_with_nan_is_nan_at_the_first_nan_and_nanmedian_ignores_it():
    nan = float("nan")
    x = tt.tensor([[2.0, nan, 1.0, nan], [3.0, 1.0, 2.0, 0.0]])
    v, i = tt.median(x, 1)
    assert np.isnan(v[0].item()) and i[0].item() == 1
    assert v[1].item() == 1.0 and i[1].item() == 1  # lower median of 0, 1, 2, 3
    v, i = tt.nanmedian(x, 1)
    assert v.tolist() == [1.0, 1.0] and i.tolist() == [2, 1]
    assert np.isnan(tt.median(x).item())
    assert tt.nanmedian(x).item() == 1.0
    assert np.isnan(tt.nanmedian(tt.tensor([nan, nan])).item())


def test_topk_kthvalue_median_indices_point_at_their_values_under_ties():
    x = tt.tensor([[3.0, 1.0, 3.0, 1.0, 2.0, 1.0, 3.0]])
    for values, indices in (tt.topk(x, 3), tt.topk(x, 2, largest=False),
                            tt.kthvalue(x, 2, keepdim=True), tt.median(x, 1, keepdim=True)):
        assert x.gather(1, indices).tolist() == values.tolist()


def test_mode_value_index_and_gradient_match_torch():
    torch = _torch()
    data = [[1.0, 2.0, 2.0, 1.0], [3.0, 1.0, 3.0, 1.0], [0.5, 0.5, 0.5, 4.0]]
    x = tt.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    v, i = tt.mode(x, 1)
    tv, ti = torch.mode(tx, 1)
    assert v.tolist() == tv.tolist() and i.tolist() == ti.tolist()
    (v * tt.tensor([1.0, 2.0, 3.0])).sum().backward()
    (tv * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_scatter_reads_the_leading_block_of_a_larger_src():
    x = tt.zeros(3, 4)
    src = tt.arange(20.0).reshape(4, 5)
    index = tt.tensor([[3, 0], [1, 2]])
    out = x.scatter(1, index, src)
    expected = np.zeros((3, 4))
    expected[0, 3], expected[0, 0], expected[1, 1], expected[1, 2] = 0.0, 1.0, 5.0, 6.0
    np.testing.assert_array_equal(out.numpy(), expected)


def test_inplace_scatter_on_a_leaf_that_requires_grad_is_refused():
    x = tt.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.scatter_(1, tt.tensor([[0]]), 1.0)
    with tt.no_grad():
        x.scatter_(1, tt.tensor([[0]]), 1.0)
    assert x[0, 0].item() == 1.0


def test_inplace_forms_write_storage_and_carry_history_like_torch():
    torch = _torch()
    outs = []
    for lib in (tt, torch):
        w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        src = lib.tensor([[10.0, 20.0]], requires_grad=True)
        y = w * 2
        view = y.view(-1)
        y.scatter_add_(1, lib.tensor([[2, 2]]), src)
        y.index_fill_(0, lib.tensor([1]), 0.5)
        (y * y).sum().backward()
        outs.append((view.detach().numpy().copy(), w.grad.numpy(), src.grad.numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b)


def test_scatter_reduce_mean_and_amax_with_repeats_match_torch_gradients():
    torch = _torch()
    index = [[0, 0, 2, 0]]
    results = []
    for lib in (tt, torch):
        x = lib.tensor([[1.0, 5.0, 2.0]], dtype=lib.float64, requires_grad=True)
        src = lib.tensor([[5.0, 0.5, 7.0, 5.0]], dtype=lib.float64, requires_grad=True)
        total = 0
        for reduce in ("mean", "amax", "amin", "sum"):
            for include_self in (True, False):
                out = x.scatter_reduce(1, lib.tensor(index), src, reduce,
                                       include_self=include_self)
                total = total + (out * lib.tensor([[1.0, 2.0, 3.0]],
                                                  dtype=lib.float64)).sum()
        total.backward()
        results.append((x.grad.numpy(), src.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b)


def test_argument_forms():
    x = tt.tensor([[1.0, 0.0], [0.0, 3.0]])
    assert tt.nonzero(tt.tensor(5.0)).shape == (1, 0)
    assert [t.tolist() for t in tt.nonzero(tt.tensor(5.0), as_tuple=True)] == [[0]]
    assert tt.searchsorted(tt.tensor([1.0, 2.0]), 1.5).item() == 1
    assert tt.searchsorted(tt.tensor([1.0, 2.0]), tt.tensor([2.0]), out_int32=True,
                           side="right").dtype == tt.int32
    assert tt.bincount(tt.tensor([0, 2]), weights=tt.tensor([1.0, 2.0])).dtype == tt.float32
    assert tt.unique(tt.tensor([3, 1, 3])).dtype == tt.int64
    assert x.sort(0).values.tolist() == [[0.0, 0.0], [1.0, 3.0]]
    assert x.flip(0, 1).tolist() == [[3.0, 0.0], [0.0, 1.0]]
    assert x.tile(2).shape == (2, 4)
    assert tt.atleast_2d(x, x)[1].shape == (2, 2)
    assert tt.repeat_interleave(tt.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    assert tt.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert tt.index_put_(x.clone(), (tt.tensor([0]),), tt.tensor(9.0))[0].tolist() == [9.0, 9.0]
    assert tt.diag(tt.tensor([1.0, 2.0]), 1).tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0],
                                                        [0.0, 0.0, 0.0]]
