"""The assignments of the course: number, title and page.

Which tests grade an assignment is declared where each test is defined: the mark
``@pytest.mark.assignmentN`` (``points=``, and ``only=`` for some parameter ids of a
parametrized test), or the ``assignment`` field of an ``op_db`` row for the op table's
generated gradient checks (``tinytorch/course/pytest_plugin.py`` reads both).

Tests not marked are not graded: they still run, and in a student edition they are skipped
when they reach code the student has not written yet. A graded test of assignment N must
need assignment N's code and no later assignment's; ``tests/test_course_roundtrip.py``
checks exactly that, and that the tests reach every region marked for N.
"""

from __future__ import annotations

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
    Assignment(9, "convolutions and pooling", "docs/course/09-conv.md"),
    Assignment(10, "recurrent networks: the LSTM cell", "docs/course/10-rnn.md"),
)}
