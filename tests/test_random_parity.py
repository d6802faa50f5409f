"""tinytorch's random numbers are PyTorch's CPU numbers, bit for bit.

PyTorch's CPU generator (mt19937 and its documented transforms) is the reference here, so
the first tests pin a few values taken from torch 2.13 and run without torch; the rest
compare with torch itself when it is installed (skipped cleanly otherwise). The samplers'
own maths (mt19937, Box-Muller, fused multiply-add) is also checked against plain NumPy and
Python references that are not PyTorch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import random as R

# ----------------------------------------------------------------------------- no torch


def test_pinned_values_from_pytorch():
    tt.manual_seed(0)
    assert tt.rand(3).tolist() == [0.49625658988952637, 0.7682217955589294, 0.08847743272781372]
    assert tt.randn(3).tolist() == [0.3643381893634796, 0.13439632952213287,
                                    0.16421625018119812]
    assert tt.randint(0, 10, (5,)).tolist() == [6, 6, 9, 8, 6]
    assert tt.randperm(6).tolist() == [0, 4, 1, 3, 2, 5]
    tt.manual_seed(1337)  # 20 values: one block of 16 and a redrawn tail
    assert tt.randn(20).tolist()[-3:] == [1.2054518461227417, 0.1883178949356079,
                                          -2.1600356101989746]
    g = tt.Generator().manual_seed(2147483647)
    assert tt.randn(3, generator=g, dtype=tt.float64).tolist() == [
        -0.9800073527194095, -1.6578479083048836, -0.057166228101822945]
    fresh = tt.Generator()
    assert fresh.initial_seed() == 67280421310721
    assert tt.rand(2, generator=fresh).tolist() == [0.267295241355896, 0.8725283145904541]


def _mt19937_reference(seed: int, n: int) -> list[int]:
    """The textbook mt19937 (init_genrand, twist, temper) in plain Python."""
    mt = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + i) & 0xFFFFFFFF)
    out, idx = [], 624
    for _ in range(n):
        if idx == 624:
            for i in range(624):
                y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
                mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            idx = 0
        y = mt[idx]
        idx += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        out.append(y)
    return out


@pytest.mark.parametrize("seed", [0, 5489, 2147483647, 2 ** 40 + 3])
def test_raw_stream_is_textbook_mt19937(seed):
    g = tt.Generator().manual_seed(seed)
    words = g._u32(700).tolist()  # crosses one regeneration of the 624-word state
    assert words == _mt19937_reference(seed, 700)
    g.manual_seed(seed)
    hi_lo = g._u64(2).tolist()
    assert hi_lo == [(words[0] << 32) | words[1], (words[2] << 32) | words[3]]


def test_uniform_and_randint_transforms_match_their_formulas():
    g = tt.Generator().manual_seed(3)
    words = _mt19937_reference(3, 8)
    assert tt.rand(2, generator=g).tolist() == [(w & 0xFFFFFF) / 2 ** 24 for w in words[:2]]
    expect64 = [(((words[2] << 32) | words[3]) & (2 ** 53 - 1)) / 2 ** 53]
    assert tt.rand(1, generator=g, dtype=tt.float64).tolist() == expect64
    assert tt.randint(5, 12, (2,), generator=g).tolist() == [5 + w % 7 for w in words[4:6]]


def test_scalar_normal_path_is_box_muller_with_a_cache():
    g = tt.Generator().manual_seed(11)
    w = _mt19937_reference(11, 4)
    u1 = (((w[0] << 32) | w[1]) & (2 ** 53 - 1)) / 2 ** 53
    u2 = (((w[2] << 32) | w[3]) & (2 ** 53 - 1)) / 2 ** 53
    r = math.sqrt(-2 * math.log1p(-u2))
    two = tt.randn(2, generator=g, dtype=tt.float64).tolist()
    assert two == [r * math.cos(2 * math.pi * u1), r * math.sin(2 * math.pi * u1)]


def test_fused_multiply_add_rounds_once():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(20000).astype(np.float32) for _ in range(3))
    got = R._fma32(a, b, c)
    exact = [float(np.float32(float(np.longdouble(x) * np.longdouble(y) + np.longdouble(z))))
             for x, y, z in zip(a[:200], b[:200], c[:200])]
    assert got[:200].tolist() == exact
    # a tie in float64 that float64 rounding would break the wrong way
    x = np.array([1 + 2 ** -23], np.float32)
    y = np.array([1 + 2 ** -23], np.float32)  # x*y = 1 + 2^-22 + 2^-46
    assert R._fma32(x, y, np.float32(-1.0))[0] == np.float32(2 ** -22 + 2 ** -46)
    d = R._fma64(np.array([0.1]), 3.0, -0.3)
    assert d[0] == 2.7755575615628914e-17  # fma(0.1, 3, -0.3) with one rounding


def test_streams_stay_in_step_and_state_round_trips():
    g = tt.Generator().manual_seed(9)
    state = g.get_state()
    a = [tt.rand(5, generator=g), tt.randn(3, generator=g), tt.randint(0, 9, (4,), generator=g),
         tt.randn(17, generator=g)]
    g.set_state(state)
    b = [tt.rand(5, generator=g), tt.randn(3, generator=g), tt.randint(0, 9, (4,), generator=g),
         tt.randn(17, generator=g)]
    assert all(tt.equal(x, y) for x, y in zip(a, b))
    with pytest.raises(TypeError, match="get_state"):
        g.set_state([1, 2])


def test_generator_argument_is_checked():
    with pytest.raises(TypeError, match="tinytorch.Generator"):
        tt.rand(2, generator=3)


# ----------------------------------------------------------------------------- vs PyTorch

SEEDS = [0, 1, 42, 1337, 2147483647, 2 ** 33 + 7]
SIZES = list(range(1, 41)) + [255, 1000, 4099]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _same(ours, theirs):
    a, b = ours.numpy(), theirs.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b), f"{int((a != b).sum())} of {a.size} values differ"


def _both(torch, seed):
    tt.manual_seed(seed)
    torch.manual_seed(seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_factories_match_torch_for_every_size(torch, seed, dtype):
    for n in SIZES:
        _both(torch, seed)
        t_dt, o_dt = getattr(torch, dtype), getattr(tt, dtype)
        _same(tt.rand(n, dtype=o_dt), torch.rand(n, dtype=t_dt))
        _same(tt.randn(n, dtype=o_dt), torch.randn(n, dtype=t_dt))
        _same(tt.randn(n, dtype=o_dt), torch.randn(n, dtype=t_dt))  # the cache carries over
        _same(tt.empty(n, dtype=o_dt).uniform_(-0.3, 0.7),
              torch.empty(n, dtype=t_dt).uniform_(-0.3, 0.7))
        _same(tt.empty(n, dtype=o_dt).normal_(0.5, 0.02),
              torch.empty(n, dtype=t_dt).normal_(0.5, 0.02))
        _same(tt.rand(3, dtype=o_dt), torch.rand(3, dtype=t_dt))  # still in step


@pytest.mark.parametrize("seed", SEEDS)
def test_integers_and_permutations_match_torch(torch, seed):
    for n in [1, 2, 7, 16, 33, 500]:
        _both(torch, seed)
        _same(tt.randint(3, 100, (n,)), torch.randint(3, 100, (n,)))
        _same(tt.randint(10, (n, 2)), torch.randint(10, (n, 2)))
        _same(tt.randint(-5, 2 ** 40, (n,)), torch.randint(-5, 2 ** 40, (n,)))
        _same(tt.randint(7, 2 ** 30, (n,)), torch.randint(7, 2 ** 30, (n,)))  # 64-bit draws
        _same(tt.randint(0, 2 ** 28 - 1, (n,), dtype=tt.int32),
              torch.randint(0, 2 ** 28 - 1, (n,), dtype=torch.int32))  # 32-bit draws
        _same(tt.randperm(n), torch.randperm(n))
        _same(tt.empty(n, dtype=tt.int64).random_(), torch.empty(n, dtype=torch.int64).random_())
        _same(tt.empty(n).random_(), torch.empty(n).random_())
        _same(tt.empty(n, dtype=tt.int32).random_(2, 9),
              torch.empty(n, dtype=torch.int32).random_(2, 9))
        _same(tt.rand(2), torch.rand(2))


def test_shapes_generators_and_interleaving_match_torch(torch):
    g, tg = tt.Generator().manual_seed(2147483647), torch.Generator().manual_seed(2147483647)
    tt.manual_seed(5)
    torch.manual_seed(5)
    for _ in range(3):
        _same(tt.randn((27, 27), generator=g), torch.randn((27, 27), generator=tg))
        _same(tt.rand(4, 5, generator=g, dtype=tt.float64),
              torch.rand(4, 5, generator=tg, dtype=torch.float64))
        _same(tt.randn(3), torch.randn(3))  # the global generator, untouched by g
        _same(tt.randint(0, 27, (32,), generator=g), torch.randint(0, 27, (32,), generator=tg))
        _same(tt.randn(5, generator=g), torch.randn(5, generator=tg))
        _same(tt.normal(tt.zeros(2, 9), tt.ones(2, 9) * 3), torch.normal(torch.zeros(2, 9),
                                                                           torch.ones(2, 9) * 3))
        _same(tt.normal(1.0, 2.0, (21,), generator=g), torch.normal(1.0, 2.0, (21,), generator=tg))
    fresh, tfresh = tt.Generator(), torch.Generator()
    assert fresh.initial_seed() == tfresh.initial_seed()
    _same(tt.randn(19, generator=fresh), torch.randn(19, generator=tfresh))


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("k", [1, 3, 10])
def test_multinomial_matches_torch(torch, replacement, k):
    g, tg = tt.Generator().manual_seed(2147483647), torch.Generator().manual_seed(2147483647)
    for dtype in ["float32", "float64"]:
        for shape in [(27,), (4, 12)]:
            p = tt.rand(*shape, generator=g, dtype=getattr(tt, dtype))
            tp = torch.rand(*shape, generator=tg, dtype=getattr(torch, dtype))
            p[..., 2] = 0  # a zero-probability category
            tp[..., 2] = 0
            for _ in range(3):
                _same(tt.multinomial(p, k, replacement=replacement, generator=g),
                      torch.multinomial(tp, k, replacement=replacement, generator=tg))
            _same(tt.rand(2, generator=g), torch.rand(2, generator=tg))


def test_makemore_sampling_loop_matches_torch(torch):
    g, tg = tt.Generator().manual_seed(2147483647), torch.Generator().manual_seed(2147483647)
    P, TP = tt.rand(27, 27, generator=g) + 1, torch.rand(27, 27, generator=tg) + 1
    P, TP = P / P.sum(1, keepdim=True), TP / TP.sum(1, keepdim=True)
    for _ in range(5):
        ix = tix = 0
        while True:
            ix = tt.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            tix = torch.multinomial(TP[tix], num_samples=1, replacement=True,
                                    generator=tg).item()
            assert ix == tix
            if ix == 0:
                break


def test_modules_and_init_match_torch(torch):
    _both(torch, 1337)
    for shape in [(37, 23), (3, 1), (64, 64)]:
        ours, theirs = tt.nn.Linear(*shape), torch.nn.Linear(*shape)
        _same(ours.weight.detach(), theirs.weight.detach())
        _same(ours.bias.detach(), theirs.bias.detach())
    _same(tt.nn.Embedding(65, 32).weight.detach(), torch.nn.Embedding(65, 32).weight.detach())
    _same(tt.nn.Embedding(3, 4).weight.detach(), torch.nn.Embedding(3, 4).weight.detach())
    for name, kwargs in [("normal_", {"mean": 0.0, "std": 0.02}), ("uniform_", {"a": -2, "b": 3}),
                         ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_normal_", {}),
                         ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0})]:
        for shape in [(13, 7), (2, 3), (48, 16)]:
            w, tw = tt.empty(*shape), torch.empty(*shape)
            getattr(tt.nn.init, name)(w, **kwargs)
            getattr(torch.nn.init, name)(tw, **kwargs)
            _same(w, tw)
    # trunc_normal_: both of PyTorch 2.13's rejection samplers (mass above and below 0.3)
    for kwargs in [{"std": 0.02}, {"mean": 0.5, "std": 0.3, "a": -0.5, "b": 1.0},
                   {"a": 1.0, "b": 3.0}, {"a": 2.0, "b": 2.5}]:
        for dtype in ["float32", "float64"]:
            w = tt.empty(9, 40, dtype=getattr(tt, dtype))
            tw = torch.empty(9, 40, dtype=getattr(torch, dtype))
            tt.nn.init.trunc_normal_(w, **kwargs)
            torch.nn.init.trunc_normal_(tw, **kwargs)
            _same(w, tw)
    _same(tt.rand(3), torch.rand(3))


def test_in_place_distributions_match_torch(torch):
    _both(torch, 7)
    for n in [5, 40]:
        _same(tt.empty(n).exponential_(2.0), torch.empty(n).exponential_(2.0))
        _same(tt.empty(n, dtype=tt.float64).exponential_(),
              torch.empty(n, dtype=torch.float64).exponential_())
        _same(tt.empty(n).geometric_(0.3), torch.empty(n).geometric_(0.3))
        _same(tt.empty(n, dtype=tt.float64).cauchy_(),
              torch.empty(n, dtype=torch.float64).cauchy_())
        _same(tt.empty(n, dtype=tt.float64).log_normal_(),
              torch.empty(n, dtype=torch.float64).log_normal_())
        _same(tt.bernoulli(tt.full((n,), 0.3)), torch.bernoulli(torch.full((n,), 0.3)))
        rates = [0.5, 3.0, 9.9, 10.0, 25.0, 100.0, 0.0, 1e4] * (n // 8 + 1)
        _same(tt.poisson(tt.tensor(rates)), torch.poisson(torch.tensor(rates)))
        _same(tt.bernoulli(tt.full((n,), 0.3, dtype=tt.float64)),
              torch.bernoulli(torch.full((n,), 0.3, dtype=torch.float64)))
        _same(tt.rand(2), torch.rand(2))


def _intel_cpu() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return "GenuineIntel" in f.read()
    except OSError:
        return False


@pytest.mark.skipif(_intel_cpu(), reason="on Intel CPUs PyTorch's bernoulli_(p) uses MKL")
def test_scalar_bernoulli_and_dropout_match_torch(torch):
    _both(torch, 3)
    _same(tt.empty(50).bernoulli_(0.3), torch.empty(50).bernoulli_(0.3))
    x, tx = tt.randn(8, 16), torch.randn(8, 16)
    _same(tt.nn.functional.dropout(x, 0.2), torch.nn.functional.dropout(tx, 0.2))
    _same(tt.nn.Dropout(0.5)(x), torch.nn.Dropout(0.5)(tx))
    _same(tt.rand(2), torch.rand(2))


def test_bigram_lecture_flow_matches_torch(torch):
    """ng-video-lecture's bigram.py, run unmodified on both: seed, batches, init, sampling."""
    text_ids = list(range(65)) * 20
    block_size, batch_size, vocab = 8, 4, 65

    def run(lib):
        lib.manual_seed(1337)
        data = lib.tensor(text_ids, dtype=lib.long)
        ix = lib.randint(len(data) - block_size, (batch_size,))
        x = lib.stack([data[i:i + block_size] for i in ix])
        table = lib.nn.Embedding(vocab, vocab)
        idx = lib.zeros((1, 1), dtype=lib.long)
        for _ in range(20):
            logits = table(idx)[:, -1, :]
            probs = lib.nn.functional.softmax(logits, dim=-1)
            idx = lib.cat((idx, lib.multinomial(probs, num_samples=1)), dim=1)
        return x, table.weight.detach(), idx

    for ours, theirs in zip(run(tt), run(torch)):
        _same(ours, theirs)


def test_dataloader_shuffle_matches_torch(torch):
    """DataLoader(shuffle=True): a base seed per pass, then RandomSampler's randperm."""
    from torch.utils.data import DataLoader as TorchLoader

    from tinytorch.utils.data import DataLoader

    for seed in [0, 7]:
        _both(torch, seed)
        for _ in range(2):  # two epochs
            ours = [b.tolist() for b in DataLoader(tt.arange(10), batch_size=4, shuffle=True)]
            theirs = [b.tolist() for b in TorchLoader(torch.arange(10), batch_size=4,
                                                      shuffle=True)]
            assert ours == theirs
        g, tg = tt.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        ours = [b.tolist() for b in DataLoader(tt.arange(7), batch_size=2, shuffle=True,
                                               generator=g)]
        theirs = [b.tolist() for b in TorchLoader(torch.arange(7), batch_size=2, shuffle=True,
                                                  generator=tg)]
        assert ours == theirs
        _same(tt.rand(2), torch.rand(2))
