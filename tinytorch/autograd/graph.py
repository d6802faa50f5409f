"""Hook handles (PyTorch's ``torch.utils.hooks.RemovableHandle``)."""

from __future__ import annotations

import itertools

_next_id = itertools.count()


class RemovableHandle:
    """What ``register_*hook`` returns: ``handle.remove()`` unregisters the hook (also on
    leaving a ``with handle:`` block). Hooks live in ordered dicts keyed by ``handle.id``."""

    def __init__(self, hooks_dict: dict, *extra_dicts: dict):
        self.id = next(_next_id)
        self.hooks_dicts = (hooks_dict, *extra_dicts)

    def remove(self) -> None:
        for d in self.hooks_dicts:
            d.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(hooks_dict: dict, hook, *extra_dicts: dict) -> RemovableHandle:
    """Register ``hook`` in ``hooks_dict`` and return its handle (``extra_dicts`` hold
    per-hook flags, removed with it)."""
    handle = RemovableHandle(hooks_dict, *extra_dicts)
    hooks_dict[handle.id] = hook
    return handle
