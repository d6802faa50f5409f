"""Every ```python block in README.md and docs/ runs, so the documentation cannot rot.

The blocks of one Markdown file run in order in one namespace, like a notebook: a later
block may use what an earlier one defined. Each file runs in a fresh temporary working
directory. Code that must not run belongs in a ```text or ```bash fence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)


def markdown_files() -> list[Path]:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
    return [f for f in files if f.is_file()]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each block fenced as ```python (or ```py)."""
    blocks = []
    for m in FENCE.finditer(text):
        if m.group("lang").strip().split(" ")[0] in ("python", "py"):
            line = text.count("\n", 0, m.start("body")) + 1
            indent = len(m.group("indent"))
            body = "\n".join(ln[indent:] for ln in m.group("body").splitlines())
            blocks.append((line, body))
    return blocks


def test_block_finder_sees_only_python_fences():
    text = "# t\n```python\nx = 1\n```\n\n```bash\nexit 1\n```\n- item\n  ```py\n  y = 2\n  ```\n"
    assert python_blocks(text) == [(3, "x = 1"), (11, "y = 2")]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_python_blocks_run(path: Path, tmp_path, monkeypatch):
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import tinytorch

    tinytorch.manual_seed(0)
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    try:
        for line, code in blocks:
            # padded with blank lines so a traceback names the Markdown file's own line numbers
            exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
    finally:
        # a block may change global state that later tests rely on
        tinytorch.set_default_dtype(tinytorch.float32)
