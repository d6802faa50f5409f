"""Checkpoints: safetensors round trips, PyTorch interchange, atomic writes, hostile files."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinytorch
from tinytorch import nn
from tinytorch.serialization import CheckpointError

REPO_ROOT = Path(__file__).resolve().parents[1]


def _assert_same_tensor(a, b):
    assert isinstance(b, tinytorch.Tensor)
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    assert a.device == b.device
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())


@pytest.mark.parametrize("dtype", [tinytorch.float32, tinytorch.float64, tinytorch.int64,
                                   tinytorch.bool, tinytorch.int32, tinytorch.uint8,
                                   tinytorch.float16])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)])
def test_round_trip_keeps_dtype_shape_and_values(tmp_path, dtype, shape, device):
    rng = np.random.default_rng(0)
    values = rng.standard_normal(shape) * 50
    t = tinytorch.tensor(values).to(dtype).to(device)
    path = tmp_path / "t.safetensors"
    tinytorch.save({"t": t}, path)
    _assert_same_tensor(t, tinytorch.load(path)["t"])


def test_nested_structure_and_metadata_round_trip(tmp_path):
    w = tinytorch.randn(3, 4)
    obj = {
        "model": {"fc.weight": w, "fc.bias": tinytorch.zeros(4, dtype=tinytorch.float64)},
        "optimizer": {"state": {0: {"step": tinytorch.tensor(3.0), "buf": None}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}]},
        "config": {"n_layer": 4, "dropout": 0.0, "name": "gpt-ü", "bias": False,
                   "sizes": [1, 2, [3, 4.5]], "nothing": None, "big": 2**62,
                   "inf": float("inf")},
        "history": [tinytorch.tensor([1, 2, 3]), {"mask": tinytorch.tensor([True, False])}],
        "pair": (tinytorch.ones(2), "x"),
        "dtype": tinytorch.float64,
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        7: "int key",
    }
    path = tmp_path / "ckpt.safetensors"
    tinytorch.save(obj, path)
    got = tinytorch.load(path)
    assert list(got) == list(obj)
    assert got["config"] == obj["config"]
    assert got[7] == "int key"
    assert got["dtype"] is tinytorch.float64
    _assert_same_tensor(w, got["model"]["fc.weight"])
    _assert_same_tensor(obj["model"]["fc.bias"], got["model"]["fc.bias"])
    state = got["optimizer"]["state"]
    assert list(state) == [0] and state[0]["buf"] is None
    _assert_same_tensor(obj["optimizer"]["state"][0]["step"], state[0]["step"])
    assert got["optimizer"]["param_groups"] == obj["optimizer"]["param_groups"]
    assert isinstance(got["optimizer"]["param_groups"][0]["betas"], tuple)
    _assert_same_tensor(obj["history"][1]["mask"], got["history"][1]["mask"])
    assert isinstance(got["pair"], tuple) and got["pair"][1] == "x"
    assert isinstance(got["array"], np.ndarray) and got["array"].dtype == np.int32
    np.testing.assert_array_equal(got["array"], obj["array"])
    # nested tensors are named by their path
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    names = set(safetensors_numpy.load(path.read_bytes()))
    assert {"model.fc.weight", "optimizer.state.0.step", "history.1.mask"} <= names


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    path = tmp_path / "w.safetensors"
    tinytorch.save({"w": tinytorch.ones(3)}, path)
    a, b = tinytorch.load(path)["w"], tinytorch.load(path)["w"]
    a.data += 1  # an optimizer updates loaded tensors in place
    np.testing.assert_array_equal(b.numpy(), np.ones(3))


def test_requires_grad_is_kept():
    buf = io.BytesIO()
    tinytorch.save([tinytorch.ones(2, requires_grad=True), tinytorch.ones(2)], buf)
    a, b = tinytorch.load(io.BytesIO(buf.getvalue()))
    assert a.requires_grad and not b.requires_grad


def test_flat_state_dict_is_stored_under_its_own_keys(tmp_path):
    sd = {"embed.weight": tinytorch.randn(5, 3), "blocks.0.ln.bias": tinytorch.zeros(3)}
    path = tmp_path / "sd.safetensors"
    tinytorch.save(sd, path)
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    raw = safetensors_numpy.load(path.read_bytes())
    assert set(raw) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(raw[k], sd[k].numpy())


def test_unsupported_values_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['cfg'\]\['fn'\] of type function.*cannot "
                                        r"be pickled"):
        tinytorch.save({"cfg": {"fn": lambda: 1}}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_whole_objects_are_pickled_and_load_only_with_weights_only_false(tmp_path):
    """torch.save(model, f) / torch.load(f, weights_only=False), as PyTorch's tutorial does;
    the default (weights_only=True) refuses pickles, as PyTorch 2.6+ does."""
    tinytorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.LayerNorm(4))
    path = tmp_path / "model.pth"
    tinytorch.save(model, path)
    with pytest.raises(CheckpointError, match="weights_only=False"):
        tinytorch.load(path)
    back = tinytorch.load(path, weights_only=False, map_location="cpu")
    x = tinytorch.randn(2, 3)
    assert type(back) is nn.Sequential and tinytorch.equal(back(x), model(x))
    assert type(back[0].weight) is nn.Parameter and back[0].weight.requires_grad
    both = {(1, 2): 3, "model": model}  # tuple keys and modules: a pickle, as in PyTorch
    tinytorch.save(both, path)
    again = tinytorch.load(path, weights_only=False)
    assert again[(1, 2)] == 3 and tinytorch.equal(again["model"](x), model(x))
    # a plain state dict stays a safetensors file, loadable with the default
    tinytorch.save(model.state_dict(), path)
    assert set(tinytorch.load(path)) == set(model.state_dict())


def test_missing_file_and_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        tinytorch.load(tmp_path / "nope.safetensors")
    with pytest.raises(FileNotFoundError, match="no_such_dir"):
        tinytorch.save({"a": tinytorch.ones(1)}, tmp_path / "no_such_dir" / "x.safetensors")


def test_map_location(tmp_path):
    path = tmp_path / "m.safetensors"
    tinytorch.save({"a": tinytorch.ones(2)}, path)
    assert tinytorch.load(path, map_location="cpu")["a"].device.type == "cpu"
    assert tinytorch.load(path, map_location={"cuda": "cpu"})["a"].device.type == "cpu"
    with pytest.raises(TypeError, match="map_location"):
        tinytorch.load(path, map_location=lambda storage, loc: storage)
    if not tinytorch.cuda.is_available():
        with pytest.raises(RuntimeError, match="map_location='cpu'"):
            tinytorch.load(path, map_location="cuda")


# ------------------------------------------------------------------ atomic writes


def test_failed_write_leaves_the_old_file_and_no_temporaries(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    tinytorch.save({"v": tinytorch.tensor([1.0])}, path)
    old = path.read_bytes()

    def crash(fd):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        tinytorch.save({"v": tinytorch.randn(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_process_killed_mid_write_never_truncates_the_destination(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    tinytorch.save({"v": tinytorch.tensor([1.0, 2.0])}, path)
    old = path.read_bytes()
    # the child dies abruptly after writing the new bytes but before the rename
    child = (f"import os, sys; sys.path.insert(0, {str(REPO_ROOT)!r}); import tinytorch; "
             "os.fsync = lambda fd: os._exit(17); "
             f"tinytorch.save({{'v': tinytorch.randn(100000)}}, {str(path)!r})")
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=120)
    assert proc.returncode == 17, proc.stderr.decode()
    assert path.read_bytes() == old
    np.testing.assert_array_equal(tinytorch.load(path)["v"].numpy(), [1.0, 2.0])
    leftovers = [n for n in os.listdir(tmp_path) if n != "ckpt.safetensors"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.safetensors.")


# ------------------------------------------------------------------ hostile and broken files


def _good_bytes():
    buf = io.BytesIO()
    tinytorch.save({"w": tinytorch.arange(100, dtype=tinytorch.float32), "n": 3}, buf)
    return buf.getvalue()


def _corruptions():
    data = _good_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    flipped_data = bytearray(data)
    flipped_data[8 + n + 17] ^= 0x40
    flipped_header = bytearray(data)
    flipped_header[8 + 2] = ord("\x01")
    return {
        "empty": b"",
        "text": b"hello, I am not a checkpoint\n" * 3,
        "random": np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "truncated-length": data[:5],
        "truncated-header": data[:8 + n // 2],
        "truncated-data": data[:-7],
        "truncated-to-header": data[:8 + n],
        "flipped-data-byte": bytes(flipped_data),
        "flipped-header-byte": bytes(flipped_header),
        "huge-header-length": struct.pack("<Q", 2**60) + data[8:],
        "header-not-object": struct.pack("<Q", 2) + b"[]",
        "deep-nested-header": _with_header(b'{"__metadata__":' + b"[" * 5000 + b"]" * 5000
                                           + b"}"),
        "deep-nested-structure": _with_metadata({"tinytorch": '{"version":1,"tree":'
                                                 + '{"list":[' * 5000 + "]}" * 5000 + "}"}),
        "deep-but-parsable-structure": _with_metadata(
            {"tinytorch": '{"version":1,"tree":' + '{"list":[' * 300 + "]}" * 300 + "}"}),
        "offsets-overlap": _with_header(json.dumps(
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
             "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode(), 4),
        "offsets-past-end": _with_header(json.dumps(
            {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode(), 4),
        "trailing-bytes": _with_header(json.dumps(
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode(), 12),
        "pickle-named-random": b"\x80\x04" + bytes(64),
    }


def _with_header(header: bytes, data_bytes: int = 0) -> bytes:
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"\0" * data_bytes


def _with_metadata(metadata: dict) -> bytes:
    return _with_header(json.dumps({"__metadata__": metadata}).encode())


@pytest.mark.parametrize("kind", list(_corruptions()))
def test_broken_files_raise_a_clear_error_naming_the_path(tmp_path, kind):
    # any extension: .pt and .pkl files are read the same way (never unpickled)
    path = tmp_path / f"{kind}.{'pkl' if 'pickle' in kind else 'pt'}"
    path.write_bytes(_corruptions()[kind])
    with pytest.raises(CheckpointError, match=kind):
        tinytorch.load(path)


# ------------------------------------------------------------------ full training checkpoints


def _training_state():
    """A nanoGPT-style checkpoint: model, optimizer, scheduler, scaler, config, numbers."""
    tinytorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3))
    opt = tinytorch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95))
    sched = tinytorch.optim.lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(2):
        model(tinytorch.randn(5, 4)).pow(2).mean().backward()
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
    scaler = tinytorch.amp.GradScaler("cpu", init_scale=1024.0)
    return model, opt, sched, scaler


def _assert_same_tree(a, b, where="obj"):
    assert type(a) is type(b), f"{where}: {type(a).__name__} came back as {type(b).__name__}"
    if isinstance(a, tinytorch.Tensor):
        _assert_same_tensor(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same_tree(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


@pytest.mark.parametrize("target", ["ckpt.pt", "model.pth", "no_extension", "bytesio"])
def test_full_training_checkpoint_round_trips_exactly(tmp_path, target):
    model, opt, sched, scaler = _training_state()
    checkpoint = {
        "model": model.state_dict(), "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(), "scaler": scaler.state_dict(),
        "model_args": {"n_layer": 2, "bias": False, "dropout": 0.0, "name": None},
        "iter_num": 7, "best_val_loss": tinytorch.tensor(1.25), "lr": 1e-3,
        "config": {"betas": (0.9, 0.95), "sizes": [1, [2, (3, None)]], "nan": float("nan"),
                   "inf": float("-inf"), 3: "an int key", 2.5: "a float key", True: "bool"},
        "empty": {"list": [], "tuple": (), "dict": {}},
    }
    if target == "bytesio":
        f = io.BytesIO()
        tinytorch.save(checkpoint, f)
        f.seek(0)
        loaded = tinytorch.load(f, map_location="cpu", weights_only=True)
    else:
        tinytorch.save(checkpoint, tmp_path / target)
        loaded = tinytorch.load(str(tmp_path / target), map_location=tinytorch.device("cpu"),
                                weights_only=False)
    _assert_same_tree(checkpoint, loaded)
    # optimizer state keys stay ints, so the state loads back and the next step matches
    assert all(isinstance(k, int) for k in loaded["optimizer"]["state"])
    model2, opt2, sched2, scaler2 = _training_state()
    model2.load_state_dict(loaded["model"])
    opt2.load_state_dict(loaded["optimizer"])
    sched2.load_state_dict(loaded["scheduler"])
    scaler2.load_state_dict(loaded["scaler"])
    assert scaler2.get_scale() == 1024.0


def test_metadata_named_key_is_stored_safely(tmp_path):
    t = tinytorch.arange(3)
    obj = {"__metadata__": t, "nested": {"__metadata__": [t, "x"]}}
    tinytorch.save(obj, tmp_path / "m.pt")
    _assert_same_tree(obj, tinytorch.load(tmp_path / "m.pt"))


def test_saving_a_too_deep_or_cyclic_structure_is_a_clear_error(tmp_path):
    deep: list = []
    node = deep
    for _ in range(200):
        node.append([])
        node = node[0]
    with pytest.raises(ValueError, match="nested more than"):
        tinytorch.save({"deep": deep}, tmp_path / "d.pt")
    cyclic: dict = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match="cyclic"):
        tinytorch.save(cyclic, tmp_path / "c.pt")
    assert not any(tmp_path.iterdir())


def test_unsupported_dtype_names_the_tensor(tmp_path):
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}})
    header = header.encode() + b" " * (-len(header) % 8)
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    with pytest.raises(CheckpointError, match="'w'.*BF16"):
        tinytorch.load(path)


class _Payload:
    """Unpickling this would create the marker file: the classic pickle exploit, harmless."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path):
    # the payload is live: unpickling it does create a marker
    control = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(_Payload(control)))
    assert control.exists()

    marker = tmp_path / "pwned-marker"
    path = tmp_path / "model.pt"
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        path.write_bytes(pickle.dumps({"state_dict": _Payload(marker)}, protocol=protocol))
        with pytest.raises(CheckpointError, match="model.pt"):
            tinytorch.load(path)
        assert not marker.exists()


def test_torch_style_zip_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned-marker"
    path = tmp_path / "ckpt.pt"
    with zipfile.ZipFile(path, "w") as z:  # the layout torch.save writes
        z.writestr("archive/data.pkl", pickle.dumps(_Payload(marker)))
    with pytest.raises(CheckpointError, match="never unpickles"):
        tinytorch.load(path)
    assert not marker.exists()


# ------------------------------------------------------------------ PyTorch interchange


def _models(torch):
    tinytorch.manual_seed(0)
    ours = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.GELU(),
                                 torch.nn.LayerNorm(8), torch.nn.Linear(8, 3))
    return ours, theirs


def test_tinytorch_checkpoint_loads_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    ours, theirs = _models(torch)
    path = tmp_path / "ours.safetensors"
    tinytorch.save(ours.state_dict(), path)
    theirs.load_state_dict(safetensors_torch.load_file(str(path)), strict=True)
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    expected = ours(tinytorch.tensor(x)).detach().numpy()
    with torch.no_grad():
        got = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_pytorch_checkpoint_loads_into_tinytorch(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    ours, theirs = _models(torch)
    path = tmp_path / "theirs.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), str(path))
    state = tinytorch.load(path)
    assert set(state) == set(theirs.state_dict())
    ours.load_state_dict(state)
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    got = ours(tinytorch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_state_dict_with_extra_metadata_still_loads_in_pytorch(tmp_path):
    pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = tmp_path / "meta.safetensors"
    tinytorch.save({"w": tinytorch.ones(2, 2)}, path, metadata={"author": "course"})
    assert safetensors_torch.load_file(str(path))["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        assert f.metadata()["author"] == "course"


class TinyNet(nn.Module):
    """A program's own model class: weights-only loads need it allowlisted."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def test_safe_globals_let_a_weights_only_load_rebuild_a_whole_model(tmp_path):
    """PyTorch 2.6+'s way (its word_language_model example): torch.load(f) of a pickled
    model under ``torch.serialization.safe_globals([...])`` naming its classes."""
    from tinytorch import serialization

    tinytorch.manual_seed(0)
    model, path = TinyNet(), tmp_path / "model.pt"
    tinytorch.save(model, path)
    with pytest.raises(pickle.UnpicklingError, match="TinyNet is not allowed by default"):
        tinytorch.load(path)
    allowed = [TinyNet, nn.Sequential, nn.Linear, nn.ReLU]
    with serialization.safe_globals(allowed):
        back = tinytorch.load(path)
    assert serialization.get_safe_globals() == []
    x = tinytorch.randn(2, 3)
    assert tinytorch.equal(back(x), model(x))
    with serialization.safe_globals([TinyNet, nn.Sequential, nn.Linear]):  # ReLU missing
        with pytest.raises(CheckpointError, match="nn.activation.ReLU"):
            tinytorch.load(path)
    serialization.add_safe_globals(allowed)
    try:
        assert isinstance(tinytorch.load(path), TinyNet)
    finally:
        serialization.clear_safe_globals()


def test_layers_are_found_at_pytorchs_module_paths():
    import importlib

    import tinytorch.nn.modules.rnn  # noqa: F401  (import by path works)

    from tinytorch.nn.modules import LAYOUT

    assert tinytorch.nn.modules.linear.Linear is nn.Linear
    assert tinytorch.nn.modules.sparse.Embedding is nn.Embedding
    assert issubclass(tinytorch.nn.modules.linear.NonDynamicallyQuantizableLinear, nn.Linear)
    for file, names in LAYOUT.items():
        module = importlib.import_module(f"tinytorch.nn.modules.{file}")
        assert all(getattr(module, n) is getattr(nn, n) for n in names)
    pytest.importorskip("torch")
    for file, names in LAYOUT.items():  # each sits where PyTorch defines it
        theirs = importlib.import_module(f"torch.nn.modules.{file}")
        assert all(hasattr(theirs, n) for n in names), file
