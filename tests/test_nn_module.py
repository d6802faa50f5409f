"""nn.Module and the containers: registration, traversal, state_dict, modes, moves, repr."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn


class Block(nn.Module):
    def __init__(self, n=4):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.norm = nn.LayerNorm(n)
        self.register_buffer("mask", tt.tril(tt.ones(n, n)))
        self.register_buffer("cache", tt.zeros(n), persistent=False)
        self.scale = nn.Parameter(tt.ones(1))
        self.plain = 3  # ordinary attributes are not registered

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.head = nn.Linear(3, 5, bias=False)
        self.head.weight = self.emb.weight  # weight tying as in GPT-2


def test_registration_and_traversal():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ["scale", "fc.weight", "fc.bias",
                                                    "norm.weight", "norm.bias"]
    assert [n for n, _ in b.named_buffers()] == ["mask", "cache"]
    assert [n for n, _ in b.named_modules()] == ["", "fc", "norm"]
    assert list(b.children()) == [b.fc, b.norm]
    assert b.plain == 3 and "plain" not in b._parameters
    assert len(list(b.modules())) == 3
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'nope'"):
        _ = b.nope


def test_tied_parameters_listed_once_but_both_keys_in_state_dict():
    m = Tied()
    assert [n for n, _ in m.named_parameters()] == ["emb.weight"]
    assert list(m.state_dict()) == ["emb.weight", "head.weight"]
    assert m.head.weight is m.emb.weight


def test_state_dict_excludes_non_persistent_buffers_and_shares_memory():
    b = Block()
    sd = b.state_dict()
    assert list(sd) == ["scale", "mask", "fc.weight", "fc.bias", "norm.weight", "norm.bias"]
    assert not sd["fc.weight"].requires_grad
    with tt.no_grad():
        b.fc.weight.data[0, 0] = 42.0
    assert sd["fc.weight"].numpy()[0, 0] == 42.0


def test_load_state_dict_round_trip_and_errors_name_keys():
    tt.manual_seed(0)
    a, b = Block(), Block()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = tt.randn(2, 4)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())

    sd = a.state_dict()
    del sd["fc.bias"]
    sd["extra.weight"] = tt.zeros(2)
    with pytest.raises(RuntimeError) as err:
        b.load_state_dict(sd)
    assert '"fc.bias"' in str(err.value) and '"extra.weight"' in str(err.value)
    result = b.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == ["extra.weight"]

    sd = a.state_dict()
    sd["fc.weight"] = tt.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc.weight.*\(3, 4\).*\(4, 4\)"):
        b.load_state_dict(sd, strict=False)


def test_load_state_dict_keeps_parameter_identity():
    a, b = Block(), Block()
    w = b.fc.weight
    b.load_state_dict(a.state_dict())
    assert b.fc.weight is w
    np.testing.assert_array_equal(w.detach().numpy(), a.fc.weight.detach().numpy())


def test_state_dict_keys_and_weights_interchange_with_torch():
    torch = pytest.importorskip("torch")

    class TorchBlock(torch.nn.Module):
        def __init__(self, n=4):
            super().__init__()
            self.fc = torch.nn.Linear(n, n)
            self.norm = torch.nn.LayerNorm(n)
            self.register_buffer("mask", torch.tril(torch.ones(n, n)))
            self.register_buffer("cache", torch.zeros(n), persistent=False)
            self.scale = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.norm(self.fc(x)) * self.scale

    ours, ref = Block(), TorchBlock()
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(tt.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    ours2 = Block()
    ours2.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    np.testing.assert_allclose(ours2(tt.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ModuleList([nn.LayerNorm(4),
                                                                    nn.Dropout(0.1)]),
                         nn.GELU("tanh"), nn.Embedding(10, 4), nn.Softmax(dim=-1),
                         nn.Identity())
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                              torch.nn.ModuleList([torch.nn.LayerNorm(4),
                                                   torch.nn.Dropout(0.1)]),
                              torch.nn.GELU("tanh"), torch.nn.Embedding(10, 4),
                              torch.nn.Softmax(dim=-1), torch.nn.Identity())
    assert repr(ours) == repr(ref)


def test_multihead_attention_repr_matches_torch():
    torch = pytest.importorskip("torch")
    assert repr(nn.MultiheadAttention(8, 2)) == repr(torch.nn.MultiheadAttention(8, 2))


def test_deepcopy_gives_independent_parameters():
    import copy

    m = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3))
    clone = copy.deepcopy(m)
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    assert clone[0].weight is not m[0].weight
    np.testing.assert_array_equal(clone[0].weight.detach().numpy(),
                                  m[0].weight.detach().numpy())
    with tt.no_grad():
        clone[0].weight.data[...] = 0
    assert m[0].weight.detach().numpy().any()


def test_train_eval_and_apply():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert m.training and m[1][0].training
    assert m.eval() is m
    assert not m.training and not m[1][0].training
    m.train()
    assert m[1][0].training
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Dropout", "Sequential", "Sequential"]
    with pytest.raises(ValueError):
        m.train("yes")


def test_to_dtype_keeps_parameter_identity_and_converts_buffers():
    b = Block()
    w = b.fc.weight
    b.to(tt.float64)
    assert b.fc.weight is w and w.dtype is tt.float64
    assert b.mask.dtype is tt.float64 and w.requires_grad
    out = b(tt.randn(2, 4, dtype=tt.float64))
    assert out.dtype is tt.float64
    b.float()
    assert w.dtype is tt.float32
    with pytest.raises(TypeError, match="floating point"):
        b.to(tt.int64)


def test_zero_grad_and_requires_grad():
    b = Block()
    b(tt.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in b.parameters())
    b.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in b.parameters())
    b.zero_grad()
    assert all(p.grad is None for p in b.parameters())
    b.requires_grad_(False)
    assert not any(p.requires_grad for p in b.parameters())


def test_assignment_rules():
    b = Block()
    with pytest.raises(TypeError, match="parameter 'scale'"):
        b.scale = tt.ones(1)
    b.scale = None
    assert "scale" not in dict(b.named_parameters())
    b.mask = tt.zeros(4, 4)
    assert b.mask.numpy().sum() == 0
    with pytest.raises(KeyError, match="already exists"):
        b.register_buffer("fc", tt.zeros(1))

    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super"):
        Early()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_sequential_operations():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[-1], nn.Linear)
    head = s[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert tuple(head(tt.randn(4, 2)).shape) == (4, 3)
    s.append(nn.Tanh())
    assert [n for n, _ in s.named_children()] == ["0", "1", "2", "3"]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("a", nn.Linear(2, 2)), ("b", nn.ReLU())]))
    assert list(named.state_dict()) == ["a.weight", "a.bias"]
    with pytest.raises(IndexError, match="out of range"):
        s[7]


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    ml.insert(0, nn.ReLU())
    assert len(ml) == 5 and isinstance(ml[0], nn.ReLU)
    assert [n for n, _ in ml.named_parameters()][0] == "1.weight"
    del ml[0]
    assert isinstance(ml[0], nn.Linear) and len(ml) == 4
    md = nn.ModuleDict({"enc": nn.Linear(2, 2), "dec": nn.Linear(2, 3)})
    assert list(md.keys()) == ["enc", "dec"] and "enc" in md
    assert list(md.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    with pytest.raises(KeyError, match="no module 'mid'"):
        md["mid"]
    md.pop("enc")
    assert list(md) == ["dec"]


def test_parameters_of_nested_model_train_together():
    """A small model built from these modules learns a linear map (the pieces compose)."""
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.GELU(), nn.Linear(16, 1))
    r = np.random.default_rng(0)
    x = tt.tensor(r.standard_normal((64, 3)).astype(np.float32))
    y = x @ tt.tensor([[1.0], [-2.0], [0.5]])
    first = None
    for _ in range(200):
        loss = nn.functional.mse_loss(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with tt.no_grad():
            for p in model.parameters():
                p.data -= 0.05 * p.grad.data
    assert loss.item() < 0.05 * first


def test_get_submodule_and_parameter():
    m = nn.Sequential(Block())
    assert m.get_submodule("0.fc") is m[0].fc
    assert m.get_parameter("0.fc.bias") is m[0].fc.bias
    with pytest.raises(AttributeError, match="no submodule 'zz'"):
        m.get_submodule("0.zz")
