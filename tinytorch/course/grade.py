"""The autograder: run one assignment's graded tests and print a score table.

Each graded test is worth the points its mark gives (``@pytest.mark.assignment3(points=2)``;
one by default). A skipped test is listed but not counted (no graded test needs PyTorch, so
none skips for want of it). Failures show the exception's first lines, which
name the op, the input shape and the numerical vs analytical gradient where gradcheck
found the mismatch, and where the failing code is.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from .assignments import ASSIGNMENTS

_MESSAGE_LINES = 6  # of a failure's message, shown under its row


@dataclass
class GradedTest:
    """The outcome of one graded test: 'passed', 'failed', 'error' or 'skipped'."""

    nodeid: str
    outcome: str = "passed"
    message: str = ""
    where: str = ""
    points: float = 1.0


@dataclass(eq=False)  # pytest keeps plugins in sets: hash by identity
class _Recorder:
    """A pytest plugin object collecting each test's outcome and failure message."""

    results: dict[str, GradedTest] = field(default_factory=dict)
    collection_errors: list[GradedTest] = field(default_factory=list)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.setdefault(item.nodeid, GradedTest(
            item.nodeid, points=dict(item.user_properties).get("points", 1.0)))
        if report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            result.message = _skip_reason(report)
        elif report.failed and result.outcome in ("passed", "skipped"):
            result.outcome = "failed" if call.when == "call" else "error"
            if call.excinfo is not None:
                result.message = call.excinfo.exconly().strip()
                result.where = _where(call.excinfo.traceback)
            else:
                result.message = str(report.longrepr).strip()

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(GradedTest(report.nodeid or "<collection>", "error",
                                                     str(report.longrepr).strip()))


def _where(traceback) -> str:
    """The deepest frame worth reading: not gradcheck's own raise, not a library's."""
    for entry in reversed(traceback):
        path = str(entry.path)
        if path.endswith(("autograd/gradcheck.py", "autograd\\gradcheck.py")) or \
                "site-packages" in path:
            continue
        return f"{_relative(entry.path)}:{entry.lineno + 1}"
    return ""


def _relative(path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


@dataclass
class Score:
    """The graded total: points earned, points possible, and every test's result."""

    assignment: int
    results: list[GradedTest]

    @property
    def counted(self) -> list[GradedTest]:
        return [r for r in self.results if r.outcome != "skipped"]

    @property
    def earned(self) -> float:
        return sum(r.points for r in self.counted if r.outcome == "passed")

    @property
    def possible(self) -> float:
        return sum(r.points for r in self.counted)


def run_graded_tests(assignment: int, pytest_args=(), root: Path | None = None) -> Score:
    """Run ``pytest -m assignmentN`` in this process and collect every test's result.

    With ``root`` (an edition's folder) the tests are ``root/tests`` whatever the current
    folder, unless ``pytest_args`` name test paths themselves.
    """
    recorder = _Recorder()
    # the table below is the report: no tracebacks, no short summary, no warning summary
    args = ["-m", f"assignment{assignment}", "--tb=no", "-q", "-rN", "--disable-warnings",
            "-p", "no:cacheprovider", *pytest_args]
    if root is not None:
        args[:0] = ["--rootdir", str(root)]
        if not any(_names_a_path(a) for a in pytest_args):
            args.append(str(Path(root) / "tests"))
    pytest.main(args, plugins=[recorder])
    results = recorder.collection_errors + list(recorder.results.values())
    return Score(assignment, results)


def _names_a_path(arg: str) -> bool:
    """Whether a pytest argument is a test path (``tests/test_ops.py::test_mul``)."""
    return not arg.startswith("-") and Path(arg.split("::")[0]).exists()


def format_score(score: Score) -> str:
    """The score table: one row per test, failure messages under their rows, the total."""
    title = ASSIGNMENTS[score.assignment].title if score.assignment in ASSIGNMENTS else ""
    lines = [f"assignment {score.assignment}: {title}", "",
             f"  {'points':>6}  {'result':<7}  test"]
    for r in score.results:
        points = "-" if r.outcome == "skipped" else \
            f"{_num(r.points if r.outcome == 'passed' else 0)}/{_num(r.points)}"
        lines.append(f"  {points:>6}  {r.outcome:<7}  {r.nodeid}")
        if r.outcome != "passed" and r.message:
            message = r.message.splitlines()
            for text in message[:_MESSAGE_LINES]:
                lines.append(f"{'':19}{text}")
            if len(message) > _MESSAGE_LINES:
                lines.append(f"{'':19}... ({len(message) - _MESSAGE_LINES} more lines)")
            if r.where:
                lines.append(f"{'':19}at {r.where}")
    lines.append("")
    if not score.results:
        lines.append(f"no graded tests of assignment {score.assignment} were collected")
        return "\n".join(lines)
    skipped = sum(r.outcome == "skipped" for r in score.results)
    if not score.possible:
        lines.append(f"no graded test ran: all {skipped} were skipped (see the reasons above)")
        return "\n".join(lines)
    percent = 100.0 * score.earned / score.possible if score.possible else 0.0
    total = f"total: {_num(score.earned)}/{_num(score.possible)} points ({percent:.0f}%)"
    if skipped:
        total += f"; {skipped} skipped, not counted"
    lines.append(total)
    return "\n".join(lines)


def _num(x: float) -> str:
    """Points without a trailing .0: 3, 2.5."""
    return f"{x:g}"


def grade(assignment: int, pytest_args=(), stream=None, json_path=None,
          root: Path | None = None) -> int:
    """Grade one assignment, print the table; exit status 0 only when every counted test passed.

    With ``json_path`` the results are also written there (for scripts and the round trip).
    """
    stream = sys.stdout if stream is None else stream
    score = run_graded_tests(assignment, pytest_args, root)
    print(format_score(score), file=stream)
    if json_path is not None:
        Path(json_path).write_text(json.dumps({
            "assignment": assignment, "title": ASSIGNMENTS[assignment].title,
            "earned": score.earned, "possible": score.possible,
            "passed": score.possible > 0 and score.earned == score.possible,
            "results": [asdict(r) for r in score.results]}, indent=1) + "\n")
    if not score.results:
        return 5  # pytest's "no tests collected"
    return 0 if score.possible and score.earned == score.possible else 1
