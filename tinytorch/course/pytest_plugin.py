"""pytest plugin of the course: assignment marks, and what a student edition runs.

Loaded from ``tests/conftest.py`` (``pytest_plugins``). It

- registers the marks ``assignment1`` ... ``assignmentN``. A test declares its own grade
  where it is defined: ``@pytest.mark.assignment3`` (one point), ``@pytest.mark.assignment3(
  points=2)``, or for a parametrized test ``@pytest.mark.assignment6(only="Adam*")`` (only
  the parameter ids matching the pattern are graded). The generated checks of the op table
  (``tests/test_op_db.py``) take the grade from the row's ``assignment`` field (see
  ``GRADED_TABLE_CHECKS``). ``pytest -m assignment3`` runs assignment 3's graded tests;
- in a student edition built for assignment E (``tinytorch/course/edition.json``): skips
  graded tests of later assignments (their code is not written yet), and reports an
  ungraded test that stops at an unwritten stub (``NotImplementedError("assignment K: ...")``)
  as skipped, naming the assignment it needs. Graded tests of assignments up to E run and
  fail normally: that is the grading. In the reference implementation nothing is skipped.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .assignments import ASSIGNMENTS
from .edition import EDITION_FILE
from .markers import assignment_of_message

MAX_EXAMPLES_ENV = "TINYTORCH_COURSE_MAX_EXAMPLES"
_PACKAGE_EDITION = Path(__file__).with_name("edition.json")
_EDITION_KEY = pytest.StashKey[object]()


def edition_assignment(config=None) -> int | None:
    """The assignment this checkout's student edition was built for; None in the reference.

    The edition file is looked for under pytest's rootdir first, then beside this module.
    """
    candidates = [_PACKAGE_EDITION]
    if config is not None:
        candidates.insert(0, Path(config.rootpath, EDITION_FILE))
    for path in candidates:
        if path.is_file():
            return int(json.loads(path.read_text())["assignment"])
    return None


# the checks of tests/test_op_db.py that grade a row: both need the row's backward (and its
# forward), so a stubbed assignment fails them; forward-only, error and PyTorch checks are
# not graded (a grade must never depend on PyTorch being installed)
GRADED_TABLE_CHECKS = ("test_gradcheck", "test_noncontiguous_inputs")


def item_grade(item) -> tuple[int, float] | None:
    """(assignment, points) of a collected test, or None when it is not graded.

    Read from the test's own ``assignmentN`` mark (with ``points=`` and ``only=``), or, for
    the op table's generated checks, from the row's ``assignment`` field.
    """
    for number in ASSIGNMENTS:
        mark = item.get_closest_marker(f"assignment{number}")
        if mark is None:
            continue
        only = mark.kwargs.get("only")
        if only is not None and not _param_id_matches(item, only):
            continue
        return number, float(mark.kwargs.get("points", 1))
    callspec = getattr(item, "callspec", None)
    if callspec is not None and getattr(item, "originalname", "") in GRADED_TABLE_CHECKS:
        row = callspec.params.get("op")
        number = getattr(row, "assignment", None)
        if number is not None:
            return int(number), float(getattr(row, "points", 1))
    return None


def item_assignment(item) -> int | None:
    """The assignment a collected test is graded for, or None."""
    grade = item_grade(item)
    return None if grade is None else grade[0]


def _param_id_matches(item, patterns) -> bool:
    """Whether the test's parameter id matches one of the ``*`` patterns in ``patterns``."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return False
    if isinstance(patterns, str):
        patterns = (patterns,)
    return any(re.fullmatch(".*".join(re.escape(part) for part in p.split("*")), callspec.id)
               for p in patterns)


def stub_assignment(exc: BaseException | None) -> tuple[int, str] | None:
    """(assignment, message) when ``exc`` is, or wraps, a course stub's NotImplementedError.

    A stub reached in a subprocess (an example script a test runs) shows up only as text in
    the failure's message, so the messages are searched too.
    """
    found = _stub_in_chain(exc)
    if found is None and exc is not None:
        match = _STUB_TEXT.search(str(exc))
        if match:
            found = int(match.group(2)), match.group(1)
    return found


_STUB_TEXT = re.compile(r"NotImplementedError: (assignment ([1-9][0-9]*): [^\n'\"]*)")


def _stub_in_chain(exc):
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, NotImplementedError) and e.args and isinstance(e.args[0], str):
            number = assignment_of_message(e.args[0])
            if number is not None:
                return number, e.args[0]
        stack.extend(getattr(e, "exceptions", ()))  # ExceptionGroup (hypothesis, 3.11+)
        stack.extend((e.__cause__, e.__context__))
    return None


def _edition(config) -> int | None:
    """``edition_assignment`` read once per session."""
    if _EDITION_KEY not in config.stash:
        config.stash[_EDITION_KEY] = edition_assignment(config)
    return config.stash[_EDITION_KEY]


def pytest_addoption(parser) -> None:
    parser.addoption("--course-no-skips", action="store_true", default=False,
                     help="tinytorch course: a graded test that skips is a failure (CI proves "
                          "that grading never depends on an optional package such as torch)")


def pytest_configure(config) -> None:
    _limit_hypothesis_examples()
    for number, assignment in ASSIGNMENTS.items():
        config.addinivalue_line(
            "markers", f"assignment{number}: graded test of course assignment {number} "
                       f"({assignment.title})")


def _limit_hypothesis_examples() -> None:
    """Cap hypothesis' examples per property when ``TINYTORCH_COURSE_MAX_EXAMPLES`` is set.

    The round trip asks whether tests fail on the stubs and pass on the solutions, not how
    hard the properties are searched (the main suite does that), so it runs a few examples,
    the same ones every time, and does not shrink the failures it expects.
    """
    cap = os.environ.get(MAX_EXAMPLES_ENV)
    if not cap:
        return
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    current = settings()
    settings.register_profile("course-capped", parent=current,
                              max_examples=min(int(cap), current.max_examples),
                              phases=(Phase.explicit, Phase.generate), derandomize=True,
                              database=None)
    settings.load_profile("course-capped")


def pytest_report_header(config) -> str | None:
    edition = _edition(config)
    if edition is None:
        return None
    return (f"tinytorch course: student edition for assignment {edition} "
            f"(grade it with: python -m tinytorch.course grade {edition})")


def pytest_collection_modifyitems(session, config, items) -> None:
    edition = _edition(config)
    for item in items:
        grade = item_grade(item)
        number = None if grade is None else grade[0]
        # exactly the graded items carry an assignment mark, so that `-m assignmentN` selects
        # them: drop the marks of parameter ids that `only=` leaves out, add the table rows'
        item.own_markers = [m for m in item.own_markers if not _ASSIGNMENT_MARK.fullmatch(m.name)]
        if grade is not None:
            item.add_marker(getattr(pytest.mark, f"assignment{number}")(points=grade[1]))
            item.user_properties.append(("points", grade[1]))
        if edition is not None and number is not None and number > edition:
            item.add_marker(pytest.mark.skip(
                reason=f"assignment {number} is not part of this edition yet "
                       f"(it was built for assignment {edition})"))


_ASSIGNMENT_MARK = re.compile(r"assignment[1-9][0-9]*")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.config.getoption("course_no_skips", False) and \
            item_assignment(item) is not None and _edition(item.config) is None:
        report.outcome = "failed"
        report.longrepr = (f"graded test of assignment {item_assignment(item)} skipped "
                           f"({_skip_text(report)}): a grade must not depend on it")
        return
    edition = _edition(item.config)
    if edition is None or call.excinfo is None or not report.failed:
        return
    if item_assignment(item) is not None:
        return  # graded tests fail for real: that is the feedback
    stub = stub_assignment(call.excinfo.value)
    if stub is None or stub[0] < edition:
        return
    number, message = stub
    report.outcome = "skipped"
    report.longrepr = (str(item.path), item.location[1] or 0,
                       f"Skipped: needs assignment {number}, not written yet ({message})")


def _skip_text(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)
