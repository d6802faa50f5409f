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

# The Tensor class, registered by tinytorch.tensor when it is defined (the two modules need
# each other; a per-call import would cost more than most small ops).
Tensor = None


def register_tensor_class(cls) -> None:
    """The one way the autograd layer learns the Tensor class (called by tinytorch.tensor)."""
    global Tensor
    Tensor = cls


def tensor_class():
    """The registered Tensor class (for modules that tinytorch.tensor itself imports)."""
    return Tensor


class Context:
    """The ``ctx`` of one call: saved arrays, user attributes and the links of the graph.

    It doubles as the graph node (``tensor.grad_fn``): ``next_functions`` holds, per forward
    input, the producing node, the leaf Tensor that accumulates the gradient, or None.
    """

    # the engine's fields are slots (fast to set on every op); "__dict__" holds the user's
    # attributes (ctx.dim = 1, ctx.mask = m), cleared with the saved arrays after backward
    __slots__ = ("fn", "needs_input_grad", "next_functions", "input_meta", "num_outputs",
                 "output_meta", "retained", "_saved", "_released", "_non_differentiable",
                 "__dict__", "__weakref__")

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
        self._non_differentiable = ()

    def __getattr__(self, name):
        # only reached when normal lookup fails: say why if backward already freed it
        if self._released:
            raise RuntimeError(_RELEASED_MSG)
        raise AttributeError(f"ctx has no attribute {name!r}")

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
        self.__dict__.clear()
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
        """Run ``forward`` on the arrays inside ``args`` and wrap the result in Tensors.

        This is every op's hot path, so it is written for speed: one pass over the
        arguments, no graph bookkeeping unless a gradient is needed.
        """
        raw = []
        needs = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                if a.requires_grad:
                    needs.append(True)
                    record = True
                else:
                    needs.append(False)
            else:
                raw.append(a)
                needs.append(False)
        if backend._cupy is not None:  # devices can only differ when CuPy is usable
            _check_same_device(cls, args)
        record = record and grad_mode._enabled
        ctx = Context(cls, tuple(needs))
        try:
            out = cls.forward(ctx, *raw)
        except ValueError as err:  # NumPy's broadcast failure, said in PyTorch's terms
            raise _broadcast_error(cls, raw, err) from None

        if out.__class__ is not tuple:  # the common case: one output
            if isinstance(out, Tensor):
                out = out._data
            result = Tensor._make(out)
            if record and out.dtype.kind == "f" and (
                    not ctx._non_differentiable or id(out) not in ctx._non_differentiable):
                _link(ctx, args, needs)
                result.requires_grad = True
                result.grad_fn = ctx
            return result

        outputs = tuple(o._data if isinstance(o, Tensor) else o for o in out)
        ctx.num_outputs = len(outputs)
        if not record:
            return tuple(Tensor._make(o) for o in outputs)
        _link(ctx, args, needs)
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
        return tuple(results)


def _link(ctx, args, needs):
    """Record the graph edges: per input, its producing node (or the leaf itself) and the
    shape, dtype and output slot its gradient must have."""
    next_functions = []
    input_meta = []
    for a, n in zip(args, needs):
        if n:
            node = a.grad_fn
            next_functions.append(a if node is None else node)
            data = a._data
            input_meta.append((data.shape, data.dtype, a._output_nr))
        else:
            next_functions.append(None)
            input_meta.append(None)
    ctx.next_functions = tuple(next_functions)
    ctx.input_meta = tuple(input_meta)


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


def _check_same_device(fn, args):
    modules = {backend.get_array_module(a._data) for a in args if isinstance(a, Tensor)}
    if len(modules) > 1:
        devs = [str(a.device) for a in args if isinstance(a, Tensor)]
        raise RuntimeError(f"{fn.__name__}: expected all tensors to be on the same device, "
                           f"but found tensors on devices {devs}")


# ``numpy`` or ``cupy`` for an array: the one device switch ops use (``xp``); an alias,
# not a wrapper, because every op calls it
array_module = backend.get_array_module
