"""tinytorch: a small, readable autograd framework on NumPy (CPU) and CuPy (GPU).

The public API mirrors PyTorch's names and meanings; ``import tinytorch as torch`` runs
PyTorch-style tutorial code. See docs/ for the guide and the table of differences.
"""

from . import _allocator, autograd, backend, nn, optim
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import bool_ as bool
from .backend import (
    cuda_is_available,
    device,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
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
    numel,
    ones,
    ones_like,
    outer,
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
from .functions import (  # noqa: A004 (PyTorch's names: abs, max, min, pow, sum)
    abs,
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    chunk,
    clamp,
    clip,
    cos,
    cumsum,
    div,
    equal,
    exp,
    flatten,
    gather,
    isfinite,
    isinf,
    isnan,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    narrow,
    neg,
    permute,
    pow,
    prod,
    relu,
    reshape,
    rsqrt,
    select,
    sigmoid,
    sign,
    sin,
    softmax,
    split,
    sqrt,
    square,
    squeeze,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unbind,
    unsqueeze,
    var,
)
from .functions_indexing import (  # selection, indexing and shape (issue 11a)
    argsort,
    argwhere,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    bincount,
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    bucketize,
    cartesian_prod,
    column_stack,
    combinations,
    count_nonzero,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    dsplit,
    dstack,
    flip,
    fliplr,
    flipud,
    histc,
    hsplit,
    hstack,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_put_,
    index_select,
    kthvalue,
    masked_scatter,
    masked_select,
    median,
    meshgrid,
    mode,
    moveaxis,
    movedim,
    nanmedian,
    narrow_copy,
    nonzero,
    put,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    scatter,
    scatter_add,
    scatter_reduce,
    searchsorted,
    select_scatter,
    slice_scatter,
    sort,
    swapaxes,
    swapdims,
    take,
    take_along_dim,
    tensor_split,
    tile,
    topk,
    trace,
    tril_indices,
    triu_indices,
    unique,
    unique_consecutive,
    vsplit,
    vstack,
)
from .random import get_rng_state, manual_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Size, Tensor

# process-wide malloc tuning, the one global side effect of importing tinytorch
# (docs/differences.md lists it; TINYTORCH_KEEP_FREED_MEMORY=0 opts out)
_allocator.keep_freed_memory()


class _Cuda:
    """``tinytorch.cuda.is_available()`` as in PyTorch."""

    @staticmethod
    def is_available():
        return cuda_is_available()

    @staticmethod
    def manual_seed(seed_value) -> None:
        manual_seed(seed_value)

    @staticmethod
    def synchronize() -> None:
        backend.cuda_synchronize()


cuda = _Cuda()

__version__ = "0.1.0"


def __getattr__(name):
    # ``from tinytorch import GPT``: the model lives in ``tinytorch.models``, imported
    # lazily so that ``import tinytorch`` stays light and free of cycles
    if name in ("GPT", "GPTConfig"):
        from .models import gpt

        return getattr(gpt, name)
    raise AttributeError(f"module 'tinytorch' has no attribute {name!r}")
