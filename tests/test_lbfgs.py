"""optim.LBFGS: against PyTorch (iterates, losses, evaluation counts and state, both line
searches, runs continued across step() calls, the stopping tests) and, without PyTorch,
against references: convergence to known minima, the two-loop recursion against a dense
BFGS inverse Hessian built with NumPy, the cubic interpolation, the Wolfe conditions."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinytorch
from tinytorch import optim
from tinytorch.optim.lbfgs import cubic_minimizer, strong_wolfe, two_loop_direction

LINE_SEARCHES = [None, "strong_wolfe"]
X0 = np.array([-1.2, 1.0, -0.5, 0.8])


def _rosenbrock(x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _closure(opt, loss_fn, log=None):
    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        if log is not None:
            log.append(float(loss.detach()))
        return loss
    return closure


def _run_rosenbrock(lib, steps, **options):
    """Iterates (after each step), the returned losses, every closure loss, and the state."""
    x = lib.tensor(X0.copy(), requires_grad=True)
    opt = lib.optim.LBFGS([x], **options)
    evaluated = []
    closure = _closure(opt, lambda: _rosenbrock(x), evaluated)
    iterates, returned = [], []
    for _ in range(steps):
        returned.append(float(opt.step(closure).detach()))
        iterates.append(x.detach().numpy().copy())
    return np.array(iterates), returned, evaluated, opt.state[x]


def _mlp_data(dtype):
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((8, 3)).astype(dtype)
    targets = np.sin(inputs.sum(1, keepdims=True)).astype(dtype)
    weights = [rng.standard_normal(s).astype(dtype) * 0.5 for s in [(3, 5), (5,), (5, 1), (1,)]]
    return inputs, targets, weights


def _run_mlp(lib, dtype, steps, hidden=True, **options):
    inputs, targets, weights = _mlp_data(dtype)
    params = [lib.tensor(w.copy(), requires_grad=True) for w in weights]
    if not hidden:  # linear regression: y = x w + b
        params = [lib.tensor(weights[0][:, :1].copy(), requires_grad=True),
                  lib.tensor(weights[3].copy(), requires_grad=True)]
    x, y = lib.tensor(inputs), lib.tensor(targets)

    def loss_fn():
        if hidden:
            w1, b1, w2, b2 = params
            out = (x @ w1 + b1).tanh() @ w2 + b2
        else:
            out = x @ params[0] + params[1]
        return ((out - y) ** 2).mean()

    opt = lib.optim.LBFGS(params, **options)
    closure = _closure(opt, loss_fn)
    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return losses, [p.detach().numpy().copy() for p in params], opt


# ----------------------------------------------------------------------------- vs PyTorch

@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
@pytest.mark.parametrize("options", [dict(max_iter=5, history_size=3),
                                     dict(lr=0.5, max_iter=4, max_eval=6),
                                     dict(max_iter=10)])
def test_rosenbrock_matches_pytorch(line_search_fn, options):
    torch = pytest.importorskip("torch")
    ours = _run_rosenbrock(tinytorch, 4, line_search_fn=line_search_fn, **options)
    ref = _run_rosenbrock(torch, 4, line_search_fn=line_search_fn, **options)
    # torch's add_(alpha=t) rounds once (a fused multiply-add), NumPy twice: the runs
    # differ by float64 rounding, which ill-conditioned Rosenbrock amplifies a little
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-7, atol=1e-9)
    assert len(ours[2]) == len(ref[2])  # the same number of closure calls, step by step
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-7, atol=1e-9)
    state, ref_state = ours[3], ref[3]
    assert sorted(state) == sorted(ref_state)
    assert (state["func_evals"], state["n_iter"]) == (ref_state["func_evals"],
                                                      ref_state["n_iter"])
    for key in ["d", "prev_flat_grad"]:
        np.testing.assert_allclose(state[key].numpy(), ref_state[key].numpy(), rtol=1e-6,
                                   atol=1e-8, err_msg=key)
    for key in ["old_dirs", "old_stps"]:
        assert len(state[key]) == len(ref_state[key])
        for a, b in zip(state[key], ref_state[key]):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-8)
    for key in ["t", "H_diag", "prev_loss"]:
        assert float(state[key]) == pytest.approx(float(ref_state[key]), rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(state["ro"], [float(r) for r in ref_state["ro"]], rtol=1e-6)


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
@pytest.mark.parametrize("hidden", [False, True], ids=["linear", "mlp"])
def test_regression_matches_pytorch(line_search_fn, hidden):
    torch = pytest.importorskip("torch")
    options = dict(lr=0.8, max_iter=6, history_size=4, line_search_fn=line_search_fn)
    for dtype, rtol in [(np.float64, 1e-8), (np.float32, 2e-3)]:
        ours = _run_mlp(tinytorch, dtype, 3, hidden, **options)
        ref = _run_mlp(torch, dtype, 3, hidden, **options)
        np.testing.assert_allclose(ours[0], ref[0], rtol=rtol, atol=rtol * 1e-2)
        for a, b in zip(ours[1], ref[1]):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-1)
        state = ours[2].state[ours[2].param_groups[0]["params"][0]]
        ref_state = ref[2].state[ref[2].param_groups[0]["params"][0]]
        assert (state["func_evals"], state["n_iter"]) == (ref_state["func_evals"],
                                                          ref_state["n_iter"])
        assert state["d"].dtype == (tinytorch.float64 if dtype == np.float64
                                    else tinytorch.float32)


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
@pytest.mark.parametrize("options", [dict(max_iter=1), dict(max_iter=3),
                                     dict(max_eval=2), dict(max_iter=8, max_eval=5),
                                     dict(tolerance_grad=1e3), dict(tolerance_change=1e-1),
                                     dict(tolerance_change=10.0, max_iter=50)])
def test_stopping_tests_match_pytorch(line_search_fn, options):
    torch = pytest.importorskip("torch")
    ours = _run_rosenbrock(tinytorch, 2, line_search_fn=line_search_fn, **options)
    ref = _run_rosenbrock(torch, 2, line_search_fn=line_search_fn, **options)
    assert (ours[3]["func_evals"], ours[3]["n_iter"]) == (ref[3]["func_evals"],
                                                          ref[3]["n_iter"])
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-9, atol=1e-12)


LINES = {  # 1-d functions and their derivatives, each from a few starting points
    "sqrt": (lambda x: np.sqrt(1 + x * x), lambda x: x / np.sqrt(1 + x * x), [-3.0, 0.2]),
    "gauss": (lambda x: -np.exp(-x * x), lambda x: 2 * x * np.exp(-x * x), [-3.0, 0.2]),
    "quartic": (lambda x: (x - 1) ** 4 + x * x, lambda x: 4 * (x - 1) ** 3 + 2 * x, [0.2]),
    "kink": (lambda x: np.abs(x - 3), lambda x: np.sign(x - 3), [-3.0]),
}


def _line(name, x0):
    f, g, _ = LINES[name]
    x, d = np.array([x0]), np.array([-np.sign(g(x0))])

    def at(t):
        return float(f(x + t * d).sum()), g(x + t * d) * d[0] * d

    return at, d


@pytest.mark.parametrize("name,x0", [(n, x0) for n, v in LINES.items() for x0 in v[2]])
@pytest.mark.parametrize("t0", [0.01, 1.0, 10.0, 100.0])
def test_line_search_matches_pytorch(name, x0, t0):
    # every branch of the search: extrapolation, zoom, interpolation too close to an end
    # (once and twice in a row), the bracket shrinking below tolerance_change
    torch = pytest.importorskip("torch")
    torch_search = getattr(pytest.importorskip("torch.optim.lbfgs"), "_strong_wolfe", None)
    if torch_search is None:
        pytest.skip("this PyTorch has no torch.optim.lbfgs._strong_wolfe")
    at, d = _line(name, x0)
    f0, g0 = at(0.0)
    gtd = np.float64(g0 @ d)
    ours = strong_wolfe(at, t0, d, f0, g0, gtd)

    def torch_at(x, t, d):
        f, g = at(float(t))
        return f, torch.tensor(g)

    ref = torch_search(torch_at, None, t0, torch.tensor(d), f0, torch.tensor(g0),
                       torch.tensor(gtd))
    assert ours[0] == pytest.approx(ref[0], rel=1e-13, abs=1e-15)
    assert float(ours[2]) == pytest.approx(float(ref[2]), rel=1e-13)
    assert ours[3] == ref[3]  # the same number of evaluations
    np.testing.assert_allclose(ours[1], ref[1].numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- references

@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
def test_convex_quadratic_reaches_its_minimum(line_search_fn):
    rng = np.random.default_rng(1)
    m = rng.standard_normal((6, 6))
    a_np = m @ m.T / 6 + np.eye(6)  # symmetric positive definite, condition number ~ 5
    b_np = rng.standard_normal(6)
    a, b = tinytorch.tensor(a_np), tinytorch.tensor(b_np)
    x = tinytorch.zeros(6, dtype=tinytorch.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=50, tolerance_change=1e-14,
                      line_search_fn=line_search_fn)
    opt.step(_closure(opt, lambda: 0.5 * (x @ (a @ x)) - b @ x))
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(a_np, b_np), atol=1e-6)


def test_rosenbrock_reaches_its_minimum():
    x = tinytorch.tensor(X0.copy(), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=200, line_search_fn="strong_wolfe")
    closure = _closure(opt, lambda: _rosenbrock(x))
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.ones(4), atol=1e-5)
    assert float(_rosenbrock(x)) < 1e-10


def test_first_step_is_scaled_gradient_descent():
    # one iteration: x <- x - lr · min(1, 1/|g|_1) · g, whatever the line search
    x = tinytorch.tensor(X0.copy(), requires_grad=True)
    opt = optim.LBFGS([x], lr=0.7, max_iter=1)
    loss = opt.step(_closure(opt, lambda: _rosenbrock(x)))
    g = _rosenbrock_grad(X0)
    np.testing.assert_allclose(x.detach().numpy(), X0 - 0.7 * min(1, 1 / np.abs(g).sum()) * g,
                               rtol=1e-15)
    assert float(loss) == pytest.approx(float(_rosenbrock(tinytorch.tensor(X0))))
    state = opt.state[x]
    assert (state["func_evals"], state["n_iter"]) == (1, 1)  # the last iteration: no re-eval


def _rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -2 * (1 - x[:-1]) - 400 * x[:-1] * (x[1:] - x[:-1] ** 2)
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


def test_evaluation_counts_without_line_search():
    # max_iter iterations re-evaluate after every move but the last; max_eval (by default
    # max_iter * 5 // 4) caps the calls
    for options, expected in [(dict(max_iter=4), (4, 4)), (dict(max_iter=3), (3, 2)),
                              (dict(max_eval=2), (2, 1)), (dict(max_iter=8, max_eval=4), (4, 3)),
                              (dict(tolerance_grad=1e9), (1, 0))]:
        x = tinytorch.tensor(X0.copy(), requires_grad=True)
        opt = optim.LBFGS([x], lr=1e-3, **options)
        opt.step(_closure(opt, lambda x=x: _rosenbrock(x)))
        assert (opt.state[x]["func_evals"], opt.state[x]["n_iter"]) == expected, options
    assert np.array_equal(x.detach().numpy(), X0)  # already "stationary": no move


def _dense_bfgs_inverse_hessian(steps, changes, gamma):
    """H after BFGS updates H <- (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ from H_0 = γ I."""
    n = steps[0].size
    h = gamma * np.eye(n)
    for s, y in zip(steps, changes):
        rho = 1 / (y @ s)
        left = np.eye(n) - rho * np.outer(s, y)
        h = left @ h @ left.T + rho * np.outer(s, s)
    return h


def test_two_loop_recursion_is_the_bfgs_inverse_hessian_product():
    rng = np.random.default_rng(2)
    n = 5
    m = rng.standard_normal((n, n))
    hessian = m @ m.T + np.eye(n)  # y = A s has y·s > 0
    steps = [rng.standard_normal(n) for _ in range(3)]
    changes = [hessian @ s for s in steps]
    gamma = (steps[-1] @ changes[-1]) / (changes[-1] @ changes[-1])
    grad = rng.standard_normal(n)
    direction = two_loop_direction(grad, steps, changes, [1 / (y @ s) for s, y in
                                                          zip(steps, changes)], gamma)
    expected = -_dense_bfgs_inverse_hessian(steps, changes, gamma) @ grad
    np.testing.assert_allclose(direction, expected, rtol=1e-10, atol=1e-12)
    # the secant equation of the newest pair: H y = s
    direction = two_loop_direction(changes[-1], steps, changes,
                                   [1 / (y @ s) for s, y in zip(steps, changes)], 2.0)
    np.testing.assert_allclose(direction, -steps[-1], rtol=1e-10)
    # no pairs: the scaled gradient
    np.testing.assert_allclose(two_loop_direction(grad, [], [], [], 3.0), -3.0 * grad)


def test_cubic_minimizer():
    # f(x) = x³/3 - x has f' = x² - 1: its local minimum is x = 1
    f, g = (lambda x: x ** 3 / 3 - x), (lambda x: x * x - 1)
    for x1, x2 in [(0.0, 3.0), (3.0, 0.0), (0.5, 1.5), (-0.5, 2.0)]:
        assert cubic_minimizer(x1, f(x1), g(x1), x2, f(x2), g(x2)) == pytest.approx(1.0)
    assert cubic_minimizer(0.0, f(0.0), g(0.0), 3.0, f(3.0), g(3.0),
                           bounds=(2.0, 5.0)) == 2.0  # clipped to the bounds
    # slopes 1 at both ends, mean slope 0.5: f' = 1 - 3x(1 - x) > 0, no minimum, the midpoint
    assert cubic_minimizer(0.0, 0.0, 1.0, 1.0, 0.5, 1.0) == 0.5
    assert cubic_minimizer(0.0, 0.0, 1.0, 1.0, 0.5, 1.0, bounds=(2.0, 4.0)) == 3.0


@pytest.mark.parametrize("t0", [1e-3, 1.0, 30.0])
def test_strong_wolfe_conditions_hold(t0):
    # along the line x(t) = x0 + t d of a 1-d quartic with its minimum at t ≈ 2.9
    x0, d = np.array([-2.0]), np.array([1.0])

    def at(t):
        x = x0 + t * d
        return float(((x - 1) ** 4 + x ** 2).sum()), 4 * (x - 1) ** 3 + 2 * x

    f0, g0 = at(0.0)
    gtd = float(g0 @ d)
    f, g, t, evals = strong_wolfe(at, t0, d, f0, g0, gtd)
    assert f <= f0 + 1e-4 * t * gtd
    assert abs(g @ d) <= 0.9 * abs(gtd)
    assert (f, g) == (at(t)[0], at(t)[1]) and 1 <= evals <= 25


# ----------------------------------------------------------------------------- state, errors

def _two_params(dtype=np.float64):
    rng = np.random.default_rng(4)
    return [tinytorch.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in [(2, 3), (4,)]]


def _two_param_loss(params):
    a, b = params
    return ((a.sum(1) - 1) ** 2).sum() + ((b - a.mean()) ** 4).sum() + (a * a).sum() * 0.1


@pytest.mark.parametrize("line_search_fn", LINE_SEARCHES)
def test_state_dict_round_trip_continues_bit_for_bit(line_search_fn, tmp_path):
    params = _two_params()
    opt = optim.LBFGS(params, lr=2, max_iter=4, max_eval=12, history_size=2,
                      line_search_fn=line_search_fn)
    closure = _closure(opt, lambda: _two_param_loss(params))
    for _ in range(2):
        opt.step(closure)
    saved_params = [p.detach().numpy().copy() for p in params]
    saved = copy.deepcopy(opt.state_dict())
    tinytorch.save(opt.state_dict(), tmp_path / "lbfgs.safetensors")
    for _ in range(2):
        opt.step(closure)
    for loaded in [saved, tinytorch.load(tmp_path / "lbfgs.safetensors")]:
        resumed = [tinytorch.tensor(a, requires_grad=True) for a in saved_params]
        opt2 = optim.LBFGS(resumed, line_search_fn=line_search_fn)
        opt2.load_state_dict(loaded)
        assert opt2.param_groups[0]["max_iter"] == 4
        closure2 = _closure(opt2, lambda r=resumed: _two_param_loss(r))
        for _ in range(2):
            opt2.step(closure2)
        for a, b in zip(params, resumed):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert opt2.state[resumed[0]]["n_iter"] == opt.state[params[0]]["n_iter"] == 16


def test_load_state_dict_casts_flat_vectors_to_the_parameters_dtype():
    params = _two_params()
    opt = optim.LBFGS(params, max_iter=2)
    opt.step(_closure(opt, lambda: _two_param_loss(params)))
    single = _two_params(np.float32)
    opt32 = optim.LBFGS(single)
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[single[0]]
    assert state["d"].dtype == tinytorch.float32 and state["d"].shape == (10,)
    assert all(s.dtype == tinytorch.float32 for s in state["old_stps"])
    assert state["d"] is not opt.state[params[0]]["d"]


def test_parameter_without_grad_stays_put():
    used, unused = tinytorch.tensor([3.0, -2.0], requires_grad=True), \
        tinytorch.tensor([5.0], requires_grad=True)
    opt = optim.LBFGS([used, unused], line_search_fn="strong_wolfe")
    opt.step(_closure(opt, lambda: ((used - 1) ** 2).sum()))
    np.testing.assert_allclose(used.detach().numpy(), [1.0, 1.0], atol=1e-6)
    assert unused.grad is None and float(unused.detach().numpy()[0]) == 5.0


def test_bad_input():
    x = tinytorch.zeros(2, requires_grad=True)
    opt = optim.LBFGS([x])
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [tinytorch.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [tinytorch.zeros(1, requires_grad=True)]})
    with pytest.raises(RuntimeError, match="strong_wolfe.*'wolfe'"):
        optim.LBFGS([x], line_search_fn="wolfe")
    opt.param_groups[0]["line_search_fn"] = "backtracking"
    with pytest.raises(RuntimeError, match="'backtracking'"):
        opt.step(lambda: (x * x).sum())
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.LBFGS([x], lr=-1)
    with pytest.raises(ValueError, match="history_size"):
        optim.LBFGS([x], history_size=0)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_bad_input_matches_pytorch_error_types():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError):
        torch.optim.LBFGS([{"params": [x]}, {"params": [torch.zeros(1, requires_grad=True)]}])
    with pytest.raises(TypeError):
        torch.optim.LBFGS([x]).step()
    with pytest.raises(RuntimeError):  # PyTorch only finds out in the line search
        opt = torch.optim.LBFGS([x], line_search_fn="wolfe")
        opt.step(_closure(opt, lambda: ((x - 1) ** 2).sum()))


# ----------------------------------------------------------------------------- a real model

def _sine_model(lib, seed=0):
    """Two LSTM cells and a linear read-out predicting the next value of a sine wave, the
    model of PyTorch's time_sequence_prediction example at a tiny size."""
    nn = lib.nn

    class Predictor(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell1, self.cell2 = nn.LSTMCell(1, 5), nn.LSTMCell(5, 5)
            self.out = nn.Linear(5, 1)

        def forward(self, series):
            zeros = lib.zeros(series.size(0), 5, dtype=lib.double)
            h1, c1, h2, c2 = zeros, zeros, zeros, zeros
            outputs = []
            for column in series.split(1, dim=1):
                h1, c1 = self.cell1(column, (h1, c1))
                h2, c2 = self.cell2(h1, (h2, c2))
                outputs.append(self.out(h2))
            return lib.cat(outputs, dim=1)

    lib.manual_seed(seed)
    return Predictor().double()


def _sine_data():
    phases = np.array([[0.0], [1.0], [2.5]])
    return np.sin(np.arange(13) / 2.0 + phases)


def _train_sine(lib, model, steps):
    data = _sine_data()
    series, target = lib.from_numpy(data[:, :-1].copy()), lib.from_numpy(data[:, 1:].copy())
    opt = lib.optim.LBFGS(model.parameters(), lr=0.8, max_iter=6)
    criterion = lib.nn.MSELoss()
    losses = []

    def closure():
        opt.zero_grad()
        loss = criterion(model(series), target)
        losses.append(loss.item())
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return losses


def test_lstm_sine_predictor_trains():
    losses = _train_sine(tinytorch, _sine_model(tinytorch), 3)
    # per step: the first call and one after each move but the last (max_eval is 7)
    assert len(losses) == 3 * 6, losses
    assert losses[-1] < 0.2 * losses[0]


def test_lstm_sine_predictor_matches_pytorch():
    torch = pytest.importorskip("torch")
    ref_model = _sine_model(torch)
    model = _sine_model(tinytorch)
    model.load_state_dict({k: tinytorch.tensor(v.detach().numpy().copy())
                           for k, v in ref_model.state_dict().items()})
    np.testing.assert_allclose(_train_sine(tinytorch, model, 2),
                               _train_sine(torch, ref_model, 2), rtol=1e-9)
