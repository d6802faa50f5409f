"""``DataLoader``: batches from a dataset, in a sampler's order, through a collate function.

Loading runs in the main process. ``num_workers > 0`` is accepted (PyTorch scripts pass it
everywhere) and says once, with a warning, that batches are loaded in-process: the worker
initialiser still runs once (worker id 0) and ``get_worker_info()`` describes that single
"worker" while batches load, so sharding code in an ``IterableDataset`` reads everything.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import random as _random
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a loading worker."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None
_warned_in_process = False


def get_worker_info() -> WorkerInfo | None:
    """The current loading worker's info, or None outside one (the main process)."""
    return _worker_info


class DataLoader:
    """Iterate over ``dataset`` in batches (PyTorch's arguments and defaults).

    ``batch_size=None`` turns batching off (samples come one at a time, NumPy arrays
    converted to tensors). ``pin_memory``, ``timeout``, ``multiprocessing_context``,
    ``prefetch_factor``, ``persistent_workers``, ``in_order`` and ``pin_memory_device`` are
    accepted and change nothing here.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor if num_workers else None
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator

        iterable = isinstance(dataset, IterableDataset)
        self._dataset_kind = "iterable" if iterable else "map"
        if iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle \
                else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._dataset_kind == "iterable"
                                                  and self.batch_size is not None)

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        global _worker_info, _warned_in_process
        # as PyTorch, each pass first draws a 64-bit base seed (worker k's seed is base + k),
        # so the shuffled order that follows is PyTorch's too
        if isinstance(self.generator, np.random.Generator):
            base_seed = int(self.generator.integers(0, 2 ** 63 - 1))
        else:
            base_seed = int(_random.random_bits(self.generator, 1, np.int64)[0])
        if self.num_workers > 0:
            if not _warned_in_process:
                warnings.warn(f"DataLoader(num_workers={self.num_workers}): tinytorch loads "
                              f"batches in the main process (no worker processes); the "
                              f"result is the same, only not in parallel", UserWarning,
                              stacklevel=2)
                _warned_in_process = True
            info = WorkerInfo(id=0, num_workers=1, seed=base_seed, dataset=self.dataset)
        else:
            info = None
        previous = _worker_info
        _worker_info = info
        try:
            if info is not None and self.worker_init_fn is not None:
                self.worker_init_fn(0)
            yield from self._batches()
        finally:
            _worker_info = previous

    def _batches(self):
        collate = self.collate_fn
        if self._dataset_kind == "iterable":
            stream = iter(self.dataset)
            if self.batch_size is None:
                for sample in stream:
                    yield collate(sample)
                return
            batch = []
            for sample in stream:
                batch.append(sample)
                if len(batch) == self.batch_size:
                    yield collate(batch)
                    batch = []
            if batch and not self.drop_last:
                yield collate(batch)
            return
        fetch_many = getattr(self.dataset, "__getitems__", None)
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                samples = fetch_many(list(indices)) if callable(fetch_many) \
                    else [self.dataset[i] for i in indices]
                yield collate(samples)
        else:
            for index in self.sampler:
                yield collate(self.dataset[index])

    def __repr__(self) -> str:
        return f"<tinytorch.utils.data.DataLoader object at {hex(id(self))}>"
