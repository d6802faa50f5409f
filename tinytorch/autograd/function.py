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

import weakref

import numpy as np

from .. import backend
from . import grad_mode

_ndarray = np.ndarray

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


# PyTorch names a built-in op's graph node after its ATen kernel, with an overload number:
# ``MulBackward0``. tinytorch's built-in Functions get ``<ClassName>Backward0``, except
# where the kernel's name differs from the class's (the table); a user's own Function
# gets ``<ClassName>Backward``, as a ``torch.autograd.Function`` subclass does.
PYTORCH_NODE_NAMES = {
    "CrossEntropy": "NllLossBackward0", "NLLLoss": "NllLossBackward0",
    "LayerNorm": "NativeLayerNormBackward0", "BatchNorm": "NativeBatchNormBackward0",
    "Linear": "AddmmBackward0", "MatMul": "MmBackward0", "Reshape": "ViewBackward0",
    "Conv2d": "ConvolutionBackward0", "ConvTranspose2d": "ConvolutionBackward0",
    "MaxPool2d": "MaxPool2DWithIndicesBackward0", "AvgPool2d": "AvgPool2DBackward0",
    "Dropout": "NativeDropoutBackward0", "Cast": "ToCopyBackward0", "Clamp": "ClampBackward1",
    "Contiguous": "CloneBackward0", "MaxMin": "MaxBackward0", "Amax": "AmaxBackward0",
    "ScaledDotProductAttention": "ScaledDotProductFlashAttentionForCpuBackward0",
    "Index": "IndexBackward0", "Where": "WhereBackward0", "Permute": "PermuteBackward0",
}


def node_name(fn) -> str:
    """The graph node name of Function class ``fn``, as PyTorch prints it."""
    if fn.__module__.startswith("tinytorch."):
        return PYTORCH_NODE_NAMES.get(fn.__name__) or f"{fn.__name__}Backward0"
    return f"{fn.__name__}Backward"


class Context:
    """The ``ctx`` of one call: saved arrays, user attributes and the links of the graph.

    It doubles as the graph node (``tensor.grad_fn``): ``parents`` holds, per forward input,
    the producing node, the leaf Tensor that accumulates the gradient, or None (what the
    engine walks); ``next_functions`` shows the same edges in PyTorch's form.
    """

    # the engine's fields are slots (fast to set on every op); "__dict__" holds the user's
    # attributes (ctx.dim = 1, ctx.mask = m), cleared with the saved arrays after backward
    __slots__ = ("fn", "needs_input_grad", "parents", "input_meta", "num_outputs",
                 "output_meta", "retained", "_saved", "_released", "_non_differentiable",
                 "_saved_versions", "hooks", "__dict__", "__weakref__")

    def __init__(self, fn, needs_input_grad, parents=(), input_meta=()):
        self.fn = fn
        self.needs_input_grad = needs_input_grad
        self.parents = parents
        self.input_meta = input_meta  # per input: (shape, dtype, output slot), or None
        self.num_outputs = 1
        self.output_meta = None  # (shape, dtype, xp) per output, for multi-output ops
        self.retained = None  # [(output index, weakref to Tensor)] from retain_grad()
        self._saved = ()
        self._released = False
        self._non_differentiable = ()
        # (saved index, source, version counter, version at save) per saved input/output
        # Tensor; source is the input position i, or -1 - j for output j
        self._saved_versions = ()
        self.hooks = None  # {output index: [tensor hooks]} from register_hook on an output

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
        for _k, _source, counter, version in self._saved_versions:
            if counter[0] != version:
                check_saved_versions(self)  # raises, naming the tensor
        return self._saved

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs (by identity) that never carry a gradient, e.g. argmax indices."""
        self._non_differentiable = tuple(id(o) for o in outputs)

    def release(self) -> None:
        """Free what backward needed. A node that kept no array stays usable: a second
        backward through a graph that saved nothing is allowed, as in PyTorch."""
        # a loop that stops at the first array, not any() over a generator (measured:
        # 1.7 -> 0.7 us per node that saved an array, 0.8 -> 0.3 us per node that saved none)
        for v in self._saved:
            if v.__class__ is _ndarray or backend.is_array(v):
                break
        else:
            attrs = self.__dict__
            if not attrs or not any(backend.is_array(v) for v in attrs.values()):
                return
        self._saved = ()
        self.__dict__.clear()
        self._released = True

    def name(self) -> str:
        return node_name(self.fn)

    @property
    def next_functions(self) -> tuple:
        """PyTorch's view of the edges: per forward input, ``(node, output index)``, a leaf
        as ``(AccumulateGrad, 0)`` (its ``.variable`` is the leaf), a constant as
        ``(None, 0)``."""
        edges = []
        for parent, meta in zip(self.parents, self.input_meta):
            if parent is None:
                edges.append((None, 0))
            elif parent.__class__ is Context:
                edges.append((parent, meta[2]))
            else:
                edges.append((AccumulateGrad(parent), 0))
        return tuple(edges)

    def __repr__(self) -> str:  # PyTorch's: <MulBackward0 object at 0x7f...>
        return f"<{self.name()} object at {id(self):#x}>"


class AccumulateGrad:
    """The graph node PyTorch shows for a leaf that requires grad: its gradient is
    accumulated into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


_RELEASED_MSG = ("Trying to backward through the graph a second time (or to read saved "
                 "values after they were freed). Pass retain_graph=True to the first "
                 "backward() if you need to backward through it again.")


class Function:
    """Base class of every differentiable op, the built-in ones and users' own.

    Class attributes a subclass may set:

    ``is_view``
        True when the output may be a view of input 0 (reshape, permute, indexing): the
        output then shares input 0's version counter, as PyTorch's views do.
    ``tensor_backward``
        The backward written on Tensors, used by ``backward(create_graph=True)`` and
        ``autograd.grad(..., create_graph=True)`` so the backward pass records a graph of
        its own (double backward). ``saved_tensors`` and the gradients are Tensors then.
        When ``backward`` only uses operators that arrays and Tensors share (``g * b``,
        ``-g``, ``g / a``), say ``tensor_backward = backward``: one source for both. None
        (the default) makes the op once-differentiable: its gradient can be computed under
        ``create_graph=True`` but differentiating that gradient again raises.
    """

    is_view = False
    tensor_backward = None

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
        arguments that also gathers the graph's edges (measured: 5.1 -> 4.6 us per op of
        the bench_engine chain's forward, against a second pass after forward), no graph
        bookkeeping unless a gradient is needed.
        """
        raw = []  # what forward sees: each Tensor's array, other arguments as they are
        needs = []  # per input: does it require grad
        parents = []  # per input: its producing node, the leaf Tensor itself, or None
        metas = []  # per input requiring grad: (shape, dtype, output slot) of its gradient
        record = False
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                raw.append(data)
                if a.requires_grad:
                    record = True
                    needs.append(True)
                    node = a.grad_fn
                    parents.append(a if node is None else node)
                    metas.append((data.shape, data.dtype, a._output_nr))
                    continue
            else:
                raw.append(a)
            needs.append(False)
            parents.append(None)
            metas.append(None)
        if backend._cupy is not None:  # devices can only differ when CuPy is usable
            _check_same_device(cls, args)
        if record and grad_mode._enabled:
            ctx = Context(cls, tuple(needs), tuple(parents), tuple(metas))
        else:  # nothing to record: a throwaway ctx, no graph bookkeeping below
            record = False
            ctx = UnrecordedContext(cls, tuple(needs))
        try:
            out = cls.forward(ctx, *raw)
        except ValueError as err:  # NumPy's broadcast failure, said in PyTorch's terms
            raise _broadcast_error(cls, raw, err) from None

        if out.__class__ is not tuple:  # the common case: one output
            if out.__class__ is not _ndarray and isinstance(out, Tensor):
                out = out._data
            result = Tensor._make(out)
            if cls.is_view:
                _share_version_counter(cls, args, result)
            if record and out.dtype.kind == "f" and (
                    not ctx._non_differentiable or id(out) not in ctx._non_differentiable):
                if ctx._saved:
                    if result._data is not out:
                        _save_wrapped_scalar(ctx, out, result)
                    _record_saved_versions(ctx, args, raw, (result,))
                if grad_mode._anomaly_enabled:
                    _record_forward_trace(ctx)
                result.requires_grad = True
                result.grad_fn = ctx
            return result

        outputs = tuple(o._data if isinstance(o, Tensor) else o for o in out)
        if not record:
            return tuple(Tensor._make(o) for o in outputs)
        ctx.num_outputs = len(outputs)
        ctx.output_meta = tuple((o.shape, o.dtype, backend.get_array_module(o))
                                for o in outputs)
        results = []
        for i, o in enumerate(outputs):
            t = Tensor._make(o)
            if o.dtype.kind == "f" and id(o) not in ctx._non_differentiable:
                t.requires_grad = True
                t.grad_fn = ctx
                t._output_nr = i
            if t._data is not o:
                _save_wrapped_scalar(ctx, o, t)
            results.append(t)
        if ctx._saved:
            _record_saved_versions(ctx, args, raw, results)
        if grad_mode._anomaly_enabled:
            _record_forward_trace(ctx)
        return tuple(results)


class UnrecordedContext:
    """The ``ctx`` of a call that records nothing (grad mode off, or no input requires
    grad): forward saves and sets attributes as usual, and all of it goes with the call.
    It is no graph node, so it is cheaper to make than a ``Context``
    (measured: 0.39 -> 0.16 us per call)."""

    __slots__ = ("fn", "needs_input_grad", "_saved", "__dict__")

    def __init__(self, fn, needs_input_grad):
        self.fn = fn
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *arrays) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        return getattr(self, "_saved", ())

    def mark_non_differentiable(self, *outputs) -> None:
        pass  # no output of this call carries a gradient anyway

    def name(self) -> str:
        return node_name(self.fn)


class OnceDifferentiable(Function):
    """The node of a gradient that a once-differentiable op (no ``tensor_backward``)
    computed under ``create_graph=True``: differentiating that gradient raises."""

    @staticmethod
    def forward(ctx, g):
        return g

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable: {ctx.__dict__.get('op', 'an op')} has no tensor_backward, "
            f"so its gradient cannot be differentiated again")

    @classmethod
    def wrap(cls, g, node):
        """Make ``g`` (a gradient computed by ``node``'s array backward) a graph output."""
        ctx = Context(cls, ())
        ctx.__dict__["op"] = node.name()
        g.requires_grad = True
        g.grad_fn = ctx
        return g


def once_differentiable(backward):
    """PyTorch's decorator for a backward that cannot be differentiated again. In tinytorch
    every ``backward`` runs on arrays and is once-differentiable unless its Function sets
    ``tensor_backward``, so this marks the intent and changes nothing."""
    return backward


def new_version_counter(t) -> list:
    """``t``'s version counter, created on first use: a one-element list shared by a tensor
    and its views (and ``detach()``), bumped by every in-place write (``Tensor._bump_version``).
    Created lazily so that ops that never meet an in-place write pay nothing for it."""
    counter = t._version_counter
    if counter is None:
        counter = t._version_counter = [0]
    return counter


def _share_version_counter(cls, args, view) -> None:
    """A view's output shares the base's version counter when the array really is a view of
    the base's array (a reshape may have had to copy). It also remembers how it was made
    and registers with the root tensor, so an in-place op recorded on the root can give the
    view a fresh ``grad_fn`` (``regenerate_views``), as PyTorch does."""
    base = args[0]
    a, o = base._data, view._data
    owner = o.base
    if owner is None or not (owner is a or owner is a.base):
        return
    view._version_counter = new_version_counter(base)
    root = getattr(base, "_base", None)
    root = view._base = base if root is None else root
    view._view_fn = (base, cls, args[1:])
    views = getattr(root, "_views", None)
    if views is None:
        views = root._views = []
    elif len(views) >= 64 and len(views) & (len(views) - 1) == 0:
        # drop the dead ones at 64, 128, 256... entries: amortised O(1) per view even when
        # they all stay alive (a sequence's 999 time steps as views of one input; pruning
        # at every view past 64 made that loop quadratic: 113 us per view at 999)
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


def regenerate_views(root) -> None:
    """After an in-place op recorded on ``root``: each live view of it is made again from
    its (new) base, so gradients through the view see the in-place op."""
    views = root._views
    root._views = []  # the views made below are temporary: they do not register
    try:
        for ref in views:
            view = ref()
            if view is None:
                continue
            parent, cls, rest = view._view_fn
            with grad_mode.enable_grad():
                if getattr(cls, "multiple_views", False):  # PyTorch refuses these: see
                    fresh = ModifiedMultipleView.apply(parent, cls, *rest)  # the class
                else:
                    fresh = cls.apply(parent, *rest)
            view.grad_fn = fresh.grad_fn
            view._output_nr = fresh._output_nr
            view.requires_grad = fresh.requires_grad
    finally:
        root._views = [r for r in views if r() is not None]


class ModifiedMultipleView(Function):
    """The new ``grad_fn`` of a part made by an op that returns several views (``split``,
    ``chunk``) after its base was changed in place: as PyTorch, a backward through it
    raises (the part's gradient could not be told apart from its siblings')."""

    @staticmethod
    def forward(ctx, base, cls, output_nr, index):
        ctx.message = (
            f"Output {output_nr} of {cls.__name__} is a view and its base or another view "
            f"of its base has been modified inplace. This view is the output of a function "
            f"that returns multiple views. Such functions do not allow the output views to be "
            f"modified inplace. You should replace the inplace operation by an out-of-place "
            f"one.")
        return base[index]

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(ctx.message)


def _record_saved_versions(ctx, args, raw, results) -> None:
    """For each saved array that is an input's or an output's own array, remember which one
    and its version now, so backward can tell if an in-place op changed it since. This runs
    for every recorded op that saves something: identity tests only, no temporaries
    (measured, without the zip and tuples it had: 3.63M -> 3.49M instructions per step of
    the bench_engine chain, callgrind)."""
    records = []
    k = 0
    for s in ctx._saved:
        if s is not None and s.__class__ is not float:
            owner = None
            i = 0
            for r in raw:
                if r is s and args[i] is not s:  # input i's own array, not one passed as is
                    owner, source = args[i], i
                    break
                i += 1
            else:
                j = -1
                for t in results:
                    if t._data is s:
                        owner, source = t, j
                        break
                    j -= 1
            if owner is not None:
                counter = owner._version_counter
                if counter is None:
                    counter = owner._version_counter = [0]
                records.append((k, source, counter, counter[0]))
        k += 1
    ctx._saved_versions = records


def _save_wrapped_scalar(ctx, raw_output, result) -> None:
    """Forward returned a NumPy scalar, wrapped as a 0-d array: if it saved it, it saves
    the wrapped array instead (the one the output Tensor holds)."""
    ctx._saved = tuple(result._data if s is raw_output else s for s in ctx._saved)


def keep_saved_copy(ctx, arr) -> None:
    """Before an in-place op overwrites ``arr`` with the output of its own node ``ctx``:
    if ``ctx`` saved ``arr`` (``x.mul_(y)`` saves x for y's gradient), it keeps a copy."""
    if not any(s is arr for s in ctx._saved):
        return
    kept = arr.copy()
    ctx._saved = tuple(kept if s is arr else s for s in ctx._saved)
    ctx._saved_versions = tuple(
        (k, source, [0], 0) if ctx._saved[k] is kept else (k, source, counter, version)
        for k, source, counter, version in ctx._saved_versions)


def check_saved_versions(ctx) -> None:
    """Raise PyTorch's error when a tensor ``ctx`` saved was changed in place since."""
    for k, source, counter, version in ctx._saved_versions:
        if counter[0] != version:
            arr = ctx._saved[k]
            kind = _tensor_type(arr)
            shape = ", ".join(str(n) for n in arr.shape)
            if source < 0:
                origin = f", which is output {-1 - source} of {ctx.name()},"
            else:
                parent = ctx.parents[source]
                origin = (f", which is output {ctx.input_meta[source][2]} of {parent.name()},"
                          if parent.__class__ is Context else "")
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by "
                f"an inplace operation: [{kind} [{shape}]]{origin} is at version "
                f"{counter[0]}; expected version {version} instead. Hint: enable anomaly "
                f"detection to find the operation that failed to compute its gradient, with "
                f"tinytorch.autograd.set_detect_anomaly(True).")


def _tensor_type(arr) -> str:
    """PyTorch's legacy type name of an array: ``tinytorch.FloatTensor`` for float32."""
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "bfloat16": "BFloat16"}
    name = names.get(str(arr.dtype), str(arr.dtype))
    prefix = "tinytorch." if backend.get_array_module(arr).__name__ == "numpy" \
        else "tinytorch.cuda."
    return f"{prefix}{name}Tensor"


def _record_forward_trace(ctx) -> None:
    """Under detect_anomaly: keep where the forward op was called, for backward's errors."""
    import traceback

    ctx.__dict__["_forward_trace"] = "".join(traceback.format_stack()[:-3])


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
