"""``python -m tinytorch.run``: PyTorch scripts run unmodified with ``torch`` bound to tinytorch.

The scripts in tests/run_scripts are our own, written in the style of nanoGPT and of
tutorial code; each runs in a subprocess, as a user would start it.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytorch
import tinytorch.run as tt_run

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "run_scripts"


def _run(*args, cwd=None, timeout=300):
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, PYTHONWARNINGS="default")
    return subprocess.run([sys.executable, "-m", "tinytorch.run", *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _needs(*names):
    """Skip while names that other branches add (issue 11) are not on this one yet."""
    missing = [n for n in names if not hasattr(tinytorch, n)]
    if missing:
        pytest.skip(f"waiting for tinytorch.{', tinytorch.'.join(missing)} (issue 11)")


def _char_data(directory: Path) -> Path:
    """train.bin/val.bin/meta.pkl as nanoGPT's shakespeare_char prepare.py writes them."""
    text = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\n"
            "Speak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to "
            "famish?\n\n") * 40
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.uint16)
    directory.mkdir(parents=True, exist_ok=True)
    n = int(0.9 * len(ids))
    ids[:n].tofile(directory / "train.bin")
    ids[n:].tofile(directory / "val.bin")
    with open(directory / "meta.pkl", "wb") as f:
        pickle.dump({"vocab_size": len(chars), "itos": dict(enumerate(chars)), "stoi": stoi}, f)
    return directory


def test_nanogpt_style_training_then_sampling(tmp_path):
    _needs("bfloat16", "topk", "finfo")
    data = _char_data(tmp_path / "data")
    out = tmp_path / "out"
    result = _run(SCRIPTS / "train_char_gpt.py", f"--data_dir={data}", f"--out_dir={out}",
                  "--max_iters=30", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    losses = [float(v) for v in re.findall(r"train loss (\d+\.\d+)", result.stdout)]
    assert len(losses) == 4 and losses[-1] < losses[0] - 0.5, result.stdout
    checkpoint = tinytorch.load(out / "ckpt.pt")
    assert set(checkpoint) == {"model", "optimizer", "model_args", "iter_num",
                               "best_val_loss", "config"}
    assert checkpoint["config"]["max_iters"] == 30
    assert isinstance(checkpoint["iter_num"], int)
    sample = _run(SCRIPTS / "sample_char_gpt.py", out, cwd=tmp_path)
    assert sample.returncode == 0, sample.stderr
    assert len(sample.stdout.split("SAMPLE:")[1]) >= 40


def test_every_infrastructure_name_behaves_as_on_a_cpu_machine(tmp_path):
    _needs("finfo", "iinfo")
    result = _run(SCRIPTS / "infrastructure.py", "--flag", "value", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INFRASTRUCTURE OK" in result.stdout


def test_a_missing_name_fails_clearly_and_optional_imports_fall_back(tmp_path):
    result = _run(SCRIPTS / "missing_name.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "no torch.fft: falling back" in result.stdout
    assert "has hub: False" in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert "tinytorch.run: the script uses torch.fft, which tinytorch does not provide" in last
    assert last.startswith("tinytorch.run.MissingAttributeError")


def test_module_form_sets_argv_and_main(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "tool.py").write_text(
        "import sys, torch\n"
        "print(__name__, sys.argv[1:], torch.__name__, torch.nn.Linear.__module__)\n")
    result = _run("-m", "pkg.tool", "a", "--b", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["__main__", "['a',", "'--b']", "tinytorch",
                                     "tinytorch.nn.linear"]


def test_script_directory_is_on_the_path_and_exit_codes_pass_through(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 7\n")
    (tmp_path / "main.py").write_text("import sys\nfrom helper import VALUE\n"
                                      "sys.exit(VALUE)\n")
    assert _run(tmp_path / "main.py", cwd=REPO_ROOT).returncode == 7
    missing = _run(tmp_path / "nope.py")
    assert missing.returncode == 2 and "can't open file" in missing.stderr
    assert _run().returncode == 2 and _run("--help").returncode == 0


def test_install_binds_torch_and_restores_an_imported_pytorch():
    real = sys.modules.get("torch")
    with tt_run.install():
        import torch
        import torch.nn.functional as F
        from torch.nn import Linear

        assert torch is tinytorch and F is tinytorch.nn.functional
        assert Linear is tinytorch.nn.Linear
        assert torch.__spec__.name == "tinytorch"  # tinytorch's own spec is kept
        with pytest.raises(ModuleNotFoundError, match="torch.hub, which tinytorch does not"):
            import torch.hub  # noqa: F401
        import torch.onnx  # a tool imported at the top, used behind a flag: imports
        with pytest.raises(AttributeError, match="torch.onnx.export, which tinytorch does "
                                                 "not provide \\(no ONNX export\\)"):
            torch.onnx.export  # noqa: B018
        with pytest.raises(AttributeError, match="torch.nn.functional.nonexistent_op"):
            F.nonexistent_op  # noqa: B018
        assert not hasattr(torch.nn, "nonexistent_layer")
    assert sys.modules.get("torch") is real
    assert tinytorch.__spec__.name == "tinytorch"
    with pytest.raises(AttributeError, match="module 'tinytorch' has no attribute 'hub'"):
        tinytorch.hub  # noqa: B018
    assert not hasattr(tinytorch, "onnx")  # the stand-in is gone with the aliases
    assert "__getattr__" not in vars(tinytorch.nn.functional)


def test_absent_names_are_absent_and_a_missing_function_blames_only_itself():
    """Every module the ABSENT table explains is one tinytorch lacks (a stale row would
    tell a student that torch.linalg is missing when only one function of it is)."""
    assert [name for name in tt_run.ABSENT if hasattr(tinytorch, name)] == []
    with tt_run.install():
        import torch

        with pytest.raises(AttributeError) as err:
            torch.linalg.nonexistent_function  # noqa: B018
    message = str(err.value)
    assert "torch.linalg.nonexistent_function, which tinytorch does not provide;" in message


def test_install_never_falls_through_to_an_installed_pytorch():
    torch_real = pytest.importorskip("torch")
    with tt_run.install():
        with pytest.raises(ModuleNotFoundError, match="tinytorch does not provide"):
            import torch.fft  # noqa: F401  (PyTorch has it; tinytorch does not)
    assert sys.modules["torch"] is torch_real


def test_test_run_without_torch_ends_with_one_line_on_the_skipped_comparisons(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _NoTorch())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO_ROOT)]))
    test = "tests/test_run.py::test_install_never_falls_through_to_an_installed_pytorch"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             test], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout
    assert ("1 comparisons with PyTorch were skipped because torch is not installed; "
            "to run them: pip install torch") in result.stdout


def test_under_run_reprs_name_torch_as_the_script_does(tmp_path):
    """A script's print(x.shape) or print(x.dtype) reads as under PyTorch; outside the run,
    reprs name tinytorch again."""
    script = tmp_path / "shapes.py"
    script.write_text("import torch\nx = torch.zeros(2, 3, dtype=torch.float64)\n"
                      "print(x.shape, x.dtype, x.type(), repr(x.float().dtype))\n")
    result = _run(script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch.Size([2,", "3])", "torch.float64",
                                     "torch.DoubleTensor", "torch.float32"]
    with tt_run.install():
        assert repr(tinytorch.Size([2])) == "torch.Size([2])"
    assert repr(tinytorch.Size([2])) == "tinytorch.Size([2])"
    assert repr(tinytorch.float32) == "tinytorch.float32"
