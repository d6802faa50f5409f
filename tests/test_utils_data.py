"""``tinytorch.utils.data``: batches, orders and collation as PyTorch's DataLoader gives them."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import tinytorch
from tinytorch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def _dataset(n=10):
    return TensorDataset(tinytorch.arange(2 * n).float().view(n, 2), tinytorch.arange(n))


@pytest.mark.parametrize("batch_size,drop_last,expected", [
    (4, False, [4, 4, 2]), (4, True, [4, 4]), (5, False, [5, 5]), (20, False, [10])])
def test_batches_cover_the_dataset_in_order(batch_size, drop_last, expected):
    loader = DataLoader(_dataset(), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert [len(y) for _, y in batches] == expected
    assert len(loader) == len(expected)
    assert sum((y.tolist() for _, y in batches), []) == list(range(sum(expected)))
    x, y = batches[0]
    assert x.shape == (expected[0], 2) and x.dtype == tinytorch.float32
    assert y.dtype == tinytorch.int64


def test_shuffle_is_a_permutation_each_epoch_and_follows_manual_seed():
    loader = DataLoader(_dataset(), batch_size=3, shuffle=True)
    tinytorch.manual_seed(5)
    first = [i for _, y in loader for i in y.tolist()]
    second = [i for _, y in loader for i in y.tolist()]
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    tinytorch.manual_seed(5)
    assert [i for _, y in loader for i in y.tolist()] == first


def test_default_collate_follows_the_structure_of_samples():
    Point = collections.namedtuple("Point", "x y")
    batch = default_collate([{"a": 1, "b": "s", "c": np.ones(2), "p": Point(1.5, True)},
                             {"a": 2, "b": "t", "c": np.zeros(2), "p": Point(2.5, False)}])
    assert batch["a"].tolist() == [1, 2] and batch["a"].dtype == tinytorch.int64
    assert batch["b"] == ["s", "t"]
    assert batch["c"].shape == (2, 2)
    assert isinstance(batch["p"], Point) and batch["p"].x.tolist() == [1.5, 2.5]
    assert default_collate([(1, 2.0), (3, 4.0)])[1].dtype == tinytorch.float32
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object()])


def test_samplers_subsets_splits_and_concatenation():
    data = list(range(7))
    assert list(BatchSampler(SequentialSampler(data), 3, drop_last=False)) == \
        [[0, 1, 2], [3, 4, 5], [6]]
    tinytorch.manual_seed(0)
    drawn = list(RandomSampler(data, replacement=True, num_samples=20))
    assert len(drawn) == 20 and set(drawn) <= set(data)
    parts = random_split(data, [0.5, 0.5])
    assert [len(p) for p in parts] == [4, 3]
    assert sorted([*map(parts[0].__getitem__, range(4)), *map(parts[1].__getitem__,
                                                              range(3))]) == data
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(data, [3, 3])
    both = ConcatDataset([Subset(data, [5, 6]), [10, 11, 12]])
    assert len(both) == 5 and [both[i] for i in range(5)] == [5, 6, 10, 11, 12]
    assert both[-1] == 12


def test_iterable_dataset_and_bad_options():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(), shuffle=True)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(list(range(4)), sampler=SequentialSampler(range(4)), shuffle=True)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(list(range(4)), batch_size=0)


def test_same_batches_as_pytorch_without_shuffling():
    torch = pytest.importorskip("torch")
    xs = np.arange(14, dtype=np.float32).reshape(7, 2)
    ours = DataLoader(TensorDataset(tinytorch.tensor(xs)), batch_size=3, drop_last=True)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(xs)),
                                         batch_size=3, drop_last=True)
    assert len(ours) == len(theirs)
    for (a,), (b,) in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
