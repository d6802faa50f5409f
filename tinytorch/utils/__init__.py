"""``tinytorch.utils``: ``data`` (datasets, samplers, ``DataLoader``), ``checkpoint`` and
``tensorboard`` (``SummaryWriter``).

Submodules are imported on first use, so ``tinytorch.utils.checkpoint`` works after a bare
``import tinytorch`` as ``torch.utils.data`` does after ``import torch``.
"""

import importlib

_SUBMODULES = ("data", "checkpoint", "tensorboard")


def __getattr__(name):
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
