"""tinytorch.utils.data: datasets, samplers, default_collate and DataLoader, with PyTorch's
lengths, orders, batch structures and errors."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import tinytorch
from tinytorch.utils import data as D


class Squares(D.Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": np.array([i, i * i], dtype=np.float32), "y": i, "name": f"s{i}"}

    def __len__(self):
        return self.n


class Stream(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = D.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


def test_tensor_dataset_and_loader_batches():
    x = tinytorch.arange(10).reshape(5, 2)
    y = tinytorch.arange(5)
    ds = D.TensorDataset(x, y)
    assert len(ds) == 5
    loader = D.DataLoader(ds, batch_size=2)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert batches[0][0].tolist() == [[0, 1], [2, 3]]
    assert isinstance(batches[0], list)  # a tuple sample collates to a list, as PyTorch
    assert batches[-1][1].tolist() == [4]
    assert len(D.DataLoader(ds, batch_size=2, drop_last=True)) == 2
    with pytest.raises(AssertionError, match="Size mismatch"):
        D.TensorDataset(x, tinytorch.arange(4))


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "a b")
    batch = D.default_collate([Point(1.5, np.array([1, 2])), Point(2.5, np.array([3, 4]))])
    assert isinstance(batch, Point)
    assert batch.a.dtype == tinytorch.float64 and batch.a.tolist() == [1.5, 2.5]
    assert batch.b.dtype == tinytorch.int64 and batch.b.tolist() == [[1, 2], [3, 4]]
    out = D.default_collate([{"x": 1, "s": "a", "l": [1, 2]}, {"x": 2, "s": "b", "l": [3, 4]}])
    assert out["x"].tolist() == [1, 2] and out["s"] == ["a", "b"]
    assert [t.tolist() for t in out["l"]] == [[1, 3], [2, 4]]
    assert D.default_collate([True, False]).dtype == tinytorch.bool
    assert D.default_collate([np.float32(1.0), np.float32(2.0)]).dtype == tinytorch.float32
    with pytest.raises(RuntimeError, match="equal size"):
        D.default_collate([tinytorch.zeros(2), tinytorch.zeros(3)])
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        D.default_collate([None, None])


def test_default_collate_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    samples = [{"x": np.array([i, i * i], dtype=np.float32), "y": i, "f": float(i),
                "t": (i, "n")} for i in range(3)]
    ours, ref = D.default_collate(samples), torch_collate(samples)
    for key in ("x", "y", "f"):
        assert ours[key].tolist() == ref[key].tolist()
        assert str(ours[key].dtype).split(".")[-1] == str(ref[key].dtype).split(".")[-1]
    assert type(ours["t"]) is type(ref["t"])
    assert ours["t"][1] == ref["t"][1]
    del torch


def test_map_dataset_loader_and_no_batching():
    loader = D.DataLoader(Squares(5), batch_size=None)
    items = list(loader)
    assert len(loader) == 5 and isinstance(items[0]["x"], tinytorch.Tensor)
    assert items[2]["y"] == 2
    batches = list(D.DataLoader(Squares(5), batch_size=4))
    assert batches[0]["x"].shape == (4, 2) and batches[0]["name"] == ["s0", "s1", "s2", "s3"]


def test_shuffle_is_a_permutation_and_generator_repeats():
    ds = D.TensorDataset(tinytorch.arange(20))
    g1 = tinytorch.random.manual_seed(0) and np.random.default_rng(5)
    order1 = [int(v) for b in D.DataLoader(ds, 4, shuffle=True, generator=g1) for v in b[0]]
    order2 = [int(v) for b in D.DataLoader(ds, 4, shuffle=True,
                                           generator=np.random.default_rng(5)) for v in b[0]]
    assert sorted(order1) == list(range(20)) and order1 == order2 and order1 != list(range(20))


def test_samplers():
    ds = list(range(10))
    assert list(D.SequentialSampler(ds)) == ds
    rs = D.RandomSampler(ds, replacement=True, num_samples=25)
    assert len(rs) == 25 and len(list(rs)) == 25 and set(rs) <= set(ds)
    longer = list(D.RandomSampler(ds, num_samples=15))
    assert len(longer) == 15 and sorted(longer[:10]) == ds
    assert sorted(D.SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    weighted = list(D.WeightedRandomSampler([0, 0, 1.0, 0], 8))
    assert weighted == [2] * 8
    assert sorted(D.WeightedRandomSampler([1, 2, 3], 3, replacement=False)) == [0, 1, 2]
    bs = D.BatchSampler(D.SequentialSampler(ds), 4, drop_last=False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(bs) == 3
    assert len(D.BatchSampler(ds, 4, drop_last=True)) == 2
    dist = D.DistributedSampler(ds, shuffle=False)
    assert list(dist) == ds and len(dist) == 10
    halves = [list(D.DistributedSampler(list(range(5)), 2, r, shuffle=False)) for r in (0, 1)]
    assert halves == [[0, 2, 4], [1, 3, 0]]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        D.RandomSampler(ds, num_samples=0)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        D.BatchSampler(ds, 0, False)


def test_loader_with_sampler_and_batch_sampler():
    ds = D.TensorDataset(tinytorch.arange(6))
    loader = D.DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [b[0].tolist() for b in loader] == [[5, 4], [3, 2], [1, 0]]
    loader = D.DataLoader(ds, batch_sampler=[[0, 1, 2], [5]])
    assert [b[0].tolist() for b in loader] == [[0, 1, 2], [5]] and len(loader) == 2
    loader = D.DataLoader(ds, batch_size=4, collate_fn=lambda batch: len(batch))
    assert list(loader) == [4, 2]


def test_iterable_dataset_and_chain():
    loader = D.DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert len(D.DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    chained = D.ChainDataset([Stream(2), Stream(3)])
    assert list(chained) == [0, 1, 0, 1, 2]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        D.DataLoader(Stream(3), shuffle=True)


def test_concat_subset_random_split():
    a, b = Squares(3), Squares(4)
    cat = a + b
    assert len(cat) == 7 and cat[3]["y"] == 0 and cat[-1]["y"] == 3
    sub = D.Subset(b, [3, 1])
    assert len(sub) == 2 and sub[0]["y"] == 3
    parts = D.random_split(range(10), [3, 7], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    fractions = D.random_split(range(11), [0.5, 0.3, 0.2])
    assert [len(p) for p in fractions] == [6, 3, 2]  # floors 5, 3, 2; the remainder to the first
    with pytest.raises(ValueError, match="Sum of input lengths"):
        D.random_split(range(10), [3, 3])


def test_random_split_fraction_lengths_match_torch():
    torch = pytest.importorskip("torch")
    for n, fracs in [(11, [0.5, 0.3, 0.2]), (10, [0.33, 0.33, 0.34]), (7, [0.25, 0.75])]:
        ours = [len(p) for p in D.random_split(range(n), fracs)]
        ref = [len(p) for p in torch.utils.data.random_split(range(n), fracs)]
        assert ours == ref


def test_num_workers_runs_in_process_with_worker_info():
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import tinytorch.utils.data.dataloader as dl

        dl._warned_in_process = False
        loader = D.DataLoader(Stream(5), batch_size=2, num_workers=2,
                              worker_init_fn=seen.append, persistent_workers=True,
                              prefetch_factor=2, pin_memory=True)
        assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    assert seen == [0]
    assert any("main process" in str(w.message) for w in caught)
    assert D.get_worker_info() is None


@pytest.mark.parametrize("kwargs,match", [
    (dict(sampler=[0], shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "disables auto-batching"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
])
def test_loader_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        D.DataLoader(Squares(3), **kwargs)
