"""What the example scripts share: one-line errors, atomic file writes, checkpoints, plots.

The scripts import ``tinytorch`` (its models included, as ``tinytorch.models``) like any
installed package: ``pip install -e .`` in a checkout, no ``sys.path`` edits.
The optional extras degrade gracefully: without ``tqdm`` progress is a plain log line now
and then, without ``matplotlib`` the plots are skipped with a one-line note.
"""

from __future__ import annotations

import errno
import math
import os
import signal
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
    """``tinytorch.save``, itself atomic (one temporary file, renamed into place); a full
    disk or any other write failure is one line, and the previous checkpoint survives."""
    import tinytorch

    try:
        tinytorch.save(obj, path)
    except OSError as e:
        hint = " (the disk is full)" if e.errno == errno.ENOSPC else ""
        raise ExampleError(f"cannot write checkpoint {str(path)!r}: {e.strerror or e}{hint}; "
                           f"the previous checkpoint, if any, is unchanged") from None


def remove_stale_temporaries(directory: str | os.PathLike, names: tuple[str, ...]) -> list[str]:
    """Delete temporary files that a killed run left beside ``names`` in ``directory``.

    ``tinytorch.save`` writes ``.NAME.<random>.tmp`` and ``atomic_path`` ``.NAME.<random>``
    before renaming; a run killed mid-write (kill -9, power loss) leaves them behind.
    """
    removed = []
    for entry in Path(directory).iterdir():
        if entry.is_file() and any(entry.name.startswith(f".{n}.") for n in names):
            try:
                entry.unlink()
                removed.append(entry.name)
            except OSError:
                pass
    return removed


def check_out_dir(value: str | None, default: str) -> Path:
    """``--out-dir`` as a path; an empty string is refused (it would mean the cwd)."""
    if value is None:
        return Path(default)
    if not value.strip():
        raise ExampleError("--out-dir is empty; give a directory (e.g. --out-dir out)")
    return Path(value)


def check_number(flag: str, value: float | None, low: float | None = None,
                 high: float | None = None, low_open: bool = False,
                 high_open: bool = False) -> None:
    """One-line error unless ``value`` is a finite number within the bounds."""
    if value is None:
        return
    ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if low is not None and high is not None:
            span = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            span = f"greater than {low}" if low_open else f"at least {low}"
        else:
            span = f"below {high}" if high_open else f"at most {high}"
        raise ExampleError(f"{flag} must be a finite number {span}, got {value}")


def set_threads(n: int | None) -> None:
    """``--threads N``: the BLAS threads of this process (see docs/getting-started.md)."""
    if n is None:
        return
    if n < 1:
        raise ExampleError(f"--threads must be at least 1, got {n}")
    import tinytorch

    tinytorch.set_num_threads(n)


class StopRequest:
    """Turns SIGINT/SIGTERM into a flag the training loop checks between iterations, so that
    the model and optimizer are never saved half-updated; a second Ctrl-C stops at once."""

    def __init__(self):
        self.signal_name: str | None = None
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: keep the default behaviour
                pass
        return self

    def _handle(self, signum, frame):
        if self.signal_name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


class _PlainProgress:
    """The part of tqdm's interface the examples use, printing a log line now and then."""

    def __init__(self, iterable, total: int, initial: int, enabled: bool, unit: str):
        self.iterable, self.total, self.unit, self.enabled = iterable, total, unit, enabled
        self.every = max(1, (total - initial) // 20)
        self.postfix = ""
        self.count = 0

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.count += 1
            if self.enabled and (self.count % self.every == 0):
                print(f"{self.unit} {item + 1}/{self.total}{self.postfix}", file=sys.stderr,
                      flush=True)

    def set_postfix(self, refresh: bool = False, **values) -> None:
        self.postfix = "".join(f", {k} {v}" for k, v in values.items())

    def write(self, text: str) -> None:
        print(text, flush=True)

    def close(self) -> None:
        pass


def progress(iterable, total: int, initial: int = 0, enabled: bool = True, unit: str = "it"):
    """A tqdm bar on stderr when tqdm is installed, else plain log lines."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainProgress(iterable, total, initial, enabled, unit)
    return tqdm(iterable, initial=initial, total=total, disable=not enabled,
                dynamic_ncols=True, unit=unit, file=sys.stderr)


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install matplotlib, or "
              "pip install 'tinytorch[examples]')", flush=True)
        return False
    return True


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
