"""``op_db``: the one table of op specifications (``OpInfo`` rows), read by every op check.

The rows live in family modules, each with a list named ``op_db``; this file concatenates
them. Adding a family is one import and one entry in ``_FAMILIES``. ``op_db_exempt`` names
the public names that are not ops (``"Tensor.numpy"``, ``"tinytorch.manual_seed"``), each
with a one-line reason; the coverage rule (``tests/test_op_db.py``) fails for a public
``Tensor`` method, ``tinytorch.*`` function or ``nn.functional`` name in neither.
"""

from __future__ import annotations

from dataclasses import replace

from ..opinfo import ErrorInput, OpInfo
from . import conv, core, creation, linalg, math, nn, nn_layers, reshaping, scatter, selection
from .exempt import op_db_exempt

_FAMILIES = [core, nn, selection, scatter, reshaping, nn_layers, conv, math, linalg, creation]

# rows whose Functions have no ``tensor_backward`` yet (their backward runs on arrays only):
# once-differentiable, as PyTorch's ``@once_differentiable``; differentiating their gradient
# raises a clear RuntimeError (checked by tests/test_op_db.py), and gradgradcheck skips them
ONCE_DIFFERENTIABLE = frozenset({
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cdist", "cdist_large", "ceil",
    "copysign", "cosh", "cummax", "cummin", "cumprod", "cumprod_with_zeros", "digamma", "dist",
    "einsum", "einsum_ellipsis_trace_outer", "einsum_unique_label", "erf", "erfc", "erfinv",
    "exp2", "expm1", "floor", "fmax", "fmin", "fmod", "frac", "hypot", "inner", "lerp",
    "lerp_tensor_weight", "lgamma", "linalg.cholesky", "linalg.det", "linalg.eigh",
    "linalg.eigvalsh", "linalg.inv", "linalg.matrix_norm", "linalg.matrix_norm_nuc",
    "linalg.norm", "linalg.pinv", "linalg.qr", "linalg.slogdet", "linalg.solve",
    "linalg.solve_vector", "linalg.svd", "linalg.svdvals", "linalg.vector_norm",
    "linalg.vector_norm_inf", "log10", "log1p", "log2", "logaddexp", "logdet", "nan_to_num",
    "norm", "norm_fro", "reciprocal", "remainder", "round", "round_decimals", "rsqrt_spellings",
    "sgn", "sign_spellings", "sinc", "sinh", "special.entr", "special.log_ndtr", "special.ndtr",
    "special.round", "special.xlog1py", "tan", "tensordot", "trunc", "xlogy",
})

# std_mean's gradient of a one-element std is NaN by definition (correction 1 divides by 0),
# so its second derivative is NaN where finite differences see 0: not checked twice
NOT_CHECKED_TWICE = ONCE_DIFFERENTIABLE | {"std_mean"}

op_db: list[OpInfo] = [replace(row, gradgrad=False) if row.name in NOT_CHECKED_TWICE else row
                       for family in _FAMILIES for row in family.op_db]

__all__ = ["op_db", "op_db_exempt", "OpInfo", "ErrorInput"]
