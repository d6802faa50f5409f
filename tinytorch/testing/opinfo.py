"""``OpInfo``: one row of ``tinytorch.testing.op_db``, the specification of one op.

A row says everything the checks need to know about an op, once:

- ``call(lib, *tensors, **kwargs)``: the op written once against a library argument ``lib``;
  the same line runs as ``call(tinytorch, ...)`` and, when PyTorch is installed, as
  ``call(torch, ...)`` (``torch_call`` overrides it where the spelling must differ).
- ``inputs``: a hypothesis strategy drawing a *sample*, ``(arrays, kwargs)``: a tuple of
  float64 NumPy arrays (the tensor arguments) and a dict of the other arguments.
- ``ref``: a reference that is not PyTorch, with the same signature as ``call``: either
  NumPy on arrays (``ref_kind="numpy"``: ``ref(np, *arrays, **kwargs)`` returns arrays) or
  a composite of small tinytorch ops (``ref_kind="composite"``: ``ref(lib, *tensors,
  **kwargs)``, the readable formula; its autograd gradients are compared too). A row with no
  possible reference says why in ``ref_reason``.
- ``variants``: the other spellings of the op, each ``name -> call(lib, *tensors,
  **kwargs)`` (``"method"``, ``"function"``, ``"F"``, ``"inplace"``, ...); all must agree
  with ``call``. ``covers`` lists the public names the row specifies (``"Tensor.exp"``,
  ``"tinytorch.exp"``, ``"F.relu"``, ``"Tensor.exp_"``), read by the coverage rule.
- ``errors``: bad calls and what they must raise: ``ErrorInput(call(lib, device), exc,
  match)`` (a call of one argument, ``call(lib)``, is accepted too); ``torch_too`` says
  PyTorch raises the same exception type, which is checked when it is installed.
- ``assignment``: the course assignment whose grade the row's checks count toward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from hypothesis import strategies as st


@dataclass(frozen=True)
class ErrorInput:
    """A call that must fail: ``call(lib, device)`` raises ``exc`` with a message matching
    ``match`` (a regular expression, as ``pytest.raises(match=...)``)."""

    call: Callable
    exc: type
    match: str
    torch_too: bool = True  # PyTorch raises the same exception type for this call

    def __repr__(self) -> str:
        return f"ErrorInput({self.exc.__name__}: {self.match!r})"


@dataclass(frozen=True)
class OpInfo:
    """The specification of one op: how to call it, draw inputs, check it and grade it."""

    name: str
    call: Callable
    inputs: st.SearchStrategy
    ref: Callable | None = None
    ref_kind: str = "numpy"  # "numpy" or "composite"
    ref_reason: str | None = None  # why there is no reference, when ref is None
    torch_call: Callable | None = None  # the torch spelling, where it differs from `call`
    variants: dict = field(default_factory=dict)
    covers: tuple = ()
    differentiable: bool = True
    gradgrad: bool = True  # False: once-differentiable; True: gradgradcheck (when it exists)
    errors: tuple = ()
    assignment: int | None = None
    atol: float = 1e-10
    rtol: float = 1e-7
    needs_contiguous: bool = False  # e.g. view() refuses non-contiguous input, as PyTorch
    torch_reason: str | None = None  # why the PyTorch comparison is skipped, if it is

    def __post_init__(self):
        if self.ref is None and not self.ref_reason:
            raise ValueError(f"OpInfo {self.name!r}: give a reference (ref=) or say why "
                             f"there is none (ref_reason=)")
        if self.ref_kind not in ("numpy", "composite"):
            raise ValueError(f"OpInfo {self.name!r}: ref_kind must be 'numpy' or "
                             f"'composite', got {self.ref_kind!r}")

    def __repr__(self) -> str:  # pytest ids
        return self.name
