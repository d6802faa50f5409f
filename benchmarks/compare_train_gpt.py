"""ms/iteration of examples/train_gpt.py against its PyTorch twin, from one command.

Each framework runs in its own process (their thread pools must not fight over the
cores), the two alternate for several rounds, and the medians are compared: the machines
are shared and noisy, so only ratios of medians mean much. Both wall-clock time and
process CPU time per iteration are reported; under contention from other work the CPU
time is the steadier of the two.

    python benchmarks/compare_train_gpt.py --data ../shared/data/tinyshakespeare.txt
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_tinytorch(data: str, iters: int, env: dict, out_dir: str) -> dict:
    subprocess.run([sys.executable, str(ROOT / "examples" / "train_gpt.py"), "--data", data,
                    "--max-iters", str(iters), "--eval-interval", str(iters), "--eval-iters",
                    "1", "--sample-tokens", "0", "--no-progress", "--out-dir", out_dir],
                   env=env, check=True, capture_output=True, text=True)
    m = json.loads((Path(out_dir) / "metrics.json").read_text())
    return {"wall": 1000 * m["train_seconds_this_run"] / iters,
            "cpu": 1000 * m["cpu_seconds_this_run"] / iters}


def run_torch(data: str, iters: int, env: dict) -> dict:
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_gpt_torch.py"),
                        "--data", data, "--max-iters", str(iters), "--eval-iters", "1"],
                       env=env, check=True, capture_output=True, text=True)
    m = json.loads(r.stdout.strip().splitlines()[-1])
    return {"wall": m["ms_per_iter"], "cpu": m["cpu_ms_per_iter"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--iters", type=int, default=200, help="iterations per run (default: 200)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default: 3)")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (default: 2)")
    a = p.parse_args()
    env = dict(os.environ)
    n = str(a.threads)
    env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n)
    results = {"tinytorch": [], "pytorch": []}
    with tempfile.TemporaryDirectory() as out_dir:
        for r in range(a.rounds):
            results["tinytorch"].append(run_tinytorch(a.data, a.iters, env, out_dir))
            results["pytorch"].append(run_torch(a.data, a.iters, env))
            print(f"round {r + 1}: " + ", ".join(
                f"{k} {v[-1]['wall']:.1f} ms/iter wall, {v[-1]['cpu']:.1f} ms CPU"
                for k, v in results.items()), flush=True)
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("wall", "cpu")}
           for k, v in results.items()}
    print(f"\nmedians of {a.rounds} rounds of {a.iters} iterations, {a.threads} thread(s):")
    print("| | tinytorch | PyTorch eager | ratio |")
    print("|---|---|---|---|")
    for m, label in (("wall", "wall-clock ms/iteration"), ("cpu", "CPU ms/iteration")):
        t, q = med["tinytorch"][m], med["pytorch"][m]
        print(f"| {label} | {t:.1f} | {q:.1f} | {t / q:.2f}x |")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as e:
        sys.exit(f"{' '.join(e.cmd[1:3])} failed:\n{e.stderr}")
