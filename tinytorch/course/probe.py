"""Which solution regions ran: the round trip's proof that graded tests exercise every region.

``restore_edition(..., probe=True)`` puts one call of ``hit`` at the top of each restored
body. When the environment variable ``TINYTORCH_COURSE_PROBE`` names a file, the first
call for a region appends the region's stub message to that file (once per process); with
the variable unset it does nothing. Only restored copies of a student edition carry the
calls: the reference code and the student's own code never do.
"""

from __future__ import annotations

import os

ENV_VAR = "TINYTORCH_COURSE_PROBE"
_seen: set[str] = set()


def hit(message: str) -> None:
    """Record that the region whose stub message is ``message`` ran."""
    if message in _seen:
        return
    _seen.add(message)
    path = os.environ.get(ENV_VAR)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(message + "\n")


def read_hits(path) -> set[str]:
    """The messages of the regions recorded in a probe file (empty if it does not exist)."""
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n") for line in f if line.strip()}
