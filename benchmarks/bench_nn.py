"""Forward + backward of the fused nn ops, tinytorch against PyTorch (CPU), ratios printed.

    python benchmarks/bench_nn.py [--rounds 5] [--only sdpa] [--threads 1 --cpu-time]

Each framework is timed in its own process (their thread pools fight when they share one),
and the processes alternate over several rounds; the table shows the median over rounds
of each case's median time per iteration, and tinytorch / PyTorch. The embedding section
also times the three ways of summing the backward (np.add.at, one-hot product,
sort + np.add.reduceat) at both vocabulary sizes, which is how the backward chooses.

On a shared, busy machine multi-threaded wall-clock figures swing by 10-100x (BLAS and
PyTorch worker threads wait on descheduled peers); ``--threads 1 --cpu-time`` times each
process's own CPU time on one thread, which stays steady under load.
"""

from __future__ import annotations

import json
import math
import statistics
import time

from common import framework_runs, import_framework

# name -> (op, shapes and options); the GPT configurations of PERF.md: S (vocab 65, T 64,
# B 12, C 128, 4 heads), M (T 256, B 8, C 384, 6 heads), L (vocab 50304, T 128, B 4, C 256)
CASES = {
    "softmax (48,64,64)": ("softmax", {"shape": (48, 64, 64)}),
    "softmax (48,256,256)": ("softmax", {"shape": (48, 256, 256)}),
    "cross_entropy (768,65)": ("cross_entropy", {"rows": 768, "vocab": 65}),
    "cross_entropy (512,50304)": ("cross_entropy", {"rows": 512, "vocab": 50304}),
    "log_softmax+nll_loss (768,65)": ("log_softmax_nll", {"rows": 768, "vocab": 65}),
    "log_softmax+nll_loss (512,50304)": ("log_softmax_nll", {"rows": 512, "vocab": 50304}),
    "layer_norm (12,64,128)": ("layer_norm", {"shape": (12, 64, 128)}),
    "layer_norm (8,256,384)": ("layer_norm", {"shape": (8, 256, 384)}),
    "gelu tanh (12,64,512)": ("gelu", {"shape": (12, 64, 512), "approximate": "tanh"}),
    "gelu tanh (8,256,1536)": ("gelu", {"shape": (8, 256, 1536), "approximate": "tanh"}),
    "gelu erf (12,64,512)": ("gelu", {"shape": (12, 64, 512), "approximate": "none"}),
    "embedding V=65 (12,64)x128": ("embedding", {"vocab": 65, "idx": (12, 64), "dim": 128}),
    "embedding V=50304 (4,128)x256": ("embedding", {"vocab": 50304, "idx": (4, 128),
                                                     "dim": 256}),
    "sdpa causal (12,4,64,32)": ("sdpa", {"shape": (12, 4, 64, 32)}),
    "sdpa causal (8,6,256,64)": ("sdpa", {"shape": (8, 6, 256, 64)}),
    # the small ops students compose themselves (issue 15): pow with an integer-valued
    # float exponent (PERF.md's minGPT shape), x * x, tanh, and the tutorials' GELU
    "pow 3.0 (64,11,192)": ("pow", {"shape": (64, 11, 192), "exponent": 3.0}),
    "pow 3.0 (8,256,1536)": ("pow", {"shape": (8, 256, 1536), "exponent": 3.0}),
    "x * x (12,64,512)": ("square", {"shape": (12, 64, 512)}),
    "x * x (8,256,1536)": ("square", {"shape": (8, 256, 1536)}),
    "tanh (12,64,512)": ("tanh", {"shape": (12, 64, 512)}),
    "tanh (8,256,1536)": ("tanh", {"shape": (8, 256, 1536)}),
    "gelu pow/tanh composite (12,64,512)": ("gelu_composite", {"shape": (12, 64, 512)}),
    "gelu pow/tanh composite (8,256,1536)": ("gelu_composite", {"shape": (8, 256, 1536)}),
    # whole training steps (forward, backward, SGD) of issue 12's reference models
    "LeNet step (64,1,28,28)": ("model_step", {"model": "lenet", "batch": 64}),
    "LSTM 2-layer step (T=32,B=32,256)": ("model_step", {"model": "lstm", "batch": 32,
                                                         "steps": 32, "hidden": 256}),
}


def _budget_iterations(fn, seconds=0.6, at_least=5, at_most=200):
    fn()  # warm-up (first calls fault pages in and load kernels)
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    return max(at_least, min(at_most, int(seconds / once)))


# wall clock by default; ``--cpu-time`` (with ``--threads 1``) counts only this process's
# CPU time, which other work on a busy machine disturbs much less
_clock = time.perf_counter


def _time(fn) -> float:
    n = _budget_iterations(fn)
    times = []
    for _ in range(n):
        start = _clock()
        fn()
        times.append(_clock() - start)
    return statistics.median(times)


def _make_case(lib, op, opts):
    """A closure running forward + backward of one case with ``lib`` (tinytorch or torch)."""
    import numpy as np

    rng = np.random.default_rng(0)
    F = lib.nn.functional

    def leaf(shape, scale=1.0):
        return lib.tensor((rng.standard_normal(shape) * scale).astype(np.float32),
                          requires_grad=True)

    def const(shape):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32))

    if op == "softmax":
        x, g = leaf(opts["shape"], 3), const(opts["shape"])
        inputs, run = [x], lambda: F.softmax(x, dim=-1).backward(g)
    elif op == "cross_entropy":
        x = leaf((opts["rows"], opts["vocab"]), 2)
        t = lib.tensor(rng.integers(0, opts["vocab"], opts["rows"]))
        inputs, run = [x], lambda: F.cross_entropy(x, t).backward()
    elif op == "log_softmax_nll":  # the unfused pair, for comparison with cross_entropy
        x = leaf((opts["rows"], opts["vocab"]), 2)
        t = lib.tensor(rng.integers(0, opts["vocab"], opts["rows"]))
        inputs, run = [x], lambda: F.nll_loss(F.log_softmax(x, dim=-1), t).backward()
    elif op == "layer_norm":
        shape = opts["shape"]
        x, w, b, g = leaf(shape), leaf(shape[-1:]), leaf(shape[-1:]), const(shape)
        inputs = [x, w, b]

        def run():
            F.layer_norm(x, shape[-1:], w, b).backward(g)
    elif op == "gelu":
        x, g = leaf(opts["shape"]), const(opts["shape"])
        inputs, run = [x], lambda: F.gelu(x, approximate=opts["approximate"]).backward(g)
    elif op == "embedding":
        w = leaf((opts["vocab"], opts["dim"]), 0.02)
        idx = lib.tensor(rng.integers(0, opts["vocab"], opts["idx"]))
        g = const(opts["idx"] + (opts["dim"],))
        inputs, run = [w], lambda: F.embedding(idx, w).backward(g)
    elif op == "sdpa":
        shape = opts["shape"]
        q, k, v, g = leaf(shape), leaf(shape), leaf(shape), const(shape)
        inputs = [q, k, v]

        def run():
            F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)
    elif op in ("pow", "square", "tanh", "gelu_composite"):
        x, g = leaf(opts["shape"]), const(opts["shape"])
        inputs = [x]
        if op == "pow":
            run = lambda: lib.pow(x, opts["exponent"]).backward(g)  # noqa: E731
        elif op == "square":
            run = lambda: (x * x).backward(g)  # noqa: E731
        elif op == "tanh":
            run = lambda: lib.tanh(x).backward(g)  # noqa: E731
        else:  # minGPT's NewGELU, as the tutorials write it
            k = math.sqrt(2.0 / math.pi)
            run = lambda: (0.5 * x * (1.0 + lib.tanh(  # noqa: E731
                k * (x + 0.044715 * lib.pow(x, 3.0))))).backward(g)
    elif op == "model_step":
        return _model_step(lib, **opts)
    else:
        raise ValueError(op)

    def step():
        for t in inputs:
            t.grad = None
        run()

    return step


def _model_step(lib, model: str, batch: int, steps: int = 0, hidden: int = 0):
    """One SGD training step of a LeNet-5-style CNN on 28x28 images, or of a 2-layer LSTM
    (input 64, ``hidden`` units, a linear head on the last step), the same code for both
    libraries (their default initialisations, seeded data, cross-entropy on 10 classes)."""
    import numpy as np

    nn = lib.nn
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    if model == "lenet":
        features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        classifier = nn.Sequential(nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                                   nn.ReLU(), nn.Linear(84, 10))
        net = nn.ModuleList([features, classifier])
        x = lib.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))

        def forward():
            return classifier(features(x).flatten(1))  # (B, 16, 5, 5) -> (B, 400)
    else:
        lstm = nn.LSTM(64, hidden, num_layers=2, batch_first=True)
        head = nn.Linear(hidden, 10)
        net = nn.ModuleList([lstm, head])
        x = lib.tensor(rng.standard_normal((batch, steps, 64)).astype(np.float32))

        def forward():
            out, _ = lstm(x)
            return head(out[:, -1])
    y = lib.tensor(rng.integers(0, 10, batch))
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(forward(), y).backward()
        opt.step()

    return step


def _strategy_closures(vocab, idx, g) -> dict:
    """The three ways to sum an embedding backward dW[i] = sum_{j: idx_j = i} g_j."""
    import numpy as np

    n, dim = g.shape

    def add_at():
        dw = np.zeros((vocab, dim), np.float32)
        np.add.at(dw, idx, g)
        return dw

    def one_hot():
        oh = np.zeros((vocab, n), np.float32)
        oh[idx, np.arange(n)] = 1
        return oh @ g

    def reduceat():
        order = np.argsort(idx, kind="stable")
        s = idx[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        dw = np.zeros((vocab, dim), np.float32)
        dw[s[starts]] = np.add.reduceat(g[order], starts, axis=0)
        return dw

    return {"np.add.at": add_at, "one-hot @": one_hot, "sort+reduceat": reduceat}


def _embedding_strategies() -> dict:
    """Time each strategy (NumPy only) at the GPT configurations and one in between."""
    import numpy as np

    out = {}
    rng = np.random.default_rng(0)
    for vocab, n, dim in ((65, 12 * 64, 128), (65, 8 * 256, 384), (2048, 8 * 256, 384),
                          (50304, 4 * 128, 256)):
        idx = rng.integers(0, vocab, n)
        g = rng.standard_normal((n, dim)).astype(np.float32)
        strategies = _strategy_closures(vocab, idx, g)
        ref = strategies["np.add.at"]()
        for name, fn in strategies.items():
            assert np.allclose(fn(), ref, atol=1e-4), name
            out[f"V={vocab} n={n} d={dim} {name}"] = _time(fn)
    return out


def worker(framework: str, only: str | None, threads: int | None, cpu_time: bool) -> None:
    global _clock
    if cpu_time:
        _clock = time.process_time
    lib = import_framework(framework, threads)
    results = {}
    for name, (op, opts) in CASES.items():
        if only and only not in name:
            continue
        results[name] = _time(_make_case(lib, op, opts))
    if framework == "tinytorch" and (not only or "embedding" in only):
        results.update({"strategy " + k: v for k, v in _embedding_strategies().items()})
    print(json.dumps(results))


def main() -> None:
    runs = framework_runs(__file__, __doc__.split("\n")[0], rounds=5, worker=worker)

    def median(fw, name):
        return statistics.median(run[name] for run in runs[fw])

    def fastest(fw, name):
        return min(run[name] for run in runs[fw])

    # on a shared machine the fastest round is the least disturbed one (PERF.md)
    print(f"{'forward + backward, float32':40s} {'tinytorch':>11s} {'PyTorch':>11s} "
          f"{'ratio':>7s} {'fastest-round ratio':>20s}")
    for name in runs["torch"][0]:
        ours, ref = median("tinytorch", name), median("torch", name)
        best = fastest("tinytorch", name) / fastest("torch", name)
        print(f"{name:40s} {ours * 1e3:9.3f}ms {ref * 1e3:9.3f}ms {ours / ref:6.2f}x "
              f"{best:19.2f}x")
    strategies = [k for k in runs["tinytorch"][0] if k.startswith("strategy ")]
    if strategies:
        print("\nembedding backward strategies (NumPy, median ms)")
        for name in strategies:
            print(f"  {name[len('strategy '):]:40s} {median('tinytorch', name) * 1e3:8.3f}ms")


if __name__ == "__main__":
    main()
