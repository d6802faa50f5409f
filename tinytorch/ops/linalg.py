"""Matrix products: ``matmul`` / ``@`` for 1-d, 2-d and batched (broadcast) operands."""

from __future__ import annotations

import contextlib

import numpy as np

from ..autograd.function import Function, array_module


def check_matmul_shapes(a_shape, b_shape):
    # BEGIN SOLUTION assignment=1 "check_matmul_shapes: raise unless a @ b is defined"
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a_shape)} and {tuple(b_shape)}")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be "
                           f"multiplied ({k_a} != {k_b})")
    if len(a_shape) > 2 and len(b_shape) > 2:
        for x, y in zip(a_shape[-3::-1], b_shape[-3::-1]):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"matmul: batch dimensions of shapes {tuple(a_shape)} and "
                                   f"{tuple(b_shape)} do not broadcast ({x} vs {y})")
    # END SOLUTION


class MatMul(Function):
    """out = a @ b;  da = g @ b^T, db = a^T @ g (batch dims summed back by the engine)"""

    @staticmethod
    def forward(ctx, a, b):
        check_matmul_shapes(a.shape, b.shape)
        if a.dtype != b.dtype:  # PyTorch refuses rather than promoting here
            raise RuntimeError(f"matmul: expected both operands to have the same dtype, "
                               f"but got {a.dtype} and {b.dtype}")
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        # BEGIN SOLUTION assignment=3 "MatMul.backward: da = g b^T, db = a^T g"
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        xp = array_module(g)
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
            return (g * b if na else None), (g * a if nb else None)
        # vectors as matrices: a (k,) -> (1, k), b (k,) -> (k, 1); g gains the same axes
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        da = db = None
        if na:
            da = g @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                da = da.reshape(-1, a.shape[0]).sum(axis=0)
        if nb:
            if b2.ndim == 2 and a2.ndim > 2:
                # (B.., m, k) @ (k, n): one big product instead of B products then a sum
                db = a2.reshape(-1, a2.shape[-1]).T @ g.reshape(-1, g.shape[-1])
            else:
                db = xp.swapaxes(a2, -1, -2) @ g
            if b.ndim == 1:
                db = db.reshape(-1, b.shape[0]).sum(axis=0)
        return da, db
        # END SOLUTION


def _matmul_tensor_backward(ctx, g):
    """MatMul.backward on Tensors (create_graph=True): the same products, recorded."""
    a, b = ctx.saved_tensors
    na, nb = ctx.needs_input_grad
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if na else None), (g * a if nb else None)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    if a.ndim == 1:
        g = g.unsqueeze(-2)
    if b.ndim == 1:
        g = g.unsqueeze(-1)
    da = db = None
    if na:
        da = g @ b2.transpose(-1, -2)
        if a.ndim == 1:
            da = da.reshape(-1, a.shape[0]).sum(dim=0)
    if nb:
        db = a2.transpose(-1, -2) @ g
        if b.ndim == 1:
            db = db.reshape(-1, b.shape[0]).sum(dim=0)
    return da, db


MatMul.tensor_backward = staticmethod(_matmul_tensor_backward)
# ----------------------------------------------------------------------------- issue 11b
# einsum and the decompositions of tinytorch.linalg: forward by the backend's linalg,
# backward by the standard formulas (Giles, "An extended collection of matrix derivative
# results"; batched over leading dimensions; ``mT`` swaps the last two axes).

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _mT(x):
    return x.swapaxes(-1, -2)


def parse_einsum(equation: str, shapes):
    """Operand subscripts and output subscripts with ``...`` spelled out as letters, and the
    output implied (sorted once-seen letters) when ``->`` is absent."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): the equation {equation!r} names {len(terms)} operands "
                           f"but {len(shapes)} were given")
    unused = [c for c in _LETTERS if c not in eq]
    ell_dims = max([len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes)
                    if "..." in t] or [0])
    ell = "".join(unused[:ell_dims])
    spelled = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            n = len(s) - len(t.replace("...", ""))
            t = t.replace("...", ell[len(ell) - n:] if n else "")
        if len(t) != len(s) or not all(c in _LETTERS for c in t):
            raise RuntimeError(f"einsum(): the subscript {t!r} does not fit an operand of "
                               f"shape {tuple(s)}")
        spelled.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for t in spelled:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return spelled, out


def _einsum(xp, equation, *operands):
    # NumPy's einsum loops in C unless told to plan: optimize=True hands products to BLAS
    if xp is np and len(operands) > 1:
        return np.einsum(equation, *operands, optimize=True)
    return xp.einsum(equation, *operands)


class Einsum(Function):
    """out = einsum(eq, *ops);  d op_i = einsum of g with the other operands into op_i's
    subscripts (labels only op_i has are broadcast back; repeated labels are diagonals)"""

    @staticmethod
    def forward(ctx, equation, *operands):
        xp = array_module(operands[0])
        terms, out = parse_einsum(equation, [o.shape for o in operands])
        ctx.terms, ctx.out = terms, out
        ctx.save_for_backward(*operands)
        return xp.asarray(_einsum(xp, ",".join(terms) + "->" + out, *operands))

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        xp = array_module(g)
        grads = [None]
        for i, (term, op) in enumerate(zip(ctx.terms, ops)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [(t, o) for j, (t, o) in enumerate(zip(ctx.terms, ops)) if j != i]
            available = set(ctx.out).union(*[set(t) for t, _ in others])
            unique = "".join(dict.fromkeys(term))
            kept = "".join(c for c in unique if c in available)
            sub = _einsum(xp, ",".join([ctx.out] + [t for t, _ in others]) + "->" + kept, g,
                          *[o for _, o in others])
            # labels only this operand has were summed: broadcast them back
            sizes = {c: op.shape[term.index(c)] for c in unique}
            sub = sub.reshape([sizes[c] if c in kept else 1 for c in unique])
            full = xp.broadcast_to(sub, [sizes[c] for c in unique])
            if len(unique) == len(term):
                grads.append(xp.ascontiguousarray(xp.transpose(
                    full, [unique.index(c) for c in term])))
                continue
            # a repeated label reads a diagonal: put the gradient back on it
            grad = xp.zeros(op.shape, dtype=g.dtype)
            grids = xp.meshgrid(*[xp.arange(sizes[c]) for c in unique], indexing="ij")
            grad[tuple(grids[unique.index(c)] for c in term)] = full
            grads.append(grad)
        return tuple(grads)


@contextlib.contextmanager
def _lapack_failure_as(message: str):
    """NumPy's LinAlgError (a singular or indefinite matrix) raised as PyTorch's
    RuntimeError with ``message``."""
    try:
        yield
    except np.linalg.LinAlgError:
        raise RuntimeError(message) from None


class Inv(Function):
    """out = A^-1;  dA = -out^T g out^T"""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        with _lapack_failure_as("linalg.inv: The diagonal element is zero, the inversion "
                                "could not be completed because the input matrix is singular."):
            out = xp.linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -_mT(out) @ g @ _mT(out)


class Det(Function):
    """out = det A;  dA = g out A^-T"""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        out = xp.asarray(xp.linalg.det(a))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(g)
        return (g * out)[..., None, None] * _mT(xp.linalg.inv(a))


class Slogdet(Function):
    """(sign, ln|det A|);  dA = g_logabsdet A^-T (the sign is not differentiable)"""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        sign, logabs = xp.asarray(sign), xp.asarray(logabs)
        ctx.save_for_backward(a)
        ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, _g_sign, g):
        (a,) = ctx.saved_tensors
        return g[..., None, None] * _mT(array_module(g).linalg.inv(a))


class Solve(Function):
    """X = A^-1 B;  dB = A^-T g, dA = -dB X^T"""

    @staticmethod
    def forward(ctx, a, b, vector):
        xp = array_module(a)
        rhs = b[..., None] if vector else b
        with _lapack_failure_as("linalg.solve: The solver failed because the input matrix "
                                "is singular."):
            x = xp.linalg.solve(a, rhs)
        ctx.vector = vector
        ctx.save_for_backward(a, x)
        return x[..., 0] if vector else x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        xp = array_module(g)
        gm = g[..., None] if ctx.vector else g
        gb = xp.linalg.solve(_mT(a), gm)
        ga = -gb @ _mT(x)
        return ga, (gb[..., 0] if ctx.vector else gb), None


class Cholesky(Function):
    """L with A = L L^T;  dA = sym(L^-T Phi(L^T g) L^-1), Phi = lower triangle, half diagonal"""

    @staticmethod
    def forward(ctx, a, upper):
        xp = array_module(a)
        with _lapack_failure_as("linalg.cholesky: The factorization could not be completed "
                                "because the input is not positive-definite."):
            low = xp.linalg.cholesky(a)
        ctx.upper = upper
        ctx.save_for_backward(low)
        return _mT(low).copy() if upper else low

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        xp = array_module(g)
        if ctx.upper:
            g = _mT(g)
        phi = xp.tril(_mT(low) @ g)
        phi = phi - 0.5 * xp.tril(xp.triu(phi))  # halve the diagonal
        inv_low = xp.linalg.inv(low)
        sym = _mT(inv_low) @ phi @ inv_low
        return 0.5 * (sym + _mT(sym)), None


class Eigh(Function):
    """(w, V) of a symmetric A (lower triangle read);  dA = V (diag(gw) + F * (V^T gV)) V^T,
    F_ij = 1 / (w_j - w_i) off the diagonal, symmetrised"""

    @staticmethod
    def forward(ctx, a, uplo):
        xp = array_module(a)
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        xp = array_module(w)
        inner = xp.zeros(v.shape, dtype=v.dtype)
        if gv is not None and gv.any():  # unused outputs arrive as zeros
            diff = w[..., None, :] - w[..., :, None]
            n = w.shape[-1]
            eye = xp.eye(n, dtype=bool)
            with np.errstate(divide="ignore"):
                f = xp.where(eye, 0, 1 / xp.where(eye, 1, diff))
            inner = inner + f * (_mT(v) @ gv)
        if gw is not None:
            inner = inner + gw[..., None, :] * xp.eye(w.shape[-1], dtype=v.dtype)
        ga = v @ inner @ _mT(v)
        return 0.5 * (ga + _mT(ga)), None


class Qr(Function):
    """(Q, R) = qr(A), reduced, m >= n;  dA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q"""

    @staticmethod
    def forward(ctx, a, mode):
        xp = array_module(a)
        q, r = xp.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        xp = array_module(q)
        m, n = q.shape[-2], r.shape[-1]
        if m < n or (ctx.mode == "complete" and m != n):
            raise NotImplementedError("linalg.qr backward is implemented for the reduced "
                                      "decomposition with m >= n")
        gq = xp.zeros_like(q) if gq is None else gq
        gr = xp.zeros_like(r) if gr is None else gr
        mm = r @ _mT(gr) - _mT(gq) @ q
        low = xp.tril(mm, -1)
        copyltu = low + _mT(low) + mm * xp.eye(mm.shape[-1], dtype=mm.dtype)
        rhs = gq + q @ copyltu
        # rhs R^-T = solve(R, rhs^T)^T
        return _mT(xp.linalg.solve(r, _mT(rhs))), None


class Svd(Function):
    """(U, S, Vh) = svd(A), reduced;  dA = U diag(gS) Vh plus, when U or Vh carry gradients,
    the standard terms with F_ij = 1 / (s_j^2 - s_i^2) (distinct singular values needed)"""

    @staticmethod
    def forward(ctx, a, full_matrices):
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        ctx.full = full_matrices
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        xp = array_module(s)
        k = s.shape[-1]
        if ctx.full and (gu is not None or gvh is not None) and u.shape[-1] != vh.shape[-2]:
            raise NotImplementedError("svd backward through U or Vh needs "
                                      "full_matrices=False")
        u, vh = u[..., :, :k], vh[..., :k, :]
        v = _mT(vh)
        inner = xp.zeros(s.shape + (k,), dtype=s.dtype)
        if gs is not None:
            inner = inner + gs[..., None, :] * xp.eye(k, dtype=s.dtype)
        ga = u @ inner @ vh
        if (gu is None or not gu.any()) and (gvh is None or not gvh.any()):
            return ga, None  # only S carries a gradient: no 1 / (s_j^2 - s_i^2) terms
        gu = xp.zeros_like(u) if gu is None else gu[..., :, :k]
        gv = xp.zeros_like(v) if gvh is None else _mT(gvh[..., :k, :])
        s2 = s * s
        eye = xp.eye(k, dtype=bool)
        with np.errstate(divide="ignore"):
            f = xp.where(eye, 0, 1 / xp.where(eye, 1, s2[..., None, :] - s2[..., :, None]))
        utgu, vtgv = _mT(u) @ gu, _mT(v) @ gv
        smat = s[..., None, :] * xp.eye(k, dtype=s.dtype)
        ga = ga + u @ ((f * (utgu - _mT(utgu))) @ smat) @ vh
        ga = ga + u @ (smat @ (f * (vtgv - _mT(vtgv)))) @ vh
        m, n = u.shape[-2], v.shape[-2]
        inv_s = 1 / s
        if m > k:
            ga = ga + (gu - u @ utgu) * inv_s[..., None, :] @ vh
        if n > k:
            ga = ga + u @ _mT((gv - v @ vtgv) * inv_s[..., None, :])
        return ga, None


class EuclideanCdist(Function):
    """D_ij = |x1_i - x2_j| = sqrt(|x1_i|^2 + |x2_j|^2 - 2 x1_i . x2_j) (matrix products, as
    PyTorch for large inputs);  dx1 = (G 1) x1 - G x2, dx2 = (G^T 1) x2 - G^T x1,
    G = g / D (0 where D = 0)"""

    @staticmethod
    def forward(ctx, x1, x2):
        xp = array_module(x1)
        sq = (x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :]
        sq -= 2 * (x1 @ _mT(x2))
        out = xp.sqrt(xp.maximum(sq, 0))
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, out = ctx.saved_tensors
        xp = array_module(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            gd = xp.where(out == 0, 0, g / out)
        g1 = gd.sum(-1)[..., None] * x1 - gd @ x2
        g2 = gd.sum(-2)[..., None] * x2 - _mT(gd) @ x1
        return g1, g2
