"""torch.accelerator's names: what the current PyTorch tutorials start with."""

from __future__ import annotations

import pytest

import tinytorch as tt


def test_the_tutorial_device_line_works():
    acc = tt.accelerator
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert tt.zeros(2, device=device).device == device
    assert acc.is_available() == tt.cuda.is_available()
    assert acc.device_count() == tt.cuda.device_count()


@pytest.mark.skipif(tt.cuda.is_available(), reason="the CPU-only answers")
def test_without_a_gpu_the_answers_are_pytorchs():
    acc = tt.accelerator
    assert acc.current_accelerator() is None and acc.device_count() == 0
    for call in (acc.current_device_index, acc.synchronize, acc.empty_cache,
                 acc.memory_allocated, lambda: acc.set_device_index(0)):
        with pytest.raises(RuntimeError, match="none is available"):
            call()


def test_import_torch_accelerator_under_run(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "s.py"
    script.write_text("import torch\nimport torch.accelerator\n"
                      "print(torch.accelerator.is_available())\n")
    out = subprocess.run([sys.executable, "-m", "tinytorch.run", str(script)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("True", "False")
