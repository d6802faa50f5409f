"""``tinytorch.linalg``: norms, inverses, solves and decompositions (as ``torch.linalg``).

Forward runs the backend's linalg (NumPy or CuPy); backward uses the standard formulas in
``ops/linalg.py``. Every function accepts batches: leading dimensions are batch dimensions.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .ops import linalg as L
from .ops import reduce as R
from .tensor import Tensor, _dim

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "cholesky",
           "qr", "svd", "svdvals", "eigh", "eigvalsh", "pinv", "matmul", "cross", "multi_dot",
           "matrix_rank", "matrix_power", "vecdot"]

SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")
QRResult = namedtuple("QRResult", "Q R")
SVDResult = namedtuple("SVDResult", "U S Vh")
EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")


def _square(name: str, a: Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(map(str, a.shape[-2:])) or 'a scalar'} matrices "
                           f"(shape {tuple(a.shape)})")


def _floating(name: str, a: Tensor) -> None:
    if a.dtype.np.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point tensor as input. Got "
                           f"{a.dtype}")


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (every element when None); ord may be inf, -inf, 0."""
    x = x.to(dtype) if dtype is not None else x
    _floating("vector_norm", x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return R.VectorNorm.apply(x, float(ord), dim, keepdim)


def matrix_norm(a: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *,
                dtype=None) -> Tensor:
    """'fro', 'nuc', 1, -1, 2, -2, inf or -inf norm of the matrices in ``dim``."""
    a = a.to(dtype) if dtype is not None else a
    _floating("matrix_norm", a)
    if a.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions, got shape {tuple(a.shape)}")
    d0, d1 = (_dim(d, a.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = a.movedim((d0, d1), (-2, -1)) if hasattr(a, "movedim") else \
            a.permute(*[i for i in range(a.ndim) if i not in (d0, d1)], d0, d1)
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    elif ord in (1, -1, float("inf"), -float("inf")):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = a.abs().sum(summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return out


def norm(a: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector norm (1-d input or an int ``dim``) or matrix norm (2-d or a 2-tuple dim);
    with ``ord=None`` the 2-norm of everything flattened."""
    if ord is None:
        return vector_norm(a, 2, dim, keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and a.ndim == 1) or \
            (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(a, ord, dim, keepdim, dtype=dtype)
    if dim is None and a.ndim != 2:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {a.ndim}D.")
    return matrix_norm(a, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)


def inv(a: Tensor) -> Tensor:
    """A^-1 (batched)."""
    _square("inv", a)
    _floating("inv", a)
    return L.Inv.apply(a)


def det(a: Tensor) -> Tensor:
    _square("det", a)
    _floating("det", a)
    return L.Det.apply(a)


def slogdet(a: Tensor) -> SlogdetResult:
    """``(sign, log|det A|)``: a determinant that neither overflows nor underflows."""
    _square("slogdet", a)
    _floating("slogdet", a)
    return SlogdetResult(*L.Slogdet.apply(a))


def solve(a: Tensor, b: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B); B may be a batch of vectors."""
    _square("solve", a)
    if not left:
        return solve(a.mT, b.mT).mT
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    if b.shape[-1 if vector else -2] != a.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({tuple(a.shape)} and {tuple(b.shape)})")
    return L.Solve.apply(a, b, vector)


def cholesky(a: Tensor, *, upper: bool = False) -> Tensor:
    """L (lower) with A = L L^T for a symmetric positive-definite A."""
    _square("cholesky", a)
    return L.Cholesky.apply(a, upper)


def qr(a: Tensor, mode: str = "reduced") -> QRResult:
    """Q with orthonormal columns and upper-triangular R, A = Q R."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    if a.ndim < 2:
        raise RuntimeError(f"linalg.qr: The input tensor A must have at least 2 dimensions, "
                           f"got shape {tuple(a.shape)}")
    if mode == "r":
        _, r = L.Qr.apply(a, "reduced")
        return QRResult(Tensor._make(a._xp.empty((0,), a._data.dtype)), r)
    return QRResult(*L.Qr.apply(a, mode))


def svd(a: Tensor, full_matrices: bool = True) -> SVDResult:
    """U diag(S) Vh = A, singular values descending."""
    if a.ndim < 2:
        raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions, "
                           f"got shape {tuple(a.shape)}")
    return SVDResult(*L.Svd.apply(a, full_matrices))


def svdvals(a: Tensor) -> Tensor:
    """The singular values, descending (differentiable without U and Vh's terms)."""
    return svd(a, full_matrices=False).S


def eigh(a: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (its UPLO triangle)."""
    _square("eigh", a)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return EighResult(*L.Eigh.apply(a, UPLO))


def eigvalsh(a: Tensor, UPLO: str = "L") -> Tensor:
    return eigh(a, UPLO).eigenvalues


def pinv(a: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse via the SVD (singular values below the tolerance,
    ``max(atol, rtol * s_max)``, dropped; default rtol = eps * max(m, n))."""
    u, s, vh = svd(a, full_matrices=False)
    eps = np.finfo(a.dtype.np).eps
    rtol = (eps * max(a.shape[-2:]) if atol is None else 0.0) if rtol is None else rtol
    cutoff = (s.amax(-1, keepdim=True) * rtol).detach()
    if atol is not None:
        cutoff = cutoff.maximum(Tensor._make(np.asarray(atol, a.dtype.np)))
    keep = s > cutoff
    s_inv = Tensor._make(keep._data.astype(s._data.dtype)) / s.masked_fill(~keep, 1.0)
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def matrix_rank(a: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above the tolerance (as ``pinv``), int64."""
    s = svdvals(a.detach())
    eps = np.finfo(a.dtype.np).eps
    rtol = (eps * max(a.shape[-2:]) if atol is None else 0.0) if rtol is None else rtol
    cutoff = s.amax(-1, keepdim=True) * rtol
    if atol is not None:
        cutoff = cutoff.maximum(Tensor._make(np.asarray(atol, a.dtype.np)))
    return (s > cutoff).sum(-1)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return a @ b


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum over ``dim`` of x * y (broadcast)."""
    return (x * y).sum(dim)


def cross(a: Tensor, b: Tensor, *, dim: int = -1) -> Tensor:
    """The 3-vector cross product along ``dim`` (broadcast)."""
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    d = _dim(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d] if d < a.ndim else '?'} and "
                           f"{b.shape[d] if d < b.ndim else '?'}")
    a, b = a.expand(shape), b.expand(shape)
    x = [a.select(d, i) for i in range(3)]
    y = [b.select(d, i) for i in range(3)]
    parts = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]]
    from .creation import stack

    return stack(parts, d)


def multi_dot(tensors) -> Tensor:
    """A chain of matrix products (first may be 1-d, as may the last)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        want = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.ndim not in want:
            raise RuntimeError(f"multi_dot(): tensor {i} must be "
                               f"{' or '.join(f'{w}D' for w in want)} but got {t.ndim}D")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def matrix_power(a: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring (A^-1 raised to |n| when n < 0; the identity for 0)."""
    _square("matrix_power", a)
    if n == 0:
        from .creation import eye

        ident = eye(a.shape[-1], dtype=a.dtype, device=a.device)
        return ident.expand(a.shape).clone()
    base = inv(a) if n < 0 else a
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result
