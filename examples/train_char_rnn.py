"""Train an LSTM character model on the built-in corpus (or a text file), then sample.

The model is PyTorch's classic char-RNN: Embedding -> nn.LSTM (num_layers, dropout) ->
Linear, trained with truncated backpropagation through time on random windows of the text
(``tinytorch.data.get_batch``), gradient clipping and Adam. The default corpus ships with
Python (no download).

    python examples/train_char_rnn.py                         # built-in corpus
    python examples/train_char_rnn.py --input shakespeare.txt --max-iters 2000
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from common import ExampleError, run_main

import tinytorch
import tinytorch.nn as nn
from tinytorch.data import CharTokenizer, default_corpus, get_batch, read_text, train_val_split


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear over the vocabulary, batch-first."""

    def __init__(self, vocab_size: int, n_embd: int, hidden: int, num_layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, n_embd)
        self.lstm = nn.LSTM(n_embd, hidden, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.embed(idx), state)  # (B, T, hidden)
        return self.head(out), state  # (B, T, vocab)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", default=None, help="a UTF-8 text file (default: built-in corpus)")
    p.add_argument("--max-chars", type=int, default=200_000,
                   help="use at most this many characters of the text")
    p.add_argument("--max-iters", type=int, default=300)
    p.add_argument("--eval-interval", type=int, default=100)
    p.add_argument("--eval-iters", type=int, default=10)
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--n-embd", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--num-layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--sample-chars", type=int, default=200)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="plain lines instead of a progress bar")
    return p


def check(s: argparse.Namespace) -> None:
    for name in ("max_iters", "eval_interval", "eval_iters", "block_size", "batch_size",
                 "n_embd", "hidden", "num_layers", "max_chars"):
        if getattr(s, name) < 1:
            raise ExampleError(f"--{name.replace('_', '-')} must be at least 1, got "
                               f"{getattr(s, name)}")
    if not 0 <= s.dropout < 1:
        raise ExampleError(f"--dropout must be in [0, 1), got {s.dropout}")
    if s.lr <= 0 or s.temperature <= 0:
        raise ExampleError("--lr and --temperature must be positive")


def estimate_loss(model, splits, s) -> dict:
    model.eval()
    losses = {}
    with tinytorch.no_grad():
        for name, ids in splits.items():
            total = 0.0
            for _ in range(s.eval_iters):
                x, y = get_batch(ids, s.block_size, s.batch_size)
                logits, _ = model(x)
                total += nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten()).item()
            losses[name] = total / s.eval_iters
    model.train()
    return losses


def sample(model, tokenizer: CharTokenizer, n_chars: int, temperature: float,
           rng: np.random.Generator) -> str:
    """Feed characters one at a time, carrying the LSTM state."""
    model.eval()
    idx = tokenizer.encode("\n")
    out = []
    state = None
    with tinytorch.no_grad():
        x = tinytorch.tensor([idx])
        for _ in range(n_chars):
            logits, state = model(x, state)
            z = logits[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(z - z.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            out.append(nxt)
            x = tinytorch.tensor([[nxt]])
    model.train()
    return tokenizer.decode(out)


def main(argv: list[str] | None = None) -> int:
    s = build_parser().parse_args(argv)
    check(s)
    try:
        text = read_text(s.input) if s.input else default_corpus()
    except (OSError, ValueError) as e:
        raise ExampleError(str(e)) from None
    text = text[:s.max_chars]
    tokenizer = CharTokenizer.from_text(text)
    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
    train_ids, val_ids = train_val_split(ids)
    if len(val_ids) < s.block_size + 1:
        raise ExampleError(f"the text is too short ({len(text)} characters) for "
                           f"--block-size {s.block_size}")
    tinytorch.manual_seed(s.seed)
    model = CharLSTM(tokenizer.vocab_size, s.n_embd, s.hidden, s.num_layers, s.dropout)
    opt = tinytorch.optim.Adam(model.parameters(), lr=s.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"CharLSTM: {n_params} parameters, vocabulary {tokenizer.vocab_size}, "
          f"{len(text)} characters; uniform loss would be {math.log(tokenizer.vocab_size):.3f}")
    splits = {"train": train_ids, "val": val_ids}
    bar = range(s.max_iters)
    if s.progress:
        try:
            from tqdm import tqdm

            bar = tqdm(bar, file=sys.stderr, dynamic_ncols=True, unit="it")
        except ImportError:
            pass
    start = time.perf_counter()
    for it in bar:
        if it % s.eval_interval == 0 or it == s.max_iters - 1:
            losses = estimate_loss(model, splits, s)
            print(f"step {it}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f} "
                  f"({time.perf_counter() - start:.1f}s)")
        x, y = get_batch(train_ids, s.block_size, s.batch_size)
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), s.grad_clip)
        opt.step()
    print("sample:")
    print(sample(model, tokenizer, s.sample_chars, s.temperature,
                 np.random.default_rng(s.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
