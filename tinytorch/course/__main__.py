"""``python -m tinytorch.course``: list, build, grade and restore course assignments.

    python -m tinytorch.course list [--tests]
    python -m tinytorch.course build --assignment N --out DIR
    python -m tinytorch.course grade N [--json PATH] [pytest arguments ...]
    python -m tinytorch.course restore --assignment N --reference REPO --into DIR
    python -m tinytorch.course milestone N [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

from .assignments import ASSIGNMENTS
from .edition import build_edition, read_edition, restore_edition, source_regions
from .markers import MarkerError


def default_root() -> Path:
    """The repository holding the imported tinytorch package."""
    return Path(__file__).resolve().parents[2]


def _assignment_number(text: str) -> int:
    number = int(text)
    if number not in ASSIGNMENTS:
        raise argparse.ArgumentTypeError(
            f"no assignment {number}; the course has assignments {min(ASSIGNMENTS)} to "
            f"{max(ASSIGNMENTS)}")
    return number


def cmd_list(args) -> int:
    root = Path(args.source)
    regions = source_regions(root)
    tests = _collect_graded_tests(root) if args.tests else {}
    edition = read_edition(root)
    if edition is not None:
        print(f"student edition for assignment {edition}\n")
    for number, assignment in ASSIGNMENTS.items():
        mine = [r for r in regions if r.assignment == number]
        print(f"assignment {number}: {assignment.title}  ({assignment.page})")
        for r in mine:
            where = "" if r.qualname.split(".")[-1] in r.what else f"  (in {r.qualname})"
            print(f"  {r.path}:{r.begin}  {r.what}{where}")
        if not mine:
            print("  (no solution regions marked)")
        if args.tests:
            graded = tests.get(number, [])
            print(f"  graded tests: {len(graded)}")
            for nodeid in graded:
                print(f"    {nodeid}")
    unknown = sorted({r.assignment for r in regions} - set(ASSIGNMENTS))
    for number in unknown:
        print(f"warning: regions marked for assignment {number}, which the course does not "
              f"have", file=sys.stderr)
    return 1 if unknown else 0


def _collect_graded_tests(root: Path) -> dict[int, list[str]]:
    import pytest

    from .pytest_plugin import item_assignment

    class Collector:
        def __init__(self):
            self.found: dict[int, list[str]] = {}

        def pytest_collection_finish(self, session):
            for item in session.items:
                number = item_assignment(item)
                if number is not None:
                    self.found.setdefault(number, []).append(item.nodeid)

    collector = Collector()
    with contextlib.redirect_stdout(io.StringIO()):  # pytest's own listing is not wanted
        pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(root),
                     str(root / "tests")], plugins=[collector])
    return collector.found


def cmd_build(args) -> int:
    result = build_edition(args.source, args.out, args.assignment)
    print(f"student edition for assignment {args.assignment}: {result.files} files in "
          f"{result.out}")
    for number in sorted({r.assignment for r in result.stubbed}):
        count = sum(r.assignment == number for r in result.stubbed)
        print(f"  assignment {number}: {count} region(s) stubbed")
    print(f"students start with: cd {result.out} && python -m tinytorch.course grade "
          f"{args.assignment}")
    return 0


def _is_edition(folder: Path) -> bool:
    return (folder / "tests").is_dir() and (
        read_edition(folder) is not None or (folder / "pyproject.toml").is_file())


def edition_root(start: Path | None = None) -> Path:
    """The course edition to grade: the folder (or nearest parent) holding the edition's
    ``tests/`` and ``pyproject.toml``, else the checkout of the imported tinytorch package.

    Refuses (``ValueError``) when neither is an edition, e.g. a wheel install run from an
    unrelated folder: pytest must never crawl whatever folder the student stands in.
    """
    start = Path.cwd() if start is None else start
    for folder in (start, *start.parents):
        if _is_edition(folder):
            return folder
    root = default_root()
    if _is_edition(root):
        return root
    raise ValueError(f"grade: no course edition here ({start}) or around the imported "
                     f"tinytorch ({Path(__file__).resolve().parents[1]}); run 'python -m "
                     f"tinytorch.course grade N' from the edition's root folder (the one "
                     f"holding tests/ and pyproject.toml)")


def cmd_grade(args) -> int:
    from .grade import grade

    return grade(args.assignment, args.pytest_args, json_path=args.json, root=edition_root())


def cmd_restore(args) -> int:
    if read_edition(args.reference) is not None:
        raise ValueError(f"{args.reference} is a student edition, not the reference; pass "
                         f"--reference with the repository the edition was built from")
    restored = restore_edition(args.into, args.reference, {args.assignment})
    print(f"restored {len(restored)} region(s) of assignment {args.assignment} into "
          f"{args.into}")
    return 0 if restored else 1


def cmd_milestone(args) -> int:
    from .milestones import main as run_milestone

    return run_milestone(args.number, args.out, args.quick)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinytorch.course",
                                     description="course assignments cut from tinytorch")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="show the assignments and their solution regions")
    p.add_argument("--source", default=str(default_root()), help="repository (default: this)")
    p.add_argument("--tests", action="store_true", help="also list each one's graded tests")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("build", help="build the student edition of an assignment")
    p.add_argument("--assignment", "-n", type=_assignment_number, required=True,
                   help="stub the solutions of this assignment and all later ones")
    p.add_argument("--out", required=True, help="new (or empty) output directory")
    p.add_argument("--source", default=str(default_root()), help="repository (default: this)")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("grade", help="run an assignment's graded tests and print the score")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("assignment", type=_assignment_number)
    p.epilog = ("Any other arguments, before or after N, go to pytest (e.g. -x, -k mul, "
                "--tb=short); put them after '--' to pass one that grade itself takes.")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("restore", help="copy reference solution bodies into an edition")
    p.add_argument("--assignment", "-n", type=_assignment_number, required=True)
    p.add_argument("--reference", default=str(default_root()),
                   help="the reference repository (default: this)")
    p.add_argument("--into", required=True, help="the student edition to fill in")
    p.set_defaults(run=cmd_restore)

    p = sub.add_parser("milestone", help="run the milestone of an assignment on your own code")
    p.add_argument("number", type=_assignment_number)
    p.add_argument("--out", default="out/milestones", help="folder for its picture")
    p.add_argument("--quick", action="store_true", help="a few steps only")
    p.set_defaults(run=cmd_milestone)

    # grade's own flags are parsed wherever they stand; what is left goes to pytest
    args, extra = parser.parse_known_args(argv)
    if args.command == "grade":
        if "--" in extra:
            cut = extra.index("--")
            extra = extra[:cut] + extra[cut + 1:]
        args.pytest_args = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.run(args)
    except (MarkerError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
