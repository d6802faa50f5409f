"""The course track: graded assignments cut from the reference implementation.

Chosen function bodies in the reference code sit between solution markers (comments, see
``markers``). ``python -m tinytorch.course build --assignment N --out DIR`` copies the
repository with the bodies of assignment N and later ones replaced by
``raise NotImplementedError("assignment N: ...")``; ``python -m tinytorch.course grade N``
runs the tests marked ``assignmentN`` and prints a score table; ``list`` shows what is
marked. docs/course/ has one page per assignment.
"""

from .assignments import ASSIGNMENTS, Assignment
from .edition import build_edition, read_edition, repository_files, restore_edition, source_regions
from .markers import MarkerError, Region, find_regions, restore_source, stub_source

__all__ = ["ASSIGNMENTS", "Assignment", "MarkerError", "Region",
           "build_edition", "find_regions", "read_edition",
           "repository_files", "restore_edition", "restore_source", "source_regions",
           "stub_source"]
