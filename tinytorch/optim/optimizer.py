"""``Optimizer``: the base of SGD, Adam and AdamW, with PyTorch's param groups and state layout.

An optimizer holds ``param_groups``, a list of dicts: each has ``'params'`` (a list of
tensors) and that group's options (``lr``, ``weight_decay``, ...), filled from
``defaults`` where the group does not set them. ``state`` maps each parameter (the Tensor
itself) to a dict of its buffers (``exp_avg``, ``momentum_buffer``, ``step``, ...).

``state_dict()`` is PyTorch's layout: parameters are referred to by their integer position
across all groups, in order, so a state dict can be saved with ``tinytorch.save`` and loaded
into an optimizer built over the same parameters in the same order.

Updates work on the backend arrays in place (``p._data``): no graph is recorded, and the
arrays the model holds are the ones that change.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np

from .. import backend
from ..autograd import grad_mode
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """A default every param group must set itself (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers: param groups, per-parameter state and (de)serialisation.

    Subclasses pass their ``defaults`` (the options every group gets unless it sets its own)
    and implement ``step(closure=None)``.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts (a list of param groups), but got one dict; "
                            "wrap it in a list: [group]")
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False  # set by step(); lr schedulers warn when it is still False
        param_groups = list(params)
        if not param_groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs) -> None:
        # Every subclass's step() marks the optimizer as stepped, so a scheduler can warn
        # when scheduler.step() comes first (the order that skips the first lr value).
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_marks_opt_called", False):
            @functools.wraps(step)
            def marked_step(self, *args, **kwargs):
                self._opt_called = True
                return step(self, *args, **kwargs)

            marked_step._marks_opt_called = True
            cls.step = marked_step

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a new layer to fine-tune)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise KeyError("param_group must have a 'params' entry (the tensors to optimize)")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets changes between runs; "
                            "use a list instead")
        else:
            params = list(params)

        # named_parameters() gives (name, tensor) pairs: keep the names, as PyTorch does
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names; "
                             "some param names are missing")
        for i, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but param {i} of the "
                                f"group is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (param {i} of the group "
                                 f"has grad_fn {p.grad_fn}); use .detach() to make a leaf")
        group = dict(param_group)
        group["params"] = tensors
        if names:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            group.setdefault(key, default)

        if len({id(p) for p in tensors}) != len(tensors):
            raise ValueError("optimizer got a parameter group with duplicate parameters")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names; "
                                 "cannot mix named and unnamed groups")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.grad_fn = None
                    p.grad.requires_grad = False
                    p.grad._data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once; ``closure`` re-evaluates the loss and returns it."""
        raise NotImplementedError("an Optimizer subclass must implement step(closure=None)")

    def _evaluate_closure(self, closure):
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{options..., 'params': [index, ...]}]}``.

        Indices number the parameters across all groups in order. Tensors in ``state`` are
        the optimizer's own buffers (not copies), as in PyTorch.
        """
        index_of: dict[int, int] = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            indices = []
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
                indices.append(index_of[id(p)])
            packed["params"] = indices
            packed_groups.append(packed)
        packed_state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and buffers saved by ``state_dict()``.

        The optimizer must have been built over the same parameters, grouped the same way.
        Floating buffers are copied to each parameter's dtype and device (``step`` stays a
        float32 scalar on the CPU); unlike PyTorch the loaded tensors are always copied, so
        continuing to train never writes into the dict that was passed in.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            got = sorted(state_dict) if isinstance(state_dict, dict) \
                else type(state_dict).__name__
            raise ValueError(f"optimizer state dict must be a dict with 'state' and "
                             f"'param_groups' entries, got {got}")
        saved_groups = deepcopy(list(state_dict["param_groups"]))
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(groups)})")
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group: group {i} has "
                                 f"{len(sg['params'])} params in the state dict and "
                                 f"{len(g['params'])} in the optimizer")
        param_of = {}
        for g, sg in zip(groups, saved_groups):
            for p, index in zip(g["params"], sg["params"]):
                param_of[index] = p

        state: defaultdict = defaultdict(dict)
        for index, value in state_dict["state"].items():
            if index in param_of:
                p = param_of[index]
                state[p] = _cast_state(p, value, index)
            else:
                state[index] = value
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            sg["params"] = g["params"]
            if "param_names" in g and "param_names" not in sg:
                sg["param_names"] = g["param_names"]
            new_groups.append(sg)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        lines.append(")")
        return "\n".join(lines)

    # ------------------------------------------------------------------ helpers for steps
    def _grad_of(self, p: Tensor):
        """``p.grad``'s array, checked against the parameter (None when there is no grad)."""
        g = p.grad
        if g is None:
            return None
        arr = g._data if isinstance(g, Tensor) else g
        if arr.shape != p._data.shape:
            raise RuntimeError(f"{type(self).__name__}.step: a parameter of shape "
                               f"{tuple(p._data.shape)} has a .grad of shape {tuple(arr.shape)}")
        if arr.dtype != p._data.dtype:
            raise RuntimeError(f"{type(self).__name__}.step: a parameter of dtype "
                               f"{backend.dtype_of(p._data)} has a .grad of dtype {arr.dtype}")
        if backend.get_array_module(arr) is not backend.get_array_module(p._data):
            raise RuntimeError(f"{type(self).__name__}.step: a parameter on {p.device} has "
                               f"a .grad on {backend.device_of(arr)}")
        p._bump_version()  # the step is about to update p in place (PyTorch's version too)
        return arr


def _cast_state(p: Tensor, value, index, key=None):
    """A copy of one parameter's saved state, its tensors moved to ``p``'s device/dtype."""
    if isinstance(value, Tensor):
        arr = value._data
        if key == "step":
            # the step counter stays a float32 scalar on the host, as in PyTorch
            return Tensor._make(np.array(backend.to_numpy(arr), dtype=np.float32))
        if arr.shape != p._data.shape and arr.ndim != 0:
            raise ValueError(f"loaded optimizer state {key!r} of parameter {index} has shape "
                             f"{tuple(arr.shape)} but the parameter has shape "
                             f"{tuple(p._data.shape)}")
        arr = backend.move(arr, p.device)
        xp = backend.get_array_module(arr)
        dtype = p._data.dtype if arr.dtype.kind == "f" and p._data.dtype.kind == "f" \
            else arr.dtype
        return Tensor._make(xp.array(arr, dtype=dtype, order="C", copy=True))
    if isinstance(value, dict):
        return {k: _cast_state(p, v, index, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(p, v, index) for v in value)
    return deepcopy(value)


# Elementwise updates stream every state buffer through memory once per NumPy call; done a
# cache-sized piece at a time, the dozen passes of an Adam step touch main memory once.
# 65536 float32 elements is 256 KiB per buffer: the five buffers of a piece stay in L2/L3
# (measured: 1.3-1.4x faster than whole-array passes at 1.5M and 13M elements).
CHUNK_ELEMENTS = 1 << 16


def chunked(*arrays):
    """Matching pieces of same-shaped arrays (None passes through as None).

    NumPy arrays that are all C-contiguous and larger than ``CHUNK_ELEMENTS`` come in flat
    cache-sized slices (views, so writes land in the arrays); anything else comes whole.
    """
    present = [a for a in arrays if a is not None]
    first = present[0]
    if (backend.get_array_module(first) is not np or first.size <= CHUNK_ELEMENTS
            or not all(a.flags.c_contiguous for a in present)):
        yield arrays
        return
    flats = [None if a is None else a.reshape(-1) for a in arrays]
    for start in range(0, first.size, CHUNK_ELEMENTS):
        stop = start + CHUNK_ELEMENTS
        yield tuple(None if f is None else f[start:stop] for f in flats)


def effective_grad(xp, param, grad, weight_decay: float, maximize: bool, out):
    """The gradient an update follows: ``±grad + weight_decay * param`` (L2 decay; minus when
    maximizing), written into ``out`` so ``.grad`` itself is never changed."""
    if weight_decay != 0:
        xp.multiply(param, weight_decay, out=out)
        if maximize:
            out -= grad
        else:
            out += grad
        return out
    return xp.negative(grad, out=out) if maximize else grad


class ScratchBuffers:
    """Reusable temporaries for in-place updates, one flat buffer per (backend, dtype, slot)."""

    def __init__(self) -> None:
        self._buffers: dict = {}

    def like(self, array, slot: int = 0):
        xp = backend.get_array_module(array)
        key = (xp.__name__, array.dtype.str, slot)
        buf = self._buffers.get(key)
        if buf is None or buf.size < array.size:
            buf = self._buffers[key] = xp.empty(max(array.size, CHUNK_ELEMENTS), array.dtype)
        return buf[:array.size].reshape(array.shape)
