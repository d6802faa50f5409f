"""nn.Transformer family and nn.MultiheadAttention against PyTorch with copied weights
(float64: outputs, input gradients, parameter gradients, state_dict keys both ways),
whole-module gradchecks, train/eval, errors, and the seed-document model training."""

from __future__ import annotations

import numpy as np
import pytest
from nn_oracle import check_against_torch

import tinytorch
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck

E, H, FF = 8, 2, 12


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _masks(lib, kind, n, s, t=None):
    """(attn_mask, key_padding_mask) in bool or float form for a batch of n, length s."""
    t = s if t is None else t
    kpm = np.zeros((n, s), dtype=bool)
    kpm[0, -1] = True
    causal = np.triu(np.ones((t, s), dtype=bool), 1)
    if kind == "bool":
        return lib.tensor(causal), lib.tensor(kpm)
    if kind == "float":
        return (lib.tensor(np.where(causal, -np.inf, 0.0)),
                lib.tensor(np.where(kpm, -1e9, 0.0)))
    return None, None


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_encoder_layer_matches_pytorch(norm_first, activation, batch_first, masks):
    torch = pytest.importorskip("torch")
    kw = dict(dim_feedforward=FF, dropout=0.1, activation=activation, batch_first=batch_first,
              norm_first=norm_first)
    ours = nn.TransformerEncoderLayer(E, H, **kw).eval()
    theirs = torch.nn.TransformerEncoderLayer(E, H, **kw).eval()
    x = _rand(2, 5, E) if batch_first else _rand(5, 2, E)
    tm, tk = _masks(torch, masks, 2, 5)
    om, ok = _masks(tinytorch, masks, 2, 5)
    check_against_torch(ours, theirs, [x], kwargs=dict(src_mask=om, src_key_padding_mask=ok),
                        torch_kwargs=dict(src_mask=tm, src_key_padding_mask=tk))


def test_encoder_layer_without_bias_and_callable_activation():
    torch = pytest.importorskip("torch")
    ours = nn.TransformerEncoderLayer(E, H, FF, 0.0, activation=F.silu if hasattr(F, "silu")
                                      else F.tanh, bias=False, layer_norm_eps=1e-3)
    act = torch.nn.functional.silu if hasattr(F, "silu") else torch.tanh
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, 0.0, activation=act, bias=False,
                                              layer_norm_eps=1e-3)
    check_against_torch(ours, theirs, [_rand(4, 3, E)])


def test_unbatched_encoder_layer():
    torch = pytest.importorskip("torch")
    ours = nn.TransformerEncoderLayer(E, H, FF).eval()
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF).eval()
    check_against_torch(ours, theirs, [_rand(5, E)])


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_decoder_layer_matches_pytorch(norm_first, masks):
    torch = pytest.importorskip("torch")
    kw = dict(dim_feedforward=FF, norm_first=norm_first, activation="gelu")
    ours = nn.TransformerDecoderLayer(E, H, **kw).eval()
    theirs = torch.nn.TransformerDecoderLayer(E, H, **kw).eval()
    tgt, mem = _rand(4, 2, E), _rand(5, 2, E, seed=1)
    t_tm, t_tk = _masks(torch, masks, 2, 4)
    o_tm, o_tk = _masks(tinytorch, masks, 2, 4)
    _, t_mk = _masks(torch, masks, 2, 5)
    _, o_mk = _masks(tinytorch, masks, 2, 5)
    check_against_torch(
        ours, theirs, [tgt, mem],
        kwargs=dict(tgt_mask=o_tm, tgt_key_padding_mask=o_tk, memory_key_padding_mask=o_mk),
        torch_kwargs=dict(tgt_mask=t_tm, tgt_key_padding_mask=t_tk,
                          memory_key_padding_mask=t_mk))


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_pytorch(batch_first):
    torch = pytest.importorskip("torch")
    kw = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=FF, batch_first=batch_first)
    ours = nn.Transformer(**kw).eval()
    theirs = torch.nn.Transformer(**kw).eval()
    src = _rand(2, 5, E) if batch_first else _rand(5, 2, E)
    tgt = _rand(2, 4, E, seed=1) if batch_first else _rand(4, 2, E, seed=1)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    check_against_torch(
        ours, theirs, [src, tgt],
        kwargs=dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                    src_key_padding_mask=tinytorch.tensor(kpm),
                    memory_key_padding_mask=tinytorch.tensor(kpm)),
        torch_kwargs=dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4),
                          src_key_padding_mask=torch.tensor(kpm),
                          memory_key_padding_mask=torch.tensor(kpm)))


def test_encoder_with_final_norm_and_causal_mask_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF), 2,
                                 norm=nn.LayerNorm(E)).eval()
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, FF), 2,
                                         norm=torch.nn.LayerNorm(E),
                                         enable_nested_tensor=False).eval()
    mask_o = nn.Transformer.generate_square_subsequent_mask(5)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(5)
    check_against_torch(ours, theirs, [_rand(5, 3, E)], kwargs=dict(mask=mask_o,
                        is_causal=True), torch_kwargs=dict(mask=mask_t, is_causal=True))


def test_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    want = np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    np.testing.assert_array_equal(m.numpy(), want)
    assert m.dtype is tinytorch.get_default_dtype()
    from tinytorch.nn.transformer import generate_square_subsequent_mask
    assert generate_square_subsequent_mask(2, dtype=tinytorch.float64).dtype \
        is tinytorch.float64


def test_stacked_layers_are_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(E, H, FF)
    enc = nn.TransformerEncoder(layer, 3)
    ws = [m.linear1.weight for m in enc.layers]
    assert len(ws) == 3 and all(w is not layer.linear1.weight for w in ws)
    assert ws[0] is not ws[1]
    np.testing.assert_array_equal(ws[0].detach().numpy(), ws[1].detach().numpy())
    keys = list(enc.state_dict())
    assert "layers.0.self_attn.in_proj_weight" in keys
    assert "layers.2.norm2.bias" in keys and "layers.1.linear2.weight" in keys
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


def test_transformer_state_dict_keys_equal_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Transformer(E, H, 1, 1, FF)
    theirs = torch.nn.Transformer(E, H, 1, 1, FF)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_dropout_acts_in_train_mode_only():
    tinytorch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.5).double()
    x = tinytorch.tensor(_rand(4, 2, E))
    a, b = layer(x), layer(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    assert not layer.training and not layer.dropout1.training


def test_whole_encoder_decoder_gradcheck():
    tinytorch.manual_seed(0)
    model = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0).double()
    src = tinytorch.tensor(_rand(3, 2, 4), requires_grad=True)
    tgt = tinytorch.tensor(_rand(2, 2, 4, seed=1), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype=tinytorch.float64)
    assert gradcheck(lambda s, t: model(s, t, tgt_mask=mask), (src, tgt))


def test_bad_input_names_the_expected_layout():
    layer = nn.TransformerEncoderLayer(32, 4)
    with pytest.raises(RuntimeError, match=r"expected src of shape \(S, N, 32\).*got \(5, 2, 16\)"):
        layer(tinytorch.randn(5, 2, 16))
    with pytest.raises(RuntimeError, match="src_key_padding_mask of shape"):
        layer(tinytorch.randn(5, 2, 32), src_key_padding_mask=tinytorch.zeros(5, 2).bool())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(32, 4, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        model(tinytorch.randn(3, 2, 8), tinytorch.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match="feature number of src and tgt"):
        model(tinytorch.randn(3, 2, 8), tinytorch.randn(3, 2, 4))


# ------------------------------------------------------------------ MultiheadAttention


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_multihead_attention_matches_pytorch(batch_first, average, masks):
    torch = pytest.importorskip("torch")
    ours = nn.MultiheadAttention(E, H, batch_first=batch_first)
    theirs = torch.nn.MultiheadAttention(E, H, batch_first=batch_first)
    shape_q, shape_k = ((2, 4, E), (2, 5, E)) if batch_first else ((4, 2, E), (5, 2, E))
    q, k, v = _rand(*shape_q), _rand(*shape_k, seed=1), _rand(*shape_k, seed=2)
    t_am, t_kpm = _masks(torch, masks, 2, 5, t=4)
    o_am, o_kpm = _masks(tinytorch, masks, 2, 5, t=4)
    check_against_torch(ours, theirs, [q, k, v],
                        kwargs=dict(attn_mask=o_am, key_padding_mask=o_kpm,
                                    average_attn_weights=average),
                        torch_kwargs=dict(attn_mask=t_am, key_padding_mask=t_kpm,
                                          average_attn_weights=average))


def test_multihead_attention_without_weights_and_3d_mask():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.MultiheadAttention(E, H, bias=False), torch.nn.MultiheadAttention(
        E, H, bias=False)
    mask = _rand(2 * H, 3, 3) * 0.5
    x = _rand(3, 2, E)
    check_against_torch(ours, theirs, [x, x, x], kwargs=dict(need_weights=False,
                        attn_mask=tinytorch.tensor(mask)),
                        torch_kwargs=dict(need_weights=False, attn_mask=torch.tensor(mask)))


# ------------------------------------------------------- the seed-document model


def _seed_model(lib, vocab=11, d_model=16, nhead=2, num_layers=2):
    """Embedding -> TransformerEncoder -> Linear, written exactly as PyTorch users write it."""

    class TextModel(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(vocab, d_model)
            layer = lib.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=32)
            self.encoder = lib.nn.TransformerEncoder(layer, num_layers)
            self.head = lib.nn.Linear(d_model, vocab)

        def forward(self, tokens):
            return self.head(self.encoder(self.embed(tokens)))

    return TextModel()


def test_seed_document_model_trains():
    tinytorch.manual_seed(0)
    model = _seed_model(tinytorch)
    criterion = nn.CrossEntropyLoss()
    opt = tinytorch.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    tokens = tinytorch.tensor(rng.integers(0, 11, size=(6, 4)))  # (S, N)
    target = (tokens + 1) % 11
    losses = []
    for _ in range(30):
        opt.zero_grad()
        logits = model(tokens)  # (S, N, vocab)
        loss = criterion(logits.reshape(-1, 11), target.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_seed_document_model_matches_pytorch_in_eval():
    torch = pytest.importorskip("torch")
    ours, theirs = _seed_model(tinytorch).eval(), _seed_model(torch).eval()
    tokens = np.random.default_rng(1).integers(0, 11, size=(6, 4))
    check_against_torch(ours, theirs, [tokens], grad_inputs=[False])


@pytest.mark.parametrize("options", [dict(kdim=3, vdim=5), dict(add_bias_kv=True),
                                     dict(add_zero_attn=True),
                                     dict(kdim=3, vdim=5, add_bias_kv=True,
                                          add_zero_attn=True, bias=False)])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_multihead_attention_extended_options_match_pytorch(options, masks):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = nn.MultiheadAttention(E, H, **options)
    theirs = torch.nn.MultiheadAttention(E, H, **options)
    kdim, vdim = options.get("kdim", E), options.get("vdim", E)
    q, k, v = _rand(4, 2, E), _rand(5, 2, kdim, seed=1), _rand(5, 2, vdim, seed=2)
    t_am, t_kpm = _masks(torch, masks, 2, 5, t=4)
    o_am, o_kpm = _masks(tinytorch, masks, 2, 5, t=4)
    check_against_torch(ours, theirs, [q, k, v],
                        kwargs=dict(attn_mask=o_am, key_padding_mask=o_kpm),
                        torch_kwargs=dict(attn_mask=t_am, key_padding_mask=t_kpm))


def test_multihead_attention_bad_key_features():
    mha = nn.MultiheadAttention(E, H, kdim=3, vdim=5)
    with pytest.raises(RuntimeError, match="expected key features 3 and value features 5"):
        mha(tinytorch.randn(4, 2, E), tinytorch.randn(5, 2, 4), tinytorch.randn(5, 2, 5))


MHA_OPTIONS = [dict(), dict(bias_kv=True), dict(zero_attn=True), dict(separate=True),
               dict(static=True), dict(bias_kv=True, zero_attn=True, separate=True),
               dict(unbatched=True), dict(mask=True, bias_kv=True)]


@pytest.mark.parametrize("opts", MHA_OPTIONS, ids=[",".join(o) or "plain" for o in MHA_OPTIONS])
def test_functional_multi_head_attention_forward_has_pytorchs_signature(opts):
    """F.multi_head_attention_forward with PyTorch's 25 arguments, sequence-first; each
    option checked against the same call in PyTorch, and without PyTorch the plain case
    against a per-head NumPy computation."""
    rng = np.random.default_rng(3)
    L, S, N, E, H = 3, 4, 2, 4, 2
    shape_q, shape_kv = ((L, E), (S, E)) if opts.get("unbatched") else ((L, N, E), (S, N, E))
    arrays = dict(q=rng.standard_normal(shape_q), k=rng.standard_normal(shape_kv),
                  v=rng.standard_normal(shape_kv), w_in=rng.standard_normal((3 * E, E)),
                  b_in=rng.standard_normal(3 * E), w_out=rng.standard_normal((E, E)),
                  b_out=rng.standard_normal(E), bias_k=rng.standard_normal((1, 1, E)),
                  bias_v=rng.standard_normal((1, 1, E)),
                  wq=rng.standard_normal((E, E)), wk=rng.standard_normal((E, E)),
                  wv=rng.standard_normal((E, E)),
                  static_k=rng.standard_normal((N * H, S, E // H)),
                  static_v=rng.standard_normal((N * H, S, E // H)),
                  mask=rng.random((L, S)) < 0.3)

    def call(lib):
        t = {k: lib.tensor(a) for k, a in arrays.items()}
        return lib.nn.functional.multi_head_attention_forward(
            t["q"], t["k"], t["v"], E, H, t["w_in"], t["b_in"],
            t["bias_k"] if opts.get("bias_kv") else None,
            t["bias_v"] if opts.get("bias_kv") else None, bool(opts.get("zero_attn")), 0.0,
            t["w_out"], t["b_out"], training=False,
            attn_mask=t["mask"] if opts.get("mask") else None,
            use_separate_proj_weight=bool(opts.get("separate")), q_proj_weight=t["wq"],
            k_proj_weight=t["wk"], v_proj_weight=t["wv"],
            static_k=t["static_k"] if opts.get("static") else None,
            static_v=t["static_v"] if opts.get("static") else None,
            average_attn_weights=False)

    out, weights = call(tinytorch)
    if not opts:  # per head, by hand: softmax(q_h k_h^T / sqrt(d)) v_h, merged, projected
        q = arrays["q"] @ arrays["w_in"][:E].T + arrays["b_in"][:E]
        k = arrays["k"] @ arrays["w_in"][E:2 * E].T + arrays["b_in"][E:2 * E]
        v = arrays["v"] @ arrays["w_in"][2 * E:].T + arrays["b_in"][2 * E:]
        merged = np.zeros((L, N, E))
        for n in range(N):
            for h in range(H):
                cols = slice(h * E // H, (h + 1) * E // H)
                s = q[:, n, cols] @ k[:, n, cols].T / np.sqrt(E // H)
                p = np.exp(s - s.max(1, keepdims=True))
                p /= p.sum(1, keepdims=True)
                np.testing.assert_allclose(weights.numpy()[n, h], p, rtol=1e-10)
                merged[:, n, cols] = p @ v[:, n, cols]
        np.testing.assert_allclose(out.numpy(), merged @ arrays["w_out"].T + arrays["b_out"],
                                   rtol=1e-10)
    try:
        import torch
    except ImportError:
        return
    out_t, weights_t = call(torch)
    np.testing.assert_allclose(out.numpy(), out_t.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), weights_t.numpy(), rtol=1e-9, atol=1e-12)
