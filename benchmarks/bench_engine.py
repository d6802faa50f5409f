"""Engine benchmark: tinytorch against PyTorch eager, each timed in its own process.

(a) Per-op overhead: a chain of small elementwise ops (16 elements), forward and backward;
    the time is almost all framework bookkeeping, reported in microseconds per op.
(b) A matmul-bound MLP training step (forward, backward, SGD update) in float32.
(c) A bigram model's step (makemore): per-op overhead at the smallest model size.
(d) A minGPT-style step written as the tutorials write it (pow/tanh GELU, attention by hand).

The workloads are written once against a ``lib`` module, so the same lines run as
tinytorch and as torch (the API contract at work). tinytorch also runs with the glibc
``mallopt`` tuning switched off, to show what it is worth.

    python benchmarks/bench_engine.py            # 5 alternating rounds
    python benchmarks/bench_engine.py --rounds 9 --quick
    python benchmarks/bench_engine.py --parts ac --threads 2   # the per-op parts only
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys

from common import Case, compare, print_table

CHAIN_BLOCKS = 20  # each block is (y * 0.9 + 0.1).tanh(): 3 ops
CHAIN_OPS = 3 * CHAIN_BLOCKS + 1  # plus the final sum

# glibc memory tuning off (both spellings, whichever backend.py reads)
NO_MALLOPT = {"TINYTORCH_NO_MALLOPT": "1", "TINYTORCH_KEEP_FREED_MEMORY": "0"}


def _lib(framework: str):
    lib = importlib.import_module(framework)
    lib.manual_seed(0)
    return lib


def elementwise_chain(framework: str, size: int = 16, blocks: int = CHAIN_BLOCKS):
    """A step of ``3 * blocks + 1`` tiny elementwise ops, forward then backward."""
    lib = _lib(framework)
    x = lib.randn(size, requires_grad=True)

    def step():
        y = x
        for _ in range(blocks):
            y = (y * 0.9 + 0.1).tanh()
        y.sum().backward()
        x.grad = None

    return step


def mlp_step(framework: str, batch: int = 256, width: int = 1024, depth: int = 3,
             lr: float = 1e-3):
    """One SGD step of a ``depth``-layer ReLU MLP with an MSE loss, float32."""
    lib = _lib(framework)
    scale = 1 / math.sqrt(width)
    params = []
    for _ in range(depth):
        params.append((lib.randn(width, width) * scale).requires_grad_())
        params.append(lib.zeros(width, requires_grad=True))
    x = lib.randn(batch, width)
    target = lib.randn(batch, width)

    def step():
        h = x
        for i in range(0, len(params), 2):
            h = (h @ params[i] + params[i + 1]).relu()
        loss = ((h - target) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None

    return step


def bigram_step(framework: str, vocab: int = 65, batch: int = 32, block: int = 8):
    """One AdamW step of makemore's bigram model: an embedding table read as logits."""
    lib = _lib(framework)
    F = lib.nn.functional
    table = lib.nn.Embedding(vocab, vocab)
    opt = lib.optim.AdamW(table.parameters(), lr=1e-2)
    x = lib.randint(0, vocab, (batch, block))
    y = lib.randint(0, vocab, (batch, block))

    def step():
        logits = table(x)
        loss = F.cross_entropy(logits.view(-1, vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def mingpt_step(framework: str, vocab: int = 65, block: int = 32, batch: int = 8,
                n_layer: int = 2, n_head: int = 4, n_embd: int = 64):
    """One AdamW step of a minGPT-style model as tutorials write it: attention by hand
    (masked_fill + softmax) and NewGELU built from ``pow`` and ``tanh``."""
    lib = _lib(framework)
    nn, F = lib.nn, lib.nn.functional

    class NewGELU(nn.Module):
        def forward(self, x):
            return 0.5 * x * (1.0 + lib.tanh(math.sqrt(2.0 / math.pi)
                                             * (x + 0.044715 * lib.pow(x, 3.0))))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), NewGELU(),
                                     nn.Linear(4 * n_embd, n_embd))
            self.register_buffer("bias", lib.tril(lib.ones(block, block))
                                 .view(1, 1, block, block))

        def attn(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            y = F.softmax(att, dim=-1) @ v
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class MiniGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, n_embd), nn.Embedding(block, n_embd)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)

        def forward(self, idx, targets):
            x = self.wte(idx) + self.wpe(lib.arange(idx.size(1)))
            for blk in self.blocks:
                x = blk(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, vocab), targets.view(-1))

    model = MiniGPT()
    opt = lib.optim.AdamW(model.parameters(), lr=3e-4)
    x = lib.randint(0, vocab, (batch, block))
    y = lib.randint(0, vocab, (batch, block))

    def step():
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def mlp_step_numpy(batch: int = 256, width: int = 1024, depth: int = 3, lr: float = 1e-3):
    """The same MLP step written by hand in NumPy: the floor a framework on NumPy can reach."""
    import numpy as np

    rng = np.random.default_rng(0)
    scale = np.float32(1 / math.sqrt(width))
    weights = [rng.standard_normal((width, width), dtype=np.float32) * scale
               for _ in range(depth)]
    biases = [np.zeros(width, np.float32) for _ in range(depth)]
    x = rng.standard_normal((batch, width), dtype=np.float32)
    target = rng.standard_normal((batch, width), dtype=np.float32)
    lr = np.float32(lr)

    def step():
        acts = [x]
        for w, b in zip(weights, biases):
            acts.append(np.maximum(acts[-1] @ w + b, 0))
        diff = acts[-1] - target
        g = diff * np.float32(2 / diff.size)
        for i in reversed(range(depth)):
            g = g * (acts[i + 1] > 0)
            grad_w = acts[i].T @ g
            grad_b = g.sum(axis=0)
            if i:
                g = g @ weights[i].T
            weights[i] -= lr * grad_w
            biases[i] -= lr * grad_b

    return step


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (median)")
    parser.add_argument("--quick", action="store_true", help="a smaller MLP, for a smoke run")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads per framework (default 1: robust on a "
                             "shared machine; 0 leaves the libraries' defaults)")
    parser.add_argument("--parts", default="abcd",
                        help="which parts to run, by letter (default abcd; e.g. ac for the "
                             "per-op chain and the bigram step)")
    args = parser.parse_args(argv)
    unknown = set(args.parts) - set("abcd")
    if unknown:
        parser.error(f"--parts takes letters from 'abcd', got {''.join(sorted(unknown))!r}")
    try:
        import torch  # noqa: F401  (only to know whether the oracle is installed)
        frameworks = ["tinytorch", "torch"]
    except ImportError:
        print("PyTorch is not installed: timing tinytorch alone (no ratios)\n")
        frameworks = ["tinytorch"]
    baseline = frameworks[-1]

    threads = args.threads or None
    if "a" in args.parts:
        chain_cases = [Case(f, "bench_engine:elementwise_chain", {"framework": f})
                       for f in frameworks]
        print(f"(a) per-op overhead: {CHAIN_OPS} elementwise ops on 16 floats, fwd + bwd",
              file=sys.stderr)
        chain = compare(chain_cases, rounds=args.rounds, threads=threads)
        print_table(chain, baseline, title=f"(a) per-op overhead, microseconds per op "
                                           f"({CHAIN_OPS} ops, forward + backward)",
                    unit_divisor=CHAIN_OPS / 1000, unit="us/op")
    if "b" in args.parts:
        _mlp_part(args, frameworks, baseline, threads)

    for part, name, title in (
            ("c", "bigram_step", "(c) bigram model step (makemore: embedding as logits, "
                                 "cross-entropy, AdamW), ms per step"),
            ("d", "mingpt_step", "(d) minGPT-style step (attention by hand, NewGELU from pow "
                                 "and tanh, AdamW), ms per step")):
        if part not in args.parts:
            continue
        cases = [Case(f, f"bench_engine:{name}", {"framework": f}) for f in frameworks]
        print(title.split(",")[0], file=sys.stderr)
        print_table(compare(cases, rounds=args.rounds, threads=threads), baseline,
                    title=title)


def _mlp_part(args, frameworks, baseline, threads) -> None:
    """(b): the MLP step against PyTorch, without the mallopt tuning and by hand in NumPy."""
    mlp_params = {"batch": 64, "width": 256} if args.quick else {}
    mlp_cases = [Case(f, "bench_engine:mlp_step", {"framework": f, **mlp_params})
                 for f in frameworks]
    mlp_cases.append(Case("tinytorch (no mallopt)", "bench_engine:mlp_step",
                          {"framework": "tinytorch", **mlp_params}, env=NO_MALLOPT))
    mlp_cases.append(Case("numpy by hand", "bench_engine:mlp_step_numpy", mlp_params))
    size = mlp_params or {"batch": 256, "width": 1024}
    print(f"(b) MLP training step: 3 layers, batch {size['batch']}, width {size['width']}, "
          f"float32, {args.threads or 'default'} thread(s)", file=sys.stderr)
    mlp = compare(mlp_cases, rounds=args.rounds, threads=threads)
    print_table(mlp, baseline, title="(b) MLP training step (matmul-bound), ms per step")


if __name__ == "__main__":
    main()
