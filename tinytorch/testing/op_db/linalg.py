"""``tinytorch.linalg`` rows of ``op_db`` (issue 11b). Inputs are built inside ``call`` so
that every drawn matrix is valid: ``A + 3 I``-style shifts keep matrices invertible,
``A A^T + I`` makes them symmetric positive-definite (then finite differences see the
symmetric gradient the decompositions return)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..opinfo import ErrorInput, OpInfo
from .math import _array


@st.composite
def square_sample(d, batch=True, rect=False):
    """One (batch of) n x n matrices (``rect``: m x n with m >= n)."""
    n = d(st.integers(1, 3))
    m = n + d(st.integers(0, 2)) if rect else n
    lead = (d(st.integers(1, 2)),) if batch and d(st.booleans()) else ()
    return (d(_array(lead + (m, n), -1.0, 1.0)),), {}


@st.composite
def solve_sample(d):
    n, k = d(st.integers(1, 3)), d(st.integers(1, 2))
    lead = (d(st.integers(1, 2)),) if d(st.booleans()) else ()
    return (d(_array(lead + (n, n), -1.0, 1.0)), d(_array(lead + (n, k), -2.0, 2.0))), {}


def _max_column_is_unique(sample) -> bool:
    """The 1-norm's gradient exists only where one column's absolute sum is the largest and
    no entry of it is 0 (finite differences straddle the kinks otherwise)."""
    a = _np_well(sample[0][0])
    sums = np.sort(np.abs(a).sum(0))
    return (sums.size < 2 or sums[-1] - sums[-2] > 1e-3) and np.abs(a).min() > 1e-3


def _well(lib, a):
    """A shifted well away from singular: a + 4 I. Entries in [-1, 1] and n <= 3 make it
    strictly diagonally dominant (|diagonal| >= 3 > 2 >= the rest of a row), so never
    singular (a + 3 I was: all entries -1 gives eigenvalue 0)."""
    return a + 4 * lib.eye(a.shape[-2], a.shape[-1], dtype=a.dtype)


def _spd(lib, a):
    """A symmetric positive-definite matrix: a a^T + I."""
    return a @ a.mT + lib.eye(a.shape[-1], dtype=a.dtype)


def _np_well(a):
    return a + 4 * np.eye(a.shape[-2], a.shape[-1])


def _np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1])


def _sign_fixed(q, r):
    """Q, R with R's diagonal made non-negative (the decomposition's usual convention)."""
    s = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    s = np.where(s == 0, 1, s)
    return q * s[..., None, :], r * s[..., :, None]


# Eigenvectors and singular vectors are defined up to sign: the rows compare what is
# sign-free, the squares of their entries and the products u_i v_i^T.


def _eigh_ref(np_, a):
    w, v = np.linalg.eigh(_np_spd(a))
    return w, v * v


def _eigh_signfree(lib, a):
    w, v = lib.linalg.eigh(_spd(lib, a))
    return w, v * v


def _svd_signfree(lib, a):
    u, s, vh = lib.linalg.svd(_well(lib, a), full_matrices=False)
    return u * u, s, vh * vh, u[..., :, :1] @ vh[..., :1, :]


def _svd_ref(np_, a):
    u, s, vh = np.linalg.svd(_np_well(a), full_matrices=False)
    return u * u, s, vh * vh, u[..., :, :1] @ vh[..., :1, :]


def _diagonal_signs(lib, r):
    n = r.shape[-1]
    return (r * lib.eye(n, dtype=r.dtype)).sum(-1).sign()


def _qr_signed(lib, a):
    q, r = lib.linalg.qr(a + 2 * lib.eye(a.shape[-2], a.shape[-1], dtype=a.dtype))
    s = _diagonal_signs(lib, r)
    return q * s.unsqueeze(-2), r * s.unsqueeze(-1)


def _qr_ref(np_, a):
    q, r = np.linalg.qr(a + 2 * np.eye(a.shape[-2], a.shape[-1]))
    return _sign_fixed(q, r)


def _distinct_singular_values(s):
    values = np.linalg.svd(_np_well(s[0][0]), compute_uv=False)
    return np.abs(np.diff(values)).min(initial=1) > 0.05


def _off_zero(s):
    (a,), kw = s
    return (np.where(np.abs(a) < 0.05, 0.1, a),), kw


op_db: list[OpInfo] = [
    OpInfo(name="linalg.inv", call=lambda lib, a: lib.linalg.inv(_well(lib, a)),
           inputs=square_sample(), ref=lambda np_, a: np.linalg.inv(_np_well(a)),
           variants={"inverse": lambda lib, a: _well(lib, a).inverse()},
           covers=("tinytorch.linalg.inv", "Tensor.inverse", "tinytorch.inverse"),
           errors=(ErrorInput(lambda lib: lib.linalg.inv(lib.ones(2, 3)), RuntimeError,
                              "square"),
                   ErrorInput(lambda lib: lib.linalg.inv(lib.zeros(2, 2)), RuntimeError,
                              "singular"))),
    OpInfo(name="linalg.det", call=lambda lib, a: lib.linalg.det(_well(lib, a)),
           inputs=square_sample(), ref=lambda np_, a: np.linalg.det(_np_well(a)),
           variants={"method": lambda lib, a: _well(lib, a).det(),
                     "function": lambda lib, a: lib.det(_well(lib, a))},
           covers=("tinytorch.linalg.det", "Tensor.det", "tinytorch.det")),
    OpInfo(name="linalg.slogdet", call=lambda lib, a: tuple(lib.linalg.slogdet(a * 3)),
           inputs=square_sample().filter(lambda s: abs(np.linalg.det(s[0][0] * 3)).min() > .1),
           ref=lambda np_, a: tuple(np.linalg.slogdet(a * 3)),
           variants={"function": lambda lib, a: tuple(lib.slogdet(a * 3))},
           covers=("tinytorch.linalg.slogdet", "tinytorch.slogdet")),
    OpInfo(name="logdet", call=lambda lib, a: lib.logdet(_spd(lib, a)),
           inputs=square_sample(), ref=lambda np_, a: np.linalg.slogdet(_np_spd(a))[1],
           covers=("tinytorch.logdet",)),
    OpInfo(name="linalg.solve", call=lambda lib, a, b: lib.linalg.solve(_well(lib, a), b),
           inputs=solve_sample(), ref=lambda np_, a, b: np.linalg.solve(_np_well(a), b),
           variants={"left_false": lambda lib, a, b: lib.linalg.solve(
               _well(lib, a).mT, b.mT, left=False).mT},
           covers=("tinytorch.linalg.solve",),
           errors=(ErrorInput(lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(2, 1)),
                              RuntimeError, "shapes"),)),
    OpInfo(name="linalg.solve_vector",
           call=lambda lib, a, b: lib.linalg.solve(_well(lib, a), b[..., 0]),
           inputs=solve_sample(),
           ref=lambda np_, a, b: np.linalg.solve(_np_well(a), b[..., :1])[..., 0]),
    OpInfo(name="linalg.cholesky", call=lambda lib, a: lib.linalg.cholesky(_spd(lib, a)),
           inputs=square_sample(), ref=lambda np_, a: np.linalg.cholesky(_np_spd(a)),
           variants={"upper": lambda lib, a: lib.linalg.cholesky(_spd(lib, a), upper=True).mT},
           covers=("tinytorch.linalg.cholesky",),
           errors=(ErrorInput(lambda lib: lib.linalg.cholesky(-lib.eye(2)), RuntimeError,
                              "positive-definite"),)),
    OpInfo(name="linalg.eigh", call=_eigh_signfree, inputs=square_sample().filter(
        lambda s: np.diff(np.linalg.eigvalsh(_np_spd(s[0][0]))).min(initial=1) > 0.05),
           ref=_eigh_ref, covers=("tinytorch.linalg.eigh",), torch_reason=None,
           torch_call=None, rtol=1e-6, atol=1e-8),
    OpInfo(name="linalg.eigvalsh", call=lambda lib, a: lib.linalg.eigvalsh(_spd(lib, a)),
           inputs=square_sample().filter(lambda s: np.diff(np.linalg.eigvalsh(
               _np_spd(s[0][0]))).min(initial=1) > 0.05),
           ref=lambda np_, a: np.linalg.eigvalsh(_np_spd(a)),
           covers=("tinytorch.linalg.eigvalsh",), rtol=1e-6, atol=1e-8),
    OpInfo(name="linalg.qr", call=_qr_signed, inputs=square_sample(rect=True),
           ref=_qr_ref, covers=("tinytorch.linalg.qr",), rtol=1e-6, atol=1e-8,
           errors=(ErrorInput(lambda lib: lib.linalg.qr(lib.ones(2, 2), mode="full"),
                              RuntimeError, "mode"),)),
    OpInfo(name="linalg.svd", call=_svd_signfree,
           inputs=square_sample(rect=True).filter(_distinct_singular_values), ref=_svd_ref,
           covers=("tinytorch.linalg.svd",),
           rtol=1e-6, atol=1e-8),
    OpInfo(name="linalg.svdvals", call=lambda lib, a: lib.linalg.svdvals(_well(lib, a)),
           inputs=square_sample(rect=True).filter(_distinct_singular_values),
           ref=lambda np_, a: np.linalg.svd(_np_well(a), compute_uv=False),
           covers=("tinytorch.linalg.svdvals",), rtol=1e-6, atol=1e-8),
    OpInfo(name="linalg.pinv", call=lambda lib, a: lib.linalg.pinv(_well(lib, a)),
           inputs=square_sample(rect=True).filter(_distinct_singular_values),
           ref=lambda np_, a: np.linalg.pinv(_np_well(a)),
           covers=("tinytorch.linalg.pinv",), rtol=1e-6, atol=1e-8),
    OpInfo(name="linalg.matrix_rank", call=lambda lib, a: lib.linalg.matrix_rank(a),
           inputs=square_sample(rect=True), ref=lambda np_, a: np.asarray(
               np.linalg.matrix_rank(a)).astype(np.int64), differentiable=False,
           covers=("tinytorch.linalg.matrix_rank",)),
    OpInfo(name="linalg.vector_norm", call=lambda lib, a: lib.linalg.vector_norm(a, 3, -1),
           inputs=square_sample().map(_off_zero),
           ref=lambda np_, a: (np.abs(a) ** 3).sum(-1) ** (1 / 3),
           covers=("tinytorch.linalg.vector_norm",),
           errors=(ErrorInput(lambda lib: lib.linalg.vector_norm(lib.ones(2, dtype=lib.long)),
                              RuntimeError, "floating point"),)),
    OpInfo(name="linalg.vector_norm_inf",
           call=lambda lib, a: lib.linalg.vector_norm(a, float("inf")),
           inputs=square_sample().map(_off_zero).map(
               lambda s: ((s[0][0] + 0.01 * np.arange(s[0][0].size).reshape(s[0][0].shape),),
                          {})).filter(lambda s: np.abs(s[0][0]).min() > 0.02),
           ref=lambda np_, a: np.abs(a).max()),
    OpInfo(name="linalg.matrix_norm", call=lambda lib, a: lib.linalg.matrix_norm(a),
           inputs=square_sample().map(_off_zero),
           ref=lambda np_, a: np.sqrt((a * a).sum((-2, -1))),
           covers=("tinytorch.linalg.matrix_norm",)),
    OpInfo(name="linalg.matrix_norm_nuc",
           call=lambda lib, a: lib.linalg.matrix_norm(_well(lib, a), "nuc"),
           inputs=square_sample(), ref=lambda np_, a: np.linalg.svd(
               _np_well(a), compute_uv=False).sum(-1), rtol=1e-6, atol=1e-8),
    OpInfo(name="linalg.matrix_norm_1",
           call=lambda lib, a: lib.linalg.matrix_norm(_well(lib, a), 1),
           inputs=square_sample(batch=False).map(lambda s: ((s[0][0] + 0.03 * np.arange(
               s[0][0].size).reshape(s[0][0].shape),), {})).filter(_max_column_is_unique),
           ref=lambda np_, a: np.linalg.norm(_np_well(a), 1)),
    OpInfo(name="linalg.norm", call=lambda lib, a: lib.linalg.norm(a),
           inputs=square_sample().map(_off_zero), ref=lambda np_, a: np.sqrt((a * a).sum()),
           covers=("tinytorch.linalg.norm",)),
    OpInfo(name="linalg.multi_dot",
           call=lambda lib, a: lib.linalg.multi_dot([a[..., 0, :], a.mT, a, a[..., 0]])
           if a.ndim == 2 else lib.linalg.multi_dot([a[0], a[0]]),
           inputs=square_sample(),
           ref=lambda np_, a: np.linalg.multi_dot([a[0], a.T, a, a[:, 0]]) if a.ndim == 2
           else a[0] @ a[0],
           variants={"chain_matmul": lambda lib, a: lib.chain_matmul(
               a[..., 0, :][None], a.mT, a, a[..., 0][:, None])[0, 0] if a.ndim == 2
               else lib.chain_matmul(a[0], a[0])},
           covers=("tinytorch.linalg.multi_dot", "tinytorch.chain_matmul")),
    OpInfo(name="linalg.matmul", call=lambda lib, a: lib.linalg.matmul(a, a),
           inputs=square_sample(), ref=lambda np_, a: a @ a,
           covers=("tinytorch.linalg.matmul",)),
    OpInfo(name="linalg.vecdot", call=lambda lib, a: lib.linalg.vecdot(a, a * 2),
           inputs=square_sample(), ref=lambda np_, a: (a * a * 2).sum(-1),
           covers=("tinytorch.linalg.vecdot",)),
]
