"""models.gpt: shapes, loss, whole-model gradcheck, causality, KV cache, tying, learning."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytorch as torch
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch import backend
from tinytorch.autograd import gradcheck
from tinytorch.models.gpt import GPT, GPTConfig, KVCache
from tinytorch.testing import parameters_replaced

TINY = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8)


def tiny_gpt(seed: int = 0, config: GPTConfig = TINY, dtype=torch.float64,
             device: str = "cpu") -> GPT:
    torch.manual_seed(seed)
    model = GPT(config).to(dtype).to(device)
    model.eval()
    return model


def tokens(rng: np.random.Generator, shape, vocab: int, device: str = "cpu"):
    return torch.tensor(rng.integers(0, vocab, size=shape), dtype=torch.long, device=device)


# ----------------------------------------------------------------------------- basics


@pytest.mark.assignment7
def test_from_tinytorch_import_gpt_course_example(device):
    from tinytorch import GPT as TopLevelGPT

    model = TopLevelGPT().to(device)
    idx = torch.randint(0, 100, (1, 10), device=device)
    logits, loss = model(idx)
    assert tuple(logits.shape) == (1, 10, model.config.vocab_size)
    assert loss is None
    assert TopLevelGPT is GPT


@pytest.mark.assignment7
def test_loss_is_cross_entropy_ignoring_minus_one():
    model = tiny_gpt()
    rng = np.random.default_rng(1)
    idx = tokens(rng, (3, 8), 11)
    targets = tokens(rng, (3, 8), 11)
    targets[0, 2] = -1
    targets[2, 5:] = -1
    logits, loss = model(idx, targets)
    z = logits.detach().numpy()
    logp = z - z.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    t = targets.numpy()
    keep = t != -1
    expected = -logp[keep, t[keep]].mean()
    assert abs(loss.item() - expected) < 1e-12


def test_longer_than_block_size_is_a_clear_error():
    model = tiny_gpt()
    with pytest.raises(ValueError, match="block size"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="block size"):
        model(torch.zeros(1, 3, dtype=torch.long), cache=_filled_cache(model, 6))


def _filled_cache(model: GPT, length: int) -> KVCache:
    cache = KVCache(model.config.n_layer)
    with torch.no_grad():
        model(torch.zeros(1, length, dtype=torch.long), cache=cache)
    return cache


def test_init_follows_gpt2():
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=50, block_size=16, n_layer=4, n_head=2, n_embd=64)
    model = GPT(config)
    for name, p in model.named_parameters():
        w = p.detach().numpy()
        if name.endswith("c_proj.weight"):
            assert abs(w.std() - 0.02 / math.sqrt(2 * 4)) < 0.002, name
        elif name.endswith("weight") and w.ndim == 2:
            assert abs(w.std() - 0.02) < 0.002, name
        elif name.endswith("bias"):
            assert not w.any(), name


def test_num_params_counts_the_tied_matrix_once():
    model = tiny_gpt()
    c = TINY
    per_layer = (2 * 2 * c.n_embd  # two LayerNorms
                 + c.n_embd * 3 * c.n_embd + 3 * c.n_embd + c.n_embd * c.n_embd + c.n_embd
                 + c.n_embd * 4 * c.n_embd + 4 * c.n_embd + 4 * c.n_embd * c.n_embd + c.n_embd)
    total = (c.vocab_size * c.n_embd + c.block_size * c.n_embd + c.n_layer * per_layer
             + 2 * c.n_embd)
    assert model.num_params(non_embedding=False) == total
    assert model.num_params() == total - c.block_size * c.n_embd


# ----------------------------------------------------------------------------- gradients


@pytest.mark.assignment7
def test_whole_model_gradcheck_every_parameter():
    model = tiny_gpt()
    rng = np.random.default_rng(2)
    idx = tokens(rng, (2, 8), 11)
    targets = tokens(rng, (2, 8), 11)
    targets[1, 0] = -1
    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    assert len(names) == 4 + 12 * TINY.n_layer  # wte(=lm_head), wpe, ln_f x2, 12 per block

    def fn(*leaves):
        with parameters_replaced(model, dict(zip(names, leaves))):
            logits, loss = model(idx, targets)
        return logits, loss

    assert gradcheck(fn, tuple(params), max_elements=6)


# ----------------------------------------------------------------------------- properties


@pytest.mark.assignment7
@settings(max_examples=20)  # each example runs the model twice; 20 covers the positions
@given(seed=st.integers(0, 2**16), length=st.integers(2, 8), cut=st.integers(0, 6))
def test_changing_a_future_token_never_changes_earlier_logits(seed, length, cut):
    cut = min(cut, length - 2)  # positions 0..cut are "the past", cut+1.. get changed
    model = tiny_gpt()
    rng = np.random.default_rng(seed)
    idx = tokens(rng, (2, length), 11)
    changed = idx.clone()
    changed[:, cut + 1:] = tokens(rng, (2, length - cut - 1), 11)
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    np.testing.assert_allclose(a[:, :cut + 1].numpy(), b[:, :cut + 1].numpy(), rtol=0,
                               atol=1e-12)


@pytest.mark.assignment7
@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), batch=st.integers(1, 4), length=st.integers(1, 8))
def test_a_batch_equals_its_rows_one_by_one(seed, batch, length):
    model = tiny_gpt()
    rng = np.random.default_rng(seed)
    idx = tokens(rng, (batch, length), 11)
    with torch.no_grad():
        together, _ = model(idx)
        for b in range(batch):
            alone, _ = model(idx[b:b + 1])
            np.testing.assert_allclose(together[b:b + 1].numpy(), alone.numpy(), rtol=0,
                                       atol=1e-12)


# ----------------------------------------------------------------------------- KV cache


@pytest.mark.assignment7
def test_cached_and_uncached_next_logits_agree_past_block_size(device):
    model = tiny_gpt(device=device)
    idx = tokens(np.random.default_rng(3), (2, 20), 11, device)  # 12 positions past block 8
    cache = KVCache(TINY.n_layer)
    for t in range(1, 21):
        uncached = model.next_logits(idx[:, :t])
        cached = model.next_logits(idx[:, :t], cache)
        np.testing.assert_allclose(cached.cpu().numpy(), uncached.cpu().numpy(), rtol=0,
                                   atol=1e-12)
        assert len(cache) == t - model.window_start(t) <= TINY.block_size


@pytest.mark.assignment7
def test_cache_takes_several_new_positions_at_once():
    model = tiny_gpt()
    idx = tokens(np.random.default_rng(4), (2, 8), 11)
    with torch.no_grad():
        full, _ = model(idx)
        cache = KVCache(TINY.n_layer)
        first, _ = model(idx[:, :3], cache=cache)
        rest, _ = model(idx[:, 3:], cache=cache)  # five queries after three cached keys
    np.testing.assert_allclose(first.numpy(), full[:, :3].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rest.numpy(), full[:, 3:].numpy(), rtol=0, atol=1e-12)


@pytest.mark.assignment7
@pytest.mark.parametrize("options", [{}, {"top_k": 3}, {"top_p": 0.8, "temperature": 0.7}])
def test_generate_with_and_without_cache_samples_the_same_tokens(options, device):
    model = tiny_gpt(device=device)
    idx = tokens(np.random.default_rng(5), (2, 3), 11, device)
    torch.manual_seed(7)
    with_cache = model.generate(idx, 15, use_cache=True, **options)
    torch.manual_seed(7)
    without = model.generate(idx, 15, use_cache=False, **options)
    assert tuple(with_cache.shape) == (2, 18)
    assert with_cache.tolist() == without.tolist()
    assert with_cache[:, :3].tolist() == idx.tolist()
    assert torch.is_grad_enabled()  # generate leaves grad mode as it found it


@pytest.mark.assignment7
def test_top_k_one_is_greedy_and_top_p_keeps_the_likeliest():
    model = tiny_gpt()
    idx = tokens(np.random.default_rng(6), (3, 4), 11)
    out = model.generate(idx, 1, top_k=1)
    expected = model.next_logits(idx).argmax(dim=-1)
    assert out[:, -1].tolist() == expected.tolist()
    tiny_p = model.generate(idx, 1, top_p=1e-9)  # only the single likeliest token survives
    assert tiny_p[:, -1].tolist() == expected.tolist()


@pytest.mark.assignment7
def test_top_k_samples_only_among_the_k_likeliest():
    model = tiny_gpt()
    idx = tokens(np.random.default_rng(8), (1, 4), 11)
    allowed = set(model.next_logits(idx).topk(3, dim=-1).indices[0].tolist())
    torch.manual_seed(0)
    seen = {model.generate(idx, 1, top_k=3, temperature=5.0)[0, -1].item() for _ in range(60)}
    assert seen <= allowed and len(seen) > 1


def _model_and_logits(seed: int, shape=(2, 8), device: str = "cpu"):
    """A tiny model, token ids of ``shape`` and their logits without a cache."""
    model = tiny_gpt(device=device)
    idx = tokens(np.random.default_rng(seed), shape, 11, device)
    with torch.no_grad():
        return model, idx, model(idx)[0]


def _fill(model, idx, cache, chunks):
    """Logits of ``idx`` run through ``model`` with ``cache`` in chunks of these lengths."""
    out, at = [], 0
    for n in chunks:
        out.append(model(idx[:, at:at + n], cache=cache)[0])
        at += n
    return torch.cat(out, dim=1)


@pytest.mark.parametrize("chunks", [[1] * 8, [3, 1, 4], [8], [2, 2, 1, 3]], ids=str)
def test_fast_cached_attention_matches_the_course_form(chunks, device):
    # the fast path (heads as array views, keys and values written in place into the
    # cache's buffers) against the graded region's cat form, and both against no cache
    model, idx, full = _model_and_logits(13, device=device)
    with torch.no_grad():
        fast_cache, textbook_cache = KVCache(TINY.n_layer), KVCache(TINY.n_layer, 8)
        fast = _fill(model, idx, fast_cache, chunks)
        with backend.fast_paths(False):
            textbook = _fill(model, idx, textbook_cache, chunks)
    for out in (fast, textbook):
        np.testing.assert_allclose(out.cpu().numpy(), full.cpu().numpy(), rtol=0, atol=1e-12)
    assert len(fast_cache) == len(textbook_cache) == 8
    for (k, v), (k_ref, v_ref) in zip(fast_cache.layers, textbook_cache.layers):
        assert tuple(k.shape) == tuple(v.shape) == (2, TINY.n_head, 8, TINY.n_embd // 2)
        np.testing.assert_allclose(k.cpu().numpy(), k_ref.cpu().numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(v.cpu().numpy(), v_ref.cpu().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 2e-6)],
                         ids=["float64", "float32"])
def test_cached_inference_on_arrays_matches_the_modules(dtype, tol):
    # under no_grad with a cache, a plain GPT runs on arrays (GPT._forward_cached_arrays);
    # a forward hook anywhere sends it through the modules, which must give the same logits
    model = tiny_gpt(dtype=dtype)
    idx = tokens(np.random.default_rng(21), (2, 8), 11)
    calls = []
    with torch.no_grad():
        full = model(idx)[0]
        fast_cache, module_cache = KVCache(TINY.n_layer), KVCache(TINY.n_layer)
        fast = _fill(model, idx, fast_cache, [3, 1, 1, 2, 1])
        assert fast_cache.plain_model(model) and not calls
        handle = model.transformer.h[1].mlp.register_forward_hook(
            lambda module, args, out: calls.append(1))
        slow = _fill(model, idx, module_cache, [3, 1, 1, 2, 1])
        assert not module_cache.plain_model(model) and len(calls) == 5
        handle.remove()
    for out in (fast, slow):
        np.testing.assert_allclose(out.numpy(), full.numpy(), rtol=tol, atol=tol)


def test_cached_inference_leaves_the_arrays_for_modules_it_does_not_know():
    model = tiny_gpt()
    model.transformer.h[0].mlp.gelu = torch.nn.GELU()  # exact GELU: not the array path's
    idx = tokens(np.random.default_rng(22), (1, 6), 11)
    with torch.no_grad():
        full = model(idx)[0]
        cache = KVCache(TINY.n_layer)
        out = _fill(model, idx, cache, [2, 1, 1, 1, 1])
    assert not cache.plain_model(model)
    np.testing.assert_allclose(out.numpy(), full.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad", [11, -1])
def test_cached_inference_on_arrays_names_a_bad_token_id(bad):
    # the array path checks ids as the embedding module does: -1 must not wrap around
    model = tiny_gpt()
    with torch.no_grad(), pytest.raises(IndexError, match=f"index {bad} is out of range"):
        model(torch.tensor([[bad]]), cache=KVCache(TINY.n_layer))


def test_kv_cache_buffers_grow_and_are_kept_by_clear():
    model, idx, full = _model_and_logits(14, (1, 8))
    cache = KVCache(TINY.n_layer, capacity=2)
    with torch.no_grad():
        out = _fill(model, idx, cache, [1, 1, 3, 1, 2])  # outgrows a buffer of 2, then 5
        np.testing.assert_allclose(out.numpy(), full.numpy(), rtol=0, atol=1e-12)
        buffers = list(cache._buffers)
        assert buffers[0][0].size(2) == 10  # 2, then 5 (3 new), then 2 x 5
        cache.clear(5)
        assert len(cache) == 0 and cache.start == 5
        again = _fill(model, idx, cache, [4, 4])
    np.testing.assert_allclose(again.numpy(), full.numpy(), rtol=0, atol=1e-12)
    assert all(a is b for a, b in zip(cache._buffers, buffers))  # the same memory reused
    assert len(KVCache(0)) == 0  # a model without blocks caches nothing


def test_kv_cache_mixes_the_graph_and_no_grad_forms():
    # with grad enabled the cache grows by torch.cat (a graph through the prefix); a
    # no_grad step after it copies that prefix into the buffers, and a graph step after
    # a no_grad one concatenates onto the buffer's view
    model, idx, full = _model_and_logits(15)
    cache = KVCache(TINY.n_layer)
    first, _ = model(idx[:, :3], cache=cache)
    assert first.requires_grad
    with torch.no_grad():
        second, _ = model(idx[:, 3:5], cache=cache)
    third, _ = model(idx[:, 5:], cache=cache)
    out = torch.cat([first.detach(), second, third.detach()], dim=1)
    np.testing.assert_allclose(out.numpy(), full.numpy(), rtol=0, atol=1e-12)
    assert len(cache) == 8


def test_kv_cache_append_names_mismatched_shapes():
    cache = KVCache(1)
    k = torch.zeros(2, 2, 3, 4)
    cache.append(0, k, k)
    with pytest.raises(RuntimeError, match=r"\(2, 2, 3, 4\).*\(1, 2, 1, 4\)"):
        cache.append(0, torch.zeros(1, 2, 1, 4), torch.zeros(1, 2, 1, 4))


@pytest.mark.parametrize("options", [{}, {"top_k": 3, "hop": 1}], ids=["default", "hop1"])
def test_generate_samples_the_same_tokens_with_fast_paths_off(options):
    model = tiny_gpt()
    idx = tokens(np.random.default_rng(16), (2, 3), 11)
    torch.manual_seed(3)
    fast = model.generate(idx, 20, **options)  # 15 tokens past block_size 8
    torch.manual_seed(3)
    with backend.fast_paths(False):
        textbook = model.generate(idx, 20, **options)
    assert fast.tolist() == textbook.tolist()


def test_generate_rejects_bad_sampling_arguments():
    model = tiny_gpt()
    idx = torch.zeros(1, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="temperature"):
        model.generate(idx, 2, temperature=0.0)
    with pytest.raises(ValueError, match="top_p"):
        model.generate(idx, 2, top_p=1.5)


# ----------------------------------------------------------------------------- tying, optim


@pytest.mark.assignment7
def test_weight_tying_is_one_parameter_with_summed_gradient():
    model = tiny_gpt()
    assert model.lm_head.weight is model.transformer.wte.weight
    assert sum(p is model.lm_head.weight for p in model.parameters()) == 1
    rng = np.random.default_rng(9)
    idx, targets = tokens(rng, (2, 8), 11), tokens(rng, (2, 8), 11)
    model(idx, targets)[1].backward()
    tied_grad = model.lm_head.weight.grad.numpy().copy()

    # untie: a separate head with the same values; the tied gradient is the sum of both
    untied = tiny_gpt()
    untied.lm_head.weight = nn.Parameter(untied.transformer.wte.weight.detach().clone())
    untied(idx, targets)[1].backward()
    both = untied.lm_head.weight.grad.numpy() + untied.transformer.wte.weight.grad.numpy()
    np.testing.assert_allclose(tied_grad, both, rtol=1e-10, atol=1e-12)


def test_configure_optimizers_puts_each_parameter_in_exactly_one_group():
    model = tiny_gpt()
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-3, betas=(0.9, 0.95))
    assert isinstance(opt, torch.optim.AdamW)
    groups = opt.param_groups
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {id(p) for p in model.parameters()}
    for g in groups:
        for p in g["params"]:
            assert (g["weight_decay"] == 0.1) == (p.dim() >= 2)
        assert g["lr"] == 1e-3 and tuple(g["betas"]) == (0.9, 0.95)


def test_one_optimizer_step_updates_the_tied_matrix_once():
    model = tiny_gpt()
    opt = model.configure_optimizers(weight_decay=0.0, learning_rate=1e-2, betas=(0.9, 0.95))
    before = model.lm_head.weight.detach().numpy().copy()
    rng = np.random.default_rng(10)
    model(tokens(rng, (2, 8), 11), tokens(rng, (2, 8), 11))[1].backward()
    opt.step()
    step = model.transformer.wte.weight.detach().numpy() - before
    # Adam's first step moves every entry with a nonzero gradient by lr (once, not twice)
    moved = np.abs(step[np.abs(step) > 0])
    np.testing.assert_allclose(moved, 1e-2, rtol=1e-3)


# ----------------------------------------------------------------------------- checkpoints


def test_from_pretrained_matches_transformers_gpt2(tmp_path):
    transformers = pytest.importorskip("transformers")
    pt = pytest.importorskip("torch")
    pt.manual_seed(0)
    hf_config = transformers.GPT2Config(vocab_size=50, n_positions=16, n_embd=24, n_layer=2,
                                        n_head=3, bos_token_id=0, eos_token_id=0)
    hf = transformers.GPT2LMHeadModel(hf_config).eval()
    hf.save_pretrained(tmp_path)
    with open(tmp_path / "config.json") as f:
        assert json.load(f)["n_embd"] == 24

    model = GPT.from_pretrained(str(tmp_path)).eval()
    x = np.random.default_rng(11).integers(0, 50, size=(2, 16))
    ours, _ = model(torch.tensor(x))
    with pt.no_grad():
        theirs = hf(pt.tensor(x)).logits.numpy()
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=0, atol=1e-4)


def test_from_pretrained_names_what_is_missing(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    config = {"vocab_size": 11, "n_positions": 8, "n_layer": 1, "n_head": 2, "n_embd": 8}
    (tmp_path / "config.json").write_text(json.dumps(config))
    safetensors_numpy.save_file({"wte.weight": np.zeros((11, 8), np.float32)},
                                str(tmp_path / "model.safetensors"))
    with pytest.raises(KeyError, match="wpe.weight"):
        GPT.from_pretrained(str(tmp_path))


# ----------------------------------------------------------------------------- learning

TEXT = ("First Citizen: Before we proceed any further, hear me speak. All: Speak, speak. "
        "First Citizen: You are all resolved rather to die than to famish? All: Resolved. "
        "resolved. First Citizen: First, you know Caius Marcius is chief enemy to the people.")


@pytest.mark.slow
def test_memorises_a_200_character_text():
    text = TEXT[:200]
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text])
    x, y = data[:-1].unsqueeze(0), data[1:].unsqueeze(0)  # the whole text as one sequence
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(chars), block_size=200, n_layer=1, n_head=2,
                          n_embd=32))
    opt = model.configure_optimizers(weight_decay=0.0, learning_rate=1e-2, betas=(0.9, 0.99))
    for _ in range(300):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.05:
            break
    model.eval()
    with torch.no_grad():
        _, loss = model(x, y)
    assert loss.item() < 0.1
    # and it can recite: greedy continuation of the first character reproduces the text
    out = model.generate(data[:1].unsqueeze(0), 40, top_k=1)
    assert "".join(chars[i] for i in out[0].tolist()) == text[:41]


@pytest.mark.assignment7
def test_cross_entropy_of_untrained_model_is_near_log_vocab():
    # a sanity check on the initialisation: small weights give near-uniform predictions
    model = tiny_gpt()
    rng = np.random.default_rng(12)
    _, loss = model(tokens(rng, (4, 8), 11), tokens(rng, (4, 8), 11))
    assert abs(loss.item() - math.log(11)) < 0.1
    assert F.softmax(model(tokens(rng, (1, 8), 11))[0], dim=-1).sum(-1).allclose(
        torch.ones(1, 8, dtype=torch.float64))
