"""One GPT training step and GPT generation: tinytorch against PyTorch eager, same weights.

    python benchmarks/bench_gpt.py                        # S, M, L and generation, 3 rounds
    python benchmarks/bench_gpt.py --configs S --rounds 2 --no-generation
    python benchmarks/bench_gpt.py --profile S            # cProfile of the tinytorch step
    python benchmarks/bench_gpt.py --threads 1 --cpu-time # on a busy shared machine
    python benchmarks/bench_gpt.py --no-training --rounds 1  # generation alone

A training step is forward, backward, AdamW and zero_grad. A third column times the
hand-written NumPy step of ``numpy_gpt.py`` (no framework). The PyTorch twin below is the
same architecture written with ``F.scaled_dot_product_attention`` and the default
``torch.optim.AdamW`` (PyTorch's fastest eager variant on CPU); both start from the same
weights and see the same batches, and their first losses are printed side by side as a
check that they compute the same thing. Each framework is timed in its own process (their
thread pools fight for the cores when they share one) and the processes alternate over
rounds: the table shows the median over rounds of each round's median step.

Generation samples 500 tokens after a one-token prompt, with the KV cache and without it
(the whole context re-run for every token), twice: with the S dimensions and a block size
of 512, so that all 500 positions fit, and with S's own block of 64, so that 436 tokens
come past ``block_size``, where the window slides ``block_size // 4`` tokens at a time and
the cache is rebuilt once per slide (``GPT.window_start``); the sliding rate should be the
cached rate.

GFLOP/s use nanoGPT's estimate of a step's work: 6 N flops per token for the N weights
(forward 2 N, backward 4 N) plus 12 n_layer n_embd T for attention.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (vocab, block, batch, layers, heads, n_embd), as in PERF.md
CONFIGS = {
    "S": (65, 64, 12, 4, 4, 128),
    "M": (65, 256, 8, 6, 6, 384),
    "L": (50304, 128, 4, 4, 4, 256),
}
GENERATION = {"block 512": (65, 512, 1, 4, 4, 128),  # S dimensions, a block holding 500 tokens
              "block 64": (65, 64, 1, 4, 4, 128)}  # S itself: 436 tokens past block_size
LEARNING_RATE, BETAS, WEIGHT_DECAY = 6e-4, (0.9, 0.95), 0.1
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "TINYTORCH_THREADS")

# wall-clock time by default; --cpu-time (with --threads 1) counts only this process's CPU
# time, which other work on a shared machine barely disturbs
clock = time.perf_counter


def model_config(dims):
    vocab, block, _, layers, heads, embd = dims
    return dict(vocab_size=vocab, block_size=block, n_layer=layers, n_head=heads, n_embd=embd)


def batches(dims, count: int, seed: int = 1234):
    """The same random (x, y) token batches for both frameworks, as NumPy int64 arrays."""
    import numpy as np

    vocab, block, batch = dims[:3]
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, vocab, (batch, block)), rng.integers(0, vocab, (batch, block)))
            for _ in range(count)]


def step_flops(dims, n_params: int) -> float:
    _, block, batch, layers, _, embd = dims
    per_token = 6 * n_params + 12 * layers * embd * block
    return per_token * batch * block


# ----------------------------------------------------------------------------- weights


def write_weights(dims, path: str) -> int:
    """Initialise a tinytorch GPT (seeded) and save its weights as .npz; returns N."""
    import numpy as np

    import tinytorch
    from models.gpt import GPT, GPTConfig

    tinytorch.manual_seed(0)
    model = GPT(GPTConfig(**model_config(dims)))
    np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})
    return model.num_params()


# ----------------------------------------------------------------------------- tinytorch


def timed_steps(step, data, first_loss: float) -> dict:
    """Median milliseconds of ``step(x, y)`` over the batches (every worker's timing loop)."""
    times = []
    for x, y in data:
        start = clock()
        step(x, y)
        times.append(clock() - start)
    return {"ms": 1e3 * statistics.median(times), "first_loss": first_loss}


def tinytorch_worker(dims, weights: str, steps: int, profile: bool = False) -> dict:
    import numpy as np

    import tinytorch
    from models.gpt import GPT, GPTConfig

    model = GPT(GPTConfig(**model_config(dims)))
    arrays = np.load(weights)
    model.load_state_dict({k: tinytorch.from_numpy(arrays[k]) for k in arrays.files})
    model.train()
    opt = model.configure_optimizers(WEIGHT_DECAY, LEARNING_RATE, BETAS)
    data = [(tinytorch.from_numpy(x), tinytorch.from_numpy(y))
            for x, y in batches(dims, steps + 1)]

    def step(x, y):
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    first_loss = step(*data[0])  # warm-up: page faults, BLAS start-up
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for x, y in data[1:]:
            step(x, y)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        print_families(stats, opt)
        return {}
    return timed_steps(step, data[1:], first_loss)


# op families of the profile's summary: a Function class's forward and backward (with all
# they call) count for its family; the optimizer's step for "AdamW"; the rest of the step
# (the autograd engine, tensor bookkeeping, views, adds) is "engine and small ops"
FAMILIES = {"Linear": "linear", "MatMul": "linear", "ScaledDotProductAttention": "attention",
            "Gelu": "GELU", "LayerNorm": "layer_norm", "CrossEntropy": "cross-entropy",
            "Embedding": "embedding"}


def print_families(stats, optimizer) -> None:
    """Share of the profiled time by op family (the cumulative time of each family's
    Function.forward/backward and of the optimizer's step)."""
    from tinytorch.autograd.function import Function

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    where = {}  # (file, first line, name) of a method -> family
    for cls in subclasses(Function):
        family = FAMILIES.get(cls.__name__)
        for method in ("forward", "backward"):
            code = getattr(cls.__dict__.get(method), "__func__", None)
            code = getattr(code, "__code__", None)
            if family and code is not None:
                where[(code.co_filename, code.co_firstlineno, code.co_name)] = family
    step = type(optimizer).step
    step = getattr(step, "__wrapped__", step).__code__
    where[(step.co_filename, step.co_firstlineno, step.co_name)] = "AdamW"
    shares = {}
    for key, (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        if key in where:
            shares[where[key]] = shares.get(where[key], 0.0) + cumulative
    total = stats.total_tt
    shares["engine and small ops"] = total - sum(shares.values())
    print("\nshare of the profiled steps by op family", file=sys.stderr)
    for family, seconds in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {family:22s} {100 * seconds / total:5.1f}%", file=sys.stderr)


def tinytorch_generation_worker(dims, weights: str, tokens: int) -> dict:
    import numpy as np

    import tinytorch
    from models.gpt import GPT, GPTConfig

    model = GPT(GPTConfig(**model_config(dims)))
    arrays = np.load(weights)
    model.load_state_dict({k: tinytorch.from_numpy(arrays[k]) for k in arrays.files})
    model.eval()
    prompt = tinytorch.zeros(1, 1, dtype=tinytorch.long)
    out = {}
    for use_cache in (True, False):
        model.generate(prompt, 5, use_cache=use_cache)  # warm-up
        tinytorch.manual_seed(0)
        start = clock()
        model.generate(prompt, tokens, use_cache=use_cache)
        out["cached" if use_cache else "uncached"] = clock() - start
    return out


# ----------------------------------------------------------------------------- PyTorch twin


def torch_gpt(dims):
    """The same GPT in PyTorch, with the same parameter names as models.gpt.GPT."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    vocab, block, _, layers, heads, embd = dims

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(embd, 3 * embd)
            self.c_proj = nn.Linear(embd, embd)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2)
                       for t in self.c_attn(x).split(embd, dim=2))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(embd, 4 * embd)
            self.c_proj = nn.Linear(4 * embd, embd)

        def forward(self, x):
            return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = nn.LayerNorm(embd), SelfAttention()
            self.ln_2, self.mlp = nn.LayerNorm(embd), MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(vocab, embd), wpe=nn.Embedding(block, embd),
                h=nn.ModuleList([Block() for _ in range(layers)]), ln_f=nn.LayerNorm(embd)))
            self.lm_head = nn.Linear(embd, vocab, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx, targets=None):
            T = idx.size(1)
            x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T))
            for block_ in self.transformer.h:
                x = block_(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            loss = None if targets is None else F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
            return logits, loss

    return GPT()


def load_torch_weights(model, weights: str) -> None:
    import numpy as np
    import torch

    arrays = np.load(weights)
    model.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files})


def torch_worker(dims, weights: str, steps: int) -> dict:
    import torch

    model = torch_gpt(dims)
    load_torch_weights(model, weights)
    params = [p for p in model.parameters()]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": WEIGHT_DECAY},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=LEARNING_RATE, betas=BETAS)
    data = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches(dims, steps + 1)]

    def step(x, y):
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    first_loss = step(*data[0])
    return timed_steps(step, data[1:], first_loss)


def numpy_worker(dims, weights: str, steps: int) -> dict:
    """The hand-written NumPy step of benchmarks/numpy_gpt.py: no framework at all."""
    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from numpy_gpt import NumpyGPT

    arrays = np.load(weights)
    model = NumpyGPT({k: arrays[k] for k in arrays.files}, n_layer=dims[3], n_head=dims[4],
                     lr=LEARNING_RATE, betas=BETAS, weight_decay=WEIGHT_DECAY)
    data = batches(dims, steps + 1)
    first_loss = model.step(*data[0])
    return timed_steps(model.step, data[1:], first_loss)


def torch_generation_worker(dims, weights: str, tokens: int) -> dict:
    """nanoGPT's uncached sampling loop in PyTorch, for reference."""
    import torch

    model = torch_gpt(dims)
    load_torch_weights(model, weights)
    model.eval()
    idx = torch.zeros(1, 1, dtype=torch.long)
    torch.manual_seed(0)
    start = clock()
    with torch.no_grad():
        for _ in range(tokens):
            logits, _ = model(idx[:, -dims[1]:])
            probs = torch.softmax(logits[:, -1, :], dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
    return {"uncached": clock() - start}


# ----------------------------------------------------------------------------- driver


def run_worker(*args: str, options=()) -> dict:
    """Run this file in a fresh process and return the JSON it prints last."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), *args, *options],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_training(names, rounds: int, steps: int, workdir: str, options=()) -> None:
    print(f"training step (forward, backward, AdamW, zero_grad): median over {rounds} rounds "
          f"of the median of {steps} steps, each framework in its own process")
    header = (f"{'config':<7}{'N':>11}{'tinytorch ms':>14}{'PyTorch ms':>12}{'NumPy ms':>10}"
              f"{'tt/pt':>7}{'tt/np':>7}{'tt tok/s':>10}{'pt tok/s':>10}{'tt GFLOP/s':>12}"
              f"{'pt GFLOP/s':>12}   first losses (tt / pt / np)")
    print(header)
    for name in names:
        dims = CONFIGS[name]
        weights = os.path.join(workdir, f"{name}.npz")
        n_params = write_weights(dims, weights)
        results = {"tinytorch": [], "torch": [], "numpy": []}
        losses = {}
        for _ in range(rounds):
            for framework in results:
                r = run_worker("--worker", framework, "--config", name, "--weights", weights,
                               "--steps", str(steps), options=options)
                results[framework].append(r["ms"])
                losses[framework] = r["first_loss"]
        tt, pt, npy = (statistics.median(results[f]) for f in results)
        tokens = dims[1] * dims[2]
        flops = step_flops(dims, n_params)
        print(f"{name:<7}{n_params:>11,}{tt:>14.1f}{pt:>12.1f}{npy:>10.1f}{tt / pt:>7.2f}"
              f"{tt / npy:>7.2f}{tokens / tt * 1e3:>10.0f}{tokens / pt * 1e3:>10.0f}"
              f"{flops / tt / 1e6:>12.1f}{flops / pt / 1e6:>12.1f}   "
              f"{losses['tinytorch']:.4f} / {losses['torch']:.4f} / {losses['numpy']:.4f}",
              flush=True)


def bench_generation(rounds: int, tokens: int, workdir: str, options=()) -> None:
    rates = {}
    for name, dims in GENERATION.items():
        weights = os.path.join(workdir, f"generation {name}.npz")
        write_weights(dims, weights)
        cached, uncached, reference = [], [], []
        for _ in range(rounds):
            r = run_worker("--generation-worker", "tinytorch", "--weights", weights,
                           "--tokens", str(tokens), "--config", name, options=options)
            cached.append(r["cached"])
            uncached.append(r["uncached"])
            reference.append(run_worker("--generation-worker", "torch", "--weights", weights,
                                        "--tokens", str(tokens), "--config", name,
                                        options=options)["uncached"])
        c, u, p = (min(x) for x in (cached, uncached, reference))
        rates[name] = tokens / c
        print(f"\ngeneration of {tokens} tokens, batch 1, S dimensions with {name} "
              f"(fastest of {rounds} rounds)")
        print(f"  tinytorch with KV cache   {c * 1e3:9.1f} ms  {tokens / c:8.0f} tokens/s")
        print(f"  tinytorch without cache   {u * 1e3:9.1f} ms  {tokens / u:8.0f} tokens/s")
        print(f"  PyTorch without cache     {p * 1e3:9.1f} ms  {tokens / p:8.0f} tokens/s")
        print(f"  cache speed-up {u / c:.1f}x (target >= 10x); tinytorch cached vs PyTorch "
              f"uncached {p / c:.1f}x", flush=True)
    if len(rates) == 2:
        sliding, within = rates["block 64"], rates["block 512"]
        print(f"\ncached rate past block_size (block 64) / within the block (block 512): "
              f"{sliding / within:.2f} (target: about 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="S,M,L", help="comma-separated: S, M, L")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per process")
    parser.add_argument("--tokens", type=int, default=500, help="tokens to generate")
    parser.add_argument("--no-generation", action="store_true")
    parser.add_argument("--no-training", action="store_true", help="time generation alone")
    parser.add_argument("--profile", metavar="CONFIG", help="cProfile the tinytorch step")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS / PyTorch threads in every process (default: theirs)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time process CPU time instead of wall time (with --threads 1)")
    # internal: the per-framework worker processes
    parser.add_argument("--worker", choices=("tinytorch", "torch", "numpy"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--generation-worker", choices=("tinytorch", "torch"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    global clock
    if args.cpu_time:
        clock = time.process_time
    if args.threads:
        for variable in THREAD_VARIABLES:  # read by BLAS when it loads: set before imports
            os.environ[variable] = str(args.threads)
        if args.worker == "torch" or args.generation_worker == "torch":
            import torch

            torch.set_num_threads(args.threads)
    options = (["--threads", str(args.threads)] if args.threads else []) + \
        (["--cpu-time"] if args.cpu_time else [])

    if args.worker:
        fn = {"tinytorch": tinytorch_worker, "torch": torch_worker,
              "numpy": numpy_worker}[args.worker]
        print(json.dumps(fn(CONFIGS[args.config], args.weights, args.steps)))
        return
    if args.generation_worker:
        fn = tinytorch_generation_worker if args.generation_worker == "tinytorch" \
            else torch_generation_worker
        print(json.dumps(fn(GENERATION[args.config], args.weights, args.tokens)))
        return

    with tempfile.TemporaryDirectory() as workdir:
        if args.profile:
            weights = os.path.join(workdir, "profile.npz")
            write_weights(CONFIGS[args.profile], weights)
            tinytorch_worker(CONFIGS[args.profile], weights, args.steps, profile=True)
            return
        names = [n.strip().upper() for n in args.configs.split(",") if n.strip()]
        unknown = [n for n in names if n not in CONFIGS]
        if unknown:
            parser.error(f"unknown configs {unknown}; choose from {sorted(CONFIGS)}")
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; (vocab, block, batch, "
              f"layers, heads, n_embd): " + ", ".join(f"{n}={CONFIGS[n]}" for n in names))
        timing = ("process CPU time" if args.cpu_time else "wall time") + \
            (f", {args.threads} thread(s)" if args.threads else ", default threads")
        print(f"timing: {timing}")
        if not args.no_training:
            bench_training(names, args.rounds, args.steps, workdir, options)
        if not args.no_generation:
            bench_generation(args.rounds, args.tokens, workdir, options)


if __name__ == "__main__":
    main()
