"""``Function``: one differentiable op, its forward and backward side by side.

A Function's ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` are static methods that
work on raw backend arrays (NumPy or CuPy), never on Tensors: the math is plain array code,
backward records no graph, and nothing pays Tensor overhead twice. ``Function.apply`` does
the wrapping: it unwraps Tensor arguments, runs forward, wraps the outputs and, when a
gradient is needed, keeps the context ``ctx`` as the outputs' ``grad_fn``.

Writing your own op::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):          # x: ndarray
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):      # grad: ndarray shaped like the output
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2  # one gradient per forward input (None if not needed)

    y = Cube.apply(t)
"""

from __future__ import annotations

from .. import backend
from . import grad_mode


class Context:
    """The ``ctx`` of one call: saved arrays, user attributes and the links of the graph.

    It doubles as the graph node (``tensor.grad_fn``): ``next_functions`` holds, per forward
    input, the producing node, the leaf Tensor that accumulates the gradient, or None.
    """

    __slots__ = ("fn", "needs_input_grad", "next_functions", "input_meta", "num_outputs",
                 "output_meta", "retained", "_saved", "_released", "_attrs",
                 "_non_differentiable", "__weakref__")

    def __init__(self, fn, needs_input_grad):
        self.fn = fn
        self.needs_input_grad = needs_input_grad
        self.next_functions = ()
        self.input_meta = ()
        self.num_outputs = 1
        self.output_meta = None  # (shape, dtype, xp) per output, for multi-output ops
        self.retained = None  # [(output index, weakref to Tensor)] from retain_grad()
        self._saved = ()
        self._released = False
        self._attrs = {}
        self._non_differentiable = ()

    # user attributes (ctx.dim = 1, ctx.mask = m) live in a dict freed after backward
    def __getattr__(self, name):
        try:
            return object.__getattribute__(self, "_attrs")[name]
        except KeyError:
            if object.__getattribute__(self, "_released"):
                raise RuntimeError(_RELEASED_MSG) from None
            raise AttributeError(f"ctx has no attribute {name!r}") from None

    def __setattr__(self, name, value):
        if name in Context.__slots__:
            object.__setattr__(self, name, value)
        else:
            self._attrs[name] = value

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for backward; they are freed after it unless ``retain_graph=True``."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(_RELEASED_MSG)
        return self._saved

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs (by identity) that never carry a gradient, e.g. argmax indices."""
        self._non_differentiable = tuple(id(o) for o in outputs)

    def release(self) -> None:
        self._saved = ()
        self._attrs = {}
        self._released = True

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


_RELEASED_MSG = ("Trying to backward through the graph a second time (or to read saved "
                 "values after they were freed). Pass retain_graph=True to the first "
                 "backward() if you need to backward through it again.")


class Function:
    """Base class of every differentiable op, the built-in ones and users' own."""

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must implement forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args):
        from ..tensor import Tensor

        raw = []
        needs = []
        dev = None
        for a in args:
            if isinstance(a, Tensor):
                arr = a.data
                if dev is None:
                    dev = a._xp
                elif a._xp is not dev:
                    _device_mismatch(cls, args)
                raw.append(arr)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        record = grad_mode._enabled and any(needs)
        ctx = Context(cls, tuple(needs))
        try:
            out = cls.forward(ctx, *raw)
        except ValueError as err:  # NumPy's broadcast failure, said in PyTorch's terms
            raise _broadcast_error(cls, raw, err) from None

        if isinstance(out, tuple):
            outputs = tuple(o.data if isinstance(o, Tensor) else o for o in out)
            ctx.num_outputs = len(outputs)
        else:
            outputs = (out.data if isinstance(out, Tensor) else out,)

        if not record:
            results = tuple(Tensor._make(o) for o in outputs)
            return results if isinstance(out, tuple) else results[0]

        ctx.next_functions = tuple(
            (a.grad_fn if a.grad_fn is not None else a) if n else None
            for a, n in zip(args, needs))
        ctx.input_meta = tuple((a.data.shape, a.data.dtype, a._output_nr) if n else None
                               for a, n in zip(args, needs))
        if ctx.num_outputs > 1:
            ctx.output_meta = tuple((o.shape, o.dtype, backend.get_array_module(o))
                                   for o in outputs)
        results = []
        for i, o in enumerate(outputs):
            t = Tensor._make(o)
            if o.dtype.kind == "f" and id(o) not in ctx._non_differentiable:
                t.requires_grad = True
                t.grad_fn = ctx
                t._output_nr = i
            results.append(t)
        return tuple(results) if isinstance(out, tuple) else results[0]


def _broadcast_error(fn, raw, err):
    """A RuntimeError naming the op and the operand shapes when shapes do not broadcast."""
    if "broadcast" not in str(err):
        return err
    shapes = [tuple(a.shape) for a in raw if backend.is_array(a)]
    detail = ""
    for dim in range(1, max(len(s) for s in shapes) + 1):
        sizes = list(dict.fromkeys(s[-dim] for s in shapes if len(s) >= dim and s[-dim] != 1))
        if len(sizes) > 1:
            a, b = sizes[:2]
            detail = f": size {a} vs {b} at dimension -{dim}"
            break
    listed = " and ".join(str(s) for s in shapes)
    return RuntimeError(f"{fn.__name__.lower()}: shapes {listed} cannot be broadcast "
                        f"together{detail}")


def _device_mismatch(fn, args):
    from ..tensor import Tensor

    devs = [str(a.device) for a in args if isinstance(a, Tensor)]
    raise RuntimeError(f"{fn.__name__}: expected all tensors to be on the same device, "
                       f"but found tensors on devices {devs}")


def array_module(array):
    """``numpy`` or ``cupy`` for an array: the one device switch ops use (``xp``)."""
    return backend.get_array_module(array)
