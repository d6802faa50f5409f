"""``Tensor``: a backend array plus the autograd metadata, with PyTorch's methods.

Every differentiable method is a one-line call of a ``Function`` from ``tinytorch.ops``;
this file only checks arguments and translates PyTorch's signatures.
"""

from __future__ import annotations

import builtins
import weakref

import numpy as np

from . import backend
from . import functions_indexing as FI
from ._convert import _operand, _raw, _unwrap_nested, as_array  # noqa: F401 (re-exported)
from ._indexing import translate_index
from .autograd import engine, grad_mode
from .autograd import function as _function_module
from .autograd import graph as _graph
from .autograd.function import Function, register_tensor_class
from .ops import elementwise, linalg, reduce
from .ops import inplace as Inplace
from .ops import shape as shape_ops  # not `shape`: methods take a `shape` argument


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
        return f"tinytorch.Size({list(self)})"


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
        t = object.__new__(cls)
        if isinstance(array, np.generic):  # NumPy reductions return scalars: keep 0-d arrays
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

    def sign(self):
        return Tensor._make(self._xp.sign(self._data))

    # ------------------------------------------------------------------ math
    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

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

    def rsqrt(self):
        return elementwise.Pow.apply(self, -0.5)

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

    def cumsum(self, dim):
        return reduce.Cumsum.apply(self, _dim(dim, self.ndim))

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
        out, start = [], 0
        for s in sizes:
            idx = (slice(None),) * dim + (slice(start, start + s),)
            out.append(shape_ops.Index.apply(self, idx))
            start += s
        return tuple(out)

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

    def type(self, dtype=None):
        if dtype is None:
            return f"tinytorch.{self.dtype.name.capitalize()}Tensor"
        return self.to(dtype)

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

    def scatter_(self, dim, index, src=None, reduce=None, *, value=None):
        return FI._write_inplace(self, FI.scatter(self, dim, index, src, reduce, value=value))

    def scatter_add(self, dim, index, src):
        return FI.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return FI._write_inplace(self, FI.scatter_add(self, dim, index, src))

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return FI.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return FI._write_inplace(self, FI.scatter_reduce(self, dim, index, src, reduce,
                                                         include_self=include_self))

    def index_select(self, dim, index):
        return FI.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return FI.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return FI._write_inplace(self, FI.index_add(self, dim, index, source, alpha=alpha))

    def index_copy(self, dim, index, source):
        return FI.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return FI._write_inplace(self, FI.index_copy(self, dim, index, source))

    def index_fill(self, dim, index, value):
        return FI.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return FI._write_inplace(self, FI.index_fill(self, dim, index, value))

    def index_put(self, indices, values, accumulate=False):
        return FI.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return FI._write_inplace(self, FI.index_put(self, indices, values, accumulate))

    def take(self, index):
        return FI.take(self, index)

    def take_along_dim(self, indices, dim=None):
        return FI.take_along_dim(self, indices, dim)

    def masked_scatter(self, mask, source):
        return FI.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return FI._write_inplace(self, FI.masked_scatter(self, mask, source))

    def put(self, index, source, accumulate=False):
        return FI.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return FI._write_inplace(self, FI.put(self, index, source, accumulate))

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
        arr = backend.to_numpy(self._data)
        body = _format_array(arr)
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        # like PyTorch: the dtype shows when the printed values cannot imply it
        if arr.dtype not in (np.float32, np.int64, np.bool_) or (
                arr.size == 0 and arr.dtype != np.float32):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if arr.size == 0 and arr.ndim != 1:
            extras.insert(0, f"size={tuple(arr.shape)}")
        pad = " " * len("tensor(")
        body = body.replace("\n", "\n" + pad)
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __reduce_ex__(self, protocol):
        raise TypeError("tinytorch tensors are not picklable: use tinytorch.save (safetensors)")

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


# Function.apply and the engine wrap their result arrays in this class
register_tensor_class(Tensor)


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
    return tuple(builtins.int(s) for s in shape)


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


def _format_array(arr: np.ndarray) -> str:
    if arr.size == 0:
        return "[]"
    kw = dict(separator=", ", threshold=1000, edgeitems=3, max_line_width=80)
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
            return np.array2string(arr, formatter={"float_kind": lambda v: (
                f"{v:.0f}." if np.isfinite(v) else str(v))}, **kw)
        return np.array2string(arr, precision=4, floatmode="fixed", suppress_small=False, **kw)
    if arr.dtype == np.bool_:
        width = 4 if arr.all() else 5  # PyTorch right-aligns True under False
        return np.array2string(arr, formatter={"bool": lambda v: ("True" if v else "False")
                                               .rjust(width)}, **kw)
    return np.array2string(arr, **kw)
