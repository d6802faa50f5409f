"""``nn.parallel``: ``DataParallel`` (one device: a pass-through) and
``DistributedDataParallel`` (needs a process group, which tinytorch never has)."""

from __future__ import annotations

from ..module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(Module):
    """Wraps ``module`` as ``self.module`` and calls it: tinytorch uses one device, so there
    is nothing to scatter (state dict keys gain the ``module.`` prefix, as in PyTorch)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    """Raises as PyTorch does without ``init_process_group`` (which tinytorch cannot do)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, *args, **kwargs):
        raise ValueError("DistributedDataParallel: Default process group has not been "
                         "initialized, please make sure to call init_process_group. "
                         "(tinytorch runs in one process; use the module directly)")
