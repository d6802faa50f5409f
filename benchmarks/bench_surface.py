"""Forward + backward of the issue-11b math ops at ``bench_nn.py``'s sizes, tinytorch
against PyTorch (CPU), each in its own process, alternating rounds; ratios printed.

    python benchmarks/bench_surface.py [--rounds 3] [--only erf] [--threads 1 --cpu-time]

The elementwise cases use the (12, 64, 512) activations of the S configuration; the
matrix cases the (12, 64, 128) x (128, 128) products of its attention projections.
"""

from __future__ import annotations

import json
import statistics
import time

from common import framework_runs, import_framework

ACT = (12, 64, 512)

# name -> (inputs: list of (shape, low, high)), the op written once against ``lib``
CASES = {
    "expm1": ([(ACT, -2, 2)], lambda lib, x: x.expm1()),
    "log1p": ([(ACT, 0, 3)], lambda lib, x: x.log1p()),
    "tan": ([(ACT, -1, 1)], lambda lib, x: x.tan()),
    "asinh": ([(ACT, -2, 2)], lambda lib, x: x.asinh()),
    "erf": ([(ACT, -3, 3)], lambda lib, x: x.erf()),
    "erfc": ([(ACT, -3, 3)], lambda lib, x: x.erfc()),
    "erfinv": ([(ACT, -0.9, 0.9)], lambda lib, x: x.erfinv()),
    "lgamma": ([(ACT, 0.1, 5)], lambda lib, x: x.lgamma()),
    "digamma": ([(ACT, 0.1, 5)], lambda lib, x: x.digamma()),
    "atan2": ([(ACT, -2, 2), (ACT, 0.5, 2)], lambda lib, a, b: lib.atan2(a, b)),
    "hypot": ([(ACT, -2, 2), (ACT, -2, 2)], lambda lib, a, b: lib.hypot(a, b)),
    "logaddexp": ([(ACT, -2, 2), (ACT, -2, 2)], lambda lib, a, b: lib.logaddexp(a, b)),
    "xlogy": ([(ACT, -2, 2), (ACT, 0.5, 2)], lambda lib, a, b: lib.xlogy(a, b)),
    "lerp": ([(ACT, -2, 2), (ACT, -2, 2)], lambda lib, a, b: lib.lerp(a, b, 0.3)),
    "addcmul": ([(ACT, -2, 2), (ACT, -2, 2)], lambda lib, a, b: lib.addcmul(a, b, b, value=.5)),
    "fmod": ([(ACT, -2, 2), (ACT, 0.5, 2)], lambda lib, a, b: lib.fmod(a, b)),
    "cumsum dim -1": ([(ACT, -2, 2)], lambda lib, x: x.cumsum(-1)),
    "cumprod dim -1": ([(ACT, 0.9, 1.1)], lambda lib, x: x.cumprod(-1)),
    "logcumsumexp dim 1": ([(ACT, -2, 2)], lambda lib, x: x.logcumsumexp(1)),
    "cummax dim -1": ([(ACT, -2, 2)], lambda lib, x: x.cummax(-1).values),
    "norm dim -1": ([(ACT, -2, 2)], lambda lib, x: x.norm(dim=-1)),
    "linalg.vector_norm p=3": ([(ACT, -2, 2)], lambda lib, x: lib.linalg.vector_norm(x, 3, -1)),
    "einsum bnk,kc->bnc": ([((12, 64, 128), -1, 1), ((128, 128), -1, 1)],
                           lambda lib, a, w: lib.einsum("bnk,kc->bnc", a, w)),
    "baddbmm": ([((12, 64, 64), -1, 1), ((12, 64, 128), -1, 1), ((12, 128, 64), -1, 1)],
                lambda lib, c, a, b: lib.baddbmm(c, a, b)),
    "addmm": ([((768, 128), -1, 1), ((768, 128), -1, 1), ((128, 128), -1, 1)],
              lambda lib, c, a, w: lib.addmm(c, a, w)),
    "cdist (256,32)x(256,32)": ([((256, 32), -1, 1), ((256, 32), -1, 1)],
                                lambda lib, a, b: lib.cdist(a, b)),
    "linalg.inv (64,32,32)": ([((64, 32, 32), -0.1, 0.1)],
                              lambda lib, a: lib.linalg.inv(a + lib.eye(32))),
    "linalg.cholesky (64,32,32)": ([((64, 32, 32), -0.1, 0.1)], lambda lib, a: (
        lib.linalg.cholesky(a @ a.mT + lib.eye(32)))),
}


def _budget(fn, seconds=0.5, at_least=5, at_most=100):
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    return max(at_least, min(at_most, int(seconds / once)))


def worker(framework: str, only: str | None, threads: int | None, cpu_time: bool) -> None:
    import numpy as np

    clock = time.process_time if cpu_time else time.perf_counter
    lib = import_framework(framework, threads)
    rng = np.random.default_rng(0)
    results = {}
    for name, (specs, op) in CASES.items():
        if only and only not in name:
            continue
        xs = [lib.tensor(rng.uniform(lo, hi, shape).astype(np.float32), requires_grad=True)
              for shape, lo, hi in specs]
        out = op(lib, *xs)
        g = lib.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32))

        def step(xs=xs, op=op, g=g):
            for x in xs:
                x.grad = None
            op(lib, *xs).backward(g)

        times = []
        for _ in range(_budget(step)):
            start = clock()
            step()
            times.append(clock() - start)
        results[name] = statistics.median(times)
    print(json.dumps(results))


def main() -> None:
    runs = framework_runs(__file__, __doc__.split("\n")[0], rounds=3, worker=worker)
    print(f"{'forward + backward, float32':32s} {'tinytorch':>11s} {'PyTorch':>11s} "
          f"{'ratio':>7s}")
    for name in runs["torch"][0]:
        ours = statistics.median(run[name] for run in runs["tinytorch"])
        ref = statistics.median(run[name] for run in runs["torch"])
        print(f"{name:32s} {ours * 1e3:9.3f}ms {ref * 1e3:9.3f}ms {ours / ref:6.2f}x")


if __name__ == "__main__":
    main()
