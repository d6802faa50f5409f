"""The eight assignments of the course and which tests grade each one.

A test belongs to an assignment when it carries the mark ``assignmentN`` itself, or else when
its node id (``tests/test_x.py::test_name[param]``) matches one of ``GRADED_TESTS``'s
patterns (``fnmatch`` syntax; the first matching rule wins, so exceptions go before the
rule they carve out of). Tests not matched are not graded: they still run, and in a student
edition they are skipped when they reach code the student has not written yet.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Assignment:
    """One assignment: its number, title and course page."""

    number: int
    title: str
    page: str


ASSIGNMENTS: dict[int, Assignment] = {a.number: a for a in (
    Assignment(1, "tensors and broadcasting", "docs/course/01-tensors.md"),
    Assignment(2, "the autograd engine", "docs/course/02-autograd.md"),
    Assignment(3, "elementwise, reduction and matmul backward", "docs/course/03-backward.md"),
    Assignment(4, "softmax, cross-entropy, LayerNorm and Embedding", "docs/course/04-nn.md"),
    Assignment(5, "attention and multi-head attention", "docs/course/05-attention.md"),
    Assignment(6, "Adam, AdamW and the learning-rate schedule", "docs/course/06-optim.md"),
    Assignment(7, "the GPT block and generation", "docs/course/07-gpt.md"),
    Assignment(8, "the encoder-decoder and beam search", "docs/course/08-transformer.md"),
)}

# (assignment, node-id pattern); first match wins
GRADED_TESTS: list[tuple[int, str]] = [
]


def graded_assignment(nodeid: str, rules=None) -> int | None:
    """The assignment whose rule first matches ``nodeid``, or None when none does."""
    for number, pattern in GRADED_TESTS if rules is None else rules:
        if fnmatch.fnmatchcase(nodeid, pattern):
            return number
    return None
