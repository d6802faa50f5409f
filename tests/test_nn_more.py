"""Issue 12 part A modules against PyTorch with copied weights (float64: outputs, input
gradients, parameter gradients, state_dict keys both ways), from one table; running
statistics, train/eval behaviour, whole-module gradchecks and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import check_against_torch

import tinytorch
import tinytorch.nn as nn
from tinytorch.autograd import gradcheck


def _rand(*shape, seed=0, low=None):
    x = np.random.default_rng(seed).standard_normal(shape)
    return x if low is None else np.abs(x) + low


def _prob(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


def _signs(*shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _classes(*shape, n=4, seed=0):
    return np.random.default_rng(seed).integers(0, n, shape)


# (id, "Name(args)" evaluated against tinytorch.nn and torch.nn, input arrays, train mode)
MODULES = [
    ("silu", "SiLU()", [_rand(3, 4)]),
    ("mish", "Mish()", [_rand(3, 4)]),
    ("leaky_relu", "LeakyReLU(0.2)", [_rand(3, 4)]),
    ("prelu_shared", "PReLU()", [_rand(2, 3, 4)]),
    ("prelu_channels", "PReLU(3, init=0.1)", [_rand(2, 3, 4)]),
    ("elu", "ELU(alpha=0.7)", [_rand(3, 4)]),
    ("selu", "SELU()", [_rand(3, 4)]),
    ("celu", "CELU(alpha=1.5)", [_rand(3, 4)]),
    ("softplus", "Softplus(beta=2.0, threshold=3.0)", [_rand(3, 4) * 3]),
    ("softsign", "Softsign()", [_rand(3, 4)]),
    ("hardtanh", "Hardtanh(-0.5, 0.8)", [_rand(3, 4)]),
    ("relu6", "ReLU6()", [_rand(3, 4) * 5]),
    ("hardswish", "Hardswish()", [_rand(3, 4) * 4]),
    ("hardsigmoid", "Hardsigmoid()", [_rand(3, 4) * 4]),
    ("logsigmoid", "LogSigmoid()", [_rand(3, 4) * 5]),
    ("tanhshrink", "Tanhshrink()", [_rand(3, 4)]),
    ("softshrink", "Softshrink(0.3)", [_rand(3, 4)]),
    ("hardshrink", "Hardshrink(0.3)", [_rand(3, 4)]),
    ("threshold", "Threshold(0.1, -2.0)", [_rand(3, 4)]),
    ("glu", "GLU(1)", [_rand(3, 4)]),
    ("softmin", "Softmin(dim=1)", [_rand(3, 4)]),
    ("softmax2d", "Softmax2d()", [_rand(2, 3, 2, 2)]),
    ("gelu_tanh", "GELU(approximate='tanh')", [_rand(3, 4)]),
    ("relu", "ReLU()", [_rand(3, 4)]),
    # normalisation (train mode: batch statistics)
    ("batchnorm1d_2d", "BatchNorm1d(3)", [_rand(4, 3)]),
    ("batchnorm1d_3d", "BatchNorm1d(3, affine=False)", [_rand(4, 3, 5)]),
    ("batchnorm2d", "BatchNorm2d(3, momentum=None)", [_rand(2, 3, 2, 2)]),
    ("batchnorm3d", "BatchNorm3d(2, track_running_stats=False)", [_rand(2, 2, 2, 2, 2)]),
    ("instancenorm1d", "InstanceNorm1d(3, affine=True)", [_rand(2, 3, 5)]),
    ("instancenorm1d_unbatched", "InstanceNorm1d(3)", [_rand(3, 5)]),
    ("instancenorm2d", "InstanceNorm2d(3, track_running_stats=True)", [_rand(2, 3, 2, 3)]),
    ("groupnorm", "GroupNorm(2, 4)", [_rand(2, 4, 3)]),
    ("groupnorm_noaffine", "GroupNorm(1, 4, affine=False)", [_rand(2, 4, 2, 2)]),
    ("groupnorm_nobias", "GroupNorm(2, 4, bias=False)", [_rand(2, 4, 3)]),
    ("batchnorm1d_nobias", "BatchNorm1d(3, bias=False)", [_rand(4, 3)]),
    ("layernorm_nobias", "LayerNorm(4, bias=False)", [_rand(3, 4)]),
    ("rmsnorm", "RMSNorm([2, 3])", [_rand(4, 2, 3)]),
    ("rmsnorm_eps", "RMSNorm(3, eps=1e-3, elementwise_affine=False)", [_rand(4, 3)]),
    ("lrn", "LocalResponseNorm(3, alpha=0.1)", [_rand(2, 5, 3)]),
    # losses
    ("l1", "L1Loss()", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("l1_sum", "L1Loss(reduction='sum')", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("mse_none", "MSELoss(reduction='none')", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("smooth_l1", "SmoothL1Loss(beta=0.5)", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("smooth_l1_zero", "SmoothL1Loss(beta=0.0)", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("huber", "HuberLoss(delta=0.7, reduction='sum')", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("bce", "BCELoss()", [_prob(3, 4), _prob(3, 4, seed=1)]),
    ("bce_none", "BCELoss(reduction='none')", [_prob(3, 4), _prob(3, 4, seed=1)]),
    ("bce_logits", "BCEWithLogitsLoss()", [_rand(3, 4) * 3, _prob(3, 4, seed=1)]),
    ("kl", "KLDivLoss(reduction='batchmean')", [np.log(_prob(3, 4)), _prob(3, 4, seed=1)]),
    ("kl_log_target", "KLDivLoss(reduction='sum', log_target=True)",
     [np.log(_prob(3, 4)), np.log(_prob(3, 4, seed=1))]),
    ("kl_mean", "KLDivLoss()", [np.log(_prob(3, 4)), _prob(3, 4, seed=1)]),
    ("margin_ranking", "MarginRankingLoss(margin=0.3)",
     [_rand(5), _rand(5, seed=1), _signs(5, seed=2)]),
    ("hinge_embedding", "HingeEmbeddingLoss(margin=0.5)", [_rand(3, 4), _signs(3, 4)]),
    ("cosine_embedding", "CosineEmbeddingLoss(margin=0.1)",
     [_rand(4, 3), _rand(4, 3, seed=1), _signs(4, seed=2)]),
    ("triplet", "TripletMarginLoss(margin=2.0)",
     [_rand(4, 3), _rand(4, 3, seed=1), _rand(4, 3, seed=2)]),
    ("triplet_swap_p1", "TripletMarginLoss(p=1, swap=True)",
     [_rand(4, 3), _rand(4, 3, seed=1), _rand(4, 3, seed=2)]),
    ("soft_margin", "SoftMarginLoss()", [_rand(3, 4), _signs(3, 4)], [True, False]),
    ("multilabel_soft_margin", "MultiLabelSoftMarginLoss()",
     [_rand(3, 4), (_rand(3, 4, seed=1) > 0).astype(float)]),
    ("multi_margin", "MultiMarginLoss()", [_rand(5, 4), _classes(5)]),
    ("multi_margin_p2", "MultiMarginLoss(p=2, margin=0.5, reduction='none')",
     [_rand(5, 4), _classes(5)]),
    ("multilabel_margin", "MultiLabelMarginLoss()",
     [_rand(3, 4), np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 0]])]),
    ("multilabel_margin_none", "MultiLabelMarginLoss(reduction='none')",
     [_rand(3, 4), np.array([[2, -1, 0, 0], [0, 2, 3, -1], [1, 1, -1, 0]])]),
    ("poisson", "PoissonNLLLoss()", [_rand(3, 4), _rand(3, 4, seed=1, low=0.0)]),
    ("poisson_full", "PoissonNLLLoss(log_input=False, full=True)",
     [_rand(3, 4, low=0.1), _rand(3, 4, seed=1, low=0.5) * 3]),
    ("gaussian", "GaussianNLLLoss()", [_rand(3, 4), _rand(3, 4, seed=1),
                                       _rand(3, 4, seed=2, low=0.1)]),
    ("gaussian_full_hom", "GaussianNLLLoss(full=True, reduction='sum')",
     [_rand(3, 4), _rand(3, 4, seed=1), _rand(3, seed=2, low=0.1)]),
    ("nll_nd", "NLLLoss()", [_rand(3, 4, 2), _classes(3, 2)]),
    ("ce_nd", "CrossEntropyLoss(label_smoothing=0.1)", [_rand(3, 4, 2), _classes(3, 2)]),
    ("ce_probs", "CrossEntropyLoss()", [_rand(3, 4), _prob(3, 4, seed=1)]),
    ("ce_probs_smooth", "CrossEntropyLoss(reduction='none', label_smoothing=0.2)",
     [_rand(3, 4, 2), _prob(3, 4, 2, seed=1)]),
    # layers
    ("flatten", "Flatten()", [_rand(2, 3, 4)]),
    ("flatten_dims", "Flatten(0, 1)", [_rand(2, 3, 4)]),
    ("unflatten", "Unflatten(1, (2, 3))", [_rand(2, 6)]),
    ("identity", "Identity(3, unused=True)", [_rand(2, 3)]),
    ("bilinear", "Bilinear(3, 2, 4)", [_rand(5, 3), _rand(5, 2, seed=1)]),
    ("bilinear_nobias", "Bilinear(3, 2, 4, bias=False)", [_rand(2, 5, 3), _rand(2, 5, 2)]),
    ("cosine_similarity", "CosineSimilarity(dim=1)", [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("pairwise_distance", "PairwiseDistance(p=3.0, keepdim=True)",
     [_rand(3, 4), _rand(3, 4, seed=1)]),
    ("channel_shuffle", "ChannelShuffle(2)", [_rand(2, 4, 3)]),
]


def _build(lib_nn, spec):
    return eval(spec, {"__builtins__": {}}, vars(lib_nn))


def _params(keep=lambda spec: True):
    return [pytest.param(row[1], row[2], row[3] if len(row) > 3 else None, id=row[0])
            for row in MODULES if keep(row[1])]


@pytest.mark.parametrize("spec,arrays,grad_inputs", _params())
def test_module_matches_pytorch(spec, arrays, grad_inputs):
    torch = pytest.importorskip("torch")
    tinytorch.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = _build(nn, spec), _build(torch.nn, spec)
    check_against_torch(ours, theirs, arrays, grad_inputs=grad_inputs)
    assert repr(ours) == repr(theirs)
    # buffers (running statistics) moved the same way
    for (name, b), (name_t, b_t) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert name == name_t
        np.testing.assert_allclose(b.numpy(), b_t.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("spec,arrays,grad_inputs",
                         _params(lambda s: "Norm" in s and "Loss" not in s))
def test_norm_modules_match_pytorch_in_eval_after_training(spec, arrays, grad_inputs):
    torch = pytest.importorskip("torch")
    ours, theirs = _build(nn, spec).double(), _build(torch.nn, spec).double()
    for step in range(3):  # move the running statistics, then evaluate with them
        x = _rand(*arrays[0].shape, seed=10 + step)
        ours(tinytorch.tensor(x))
        theirs(torch.tensor(x))
    ours.eval()
    theirs.eval()
    check_against_torch(ours, theirs, arrays)


def test_batchnorm_state_dict_and_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    xs = [_rand(5, 2, seed=s) for s in range(3)]
    for x in xs:
        bn(tinytorch.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0))
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([x.var(0, ddof=1) for x in xs], 0))
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    bn(tinytorch.tensor(xs[0]))
    assert bn.num_batches_tracked.item() == 3


def test_batchnorm_train_and_eval_differ():
    bn = nn.BatchNorm1d(3).double()
    x = tinytorch.tensor(_rand(6, 3) * 4 + 2)
    train_out = bn(x).detach().numpy()
    np.testing.assert_allclose(train_out.mean(0), 0, atol=1e-12)
    bn.eval()
    eval_out = bn(x).detach().numpy()
    assert not np.allclose(train_out, eval_out)


def test_norm_modules_gradcheck_whole():
    tinytorch.manual_seed(0)
    for module, shape in ((nn.BatchNorm2d(2), (3, 2, 2, 2)), (nn.GroupNorm(2, 4), (2, 4, 3)),
                          (nn.InstanceNorm1d(2, affine=True), (2, 2, 4)),
                          (nn.RMSNorm(3), (2, 3))):
        module = module.double()
        x = tinytorch.tensor(_rand(*shape), requires_grad=True)
        assert gradcheck(lambda t, m=module: m(t), (x,)), module


def test_norm_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"BatchNorm2d: expected input with 3 channels, got 4"):
        nn.BatchNorm2d(3)(tinytorch.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(tinytorch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tinytorch.randn(1, 3))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)


# ------------------------------------------------------------------ embeddings


@pytest.mark.parametrize("kwargs", [dict(padding_idx=1), dict(scale_grad_by_freq=True),
                                    dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0)])
def test_embedding_options_match_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Embedding(5, 3, **kwargs), torch.nn.Embedding(5, 3, **kwargs)
    idx = np.array([[0, 1, 1], [3, 1, 4]])
    check_against_torch(ours, theirs, [idx], grad_inputs=[False])
    assert repr(ours) == repr(theirs)
    # max_norm renormalised the same rows of both weights in place
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy())


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_pytorch(mode):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.EmbeddingBag(6, 3, mode=mode), torch.nn.EmbeddingBag(6, 3, mode=mode)
    check_against_torch(ours, theirs, [np.array([[0, 2, 2], [5, 1, 0]])],
                        grad_inputs=[False])
    ours, theirs = nn.EmbeddingBag(6, 3, mode=mode, padding_idx=2), torch.nn.EmbeddingBag(
        6, 3, mode=mode, padding_idx=2)
    flat, offsets = np.array([0, 2, 2, 5, 1, 4, 3]), np.array([0, 3, 3, 5])  # one empty bag
    check_against_torch(ours, theirs, [flat, offsets], grad_inputs=[False, False])
    assert repr(ours) == repr(theirs)


def test_embedding_bag_per_sample_weights_and_last_offset():
    torch = pytest.importorskip("torch")
    ours = nn.EmbeddingBag(6, 3, mode="sum", include_last_offset=True)
    theirs = torch.nn.EmbeddingBag(6, 3, mode="sum", include_last_offset=True)
    flat, offsets, w = np.array([0, 2, 2, 5, 1]), np.array([0, 2, 5]), _rand(5)
    check_against_torch(ours, theirs, [flat, offsets, w], grad_inputs=[False, False, True])


def test_embedding_from_pretrained_freezes_and_copies_options():
    w = tinytorch.tensor(_rand(4, 3))
    emb = nn.Embedding.from_pretrained(w, padding_idx=0, max_norm=2.0)
    assert not emb.weight.requires_grad and emb.padding_idx == 0 and emb.max_norm == 2.0
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    bag = nn.EmbeddingBag.from_pretrained(w, mode="max")
    assert bag.mode == "max" and not bag.weight.requires_grad


# ------------------------------------------------------------------ containers


def test_parameter_list_and_dict_register_their_entries():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([tinytorch.ones(2) for _ in range(2)])
            self.extra = nn.ParameterDict({"shift": nn.Parameter(tinytorch.zeros(2))})

        def forward(self, x):
            for s in self.scales:
                x = x * s
            return x + self.extra["shift"]

    model = Model()
    assert list(model.state_dict()) == ["scales.0", "scales.1", "extra.shift"]
    assert all(isinstance(p, nn.Parameter) for p in model.scales)
    model.scales.append(tinytorch.ones(2))
    model.extra["more"] = tinytorch.zeros(1)
    assert len(model.scales) == 3 and "more" in model.extra
    assert len(list(model.parameters())) == 5
    model(tinytorch.ones(2)).sum().backward()
    assert model.extra["shift"].grad.tolist() == [1.0, 1.0]
    assert model.scales[-1] is model.scales[2]
    with pytest.raises(IndexError, match="out of range"):
        model.scales[5]
    with pytest.raises(KeyError, match="no parameter 'nope'"):
        model.extra["nope"]


def test_parameter_containers_repr_like_pytorch():
    pl = nn.ParameterList([nn.Parameter(tinytorch.zeros(2, 3))])
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [tinytorch.float32 "
                        "of size 2x3]\n)")


# ------------------------------------------------------------------ dropout and in-place


@pytest.mark.parametrize("cls,shape", [("Dropout1d", (4, 6, 5)), ("Dropout2d", (4, 6, 2, 3)),
                                       ("Dropout3d", (2, 6, 2, 2, 2)),
                                       ("Dropout1d", (6, 5))])
def test_channel_dropout_zeroes_whole_channels_in_training_only(cls, shape):
    tinytorch.manual_seed(0)
    drop = getattr(nn, cls)(p=0.5)
    x = tinytorch.ones(*shape, dtype=tinytorch.float64)
    y = drop(x).numpy()
    unbatched_dims = {"Dropout1d": 2, "Dropout2d": 3, "Dropout3d": 4}[cls]
    lead = 1 if len(shape) == unbatched_dims else 2  # (C, ...) or (N, C, ...)
    per_channel = y.reshape(int(np.prod(shape[:lead])), -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert all(len(set(row)) == 1 for row in per_channel)  # a channel is kept or dropped
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())


def test_alpha_dropout_keeps_selu_statistics():
    tinytorch.manual_seed(0)
    x = tinytorch.randn(200000, dtype=tinytorch.float64)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert nn.AlphaDropout(0.2).eval()(x) is x


def test_inplace_activations():
    x = tinytorch.tensor([-1.0, 2.0])
    out = nn.ReLU(inplace=True)(x)
    assert out is x and x.tolist() == [0.0, 2.0]
    y = tinytorch.tensor([-1.0, 2.0])
    F = nn.functional
    assert F.relu_(y) is y and y.tolist() == [0.0, 2.0]
    z = tinytorch.tensor([-1.0, 2.0])
    F.leaky_relu(z, 0.5, inplace=True)
    assert z.tolist() == [-0.5, 2.0]
    # on a graph tensor the result is out of place and the gradient is right
    w = tinytorch.tensor([-1.0, 2.0], requires_grad=True)
    h = w * 1
    nn.ReLU(inplace=True)(h).sum().backward()
    assert w.grad.tolist() == [0.0, 1.0]


def test_bad_layer_input_names_the_problem():
    with pytest.raises(RuntimeError, match=r"bilinear: input1 \(2, 4\)"):
        nn.Bilinear(3, 2, 4)(tinytorch.randn(2, 4), tinytorch.randn(2, 2))
    with pytest.raises(RuntimeError, match="halving dimension must be even"):
        nn.GLU()(tinytorch.randn(2, 3))
    with pytest.raises(RuntimeError, match="weight has 2 entries.*3 channels"):
        nn.functional.prelu(tinytorch.randn(2, 3), tinytorch.ones(2))
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D"):
        nn.functional.pad(tinytorch.randn(3), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        nn.functional.pad(tinytorch.randn(1, 3), (3, 3), mode="reflect")


def test_sequential_and_module_list_editing_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (nn, torch.nn):
        seq = lib.Sequential(lib.ReLU(), lib.Tanh())
        seq.insert(-1, lib.Identity())
        seq.extend([lib.Sigmoid()])
        assert [type(m).__name__ for m in seq] == ["ReLU", "Identity", "Tanh", "Sigmoid"]
        assert type(seq.pop(0)).__name__ == "ReLU"
        assert list(seq._modules) == ["0", "1", "2"]
        assert len(seq + lib.Sequential(lib.ReLU())) == 4
        ml = lib.ModuleList([lib.ReLU(), lib.ReLU(), lib.Tanh()])
        assert len(ml + ml) == 6 and type(ml.pop(-1)).__name__ == "Tanh"
    assert repr(nn.ModuleList([nn.ReLU()] * 3 + [nn.Tanh()])) == repr(
        torch.nn.ModuleList([torch.nn.ReLU()] * 3 + [torch.nn.Tanh()]))


PADDINGS = [("ZeroPad1d", ((1, 2),), (2, 3, 4), "constant", {}),
            ("ZeroPad2d", (1,), (2, 3, 4, 5), "constant", {}),
            ("ConstantPad1d", ((1, 2), 3.5), (2, 3, 4), "constant", {"constant_values": 3.5}),
            ("ConstantPad3d", (1, 0.5), (1, 2, 3, 4, 2), "constant", {"constant_values": 0.5}),
            ("ReflectionPad1d", (2,), (2, 3, 4), "reflect", {}),
            ("ReflectionPad2d", ((1, 2, 2, 1),), (2, 3, 4, 5), "reflect", {}),
            ("ReplicationPad1d", (2,), (2, 3, 4), "edge", {}),
            ("ReplicationPad3d", (1,), (1, 2, 3, 4, 5), "edge", {}),
            ("CircularPad1d", (1,), (2, 3, 4), "wrap", {}),
            ("CircularPad2d", ((1, 0, 2, 1),), (2, 3, 4, 5), "wrap", {})]


@pytest.mark.parametrize("name,args,shape,np_mode,np_kw", PADDINGS,
                         ids=[p[0] for p in PADDINGS])
def test_padding_layers(name, args, shape, np_mode, np_kw):
    """Each padding layer against np.pad, gradchecked, and against PyTorch when present."""
    layer = getattr(nn, name)(*args)
    x = np.random.default_rng(0).standard_normal(shape)
    n = int(name[-2])
    pads = layer.padding  # (left_last, right_last, left_prev, ...)
    widths = [(0, 0)] * (len(shape) - n) + [(pads[2 * i], pads[2 * i + 1])
                                            for i in reversed(range(n))]
    np.testing.assert_allclose(layer(tinytorch.tensor(x)).numpy(),
                               np.pad(x, widths, np_mode, **np_kw))
    assert gradcheck(lambda t: layer(t), [tinytorch.tensor(x, requires_grad=True)])
    try:
        import torch
    except ImportError:
        return
    theirs = getattr(torch.nn, name)(*args)
    np.testing.assert_allclose(layer(tinytorch.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())
    assert repr(layer) == repr(theirs)
