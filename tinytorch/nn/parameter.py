"""``Parameter``: a leaf tensor that a ``Module`` registers and optimizers update."""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a module's learnable weight (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        from ..creation import zeros

        src = data if data is not None else zeros(0)
        arr = src._data if isinstance(src, Tensor) else Tensor(src)._data
        # keep the source's dtype, as torch.nn.Parameter does (Tensor(data) would cast
        # to the default float dtype)
        Tensor.__init__(self, arr, dtype=backend.dtype_of(arr))
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)



def register_weight_and_bias(module, weight_shape: tuple, bias_size: int | None, dtype=None,
                             device=None) -> None:
    """Give ``module`` an uninitialised ``weight`` of ``weight_shape`` and a ``bias`` of
    ``bias_size`` entries (registered as None when ``bias_size`` is None), for the layer's
    ``reset_parameters`` to fill, as PyTorch's Linear and Conv layers do."""
    from ..creation import empty

    module.weight = Parameter(empty(*weight_shape, dtype=dtype, device=device))
    module.register_parameter("bias", None if bias_size is None else
                              Parameter(empty(bias_size, dtype=dtype, device=device)))
