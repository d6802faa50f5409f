"""``Tensor``: a backend array plus the autograd metadata, with PyTorch's methods.

Every differentiable method is a one-line call of a ``Function`` from ``tinytorch.ops``;
this file only checks arguments and translates PyTorch's signatures.
"""

from __future__ import annotations

import builtins
import functools
import math
import weakref

import numpy as np

from . import _aliases, _printing, backend
from . import functions_indexing as FI
from . import random as _random
from ._convert import _operand, _raw, _unwrap_nested, as_array  # noqa: F401 (re-exported)
from ._indexing import translate_index
from .autograd import engine, grad_mode
from .autograd import function as _function_module
from .autograd import graph as _graph
from .autograd.function import Function, register_tensor_class
from .ops import elementwise, linalg, reduce
from .ops import inplace as Inplace
from .ops import shape as shape_ops  # not `shape`: methods take a `shape` argument
from .ops import special as special_ops


class Size(tuple):
    """``tensor.shape``: a tuple with ``numel()``, printed like PyTorch's."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    # tuple's own operators return plain tuples; PyTorch's Size keeps its type
    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"{backend.repr_module}.Size({list(self)})"


def _inplace_of(name: str):
    """The in-place method ``name_``: compute ``self.name(...)`` and write it into ``self``
    (PyTorch's rules: the result must cast to ``self``'s dtype; a leaf that requires grad
    refuses; a non-leaf takes the result's place in the graph)."""

    def method(self, *args, **kwargs):
        tracked = grad_mode.is_grad_enabled() and (self.requires_grad or builtins.any(
            isinstance(a, Tensor) and a.requires_grad for a in args))
        if not tracked:
            result = getattr(self, name)(*args, **kwargs)
            return self._inplace(result._data, lambda a, b: b)
        # autograd's in-place commit: the leaf refusal, the version bump, and a copy of any
        # value the new node saved that the write would overwrite
        self._check_inplace_in_graph()
        # computed from a clone: a composite op may save ``self`` itself for its backward
        return self._commit_inplace(getattr(self.clone(), name)(*args, **kwargs))

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: writes the result into this tensor."
    return method


def _written_into_self(method):
    """The in-place form ``name_`` of an indexing method ``name`` (scatter, index_add, put,
    ...), with the same arguments: the result of ``method`` is written into this tensor's
    storage, which takes over its history (``functions_indexing._write_inplace``)."""

    @functools.wraps(method)
    def inplace(self, *args, **kwargs):
        return FI._write_inplace(self, method(self, *args, **kwargs))

    inplace.__name__ = method.__name__ + "_"
    inplace.__qualname__ = method.__qualname__ + "_"
    inplace.__doc__ = f"In-place ``{method.__name__}``: writes the result into this tensor."
    return inplace


def _scaled_sum(base, beta, product, alpha):
    """``beta * base + alpha * product`` (PyTorch's addmm family; beta = 0 ignores base)."""
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:  # as PyTorch: nan and inf in base are ignored
        return scaled.expand(np.broadcast_shapes(tuple(base.shape), tuple(scaled.shape)))
    return (base if beta == 1 else base * beta) + scaled


_new_object = object.__new__
_ndarray = np.ndarray

_LEGACY_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor",
                      "float16": "HalfTensor", "bfloat16": "BFloat16Tensor",
                      "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                      "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
                      "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


class Tensor:
    """An n-dimensional array on a device, recording the ops that made it for ``backward``."""

    # _version_counter is None until first needed; _base, _view_fn, _views and the hook
    # tables are set only when needed (an op's output never pays for them): read those with
    # getattr(t, name, None)
    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_output_nr",
                 "_version_counter", "_base", "_view_fn", "_views", "_backward_hooks",
                 "_post_accumulate_hooks",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray op Tensor defers to Tensor's reflected operators

    def __init__(self, data=None, *, dtype=None, device=None, requires_grad=False):
        # like torch.Tensor(data): the default float dtype unless one is given
        # (tinytorch.tensor(data) infers the dtype from the data instead)
        if dtype is None:
            dtype = backend.get_default_dtype()
        arr = as_array(data if data is not None else [], dtype=dtype, device=device)
        self._data = arr
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array) -> "Tensor":
        """Wrap a backend array without copying or checking (the fast path of every op)."""
        t = _new_object(cls)
        # NumPy reductions return scalars: keep 0-d arrays (the class test first spares
        # an ndarray the isinstance call; measured: 0.35 -> 0.26 us per call)
        if array.__class__ is not _ndarray and isinstance(array, np.generic):
            array = np.asarray(array)
        t._data = array
        t.requires_grad = False
        t.grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version_counter = None
        return t

    # ------------------------------------------------------------------ metadata
    @property
    def data(self) -> "Tensor":
        """PyTorch's ``.data``: a Tensor sharing this one's storage, outside the graph.

        (The raw backend array is ``self._data``; ``t.numpy()`` gives it on the CPU.)
        """
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        # ``p.data = other`` swaps the storage, keeping ``p`` (its grad, its identity)
        arr = value._data if isinstance(value, Tensor) else as_array(value)
        if self.requires_grad and arr.dtype.kind != "f":
            raise RuntimeError(f"data set to a tensor of dtype {backend.dtype_of(arr)} "
                               f"on a tensor that requires grad")
        self._data = arr

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def dtype(self) -> backend.dtype:
        return backend.dtype_of(self._data)

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def _xp(self):
        return backend.get_array_module(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, "
                               f"got {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; "
                               "use .detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            return
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        node = self.grad_fn
        if node.retained is None:
            node.retained = []
        node.retained.append((self._output_nr, weakref.ref(self)))

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to a Python scalar")
        return self._data.reshape(()).item() if backend.get_array_module(self._data) is np \
            else backend.to_numpy(self._data).reshape(()).item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self.device.type != "cpu" and not force:
            raise TypeError("can't convert cuda tensor to numpy. Use Tensor.cpu() first.")
        return backend.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = backend.to_numpy(self._data)
        return arr if dtype is None else arr.astype(dtype)

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is "
                               f"ambiguous")
        return builtins.bool(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return builtins.int(self.item())

    def detach(self) -> "Tensor":
        out = Tensor._make(self._data)
        out._version_counter = _function_module.new_version_counter(self)  # as PyTorch's
        return out

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def clone(self) -> "Tensor":
        if self.requires_grad:
            return elementwise.Add.apply(self, 0)
        return Tensor._make(self._data.copy())

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False) -> "Tensor":
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (backend.dtype, np.dtype)) or a in (builtins.float, builtins.int,
                                                                   builtins.bool):
                dtype = a
            else:
                device = a
        out = self
        if dtype is not None:
            d = backend.to_dtype(dtype)
            if d.np != self._data.dtype:
                out = elementwise.Cast.apply(out, d.np)
        if device is not None:
            dev = backend.to_device(device)
            if dev != out.device:
                out = ToDevice.apply(out, dev)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def pin_memory(self, device=None) -> "Tensor":
        """The tensor itself: host arrays need no page-locking for NumPy, and a copy to the
        GPU (``.to('cuda', non_blocking=True)``) is synchronous in tinytorch anyway."""
        if self.device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self.device}' memory: only dense CPU tensors "
                               f"can be pinned")
        return self

    def is_pinned(self, device=None) -> bool:
        """False: tinytorch never page-locks host memory (see ``pin_memory``)."""
        return False

    def cuda(self, device=None) -> "Tensor":
        return self.to("cuda")

    def type_as(self, other) -> "Tensor":
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        return self.to(backend.float32)

    def double(self) -> "Tensor":
        return self.to(backend.float64)

    def long(self) -> "Tensor":
        return self.to(backend.int64)

    def int(self) -> "Tensor":
        return self.to(backend.int32)

    def bool(self) -> "Tensor":
        return self.to(backend.bool_)

    def half(self) -> "Tensor":
        return self.to(backend.float16)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        A scalar needs no ``gradient``; a non-scalar needs one of its own shape (the
        vector of the vector-Jacobian product). With ``create_graph=True`` the backward
        pass is itself recorded, so the ``.grad`` it leaves can be differentiated again
        (``retain_graph`` then defaults to True).
        """
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn (did you forget requires_grad=True, or call it "
                               "under no_grad?)")
        if retain_graph is None:
            retain_graph = create_graph
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; "
                                   f"this tensor has shape {tuple(self.shape)}: pass "
                                   f"backward(gradient=...) of that shape")
            g = self._xp.ones(self._data.shape, dtype=self._data.dtype)
        else:
            if tuple(gradient.shape) != tuple(self._data.shape):
                raise RuntimeError(f"backward: gradient has shape {tuple(gradient.shape)} but "
                                   f"the tensor has shape {tuple(self._data.shape)}")
            if isinstance(gradient, Tensor):
                g = gradient if create_graph and gradient.requires_grad else \
                    gradient._data.astype(self._data.dtype, copy=False)
            else:
                g = as_array(gradient, device=self.device).astype(self._data.dtype,
                                                                  copy=False)
        if inputs is None:
            engine.run_backward([self], [g], retain_graph=builtins.bool(retain_graph),
                                create_graph=create_graph)
            return None
        # only the given tensors accumulate, as in PyTorch's backward(inputs=...)
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = engine.run_backward([self], [g], retain_graph=builtins.bool(retain_graph),
                                    inputs=inputs, create_graph=create_graph)
        for t, grad in zip(inputs, grads):
            if grad is None:
                continue
            if isinstance(grad, Tensor):  # the walk on Tensors
                t.grad = grad if t.grad is None else t.grad + grad
            elif t.grad is None:
                t.grad = Tensor._make(grad.copy())
            else:
                t.grad._data += grad
        return None

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient of this tensor is computed; a Tensor
        it returns replaces the gradient. Returns a handle whose ``remove()`` undoes it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        node = self.grad_fn
        if node is None:
            hooks = getattr(self, "_backward_hooks", None)
            if hooks is None:
                hooks = self._backward_hooks = {}
        else:
            if node.hooks is None:
                node.hooks = {}
            hooks = node.hooks.setdefault(self._output_nr, {})
        return _graph.add_hook(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on a leaf after its ``.grad`` has been accumulated."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        hooks = getattr(self, "_post_accumulate_hooks", None)
        if hooks is None:
            hooks = self._post_accumulate_hooks = {}
        return _graph.add_hook(hooks, hook)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return elementwise.Add.apply(self, _operand(other, self))

    def __radd__(self, other):
        return elementwise.Add.apply(_operand(other, self), self)

    def __sub__(self, other):
        return elementwise.Sub.apply(self, _operand(other, self))

    def __rsub__(self, other):
        return elementwise.Sub.apply(_operand(other, self), self)

    def __mul__(self, other):
        return elementwise.Mul.apply(self, _operand(other, self))

    def __rmul__(self, other):
        return elementwise.Mul.apply(_operand(other, self), self)

    def __truediv__(self, other):
        return elementwise.Div.apply(self, _operand(other, self))

    def __rtruediv__(self, other):
        return elementwise.Div.apply(_operand(other, self), self)

    def __pow__(self, other):
        return elementwise.Pow.apply(self, _operand(other, self))

    def __rpow__(self, other):
        return elementwise.Pow.apply(_operand(other, self), self)

    def __matmul__(self, other):
        return linalg.MatMul.apply(self, _operand(other, self))

    def __rmatmul__(self, other):
        return linalg.MatMul.apply(_operand(other, self), self)

    def __neg__(self):
        return elementwise.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return elementwise.Abs.apply(self)

    def __floordiv__(self, other):
        other = _raw(other)
        return Tensor._make(elementwise.promote(self._data // other, self._data, other))

    def __mod__(self, other):
        other = _raw(other)
        return Tensor._make(elementwise.promote(self._data % other, self._data, other))

    # ------------------------------------------------------------------ in-place
    # Every in-place write bumps the version counter that a tensor shares with its views and
    # its detach()es, so backward can refuse values that changed after an op saved them.
    # A new in-place method ``foo_`` goes through ``_inplace(other, array_op, out_of_place)``
    # (``out_of_place()`` returns the new value as a Tensor, recorded in the graph when one
    # is needed); code that writes ``t._data`` itself calls ``t._bump_version()`` after.
    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has seen (PyTorch's ``_version``)."""
        return _function_module.new_version_counter(self)[0]

    def _bump_version(self) -> None:
        """Record one in-place write (shared with views); every ``_`` method calls it."""
        counter = self._version_counter
        if counter is None:
            self._version_counter = [1]
        else:
            counter[0] += 1

    def _inplace(self, other, op, out_of_place=None):
        """``self = op(self, other)`` in place. When grad is recorded and ``self`` or
        ``other`` requires it, the value comes from ``out_of_place()`` and ``self`` takes
        its ``grad_fn``, so gradients stay right; else ``op`` runs on the raw arrays."""
        if grad_mode._enabled and (self.requires_grad or (
                isinstance(other, Tensor) and other.requires_grad)):
            self._check_inplace_in_graph()
            return self._commit_inplace(out_of_place())
        other = _raw(other)
        result = op(self._data, other)
        if result.dtype != self._data.dtype:
            if result.dtype.kind == "f" and self._data.dtype.kind != "f":
                raise RuntimeError(f"result type {backend.dtype_of(result)} can't be cast to "
                                   f"the desired output type {self.dtype}")
            result = result.astype(self._data.dtype)
        self._data[...] = result
        self._bump_version()
        return self

    def _check_inplace_in_graph(self) -> None:
        """PyTorch's refusals: a leaf that requires grad, or a view of one; and tinytorch's
        own: a view of a tensor in the graph (PyTorch would rebase the base's grad_fn)."""
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        base = getattr(self, "_base", None)
        if base is not None:
            if base.requires_grad and base.grad_fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                   "used in an in-place operation.")
            raise RuntimeError(
                f"in-place operation on a view (shape {tuple(self.shape)}) of a tensor "
                f"recorded in the graph: tinytorch does not rebase a base's grad_fn as "
                f"PyTorch does. Compute the result out of place, or write through the "
                f"base with base[index] = value")

    def _commit_inplace(self, out: "Tensor") -> "Tensor":
        """Write ``out`` (computed out of place) into ``self``'s array; ``self`` becomes the
        output of ``out``'s node."""
        if out._data.dtype != self._data.dtype:
            if out._data.dtype.kind == "f" and self._data.dtype.kind != "f":
                raise RuntimeError(f"result type {out.dtype} can't be cast to the desired "
                                   f"output type {self.dtype}")
            out = out.to(self.dtype)
        node = out.grad_fn
        if node is not None:
            _function_module.keep_saved_copy(node, self._data)
        self._data[...] = out._data
        self._bump_version()
        if node is not None:
            self.grad_fn = node
            self._output_nr = out._output_nr
            self.requires_grad = True
            if getattr(self, "_views", None):
                _function_module.regenerate_views(self)
        return self

    def __iadd__(self, other):
        return self._inplace(other, lambda a, b: a + b, lambda: self + other)

    def __isub__(self, other):
        return self._inplace(other, lambda a, b: a - b, lambda: self - other)

    def __imul__(self, other):
        return self._inplace(other, lambda a, b: a * b, lambda: self * other)

    def __itruediv__(self, other):
        return self._inplace(other, lambda a, b: a / b, lambda: self / other)

    def add_(self, other, alpha=1):
        return self._inplace(other, lambda a, b: a + alpha * b,
                             lambda: self.add(other, alpha=alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(other, lambda a, b: a - alpha * b,
                             lambda: self.sub(other, alpha=alpha))

    def mul_(self, other):
        return self._inplace(other, lambda a, b: a * b, lambda: self * other)

    def div_(self, other):
        return self._inplace(other, lambda a, b: a / b, lambda: self / other)

    def zero_(self):
        # a fill, not a multiply: NaN and inf become 0 too
        return self._inplace(0, lambda a, b: self._xp.zeros_like(a),
                             lambda: Inplace.Fill.apply(self, 0.0))

    def fill_(self, value):
        return self._inplace(value, lambda a, b: self._xp.full_like(a, b),
                             lambda: Inplace.Fill.apply(self, value))

    def copy_(self, src):
        src_raw = _raw(src)
        if tuple(getattr(src_raw, "shape", ())) not in ((), ) and \
                np.broadcast_shapes(np.shape(src_raw), self._data.shape) != self._data.shape:
            raise RuntimeError(f"copy_: source shape {np.shape(src_raw)} does not broadcast to "
                               f"{tuple(self._data.shape)}")
        if isinstance(src, Tensor) and src.requires_grad and src.device != self.device:
            src = src.to(self.device)
        elif not isinstance(src, Tensor) or not src.requires_grad:
            src = backend.move(src_raw, self.device)
        return self._inplace(src, lambda a, b: b, lambda: Inplace.CopyFrom.apply(self, src))

    def clamp_(self, min=None, max=None):
        return self._inplace(0, lambda a, b: self._xp.clip(a, min, max),
                             lambda: self.clamp(min, max))

    def __setitem__(self, index, value):
        index = translate_index(index, self)
        if grad_mode._enabled and (self.requires_grad or (
                isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace_in_graph()
            self._commit_inplace(Inplace.IndexPut.apply(self, index, value))
            return
        self._data[index] = _raw(value)
        self._bump_version()

    # comparisons: not differentiable, bool results
    def _compare(self, other, op):
        return Tensor._make(op(self._data, _raw(other)))

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    __hash__ = object.__hash__

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def __invert__(self):
        return Tensor._make(~self._data)

    def __and__(self, other):
        return Tensor._make(self._data & _raw(other))

    def __or__(self, other):
        return Tensor._make(self._data | _raw(other))

    def __xor__(self, other):
        return Tensor._make(self._data ^ _raw(other))

    def logical_not(self):
        return Tensor._make(self._xp.logical_not(self._data))

    def equal(self, other) -> bool:
        return self.shape == other.shape and builtins.bool((self._data == other._data).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return builtins.bool(self._xp.allclose(self._data, _raw(other), rtol=rtol, atol=atol,
                                               equal_nan=equal_nan))

    def isnan(self):
        return Tensor._make(self._xp.isnan(self._data))

    def isinf(self):
        return Tensor._make(self._xp.isinf(self._data))

    def isfinite(self):
        return Tensor._make(self._xp.isfinite(self._data))

    def any(self, dim=None, keepdim=False):
        return Tensor._make(self._xp.asarray(self._data.any(axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        return Tensor._make(self._xp.asarray(self._data.all(axis=dim, keepdims=keepdim)))

    # ------------------------------------------------------------------ math
    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    def neg(self):
        return -self

    def abs(self):
        return elementwise.Abs.apply(self)

    def exp(self):
        return elementwise.Exp.apply(self)

    def log(self):
        return elementwise.Log.apply(self)

    def sqrt(self):
        return elementwise.Sqrt.apply(self)

    def sin(self):
        return elementwise.Sin.apply(self)

    def cos(self):
        return elementwise.Cos.apply(self)

    def tanh(self):
        return elementwise.Tanh.apply(self)

    def sigmoid(self):
        return elementwise.Sigmoid.apply(self)

    def relu(self):
        return elementwise.Relu.apply(self)

    def square(self):
        return elementwise.Pow.apply(self, 2)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        return elementwise.Clamp.apply(self, _operand(min, self) if min is not None else None,
                             _operand(max, self) if max is not None else None)

    clip = clamp

    def maximum(self, other):
        return elementwise.Maximum.apply(self, _operand(other, self))

    def minimum(self, other):
        return elementwise.Minimum.apply(self, _operand(other, self))

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        out = reduce.Sum.apply(self, dim, keepdim)
        return out.to(dtype) if dtype is not None else out

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self.to(dtype) if dtype is not None else self
        return reduce.Mean.apply(x, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduce.Var.apply(self, dim, _correction(unbiased, correction), keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduce.Std.apply(self, dim, _correction(unbiased, correction), keepdim)

    def max(self, dim=None, keepdim=False):
        """Without ``dim`` the largest element; with ``dim`` a ``(values, indices)`` pair."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, False)

    def _extreme(self, dim, keepdim, is_max):
        name = "max" if is_max else "min"
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError(f"{name}(): expected a non-empty tensor")
            return reduce.Amax.apply(self, None, False, is_max)
        if self.ndim == 0:  # along dim 0 of a 0-d tensor: the value itself, index 0
            _dim(dim, 0)
            values, indices = self.reshape(1)._extreme(0, False, is_max)
            return MinMaxResult(values, indices)
        dim = reduce.normalize_dims(dim, self.ndim)
        if self.shape[dim[0]] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim[0]} to have non-zero "
                             f"size.")
        values, indices = reduce.MaxMin.apply(self, dim[0] if dim else None, keepdim, is_max)
        return MinMaxResult(values, indices)

    def amax(self, dim=None, keepdim=False):
        return reduce.Amax.apply(self, dim, keepdim, True)

    def amin(self, dim=None, keepdim=False):
        return reduce.Amax.apply(self, dim, keepdim, False)

    def argmax(self, dim=None, keepdim=False):
        return self._arg(dim, keepdim, self._xp.argmax)

    def argmin(self, dim=None, keepdim=False):
        return self._arg(dim, keepdim, self._xp.argmin)

    def _arg(self, dim, keepdim, fn):
        if dim is None:
            out = fn(self._data.reshape(-1))
            out = out.reshape((1,) * self.ndim) if keepdim else out
        else:
            dim = reduce.normalize_dims(dim, self.ndim)[0]
            out = fn(self._data, axis=dim, keepdims=keepdim)
        return Tensor._make(self._xp.asarray(out, dtype=np.int64))

    def logsumexp(self, dim, keepdim=False):
        return reduce.LogSumExp.apply(self, dim, keepdim)

    def softmax(self, dim):
        return reduce.Softmax.apply(self, _dim(dim, self.ndim))

    def log_softmax(self, dim):
        return reduce.LogSoftmax.apply(self, _dim(dim, self.ndim))

    def prod(self, dim=None, keepdim=False):
        dim = None if dim is None or self.ndim == 0 else _dim(dim, self.ndim)
        return reduce.Prod.apply(self, dim, keepdim)

    # ------------------------------------------------------------------ shape
    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (backend.dtype, np.dtype)):
            raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
        shape = shape_ops.infer_shape(_shape_args(shape), self._data.size, "view")
        return shape_ops.Reshape.apply(self, shape, True)

    def reshape(self, *shape):
        shape = shape_ops.infer_shape(_shape_args(shape), self._data.size, "reshape")
        return shape_ops.Reshape.apply(self, shape, False)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s = _dim(start_dim, self.ndim)
        e = _dim(end_dim, self.ndim)
        shape = self.shape
        # the product, not -1: a -1 cannot be inferred when another dim is 0
        merged = builtins.int(np.prod(shape[s:e + 1], dtype=np.int64))
        return self.reshape(*shape[:s], merged, *shape[e + 1:])

    def unflatten(self, dim, sizes):
        dim = _dim(dim, self.ndim)
        # a -1 in sizes is inferred from this dim alone (the tensor may be empty elsewhere)
        sizes = shape_ops.infer_shape(tuple(sizes), self.shape[dim], "unflatten")
        return self.reshape(*self.shape[:dim], *sizes, *self.shape[dim + 1:])

    def permute(self, *dims):
        dims = tuple(_dim(d, self.ndim) for d in _shape_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the "
                               f"{self.ndim} dimensions of a tensor of shape {tuple(self.shape)}")
        return shape_ops.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        if self.ndim == 0:  # transpose(0, 0) of a 0-d tensor: itself
            return shape_ops.Permute.apply(self, ())
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return shape_ops.Permute.apply(self, tuple(dims))

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return self if self.ndim < 2 else self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices")
        return self.transpose(-2, -1)

    def unsqueeze(self, dim):
        d = _dim(dim, self.ndim + 1)
        return shape_ops.Reshape.apply(self, self.shape[:d] + (1,) + self.shape[d:], False)

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(s for s in self.shape if s != 1)
        else:
            dims = reduce.normalize_dims(dim, self.ndim)
            shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return shape_ops.Reshape.apply(self, shape, False)

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               f"greater or equal to the number of dimensions ({self.ndim})")
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        for i, n in enumerate(self.shape):
            if n != 1 and n != shape[lead + i]:
                raise RuntimeError(f"expand: the expanded size of the tensor ({shape[lead + i]})"
                                   f" must match the existing size ({n}) at non-singleton "
                                   f"dimension {lead + i}; shape {tuple(self.shape)} to {shape}")
        return shape_ops.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        sizes = _shape_args(sizes)
        x = self.reshape((1,) * (len(sizes) - self.ndim) + tuple(self.shape))
        for d, r in enumerate(sizes):
            if r != 1:
                x = cat_tensors([x] * r, d)
        return x

    def contiguous(self):
        return self if self._data.flags.c_contiguous else shape_ops.Contiguous.apply(self)

    def split(self, split_size_or_sections, dim=0):
        dim = _dim(dim, self.ndim)
        n = self.shape[dim]
        if isinstance(split_size_or_sections, builtins.int):
            step = split_size_or_sections
            if step <= 0:
                raise RuntimeError(f"split: split_size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != n:
                raise RuntimeError(f"split: split sizes {sizes} do not sum to the size {n} of "
                                   f"dimension {dim}")
            return _split_views(self, dim, sizes, shape_ops.SplitWithSizes)
        return _split_views(self, dim, sizes)

    def chunk(self, chunks, dim=0):
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim=0):
        dim = _dim(dim, self.ndim)
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def select(self, dim, index):
        dim = _dim(dim, self.ndim)
        return self[(slice(None),) * dim + (index,)]

    def narrow(self, dim, start, length):
        dim = _dim(dim, self.ndim)
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def __getitem__(self, index):
        return shape_ops.Index.apply(self, translate_index(index, self))

    def masked_fill(self, mask, value):
        mask = mask._data if isinstance(mask, Tensor) else backend.move(np.asarray(mask),
                                                                        self.device)
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with "
                               f"dtype {backend.dtype_of(mask)}")
        try:
            np.broadcast_shapes(mask.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} does not "
                               f"broadcast to the tensor's shape {tuple(self.shape)}") from None
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError("masked_fill only supports a 0-dimensional value tensor")
            value = value._data
        return shape_ops.MaskedFill.apply(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._inplace(value, lambda a, b: self.masked_fill(mask, value)._data,
                             lambda: self.masked_fill(mask, value))

    def tril(self, diagonal=0):
        return shape_ops.Triangle.apply(self, diagonal, False)

    def triu(self, diagonal=0):
        return shape_ops.Triangle.apply(self, diagonal, True)

    # --- math, creation, conversions (issue 11b) ------------------------------------
    def __format__(self, spec: str) -> str:
        return _printing.tensor_format(self, spec)

    # elementwise math: one Function each (ops/elementwise.py, ops/special.py)
    def expm1(self):
        return elementwise.Expm1.apply(self)

    def log1p(self):
        return elementwise.Log1p.apply(self)

    def log2(self):
        return elementwise.Log2.apply(self)

    def log10(self):
        return elementwise.Log10.apply(self)

    def exp2(self):
        return elementwise.Exp2.apply(self)

    def rsqrt(self):
        return elementwise.Rsqrt.apply(self)

    def reciprocal(self):
        return elementwise.Reciprocal.apply(self)

    def tan(self):
        return elementwise.Tan.apply(self)

    def sinh(self):
        return elementwise.Sinh.apply(self)

    def cosh(self):
        return elementwise.Cosh.apply(self)

    def asin(self):
        return elementwise.Asin.apply(self)

    def acos(self):
        return elementwise.Acos.apply(self)

    def atan(self):
        return elementwise.Atan.apply(self)

    def asinh(self):
        return elementwise.Asinh.apply(self)

    def acosh(self):
        return elementwise.Acosh.apply(self)

    def atanh(self):
        return elementwise.Atanh.apply(self)

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def sinc(self):
        return elementwise.Sinc.apply(self)

    def frac(self):
        return elementwise.Frac.apply(self)

    def floor(self):
        return elementwise.Floor.apply(self)

    def ceil(self):
        return elementwise.Ceil.apply(self)

    def trunc(self):
        return elementwise.Trunc.apply(self)

    fix = trunc

    def round(self, decimals: builtins.int = 0):
        return elementwise.Round.apply(self, decimals)

    def sign(self):
        if self._data.dtype == np.bool_:
            return self.clone()
        return elementwise.Sign.apply(self)

    sgn = sign

    def signbit(self):
        return Tensor._make(self._xp.signbit(self._data))

    def erf(self):
        return special_ops.Erf.apply(self)

    def erfc(self):
        return special_ops.Erfc.apply(self)

    def erfinv(self):
        return special_ops.Erfinv.apply(self)

    def lgamma(self):
        return special_ops.Lgamma.apply(self)

    def digamma(self):
        return special_ops.Digamma.apply(self)

    def logit(self, eps=None):
        x = self.clamp(eps, 1 - eps) if eps is not None else self
        return (x / (1 - x)).log()

    def deg2rad(self):
        return self * (math.pi / 180)

    def rad2deg(self):
        return self * (180 / math.pi)

    def negative(self):
        return -self

    def positive(self):
        if self._data.dtype == np.bool_:
            raise TypeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def absolute(self):
        return elementwise.Abs.apply(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return elementwise.NanToNum.apply(self, nan, posinf, neginf)

    # binary math
    def atan2(self, other):
        return elementwise.Atan2.apply(self, _operand(other, self))

    arctan2 = atan2

    def hypot(self, other):
        return elementwise.Hypot.apply(self, _operand(other, self))

    def copysign(self, other):
        return elementwise.Copysign.apply(self, _operand(other, self))

    def xlogy(self, other):
        return elementwise.Xlogy.apply(self, _operand(other, self))

    def fmod(self, other):
        return elementwise.Fmod.apply(self, _operand(other, self))

    def remainder(self, other):
        return elementwise.Remainder.apply(self, _operand(other, self))

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        return elementwise.FloorDivide.apply(self, _operand(other, self), rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other):
        return elementwise.FloorDivide.apply(self, _operand(other, self), "floor")

    def multiply(self, other):
        return self * other

    def subtract(self, other, alpha=1):
        return self.sub(other, alpha)

    def float_power(self, exponent):
        base = self.to(backend.float64)
        if isinstance(exponent, Tensor):
            exponent = exponent.to(backend.float64)
        return elementwise.Pow.apply(base, _operand(exponent, base))

    def logaddexp(self, other):
        return elementwise.Logaddexp.apply(self, _operand(other, self))

    def heaviside(self, values):
        if not isinstance(values, Tensor):
            raise TypeError("heaviside(): argument 'values' must be Tensor")
        return elementwise.Heaviside.apply(self, values)

    def fmax(self, other):
        return elementwise.Fmax.apply(self, _operand(other, self))

    def fmin(self, other):
        return elementwise.Fmin.apply(self, _operand(other, self))

    def lerp(self, end, weight):
        return elementwise.Lerp.apply(self, end, _operand(weight, self))

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1):
        if tensor1.dtype.np.kind in "biu" and tensor2.dtype.np.kind in "biu":
            raise RuntimeError("Integer division with addcdiv is no longer supported; use "
                               "torch.floor_divide or a float tensor")
        return self + value * tensor1 / tensor2

    def clamp_min(self, min):  # noqa: A002  (PyTorch's argument name)
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        return self.clamp(max=max)

    # logical and bitwise: not differentiable
    def _logical(self, other, fn):
        return Tensor._make(fn(self._data, _raw(other)))

    def logical_and(self, other):
        return self._logical(other, self._xp.logical_and)

    def logical_or(self, other):
        return self._logical(other, self._xp.logical_or)

    def logical_xor(self, other):
        return self._logical(other, self._xp.logical_xor)

    def _bitwise(self, other, fn, name):
        if self._data.dtype.kind == "f" or getattr(_raw(other), "dtype", np.dtype(
                np.int64)).kind == "f" or isinstance(other, builtins.float):
            raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
        other = _raw(other)
        return Tensor._make(elementwise.promote(fn(self._data, other), self._data, other))

    def bitwise_and(self, other):
        return self._bitwise(other, self._xp.bitwise_and, "bitwise_and")

    def bitwise_or(self, other):
        return self._bitwise(other, self._xp.bitwise_or, "bitwise_or")

    def bitwise_xor(self, other):
        return self._bitwise(other, self._xp.bitwise_xor, "bitwise_xor")

    def bitwise_not(self):
        return self._bitwise(0, lambda a, _: self._xp.invert(a), "bitwise_not")

    def bitwise_left_shift(self, other):
        return self._bitwise(other, self._xp.left_shift, "lshift")

    def bitwise_right_shift(self, other):
        return self._bitwise(other, self._xp.right_shift, "rshift")

    __lshift__ = bitwise_left_shift
    __rshift__ = bitwise_right_shift

    def isposinf(self):
        return Tensor._make(self._xp.isposinf(self._data))

    def isneginf(self):
        return Tensor._make(self._xp.isneginf(self._data))

    def isreal(self):
        return Tensor._make(self._xp.isreal(self._data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return Tensor._make(self._xp.isclose(self._data, _raw(other), rtol=rtol, atol=atol,
                                             equal_nan=equal_nan))

    # reductions and scans
    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` over ``dim`` (all elements when None)."""
        if self._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension")
        return MinMax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def var_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return (self.var(dim, unbiased, keepdim, correction=correction),
                self.mean(dim, keepdim))

    def std_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return (self.std(dim, unbiased, keepdim, correction=correction),
                self.mean(dim, keepdim))

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        x = self if self._data.dtype.kind != "f" else \
            elementwise.Where.apply(Tensor._make(self._xp.isnan(self._data)), 0.0, self)
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        x = self.to(dtype) if dtype is not None else self
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"nanmean(): expected input to have floating point dtype but "
                               f"got {x.dtype}")
        count = Tensor._make(~self._xp.isnan(x._data)).sum(dim, keepdim)
        return x.nansum(dim, keepdim) / count

    def cumsum(self, dim, *, dtype=None):
        x = self.to(dtype) if dtype is not None else self
        return reduce.Cumsum.apply(x, _dim(dim, x.ndim))

    def cumprod(self, dim, *, dtype=None):
        x = self.to(dtype) if dtype is not None else self
        return reduce.Cumprod.apply(x, _dim(dim, x.ndim))

    def cummax(self, dim):
        return MinMaxResult(*reduce.CumExtreme.apply(self, _dim(dim, self.ndim), True))

    def cummin(self, dim):
        return MinMaxResult(*reduce.CumExtreme.apply(self, _dim(dim, self.ndim), False))

    def logcumsumexp(self, dim):
        """log(cumsum(exp(x))) along ``dim``, shifted by the max for stability."""
        d = _dim(dim, self.ndim)
        if self.ndim == 0:
            return self.clone()
        shift = Tensor._make(self._xp.nan_to_num(self._data.max(axis=d, keepdims=True),
                                                 neginf=0.0, posinf=0.0))
        return (self - shift).exp().cumsum(d).log() + shift

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """``x[1:] - x[:-1]`` along ``dim``, ``n`` times (after joining prepend/append)."""
        d = _dim(dim, self.ndim)
        parts = [p for p in (prepend, self, append) if p is not None]
        x = cat_tensors(parts, d) if len(parts) > 1 else self
        for _ in range(n):
            size = x.shape[d]
            later = x.narrow(d, 1, max(size - 1, 0))
            earlier = x.narrow(d, 0, max(size - 1, 0))
            x = later.logical_xor(earlier) if x.dtype is backend.bool_ else later - earlier
        return x

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default); 'fro' is the 2-norm and
        'nuc' the nuclear norm of a matrix."""
        from . import linalg as linalg_api

        x = self.to(dtype) if dtype is not None else self
        if p == "nuc":
            return linalg_api.matrix_norm(x, "nuc", dim if dim is not None else (-2, -1), keepdim)
        return linalg_api.vector_norm(x, 2 if p == "fro" else p, dim, keepdim)

    def dist(self, other, p=2):
        from . import linalg as linalg_api

        return linalg_api.vector_norm(self - other, p)

    def renorm(self, p, dim, maxnorm):
        """Each slice along ``dim`` rescaled to p-norm at most ``maxnorm``."""
        from . import linalg as linalg_api

        d = _dim(dim, self.ndim)
        others = tuple(i for i in range(self.ndim) if i != d)
        norms = linalg_api.vector_norm(self, p, others, keepdim=True).detach()
        scale = Tensor._make(self._xp.where(norms._data > maxnorm,
                                            maxnorm / (norms._data + 1e-7), 1.0)
                             .astype(self._data.dtype))
        return self * scale

    # matrix products
    def _check_dims(self, name, want, *others):
        for arg, t in (("self", self),) + tuple(others):
            if t.ndim != want[arg]:
                raise RuntimeError(f"{name}: {arg} must be a {want[arg]}-D tensor, got "
                                   f"{t.ndim}-D of shape {tuple(t.shape)}")

    def mm(self, mat2):
        self._check_dims("mm", {"self": 2, "mat2": 2}, ("mat2", mat2))
        return self @ mat2

    def bmm(self, mat2):
        self._check_dims("bmm", {"self": 3, "mat2": 3}, ("mat2", mat2))
        if self.shape[0] != mat2.shape[0]:
            raise RuntimeError(f"bmm: batch sizes differ: {self.shape[0]} and {mat2.shape[0]}")
        return self @ mat2

    def mv(self, vec):
        self._check_dims("mv", {"self": 2, "vec": 1}, ("vec", vec))
        return self @ vec

    def dot(self, other):
        self._check_dims("dot", {"self": 1, "other": 1}, ("other", other))
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.shape[0]}] "
                               f"and src [{other.shape[0]}] to have the same number of "
                               f"elements, but got {self.shape[0]} and {other.shape[0]} "
                               f"elements respectively")
        return self @ other

    vdot = dot  # real tensors: no conjugation

    def inner(self, other):
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        return self.tensordot(other, ([-1], [-1]))

    def outer(self, vec2):
        self._check_dims("outer", {"self": 1, "vec2": 1}, ("vec2", vec2))
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _scaled_sum(self, beta, mat1.mm(mat2), alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _scaled_sum(self, beta, batch1.bmm(batch2).sum(0), alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _scaled_sum(self, beta, batch1.bmm(batch2), alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _scaled_sum(self, beta, mat.mv(vec), alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _scaled_sum(self, beta, vec1.outer(vec2), alpha)

    def matrix_power(self, n):
        from . import linalg as linalg_api

        return linalg_api.matrix_power(self, n)

    def cross(self, other, dim=None):
        from . import linalg as linalg_api

        if dim is None:  # PyTorch: the first dimension of size 3
            dim = next((i for i, s in enumerate(np.broadcast_shapes(self.shape, other.shape))
                        if s == 3), -1)
        return linalg_api.cross(self, other, dim=dim)

    def kron(self, other):
        """The Kronecker product: every element of ``self`` times all of ``other``."""
        nd = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (nd - self.ndim) + tuple(self.shape))
        b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
        a = a.reshape(tuple(x for s in a.shape for x in (s, 1)))
        b = b.reshape(tuple(x for s in b.shape for x in (1, s)))
        return (a * b).reshape(tuple(p * q for p, q in zip(a.shape[::2], b.shape[1::2])))

    def tensordot(self, other, dims=2):
        """Contract ``dims`` (a count, or two lists of dims) of ``self`` with ``other``."""
        if isinstance(dims, builtins.int):
            if dims < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
            da, db = list(range(self.ndim - dims, self.ndim)), list(range(dims))
        else:
            da, db = ([d] if isinstance(d, builtins.int) else list(d) for d in dims)
        da = [_dim(d, self.ndim) for d in da]
        db = [_dim(d, other.ndim) for d in db]
        for x, y in zip(da, db):
            if self.shape[x] != other.shape[y]:
                raise RuntimeError(f"contracted dimensions need to match, but first has size "
                                   f"{self.shape[x]} in dim {x} and second has size "
                                   f"{other.shape[y]} in dim {y}")
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        sa = list(letters[:self.ndim])
        sb = list(letters[self.ndim:self.ndim + other.ndim])
        for x, y in zip(da, db):
            sb[y] = sa[x]
        out = [c for i, c in enumerate(sa) if i not in da] + \
            [c for i, c in enumerate(sb) if i not in db]
        return linalg.Einsum.apply(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", self, other)

    def det(self):
        return linalg.Det.apply(self)

    def inverse(self):
        return linalg.Inv.apply(self)

    # creation from an existing tensor: its dtype and device unless given
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        arr = as_array(data, dtype=dtype or self.dtype, device=device or self.device)
        t = Tensor._make(arr.copy() if arr is _raw(data) else arr)
        return t.requires_grad_(True) if requires_grad else t

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        d = backend.to_dtype(dtype or self.dtype)
        arr = backend.move(np.full(_shape_args((size,)), fill_value, d.np),
                           device or self.device)
        t = Tensor._make(arr)
        return t.requires_grad_(True) if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_args(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_args(size), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    new_empty = new_zeros

    # in-place random fills (from ``generator``, else the global generator)
    def _fill_random(self, values):
        if grad_mode.is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation (wrap it in tinytorch.no_grad())")
        self._data[...] = backend.move(np.asarray(values).astype(self._data.dtype,
                                                                 copy=False), self.device)
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        if a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={a} > to={b}")
        return self._fill_random(_random.uniform(generator, self.numel(), self._data.dtype, a,
                                                 b).reshape(self.shape))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return self._fill_random(_random.normal(generator, self.numel(), self._data.dtype, mean,
                                                std).reshape(self.shape))

    def bernoulli_(self, p=0.5, *, generator=None):
        probs = backend.to_numpy(p._data) if isinstance(p, Tensor) else p
        if np.any((np.asarray(probs) < 0) | (np.asarray(probs) > 1)):
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        if isinstance(probs, np.ndarray):
            probs = np.ascontiguousarray(np.broadcast_to(probs, self.shape)).ravel()
            draws = _random.bernoulli_tensor(generator, probs)
        else:
            draws = _random.bernoulli_scalar(generator, self.numel(), probs)
        return self._fill_random(draws.reshape(self.shape))

    def bernoulli(self, p=None, *, generator=None):
        probs = self if p is None else p
        out = Tensor._make(self._xp.zeros_like(self._data))
        return out.bernoulli_(probs, generator=generator)

    def random_(self, from_=0, to=None, *, generator=None):
        """Integers uniform in [from, to): ``random_(to)``, ``random_(from, to)``; with no
        bound, [0, 2^mantissa] for floats and [0, max] for integers."""
        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            return self._fill_random(_random.random_bits(generator, self.numel(),
                                                         self._data.dtype).reshape(self.shape))
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        draws = _random.randint(generator, self.numel(), from_, to).reshape(self.shape)
        return self._fill_random(draws)

    def exponential_(self, lambd=1.0, *, generator=None):
        if lambd <= 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        return self._fill_random(_random.exponential(generator, self.numel(),
                                                     lambd).reshape(self.shape))

    def geometric_(self, p, *, generator=None):
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        return self._fill_random(_random.geometric(generator, self.numel(), p).reshape(self.shape))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        draws = _random.cauchy(generator, self.numel(), median, sigma)
        return self._fill_random(draws.reshape(self.shape))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        if std <= 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        return self._fill_random(_random.log_normal(generator, self.numel(), mean,
                                                    std).reshape(self.shape))

    # attributes
    def nelement(self) -> builtins.int:
        return builtins.int(self._data.size)

    def ndimension(self) -> builtins.int:
        return self._data.ndim

    def stride(self, dim=None):
        """Steps in elements (not bytes) between neighbours along each dimension."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[_dim(dim, self.ndim)]

    def data_ptr(self) -> builtins.int:
        if self._xp is np:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def storage_offset(self) -> builtins.int:
        """Elements between the start of the underlying buffer and this view's first one."""
        base = self._data
        while getattr(base, "base", None) is not None and backend.is_array(base.base):
            base = base.base
        if self._xp is not np:
            return (self._data.data.ptr - base.data.ptr) // self._data.itemsize
        start = base.__array_interface__["data"][0]
        return (self.data_ptr() - start) // self._data.itemsize

    @property
    def nbytes(self) -> builtins.int:
        return builtins.int(self._data.nbytes)

    @property
    def itemsize(self) -> builtins.int:
        return self._data.itemsize

    def is_complex(self) -> builtins.bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> builtins.bool:
        return self._data.dtype.kind in "fci"

    def is_nonzero(self) -> builtins.bool:
        return builtins.bool(self)

    @property
    def H(self):
        if self.ndim > 2:
            raise RuntimeError("tensor.H is only supported on matrices (2-D tensors)")
        return self.T.conj()

    @property
    def mH(self):
        return self.mT.conj()

    def conj(self):
        return self if self._data.dtype.kind != "c" else Tensor._make(self._data.conj())

    @property
    def real(self):
        return self if self._data.dtype.kind != "c" else Tensor._make(self._data.real)

    # conversions
    def short(self):
        return self.to(backend.int16)

    def char(self):
        return self.to(backend.int8)

    def byte(self):
        return self.to(backend.uint8)

    def bfloat16(self):
        return self.to(backend.bfloat16)

    def cfloat(self):
        return self.to(backend.complex64)

    def cdouble(self):
        return self.to(backend.complex128)

    def type(self, dtype=None, non_blocking=False):
        """With no argument the type's name (``'tinytorch.FloatTensor'``); with a dtype, a
        type name or a legacy type (``LongTensor``) the converted tensor."""
        if dtype is None:
            return f"{backend.repr_module}.{_LEGACY_TYPE_NAMES[self.dtype.name]}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.rsplit(".", 1)[-1]
            names = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            if name not in names:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = names[name]
        elif isinstance(dtype, type) and hasattr(dtype, "dtype"):
            dtype = dtype.dtype
        return self.to(dtype=dtype)

    def __complex__(self):
        return builtins.complex(self.item())

    def __contains__(self, element) -> builtins.bool:
        if not isinstance(element, (Tensor, builtins.int, builtins.float, builtins.bool)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element).__name__}.")
        return builtins.bool((self._data == _raw(element)).any())

    def apply_(self, callable):
        """Replace each element by ``callable(element)`` (CPU only, slow, as PyTorch)."""
        if self.device.type != "cpu":
            raise TypeError("apply_ is only implemented on CPU tensors")
        flat = self._data.reshape(-1)
        flat[...] = [callable(v) for v in flat.tolist()]
        if not np.shares_memory(flat, self._data):
            self._data[...] = flat.reshape(self._data.shape)
        return self

    def map_(self, tensor, callable):
        """Replace each element by ``callable(element, other's element)`` (``tensor``
        broadcast to this one's shape), CPU only."""
        if self.device.type != "cpu":
            raise TypeError("map_ is only implemented on CPU tensors")
        other = np.broadcast_to(_raw(tensor), self._data.shape).reshape(-1).tolist()
        values = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other)]
        self._data[...] = np.asarray(values).reshape(self._data.shape)
        return self

    def __dlpack__(self, stream=None):
        return self._data.__dlpack__() if stream is None else self._data.__dlpack__(
            stream=stream)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # the in-place forms of the math above (expm1_, asin_ and arcsin_, ...) are set from the
    # table _INPLACE_OPS after the class

    # --- end of issue 11b section ---------------------------------------------------

    # --- selection, indexing and scatter, shape (issue 11a)
    # thin calls of tinytorch.functions_indexing (FI), which checks the arguments and
    # applies the Functions of ops/scatter.py and ops/shape.py; the `_` forms write the
    # result into this tensor's storage and take over its history
    def sort(self, dim=-1, descending=False, *, stable=False):
        return FI.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return FI.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return FI.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return FI.kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        return FI.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return FI.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return FI.mode(self, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return FI.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return FI.unique_consecutive(self, return_inverse, return_counts, dim)

    def nonzero(self, *, as_tuple=False):
        return FI.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return FI.argwhere(self)

    def masked_select(self, mask):
        return FI.masked_select(self, mask)

    def count_nonzero(self, dim=None):
        return FI.count_nonzero(self, dim)

    def bincount(self, weights=None, minlength=0):
        return FI.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        return FI.histc(self, bins, min, max)

    def gather(self, dim, index, *, sparse_grad=False):
        return FI.gather(self, dim, index)

    def scatter(self, dim, index, src=None, reduce=None, *, value=None):
        return FI.scatter(self, dim, index, src, reduce, value=value)

    scatter_ = _written_into_self(scatter)

    def scatter_add(self, dim, index, src):
        return FI.scatter_add(self, dim, index, src)

    scatter_add_ = _written_into_self(scatter_add)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return FI.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    scatter_reduce_ = _written_into_self(scatter_reduce)

    def index_select(self, dim, index):
        return FI.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return FI.index_add(self, dim, index, source, alpha=alpha)

    index_add_ = _written_into_self(index_add)

    def index_copy(self, dim, index, source):
        return FI.index_copy(self, dim, index, source)

    index_copy_ = _written_into_self(index_copy)

    def index_fill(self, dim, index, value):
        return FI.index_fill(self, dim, index, value)

    index_fill_ = _written_into_self(index_fill)

    def index_put(self, indices, values, accumulate=False):
        return FI.index_put(self, indices, values, accumulate)

    index_put_ = _written_into_self(index_put)

    def take(self, index):
        return FI.take(self, index)

    def take_along_dim(self, indices, dim=None):
        return FI.take_along_dim(self, indices, dim)

    def masked_scatter(self, mask, source):
        return FI.masked_scatter(self, mask, source)

    masked_scatter_ = _written_into_self(masked_scatter)

    def put(self, index, source, accumulate=False):
        return FI.put(self, index, source, accumulate)

    put_ = _written_into_self(put)

    def select_scatter(self, src, dim, index):
        return FI.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return FI.slice_scatter(self, src, dim, start, end, step)

    def flip(self, *dims):
        return FI.flip(self, _shape_args(dims) if dims else ())

    def fliplr(self):
        return FI.fliplr(self)

    def flipud(self):
        return FI.flipud(self)

    def roll(self, shifts, dims=None):
        return FI.roll(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)):
        return FI.rot90(self, k, dims)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return FI.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tile(self, *dims):
        return FI.tile(self, _shape_args(dims))

    def broadcast_to(self, size):
        return FI.broadcast_to(self, size)

    def movedim(self, source, destination):
        return FI.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        return FI.swapaxes(self, axis0, axis1)

    swapdims = swapaxes

    def diag(self, diagonal=0):
        return FI.diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return FI.diag_embed(self, offset, dim1, dim2)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return FI.diagonal(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return FI.diagflat(self, offset)

    def trace(self):
        return FI.trace(self)

    def tensor_split(self, indices_or_sections, dim=0):
        return FI.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return FI.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return FI.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return FI.dsplit(self, indices_or_sections)

    def unfold(self, dimension, size, step):
        return FI.unfold(self, dimension, size, step)

    def narrow_copy(self, dim, start, length):
        return FI.narrow_copy(self, dim, start, length)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return _printing.tensor_repr(self)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __reduce_ex__(self, protocol):
        # pickling (save() of whole modules, multiprocessing): the values, detached, with
        # requires_grad; the graph is not saved, as in PyTorch
        from .serialization import rebuild_tensor

        values = np.ascontiguousarray(backend.to_numpy(self._data))
        return (rebuild_tensor, (type(self), values.tobytes(), values.dtype.str, values.shape,
                                 str(self.device), self.requires_grad))

    def __deepcopy__(self, memo):
        # copy.deepcopy(module) copies leaf tensors as PyTorch does; pickling stays off
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol")
        new = object.__new__(type(self))
        memo[id(self)] = new
        new._data = self._data.copy()
        new.requires_grad = self.requires_grad
        new.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        new.grad_fn = None
        new._output_nr = 0
        new._version_counter = None
        return new


# The in-place forms of the math methods: ``name_`` computes ``self.name(...)`` and writes
# the result into this tensor (``_inplace_of``); the aliases name another op's form.
_INPLACE_OPS = (
    "expm1", "log1p", "log2", "log10", "exp2", "rsqrt", "reciprocal", "tan", "sinh", "cosh",
    "asin", "acos", "atan", "asinh", "acosh", "atanh", "sinc", "frac", "floor", "ceil",
    "trunc", "round", "sign", "erf", "erfc", "erfinv", "lgamma", "digamma", "logit",
    "deg2rad", "rad2deg", "neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid",
    "relu", "square", "pow", "nan_to_num", "atan2", "hypot", "copysign", "xlogy", "fmod",
    "remainder", "floor_divide", "multiply", "subtract", "float_power", "heaviside", "lerp",
    "addcmul", "addcdiv", "clamp_min", "clamp_max", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift", "cumsum", "cumprod", "renorm", "addmm",
    "addbmm", "baddbmm", "addmv", "addr", "eq", "ne", "lt", "le", "gt", "ge",
)
_INPLACE_ALIASES = {  # method name: the op it computes
    "arcsin_": "asin", "arccos_": "acos", "arctan_": "atan", "arcsinh_": "asinh",
    "arccosh_": "acosh", "arctanh_": "atanh", "fix_": "trunc", "sgn_": "sign",
    "negative_": "neg", "absolute_": "abs", "arctan2_": "atan2", "true_divide_": "div",
    "divide_": "div", "clip_": "clamp", "__ilshift__": "bitwise_left_shift",
    "__irshift__": "bitwise_right_shift",
}
for _op in _INPLACE_OPS:
    setattr(Tensor, _op + "_", _inplace_of(_op))
for _name, _op in _INPLACE_ALIASES.items():
    setattr(Tensor, _name, _inplace_of(_op))
del _op, _name


# Function.apply and the engine wrap their result arrays in this class
register_tensor_class(Tensor)


class MinMax(tuple):
    """``(min, max)`` of ``aminmax``, also as attributes."""

    def __new__(cls, min, max):  # noqa: A002
        return super().__new__(cls, (min, max))

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]


class MinMaxResult(tuple):
    """``(values, indices)`` of ``max(dim)``/``min(dim)``, also as attributes."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


class ToDevice(Function):
    """out = a copied to another device;  da = g copied back"""

    @staticmethod
    def forward(ctx, a, dev):
        ctx.src = backend.device_of(a)
        return backend.move(a, dev)

    @staticmethod
    def backward(ctx, g):
        return backend.move(g, ctx.src), None


# ---------------------------------------------------------------------- helpers


def _dim(d, ndim):
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return d % n


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        return tuple(shape[0])
    return tuple(map(builtins.int, shape))  # map, not a generator: 0.61 -> 0.39 us for two sizes


def _split_views(t, dim, sizes, op=shape_ops.Split):
    """The parts of ``t`` along ``dim`` of the given ``sizes``: views made by one ``Split``
    node, each sharing ``t``'s version counter."""
    parts = op.apply(t, dim, tuple(sizes))
    lead, start = (slice(None),) * dim, 0
    for i, (part, size) in enumerate(zip(parts, sizes)):
        _function_module._share_version_counter(
            op, (t, i, lead + (slice(start, start + size),)), part)
        start += size
    return parts


def cat_tensors(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    d = _dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape))
                                     if j != d):
            raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {d}: "
                               f"tensor 0 has shape {tuple(ref.shape)}, tensor {i} has shape "
                               f"{tuple(t.shape)}")
    return shape_ops.Cat.apply(d, *tensors)


def _reshaped_inplace_of(name: str):
    """The in-place shape method ``name_`` (``unsqueeze_``, ``t_``...): ``self`` becomes
    ``self.name(...)``, the same memory seen under a new shape; no element moves. As in
    PyTorch, a leaf that requires grad refuses; a non-leaf takes the view's place in the
    graph."""

    def method(self, *args, **kwargs):
        out = getattr(self, name)(*args, **kwargs)
        if grad_mode.is_grad_enabled() and self.requires_grad:
            self._check_inplace_in_graph()
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        self._data = out._data
        self._bump_version()
        return self

    method.__name__ = name + "_"
    method.__qualname__ = "Tensor." + method.__name__
    method.__doc__ = (f"In-place ``{name}``: this tensor takes the new shape "
                      f"(``self.{name}(...)``), keeping its memory.")
    return method


for _name in ("unsqueeze", "squeeze", "t", "transpose", "swapdims", "swapaxes"):
    setattr(Tensor, _name + "_", _reshaped_inplace_of(_name))
del _name

# x.sum(1, keepdims=True), x.max(axis=0): NumPy's names, as PyTorch's parser accepts them
_aliases.add_numpy_aliases(Tensor)
