"""Train a character-level GPT, in the spirit of nanoGPT's shakespeare_char run.

    python examples/train_gpt.py                       # built-in corpus, about two minutes
    python examples/train_gpt.py --data input.txt      # any UTF-8 text file
    python examples/train_gpt.py --resume --max-iters 4000

(nanoGPT's figures use Karpathy's tinyshakespeare, ``input.txt`` of his char-rnn repository,
1,115,394 bytes; any text file works.) Ctrl-C or SIGTERM stops after the current iteration,
saves a checkpoint and prints the ``--resume`` command; a directory that already holds a
checkpoint is never overwritten without ``--resume`` or ``--force``.

With no arguments it trains on text that ships with Python (the language reference pages
behind ``help()``), so a fresh machine needs no download. Every ``--eval-interval``
iterations it prints the train and validation loss and writes a checkpoint to
``--out-dir``; at the end it writes ``loss.png`` and ``sample.txt`` there too.
``examples/sample.py`` generates more text from the checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

import common
import numpy as np
from common import CHECKPOINT_NAME, ExampleError

import tinytorch
from tinytorch.data import CharTokenizer, default_corpus, get_batch, read_text, train_val_split
from tinytorch.models.gpt import GPT, GPTConfig

# nanoGPT's CPU configuration for shakespeare_char (its README: val loss 1.88 after 2000
# iterations). None means "derived": lr_decay_iters follows max_iters.
DEFAULTS = dict(
    data=None, out_dir="out", resume=False,
    n_layer=4, n_head=4, n_embd=128, block_size=64, dropout=0.0, bias=True,
    batch_size=12, max_iters=2000, lr=1e-3, min_lr=1e-4, warmup_iters=100,
    lr_decay_iters=None, weight_decay=0.1, beta1=0.9, beta2=0.99, grad_clip=1.0,
    eval_interval=250, eval_iters=20, device="cpu", dtype="float32", seed=1337,
    prompt="\n", sample_tokens=500, temperature=0.8, top_k=200, top_p=None, progress=True,
)
# the flags that fix the model's shape: taken from the checkpoint on --resume
MODEL_KEYS = ("n_layer", "n_head", "n_embd", "block_size", "bias", "dtype")
# what a checkpoint needs so that --resume can continue exactly
RESUME_KEYS = ("model", "optimizer", "iter_num", "best_val_loss", "settings", "tokenizer",
               "rng_state", "history")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Train a character-level GPT on a text file (default: a corpus that "
                    "ships with Python, no download).",
        epilog="On --resume every flag you do not give is taken from the checkpoint.")

    def add(flag, help, **kw):
        key = flag.lstrip("-").replace("-", "_")
        default = DEFAULTS[key]
        if kw.get("action") is None and default is not None:
            help = f"{help} (default: {default!r})" if isinstance(default, str) \
                else f"{help} (default: {default})"
        # default None everywhere, so the script can tell a flag given on the command line
        # from one left alone (that matters on --resume)
        p.add_argument(flag, default=None, help=help, **kw)

    g = p.add_argument_group("data and output")
    add("--data", "UTF-8 text file to train on (default: Python's own language reference "
        "text)", metavar="PATH")
    add("--out-dir", "directory for the checkpoint, loss.png and sample.txt", metavar="DIR")
    g.add_argument("--resume", action="store_true",
                   help="continue from DIR/ckpt.safetensors exactly where it stopped")
    g.add_argument("--force", action="store_true",
                   help="start afresh even though DIR holds a checkpoint (overwrites it)")
    g = p.add_argument_group("model")
    add("--n-layer", "number of Transformer blocks", type=int)
    add("--n-head", "attention heads per block", type=int)
    add("--n-embd", "embedding width (divisible by --n-head)", type=int)
    add("--block-size", "context length in characters", type=int)
    add("--dropout", "dropout probability", type=float)
    g.add_argument("--bias", action=argparse.BooleanOptionalAction, default=None,
                   help="biases in the Linear layers and LayerNorms, as GPT-2 (default: "
                        "True; nanoGPT's train.py uses --no-bias)")
    g = p.add_argument_group("optimisation")
    add("--batch-size", "sequences per iteration", type=int)
    add("--max-iters", "total training iterations (on --resume: the new total)", type=int)
    add("--lr", "peak learning rate of AdamW", type=float)
    add("--min-lr", "learning rate at the end of the cosine decay", type=float)
    add("--warmup-iters", "iterations of linear warm-up from 0 to --lr", type=int)
    add("--lr-decay-iters", "iteration where the cosine decay reaches --min-lr "
        "(default: --max-iters)", type=int)
    add("--weight-decay", "AdamW weight decay on weight matrices", type=float)
    add("--beta1", "AdamW beta1", type=float)
    add("--beta2", "AdamW beta2", type=float)
    add("--grad-clip", "clip the global gradient norm to this (0: off)", type=float)
    g = p.add_argument_group("evaluation and runtime")
    add("--eval-interval", "evaluate and checkpoint every this many iterations", type=int)
    add("--eval-iters", "batches per split in each evaluation", type=int)
    add("--device", "where to train", choices=["cpu", "cuda"])
    add("--dtype", "floating-point type of the model", choices=["float32", "float64"])
    add("--seed", "random seed (weights, batches, dropout, sampling)", type=int)
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bar (evaluations are still printed)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="BLAS threads for the matrix products (default: the library's, "
                        "usually one per core); use 1 when other work shares the CPU")
    g = p.add_argument_group("the sample written at the end")
    add("--prompt", "text the sample starts from", metavar="TEXT")
    add("--sample-tokens", "characters to generate (0: no sample)", type=int)
    add("--temperature", "sampling temperature", type=float)
    add("--top-k", "sample among the k most likely characters only (0: all)", type=int)
    add("--top-p", "nucleus sampling: the smallest set with this much probability "
        "(default: off)", type=float)
    return p


def resolve_settings(cli: argparse.Namespace, saved: dict | None) -> argparse.Namespace:
    """Defaults, overridden by the checkpoint's settings, overridden by the command line."""
    given = {k: v for k, v in vars(cli).items()
             if v is not None and k not in ("resume", "force", "threads")}
    s = dict(DEFAULTS)
    if saved is not None:
        for key in MODEL_KEYS:
            if key in given and given[key] != saved[key]:
                if key == "block_size" and given[key] > saved[key]:
                    raise ExampleError(f"--block-size {given[key]} is larger than the "
                                       f"checkpoint's block size {saved[key]}")
                raise ExampleError(f"--{key.replace('_', '-')} {given[key]} differs from the "
                                   f"checkpoint's {saved[key]}; a resumed model keeps its shape")
        s.update({k: v for k, v in saved.items() if k in DEFAULTS})
    s.update(given)
    s["resume"] = cli.resume
    checks = [("n_layer", 1), ("n_head", 1), ("n_embd", 1), ("block_size", 1),
              ("batch_size", 1), ("max_iters", 1), ("eval_interval", 1), ("eval_iters", 1),
              ("warmup_iters", 0), ("sample_tokens", 0), ("top_k", 0)]
    for key, low in checks:
        if s[key] < low:
            raise ExampleError(f"--{key.replace('_', '-')} must be at least {low}, got {s[key]}")
    if s["n_embd"] % s["n_head"]:
        raise ExampleError(f"--n-embd {s['n_embd']} is not divisible by --n-head {s['n_head']}")
    if not 0.0 <= s["dropout"] < 1.0:
        raise ExampleError(f"--dropout must be in [0, 1), got {s['dropout']}")
    if s["top_p"] is not None and not 0.0 < s["top_p"] <= 1.0:
        raise ExampleError(f"--top-p must be in (0, 1], got {s['top_p']}")
    common.check_number("--lr", s["lr"], 0.0, low_open=True)
    common.check_number("--min-lr", s["min_lr"], 0.0)
    common.check_number("--beta1", s["beta1"], 0.0, 1.0, high_open=True)
    common.check_number("--beta2", s["beta2"], 0.0, 1.0, high_open=True)
    common.check_number("--weight-decay", s["weight_decay"], 0.0)
    common.check_number("--grad-clip", s["grad_clip"], 0.0)
    common.check_number("--temperature", s["temperature"], 0.0, low_open=True)
    if s["seed"] < 0:
        raise ExampleError(f"--seed must be at least 0, got {s['seed']}")
    if s["device"] == "cuda" and not tinytorch.cuda.is_available():
        raise ExampleError("--device cuda: CuPy with a GPU is not available "
                           "(pip install -e '.[cuda]')")
    return argparse.Namespace(**s)


def learning_rate(it: int, s: argparse.Namespace) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``min_lr`` at ``lr_decay_iters``."""
    decay_iters = s.lr_decay_iters if s.lr_decay_iters is not None else s.max_iters
    if it < s.warmup_iters:
        return s.lr * (it + 1) / (s.warmup_iters + 1)
    if it >= decay_iters:
        return s.min_lr
    progress = (it - s.warmup_iters) / max(1, decay_iters - s.warmup_iters)
    return s.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (s.lr - s.min_lr)


def estimate_loss(model, splits: dict, s: argparse.Namespace) -> dict:
    """Mean loss over ``eval_iters`` batches per split.

    The batches come from their own generator, seeded the same at every evaluation: the
    figures are comparable from one evaluation to the next, and evaluating never moves the
    global random state (so a resumed run draws exactly the batches an unbroken one would).
    """
    model.eval()
    out = {}
    with tinytorch.no_grad():
        for i, (name, ids) in enumerate(splits.items()):
            rng = np.random.default_rng([s.seed, i])
            losses = [model(*get_batch(ids, s.block_size, s.batch_size, s.device, rng))[1].item()
                      for _ in range(s.eval_iters)]
            out[name] = float(np.mean(losses))
    model.train()
    return out


def prepare_data(s: argparse.Namespace, tokenizer: CharTokenizer | None):
    try:
        text = read_text(s.data) if s.data is not None else default_corpus()
    except ValueError as e:
        raise ExampleError(str(e)) from None
    source = s.data if s.data is not None else "the built-in corpus"
    if len(text) < s.block_size + 1:
        raise ExampleError(f"{source} has {len(text)} characters, shorter than one block "
                           f"(--block-size {s.block_size} needs at least {s.block_size + 1})")
    if tokenizer is None:
        tokenizer = CharTokenizer.from_text(text)
    try:
        ids = np.array(tokenizer.encode(text), dtype=np.int64)
    except ValueError as e:
        raise ExampleError(f"{source} does not match the checkpoint's tokenizer: {e}") from None
    train_ids, val_ids = train_val_split(ids, 0.9)
    if len(val_ids) < s.block_size + 1:
        raise ExampleError(f"{source} is too short: its validation tenth has {len(val_ids)} "
                           f"characters, fewer than one block ({s.block_size + 1}); use a "
                           f"longer text or a smaller --block-size")
    return tokenizer, {"train": train_ids, "val": val_ids}, source


def main(argv: list[str] | None = None) -> int:
    cli = build_parser().parse_args(argv)
    common.set_threads(cli.threads)
    out_dir = common.check_out_dir(cli.out_dir, DEFAULTS["out_dir"])
    ckpt_path = out_dir / CHECKPOINT_NAME
    if cli.resume and cli.force:
        raise ExampleError("--resume and --force contradict each other: continue the "
                           "checkpoint, or start afresh over it")
    if not cli.resume and not cli.force and ckpt_path.exists():
        raise ExampleError(f"{str(out_dir)!r} already holds a checkpoint; pass --resume to "
                           f"continue it, --force to start afresh over it, or another "
                           f"--out-dir")
    ckpt = common.load_checkpoint(ckpt_path) if cli.resume else None
    tokenizer = None
    if ckpt is not None:
        missing = [k for k in RESUME_KEYS if k not in ckpt]
        if missing or not all(k in ckpt["settings"] for k in MODEL_KEYS):
            raise ExampleError(f"{str(ckpt_path)!r} cannot be resumed: it lacks "
                               f"{', '.join(missing) or 'model settings'}")
        try:
            tokenizer = CharTokenizer.from_state_dict(ckpt["tokenizer"])
        except ValueError as e:
            raise ExampleError(f"{str(ckpt_path)!r}: {e}") from None
    s = resolve_settings(cli, ckpt["settings"] if ckpt else None)
    s.out_dir = str(out_dir)
    tokenizer, splits, source = prepare_data(s, tokenizer)
    if s.sample_tokens > 0:  # the sample comes at the end: check its prompt now
        s.prompt = check_prompt(s.prompt, tokenizer, given=cli.prompt is not None)
    out_dir = common.ensure_writable_dir(out_dir)
    stale = common.remove_stale_temporaries(
        out_dir, (CHECKPOINT_NAME, "loss.png", "sample.txt", "metrics.json"))
    if stale:
        print(f"removed {len(stale)} temporary file(s) left by an interrupted run in {out_dir}")

    dtype = getattr(tinytorch, s.dtype)
    if ckpt is None:
        tinytorch.manual_seed(s.seed)
    config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=s.block_size,
                       n_layer=s.n_layer, n_head=s.n_head, n_embd=s.n_embd, dropout=s.dropout,
                       bias=s.bias)
    model = GPT(config).to(device=s.device, dtype=dtype)
    optimizer = model.configure_optimizers(weight_decay=s.weight_decay, learning_rate=s.lr,
                                           betas=(s.beta1, s.beta2))
    start_iter, best_val, step_losses, evals = 0, None, [], []
    saved_iter = None
    if ckpt is not None:
        try:
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            tinytorch.set_rng_state(ckpt["rng_state"])
            start_iter = int(ckpt["iter_num"])
            best_val = ckpt["best_val_loss"]
            step_losses, evals = list(ckpt["history"]["step_loss"]), list(ckpt["history"]["evals"])
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise ExampleError(f"checkpoint {str(ckpt_path)!r} is incomplete or does not fit "
                               f"the model: {common.first_line(e)}") from None
        if start_iter >= s.max_iters:
            raise ExampleError(f"the checkpoint is already at iteration {start_iter}; pass "
                               f"--max-iters larger than that to train further")

    if ckpt is not None:
        saved_iter = start_iter  # the checkpoint on disk is the last good one
    n_params = sum(p.numel() for p in model.parameters())
    print(f"data: {source}, {len(splits['train']):,} train / {len(splits['val']):,} val "
          f"characters, vocabulary {tokenizer.vocab_size}")
    print(f"model: {n_params / 1e6:.2f}M parameters, {s.n_layer} layers, {s.n_head} heads, "
          f"n_embd {s.n_embd}, block {s.block_size}, {s.dtype} on {s.device}")
    if start_iter:
        print(f"resuming from {ckpt_path} at iteration {start_iter}")

    def checkpoint(it: int) -> None:
        nonlocal saved_iter
        saved_iter = it
        common.save_checkpoint({
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "iter_num": it,
            "best_val_loss": best_val,
            "config": {"vocab_size": config.vocab_size, "block_size": config.block_size,
                       "n_layer": config.n_layer, "n_head": config.n_head,
                       "n_embd": config.n_embd, "dropout": config.dropout,
                       "bias": config.bias},
            "settings": {k: v for k, v in vars(s).items() if k not in ("resume", "out_dir")},
            "tokenizer": tokenizer.state_dict(),
            "rng_state": tinytorch.get_rng_state(),
            "history": {"step_loss": step_losses, "evals": evals},
        }, ckpt_path)

    tokens_per_iter = s.batch_size * s.block_size
    bar = common.progress(range(start_iter, s.max_iters), initial=start_iter,
                          total=s.max_iters, enabled=s.progress)
    train_seconds, cpu_seconds, loss_value = 0.0, 0.0, float("nan")
    model.train()
    with common.StopRequest() as stop:
        for it in bar:
            t0, c0 = time.perf_counter(), time.process_time()
            lr = learning_rate(it, s)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = get_batch(splits["train"], s.block_size, s.batch_size, s.device)
            _, loss = model(x, y)
            loss_value = loss.item()  # also waits for the GPU, so the timing is honest
            if not math.isfinite(loss_value):
                bar.close()
                raise ExampleError(_diverged(it, loss_value, saved_iter, ckpt_path))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if s.grad_clip > 0:
                tinytorch.nn.utils.clip_grad_norm_(model.parameters(), s.grad_clip)
            optimizer.step()
            dt = time.perf_counter() - t0
            train_seconds += dt
            cpu_seconds += time.process_time() - c0
            step_losses.append(loss_value)
            bar.set_postfix(loss=f"{loss_value:.4f}", lr=f"{lr:.2e}",
                            tok_s=f"{tokens_per_iter / dt:,.0f}", refresh=False)
            done = it + 1
            if done % s.eval_interval == 0 or done == s.max_iters:
                losses = estimate_loss(model, splits, s)
                if not all(map(math.isfinite, losses.values())):
                    bar.close()
                    raise ExampleError(_diverged(it, losses["val"], saved_iter, ckpt_path))
                evals.append({"iter": done, **losses})
                if best_val is None or losses["val"] < best_val:
                    best_val = losses["val"]
                bar.write(f"iter {done}: train loss {losses['train']:.4f}, "
                          f"val loss {losses['val']:.4f}")
                checkpoint(done)
            if stop.signal_name is not None:
                bar.close()
                if saved_iter != done:
                    checkpoint(done)
                resume = f"python {shlex.quote(sys.argv[0])} --resume --out-dir " \
                         f"{shlex.quote(str(out_dir))}"
                print(f"{stop.signal_name}: stopped after iteration {done}; checkpoint saved "
                      f"to {ckpt_path}. Continue with:\n  {resume}", file=sys.stderr)
                return 130 if stop.signal_name == "SIGINT" else 143
    bar.close()

    iters_run = s.max_iters - start_iter
    if iters_run:
        print(f"trained {iters_run} iterations in {train_seconds:.1f} s "
              f"({1000 * train_seconds / iters_run:.1f} ms/iteration, "
              f"{tokens_per_iter * iters_run / train_seconds:,.0f} tokens/s); "
              f"final train loss {evals[-1]['train']:.4f}, val loss {evals[-1]['val']:.4f}, "
              f"last batch loss {loss_value!r}")
    with open(out_dir / "metrics.json", "w") as f:
        json.dump({"iterations": s.max_iters, "final": evals[-1] if evals else None,
                   "best_val_loss": best_val, "last_batch_loss": loss_value,
                   "train_seconds_this_run": train_seconds, "cpu_seconds_this_run": cpu_seconds,
                   "iterations_this_run": iters_run},
                  f, indent=1)
    if s.sample_tokens > 0:
        text = generate_text(model, tokenizer, s.prompt, s.sample_tokens, s.temperature,
                             s.top_k, s.top_p, s.device)
        with common.atomic_path(out_dir / "sample.txt") as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
        print(f"--- sample ({out_dir / 'sample.txt'}) ---\n{text}\n---")
    if common.have_matplotlib():
        common.plot_losses(out_dir / "loss.png", step_losses, evals,
                           f"char-level GPT on {Path(source).name if s.data else source}")
        print(f"wrote {ckpt_path}, {out_dir / 'loss.png'}")
    else:
        print(f"wrote {ckpt_path}")
    return 0


def _diverged(it: int, value: float, saved_iter: int | None, ckpt_path: Path) -> str:
    kept = f"the last good checkpoint (iteration {saved_iter}) is kept in {ckpt_path}" \
        if saved_iter is not None else "no checkpoint was written"
    return (f"the loss became {value} at iteration {it + 1}: training diverged (try a "
            f"smaller --lr); stopped, and {kept}")


def check_prompt(prompt: str, tokenizer: CharTokenizer, given: bool) -> str:
    """The prompt if the vocabulary has its characters; the default falls back to the
    text's first character (a text without newlines), a given prompt is an error."""
    if not prompt:
        raise ExampleError("--prompt is empty: give at least one character")
    try:
        tokenizer.encode(prompt)
    except ValueError as e:
        if given:
            raise ExampleError(f"--prompt: {e}") from None
        fallback = tokenizer.decode([0])
        print(f"the default prompt (a newline) is not in this text's vocabulary; the sample "
              f"starts from {fallback!r}")
        return fallback
    return prompt


def generate_text(model, tokenizer: CharTokenizer, prompt: str, max_new_tokens: int,
                  temperature: float, top_k: int | None, top_p: float | None,
                  device: str) -> str:
    """``prompt`` followed by ``max_new_tokens`` sampled characters."""
    if not prompt:
        raise ExampleError("the prompt is empty: give at least one character")
    try:
        ids = tokenizer.encode(prompt)
    except ValueError as e:
        raise ExampleError(f"prompt: {e}") from None
    idx = tinytorch.tensor([ids], dtype=tinytorch.int64, device=device)
    model.eval()
    out = model.generate(idx, max_new_tokens, temperature=temperature,
                         top_k=min(top_k or 0, tokenizer.vocab_size) or None,
                         top_p=top_p)
    return tokenizer.decode(out[0].tolist())


if __name__ == "__main__":
    sys.exit(common.run_main(main))
