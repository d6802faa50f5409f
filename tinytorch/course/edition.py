"""Student editions: copy a repository with the solution regions of some assignments stubbed.

``build_edition(repo, out, n)`` copies the repository (the files git knows about that are
not ignored, or, outside git, the tree minus ``.git``, virtual environments and caches) into
``out``, stubs every region of assignment ``n`` and later ones, and records ``n`` in
``tinytorch/course/edition.json`` so the pytest plugin knows which assignments are open.
``restore_edition`` copies reference bodies back into an edition (the round-trip check).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .markers import MarkerError, Region, find_regions, restore_source, stub_source

EDITION_FILE = "tinytorch/course/edition.json"

# never copied when the tree is walked without git: history, environments, caches, outputs
_SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "build",
              "dist", "out", ".mypy_cache", ".tox", "node_modules"}
_SKIP_DIR_PATTERNS = (".venv*", "venv*", "*.egg-info", "out-*")
_SKIP_FILE_PATTERNS = ("*.pyc", "*.pyo", "*.safetensors", ".DS_Store")


@dataclass
class BuildResult:
    """What ``build_edition`` did: the edition's number, files copied, regions stubbed."""

    assignment: int
    out: Path
    files: int
    stubbed: list[Region]


def repository_files(root: str | os.PathLike) -> list[str]:
    """Relative paths of the repository's files: git's tracked and untracked-unignored ones.

    Outside a git work tree (or without git) the tree is walked instead, leaving out
    ``.git``, virtual environments, caches and build outputs.
    """
    root = Path(root)
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=True).stdout.decode()
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root,
                             capture_output=True, check=True, text=True).stdout.strip()
        if Path(top).resolve() == root.resolve():
            # deleted-but-tracked files are listed too: keep only what exists
            return sorted({p for p in listed.split("\0") if p and (root / p).is_file()})
    except (OSError, subprocess.CalledProcessError):
        pass
    return _walk_files(root)


def _walk_files(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS
            and not any(fnmatch.fnmatch(d, p) for p in _SKIP_DIR_PATTERNS))
        for name in filenames:
            if any(fnmatch.fnmatch(name, p) for p in _SKIP_FILE_PATTERNS):
                continue
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                out.append(path.relative_to(root).as_posix())
    return sorted(out)


def source_regions(root: str | os.PathLike, files=None) -> list[Region]:
    """Every solution region in the repository's Python files, in path and line order."""
    root = Path(root)
    regions = []
    for rel in files if files is not None else repository_files(root):
        if rel.endswith(".py"):
            regions.extend(find_regions(_read(root / rel), rel))
    return regions


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def read_edition(root: str | os.PathLike) -> int | None:
    """The assignment a student edition was built for, or None for the reference."""
    path = Path(root, EDITION_FILE)
    if not path.is_file():
        return None
    return int(json.loads(path.read_text())["assignment"])


def build_edition(source: str | os.PathLike, out: str | os.PathLike,
                  assignment: int) -> BuildResult:
    """Copy ``source`` to ``out`` with the regions of assignments >= ``assignment`` stubbed.

    ``out`` must not exist or be an empty directory. Raises ``MarkerError`` (and writes
    nothing) if any marker is malformed.
    """
    if assignment < 1:
        raise ValueError(f"assignment must be >= 1, got {assignment}")
    source, out = Path(source).resolve(), Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"output directory {out} exists and is not empty")
    # listed before anything is written, so an output inside the repository is not copied
    # into itself (a later build would copy it, unless it is git-ignored like out/)
    files = repository_files(source)
    # stub everything in memory first so a bad marker leaves no half-built edition behind
    rewritten, stubbed = {}, []
    for rel in files:
        if rel.endswith(".py"):
            text = _read(source / rel)
            new, regions = stub_source(text, assignment, rel)
            if regions:
                rewritten[rel] = new
                stubbed.extend(regions)
    out.mkdir(parents=True, exist_ok=True)
    for rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in rewritten:
            _write(target, rewritten[rel])
            shutil.copymode(source / rel, target)
        else:
            shutil.copy2(source / rel, target)
    edition = out / EDITION_FILE
    edition.parent.mkdir(parents=True, exist_ok=True)
    edition.write_text(json.dumps({"assignment": assignment,
                                   "stubbed": [r.message for r in stubbed]}, indent=1) + "\n")
    return BuildResult(assignment=assignment, out=out, files=len(files), stubbed=stubbed)


def restore_edition(edition: str | os.PathLike, reference: str | os.PathLike,
                    assignments=None, probe: bool = False) -> list[Region]:
    """Copy the reference bodies of ``assignments`` (None: all) back into a student edition.

    Returns the regions restored. The edition's files must carry the same regions as the
    reference's (``MarkerError`` otherwise). With ``probe`` every restored body records
    that it ran (``tinytorch.course.probe``), for checks that the tests reach it.
    """
    edition, reference = Path(edition), Path(reference)
    restored = []
    for rel in repository_files(reference):
        if not rel.endswith(".py") or not (edition / rel).is_file():
            continue
        ref_text = _read(reference / rel)
        if not find_regions(ref_text, rel):
            continue
        new, regions = restore_source(_read(edition / rel), ref_text, assignments, rel,
                                      probe=probe)
        if regions:
            _write(edition / rel, new)
            restored.extend(regions)
    return restored


__all__ = ["EDITION_FILE", "BuildResult", "MarkerError", "build_edition", "read_edition",
           "repository_files", "restore_edition", "source_regions"]
