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

safetensors_numpy = pytest.importorskip("safetensors.numpy")

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
    raw = safetensors_numpy.load(path.read_bytes())
    assert set(raw) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(raw[k], sd[k].numpy())


def test_unsupported_values_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['cfg'\]\['fn'\] of type function"):
        tinytorch.save({"cfg": {"fn": lambda: 1}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="dict keys"):
        tinytorch.save({(1, 2): 3}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


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
    }


@pytest.mark.parametrize("kind", list(_corruptions()))
def test_broken_files_raise_a_clear_error_naming_the_path(tmp_path, kind):
    path = tmp_path / f"{kind}.safetensors"
    path.write_bytes(_corruptions()[kind])
    with pytest.raises(CheckpointError, match=kind):
        tinytorch.load(path)


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
