"""Recurrent layers against PyTorch with copied weights (outputs, final states, input,
state and parameter gradients), float64 gradchecks, packing, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
from tinytorch.autograd import gradcheck
from tinytorch.nn.utils import rnn as rnn_utils
from tinytorch.testing import parameters_replaced


def _rng(seed=0):
    return np.random.default_rng(seed)


def _load(ours, ref):
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})


def _close(a, b, atol=1e-12):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol)


CASES = [
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(bias=False)),
    ("RNN", dict(nonlinearity="relu", bidirectional=True)),
    ("RNN", dict(num_layers=2, bias=False)),
]


@pytest.mark.parametrize("cls,kwargs", CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CASES)])
def test_matches_torch_with_initial_state(cls, kwargs):
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn, cls)(3, 4, **kwargs).double()
    ours = getattr(nn, cls)(3, 4, **kwargs).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert repr(ours) == repr(ref)
    _load(ours, ref)
    rng = _rng()
    batch_first = kwargs.get("batch_first", False)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    states = 2 if kwargs.get("bidirectional") else 1
    states *= kwargs.get("num_layers", 1)
    h0 = rng.standard_normal((states, 2, kwargs.get("proj_size") or 4))
    c0 = rng.standard_normal((states, 2, 4))
    xt, xa = torch.tensor(x, requires_grad=True), tt.tensor(x, requires_grad=True)
    ht, ha = torch.tensor(h0, requires_grad=True), tt.tensor(h0, requires_grad=True)
    ct, ca = torch.tensor(c0, requires_grad=True), tt.tensor(c0, requires_grad=True)
    if cls == "LSTM":
        ot, (hnt, cnt) = ref(xt, (ht, ct))
        oa, (hna, cna) = ours(xa, (ha, ca))
        _close(cna, cnt)
        lt, la = (ot ** 2).sum() + hnt.sum() + (cnt ** 3).sum(), \
            (oa ** 2).sum() + hna.sum() + (cna ** 3).sum()
    else:
        ot, hnt = ref(xt, ht)
        oa, hna = ours(xa, ha)
        lt, la = (ot ** 2).sum() + hnt.sum(), (oa ** 2).sum() + hna.sum()
    _close(oa, ot)
    _close(hna, hnt)
    lt.backward()
    la.backward()
    _close(xa.grad, xt.grad)
    _close(ha.grad, ht.grad)
    if cls == "LSTM":
        _close(ca.grad, ct.grad)
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-12, err_msg=name)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(cls):
    torch = pytest.importorskip("torch")
    ref, ours = getattr(torch.nn, cls)(3, 4).double(), getattr(nn, cls)(3, 4).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    _load(ours, ref)
    x = _rng(1).standard_normal((2, 3))
    xt, xa = torch.tensor(x, requires_grad=True), tt.tensor(x, requires_grad=True)
    yt, ya = ref(xt), ours(xa)
    if cls == "LSTMCell":
        _close(ya[1], yt[1])
        yt, ya = yt[0] + yt[1], ya[0] + ya[1]
    _close(ya, yt)
    ya.sum().backward()
    yt.sum().backward()
    _close(xa.grad, xt.grad)
    # unbatched input and a given state
    h = _rng(2).standard_normal(4)
    state_t = (torch.tensor(h), torch.tensor(h)) if cls == "LSTMCell" else torch.tensor(h)
    state_a = (tt.tensor(h), tt.tensor(h)) if cls == "LSTMCell" else tt.tensor(h)
    yt, ya = ref(torch.tensor(x[0]), state_t), ours(tt.tensor(x[0]), state_a)
    _close(ya[0] if cls == "LSTMCell" else ya, yt[0] if cls == "LSTMCell" else yt)


def test_unbatched_and_dropout_train_eval():
    torch = pytest.importorskip("torch")
    ref, ours = torch.nn.GRU(3, 4, 2, dropout=0.5).double(), nn.GRU(3, 4, 2, dropout=0.5).double()
    _load(ours, ref)
    x = _rng(3).standard_normal((5, 3))
    ours.eval()
    ref.eval()
    _close(ours(tt.tensor(x))[0], ref(torch.tensor(x))[0])
    ours.train()
    a, b = ours(tt.tensor(x))[0], ours(tt.tensor(x))[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # dropout between layers


def test_packed_sequences_match_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as torch_rnn

    rng = _rng(4)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 5, 3)]
    ref = torch.nn.LSTM(3, 4, bidirectional=True).double()
    ours = nn.LSTM(3, 4, bidirectional=True).double()
    _load(ours, ref)
    st = [torch.tensor(s, requires_grad=True) for s in seqs]
    sa = [tt.tensor(s, requires_grad=True) for s in seqs]
    pt = torch_rnn.pack_sequence(st, enforce_sorted=False)
    pa = rnn_utils.pack_sequence(sa, enforce_sorted=False)
    _close(pa.data, pt.data)
    assert pa.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert pa.sorted_indices.tolist() == pt.sorted_indices.tolist()
    ot, (ht, ct) = ref(pt)
    oa, (ha, ca) = ours(pa)
    padded_t, len_t = torch_rnn.pad_packed_sequence(ot, batch_first=True, total_length=6)
    padded_a, len_a = rnn_utils.pad_packed_sequence(oa, batch_first=True, total_length=6)
    assert len_a.tolist() == len_t.tolist()
    _close(padded_a, padded_t)
    _close(ha, ht)
    _close(ca, ct)
    ((padded_t ** 2).sum() + ht.sum()).backward()
    ((padded_a ** 2).sum() + ha.sum()).backward()
    for a, b in zip(sa, st):
        _close(a.grad, b.grad)
    for p, q in zip(ours.parameters(), ref.parameters()):
        _close(p.grad, q.grad)


def test_pad_sequence_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as torch_rnn

    seqs = [_rng(5).standard_normal((n, 2)) for n in (3, 1, 2)]
    for kwargs in (dict(), dict(batch_first=True, padding_value=-1.0),
                   dict(padding_side="left")):
        _close(rnn_utils.pad_sequence([tt.tensor(s) for s in seqs], **kwargs),
               torch_rnn.pad_sequence([torch.tensor(s) for s in seqs], **kwargs))
    padded = rnn_utils.pad_sequence([tt.tensor(s) for s in seqs])
    back = rnn_utils.unpad_sequence(padded, [3, 1, 2])
    for a, s in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), s)


def test_pack_sequence_reference_layout():
    # data is t-major over sequences longest first: the definition, written out
    seqs = [tt.tensor([[1.0], [2.0], [3.0]]), tt.tensor([[4.0], [5.0]]), tt.tensor([[6.0]])]
    packed = rnn_utils.pack_sequence(seqs)
    assert packed.data.reshape(-1).tolist() == [1.0, 4.0, 6.0, 2.0, 5.0, 3.0]
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_sequence(seqs[::-1])


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_gradcheck_whole(cls):
    tt.manual_seed(0)
    kwargs = dict(proj_size=2) if cls == "LSTM" else {}
    model = getattr(nn, cls)(2, 3, num_layers=2, bidirectional=True, **kwargs).double()
    x = tt.tensor(_rng(6).standard_normal((3, 2, 2)), requires_grad=True)
    names = [n for n, _ in model.named_parameters()]

    def loss_of(x_, *leaves):
        with parameters_replaced(model, dict(zip(names, leaves))):
            out, h = model(x_)
        h = h[0] + h[1].sum() if cls == "LSTM" else h
        return (out ** 2).sum() + (h ** 3).sum()

    assert gradcheck(loss_of, [x] + [p.detach().requires_grad_() for p in model.parameters()])


def test_gradcheck_masked_steps():
    from tinytorch.ops import rnn as R

    rng = _rng(7)
    mask = np.array([[1, 1], [1, 0], [0, 0]], dtype=np.float64)[:, :, None]
    args = [tt.tensor(rng.standard_normal(s), requires_grad=True)
            for s in [(3, 2, 2), (2, 3), (2, 3), (12, 2), (12, 3), (12,), (12,)]]
    for reverse in (False, True):
        assert gradcheck(lambda x, h, c, wi, wh, bi, bh, rev=reverse: R.LSTMLayer.apply(
            x, h, c, wi, wh, bi, bh, None, mask, rev), args)
        assert gradcheck(lambda x, h, wi, wh, bi, bh, rev=reverse: R.GRULayer.apply(
            x, h, None, wi[:9], wh[:9], bi[:9], bh[:9], None, mask, rev),
            [args[0], args[1]] + args[3:])


def test_errors():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):
        lstm(tt.zeros(2, 1, 5))
    with pytest.raises(RuntimeError, match="expected hidden\\[0\\] of size \\(1, 1, 4\\)"):
        lstm(tt.zeros(2, 1, 3), (tt.zeros(1, 2, 4), tt.zeros(1, 1, 4)))
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        nn.GRU(3, 4)(tt.zeros(3))


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 5e-7), (np.float64, 1e-15)])
def test_gate_sigmoid_keeps_relative_accuracy_in_the_tails(dtype, rtol):
    """The recurrent cells' sigmoid against 1 / (1 + exp(-a)) in extended precision, for
    gates far below and above 0 (the tanh form it replaced was off by 4e-3 relative at
    a = -9 in float32: (tanh(a / 2) + 1) / 2 cancels there)."""
    from tinytorch.ops.rnn import _sigmoid

    a = np.concatenate([np.linspace(-80, 80, 641), [0.0, -1e-9, 1e-9]]).astype(dtype)
    exact = 1 / (1 + np.exp(-a.astype(np.longdouble)))
    got = _sigmoid(np, a)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.astype(np.longdouble), exact, rtol=rtol, atol=0)
