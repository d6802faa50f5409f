"""``python -m tinytorch.course grade`` run from outside an edition, flags wherever they stand."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _course(*args: str, cwd: Path, pythonpath: Path = REPO_ROOT):
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([sys.executable, "-m", "tinytorch.course", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_grade_from_another_folder_uses_the_edition_of_the_imported_package(tmp_path):
    # a test file here would be collected if the grader ran pytest on the current folder
    (tmp_path / "test_trap.py").write_text("raise RuntimeError('crawled the wrong folder')\n")
    result = _course("grade", "1", "--json", "score.json", "-k", "zzz_selects_nothing",
                     cwd=tmp_path)
    assert "crawled the wrong folder" not in result.stdout + result.stderr
    assert result.returncode == 5, result.stdout + result.stderr  # nothing selected by -k
    assert "no graded tests of assignment 1 were collected" in result.stdout
    score = json.loads((tmp_path / "score.json").read_text())  # --json after N: the grader's
    assert score["assignment"] == 1 and score["results"] == []


def test_grade_refuses_clearly_outside_any_edition(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO_ROOT / "tinytorch", site / "tinytorch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _course("grade", "1", cwd=elsewhere, pythonpath=site)
    assert result.returncode == 2
    assert "no course edition here" in result.stderr
    assert "from the edition's root folder" in result.stderr


def test_other_commands_still_reject_unknown_flags(tmp_path):
    result = _course("list", "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 2 and "unrecognized arguments: --no-such-flag" in result.stderr
