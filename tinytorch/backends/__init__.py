"""``tinytorch.backends``: the switches PyTorch scripts set for cuDNN, TF32 and MPS.

tinytorch computes with NumPy/CuPy in the dtype of the data, so these switches are stored
and read back with PyTorch's defaults but change no result: ``matmul.allow_tf32`` cannot
lower float32 precision here, ``cudnn.benchmark`` has no kernels to choose among, and
``cudnn.deterministic`` holds already (tinytorch's ops are deterministic). Each is a real
module registered under its dotted name, so ``import tinytorch.backends.cudnn as cudnn``
works too.
"""

from __future__ import annotations

import sys
import types

from .. import backend

__all__ = ["cuda", "cudnn", "mps", "mkldnn", "openmp", "mkl"]


def _submodule(name: str, doc: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update(attributes)
    sys.modules[module.__name__] = module
    return module


class _MatmulSettings:
    """``backends.cuda.matmul``: ``allow_tf32`` (default False) and the reduced-precision
    reduction switches, stored for scripts that set them."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _sdp_switch(kind: str):
    def enable(enabled: bool) -> None:
        _sdp[kind] = bool(enabled)
    enable.__doc__ = f"Record whether the {kind} attention kernel may be used (one kernel here)."
    return enable


def _sdp_query(kind: str):
    def enabled() -> bool:
        return _sdp[kind]
    enabled.__doc__ = f"Whether the {kind} attention kernel is enabled (as last set)."
    return enabled


cuda = _submodule(
    "cuda", "TF32 and attention-kernel switches (stored; tinytorch has one SDPA kernel).",
    matmul=_MatmulSettings(), is_built=backend.cuda_is_available,
    enable_flash_sdp=_sdp_switch("flash"), flash_sdp_enabled=_sdp_query("flash"),
    enable_mem_efficient_sdp=_sdp_switch("mem_efficient"),
    mem_efficient_sdp_enabled=_sdp_query("mem_efficient"),
    enable_math_sdp=_sdp_switch("math"), math_sdp_enabled=_sdp_query("math"),
    enable_cudnn_sdp=_sdp_switch("cudnn"), cudnn_sdp_enabled=_sdp_query("cudnn"),
)

cudnn = _submodule(
    "cudnn", "cuDNN switches, stored with PyTorch's defaults (no cuDNN kernels here).",
    enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
    is_available=lambda: False, version=lambda: None,
)

mps = _submodule("mps", "Apple's Metal backend: not available in tinytorch.",
                 is_available=lambda: False, is_built=lambda: False)

mkldnn = _submodule("mkldnn", "oneDNN: not used by tinytorch.", enabled=True,
                    is_available=lambda: False)

openmp = _submodule("openmp", "OpenMP: NumPy's BLAS does its own threading.",
                    is_available=lambda: False)

mkl = _submodule("mkl", "MKL: NumPy's BLAS is whichever NumPy was built with.",
                 is_available=lambda: False)
