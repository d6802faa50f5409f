"""The course tool on small synthetic files: markers, stubs, restore, editions, plugin, grader."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tinytorch.course import (
    MarkerError,
    build_edition,
    find_regions,
    probe,
    read_edition,
    repository_files,
    restore_edition,
    restore_source,
    stub_source,
)
from tinytorch.course.grade import GradedTest, Score, format_score
from tinytorch.course.pytest_plugin import stub_assignment

REPO = Path(__file__).resolve().parents[1]

# Marker lines are assembled at run time, so this file itself never holds a marker comment.
BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n").replace("#BEGIN", BEGIN).replace("#END", END)


MODULE = src('''
    """A module with three marked regions."""


    def double(x):
        """2 x"""
        #BEGIN assignment=1 "double: return 2 * x"
        return 2 * x
        #END


    class Square:
        """x^2 and its derivative."""

        @staticmethod
        def forward(x):
            #BEGIN assignment=2 "Square.forward: return x * x"
            y = x * x
            return y
            #END

        @staticmethod
        def backward(x, g):
            """d(x^2) = 2 x g"""
            if g is None:
                return None
            #BEGIN assignment=3 "Square.backward: return 2 * x * g"
            return 2 * x * g
            #END

    NOTE = """
        #BEGIN assignment=9 "inside a string: not a marker"
    """
''')


def load(text: str) -> dict:
    namespace: dict = {}
    exec(compile(text, "<module>", "exec"), namespace)
    return namespace


def test_find_regions_reads_number_text_lines_and_enclosing_function():
    regions = find_regions(MODULE, "mod.py")
    assert [(r.assignment, r.qualname) for r in regions] == [
        (1, "double"), (2, "Square.forward"), (3, "Square.backward")]
    first = regions[0]
    lines = MODULE.splitlines()
    assert lines[first.begin - 1].strip().startswith(BEGIN)
    assert lines[first.end - 1].strip() == END
    assert first.what == "double: return 2 * x"
    assert first.message == "assignment 1: double: return 2 * x"
    assert regions[2].indent == " " * 8


def test_markers_do_not_change_behaviour():
    plain = "\n".join(line for line in MODULE.splitlines()
                      if not line.strip().startswith((BEGIN, END)))
    marked, unmarked = load(MODULE), load(plain)
    assert marked["double"](3) == unmarked["double"](3) == 6
    assert marked["Square"].backward(3.0, 1.0) == unmarked["Square"].backward(3.0, 1.0) == 6.0


@pytest.mark.parametrize("first", [1, 2, 3])
def test_stub_replaces_regions_from_the_assignment_on(first):
    text, stubbed = stub_source(MODULE, first, "mod.py")
    assert [r.assignment for r in stubbed] == [n for n in (1, 2, 3) if n >= first]
    ns = load(text)
    calls = {1: lambda: ns["double"](3), 2: lambda: ns["Square"].forward(3),
             3: lambda: ns["Square"].backward(3, 1)}
    expected = {1: 6, 2: 9, 3: 6}
    for number, call in calls.items():
        if number < first:
            assert call() == expected[number]
        else:
            with pytest.raises(NotImplementedError, match=f"^assignment {number}: "):
                call()
    # the function's own docstring stays, the markers stay, the solution is gone
    assert ns["double"].__doc__ == "2 x"
    assert ns["Square"].backward(3, None) is None  # code before the region still runs
    assert text.count(BEGIN) == MODULE.count(BEGIN)
    if first == 1:
        assert "    return 2 * x" not in text.splitlines()
        assert "yours to write: double: return 2 * x" in text
        assert [r.key for r in find_regions(text)] == [r.key for r in find_regions(MODULE)]


def test_stub_of_a_region_without_a_docstring_documents_the_function():
    text, _ = stub_source(MODULE, 2)
    assert "Square.forward: return x * x" in load(text)["Square"].forward.__doc__


def test_restore_puts_back_exactly_the_chosen_bodies():
    student, _ = stub_source(MODULE, 1)
    full, restored = restore_source(student, MODULE)
    assert full == MODULE and len(restored) == 3
    partial, restored = restore_source(student, MODULE, {2})
    assert [r.assignment for r in restored] == [2]
    ns = load(partial)
    assert ns["Square"].forward(3) == 9
    with pytest.raises(NotImplementedError, match="assignment 3"):
        ns["Square"].backward(3, 1)


def test_probed_restore_records_each_region_that_runs(tmp_path, monkeypatch):
    probed, restored = restore_source(stub_source(MODULE, 1)[0], MODULE, {2, 3}, probe=True)
    assert len(restored) == 2
    log = tmp_path / "hits.txt"
    monkeypatch.setenv(probe.ENV_VAR, str(log))
    ns = load(probed)
    assert ns["Square"].forward(3) == 9  # the probe changes no result
    assert probe.read_hits(log) == {"assignment 2: Square.forward: return x * x"}
    assert ns["Square"].backward(3, 1) == 6
    assert len(probe.read_hits(log)) == 2
    assert [r.key for r in find_regions(probed)] == [r.key for r in find_regions(MODULE)]


def test_restore_refuses_files_whose_regions_differ():
    other = MODULE.replace('"Square.forward: return x * x"', '"something else"')
    with pytest.raises(MarkerError, match="regions differ"):
        restore_source(stub_source(MODULE, 1)[0], other, path="mod.py")


BAD = {
    "never closed": ("def f():\n    #BEGIN assignment=1 \"x\"\n    return 1\n", "never closed"),
    "end alone": ("def f():\n    return 1\n    #END\n", "without a BEGIN"),
    "nested": ("def f():\n    #BEGIN assignment=1 \"a\"\n    #BEGIN assignment=1 \"b\"\n"
               "    return 1\n    #END\n    #END\n", "cannot nest"),
    "no text": ("def f():\n    #BEGIN assignment=1\n    return 1\n    #END\n", "malformed"),
    "bad number": ("def f():\n    #BEGIN assignment=x \"t\"\n    return 1\n    #END\n",
                   "malformed"),
    "module level": ("#BEGIN assignment=1 \"t\"\nX = 1\n#END\n", "inside a function"),
    "around the def": ("#BEGIN assignment=1 \"t\"\ndef f():\n    return 1\n#END\n",
                       "inside a function"),
    "end misindented": ("def f():\n    #BEGIN assignment=1 \"t\"\n    return 1\n  #END\n",
                        "not indented like"),
    "body deeper": ("def f():\n    if True:\n        pass\n    #BEGIN assignment=1 \"t\"\n"
                    "        return 1\n    #END\n", "indented like"),
    "empty": ("def f():\n    x = 1\n    #BEGIN assignment=1 \"t\"\n    # nothing\n    #END\n",
              "no code"),
    "after code": ("def f():\n    x = 1  #BEGIN assignment=1 \"t\"\n    return x\n    #END\n",
                   "alone on its line"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_markers_are_rejected_with_file_and_line(case):
    text, message = BAD[case]
    with pytest.raises(MarkerError, match=message) as err:
        find_regions(src(text), "bad.py")
    assert str(err.value).startswith("bad.py:")


MARKED_TESTS = src('''
    import pytest


    @pytest.mark.assignment2(points=3)
    def test_worth_three():
        pass


    @pytest.mark.assignment4(only=("soft*", "relu"))
    @pytest.mark.parametrize("name", ["softmax", "softplus", "relu", "tanh"])
    def test_some_params(name):
        pass


    def test_ungraded():
        pass
''')


def _collected_grades(root: Path) -> dict:
    """{test id: (assignment, points)} of what the plugin grades in ``root``'s tests."""
    from tinytorch.course.pytest_plugin import item_grade

    class Collector:
        def __init__(self):
            self.grades = {}

        def pytest_collection_finish(self, session):
            for item in session.items:
                graded = item_grade(item)
                self.grades[item.nodeid] = graded

    collector = Collector()
    pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(root),
                 str(root / "tests")], plugins=[collector])
    return collector.grades


def test_marks_declare_points_and_the_graded_parameter_ids(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_marked.py").write_text(MARKED_TESTS)
    (tmp_path / "tests" / "conftest.py").write_text(
        'pytest_plugins = ["tinytorch.course.pytest_plugin"]\n')
    grades = {k.split("::", 1)[1]: v for k, v in _collected_grades(tmp_path).items()}
    assert grades == {"test_worth_three": (2, 3.0), "test_some_params[softmax]": (4, 1.0),
                      "test_some_params[softplus]": (4, 1.0), "test_some_params[relu]": (4, 1.0),
                      "test_some_params[tanh]": None, "test_ungraded": None}


def test_every_assignment_has_graded_tests_and_every_declared_grade_reaches_one():
    """The grades live on the tests and the op table's rows; none may be lost by a rename."""
    from tinytorch.course import ASSIGNMENTS
    from tinytorch.course.pytest_plugin import GRADED_TABLE_CHECKS
    from tinytorch.testing import op_db

    grades = _collected_grades(REPO)
    per_assignment = {n: [t for t, g in grades.items() if g and g[0] == n] for n in ASSIGNMENTS}
    assert not [n for n, tests in per_assignment.items() if not tests], per_assignment
    table_checks = tuple(f"tests/test_op_db.py::{check}[" for check in GRADED_TABLE_CHECKS)
    graded_rows = {t.split("[", 1)[1][:-1] for t, g in grades.items()
                   if g and t.startswith(table_checks)}
    declared = {row.name for row in op_db if row.assignment is not None}
    assert declared <= graded_rows, f"op_db rows graded by no test: {declared - graded_rows}"
    # every `only=` pattern grades at least one parameter id of its test
    for path in (REPO / "tests").glob("test_*.py"):
        for line in path.read_text().splitlines():
            if line.startswith("@pytest.mark.assignment") and "only=" in line:
                test = f"tests/{path.name}::{_next_test_name(path, line)}"
                assert any(g for t, g in grades.items() if t.startswith(test)), \
                    f"{path.name}: {line.strip()} grades nothing"


def _next_test_name(path: Path, mark_line: str) -> str:
    """The name of the test function defined after ``mark_line`` in ``path``."""
    lines = path.read_text().splitlines()
    start = lines.index(mark_line)
    for line in lines[start:]:
        if line.startswith("def "):
            return line[4:].split("(", 1)[0]
    raise AssertionError(f"no test after {mark_line!r} in {path}")


def test_stub_assignment_finds_the_stub_inside_wrappers():
    try:
        try:
            raise NotImplementedError("assignment 5: attention")
        except NotImplementedError as inner:
            raise RuntimeError("while running the model") from inner
    except RuntimeError as outer:
        assert stub_assignment(outer) == (5, "assignment 5: attention")
    # a stub reached in a subprocess (an example script) appears only in the message
    crashed = AssertionError("Traceback (most recent call last):\n  ...\n"
                             "NotImplementedError: assignment 7: Block.forward: residuals\n")
    assert stub_assignment(crashed) == (7, "assignment 7: Block.forward: residuals")
    assert stub_assignment(NotImplementedError("not a course stub")) is None
    assert stub_assignment(ValueError("assignment 5: looks like one")) is None


def test_format_score_shows_failures_and_counts_only_graded_outcomes():
    results = [GradedTest("t.py::test_a"),
               GradedTest("t.py::test_b", "failed",
                          "GradcheckError: Jacobian mismatch for input 0 (shape (2, 3))",
                          "tinytorch/ops/x.py:12"),
               GradedTest("t.py::test_c", "skipped", "torch is not installed")]
    table = format_score(Score(3, results))
    assert "total: 1/2 points (50%); 1 skipped, not counted" in table
    weighted = format_score(Score(3, [GradedTest("t.py::a", points=2.5),
                                      GradedTest("t.py::b", "failed", "x", points=1.5)]))
    assert "2.5/2.5" in weighted and "0/1.5" in weighted and "total: 2.5/4 points" in weighted
    assert "Jacobian mismatch for input 0 (shape (2, 3))" in table
    assert "at tinytorch/ops/x.py:12" in table
    assert "elementwise, reduction and matmul backward" in table
    skipped = format_score(Score(5, [GradedTest("t.py::test_a", "skipped", "not yet")]))
    assert "no graded test ran: all 1 were skipped" in skipped and "total" not in skipped


# --- whole trees: a tiny repository with a package, tests and the plugin --------------------

TESTS = src('''
    import minilib
    import pytest


    @pytest.mark.assignment1
    def test_double():
        assert minilib.double(3) == 6


    @pytest.mark.assignment2
    def test_square():
        assert minilib.Square.forward(3) == 9


    def test_ungraded_uses_both():
        assert minilib.Square.forward(minilib.double(1)) == 4
''')


def make_repo(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "minilib.py").write_text(MODULE)
    (root / "tests" / "test_mini.py").write_text(TESTS)
    (root / "tests" / "conftest.py").write_text(
        'pytest_plugins = ["tinytorch.course.pytest_plugin"]\n')
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    for junk in (".venv/lib/x.py", "__pycache__/minilib.cpython-311.pyc", ".git/HEAD",
                 "pkg.egg-info/PKG-INFO"):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_text("junk")
    return root


def test_repository_files_walk_leaves_out_history_environments_and_caches(tmp_path):
    repo = make_repo(tmp_path / "repo")
    assert repository_files(repo) == ["minilib.py", "pyproject.toml", "tests/conftest.py",
                                      "tests/test_mini.py"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_repository_files_in_git_take_tracked_and_unignored_files(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / ".gitignore").write_text("secret.txt\n")
    (repo / "a.py").write_text("x = 1\n")
    (repo / "secret.txt").write_text("ignored\n")
    (repo / "gone.py").write_text("y = 2\n")
    subprocess.run(["git", "add", ".gitignore", "a.py", "gone.py"], cwd=repo, check=True)
    (repo / "gone.py").unlink()
    (repo / "new.py").write_text("z = 3\n")
    assert repository_files(repo) == [".gitignore", "a.py", "new.py"]


def test_build_edition_copies_and_stubs_and_records_the_assignment(tmp_path):
    repo = make_repo(tmp_path / "repo")
    result = build_edition(repo, tmp_path / "student", 2)
    out = tmp_path / "student"
    assert sorted(r.assignment for r in result.stubbed) == [2, 3]
    assert read_edition(out) == 2 and read_edition(repo) is None
    assert json.loads((out / "tinytorch/course/edition.json").read_text())["assignment"] == 2
    assert not (out / ".venv").exists() and not (out / "__pycache__").exists()
    assert (out / "tests" / "test_mini.py").read_text() == TESTS
    ns = load((out / "minilib.py").read_text())
    assert ns["double"](2) == 4
    with pytest.raises(NotImplementedError, match="assignment 2: Square.forward"):
        ns["Square"].forward(2)
    restored = restore_edition(out, repo, {2, 3})
    assert len(restored) == 2 and (out / "minilib.py").read_text() == MODULE


def test_build_edition_refuses_a_non_empty_output_and_bad_markers(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        build_edition(repo, tmp_path / "full", 1)
    (repo / "broken.py").write_text(src('def f():\n    #BEGIN assignment=1 "t"\n    return 1\n'))
    with pytest.raises(MarkerError, match="broken.py:2: BEGIN SOLUTION is never closed"):
        build_edition(repo, tmp_path / "out", 1)
    assert not (tmp_path / "out").exists()


def run(args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(cwd)]))
    env.pop("HYPOTHESIS_PROFILE", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_student_edition_end_to_end_with_the_cli_plugin_and_grader(tmp_path):
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "student"
    built = run(["-m", "tinytorch.course", "build", "--assignment", "2", "--out", str(out),
                 "--source", str(repo)], REPO)
    assert built.returncode == 0, built.stderr
    assert "assignment 2: 1 region(s) stubbed" in built.stdout

    # the plugin: assignment 1 passes, 2 fails with its message, the ungraded test that
    # needs assignment 2 is skipped and says so
    tests = run(["-m", "pytest", "-rs", "-p", "no:cacheprovider"], out)
    assert "student edition for assignment 2" in tests.stdout
    assert "1 failed, 1 passed, 1 skipped" in tests.stdout, tests.stdout
    assert "needs assignment 2, not written yet" in tests.stdout

    graded = run(["-m", "tinytorch.course", "grade", "2"], out)
    assert graded.returncode == 1, graded.stdout + graded.stderr
    assert "NotImplementedError: assignment 2: Square.forward: return x * x" in graded.stdout
    assert "total: 0/1 points (0%)" in graded.stdout

    listed = run(["-m", "tinytorch.course", "list", "--source", str(out)], REPO)
    assert "student edition for assignment 2" in listed.stdout
    assert "minilib.py:" in listed.stdout and "Square.backward" in listed.stdout

    restored = run(["-m", "tinytorch.course", "restore", "--assignment", "2", "--reference",
                    str(repo), "--into", str(out)], REPO)
    assert restored.returncode == 0 and "restored 1 region(s)" in restored.stdout
    graded = run(["-m", "tinytorch.course", "grade", "--json", "score.json", "2"], out)
    assert graded.returncode == 0 and "total: 1/1 points (100%)" in graded.stdout
    score = json.loads((out / "score.json").read_text())
    assert (score["earned"], score["possible"]) == (1, 1)
    assert score["results"][0]["nodeid"] == "tests/test_mini.py::test_square"

    # an edition for assignment 1 does not run assignment 2's graded test at all
    early = tmp_path / "early"
    build_edition(repo, early, 1)
    tests = run(["-m", "pytest", "-rs", "-p", "no:cacheprovider"], early)
    assert "1 failed, 2 skipped" in tests.stdout, tests.stdout
    assert "assignment 2 is not part of this edition yet" in tests.stdout


def test_cli_reports_errors_without_a_traceback(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    res = run(["-m", "tinytorch.course", "build", "-n", "1", "--out", str(tmp_path / "full"),
               "--source", str(repo)], REPO)
    assert res.returncode == 2 and "error: output directory" in res.stderr
    assert "Traceback" not in res.stderr
    res = run(["-m", "tinytorch.course", "grade", "99"], REPO)
    assert res.returncode == 2 and "no assignment 99" in res.stderr
    build_edition(repo, tmp_path / "student", 1)
    res = run(["-m", "tinytorch.course", "restore", "-n", "1", "--reference",
               str(tmp_path / "student"), "--into", str(tmp_path / "student")], REPO)
    assert res.returncode == 2 and "is a student edition, not the reference" in res.stderr


def test_course_no_skips_turns_a_skipped_graded_test_into_a_failure(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(
        'pytest_plugins = ["tinytorch.course.pytest_plugin"]\n')
    (tmp_path / "tests" / "test_s.py").write_text(src('''
        import pytest


        @pytest.mark.assignment1
        def test_graded_needs_a_missing_package():
            pytest.importorskip("no_such_package_here")


        def test_ungraded_may_skip():
            pytest.skip("fine")
    '''))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--course-no-skips", "tests"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert "1 failed, 1 skipped" in run.stdout, run.stdout
    assert "graded test of assignment 1 skipped" in run.stdout
