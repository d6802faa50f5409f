"""The course round trip: every assignment's student edition fails for the right reason and
passes again once the reference bodies are copied back.

For each assignment N: build the student edition of N into a temporary directory; check that
it imports; run N's graded tests there (in a subprocess, through the grader) and require
every one of them to fail with ``NotImplementedError("assignment N: ...")``; copy the
reference bodies of N back (later assignments stay stubbed) and require every graded test
to pass. That proves the assignment is solvable, and that the marked regions are exactly
what its graded tests exercise: no test passes without the student's code, and none needs
code of a later assignment. Editions 2 and 8 also run the graded tests of the earlier
assignments, which must pass untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tinytorch.course import (
    ASSIGNMENTS,
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


def python(args: list[str], cwd: Path, extra_env=None) -> subprocess.CompletedProcess:
    """Run Python in ``cwd`` so that it imports that tree's tinytorch, never this one's."""
    env = {k: v for k, v in os.environ.items() if k != probe.ENV_VAR}
    env.update(PYTHONPATH=str(cwd), HYPOTHESIS_PROFILE="default", PYTHONDONTWRITEBYTECODE="1",
               TINYTORCH_COURSE_MAX_EXAMPLES="10")
    env.update(extra_env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def grade(edition: Path, assignment: int, probe_log: Path | None = None) -> dict:
    """The grader's JSON results for ``assignment`` run inside ``edition``."""
    report = edition / f"grade-{assignment}.json"
    report.unlink(missing_ok=True)
    env = {probe.ENV_VAR: str(probe_log)} if probe_log is not None else {}
    done = python(["-m", "tinytorch.course", "grade", "--json", str(report), str(assignment),
                   "-p", "no:cacheprovider"], edition, env)
    assert report.is_file(), f"the grader wrote no report:\n{done.stdout}\n{done.stderr}"
    return json.loads(report.read_text())


def counted(results: dict) -> list[dict]:
    return [r for r in results["results"] if r["outcome"] != "skipped"]


@pytest.fixture(scope="module")
def regions():
    return source_regions(REPO)


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_student_edition_fails_for_the_right_reason_then_passes(assignment, regions,
                                                                 tmp_path):
    mine = [r for r in regions if r.assignment == assignment]
    assert mine, f"assignment {assignment} has no solution regions in the reference code"
    edition = tmp_path / f"assignment{assignment}"
    build_edition(REPO, edition, assignment)

    imported = python(["-c", f"{IMPORTS}; print(tinytorch.__file__)"], edition)
    assert imported.returncode == 0, f"the student edition does not import:\n{imported.stderr}"
    assert imported.stdout.strip() == str(edition / "tinytorch" / "__init__.py")

    stubbed = grade(edition, assignment)
    assert counted(stubbed), f"assignment {assignment} has no graded tests that ran"
    wrong = [f"{r['nodeid']}: {r['outcome']}: {r['message'][:300]}" for r in counted(stubbed)
             if r["outcome"] != "failed" or not r["message"].startswith(
                 f"NotImplementedError: assignment {assignment}: ")]
    assert not wrong, (f"graded tests of assignment {assignment} that did not fail on its "
                       f"stubs:\n" + "\n".join(wrong))

    restored = restore_edition(edition, REPO, {assignment}, probe=True)
    assert len(restored) == len(mine)
    hits = tmp_path / "probe.txt"
    solved = grade(edition, assignment, hits)
    failed = [f"{r['nodeid']}: {r['outcome']}: {r['message'][:300]}"
              for r in counted(solved) if r["outcome"] != "passed"]
    assert not failed, (f"graded tests of assignment {assignment} that fail with the "
                        f"reference bodies back (later assignments still stubbed):\n"
                        + "\n".join(failed))
    assert solved["possible"] == stubbed["possible"]
    unreached = sorted({r.message for r in mine} - probe.read_hits(hits))
    assert not unreached, (f"solution regions of assignment {assignment} that no graded test "
                           f"runs:\n" + "\n".join(unreached))


def run_marked(edition: Path, expression: str) -> dict[str, str]:
    """Run ``pytest -m expression`` in ``edition``: node id -> passed/failed/skipped."""
    report = edition / "junit.xml"
    python(["-m", "pytest", "-m", expression, "-p", "no:cacheprovider", "-q",
            f"--junitxml={report}"], edition)
    assert report.is_file(), f"pytest wrote no report for -m {expression!r}"
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcomes[name] = ("failed" if kinds & {"failure", "error"} else
                          "skipped" if "skipped" in kinds else "passed")
    return outcomes


@pytest.mark.parametrize("assignment", [2, max(ASSIGNMENTS)])
def test_earlier_assignments_pass_in_a_student_edition(assignment, tmp_path):
    edition = tmp_path / f"assignment{assignment}"
    build_edition(REPO, edition, assignment)
    earlier = " or ".join(f"assignment{n}" for n in range(1, assignment))
    outcomes = run_marked(edition, earlier)
    assert "passed" in outcomes.values(), f"no graded test of {earlier} passed"
    failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
    assert not failed, (f"in the edition of assignment {assignment}, graded tests of earlier "
                        f"assignments fail:\n" + "\n".join(failed))
