"""Train the encoder-decoder Transformer to reverse (or copy) random sequences.

    python examples/train_seq2seq.py                  # reverse, about 75 s on one core
    python examples/train_seq2seq.py --task copy

The synthetic task of the Annotated Transformer: the source is a random string of symbols
of random length, the target the same string reversed (or copied). Nothing to download.
Training uses the paper's warm-up rule and label smoothing; at the end the script reports
whole-sequence accuracy on fresh sequences with greedy decoding and with beam search, and
writes ``loss.png`` and ``attention.png`` (the cross-attention of one example: for each
target token, which source tokens the decoder looked at) to ``--out-dir``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import common
import numpy as np
from common import ExampleError

import tinytorch
import tinytorch.nn.functional as F
from tinytorch.models.transformer import LabelSmoothingLoss, Transformer, TransformerConfig, noam_lr

PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3  # ids 3 .. 3 + symbols - 1 are the symbols


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Train the encoder-decoder Transformer on a "
                                            "synthetic reverse/copy task.")
    a = p.add_argument
    a("--task", choices=["reverse", "copy"], default="reverse", help="(default: 'reverse')")
    a("--symbols", type=int, default=10, help="distinct symbols in the sequences (default: 10)")
    a("--min-len", type=int, default=3, help="shortest source sequence (default: 3)")
    a("--max-len", type=int, default=10, help="longest source sequence (default: 10)")
    a("--d-model", type=int, default=64, help="model width (default: 64)")
    a("--n-head", type=int, default=4, help="attention heads (default: 4)")
    a("--n-layer", type=int, default=2, help="encoder and decoder layers (default: 2)")
    a("--d-ff", type=int, default=128, help="feed-forward width (default: 128)")
    a("--dropout", type=float, default=0.0, help="dropout probability (default: 0.0)")
    a("--pre-norm", action="store_true", help="LayerNorm before each sublayer (modern "
      "practice) instead of after it (the paper)")
    a("--steps", type=int, default=3000, help="training steps (default: 3000)")
    a("--batch-size", type=int, default=64, help="sequences per step (default: 64)")
    a("--warmup", type=int, default=200, help="warm-up steps of the paper's learning-rate "
      "rule (default: 200)")
    a("--lr-factor", type=float, default=0.5, help="scale of the paper's learning-rate rule "
      "(default: 0.5)")
    a("--label-smoothing", type=float, default=0.1, help="(default: 0.1)")
    a("--beam-size", type=int, default=4, help="beam width for the beam-search accuracy "
      "(default: 4)")
    a("--test-size", type=int, default=500, help="fresh sequences to measure accuracy on "
      "(default: 500)")
    a("--seed", type=int, default=0, help="random seed (default: 0)")
    a("--out-dir", default="out-seq2seq", help="where the plots go (default: 'out-seq2seq')")
    a("--no-progress", dest="progress", action="store_false", help="no progress bar")
    return p


def make_batch(args, batch_size: int, rng: np.random.Generator):
    """Random sources, decoder inputs ``[bos, y...]`` and targets ``[y..., eos]``, padded."""
    lengths = rng.integers(args.min_len, args.max_len + 1, size=batch_size)
    symbols = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + args.symbols,
                           size=(batch_size, args.max_len))
    src = np.full((batch_size, args.max_len), PAD, dtype=np.int64)
    tgt = np.full((batch_size, args.max_len + 2), PAD, dtype=np.int64)
    tgt[:, 0] = BOS
    for row, n in enumerate(lengths):
        seq = symbols[row, :n]
        src[row, :n] = seq
        tgt[row, 1:n + 1] = seq[::-1] if args.task == "reverse" else seq
        tgt[row, n + 1] = EOS
    return tinytorch.tensor(src), tinytorch.tensor(tgt[:, :-1]), tinytorch.tensor(tgt[:, 1:])


def sequence_accuracy(decoded, target) -> float:
    """Fraction of rows whose decoded tokens match the target up to and including eos."""
    dec = decoded.numpy()[:, 1:]  # drop bos
    tgt = target.numpy()
    correct = 0
    for d_row, t_row in zip(dec, tgt):
        n = int(np.argmax(t_row == EOS)) + 1  # the target with its eos
        correct += len(d_row) >= n and bool((d_row[:n] == t_row[:n]).all())
    return correct / len(tgt)


def cross_attention(model: Transformer, src, tgt_in):
    """Cross-attention weights (T_tgt, S) of the last decoder layer, averaged over heads.

    Recomputed from the layer's own projections on a forward pass, so the model code needs
    no hooks: the weights are softmax(q k^T / sqrt(d_k)) with padded sources masked out.
    """
    layer = model.decoder.layers[-1]
    attn = layer.cross_attn
    recorded = {}
    original = attn.forward

    def recording_forward(query, key, value, mask=None):
        q, k = attn._split_heads(attn.q_proj(query)), attn._split_heads(attn.k_proj(key))
        scores = (q @ k.transpose(-2, -1)) / (q.size(-1) ** 0.5)  # (B, h, T, S)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        recorded["weights"] = F.softmax(scores, dim=-1).mean(dim=1)  # (B, T, S)
        return original(query, key, value, mask)

    attn.forward = recording_forward
    try:
        with tinytorch.no_grad():
            model(src, tgt_in)
    finally:
        del attn.forward
    return recorded["weights"][0].numpy()


def plot_attention(path: Path, weights: np.ndarray, src_tokens: list[str],
                   tgt_tokens: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(src_tokens)), src_tokens)
    ax.set_yticks(range(len(tgt_tokens)), tgt_tokens)
    ax.set_xlabel("source token (encoder)")
    ax.set_ylabel("decoder input token (predicting the next)")
    ax.set_title("cross-attention, last decoder layer, mean of heads")
    fig.colorbar(image, ax=ax, shrink=0.8)
    common.save_figure(fig, path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.min_len <= args.max_len:
        raise ExampleError(f"need 1 <= --min-len <= --max-len, got {args.min_len} and "
                           f"{args.max_len}")
    if args.symbols < 2 or args.steps < 1 or args.batch_size < 1 or args.test_size < 1:
        raise ExampleError("--symbols must be >= 2 and --steps, --batch-size, --test-size >= 1")
    if args.d_model % args.n_head:
        raise ExampleError(f"--d-model {args.d_model} is not divisible by --n-head "
                           f"{args.n_head}")
    out_dir = common.ensure_writable_dir(common.check_out_dir(args.out_dir, "out-seq2seq"))

    tinytorch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    vocab = FIRST_SYMBOL + args.symbols
    config = TransformerConfig(src_vocab_size=vocab, tgt_vocab_size=vocab,
                               d_model=args.d_model, n_head=args.n_head, n_layer=args.n_layer,
                               d_ff=args.d_ff, dropout=args.dropout,
                               norm_first=args.pre_norm, max_len=args.max_len + 2,
                               pad_id=PAD, bos_id=BOS, eos_id=EOS)
    model = Transformer(config)
    criterion = LabelSmoothingLoss(smoothing=args.label_smoothing, ignore_index=PAD)
    # base lr 1: the LambdaLR factor is the paper's rule itself
    optimizer = tinytorch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = tinytorch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: noam_lr(step + 1, args.d_model, args.warmup, args.lr_factor))

    losses = []
    start = time.perf_counter()
    model.train()
    bar = common.progress(range(args.steps), total=args.steps, enabled=args.progress,
                          unit="step")
    for step in bar:
        src, tgt_in, tgt_out = make_batch(args, args.batch_size, rng)
        loss = criterion(model(src, tgt_in), tgt_out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if step % 10 == 0:
            bar.set_postfix(loss=f"{losses[-1]:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}",
                            refresh=False)
    bar.close()
    train_seconds = time.perf_counter() - start

    model.eval()
    test_rng = np.random.default_rng([args.seed, 1])  # fresh sequences, never trained on
    src, tgt_in, tgt_out = make_batch(args, args.test_size, test_rng)
    greedy = sequence_accuracy(model.greedy_decode(src, max_len=args.max_len + 1), tgt_out)
    beam = sequence_accuracy(model.beam_search(src, beam_size=args.beam_size,
                                               max_len=args.max_len + 1), tgt_out)
    total_seconds = time.perf_counter() - start
    print(f"{args.task}: {args.steps} steps in {train_seconds:.1f} s, final loss "
          f"{np.mean(losses[-20:]):.4f} (label smoothing {args.label_smoothing})")
    print(f"whole-sequence accuracy on {args.test_size} fresh sequences: greedy "
          f"{100 * greedy:.1f}%, beam {args.beam_size} {100 * beam:.1f}% "
          f"({total_seconds:.1f} s in all)")

    if not common.have_matplotlib():
        return 0
    common.plot_losses(out_dir / "loss.png", losses, [],
                       f"Transformer, {args.task} task (label-smoothed loss)")
    n = int((src[0] != PAD).sum().item())
    weights = cross_attention(model, src[:1], tgt_in[:1])
    names = ["<pad>", "<s>", "</s>"] + [chr(ord("a") + i) if i < 26 else str(i)
                                        for i in range(args.symbols)]
    src_tokens = [names[t] for t in src[0].tolist()[:n]]
    tgt_tokens = [names[t] for t in tgt_in[0].tolist()[:n + 1]]
    plot_attention(out_dir / "attention.png", weights[:n + 1, :n], src_tokens, tgt_tokens)
    print(f"wrote {out_dir / 'loss.png'} and {out_dir / 'attention.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(common.run_main(main))
