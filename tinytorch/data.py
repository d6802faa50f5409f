"""Text data for the examples: a character tokenizer, a built-in corpus, random batches.

The default corpus ships with Python itself (the language reference pages behind
``help('topics')``), so ``examples/train_gpt.py`` trains on a fresh machine with no download
and the repository never holds third-party text.
"""

from __future__ import annotations

import ast
import os
import sysconfig
from pathlib import Path

import numpy as np

from . import random as _random
from .tensor import Tensor


class CharTokenizer:
    """Maps each distinct character of a text to an integer id (ids ordered by code point)."""

    def __init__(self, chars: str) -> None:
        if not chars:
            raise ValueError("CharTokenizer needs at least one character")
        if len(set(chars)) != len(chars):
            raise ValueError("CharTokenizer: the vocabulary has repeated characters")
        self.chars = chars
        self.stoi = {ch: i for i, ch in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        """The tokenizer whose vocabulary is every character that occurs in ``text``."""
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the tokenizer's vocabulary "
                             f"of {self.vocab_size} characters") from None

    def decode(self, ids) -> str:
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        try:
            return "".join(self.chars[i] for i in ids)
        except (IndexError, TypeError):
            bad = next(i for i in ids if not isinstance(i, int) or not 0 <= i < self.vocab_size)
            raise ValueError(f"token id {bad!r} is outside the vocabulary "
                             f"[0, {self.vocab_size})") from None

    def state_dict(self) -> dict:
        """JSON-able state, stored in checkpoints next to the weights."""
        return {"type": "char", "chars": self.chars}

    @classmethod
    def from_state_dict(cls, state: dict) -> "CharTokenizer":
        if not isinstance(state, dict) or state.get("type") != "char" or \
                not isinstance(state.get("chars"), str):
            raise ValueError(f"not a character tokenizer state: {state!r:.80}")
        return cls(state["chars"])


def read_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file's contents, with a clear ``ValueError`` when it is unusable."""
    p = Path(path)
    if not p.exists():
        raise ValueError(f"data file {str(p)!r} does not exist")
    if not p.is_file():
        raise ValueError(f"data path {str(p)!r} is not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"data file {str(p)!r} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise ValueError(f"cannot read data file {str(p)!r}: {e.strerror}") from None
    if not text:
        raise ValueError(f"data file {str(p)!r} is empty")
    return text


def default_corpus() -> str:
    """About 450,000 characters of English prose and code that ship with Python itself.

    These are the Python language reference pages that ``help()`` shows
    (``pydoc_data.topics``). A Python built without them falls back to the docstrings of
    the standard library's modules.
    """
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return _stdlib_docstrings()
    return "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"


def _stdlib_docstrings(max_chars: int = 500_000) -> str:
    """Module docstrings of the standard library, in file-name order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    parts, total = [], 0
    for path in sorted(root.glob("*.py")):
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        if doc:
            parts.append(doc)
            total += len(doc)
            if total >= max_chars:
                break
    if not parts:
        raise RuntimeError(f"no default corpus: found no docstrings under {root}")
    return "\n\n".join(parts) + "\n"


def train_val_split(ids: np.ndarray, train_fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """The first ``train_fraction`` of the token ids for training, the rest for validation."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    n = int(len(ids) * train_fraction)
    return ids[:n], ids[n:]


def get_batch(ids: np.ndarray, block_size: int, batch_size: int, device=None,
              generator: np.random.Generator | None = None) -> tuple[Tensor, Tensor]:
    """``batch_size`` random windows of ``block_size`` tokens and the same windows shifted by one.

    Returns ``(x, y)``, both int64 of shape (batch_size, block_size), with ``y[:, t]`` the
    token that follows ``x[:, t]``. Offsets come from ``generator``, by default tinytorch's
    global one (so ``manual_seed`` and checkpointed RNG state make batches reproducible).
    """
    if block_size < 1 or batch_size < 1:
        raise ValueError(f"block_size and batch_size must be positive, got {block_size} "
                         f"and {batch_size}")
    if len(ids) < block_size + 1:
        raise ValueError(f"the text has {len(ids)} tokens, fewer than block_size + 1 = "
                         f"{block_size + 1}: use a longer text or a smaller block size")
    if isinstance(generator, np.random.Generator):
        starts = generator.integers(0, len(ids) - block_size, size=batch_size)
    else:  # torch.randint(len(data) - block_size, (batch_size,)), PyTorch's numbers
        starts = _random.randint(generator, batch_size, 0, len(ids) - block_size)
    # one fancy-indexing gather instead of a Python loop of slices
    window = starts[:, None] + np.arange(block_size + 1)
    chunk = np.asarray(ids, dtype=np.int64)[window]
    x = Tensor._make(np.ascontiguousarray(chunk[:, :-1]))
    y = Tensor._make(np.ascontiguousarray(chunk[:, 1:]))
    if device is not None and str(device) != "cpu":
        x, y = x.to(device), y.to(device)
    return x, y
