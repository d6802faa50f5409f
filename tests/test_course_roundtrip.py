"""The course round trip: every assignment's student edition fails for the right reason and
passes again once the reference bodies are copied back.

For each assignment N: build the student edition of N into a temporary directory; check that
it imports; run N's graded tests there (in a subprocess, through the grader) and require
every one of them to fail with ``NotImplementedError("assignment N: ...")``; copy the
reference bodies of N back (later assignments stay stubbed) and require every graded test
to pass, and every region of N to have run. That proves the assignment is solvable, and that
the marked regions are exactly what its graded tests exercise: no test passes without the
student's code, none needs code of a later assignment, and no region goes untested.

Editions are independent, so their subprocesses run a few at a time (the tests then only
read the results). The edition of assignment 2 is also run more widely: the graded tests of
assignment 1 pass there, and ungraded tests that reach unwritten code are skipped, not
failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tinytorch.course import (
    ASSIGNMENTS,
    Region,
    build_edition,
    probe,
    read_edition,
    restore_edition,
    source_regions,
)

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    read_edition(REPO) is not None,
    reason="a student edition has no reference solutions to round-trip")

IMPORTS = ("import tinytorch, tinytorch.nn, tinytorch.nn.functional, tinytorch.optim, "
           "tinytorch.autograd, models.gpt, models.transformer")
WORKERS = max(1, min(4, os.cpu_count() or 1))


def python(args: list[str], cwd: Path, extra_env=None) -> subprocess.CompletedProcess:
    """Run Python in ``cwd`` so that it imports that tree's tinytorch, never this one's."""
    env = {k: v for k, v in os.environ.items() if k != probe.ENV_VAR}
    # a few deterministic examples per property and no shrinking of the expected failures
    env.update(PYTHONPATH=str(cwd), HYPOTHESIS_PROFILE="default", PYTHONDONTWRITEBYTECODE="1",
               TINYTORCH_COURSE_MAX_EXAMPLES="10")
    env.update(extra_env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def grade(edition: Path, assignment: int, probe_log: Path | None = None) -> dict:
    """The grader's JSON results for ``assignment`` run inside ``edition``."""
    report = edition / f"grade-{assignment}.json"
    report.unlink(missing_ok=True)
    env = {probe.ENV_VAR: str(probe_log)} if probe_log is not None else {}
    done = python(["-m", "tinytorch.course", "grade", "--json", str(report), str(assignment),
                   "-p", "no:cacheprovider"], edition, env)
    if not report.is_file():
        raise AssertionError(f"the grader wrote no report:\n{done.stdout}\n{done.stderr}")
    return json.loads(report.read_text())


def counted(results: dict) -> list[dict]:
    return [r for r in results["results"] if r["outcome"] != "skipped"]


def describe(results: list[dict]) -> str:
    return "\n".join(f"{r['nodeid']}: {r['outcome']}: {r['message'][:300]}" for r in results)


@dataclass
class Trip:
    """What happened to one assignment's edition: import, stubbed grade, solved grade."""

    assignment: int
    edition: Path
    imported: subprocess.CompletedProcess
    stubbed: dict | None = None
    restored: list[Region] | None = None
    solved: dict | None = None
    hits: set[str] | None = None


def round_trip(assignment: int, workdir: Path) -> Trip:
    edition = workdir / f"assignment{assignment}"
    build_edition(REPO, edition, assignment)
    trip = Trip(assignment, edition,
                python(["-c", f"{IMPORTS}; print(tinytorch.__file__)"], edition))
    if trip.imported.returncode != 0:
        return trip
    trip.stubbed = grade(edition, assignment)
    trip.restored = restore_edition(edition, REPO, {assignment}, probe=True)
    log = workdir / "probe.txt"
    trip.solved = grade(edition, assignment, log)
    trip.hits = probe.read_hits(log)
    return trip


@pytest.fixture(scope="module")
def regions() -> list[Region]:
    return source_regions(REPO)


@pytest.fixture(scope="module")
def trips(request, tmp_path_factory):
    """Future Trip per selected assignment, run ``WORKERS`` at a time."""
    wanted = sorted({item.callspec.params["assignment"] for item in request.session.items
                     if item.originalname == "test_student_edition_fails_then_passes"
                     and hasattr(item, "callspec")})
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        yield {n: pool.submit(round_trip, n, tmp_path_factory.mktemp(f"trip{n}"))
               for n in wanted}


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_student_edition_fails_then_passes(assignment, regions, trips):
    mine = [r for r in regions if r.assignment == assignment]
    assert mine, f"assignment {assignment} has no solution regions in the reference code"
    trip = trips[assignment].result()
    assert trip.imported.returncode == 0, (f"the student edition does not import:\n"
                                           f"{trip.imported.stderr}")
    assert trip.imported.stdout.strip() == str(trip.edition / "tinytorch" / "__init__.py")

    assert counted(trip.stubbed), f"assignment {assignment} has no graded tests that ran"
    wrong = [r for r in counted(trip.stubbed) if r["outcome"] != "failed"
             or not r["message"].startswith(f"NotImplementedError: assignment {assignment}: ")]
    assert not wrong, (f"graded tests of assignment {assignment} that did not fail on its "
                       f"stubs:\n{describe(wrong)}")

    assert len(trip.restored) == len(mine)
    failed = [r for r in counted(trip.solved) if r["outcome"] != "passed"]
    assert not failed, (f"graded tests of assignment {assignment} that fail with the reference "
                        f"bodies back (later assignments still stubbed):\n{describe(failed)}")
    assert trip.solved["possible"] == trip.stubbed["possible"]
    unreached = sorted({r.message for r in mine} - trip.hits)
    assert not unreached, (f"solution regions of assignment {assignment} that no graded test "
                           f"runs:\n" + "\n".join(unreached))


def run_pytest(edition: Path, args: list[str]) -> dict[str, tuple[str, str]]:
    """Run pytest in ``edition``: node id -> (passed/failed/skipped, skip or failure text)."""
    report = edition / "junit.xml"
    done = python(["-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={report}",
                   *args], edition)
    assert report.is_file(), f"pytest wrote no report:\n{done.stdout}\n{done.stderr}"
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag: child.get("message", "") for child in case}
        bad = kinds.get("failure", kinds.get("error"))
        outcomes[name] = (("failed", bad) if bad is not None else
                          ("skipped", kinds["skipped"]) if "skipped" in kinds else ("passed", ""))
    return outcomes


def test_edition_two_passes_everything_but_its_own_assignment(tmp_path):
    """Assignment 1 stays solved; tests that need the engine are skipped, saying so."""
    edition = tmp_path / "assignment2"
    build_edition(REPO, edition, 2)
    outcomes = run_pytest(edition, ["-m", "not assignment2", "tests/test_autograd.py",
                                    "tests/test_tensor.py", "tests/test_ops.py::"
                                    "test_reshape_roundtrip_and_view_shares_memory"])
    failed = sorted(name for name, (outcome, _) in outcomes.items() if outcome == "failed")
    assert not failed, "tests that fail in the edition of assignment 2:\n" + "\n".join(failed)
    passed = {name for name, (outcome, _) in outcomes.items() if outcome == "passed"}
    assert any("test_dtype_promotion" in name for name in passed)  # assignment 1's
    needing = [text for outcome, text in outcomes.values()
               if outcome == "skipped" and "needs assignment 2" in text]
    assert needing, "no ungraded test was skipped for needing assignment 2"
