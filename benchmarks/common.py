"""Timing utilities shared by the benchmarks: each framework in its own process.

PyTorch and NumPy must not be timed in one process: their thread pools fight over the
cores (PERF.md). So a benchmark names a *workload*, a function ``build(**params)`` that
sets up a model and returns a zero-argument ``step`` callable, and this module times it
in a fresh subprocess, alternating frameworks round by round, and reports medians::

    from common import Case, compare, print_table

    cases = [Case("tinytorch", "bench_engine:mlp_step", {"framework": "tinytorch"}),
             Case("torch", "bench_engine:mlp_step", {"framework": "torch"})]
    results = compare(cases, rounds=5)
    print_table(results, baseline="torch")

A worker process prints one JSON line: the median milliseconds per ``step`` call.
Run ``python benchmarks/common.py --worker TARGET JSON`` to time one workload by hand.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)


@dataclass
class Case:
    """One timed configuration: a label, a workload ``"module:function"`` and its params.

    ``env`` adds environment variables for the worker (e.g. to switch a feature off).
    """

    label: str
    target: str
    params: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)


def thread_env(threads: int) -> dict:
    """Environment that caps the BLAS/OpenMP thread pools of NumPy and PyTorch.

    On a shared, loaded machine multi-threaded BLAS can collapse (spinning threads waiting
    for a descheduled sibling: a 2-thread NumPy step measured 120x slower than 1 thread),
    so benchmarks default to one thread per framework, which compares engines fairly.
    """
    n = str(int(threads))
    return {"OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n,
            "TINYTORCH_THREADS": n}


def load_target(target: str) -> Callable:
    """The function named by ``"module:function"`` (modules are looked up in benchmarks/)."""
    module_name, _, func_name = target.partition(":")
    if BENCH_DIR not in sys.path:
        sys.path.insert(0, BENCH_DIR)
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    return getattr(importlib.import_module(module_name), func_name)


def time_step(step: Callable[[], object], warmup: int = 3, repeat: int = 10,
              min_seconds: float = 0.2) -> float:
    """Median milliseconds per ``step()`` call, after ``warmup`` untimed calls.

    Each of the ``repeat`` samples runs ``step`` enough times to last about
    ``min_seconds / repeat`` so that very short steps are not dominated by timer noise.
    """
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    step()
    once = max(time.perf_counter() - start, 1e-7)
    inner = max(1, int(min_seconds / repeat / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            step()
        samples.append((time.perf_counter() - start) / inner * 1e3)
    return statistics.median(samples)


def run_in_subprocess(case: Case, warmup: int = 3, repeat: int = 10,
                      min_seconds: float = 0.2, timeout: float = 600,
                      threads: int | None = None) -> float:
    """Time ``case`` in a fresh Python process; returns median milliseconds per step.

    ``threads`` caps the thread pools (see ``thread_env``); None leaves them as they are.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH")) if p)
    if threads is not None:
        env.update(thread_env(threads))
    env.update({k: str(v) for k, v in case.env.items()})
    spec = json.dumps({"params": case.params, "warmup": warmup, "repeat": repeat,
                       "min_seconds": min_seconds})
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", case.target,
                           spec], capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker for {case.label!r} ({case.target}) failed:\n"
                           f"{proc.stderr.strip()}")
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["ms"])


def compare(cases: list[Case], rounds: int = 5, warmup: int = 3, repeat: int = 10,
            min_seconds: float = 0.2, verbose: bool = True,
            threads: int | None = None) -> dict[str, list[float]]:
    """Time every case once per round, alternating cases, in separate processes.

    Returns ``{label: [ms of round 1, ms of round 2, ...]}``; take medians across rounds
    (the machines are shared and noisy: never trust a single figure).
    """
    results: dict[str, list[float]] = {c.label: [] for c in cases}
    for r in range(rounds):
        order = cases if r % 2 == 0 else list(reversed(cases))  # neither always goes first
        for case in order:
            ms = run_in_subprocess(case, warmup, repeat, min_seconds, threads=threads)
            results[case.label].append(ms)
            if verbose:
                print(f"  round {r + 1}/{rounds}  {case.label:<28} {ms:10.3f} ms",
                      file=sys.stderr, flush=True)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio_table(results: dict[str, list[float]], baseline: str, unit_divisor: float = 1.0,
                unit: str = "ms") -> str:
    """A text table of median and min times, and their ratios to ``baseline`` (> 1: slower).

    ``unit_divisor`` rescales the medians (e.g. per-op microseconds: ``ops / 1000``).
    """
    base = median(results[baseline])
    width = max(len(k) for k in results) + 2
    base_min = min(results[baseline])
    lines = [f"{'':<{width}}{'median ' + unit:>14}{'min':>12}{'max':>12}"
             f"{'median ratio':>14}{'min ratio':>11}"]
    for label, values in results.items():
        m = median(values)
        lines.append(f"{label:<{width}}{m / unit_divisor:14.3f}{min(values) / unit_divisor:12.3f}"
                     f"{max(values) / unit_divisor:12.3f}{m / base:13.2f}x"
                     f"{min(values) / base_min:10.2f}x")
    lines.append(f"(ratios are to {baseline}; > 1 means slower. On a shared machine the min "
                 f"ratio is the less noisy one.)")
    return "\n".join(lines)


def print_table(results: dict[str, list[float]], baseline: str, title: str = "",
                **kwargs) -> None:
    if title:
        print(title)
    print(ratio_table(results, baseline, **kwargs))
    print()


def import_framework(framework: str, threads: int | None = None):
    """The module ``framework`` names: tinytorch (this checkout's) or torch, its intra-op
    thread pool capped at ``threads`` when given."""
    if framework == "tinytorch" and REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    lib = importlib.import_module(framework)
    if framework == "torch" and threads:
        lib.set_num_threads(threads)
    return lib


def framework_runs(script: str, description: str, rounds: int,
                   worker: Callable[[str, str | None, int | None, bool], None]
                   ) -> dict[str, list[dict]]:
    """The command line of a benchmark script that times each framework in a process of
    its own. Run as ``--worker FRAMEWORK`` (as it runs itself), it calls
    ``worker(framework, only, threads, cpu_time)``, which prints one JSON line, and exits;
    otherwise it runs those workers (``run_framework_workers``) and returns their results.
    """
    args = framework_worker_parser(description, rounds).parse_args()
    if args.worker:
        worker(args.worker, args.only, args.threads, args.cpu_time)
        raise SystemExit(0)
    return run_framework_workers(script, args)


def framework_worker_parser(description: str, rounds: int) -> argparse.ArgumentParser:
    """The command line of ``framework_runs``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--only", default=None, help="run only cases whose name contains this")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for BLAS and PyTorch in both processes (default: theirs)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time process CPU time instead of wall time (use with --threads 1)")
    ap.add_argument("--worker", choices=["tinytorch", "torch"], help=argparse.SUPPRESS)
    return ap


def run_framework_workers(script: str, args: argparse.Namespace) -> dict[str, list[dict]]:
    """Run ``script --worker tinytorch`` and ``--worker torch`` once a round for
    ``args.rounds`` rounds, alternating which goes first, passing on ``--only``,
    ``--threads`` (and capping the thread pools, ``thread_env``) and ``--cpu-time``.

    Each worker prints a JSON dict (case name -> seconds) as its last line; returns
    ``{framework: [dict of round 1, ...]}``."""
    env = dict(os.environ)
    if args.threads:
        env.update(thread_env(args.threads))
    runs: dict[str, list[dict]] = {"tinytorch": [], "torch": []}
    for r in range(args.rounds):
        for fw in (("tinytorch", "torch") if r % 2 == 0 else ("torch", "tinytorch")):
            cmd = [sys.executable, os.path.abspath(script), "--worker", fw]
            if args.only:
                cmd += ["--only", args.only]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            if args.cpu_time:
                cmd += ["--cpu-time"]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                                 env=env).stdout
            runs[fw].append(json.loads(out.strip().splitlines()[-1]))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    return runs


def _worker(target: str, spec_json: str) -> None:
    spec = json.loads(spec_json)
    step = load_target(target)(**spec["params"])
    ms = time_step(step, spec["warmup"], spec["repeat"], spec["min_seconds"])
    print(json.dumps({"ms": ms}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("TARGET", "JSON"), required=True,
                        help="time one workload ('module:function' and its JSON spec)")
    args = parser.parse_args()
    _worker(*args.worker)
