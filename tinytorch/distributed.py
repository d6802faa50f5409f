"""``tinytorch.distributed``: one process, no process group.

tinytorch has no communication backend, so ``is_available()`` is False (PyTorch says True
when it was built with one) and ``is_initialized()`` False. ``get_rank``/``get_world_size``
and the collectives raise PyTorch's ``ValueError`` for a missing default group, and
``init_process_group`` raises a ``RuntimeError`` saying that multi-process training is not
supported, so scripts' ``if dist.is_available() and dist.is_initialized()`` checks take the
single-process path.
"""

from __future__ import annotations

import enum

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group",
           "get_rank", "get_world_size", "barrier", "all_reduce", "broadcast", "ReduceOp",
           "is_torchelastic_launched"]

_NO_GROUP = ("Default process group has not been initialized, please make sure to call "
             "init_process_group. (tinytorch runs in one process: it has no process groups)")


class ReduceOp(enum.Enum):
    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"


def is_available() -> bool:
    """False: tinytorch has no distributed communication backend."""
    return False


def is_initialized() -> bool:
    """False: there is never a default process group."""
    return False


def is_torchelastic_launched() -> bool:
    return False


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       **kwargs) -> None:
    """Raises: tinytorch trains in one process (run the script without torchrun)."""
    raise RuntimeError(f"tinytorch.distributed.init_process_group(backend={backend!r}): "
                       f"tinytorch runs in a single process and has no distributed backend; "
                       f"run the script directly (python -m tinytorch.run script.py), not "
                       f"under torchrun")


def destroy_process_group(group=None) -> None:
    """Raises, as PyTorch does when no process group exists."""
    raise ValueError(_NO_GROUP)


def get_rank(group=None) -> int:
    raise ValueError(_NO_GROUP)


def get_world_size(group=None) -> int:
    raise ValueError(_NO_GROUP)


def barrier(group=None, async_op: bool = False, device_ids=None):
    raise ValueError(_NO_GROUP)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    raise ValueError(_NO_GROUP)


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    raise ValueError(_NO_GROUP)
