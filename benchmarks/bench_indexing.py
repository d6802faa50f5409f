"""Forward + backward of the selection, indexing/scatter and shape ops (issue 11a), tinytorch
against PyTorch on the CPU at the GPT sizes of bench_nn.py, ratios printed.

    python benchmarks/bench_indexing.py [--rounds 5] [--only gather]

Each framework runs in its own process, one thread, timed by that process's CPU time
(steady on a shared machine), alternating over rounds; the table shows the median over
rounds of each case's median per iteration, and tinytorch / PyTorch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# logits (B*T, V) of S, hidden states (B, T, C) of S and M
CASES = {
    "gather logits (768,65) dim 1": "gather",
    "sort (768,65)": "sort",
    "topk k=10 (768,65)": "topk",
    "scatter_add (768,128) into (65,128)": "scatter_add",
    "index_select (65,128) x768": "index_select",
    "index_add (65,128) x768": "index_add",
    "scatter_reduce amax (768,65)": "scatter_reduce",
    "masked_select (48,64,64)": "masked_select",
    "take (8,256,384) x4096": "take",
    "flip (8,256,384)": "flip",
    "roll (8,256,384)": "roll",
    "diagonal (48,64,64)": "diagonal",
    "unfold (8,256,384) 16/8": "unfold",
    "repeat_interleave (12,64,128) x2": "repeat_interleave",
    "median dim (768,65)": "median",
}


def _case(lib, name, gen):
    """A closure running forward + backward of one case with ``lib`` (torch or tinytorch)."""
    f64 = lib.float32

    def leaf(*shape):
        return lib.tensor(gen.standard_normal(shape).astype("float32"), dtype=f64,
                          requires_grad=True)

    def idx(high, *shape):
        return lib.tensor(gen.integers(0, high, size=shape))

    if name == "gather":
        x, i = leaf(768, 65), idx(65, 768, 1)
        return lambda: x.gather(1, i).sum().backward()
    if name == "sort":
        x = leaf(768, 65)
        return lambda: x.sort(1)[0].sum().backward()
    if name == "topk":
        x = leaf(768, 65)
        return lambda: x.topk(10, 1)[0].sum().backward()
    if name == "scatter_add":
        base, src, i = leaf(65, 128), leaf(768, 128), idx(65, 768, 128)
        return lambda: base.scatter_add(0, i, src).sum().backward()
    if name == "index_select":
        w, i = leaf(65, 128), idx(65, 768)
        return lambda: w.index_select(0, i).sum().backward()
    if name == "index_add":
        w, src, i = leaf(65, 128), leaf(768, 128), idx(65, 768)
        return lambda: w.index_add(0, i, src).sum().backward()
    if name == "scatter_reduce":
        base, src, i = leaf(768, 65), leaf(768, 65), idx(65, 768, 65)
        return lambda: base.scatter_reduce(1, i, src, "amax").sum().backward()
    if name == "masked_select":
        x = leaf(48, 64, 64)
        m = lib.tensor(gen.random((48, 64, 64)) < 0.5)
        return lambda: x.masked_select(m).sum().backward()
    if name == "take":
        x, i = leaf(8, 256, 384), idx(8 * 256 * 384, 4096)
        return lambda: x.take(i).sum().backward()
    if name == "flip":
        x = leaf(8, 256, 384)
        return lambda: x.flip(1).sum().backward()
    if name == "roll":
        x = leaf(8, 256, 384)
        return lambda: x.roll(3, 1).sum().backward()
    if name == "diagonal":
        x = leaf(48, 64, 64)
        return lambda: x.diagonal(0, 1, 2).sum().backward()
    if name == "unfold":
        x = leaf(8, 256, 384)
        return lambda: x.unfold(1, 16, 8).sum().backward()
    if name == "repeat_interleave":
        x = leaf(12, 64, 128)
        return lambda: x.repeat_interleave(2, dim=1).sum().backward()
    if name == "median":
        x = leaf(768, 65)
        return lambda: x.median(1)[0].sum().backward()
    raise ValueError(name)


def worker(framework, names):
    import numpy as np

    if framework == "torch":
        import torch as lib

        lib.set_num_threads(1)
    else:
        sys.path.insert(0, ROOT)
        import tinytorch as lib
    gen = np.random.default_rng(0)
    out = {}
    for name in names:
        fn = _case(lib, CASES[name], gen)
        fn()
        times = []
        for _ in range(15):
            start = time.process_time()
            for _ in range(5):
                fn()
            times.append((time.process_time() - start) / 5)
        out[name] = statistics.median(times)
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="")
    parser.add_argument("--worker", default=None)
    args = parser.parse_args()
    names = [n for n in CASES if args.only in n]
    if args.worker:
        worker(args.worker, names)
        return
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    runs = {"tinytorch": [], "torch": []}
    for _ in range(args.rounds):
        for fw in runs:
            cmd = [sys.executable, __file__, "--worker", fw, "--only", args.only]
            runs[fw].append(json.loads(subprocess.check_output(cmd, env=env)))
    print("| case | tinytorch ms | PyTorch ms | ratio |\n|---|---|---|---|")
    for n in names:
        ours = statistics.median(r[n] for r in runs["tinytorch"]) * 1e3
        theirs = statistics.median(r[n] for r in runs["torch"]) * 1e3
        print(f"| {n} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.2f}x |")


if __name__ == "__main__":
    main()
