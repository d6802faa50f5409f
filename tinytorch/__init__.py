"""tinytorch: a small, readable autograd framework on NumPy (CPU) and CuPy (GPU).

The public API mirrors PyTorch's names and meanings; ``import tinytorch as torch`` runs
PyTorch-style tutorial code. See docs/ for the guide and the table of differences.
"""

from . import autograd, backend, linalg, nn, optim, special
from ._printing import set_printoptions
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    bfloat16,
    can_cast,
    cdouble,
    cfloat,
    complex64,
    complex128,
    cuda_is_available,
    device,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from .backend import bool_ as bool
from .creation import *  # noqa: F401,F403  (factories and functional forms)
from .creation import (
    arange,
    as_tensor,
    cat,
    concat,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    multinomial,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    stack,
    tensor,
    tril,
    triu,
    where,
    zeros,
    zeros_like,
)
from .functions_math import *  # noqa: F401,F403  (math function forms, einsum, cdist)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .random import default_generator as _default_generator
from .serialization import *  # noqa: F401,F403  (save, load)
from .tensor import Size, Tensor

default_generator = _default_generator()


class _Cuda:
    """``tinytorch.cuda.is_available()`` as in PyTorch."""

    @staticmethod
    def is_available():
        return cuda_is_available()

    @staticmethod
    def manual_seed(seed_value) -> None:
        manual_seed(seed_value)

    @staticmethod
    def manual_seed_all(seed_value) -> None:
        manual_seed(seed_value)

    @staticmethod
    def synchronize() -> None:
        if cuda_is_available():
            import cupy

            cupy.cuda.Device().synchronize()


cuda = _Cuda()

__version__ = "0.1.0"


def __getattr__(name):
    # ``from tinytorch import GPT``: the model lives in ``tinytorch.models``, imported
    # lazily so that ``import tinytorch`` stays light and free of cycles
    if name in ("GPT", "GPTConfig"):
        from .models import gpt

        return getattr(gpt, name)
    raise AttributeError(f"module 'tinytorch' has no attribute {name!r}")
