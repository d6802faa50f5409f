"""models.transformer: masks, whole-model gradcheck, padding/batch properties, decoding,
training helpers, PyTorch's nn.Transformer as the oracle, and learning to reverse."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytorch as torch
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck
from tinytorch.models import LabelSmoothingLoss, Transformer, TransformerConfig
from tinytorch.models.transformer import causal_mask, noam_lr, padding_mask, target_mask
from tinytorch.testing import parameters_replaced

PAD, BOS, EOS = 0, 1, 2
V = 9  # tiny vocabulary: pad, bos, eos and six symbols


def tiny_transformer(seed: int = 0, dtype=torch.float64, device: str = "cpu",
                     **overrides) -> Transformer:
    options = dict(d_model=8, n_head=2, n_layer=1, d_ff=16, dropout=0.0, max_len=16)
    options.update(overrides)
    torch.manual_seed(seed)
    model = Transformer(TransformerConfig(V, V, **options)).to(dtype).to(device)
    model.eval()
    return model


def padded_rows(rng: np.random.Generator, lengths, width: int, vocab: int = V, start=None):
    """(B, width) int64: row b has lengths[b] symbols (ids >= 3), then padding."""
    rows = np.full((len(lengths), width), PAD, dtype=np.int64)
    for b, n in enumerate(lengths):
        rows[b, :n] = rng.integers(3, vocab, size=n)
        if start is not None:
            rows[b, 0] = start
    return torch.tensor(rows)


# ----------------------------------------------------------------------------- masks


def test_mask_helpers_follow_the_attend_is_true_convention():
    src = torch.tensor([[5, 6, PAD], [7, PAD, PAD]])
    m = padding_mask(src, PAD)
    assert tuple(m.shape) == (2, 1, 1, 3) and m.dtype is torch.bool
    assert m[:, 0, 0].tolist() == [[True, True, False], [True, False, False]]
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False],
                                       [True, True, True]]
    tgt = torch.tensor([[BOS, 4, PAD]])
    assert target_mask(tgt, PAD)[0, 0].tolist() == [[True, False, False], [True, True, False],
                                                    [True, True, False]]


@pytest.mark.assignment5
def test_masked_keys_get_no_attention_weight():
    # the convention as scaled_dot_product_attention applies it: a False key is ignored
    rng = np.random.default_rng(0)
    q, k, v = (torch.tensor(rng.standard_normal((1, 1, 2, 4))) for _ in range(3))
    mask = padding_mask(torch.tensor([[5, PAD]]), PAD)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(v.numpy()[:, :, :1], (1, 1, 2, 4)),
                               atol=1e-12)


# ----------------------------------------------------------------------------- forward


@pytest.mark.assignment8
def test_forward_shape_and_clear_errors(device):
    model = tiny_transformer(device=device)
    rng = np.random.default_rng(1)
    src = padded_rows(rng, [5, 3], 5).to(device)
    tgt = padded_rows(rng, [4, 2], 4, start=BOS).to(device)
    assert tuple(model(src, tgt).shape) == (2, 4, V)
    assert tuple(model.encode(src).shape) == (2, 5, 8)
    with pytest.raises(ValueError, match="batch size"):
        model(src, tgt[:1])
    with pytest.raises(ValueError, match="max_len"):
        model(padded_rows(rng, [17], 17).to(device), tgt[:1])
    with pytest.raises(ValueError, match="share_embeddings"):
        Transformer(TransformerConfig(9, 10, share_embeddings=True))


def test_shared_embeddings_are_one_matrix():
    model = tiny_transformer(share_embeddings=True)
    w = model.src_embed.lut.weight
    assert model.tgt_embed.lut.weight is w and model.generator.weight is w
    assert sum(p is w for p in model.parameters()) == 1


def test_the_n_layers_are_independent_copies():
    model = tiny_transformer(n_layer=3)
    layers = list(model.encoder.layers) + list(model.decoder.layers)
    assert len(layers) == 6
    weights = [layer.self_attn.q_proj.weight for layer in layers]
    assert len({id(w) for w in weights}) == 6
    assert not np.allclose(weights[0].detach().numpy(), weights[1].detach().numpy())
    assert model.encoder.norm is None and tiny_transformer(norm_first=True).encoder.norm


@pytest.mark.parametrize("options", [{"norm_first": False},
                                     {"norm_first": True, "share_embeddings": True}],
                         ids=["post-norm", "pre-norm-shared"])
def test_whole_model_gradcheck_every_parameter(options):
    model = tiny_transformer(**options)
    rng = np.random.default_rng(2)
    src = padded_rows(rng, [5, 3], 5)
    tgt = padded_rows(rng, [4, 2], 4, start=BOS)
    gold = padded_rows(rng, [4, 2], 4)
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    loss_fn = LabelSmoothingLoss(0.1, ignore_index=PAD)

    def fn(*leaves):
        with parameters_replaced(model, dict(zip(names, leaves))):
            logits = model(src, tgt)
            return logits, loss_fn(logits, gold)

    assert gradcheck(fn, tuple(params), max_elements=4)


# ----------------------------------------------------------------------------- properties


@pytest.mark.assignment8
@settings(max_examples=20)  # two forward passes per example on a tiny model
@given(seed=st.integers(0, 2**16), lengths=st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_padded_source_tokens_never_change_real_outputs(seed, lengths):
    model = tiny_transformer()
    rng = np.random.default_rng(seed)
    src = padded_rows(rng, lengths, 6)
    src_mask = padding_mask(src, PAD)  # fixed: only the tokens under the padding change
    scrambled = src.clone()
    noise = torch.tensor(rng.integers(0, V, size=tuple(src.shape)))
    scrambled = torch.where(src == PAD, noise, scrambled)
    tgt = padded_rows(rng, [4] * len(lengths), 4, start=BOS)
    with torch.no_grad():
        a = model(src, tgt, src_mask=src_mask)
        b = model(scrambled, tgt, src_mask=src_mask)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-12)


@pytest.mark.assignment8
@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), src_lengths=st.lists(st.integers(1, 6), min_size=1,
                                                        max_size=3),
       tgt_len=st.integers(1, 5), norm_first=st.booleans())
def test_a_batch_equals_its_rows_one_by_one(seed, src_lengths, tgt_len, norm_first):
    model = tiny_transformer(norm_first=norm_first)
    rng = np.random.default_rng(seed)
    src = padded_rows(rng, src_lengths, 6)
    tgt_lengths = rng.integers(1, tgt_len + 1, size=len(src_lengths))
    tgt = padded_rows(rng, tgt_lengths, tgt_len, start=BOS)
    with torch.no_grad():
        together = model(src, tgt)
        for b, (n_src, n_tgt) in enumerate(zip(src_lengths, tgt_lengths)):
            # the row alone, its padding stripped: real target positions must agree
            alone = model(src[b:b + 1, :n_src], tgt[b:b + 1, :n_tgt])
            np.testing.assert_allclose(together[b, :n_tgt].numpy(), alone[0].numpy(), rtol=0,
                                       atol=1e-12)


# ----------------------------------------------------------------------------- decoding


@pytest.mark.assignment8
def test_greedy_decode_pads_after_eos_and_beam_one_equals_greedy(device):
    # an untrained model with a strong pull towards eos ends rows at different lengths
    model = tiny_transformer(seed=3, device=device)
    with torch.no_grad():
        model.generator.bias[EOS] = 0.6
    src = padded_rows(np.random.default_rng(4), [6, 4, 2, 5, 3, 1], 6).to(device)
    greedy = model.greedy_decode(src, max_len=7)
    assert (greedy[:, 0] == BOS).all()
    ended = 0
    for row in greedy[:, 1:].tolist():
        if EOS in row:
            ended += 1
            assert all(t == PAD for t in row[row.index(EOS) + 1:])
        assert PAD not in row[:row.index(EOS) if EOS in row else len(row)]
    assert ended >= 2
    beam1 = model.beam_search(src, beam_size=1, max_len=7)
    assert beam1.tolist() == greedy.tolist()


@pytest.mark.assignment8
def test_greedy_decode_picks_the_argmax_at_every_step():
    model = tiny_transformer(seed=5)
    src = padded_rows(np.random.default_rng(6), [4, 3], 4)
    ys = model.greedy_decode(src, max_len=5)
    with torch.no_grad():
        logits = model(src, ys[:, :-1])
    logits[..., PAD] = -math.inf  # pad and bos are never emitted
    logits[..., BOS] = -math.inf
    expected = logits.argmax(dim=-1)
    for b in range(2):
        row = ys[b, 1:].tolist()
        n = row.index(EOS) + 1 if EOS in row else len(row)
        assert row[:n] == expected[b, :n].tolist()


@pytest.mark.assignment8
def test_beam_search_scores_at_least_greedy_on_a_random_model():
    model = tiny_transformer(seed=7)
    src = padded_rows(np.random.default_rng(8), [6, 5, 4, 3], 6)
    greedy = model.greedy_decode(src, max_len=6)
    beam = model.beam_search(src, beam_size=4, max_len=6)
    g, b = model.sequence_log_prob(src, greedy), model.sequence_log_prob(src, beam)
    assert (b.numpy() >= g.numpy() - 1e-9).all()
    with pytest.raises(ValueError, match="beam_size"):
        model.beam_search(src, beam_size=0)


@pytest.mark.assignment8
def test_sequence_log_prob_counts_tokens_up_to_eos():
    model = tiny_transformer(seed=9)
    src = padded_rows(np.random.default_rng(10), [3], 3)
    ys = torch.tensor([[BOS, 4, EOS, PAD]])
    with torch.no_grad():
        logp = F.log_softmax(model(src, ys[:, :2]), dim=-1)
    expected = logp[0, 0, 4].item() + logp[0, 1, EOS].item()
    assert abs(model.sequence_log_prob(src, ys).item() - expected) < 1e-12


# ----------------------------------------------------------------------------- training aids


def test_label_smoothing_loss_is_the_smoothed_cross_entropy():
    rng = np.random.default_rng(11)
    logits = torch.tensor(rng.standard_normal((2, 3, 5)))
    target = torch.tensor([[1, 4, 0], [2, 0, 0]])
    loss = LabelSmoothingLoss(0.2, ignore_index=0)(logits, target).item()
    z = logits.numpy().reshape(-1, 5)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    t = target.numpy().reshape(-1)
    keep = t != 0
    per_row = -(0.8 * logp[keep, t[keep]] + 0.2 * logp[keep].mean(-1))
    assert abs(loss - per_row.mean()) < 1e-12


def test_noam_rate_warms_up_linearly_then_decays_as_inverse_sqrt():
    d, warmup = 512, 4000
    assert math.isclose(noam_lr(1000, d, warmup), noam_lr(2000, d, warmup) / 2)
    peak = noam_lr(warmup, d, warmup)
    assert math.isclose(peak, d ** -0.5 * warmup ** -0.5)
    assert max(noam_lr(s, d, warmup) for s in range(1, 20000, 7)) <= peak * (1 + 1e-12)
    assert math.isclose(noam_lr(4 * warmup, d, warmup), peak / 2)
    assert noam_lr(0, d, warmup) == noam_lr(1, d, warmup) > 0


# ----------------------------------------------------------------------------- oracle


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_matches_pytorch_nn_transformer_forward_and_backward():
    pt = pytest.importorskip("torch")
    # pre-norm: PyTorch's nn.Transformer ends both stacks in a LayerNorm, as ours does
    model = tiny_transformer(seed=12, norm_first=True)
    ref = pt.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                            dim_feedforward=16, dropout=0.0, batch_first=True,
                            norm_first=True).double()

    def copy(dst, src):
        with pt.no_grad():
            dst.copy_(pt.tensor(src.detach().numpy()))

    def copy_attention(dst, src):
        copy(dst.in_proj_weight, torch.cat([src.q_proj.weight, src.k_proj.weight,
                                            src.v_proj.weight]))
        copy(dst.in_proj_bias, torch.cat([src.q_proj.bias, src.k_proj.bias, src.v_proj.bias]))
        copy(dst.out_proj.weight, src.out_proj.weight)
        copy(dst.out_proj.bias, src.out_proj.bias)

    def copy_layer(dst, src, attentions):
        for theirs, ours in attentions:
            copy_attention(getattr(dst, theirs), getattr(src, ours))
        copy(dst.linear1.weight, src.feed_forward.w_1.weight)
        copy(dst.linear1.bias, src.feed_forward.w_1.bias)
        copy(dst.linear2.weight, src.feed_forward.w_2.weight)
        copy(dst.linear2.bias, src.feed_forward.w_2.bias)
        for i, sub in enumerate(src.sublayer):
            copy(getattr(dst, f"norm{i + 1}").weight, sub.norm.weight)
            copy(getattr(dst, f"norm{i + 1}").bias, sub.norm.bias)

    copy_layer(ref.encoder.layers[0], model.encoder.layers[0], [("self_attn", "self_attn")])
    copy_layer(ref.decoder.layers[0], model.decoder.layers[0],
               [("self_attn", "self_attn"), ("multihead_attn", "cross_attn")])
    for theirs, ours in ((ref.encoder.norm, model.encoder.norm),
                         (ref.decoder.norm, model.decoder.norm)):
        copy(theirs.weight, ours.weight)
        copy(theirs.bias, ours.bias)

    rng = np.random.default_rng(13)
    src = padded_rows(rng, [5, 3], 5)
    tgt = padded_rows(rng, [4, 2], 4, start=BOS)
    ours = model(src, tgt)

    # the embeddings, positions and output layer are ours in both, fed through PyTorch
    def pt_tensor(t):
        return pt.tensor(t.detach().numpy(), requires_grad=True)

    src_in = pt_tensor(model.positions(model.src_embed(src)))
    tgt_in = pt_tensor(model.positions(model.tgt_embed(tgt)))
    # PyTorch's nn.Transformer masks say where NOT to attend: the opposite convention
    src_pad = pt.tensor((src == PAD).numpy())
    tgt_pad = pt.tensor((tgt == PAD).numpy())
    causal = pt.tensor((~causal_mask(4)).numpy())
    hidden = ref(src_in, tgt_in, tgt_mask=causal, src_key_padding_mask=src_pad,
                 tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
    w, b = pt_tensor(model.generator.weight), pt_tensor(model.generator.bias)
    theirs = hidden @ w.T + b
    real = tgt != PAD  # PyTorch's fast path may fill fully padded query rows differently
    np.testing.assert_allclose(ours.detach().numpy()[real.numpy()],
                               theirs.detach().numpy()[real.numpy()], atol=1e-10)

    cotangent = rng.standard_normal(tuple(ours.shape)) * real.numpy()[..., None]
    ours.backward(torch.tensor(cotangent))
    theirs.backward(pt.tensor(cotangent))
    np.testing.assert_allclose(model.generator.weight.grad.numpy(), w.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(model.decoder.layers[0].cross_attn.q_proj.weight.grad.numpy(),
                               ref.decoder.layers[0].multihead_attn.in_proj_weight.grad[:8]
                               .numpy(), atol=1e-10)
    np.testing.assert_allclose(model.encoder.layers[0].feed_forward.w_1.weight.grad.numpy(),
                               ref.encoder.layers[0].linear1.weight.grad.numpy(), atol=1e-10)


# ----------------------------------------------------------------------------- learning

REVERSE_VOCAB, REVERSE_LEN = 12, 8


def reversal_batch(n: int):
    """Sources of 8 symbols (ids 3..11), targets reversed: decoder input and gold output."""
    src = torch.randint(3, REVERSE_VOCAB, (n, REVERSE_LEN))
    reversed_src = src[:, torch.arange(REVERSE_LEN - 1, -1, -1)]
    decoder_in = torch.cat([torch.full((n, 1), BOS), reversed_src], dim=1)
    gold = torch.cat([reversed_src, torch.full((n, 1), EOS)], dim=1)
    return src, decoder_in, gold


@pytest.fixture(scope="module")
def reverser():
    """A Transformer trained to reverse sequences (a few seconds on two cores)."""
    torch.manual_seed(2)  # 250 steps learn the task from most starts, not all (seed 0: 97%)
    config = TransformerConfig(REVERSE_VOCAB, REVERSE_VOCAB, d_model=32, n_head=2, n_layer=1,
                               d_ff=64, dropout=0.0, norm_first=True, max_len=16)
    model = Transformer(config)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = LabelSmoothingLoss(0.0, ignore_index=PAD)
    for _ in range(250):
        src, decoder_in, gold = reversal_batch(64)
        loss = loss_fn(model(src, decoder_in), gold)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


@pytest.mark.slow
def test_learns_to_reverse_sequences_with_greedy_decoding(reverser):
    torch.manual_seed(123)
    src, _, gold = reversal_batch(500)
    out = reverser.greedy_decode(src, max_len=REVERSE_LEN + 1)
    accuracy = (out[:, 1:] == gold).all(dim=1).float().mean().item()
    assert accuracy >= 0.99


@pytest.mark.slow
def test_beam_search_on_the_trained_model(reverser):
    torch.manual_seed(321)
    src, _, gold = reversal_batch(100)
    greedy = reverser.greedy_decode(src, max_len=REVERSE_LEN + 1)
    assert reverser.beam_search(src, beam_size=1, max_len=REVERSE_LEN + 1).tolist() == \
        greedy.tolist()
    beam = reverser.beam_search(src, beam_size=4, max_len=REVERSE_LEN + 1)
    g = reverser.sequence_log_prob(src, greedy).numpy()
    b = reverser.sequence_log_prob(src, beam).numpy()
    assert (b >= g - 1e-5).all()
    assert (beam[:, 1:] == gold).all(dim=1).float().mean().item() >= 0.99
    long_penalty = reverser.beam_search(src, beam_size=4, max_len=REVERSE_LEN + 1,
                                        length_penalty=1.0)
    assert tuple(long_penalty.shape) == (100, REVERSE_LEN + 2)
