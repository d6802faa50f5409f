"""examples/train_cnn.py and examples/train_char_rnn.py, run as a user runs them (a
subprocess), at tiny sizes; bad arguments are one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def test_train_cnn_tiny_run_learns():
    result = run("train_cnn.py", "--epochs", "2", "--train-size", "384", "--test-size", "128",
                 "--batch-size", "32", "--no-progress")
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"final test accuracy ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.4  # four classes: chance is 0.25


def test_train_cnn_bad_argument_is_one_line():
    result = run("train_cnn.py", "--epochs", "0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--epochs must be at least 1" in result.stderr


def test_train_char_rnn_tiny_run_samples():
    result = run("train_char_rnn.py", "--max-iters", "3", "--eval-interval", "2",
                 "--eval-iters", "1", "--block-size", "8", "--batch-size", "4", "--hidden", "16",
                 "--n-embd", "8", "--max-chars", "5000", "--sample-chars", "20",
                 "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "step 0: train loss" in result.stdout and "sample:" in result.stdout


def test_train_char_rnn_bad_input_is_one_line(tmp_path):
    result = run("train_char_rnn.py", "--input", str(tmp_path / "missing.txt"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
