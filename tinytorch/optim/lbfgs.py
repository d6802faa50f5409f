"""L-BFGS (Liu & Nocedal 1989) with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``.

The method follows Nocedal & Wright, *Numerical Optimization* (2nd ed.): the two-loop
recursion of Algorithm 7.4 for the search direction, the bracketing line search of
Algorithm 3.5 with the zoom of Algorithm 3.6, and the cubic interpolation of eq. (3.59)
for the trial steps. The choices the recursion leaves open (the starting step, when to skip
a curvature pair, the stopping tests) are PyTorch's, after minFunc, so that the iterates
equal PyTorch's up to float rounding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from ._single import check_options
from .optimizer import Optimizer, _cast_state

__all__ = ["LBFGS"]

# the state entries that are vectors over all parameters at once (length = total numel)
_FLAT_KEYS = ("d", "prev_flat_grad", "old_dirs", "old_stps")
# a curvature pair (s, y) with y·s at or below this is skipped: it would break positive
# definiteness of the inverse-Hessian approximation
_MIN_CURVATURE = 1e-10


class LBFGS(Optimizer):
    r"""Limited-memory BFGS over all parameters seen as one flat vector ``x``.

    ``step(closure)`` needs a closure that zeroes the gradients, recomputes the loss
    ``f(x)``, calls ``backward()`` and returns the loss; a parameter whose ``.grad`` is None
    counts as a zero gradient. One ``step`` runs up to ``max_iter`` iterations of::

        d <- -g                                         the very first iteration
        otherwise, with the last step s = t d and y = g - g_prev:
            if y·s > 1e-10: keep (s, y, ρ = 1 / y·s), dropping the oldest pair past
                            history_size, and set γ = y·s / y·y
            d <- -H g by the two-loop recursion (H_0 = γ I, pairs i = 1..m):
                q <- -g;    for i = m..1:  α_i = ρ_i s_i·q,  q <- q - α_i y_i
                r <- γ q;   for i = 1..m:  β_i = ρ_i y_i·r,  r <- r + (α_i - β_i) s_i
                d <- r
        t <- lr · min(1, 1 / |g|_1) the very first iteration, lr after
        stop if g·d > -tolerance_change                 (d is no descent direction)
        line_search_fn="strong_wolfe": t <- a step with (c1 = 1e-4, c2 = 0.9)
            f(x + t d) <= f(x) + c1 t g·d   and   |∇f(x + t d)·d| <= c2 |g·d|
        x <- x + t d, then f and g at the new x (not re-evaluated on the last
                                                 iteration when there is no line search)

    and stops early once it has called the closure ``max_eval`` times (default
    ``max_iter * 5 // 4``), when ``max|g| <= tolerance_grad`` (also before the first
    iteration), when ``max|t d| <= tolerance_change`` or when the loss changed by less than
    ``tolerance_change``. Returns the loss of the closure's first call.

    The state lives with the first parameter, under PyTorch's keys, and carries the run on
    from one ``step`` to the next: ``func_evals`` and ``n_iter`` (totals), ``d`` and ``t``
    (the last direction and step), ``old_dirs`` (the y's), ``old_stps`` (the s's), ``ro``,
    ``H_diag`` (γ), ``prev_flat_grad``, ``prev_loss`` and ``al`` (the α's, scratch). Only one
    parameter group is allowed, and all parameters must be on one device.
    """

    def __init__(self, params: Iterable, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        lr = check_options("LBFGS", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if history_size < 1:
            raise ValueError(f"LBFGS: history_size must be at least 1, got {history_size}")
        _check_line_search(line_search_fn)
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Only the first group is accepted: L-BFGS treats all parameters as one vector."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): "
                             "pass all parameters in one group")
        super().add_param_group(param_group)

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # ------------------------------------------------------------------ flat views
    def _gather_flat_grad(self):
        """All gradients as one flat array, in parameter order (zeros where .grad is None)."""
        pieces = []
        for p in self._params:
            grad = self._grad_of(p)
            if grad is None:
                xp = backend.get_array_module(p._data)
                grad = xp.zeros(p._data.shape, dtype=p._data.dtype)
            pieces.append(grad.reshape(-1))
        modules = {backend.get_array_module(g) for g in pieces}
        if len(modules) > 1:
            devices = sorted({str(p.device) for p in self._params})
            raise RuntimeError(f"LBFGS: all parameters must be on one device, got {devices}")
        return modules.pop().concatenate(pieces)

    def _move(self, t, d) -> None:
        """x <- x + t d, in place on each parameter's array."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._bump_version()
            p._data += t * d[offset:offset + n].reshape(p._data.shape)
            offset += n

    def _set_params(self, arrays) -> None:
        for p, a in zip(self._params, arrays):
            p._bump_version()
            p._data[...] = a

    def _loss_and_grad_at(self, closure, x, t, d):
        """f and g at x + t d; the parameters are put back to ``x`` afterwards."""
        self._move(t, d)
        loss = float(self._evaluate_closure(closure))
        flat_grad = self._gather_flat_grad()
        self._set_params(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any] | None = None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure call."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step needs a closure: a function that zeroes the gradients, "
                            "recomputes the loss, calls loss.backward() and returns the loss "
                            f"(got {closure!r})")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        _check_line_search(line_search_fn)

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._evaluate_closure(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        xp = backend.get_array_module(flat_grad)
        if xp.abs(flat_grad).max() <= tolerance_grad:
            return first_loss  # already stationary

        d, t = _array(state.get("d")), _array(state.get("t"))
        ys_list = [_array(y) for y in state.get("old_dirs", [])]
        ss_list = [_array(s) for s in state.get("old_stps", [])]
        rhos = [_array(r) for r in state.get("ro", [])]
        h_diag = _array(state.get("H_diag", 1))
        prev_flat_grad, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # -------- the search direction
            if state["n_iter"] == 1:
                d = -flat_grad
                ys_list, ss_list, rhos, h_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = xp.dot(y, s)
                if ys > _MIN_CURVATURE:
                    if len(ys_list) == history_size:
                        del ys_list[0], ss_list[0], rhos[0]
                    ys_list.append(y)
                    ss_list.append(s)
                    rhos.append(1.0 / ys)
                    h_diag = ys / xp.dot(y, y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = two_loop_direction(flat_grad, ss_list, ys_list, rhos, h_diag, state["al"])
            prev_flat_grad, prev_loss = flat_grad, loss

            # -------- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = xp.dot(flat_grad, d)
            if gtd > -tolerance_change:
                break  # not a descent direction (to tolerance): nothing more to gain

            new_evals = 0
            if line_search_fn == "strong_wolfe":
                x_start = [p._data.copy() for p in self._params]
                loss, flat_grad, t, new_evals = strong_wolfe(
                    functools.partial(self._loss_and_grad_at, closure, x_start, d=d), t, d,
                    loss, flat_grad, gtd, tolerance_change=tolerance_change,
                    max_evals=max_eval - evals)
                self._move(t, d)
                converged = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._move(t, d)
                converged = False
                if n_iter != max_iter:
                    # the fixed step's loss and gradient; skipped on the last iteration, whose
                    # values the next step() call evaluates anyway
                    loss = float(self._evaluate_closure(closure))
                    flat_grad = self._gather_flat_grad()
                    converged = xp.abs(flat_grad).max() <= tolerance_grad
                    new_evals = 1
            evals += new_evals
            state["func_evals"] += new_evals

            # -------- stopping tests
            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if xp.abs(d * t).max() <= tolerance_change:
                break  # the step no longer moves x
            if abs(loss - prev_loss) < tolerance_change:
                break  # the loss no longer moves

        state.update(d=_tensor(d), t=_number(t), old_dirs=[_tensor(y) for y in ys_list],
                     old_stps=[_tensor(s) for s in ss_list], ro=[_number(r) for r in rhos],
                     H_diag=_number(h_diag), prev_flat_grad=_tensor(prev_flat_grad),
                     prev_loss=prev_loss)
        if "al" in state:
            state["al"] = [_number(a) for a in state["al"]]
        return first_loss

    # ------------------------------------------------------------------ state dict
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """``Optimizer.load_state_dict``, with the flat vectors (``d``, ``prev_flat_grad``,
        the history) copied to the first parameter's dtype and device: they have the length
        of all parameters together, not the first parameter's shape."""
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            super().load_state_dict(state_dict)  # raises its error about the layout
            return
        plain, flat = {}, {}
        for index, entries in state_dict["state"].items():
            if isinstance(entries, dict):
                flat[index] = {k: v for k, v in entries.items() if k in _FLAT_KEYS}
                entries = {k: v for k, v in entries.items() if k not in _FLAT_KEYS}
            plain[index] = entries
        super().load_state_dict({**state_dict, "state": plain})
        saved_indices = state_dict["param_groups"][0]["params"]
        for index, param in zip(saved_indices, self._params):
            if flat.get(index):
                xp = backend.get_array_module(param._data)
                size = sum(p._data.size for p in self._params)
                stand_in = Tensor._make(xp.empty(size, dtype=param._data.dtype))
                self.state[param].update(_cast_state(stand_in, flat[index], index))


def two_loop_direction(grad, steps: list, grad_changes: list, rhos: list, h_diag,
                       alphas: list | None = None):
    """``-H g``: the L-BFGS inverse-Hessian approximation times the gradient, negated.

    ``H`` is what BFGS updates ``H <- (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ`` make of
    ``H_0 = h_diag · I`` with the pairs ``(s_i, y_i, ρ_i)`` oldest first, computed in
    O(m n) without forming ``H`` (Nocedal & Wright, Algorithm 7.4). ``alphas``, when given,
    receives the α's (a list at least as long as the history).
    """
    xp = backend.get_array_module(grad)
    m = len(steps)
    if alphas is None:
        alphas = [None] * m
    q = -grad
    for i in range(m - 1, -1, -1):  # newest pair first
        alphas[i] = xp.dot(steps[i], q) * rhos[i]
        q -= alphas[i] * grad_changes[i]
    r = q * h_diag
    for i in range(m):  # oldest pair first
        beta = xp.dot(grad_changes[i], r) * rhos[i]
        r += (alphas[i] - beta) * steps[i]
    return r


def strong_wolfe(loss_and_grad_at: Callable, t, d, loss, grad, gtd, *, c1: float = 1e-4,
                 c2: float = 0.9, tolerance_change: float = 1e-9, max_evals: int = 25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions
    ``f(t) <= f(0) + c1 t f'(0)`` and ``|f'(t)| <= c2 |f'(0)|`` (``f'(t) = ∇f(x + t d)·d``).

    ``loss_and_grad_at(t)`` returns the loss and the flat gradient at ``x + t d``; ``loss``,
    ``grad`` and ``gtd`` are f(0), ∇f(x) and f'(0) < 0. First the trial step grows (by
    extrapolating cubics, at most 10x a time) until an interval is known to hold a good step;
    then the interval shrinks around it by cubic interpolation (Nocedal & Wright, Algorithms
    3.5 and 3.6). At most ``max_evals`` evaluations after the first; when they run out, the
    best point seen is returned. Returns ``(loss, grad, t, evaluations)`` at the chosen step.
    """
    xp = backend.get_array_module(d)
    d_norm = xp.abs(d).max()
    f_new, g_new = loss_and_grad_at(t)
    evals, trials = 1, 0
    gtd_new = xp.dot(g_new, d)
    # a point on the line is (t, f, grad, f'); `ends` is the bracket, `prev` the last point
    prev = (0, loss, grad, gtd)
    ends = None
    while trials < max_evals:
        if f_new > loss + c1 * t * gtd or (trials > 1 and f_new >= prev[1]):
            ends = [prev, (t, f_new, g_new, gtd_new)]  # too long a step: a good one is before
            break
        if abs(gtd_new) <= -c2 * gtd:
            return f_new, g_new, t, evals  # strong Wolfe already holds
        if gtd_new >= 0:
            ends = [prev, (t, f_new, g_new, gtd_new)]  # past a minimum along the line
            break
        # still descending: extrapolate, between 1.01 t - 0.01 t_prev and 10 t
        next_t = cubic_minimizer(prev[0], prev[1], prev[3], t, f_new, gtd_new,
                                 bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev = (t, f_new, g_new, gtd_new)
        t = next_t
        f_new, g_new = loss_and_grad_at(t)
        evals += 1
        gtd_new = xp.dot(g_new, d)
        trials += 1
    if ends is None:  # out of evaluations while extrapolating
        ends = [(0, loss, grad, None), (t, f_new, g_new, None)]
        return _lower(ends) + (evals,)

    # zoom: shrink the bracket [ends[0], ends[1]] until a point meets the conditions
    low = 0 if ends[0][1] <= ends[1][1] else 1  # the end with the lower loss
    stalled = False
    while trials < max_evals:
        (a, fa, _, ga), (b, fb, _, gb) = ends
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = cubic_minimizer(a, fa, ga, b, fb, gb)
        lo, hi = min(a, b), max(a, b)
        margin = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < margin:
            # a trial this close to an end shrinks the bracket little; the second time in a
            # row (or on the end itself) move it to 10% of the bracket inside the nearer end
            if stalled or t >= hi or t <= lo:
                t = hi - margin if abs(t - hi) < abs(t - lo) else lo + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = loss_and_grad_at(t)
        evals += 1
        gtd_new = xp.dot(g_new, d)
        trials += 1
        point = (t, f_new, g_new, gtd_new)
        if f_new > loss + c1 * t * gtd or f_new >= ends[low][1]:
            ends[1 - low] = point  # not low enough: the new high end
            low = 0 if ends[0][1] <= ends[1][1] else 1
        else:
            done = abs(gtd_new) <= -c2 * gtd
            if not done and gtd_new * (ends[1 - low][0] - ends[low][0]) >= 0:
                ends[1 - low] = ends[low]  # the minimum lies on the other side of the point
            ends[low] = point
            if done:
                break
    t, f_new, g_new, _ = ends[low]
    return f_new, g_new, t, evals


def _lower(ends):
    """``(loss, grad, t)`` of the bracket end with the lower loss (the first on a tie)."""
    t, f, g, _ = ends[0] if ends[0][1] <= ends[1][1] else ends[1]
    return f, g, t


def cubic_minimizer(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic with values f1, f2 and slopes g1, g2 at x1, x2, clipped to
    ``bounds`` (default: between x1 and x2); their midpoint when the cubic has none.

    With ``a <= b`` the two points: ``d1 = g_a + g_b - 3 (f_a - f_b) / (a - b)``,
    ``d2 = sqrt(d1² - g_a g_b)`` and ``x = b - (b - a) (g_b + d2 - d1) / (g_b - g_a + 2 d2)``
    (Nocedal & Wright, eq. 3.59).
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    if x1 <= x2:
        (a, fa, ga), (b, fb, gb) = (x1, f1, g1), (x2, f2, g2)
    else:
        (a, fa, ga), (b, fb, gb) = (x2, f2, g2), (x1, f1, g1)
    d1 = ga + gb - 3 * (fa - fb) / (a - b)
    d2_square = d1 ** 2 - ga * gb
    if d2_square < 0:
        return (lo + hi) / 2.0
    xp = backend.get_array_module(d2_square)
    d2 = xp.sqrt(d2_square)
    with np.errstate(divide="ignore", invalid="ignore"):  # a kink (g_b - g_a + 2 d2 = 0):
        x = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2))  # inf, as in PyTorch
    return min(max(x, lo), hi)


def _check_line_search(line_search_fn) -> None:
    if line_search_fn not in (None, "strong_wolfe"):
        raise RuntimeError(f"LBFGS: only line_search_fn='strong_wolfe' (or None) is "
                           f"supported, got {line_search_fn!r}")


def _array(value):
    """A state entry as the array the step works on (the state keeps Tensors)."""
    return value._data if isinstance(value, Tensor) else value


def _tensor(array):
    return None if array is None else Tensor._make(array)


def _number(value):
    """A scalar for the state: a Python float (exact for float32 and float64 scalars)."""
    return value if value is None or isinstance(value, int) else float(value)
