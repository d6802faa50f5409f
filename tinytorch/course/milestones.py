"""Milestones: after each assignment, something working that runs on your own code.

    python -m tinytorch.course milestone N [--out DIR] [--quick]

Each milestone trains something small with only the parts of tinytorch that the
assignments up to N have you write, prints what it learned and, where matplotlib is
installed, saves a picture to ``--out`` (default ``out/milestones``):

1. a 2-D point cloud lit by a random linear map (forward only: tensors, broadcasting);
2.-3. a multilayer perceptron learns a two-spirals classification (autograd, backward);
4. a character-level MLP (embedding, layer norm, cross-entropy) learns to spell names of
   the built-in corpus;
5. one attention layer learns to copy a sequence (and the heatmap shows where it looks);
6. SGD, Adam and AdamW with a warm-up and cosine schedule on the same problem (curves);
7. a small GPT trains on the built-in corpus and writes a sample;
8. the encoder-decoder learns to reverse strings, decoded greedily;
9. a small CNN (convolution, ReLU, max-pooling, linear) reads digits drawn in code;
10. a character-level LSTM trains on the built-in corpus, and your LSTMCell writes a sample.

Before an assignment is done its code is a stub: the milestone stops at once and says
which assignment it needs. ``--quick`` runs a few steps only (the tests use it).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

import tinytorch as torch
import tinytorch.nn as nn
import tinytorch.nn.functional as F

from .markers import assignment_of_message

MILESTONES = {
    1: "tensors: a random linear map of a point cloud, checked against NumPy",
    2: "autograd: an MLP separates two spirals",
    3: "backward of the core ops: an MLP separates two spirals",
    4: "nn: a character-level MLP learns the corpus' words",
    5: "attention: one attention layer learns to copy a sequence",
    6: "optimizers: SGD, Adam and AdamW with warm-up and cosine decay",
    7: "the GPT: a small character GPT trains and samples",
    8: "the encoder-decoder: string reversal, decoded greedily",
    9: "convolutions: a small CNN reads handwritten-looking digits",
    10: "recurrent networks: a character LSTM trains, your LSTMCell samples",
}


def _plot(path: Path | None, draw) -> str:
    """Run ``draw(plt)`` and save it to ``path`` when matplotlib is installed."""
    if path is None:
        return ""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return " (pip install matplotlib for the picture)"
    fig = draw(plt)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"; picture: {path}"


# ------------------------------------------------------------------ 1: tensors

def milestone_1(out: Path | None, quick: bool) -> dict:
    rng = np.random.default_rng(0)
    points = rng.standard_normal((200, 2))
    w = rng.standard_normal((2, 2))
    b = rng.standard_normal(2)
    mapped = (torch.tensor(points) @ torch.tensor(w) + torch.tensor(b)).numpy()
    error = float(np.abs(mapped - (points @ w + b)).max())
    if error > 1e-12:
        raise AssertionError(f"x @ W + b differs from NumPy's by {error:.3g}")
    note = _plot(out and out / "milestone1.png", lambda plt: _scatter(plt, points, mapped))
    print(f"a (200, 2) @ (2, 2) + (2,) map matches NumPy to {error:.1e}{note}")
    return {"max_error": error}


def _scatter(plt, before, after):
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(*before.T, s=6, label="points")
    ax.scatter(*after.T, s=6, label="x @ W + b")
    ax.legend()
    return fig


# ------------------------------------------------------------------ 2-3: an MLP on spirals

def _spirals(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    t = np.sqrt(rng.uniform(0.05, 1.0, n)) * 3 * math.pi
    label = rng.integers(0, 2, n)
    angle = t + math.pi * label
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], 1) / (3 * math.pi)
    return x + rng.normal(0, 0.02, x.shape), label


def milestone_mlp(out: Path | None, quick: bool, number: int) -> dict:
    """A tanh MLP, mean squared error on +-1 targets, plain SGD: only ops of 1-3."""
    rng = np.random.default_rng(0)
    x_np, y_np = _spirals(400, rng)
    x = torch.tensor(x_np, dtype=torch.float64)
    y = torch.tensor(2.0 * y_np - 1.0, dtype=torch.float64).reshape(-1, 1)
    sizes = [2, 32, 32, 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(torch.tensor(rng.normal(0, 1 / math.sqrt(fan_in), (fan_in, fan_out)),
                                   requires_grad=True))
        params.append(torch.zeros(fan_out, dtype=torch.float64, requires_grad=True))

    def predict(inputs):
        h = inputs
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.tanh()
        return h

    steps = 20 if quick else 2000
    losses = []
    for step in range(steps):
        loss = ((predict(x) - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        lr = 0.2 if step < steps // 2 else 0.05
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    with torch.no_grad():
        accuracy = float(((predict(x).numpy() > 0) == (y_np > 0)[:, None]).mean())
    note = _plot(out and out / f"milestone{number}.png",
                 lambda plt: _boundary(plt, predict, x_np, y_np))
    print(f"spirals: loss {losses[0]:.3f} -> {losses[-1]:.3f}, training accuracy "
          f"{accuracy:.0%} after {steps} steps{note}")
    return {"first_loss": losses[0], "last_loss": losses[-1], "accuracy": accuracy}


def _boundary(plt, predict, x, y):
    grid = np.linspace(-1.2, 1.2, 120)
    gx, gy = np.meshgrid(grid, grid)
    with torch.no_grad():
        z = predict(torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1))).numpy()
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.contourf(gx, gy, z.reshape(gx.shape) > 0, alpha=0.3, cmap="coolwarm")
    ax.scatter(x[:, 0], x[:, 1], c=y, s=6, cmap="coolwarm")
    ax.set_title("decision boundary")
    return fig


# ------------------------------------------------------------------ 4: a character MLP

def _words(quick: bool) -> list[str]:
    from ..data import default_corpus

    text = default_corpus()[: 40_000 if quick else 400_000].lower()
    words = sorted({w for w in "".join(c if c.isalpha() else " " for c in text).split()
                    if 3 <= len(w) <= 10})
    return words


def milestone_4(out: Path | None, quick: bool) -> dict:
    """makemore's MLP: 3 characters of context -> embedding -> LayerNorm -> next character."""
    torch.manual_seed(0)
    words = _words(quick)
    chars = sorted(set("".join(words)))
    stoi = {c: i + 1 for i, c in enumerate(chars)}  # 0 is the word boundary "."
    itos = {i: c for c, i in stoi.items()} | {0: "."}
    context = 3
    xs, ys = [], []
    for w in words:
        window = [0] * context
        for c in w + ".":
            xs.append(list(window))
            ys.append(stoi.get(c, 0))
            window = window[1:] + [stoi.get(c, 0)]
    x, y = torch.tensor(xs), torch.tensor(ys)
    vocab = len(itos)

    class CharMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, 16)
            self.norm = nn.LayerNorm(16 * context)
            self.hidden = nn.Linear(16 * context, 128)
            self.out = nn.Linear(128, vocab)

        def forward(self, idx):
            h = self.norm(self.embed(idx).reshape(idx.shape[0], -1))
            return self.out(self.hidden(h).tanh())

    model = CharMLP()
    steps = 10 if quick else 3000
    losses = []
    rng = np.random.default_rng(0)
    for step in range(steps):
        batch = torch.tensor(rng.integers(0, len(xs), 64))
        loss = F.cross_entropy(model(x[batch]), y[batch])
        model.zero_grad()
        loss.backward()
        lr = 0.1 if step < steps * 3 // 4 else 0.01
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        losses.append(loss.item())
    samples = []
    with torch.no_grad():
        for _ in range(8):
            window, word = [0] * context, ""
            while len(word) < 12:
                probs = model(torch.tensor([window])).softmax(-1)
                nxt = int(torch.multinomial(probs[0], 1).item())
                if nxt == 0:
                    break
                word += itos[nxt]
                window = window[1:] + [nxt]
            samples.append(word)
    start, end = float(np.mean(losses[:10])), float(np.mean(losses[-100:]))
    print(f"{len(words)} words, vocabulary {vocab}: loss {start:.2f} -> {end:.2f} "
          f"(uniform guessing: {math.log(vocab):.2f})")
    print("made-up words: " + " ".join(samples))
    return {"first_loss": start, "last_loss": end, "samples": samples}


# ------------------------------------------------------------------ 5: attention copies

def milestone_5(out: Path | None, quick: bool) -> dict:
    """Scaled dot-product attention, queries from positions, keys and values from tokens."""
    torch.manual_seed(0)
    vocab, length, dim = 10, 8, 32

    class Copier(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(vocab, dim)
            self.positions = nn.Embedding(length, dim)
            self.attn = nn.MultiheadAttention(dim, 2, batch_first=True)
            self.out = nn.Linear(dim, vocab)

        def forward(self, seq):
            pos = self.positions(torch.arange(length)).unsqueeze(0).expand(seq.shape[0], -1, -1)
            memory = self.tokens(seq) + pos
            mixed, weights = self.attn(pos, memory, memory)
            return self.out(mixed), weights

    model = Copier()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    steps = 10 if quick else 600
    for _ in range(steps):
        seq = torch.tensor(rng.integers(0, vocab, (32, length)))
        logits, _ = model(seq)
        loss = F.cross_entropy(logits.reshape(-1, vocab), seq.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    test = torch.tensor(rng.integers(0, vocab, (256, length)))
    with torch.no_grad():
        logits, weights = model(test)
    accuracy = float((logits.argmax(-1) == test).float().mean().item())
    heat = weights[0].numpy()

    def draw(plt):
        from .. import viz

        return viz.attention_heatmap(heat, title="query position -> key position")

    note = _plot(out and out / "milestone5.png", draw)
    print(f"copying {length} tokens: accuracy {accuracy:.1%} after {steps} steps; each "
          f"query position should attend to its own key position{note}")
    return {"accuracy": accuracy, "loss": loss.item()}


# ------------------------------------------------------------------ 6: optimizers

def milestone_6(out: Path | None, quick: bool) -> dict:
    rng = np.random.default_rng(0)
    x_np, y_np = _spirals(400, rng)
    x, y = torch.tensor(x_np).float(), torch.tensor(y_np)
    steps = 10 if quick else 300
    warmup = max(1, steps // 10)
    curves = {}
    for name in ("SGD", "Adam", "AdamW"):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                              nn.Linear(32, 2))
        if name == "SGD":
            opt = torch.optim.SGD(model.parameters(), lr=0.5)
        elif name == "Adam":
            opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        else:
            opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / steps)))
        losses = []
        for _ in range(steps):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            losses.append(loss.item())
        curves[name] = losses
        print(f"{name:>5}: loss {losses[0]:.3f} -> {losses[-1]:.3f}")

    def draw(plt):
        from .. import viz

        return viz.loss_curves(curves, title="one problem, three optimizers", log_y=True)

    note = _plot(out and out / "milestone6.png", draw)
    if note:
        print(note.lstrip("; "))
    return {name: losses[-1] for name, losses in curves.items()}


# ------------------------------------------------------------------ 7: the GPT

def milestone_7(out: Path | None, quick: bool) -> dict:
    from ..data import CharTokenizer, default_corpus, get_batch
    from ..models.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    text = default_corpus()[: 50_000 if quick else 300_000]
    tokenizer = CharTokenizer.from_text(text)
    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
    config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=32, n_layer=2, n_head=2,
                       n_embd=64, dropout=0.0)
    model = GPT(config)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    steps = 5 if quick else 500
    losses = []
    for _ in range(steps):
        xb, yb = get_batch(ids, config.block_size, 16)
        _, loss = model(xb, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    start = torch.tensor([tokenizer.encode(text[0])])
    sample = tokenizer.decode(model.generate(start, 120 if not quick else 10)[0].tolist())
    print(f"GPT with {sum(p.numel() for p in model.parameters()):,} parameters: loss "
          f"{losses[0]:.2f} -> {np.mean(losses[-20:]):.2f} after {steps} steps")
    print("sample:\n" + sample)
    return {"first_loss": losses[0], "last_loss": float(np.mean(losses[-20:])),
            "sample": sample}


# ------------------------------------------------------------------ 8: the encoder-decoder

def milestone_8(out: Path | None, quick: bool) -> dict:
    from ..models.transformer import Transformer, TransformerConfig

    torch.manual_seed(0)
    pad, bos, eos, first = 0, 1, 2, 3
    letters, length = 8, 6
    vocab = first + letters
    config = TransformerConfig(src_vocab_size=vocab, tgt_vocab_size=vocab, d_model=32,
                               n_head=2, n_layer=2, d_ff=64, dropout=0.0, max_len=16,
                               pad_id=pad, bos_id=bos, eos_id=eos)
    model = Transformer(config)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)

    def batch(n):
        src = rng.integers(first, vocab, (n, length))
        rev = src[:, ::-1]
        tgt_in = np.concatenate([np.full((n, 1), bos), rev], 1)
        tgt_out = np.concatenate([rev, np.full((n, 1), eos)], 1)
        return torch.tensor(src), torch.tensor(tgt_in), torch.tensor(tgt_out)

    steps = 5 if quick else 1200
    for _ in range(steps):
        src, tgt_in, tgt_out = batch(32)
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, vocab), tgt_out.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    src, _, tgt_out = batch(100)
    with torch.no_grad():
        decoded = model.greedy_decode(src, max_len=length + 1)
    got = decoded[:, 1:length + 1].numpy()
    accuracy = float((got == tgt_out[:, :length].numpy()).all(1).mean())
    example = " ".join(str(int(t)) for t in src[0].tolist())
    print(f"reversing {length} tokens: {accuracy:.0%} of 100 test strings exactly right "
          f"after {steps} steps (e.g. {example} -> "
          f"{' '.join(str(int(t)) for t in got[0])})")
    return {"accuracy": accuracy}


# ------------------------------------------------------------------ 9: a CNN reads digits

# the ten digits in a 5 x 7 bitmap font, drawn here so the data set needs no download
_DIGIT_FONT = """
.###. ..#.. .###. ##### ...#. ##### ..##. ##### .###. .###.
#...# .##.. #...# ...#. ..##. #.... .#... ....# #...# #...#
#..## ..#.. ....# ..#.. .#.#. ####. #.... ...#. #...# #...#
#.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#.. .###. .####
##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...# ....#
#...# ..#.. .#... #...# ...#. #...# #...# .#... #...# ...#.
.###. .###. ##### .###. ...#. .###. .###. .#... .###. .##..
"""


def digit_glyphs() -> np.ndarray:
    """The font as a (10, 7, 5) array of 0/1."""
    rows = [line.split() for line in _DIGIT_FONT.strip().splitlines()]
    return np.array([[[c == "#" for c in row[d]] for row in rows] for d in range(10)],
                    dtype=np.float64)


def draw_digits(labels: np.ndarray, rng, size: int = 16) -> np.ndarray:
    """Images (N, 1, size, size) in [0, 1] of the digits ``labels``, each drawn from the
    font with its own size, slant, position and stroke width, blurred and noisy."""
    glyphs = digit_glyphs()
    n = len(labels)
    scale = rng.uniform(1.5, 2.0, n)[:, None, None]  # pixels per font cell
    slant = rng.uniform(-0.25, 0.25, n)[:, None, None]
    centre_y = size / 2 + rng.uniform(-1.0, 1.0, n)[:, None, None]
    centre_x = size / 2 + rng.uniform(-2.0, 2.0, n)[:, None, None]
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    # each pixel centre mapped back into the font's cell grid (7 rows, 5 columns)
    fy = (yy - centre_y) / scale + 3.5
    fx = (xx - centre_x - slant * (yy - centre_y)) / scale + 2.5
    iy, ix = np.floor(fy).astype(int), np.floor(fx).astype(int)
    inside = (iy >= 0) & (iy < 7) & (ix >= 0) & (ix < 5)
    images = glyphs[labels[:, None, None], iy.clip(0, 6), ix.clip(0, 4)] * inside
    thick = rng.random(n) < 0.5  # a bolder pen: the stroke grows one pixel to the right
    images[thick, :, 1:] = np.maximum(images[thick, :, 1:], images[thick, :, :-1])
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    blurred = sum(padded[:, a:a + size, b:b + size] for a in range(3) for b in range(3)) / 9
    images = 0.6 * images + 0.4 * blurred + rng.normal(0, 0.15, images.shape)
    return images.clip(0, 1)[:, None]


def milestone_9(out: Path | None, quick: bool) -> dict:
    """Conv(1->8) ReLU MaxPool Conv(8->16) ReLU MaxPool Linear(256->10) on drawn digits,
    running the textbook convolution and pooling of assignment 9."""
    from .. import backend

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    n_train, n_test = (256, 64) if quick else (3000, 500)
    train_y, test_y = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    train_x = torch.tensor(draw_digits(train_y, rng)).float()
    test_x = torch.tensor(draw_digits(test_y, rng)).float()
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 4 * 4, 10))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = 5 if quick else 400
    losses = []
    with backend.fast_paths(False):  # your im2col, convolution and pooling
        for _ in range(steps):
            batch = rng.integers(0, n_train, 64)
            loss = F.cross_entropy(model(train_x[torch.tensor(batch)]),
                                   torch.tensor(train_y[batch]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            predicted = model(test_x).argmax(-1).numpy()
    accuracy = float((predicted == test_y).mean())
    note = _plot(out and out / "milestone9.png",
                 lambda plt: _digit_grid(plt, test_x.numpy()[:, 0], predicted, test_y))
    first, last = float(np.mean(losses[:5])), float(np.mean(losses[-20:]))
    print(f"CNN with {sum(p.numel() for p in model.parameters()):,} parameters: loss "
          f"{first:.2f} -> {last:.2f} after {steps} steps; test accuracy {accuracy:.1%} on "
          f"{n_test} new digits (guessing: 10%){note}")
    return {"first_loss": first, "last_loss": last, "accuracy": accuracy}


def _digit_grid(plt, images, predicted, truth, rows=4, cols=8):
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.05))
    for k, ax in enumerate(axes.ravel()):
        ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(str(predicted[k]), fontsize=9,
                     color="tab:green" if predicted[k] == truth[k] else "tab:red")
        ax.axis("off")
    fig.suptitle("test digits and the CNN's reading (red: wrong)", fontsize=10)
    return fig


# ------------------------------------------------------------------ 10: a character LSTM

def milestone_10(out: Path | None, quick: bool) -> dict:
    """Embedding -> nn.LSTM -> Linear on the built-in corpus; an LSTMCell sharing the
    layer's weights then writes text one character at a time."""
    from ..data import CharTokenizer, default_corpus, get_batch

    torch.manual_seed(0)
    width, hidden, block = 32, 128, 32
    lstm = nn.LSTM(width, hidden, batch_first=True)
    cell = nn.LSTMCell(width, hidden)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        setattr(cell, name, getattr(lstm, f"{name}_l0"))  # the same Parameters
    # your cell first, on one step: it must agree with the layer (this stops at once while
    # assignment 10 is not written)
    probe = torch.randn(4, 1, width)
    with torch.no_grad():
        first, _ = lstm(probe)
        h, _ = cell(probe[:, 0])
    gap = float(np.abs(first[:, 0].numpy() - h.numpy()).max())
    if gap > 1e-5:
        raise AssertionError(f"LSTMCell and nn.LSTM differ by {gap:.3g} on one step")
    print(f"your LSTMCell and nn.LSTM agree on one step to {gap:.1e}")

    text = default_corpus()[: 50_000 if quick else 300_000]
    tokenizer = CharTokenizer.from_text(text)
    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
    vocab = tokenizer.vocab_size
    embed, head = nn.Embedding(vocab, width), nn.Linear(hidden, vocab)
    model = nn.ModuleList([embed, lstm, head])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = 5 if quick else 500
    losses = []
    for _ in range(steps):
        xb, yb = get_batch(ids, block, 16)
        out_seq, _ = lstm(embed(xb))
        loss = F.cross_entropy(head(out_seq).reshape(-1, vocab), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())

    rng = np.random.default_rng(0)
    chars, state = tokenizer.encode(text[0]), None
    with torch.no_grad():
        for _ in range(20 if quick else 300):
            state = cell(embed(torch.tensor(chars[-1:])), state)
            z = head(state[0])[0].numpy().astype(np.float64) / 0.8  # temperature 0.8
            p = np.exp(z - z.max())
            chars.append(int(rng.choice(vocab, p=p / p.sum())))
    sample = tokenizer.decode(chars)

    def draw(plt):
        from .. import viz

        return viz.loss_curves({"train": losses}, title="character LSTM")

    note = _plot(out and out / "milestone10.png", draw)
    last = float(np.mean(losses[-20:]))
    print(f"LSTM with {sum(p.numel() for p in model.parameters()):,} parameters: loss "
          f"{losses[0]:.2f} -> {last:.2f} after {steps} steps (uniform guessing: "
          f"{math.log(vocab):.2f}){note}")
    print("sample, written by your LSTMCell:\n" + sample)
    return {"cell_gap": gap, "first_loss": losses[0], "last_loss": last, "sample": sample}


RUNNERS = {1: milestone_1, 2: lambda o, q: milestone_mlp(o, q, 2),
           3: lambda o, q: milestone_mlp(o, q, 3), 4: milestone_4, 5: milestone_5,
           6: milestone_6, 7: milestone_7, 8: milestone_8, 9: milestone_9,
           10: milestone_10}


def run_milestone(number: int, out: str | Path | None = "out/milestones",
                  quick: bool = False) -> dict:
    """Run milestone ``number``; returns its figures. Raises the stub's NotImplementedError
    when an assignment it needs is not written yet."""
    if number not in RUNNERS:
        raise ValueError(f"no milestone {number}; the course has milestones "
                         f"{min(RUNNERS)} to {max(RUNNERS)}")
    out_dir = None
    if out is not None:
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
    return RUNNERS[number](out_dir, quick)


def main(number: int, out: str | None, quick: bool) -> int:
    """The command line: run one milestone, or say which assignment it still needs."""
    print(f"milestone {number}: {MILESTONES[number]}")
    start = time.perf_counter()
    try:
        run_milestone(number, out, quick)
    except NotImplementedError as err:
        needed = assignment_of_message(str(err.args[0]) if err.args else "")
        if needed is None:
            raise
        print(f"milestone {number} stops: it needs assignment {needed}, which is not "
              f"written yet ({err.args[0]}). Finish it, grade it with "
              f"`python -m tinytorch.course grade {needed}`, then run this again.",
              file=sys.stderr)
        return 3
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tinytorch.course.milestones")
    parser.add_argument("number", type=int, choices=sorted(RUNNERS))
    parser.add_argument("--out", default="out/milestones")
    parser.add_argument("--quick", action="store_true")
    a = parser.parse_args()
    sys.exit(main(a.number, a.out, a.quick))
