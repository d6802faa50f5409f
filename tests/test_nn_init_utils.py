"""nn.init (formulas, statistics, seeding) and nn.utils (clipping, flattening) vs PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
from tinytorch.nn import init, utils


@pytest.mark.parametrize("shape", [(30, 20), (8, 4, 3, 3), (5, 7, 2)])
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    ours = init._calculate_fan_in_and_fan_out(tt.empty(*shape))
    ref = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert ours == ref


@pytest.mark.parametrize("args", [("linear",), ("relu",), ("tanh",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("selu",), ("sigmoid",)])
def test_calculate_gain_matches_torch(args):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tt.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg"):
        init.kaiming_normal_(tt.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def _stats(fill, shape=(400, 300)):
    t = tt.empty(*shape)
    out = fill(t)
    assert out is t  # in place, returns its argument
    return t.numpy()


def test_uniform_family_bounds_and_spread():
    tt.manual_seed(0)
    cases = [
        (lambda t: init.uniform_(t, -0.5, 2.0), -0.5, 2.0),
        (lambda t: init.xavier_uniform_(t, gain=2.0), -2 * math.sqrt(6 / 700),
         2 * math.sqrt(6 / 700)),
        (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), -math.sqrt(6 / 300),
         math.sqrt(6 / 300)),
        (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), -1 / math.sqrt(300),
         1 / math.sqrt(300)),
    ]
    for fill, lo, hi in cases:
        v = _stats(fill)
        assert v.min() >= lo and v.max() <= hi
        assert abs(v.mean() - (lo + hi) / 2) < 0.01 * (hi - lo)
        assert abs(v.std() - (hi - lo) / math.sqrt(12)) < 0.01 * (hi - lo)


def test_normal_family_spread():
    tt.manual_seed(1)
    cases = [
        (lambda t: init.normal_(t, 1.0, 0.02), 1.0, 0.02),
        (lambda t: init.xavier_normal_(t), 0.0, math.sqrt(2 / 700)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), 0.0,
         math.sqrt(2 / 400)),
    ]
    for fill, mean, std in cases:
        v = _stats(fill)
        assert abs(v.mean() - mean) < 0.01 * std + 1e-3 * abs(mean)
        assert abs(v.std() - std) < 0.01 * std


def test_trunc_normal_respects_bounds():
    tt.manual_seed(2)
    v = _stats(lambda t: init.trunc_normal_(t, mean=0.0, std=1.0, a=-0.5, b=1.0))
    assert v.min() >= -0.5 and v.max() <= 1.0
    # the mean of N(0, 1) truncated to [-0.5, 1]: (phi(a) - phi(b)) / (Phi(b) - Phi(a))
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    expected = (phi(-0.5) - phi(1.0)) / (cdf(1.0) - cdf(-0.5))
    assert abs(v.mean() - expected) < 0.01
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(tt.empty(3), a=1.0, b=0.0)


def test_constant_family_and_eye():
    assert (_stats(init.zeros_, (3, 4)) == 0).all()
    assert (_stats(init.ones_, (3, 4)) == 1).all()
    assert (_stats(lambda t: init.constant_(t, 0.25), (3, 4)) == 0.25).all()
    np.testing.assert_array_equal(_stats(init.eye_, (3, 4)), np.eye(3, 4))


def test_init_is_seeded_and_works_on_parameters():
    p = nn.Parameter(tt.empty(5, 6))
    tt.manual_seed(7)
    init.normal_(p)
    first = p.detach().numpy().copy()
    tt.manual_seed(7)
    init.normal_(p)
    np.testing.assert_array_equal(first, p.detach().numpy())
    assert p.requires_grad and p.grad_fn is None


# ----------------------------------------------------------------------------- utils


def _grads_pair(seed=0, scale=1.0):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [r.standard_normal(s) * scale for s in shapes]
    ours = [nn.Parameter(tt.zeros(*s, dtype=tt.float64)) for s in shapes]
    ref = [torch.nn.Parameter(torch.zeros(*s, dtype=torch.float64)) for s in shapes]
    for p, q, g in zip(ours, ref, grads):
        p.grad = tt.tensor(g)
        q.grad = torch.tensor(g)
    return ours, ref


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0),
                                                (0.3, math.inf), (2.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    ours, ref = _grads_pair()
    total_ours = utils.clip_grad_norm_(ours, max_norm, norm_type)
    total_ref = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert total_ours.item() == pytest.approx(total_ref.item(), rel=1e-12)
    for p, q in zip(ours, ref):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_single_tensor_nonfinite_and_no_grads():
    p = nn.Parameter(tt.zeros(3))
    p.grad = tt.tensor([3.0, 4.0, 0.0])
    total = utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(5.0)
    assert np.linalg.norm(p.grad.numpy()) == pytest.approx(1.0, rel=1e-5)
    p.grad = tt.tensor([math.inf, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert utils.clip_grad_norm_([nn.Parameter(tt.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    ours, ref = _grads_pair(1, scale=2.0)
    utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(ref, 0.7)
    for p, q in zip(ours, ref):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
        assert np.abs(p.grad.numpy()).max() <= 0.7


def test_parameters_to_vector_and_back():
    torch = pytest.importorskip("torch")
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    vec = utils.parameters_to_vector(model.parameters())
    ref_vec = torch.nn.utils.parameters_to_vector(ref.parameters())
    np.testing.assert_array_equal(vec.detach().numpy(), ref_vec.detach().numpy())
    # the vector is differentiable: d(sum(vec * c))/dp = c sliced back
    c = np.arange(vec.shape[0], dtype=np.float32)
    (vec * tt.tensor(c)).sum().backward()
    np.testing.assert_array_equal(model[0].weight.grad.numpy().reshape(-1), c[:6])
    utils.vector_to_parameters(tt.tensor(c), model.parameters())
    np.testing.assert_array_equal(model[1].bias.detach().numpy(), c[-2:])
    with pytest.raises(RuntimeError, match="expected"):
        utils.vector_to_parameters(tt.zeros(3), model.parameters())
