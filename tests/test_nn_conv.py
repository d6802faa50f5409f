"""Convolution, pooling and resampling: a NumPy loop reference, float64 gradchecks, and
PyTorch with copied weights (outputs, input and parameter gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck
from tinytorch.testing import parameters_replaced


def _rng(seed=0):
    return np.random.default_rng(seed)


def conv2d_loops(x, w, b, stride, pad, dilation, groups):
    """Direct-loop cross-correlation: the definition, one output element at a time."""
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, oc, oh, ow))
    ocg = oc // groups
    for o in range(oc):
        g = o // ocg
        for i in range(oh):
            for j in range(ow):
                for ci in range(cg):
                    for a in range(kh):
                        for bb in range(kw):
                            out[:, o, i, j] += w[o, ci, a, bb] * xp_[
                                :, g * cg + ci, i * stride[0] + a * dilation[0],
                                j * stride[1] + bb * dilation[1]]
        if b is not None:
            out[:, o] += b[o]
    return out


@pytest.mark.parametrize("stride,pad,dilation,groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 2), 2), ((1, 2), (2, 1), (2, 1), 1)])
def test_conv2d_matches_loop_reference_and_gradcheck(stride, pad, dilation, groups):
    rng = _rng()
    x = rng.standard_normal((2, 4, 6, 7))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6)
    ours = F.conv2d(tt.tensor(x), tt.tensor(w), tt.tensor(b), stride, pad, dilation, groups)
    np.testing.assert_allclose(ours.numpy(), conv2d_loops(x, w, b, stride, pad, dilation,
                                                          groups), atol=1e-12)
    args = [tt.tensor(a, requires_grad=True) for a in (x[:1, :, :5, :5], w, b)]
    assert gradcheck(lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride, pad, dilation, groups),
                     args)


GRADCHECKS = {
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, None, 2, 1, 1, 2, 1),
                         [(1, 4, 3, 3), (4, 2, 3, 2)]),
    "conv1d_same": (lambda x, w: F.conv1d(x, w, padding="same", dilation=2),
                    [(2, 3, 6), (2, 3, 3)]),
    "conv_transpose1d": (lambda x, w: F.conv_transpose1d(x, w, stride=3), [(2, 3, 4), (3, 2, 2)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(1, 2, 5, 6)]),
    "max_pool1d": (lambda x: F.max_pool1d(x, 2, dilation=2), [(2, 2, 7)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                   [(1, 2, 5, 6)]),
    "avg_pool1d": (lambda x: F.avg_pool1d(x, 3, 2, 1), [(2, 2, 7)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [(1, 2, 5, 7)]),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (3, 2)), [(1, 2, 5, 7)]),
    "interpolate_bilinear": (lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
                             [(1, 2, 3, 4)]),
    "interpolate_nearest": (lambda x: F.interpolate(x, size=(5, 3)), [(1, 2, 3, 4)]),
    "unfold": (lambda x: F.unfold(x, (2, 3), padding=1, stride=2), [(1, 2, 4, 5)]),
    "fold": (lambda x: F.fold(x, (4, 5), (2, 2)), [(1, 8, 12)]),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), [(1, 8, 2, 3)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    fn, shapes = GRADCHECKS[name]
    rng = _rng(1)
    # distinct values, so max-pooling has no ties within finite-difference reach
    args = [tt.tensor(rng.permutation(int(np.prod(s))).reshape(s) * 0.1 +
                      rng.standard_normal(s) * 0.01, requires_grad=True) for s in shapes]
    assert gradcheck(fn, args)


TORCH_CASES = [
    ("conv2d", dict(stride=2, padding=1), [(2, 4, 7, 6), (6, 4, 3, 2), (6,)]),
    ("conv2d", dict(padding="same", groups=2, dilation=2), [(2, 4, 7, 6), (6, 2, 3, 2), (6,)]),
    ("conv1d", dict(stride=2, padding="valid"), [(2, 4, 9), (3, 4, 3), (3,)]),
    ("conv_transpose2d", dict(stride=2, padding=1, output_padding=1, groups=2),
     [(2, 4, 5, 4), (4, 3, 3, 2), (6,)]),
    ("conv_transpose1d", dict(stride=2, dilation=2), [(2, 4, 5), (4, 3, 3), (3,)]),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        return_indices=True), [(2, 3, 7, 6)]),
    ("max_pool1d", dict(kernel_size=3, return_indices=True), [(2, 3, 10)]),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), [(2, 3, 7, 6)]),
    ("avg_pool2d", dict(kernel_size=2, divisor_override=3), [(2, 3, 7, 6)]),
    ("avg_pool1d", dict(kernel_size=3, stride=2, count_include_pad=False, padding=1),
     [(2, 3, 9)]),
    ("adaptive_avg_pool2d", dict(output_size=(3, None)), [(2, 3, 7, 6)]),
    ("adaptive_avg_pool1d", dict(output_size=4), [(2, 3, 7)]),
    ("adaptive_max_pool2d", dict(output_size=4, return_indices=True), [(2, 3, 7, 6)]),
    ("adaptive_max_pool1d", dict(output_size=3), [(2, 3, 7)]),
    ("interpolate", dict(scale_factor=1.7, mode="bilinear"), [(2, 3, 4, 5)]),
    ("interpolate", dict(size=(3, 11), mode="bilinear", align_corners=True), [(2, 3, 4, 5)]),
    ("interpolate", dict(scale_factor=2), [(2, 3, 4, 5)]),
    ("interpolate", dict(scale_factor=0.6, mode="nearest-exact"), [(2, 3, 4, 5)]),
    ("interpolate", dict(scale_factor=2.5, mode="linear"), [(2, 3, 4)]),
    ("unfold", dict(kernel_size=(2, 3), padding=1, stride=2), [(2, 3, 5, 6)]),
    ("fold", dict(output_size=(5, 6), kernel_size=(2, 3), padding=1, stride=(1, 2)),
     [(2, 24, 18)]),
    ("pixel_shuffle", dict(upscale_factor=2), [(2, 8, 3, 2)]),
    ("pixel_unshuffle", dict(downscale_factor=2), [(2, 3, 4, 6)]),
]


@pytest.mark.parametrize("name,kwargs,shapes", TORCH_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TORCH_CASES)])
def test_functional_matches_torch(name, kwargs, shapes):
    torch = pytest.importorskip("torch")
    rng = _rng(2)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours_in = [tt.tensor(a, requires_grad=True) for a in arrays]
    ref_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = getattr(F, name)(*ours_in, **kwargs)
    ref = getattr(torch.nn.functional, name)(*ref_in, **kwargs)
    if isinstance(ref, tuple):
        np.testing.assert_array_equal(ours[1].numpy(), ref[1].numpy())
        ours, ref = ours[0], ref[0]
    g = rng.standard_normal(tuple(ref.shape))
    ours.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    for a, b in zip(ours_in, ref_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


MODULES = [
    ("Conv2d", (4, 6, 3), dict(padding=1, padding_mode="reflect"), (2, 4, 5, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(padding=(1, 2), padding_mode="circular", groups=2,
                                    bias=False), (2, 4, 5, 6)),
    ("Conv2d", (4, 6, 3), dict(stride=2, padding_mode="replicate", padding=2), (4, 5, 6)),
    ("Conv1d", (4, 6, 3), dict(padding="same", padding_mode="replicate"), (2, 4, 7)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, output_padding=1), (2, 4, 5, 6)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, groups=2), (2, 4, 5)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("AvgPool1d", (3,), dict(stride=1, padding=1), (2, 3, 6)),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, (2, 3, 5, 6)),
    ("Upsample", (), dict(scale_factor=2, mode="bilinear", align_corners=False), (1, 2, 3, 3)),
    ("PixelShuffle", (2,), {}, (1, 8, 2, 2)),
    ("Unfold", (2,), dict(stride=2), (1, 2, 4, 4)),
]


@pytest.mark.parametrize("cls,args,kwargs,shape", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(cls, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn, cls)(*args, **kwargs).double()
    ours = getattr(nn, cls)(*args, **kwargs).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    for k, v in ref.state_dict().items():
        assert tuple(ours.state_dict()[k].shape) == tuple(v.shape)
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    assert repr(ours) == repr(ref)
    x = _rng(3).standard_normal(shape)
    xa, xt = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = ours(xa), ref(xt)
    (ya * ya).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-11)
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-11, err_msg=name)


def test_conv_init_is_pytorchs():
    # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias the same
    conv = nn.Conv2d(3, 64, 5)
    bound = 1 / np.sqrt(3 * 25)
    for p in (conv.weight, conv.bias):
        arr = p.detach().numpy()
        assert np.abs(arr).max() <= bound and np.abs(arr).max() > 0.8 * bound
    assert tuple(nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape) == (4, 3, 3, 3)


def test_small_cnn_gradchecks_whole():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(3, 2, 2), nn.AdaptiveAvgPool2d(1)).double()
    x = tt.tensor(_rng(4).standard_normal((2, 2, 4, 4)))
    names = [n for n, _ in model.named_parameters()]

    def loss_of(*leaves):
        with parameters_replaced(model, dict(zip(names, leaves))):
            return (model(x) ** 2).sum()

    assert gradcheck(loss_of, [p.detach().requires_grad_() for p in model.parameters()])


def test_errors_name_what_is_wrong():
    with pytest.raises(RuntimeError, match=r"Conv2d: expected input with 3 channels, got 4 "
                                           r"\(input shape \(2, 4, 8, 8\)\)"):
        nn.Conv2d(3, 4, 3)(tt.zeros(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match="conv2d: expected input with 3 channels"):
        F.conv2d(tt.zeros(1, 2, 5, 5), tt.zeros(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="expected a 3-D .* or 4-D"):
        F.conv2d(tt.zeros(5, 5), tt.zeros(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="strided"):
        F.conv2d(tt.zeros(1, 3, 5, 5), tt.zeros(4, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="smaller than the kernel"):
        F.conv2d(tt.zeros(1, 3, 2, 2), tt.zeros(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(tt.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="in_channels .* divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(tt.zeros(1, 1, 2, 2))
    with pytest.raises(RuntimeError, match="divisible by the square"):
        F.pixel_shuffle(tt.zeros(1, 3, 2, 2), 2)
