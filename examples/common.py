"""What the example scripts share: one-line errors, atomic file writes, checkpoints, plots.

The scripts import ``tinytorch`` (its models included, as ``tinytorch.models``) like any
installed package: ``pip install -e .`` in a checkout, no ``sys.path`` edits.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

CHECKPOINT_NAME = "ckpt.safetensors"


class ExampleError(Exception):
    """A problem with the user's input: reported as one line, exit status 1, no traceback."""


def run_main(main, argv=None) -> int:
    """Call ``main(argv)``, turning ``ExampleError`` and Ctrl-C into a one-line message."""
    prog = Path(sys.argv[0]).name
    try:
        return main(argv) or 0
    except ExampleError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def ensure_writable_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` if needed and prove a file can be written there."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".write-test-"):
            pass
    except OSError as e:
        reason = e.strerror or first_line(e)
        raise ExampleError(f"output directory {str(p)!r} is not writable ({reason})") from None
    return p


@contextmanager
def atomic_path(destination: str | os.PathLike):
    """Yield a temporary path next to ``destination``; move it into place only on success.

    A crash or error mid-write leaves the previous file (or none) at ``destination``, never a
    truncated one.
    """
    destination = Path(destination)
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                               suffix=destination.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, destination)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(obj: dict, path: str | os.PathLike) -> None:
    import tinytorch

    with atomic_path(path) as tmp:
        tinytorch.save(obj, tmp)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """``tinytorch.load`` with every failure (missing, truncated, not a checkpoint) as one line."""
    import tinytorch

    p = Path(path)
    if not p.is_file():
        raise ExampleError(f"no checkpoint at {str(p)!r} (train first, or check --out-dir)")
    try:
        ckpt = tinytorch.load(p)
    except Exception as e:  # any reader failure means the same thing to the user
        raise ExampleError(f"cannot load checkpoint {str(p)!r}: {first_line(e)}") from None
    required = ("model", "config", "tokenizer")
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in required):
        raise ExampleError(f"{str(p)!r} is not a train_gpt.py checkpoint (it needs the keys "
                           f"{', '.join(required)})")
    return ckpt


def save_figure(fig, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format=Path(path).suffix.lstrip("."))


def plot_losses(path: str | os.PathLike, step_losses: list[float], evals: list[dict],
                title: str) -> None:
    """Training loss per iteration (faint), its running mean, and the periodic evaluations."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4))
    if step_losses:
        steps = np.arange(1, len(step_losses) + 1)
        ax.plot(steps, step_losses, color="tab:blue", alpha=0.25, lw=0.8,
                label="train (each iteration)")
        window = max(1, len(step_losses) // 50)
        if window > 1:
            smooth = np.convolve(step_losses, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1:], smooth, color="tab:blue", lw=1.2,
                    label=f"train (mean of {window})")
    if evals:
        its = [e["iter"] for e in evals]
        ax.plot(its, [e["train"] for e in evals], "o-", color="tab:green", ms=3,
                label="train (evaluation)")
        ax.plot(its, [e["val"] for e in evals], "o-", color="tab:red", ms=3,
                label="validation")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy loss (nats/char)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)
    plt.close(fig)
