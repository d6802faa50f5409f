"""Module hooks: forward pre-hooks, forward hooks, full backward (pre-)hooks.

``Module.__call__`` takes the plain path (``forward`` only) unless a hook is registered on
the module or globally. Full backward hooks work as PyTorch's: the Tensor inputs and
outputs of the call are passed through an identity op whose backward sees the gradients
with respect to the outputs (``grad_output``, for the pre-hooks) and to the inputs
(``grad_input``, for the hooks), and may replace them.
"""

from __future__ import annotations

from collections import OrderedDict

from ..autograd import grad_mode
from ..autograd.function import Function
from ..autograd.graph import RemovableHandle, add_hook
from ..tensor import Tensor

# the global hooks of nn.modules.module.register_module_forward_(pre_)hook
global_forward_pre_hooks: OrderedDict = OrderedDict()
global_forward_hooks: OrderedDict = OrderedDict()
global_forward_hooks_always_called: dict = {}


def hook_table(module, name: str) -> OrderedDict:
    """The module's hook dict ``name``, created on first use (``__call__`` checks for any)."""
    table = module.__dict__.get(name)
    if table is None:
        table = OrderedDict()
        object.__setattr__(module, name, table)
        object.__setattr__(module, "_has_hooks", True)
    return table


def register(module, name: str, hook, prepend: bool = False, **flags) -> RemovableHandle:
    """Add ``hook`` to the module's table ``name``; each flag (``with_kwargs=True``) goes
    in a table of its own, ``{name}_{flag}``, keyed by the handle id and removed with it."""
    table = hook_table(module, name)
    flag_tables = [hook_table(module, f"{name}_{key}") for key in flags]
    handle = add_hook(table, hook, *flag_tables)
    for store, value in zip(flag_tables, flags.values()):
        store[handle.id] = value
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


class _BackwardHookIdentity(Function):
    """out_i = x_i;  dx_i = g_i, after the module's backward (pre-)hooks have seen them."""

    @staticmethod
    def forward(ctx, state, which, *arrays):
        ctx.state, ctx.which = state, which
        return tuple(arrays)

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, *ctx.state.on_grads(ctx.which, grads))

    tensor_backward = backward


class _BackwardHookState:
    """One call's link between its output and input identity nodes."""

    def __init__(self, module, n_inputs: int):
        self.module = module
        self.n_inputs = n_inputs
        self.grad_output = None

    def on_grads(self, which, grads):
        arrays = bool(grads) and not isinstance(grads[0], Tensor)
        as_t = tuple(Tensor._make(g) if arrays and g is not None else g for g in grads)
        module = self.module
        if which == "outputs":
            for hook in tuple(module.__dict__.get("_backward_pre_hooks", {}).values()):
                replaced = hook(module, as_t)
                if replaced is not None:
                    as_t = tuple(replaced) if isinstance(replaced, (tuple, list)) \
                        else (replaced,)
            self.grad_output = as_t
            if self.n_inputs == 0:  # no input needs grad: the hooks get grad_input = (None,)
                self._run_backward_hooks((None,))
        else:
            as_t = self._run_backward_hooks(as_t)
        return tuple(g._data if arrays and g is not None else g for g in as_t)

    def _run_backward_hooks(self, grad_input):
        module = self.module
        for hook in tuple(module.__dict__.get("_backward_hooks", {}).values()):
            replaced = hook(module, grad_input, self.grad_output)
            if replaced is not None:
                grad_input = tuple(replaced) if isinstance(replaced, (tuple, list)) \
                    else (replaced,)
        return grad_input


def _wrap_tensors(state, which, values):
    """Pass the Tensors needing grad in ``values`` through one identity node."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not positions:
        return values, 0
    wrapped = _BackwardHookIdentity.apply(state, which, *(values[i] for i in positions))
    out = list(values)
    for i, w in zip(positions, wrapped):
        out[i] = w
    return out, len(positions)


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks, in PyTorch's order."""
    d = module.__dict__
    for hook_id, hook in tuple(global_forward_pre_hooks.items()) + tuple(
            d.get("_forward_pre_hooks", {}).items()):
        if d.get("_forward_pre_hooks_with_kwargs", {}).get(hook_id):
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward_hooked = grad_mode.is_grad_enabled() and (
        d.get("_backward_hooks") or d.get("_backward_pre_hooks"))
    state = None
    if backward_hooked:
        state = _BackwardHookState(module, 0)
        args, state.n_inputs = _wrap_tensors(state, "inputs", list(args))
        args = tuple(args)
    always = {**global_forward_hooks_always_called,
              **d.get("_forward_hooks_always_called", {})}
    try:
        output = module.forward(*args, **kwargs)
    except Exception:
        for hook_id, hook in tuple(global_forward_hooks.items()) + tuple(
                d.get("_forward_hooks", {}).items()):
            if always.get(hook_id):
                try:
                    if d.get("_forward_hooks_with_kwargs", {}).get(hook_id):
                        hook(module, args, kwargs, None)
                    else:
                        hook(module, args, None)
                except Exception:
                    pass
        raise
    for hook_id, hook in tuple(global_forward_hooks.items()) + tuple(
            d.get("_forward_hooks", {}).items()):
        if d.get("_forward_hooks_with_kwargs", {}).get(hook_id):
            result = hook(module, args, kwargs, output)
        else:
            result = hook(module, args, output)
        if result is not None:
            output = result
    if state is not None:
        if isinstance(output, Tensor):
            wrapped, _ = _wrap_tensors(state, "outputs", [output])
            output = wrapped[0]
        elif isinstance(output, (tuple, list)):
            wrapped, _ = _wrap_tensors(state, "outputs", list(output))
            output = type(output)(wrapped)
    return output
