"""The example scripts, run as a user runs them: a subprocess, tiny models, no network.

Covered: a default run (built-in corpus) exits 0 and writes its checkpoint, loss curve and
sample; sample.py reads that checkpoint; resuming is exact to the bit; every bad input is a
one-line error with a non-zero exit and leaves no checkpoint behind; the seq2seq example
runs end to end and writes its plots.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TINY = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "8",
        "--batch-size", "4", "--eval-iters", "2", "--no-progress"]


def run(script: str, *args: str, cwd: Path | None = None,
        pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:  # a sitecustomize.py there changes the child's environment
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath),
                                                          env.get("PYTHONPATH")]))
    # tiny matrices gain nothing from BLAS threads, and on a busy machine threads that spin
    # waiting for a core make them 100x slower
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg")
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd or ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def load(path: Path) -> dict:
    import tinytorch

    return tinytorch.load(path)


# ----------------------------------------------------------------------------- train_gpt.py


def test_default_run_trains_on_the_builtin_corpus_and_writes_everything(tmp_path, device):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY, "--max-iters", "6", "--eval-interval", "3",
            "--sample-tokens", "40", "--prompt", "The ", "--device", device,
            "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    assert "built-in corpus" in r.stdout
    assert "iter 3: train loss" in r.stdout and "iter 6: train loss" in r.stdout
    for name in ("ckpt.safetensors", "loss.png", "sample.txt", "metrics.json"):
        assert (out / name).is_file(), name
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sample = (out / "sample.txt").read_text(encoding="utf-8")
    assert sample.startswith("The ") and len(sample) == 4 + 40
    assert sample in r.stdout
    ckpt = load(out / "ckpt.safetensors")
    assert ckpt["iter_num"] == 6
    assert ckpt["config"]["block_size"] == 8
    assert len(ckpt["history"]["step_loss"]) == 6
    assert [e["iter"] for e in ckpt["history"]["evals"]] == [3, 6]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files

    s = run("sample.py", "--out-dir", str(out), "--prompt", "def ", "--max-new-tokens", "25",
            "--num-samples", "2", "--top-p", "0.9", "--device", device)
    assert s.returncode == 0, s.stderr
    samples = s.stdout.split("-" * 40 + "\n")
    assert len(samples) == 2
    assert all(t.startswith("def ") and len(t.rstrip("\n")) >= 4 + 20 for t in samples)


def test_help_documents_every_flag():
    r = run("train_gpt.py", "--help")
    assert r.returncode == 0
    for flag in ("--data", "--n-layer", "--n-head", "--n-embd", "--block-size", "--dropout",
                 "--batch-size", "--max-iters", "--lr", "--min-lr", "--warmup-iters",
                 "--weight-decay", "--grad-clip", "--eval-interval", "--eval-iters",
                 "--device", "--dtype", "--seed", "--out-dir", "--resume", "--temperature",
                 "--top-k", "--top-p", "--prompt", "--sample-tokens"):
        assert flag in r.stdout, flag
    assert "(default: 0.001)" in r.stdout  # defaults are shown
    r = run("sample.py", "--help")
    assert r.returncode == 0
    for flag in ("--out-dir", "--prompt", "--max-new-tokens", "--temperature", "--top-k",
                 "--top-p"):
        assert flag in r.stdout, flag


def test_resume_continues_exactly(tmp_path):
    """2N iterations in one run == N iterations, then --resume for N more: to the last bit."""
    text = tmp_path / "data.txt"
    text.write_text("".join(f"line {i}: the quick brown fox {i * i % 97}\n" for i in range(300)),
                    encoding="utf-8")
    # dropout on, so the random state of the dropout masks must be restored too
    common = [*TINY, "--data", str(text), "--dropout", "0.1", "--eval-interval", "4",
              "--warmup-iters", "2", "--sample-tokens", "0", "--dtype", "float64", "--no-bias"]
    whole, split = tmp_path / "whole", tmp_path / "split"
    r = run("train_gpt.py", *common, "--max-iters", "10", "--out-dir", str(whole))
    assert r.returncode == 0, r.stderr
    r = run("train_gpt.py", *common, "--max-iters", "5", "--lr-decay-iters", "10",
            "--out-dir", str(split))
    assert r.returncode == 0, r.stderr
    assert load(split / "ckpt.safetensors")["iter_num"] == 5
    r = run("train_gpt.py", "--resume", "--max-iters", "10", "--no-progress",
            "--out-dir", str(split))
    assert r.returncode == 0, r.stderr
    assert "resuming" in r.stdout and "at iteration 5" in r.stdout

    a, b = load(whole / "ckpt.safetensors"), load(split / "ckpt.safetensors")
    assert a["iter_num"] == b["iter_num"] == 10
    assert a["history"]["step_loss"] == b["history"]["step_loss"]  # every loss, bit for bit
    # the split run also evaluated where it stopped; every shared evaluation is identical
    assert a["history"]["evals"] == [e for e in b["history"]["evals"] if e["iter"] != 5]
    assert a["best_val_loss"] == b["best_val_loss"]
    assert a["model"].keys() == b["model"].keys()
    assert not any(name.endswith("bias") for name in a["model"])  # --no-bias kept on resume
    for name in a["model"]:
        assert np.array_equal(a["model"][name].numpy(), b["model"][name].numpy()), name
    ma = json.loads((whole / "metrics.json").read_text())
    mb = json.loads((split / "metrics.json").read_text())
    assert ma["last_batch_loss"] == mb["last_batch_loss"]
    assert mb["iterations_this_run"] == 5


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trained")
    r = run("train_gpt.py", *TINY, "--max-iters", "2", "--sample-tokens", "0",
            "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_missing_data_file(tmp_path):
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY, "--data", str(tmp_path / "nope.txt"), "--out-dir", str(out))
    assert_one_line_error(r, "nope.txt", "does not exist")
    assert not out.exists()


def test_empty_data_file(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY, "--data", str(tmp_path / "empty.txt"), "--out-dir", str(out))
    assert_one_line_error(r, "empty.txt", "is empty")
    assert not out.exists()


def test_corpus_shorter_than_one_block(tmp_path):
    (tmp_path / "short.txt").write_text("tiny text")  # 9 characters
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY, "--block-size", "32", "--data", str(tmp_path / "short.txt"),
            "--out-dir", str(out))
    assert_one_line_error(r, "9 characters", "shorter than one block", "--block-size 32")
    assert not out.exists()
    # long enough for one block, but its validation tenth is not
    (tmp_path / "short.txt").write_text("x" * 100)
    r = run("train_gpt.py", *TINY, "--block-size", "32", "--data", str(tmp_path / "short.txt"),
            "--out-dir", str(out))
    assert_one_line_error(r, "validation", "--block-size")
    assert not out.exists()


def test_block_size_larger_than_the_checkpoints(trained_dir):
    before = (trained_dir / "ckpt.safetensors").read_bytes()
    r = run("train_gpt.py", "--resume", "--block-size", "16", "--max-iters", "4",
            "--out-dir", str(trained_dir))
    assert_one_line_error(r, "--block-size 16", "larger than the checkpoint's block size 8")
    assert (trained_dir / "ckpt.safetensors").read_bytes() == before
    r = run("train_gpt.py", "--resume", "--n-embd", "32", "--max-iters", "4",
            "--out-dir", str(trained_dir))
    assert_one_line_error(r, "--n-embd 32", "checkpoint's 16")


def test_out_dir_not_writable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    r = run("train_gpt.py", *TINY, "--max-iters", "2", "--out-dir", str(blocker / "out"))
    assert_one_line_error(r, "not writable")
    if hasattr(os, "geteuid") and os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        r = run("train_gpt.py", *TINY, "--max-iters", "2", "--out-dir", str(locked))
        assert_one_line_error(r, "not writable")
        assert list(locked.iterdir()) == []


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing", "foreign"])
def test_corrupted_checkpoint_on_resume(trained_dir, tmp_path, damage):
    out = tmp_path / "out"
    out.mkdir()
    good = (trained_dir / "ckpt.safetensors").read_bytes()
    if damage == "truncated":
        (out / "ckpt.safetensors").write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        (out / "ckpt.safetensors").write_bytes(b"\x80\x04not a checkpoint at all" * 10)
    elif damage == "foreign":  # a valid safetensors file, but somebody else's
        import tinytorch

        tinytorch.save({"weight": tinytorch.ones(2, 2)}, out / "ckpt.safetensors")
    r = run("train_gpt.py", "--resume", "--max-iters", "4", "--out-dir", str(out))
    expected = {"missing": "no checkpoint", "foreign": "not a train_gpt.py checkpoint"}.get(
        damage, "cannot load checkpoint")
    assert_one_line_error(r, expected, "ckpt.safetensors")
    names = sorted(p.name for p in out.iterdir())
    assert names == ([] if damage == "missing" else ["ckpt.safetensors"])
    r = run("sample.py", "--out-dir", str(out))
    assert_one_line_error(r, expected)


def test_sample_rejects_characters_outside_the_vocabulary(trained_dir):
    r = run("sample.py", "--out-dir", str(trained_dir), "--prompt", "\u2603 snowman",
            "--max-new-tokens", "5")
    assert_one_line_error(r, "--prompt", "'\u2603' is not in the tokenizer's vocabulary")


# ----------------------------------------------------------------------------- train_seq2seq.py


def test_seq2seq_runs_end_to_end_and_plots(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "s2s"
    r = run("train_seq2seq.py", "--steps", "15", "--batch-size", "8", "--d-model", "16",
            "--n-head", "2", "--n-layer", "1", "--d-ff", "32", "--test-size", "8",
            "--beam-size", "2", "--no-progress", "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    assert "greedy" in r.stdout and "beam 2" in r.stdout
    for name in ("loss.png", "attention.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_seq2seq_rejects_bad_lengths(tmp_path):
    r = run("train_seq2seq.py", "--min-len", "5", "--max-len", "3", "--out-dir", str(tmp_path))
    assert_one_line_error(r, "--min-len", "--max-len")


def test_seq2seq_batches_and_accuracy_mean_what_they_say():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import train_seq2seq as s2s
    finally:
        sys.path.remove(str(EXAMPLES))
    import tinytorch

    args = s2s.build_parser().parse_args(["--min-len", "2", "--max-len", "5"])
    src, tgt_in, tgt_out = s2s.make_batch(args, 50, np.random.default_rng(0))
    for s, ti, to in zip(src.numpy(), tgt_in.numpy(), tgt_out.numpy()):
        n = int((s != s2s.PAD).sum())
        assert 2 <= n <= 5 and (s[n:] == s2s.PAD).all()
        assert ti[0] == s2s.BOS and list(ti[1:n + 1]) == list(s[:n][::-1])
        assert list(to[:n]) == list(s[:n][::-1]) and to[n] == s2s.EOS
        assert list(ti[1:n + 1]) == list(to[:n])  # teacher forcing: inputs lag targets by one
    target = tinytorch.tensor([[5, 4, 2, 0], [3, 2, 0, 0]])
    decoded = tinytorch.tensor([[1, 5, 4, 2, 0], [1, 3, 3, 2, 0]])
    assert s2s.sequence_accuracy(decoded, target) == 0.5
    # tokens after eos do not matter; a missing eos does
    decoded = tinytorch.tensor([[1, 5, 4, 2, 7], [1, 3, 7, 0, 0]])
    assert s2s.sequence_accuracy(decoded, target) == 0.5


# ----------------------------------------------------------------------------- work is never lost


BAD_FLAGS = [
    (["--lr", "-1"], "--lr must be a finite number greater than 0.0"),
    (["--lr", "nan"], "--lr must be a finite number"),
    (["--lr", "inf"], "--lr must be a finite number"),
    (["--min-lr", "-0.1"], "--min-lr must be"),
    (["--beta1", "1.5"], "--beta1 must be a finite number in [0.0, 1.0)"),
    (["--beta2", "-0.5"], "--beta2 must be"),
    (["--weight-decay", "-1"], "--weight-decay must be"),
    (["--grad-clip", "nan"], "--grad-clip must be"),
    (["--seed", "-1"], "--seed must be at least 0"),
    (["--temperature", "nan"], "--temperature must be"),
    (["--temperature", "0"], "--temperature must be"),
    (["--dropout", "nan"], "--dropout must be"),
    (["--top-p", "nan"], "--top-p must be"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--out-dir", ""], "--out-dir is empty"),
    (["--resume", "--force"], "contradict"),
]


@pytest.mark.parametrize("flags,message", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_bad_flags_are_one_line_errors_before_anything_is_written(tmp_path, flags, message):
    out = tmp_path / "out"
    extra = [] if "--out-dir" in flags else ["--out-dir", str(out)]
    r = run("train_gpt.py", *TINY, "--max-iters", "2", *extra, *flags, cwd=tmp_path)
    assert_one_line_error(r, message)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flags,message", [
    (["--temperature", "nan"], "--temperature must be"), (["--seed", "-1"], "--seed"),
    (["--out-dir", ""], "--out-dir is empty"), (["--top-p", "inf"], "--top-p must be")])
def test_sample_flags_are_one_line_errors(trained_dir, flags, message):
    extra = [] if "--out-dir" in flags else ["--out-dir", str(trained_dir)]
    assert_one_line_error(run("sample.py", *extra, *flags), message)


def test_an_existing_checkpoint_is_never_overwritten_without_resume_or_force(trained_dir,
                                                                             tmp_path):
    before = (trained_dir / "ckpt.safetensors").read_bytes()
    r = run("train_gpt.py", *TINY, "--max-iters", "2", "--out-dir", str(trained_dir))
    assert_one_line_error(r, "already holds a checkpoint", "--resume", "--force")
    assert (trained_dir / "ckpt.safetensors").read_bytes() == before
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "ckpt.safetensors").write_bytes(before)
    r = run("train_gpt.py", *TINY, "--max-iters", "3", "--sample-tokens", "0", "--force",
            "--out-dir", str(copy))
    assert r.returncode == 0, r.stderr
    assert load(copy / "ckpt.safetensors")["iter_num"] == 3


def test_stale_temporary_files_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = [out / ".ckpt.safetensors.0123456789ab.tmp", out / ".loss.png.k3j2h1.png"]
    for path in stale:
        path.write_bytes(b"half a checkpoint")
    r = run("train_gpt.py", *TINY, "--max-iters", "2", "--sample-tokens", "0",
            "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    assert "removed 2 temporary file(s)" in r.stdout
    assert not any(p.exists() for p in stale)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("signal_name,status", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_saves_a_checkpoint_and_prints_the_resume_command(tmp_path, signal_name,
                                                                    status):
    import signal

    out = tmp_path / "out"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(EXAMPLES / "train_gpt.py"), *TINY,
                             "--max-iters", "100000", "--eval-interval", "3",
                             "--sample-tokens", "0", "--out-dir", str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        for line in proc.stdout:  # the first evaluation: training is under way
            if line.startswith("iter 3:"):
                break
        proc.send_signal(getattr(signal, signal_name))
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == status, stderr
    assert "Traceback" not in stderr
    assert f"{signal_name}: stopped after iteration" in stderr
    assert f"--resume --out-dir {out}" in stderr
    ckpt = load(out / "ckpt.safetensors")
    assert ckpt["iter_num"] >= 3 and len(ckpt["history"]["step_loss"]) == ckpt["iter_num"]
    r = run("train_gpt.py", "--resume", "--max-iters", str(ckpt["iter_num"] + 2),
            "--no-progress", "--out-dir", str(out))
    assert r.returncode == 0, r.stderr


def test_a_diverging_run_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY, "--max-iters", "4", "--eval-interval", "2",
            "--sample-tokens", "0", "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    # a learning rate far too high, from a good checkpoint: NaN within a few iterations
    r = run("train_gpt.py", "--resume", "--max-iters", "60", "--eval-interval", "2",
            "--warmup-iters", "0", "--lr", "1e6", "--no-progress", "--out-dir", str(out))
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert "training diverged" in last and "last good checkpoint" in last, r.stderr
    ckpt = load(out / "ckpt.safetensors")
    assert f"(iteration {ckpt['iter_num']})" in last
    assert all(np.isfinite(t.numpy()).all() for t in ckpt["model"].values())


def test_data_without_newlines_samples_from_its_first_character(tmp_path):
    data = tmp_path / "one_line.txt"
    data.write_text("abcdefgh " * 200, encoding="utf-8")
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY, "--max-iters", "2", "--data", str(data),
            "--sample-tokens", "10", "--out-dir", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "sample.txt").read_text(encoding="utf-8")[0] == " "  # sorted vocabulary
    r = run("train_gpt.py", *TINY, "--max-iters", "2", "--data", str(data), "--prompt", "xyz",
            "--out-dir", str(tmp_path / "out2"))
    assert_one_line_error(r, "--prompt")
    assert not (tmp_path / "out2").exists()


def _sitecustomize(directory: Path, code: str) -> Path:
    directory.mkdir()
    (directory / "sitecustomize.py").write_text(code, encoding="utf-8")
    return directory


def test_a_full_disk_is_one_line_and_the_previous_checkpoint_survives(trained_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    before = (trained_dir / "ckpt.safetensors").read_bytes()
    (out / "ckpt.safetensors").write_bytes(before)
    full_disk = _sitecustomize(tmp_path / "full", (
        "import errno, tinytorch.serialization as s\n"
        "def _full(path, data):\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device', path)\n"
        "s._atomic_write = _full\n"))
    r = run("train_gpt.py", "--resume", "--max-iters", "4", "--eval-interval", "1",
            "--no-progress", "--out-dir", str(out), pythonpath=full_disk)
    assert_one_line_error(r, "cannot write checkpoint", "No space left on device",
                          "disk is full")
    assert (out / "ckpt.safetensors").read_bytes() == before


def test_the_examples_run_without_the_optional_extras(tmp_path):
    core_only = _sitecustomize(tmp_path / "core", (
        "import sys\n"
        "class _Absent:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tqdm', 'matplotlib', 'safetensors'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Absent())\n"))
    out = tmp_path / "out"
    r = run("train_gpt.py", *TINY[:-1], "--max-iters", "4", "--eval-interval", "2",
            "--sample-tokens", "10", "--out-dir", str(out), pythonpath=core_only)
    assert r.returncode == 0, r.stderr
    assert "plots skipped: matplotlib is not installed" in r.stdout
    assert "it 2/4" in r.stderr  # plain progress lines instead of a bar
    assert (out / "sample.txt").is_file() and (out / "ckpt.safetensors").is_file()
    assert not (out / "loss.png").exists()
    s = run("sample.py", "--out-dir", str(out), "--max-new-tokens", "5", pythonpath=core_only)
    assert s.returncode == 0, s.stderr
    r = run("train_seq2seq.py", "--steps", "2", "--test-size", "2", "--no-progress",
            "--out-dir", str(tmp_path / "s2s"), pythonpath=core_only)
    assert r.returncode == 0, r.stderr
