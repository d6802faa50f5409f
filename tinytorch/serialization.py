"""Checkpoints: ``save(obj, path)`` and ``load(path)`` as safetensors files, never pickle.

A checkpoint is ONE safetensors file: every tensor of ``obj`` is a named tensor of the
file, and the structure around them (nested dicts, lists, tuples, numbers, strings, bools,
None) is JSON in the file's ``__metadata__``. Loading parses that JSON and the tensor
table; nothing in a file can run code, so a downloaded checkpoint is as safe as its bytes.

A flat ``{name: tensor}`` dict (a ``state_dict``) is stored under its own names, so
PyTorch reads it with ``safetensors.torch.load_file`` and ``model.load_state_dict``; a file
written by ``safetensors.torch.save_file(model.state_dict(), path)`` loads here as a flat
dict. Tensors inside nested containers are named by their path joined with dots
(``{'model': {'fc.weight': w}}`` stores ``model.fc.weight``).

Whole objects (``save(model, path)``, a dict holding a module or an optimizer): anything
the safe format cannot express is written as a pickle instead, as ``torch.save`` does, and
``load`` reads it back only when called with ``weights_only=False``: the default
(``weights_only=True`` since PyTorch 2.6) refuses it, because unpickling runs whatever code
the file names. Do it only for files you trust, as PyTorch's documentation says.

Differences from ``torch.save``/``torch.load``:

- tensors that share memory are saved (and loaded) as separate copies;
- PyTorch's own zip/pickle checkpoints cannot be read (they need PyTorch's classes):
  convert them with ``safetensors.torch.save_file(state_dict, path)``.

Writes are atomic: the bytes go to a temporary file in the destination's directory, are
flushed to disk (fsync), and only then renamed over the destination, so a crash mid-write
leaves the old file (or none), never a truncated one. Each tensor's CRC-32 is stored, so
flipped bytes in a tinytorch checkpoint are detected on load.

The safetensors format (an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw bytes) is written and read here with
NumPy alone: checkpoints work on the core install, with no compiled dependency, and every
byte range of a file is validated before it is viewed. Files stay byte-compatible with
the ``safetensors`` package (and so with PyTorch and the Hugging Face tools).
"""

from __future__ import annotations

import json
import os
import pickle
import secrets
import struct
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]

_FORMAT_KEY = "tinytorch"
_FORMAT_VERSION = 1
# safetensors dtype codes that map onto tinytorch dtypes
_SAFETENSORS_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64,
                       "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_}
_NP_TO_SAFETENSORS = {np.dtype(v): k for k, v in _SAFETENSORS_DTYPES.items()}
_MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit
# a checkpoint's structure is a few levels deep; a crafted file nesting thousands of levels
# must fail as a CheckpointError, not exhaust Python's stack
MAX_NESTING = 64


class CheckpointError(RuntimeError):
    """A file that ``tinytorch.load`` cannot read: not safetensors, truncated or corrupted."""


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """A weights-only load met a global it may not rebuild (PyTorch raises UnpicklingError)."""


# ----------------------------------------------------------------------------- save


def save(obj: Any, f, *, metadata: dict[str, str] | None = None) -> None:
    """Write ``obj`` (tensors in nested dicts/lists plus plain values) to ``f`` atomically.

    ``f`` is a path (str or ``os.PathLike``), or a binary file object (then the write is
    only as atomic as that object). ``metadata`` adds free-form string entries to the
    safetensors header (e.g. ``{'format': 'pt'}`` is written by default).
    """
    arrays: dict[str, np.ndarray] = {}
    try:
        tree = _encode(obj, [], arrays, "obj")
    except _NotPlain as why:  # a module, an optimizer, a user's class: pickled, as torch.save
        try:
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            raise TypeError(f"{why}, and the whole object cannot be pickled either "
                            f"({e})") from None
        _write(f, data)
        return
    checksums = {name: _crc32(arr) for name, arr in arrays.items()}
    header = {"format": "pt"}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"save: metadata must map str to str, got {k!r}: {v!r}")
        header.update(metadata)
    header[_FORMAT_KEY] = json.dumps({"version": _FORMAT_VERSION, "tree": tree,
                                      "crc32": checksums}, separators=(",", ":"))
    _write(f, _safetensors_bytes(arrays, header))


def _write(f, data: bytes) -> None:
    if hasattr(f, "write") and not isinstance(f, (str, os.PathLike)):
        f.write(data)
        return
    _atomic_write(os.fspath(f), data)


class _NotPlain(TypeError):
    """An object the safe format cannot hold: ``save`` pickles the whole object instead."""


def _encode(obj, path: list[str], arrays: dict, where: str):
    """The JSON tree of ``obj``; its tensors are added to ``arrays`` under unique names."""
    if len(path) > MAX_NESTING:
        raise ValueError(f"save: {where} is nested more than {MAX_NESTING} levels deep "
                         f"(a checkpoint's containers must be shallower; is it cyclic?)")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, (np.bool_, np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, Tensor):
        node = {"tensor": _add_array(arrays, path, backend.to_numpy(obj._data))}
        if obj.device.type != "cpu":
            node["device"] = obj.device.type
        if obj.requires_grad:
            node["requires_grad"] = True
        return node
    if backend.is_array(obj):
        node = {"ndarray": _add_array(arrays, path, backend.to_numpy(obj))}
        if backend.get_array_module(obj) is not np:
            node["device"] = "cuda"
        return node
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (bool, int, float, str))):
                raise _NotPlain(f"save: dict keys must be str, int, float, bool or None; "
                                f"{where} has a key of type {type(k).__name__}: {k!r}")
            items.append([k, _encode(v, path + [str(k)], arrays, f"{where}[{k!r}]")])
        # state_dict() is an OrderedDict: it comes back as one (other dicts as plain dicts)
        return {"odict" if isinstance(obj, OrderedDict) else "dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, path + [str(i)], arrays, f"{where}[{i}]")
                       for i, v in enumerate(obj)]}
    if isinstance(obj, backend.dtype):
        return {"dtype": obj.name}
    if isinstance(obj, backend.device):
        return {"device_spec": str(obj)}
    raise _NotPlain(f"save: {where} of type {type(obj).__name__} is not a tensor, array, "
                    f"container or plain value")


def _add_array(arrays: dict, path: list[str], arr: np.ndarray) -> str:
    name = ".".join(path) or "tensor"
    # a clash ({'a.b': x, 'a': {'b': y}}) keeps both under new names, the tree knows which;
    # "__metadata__" is the header's own entry in safetensors, never a tensor's name
    if name in arrays or name == "__metadata__":
        n = 1
        while f"{name}#{n}" in arrays:
            n += 1
        name = f"{name}#{n}"
    # (np.ascontiguousarray would turn a 0-d array into shape (1,))
    arrays[name] = arr if arr.flags.c_contiguous else np.array(arr, order="C")
    return name


def _safetensors_bytes(arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The safetensors file of ``arrays``: length, JSON header (space-padded to 8 bytes),
    then each array's little-endian bytes in order."""
    header: dict[str, Any] = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name, arr in arrays.items():
        code = _NP_TO_SAFETENSORS.get(arr.dtype)
        if code is None:
            raise TypeError(f"save: tensor {name!r} has dtype {arr.dtype}, which checkpoints "
                            f"do not store")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()  # C order
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _crc32(arr: np.ndarray) -> int:
    return zlib.crc32(np.asarray(arr, order="C").reshape(-1).view(np.uint8))


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old or the new file."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory of {path!r} does not exist")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, like an ordinary open()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    # makes the rename itself durable; not every platform can open a directory
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- load


def load(f, map_location=None, *, weights_only: bool | None = None, **kwargs) -> Any:
    """Read a checkpoint written by ``save`` (or any safetensors file) back.

    Files from ``save`` come back with their structure; other safetensors files (e.g. from
    ``safetensors.torch.save_file``) come back as a flat ``{name: Tensor}`` dict.
    ``map_location``: None (each tensor to the device it was saved from), a device
    (``'cpu'``, ``'cuda'``, ``tinytorch.device``) or a dict such as ``{'cuda': 'cpu'}``.
    Raises ``FileNotFoundError`` for a missing path and ``CheckpointError`` (a
    ``RuntimeError``) naming the file for anything that is not an intact safetensors file.
    Safetensors files are parsed, never unpickled. A pickle written by ``save`` (of a whole
    module, say) is read only with ``weights_only=False``, which runs the code the file
    names: only for files you trust.
    """
    if kwargs:
        raise TypeError(f"load: unexpected keyword arguments {sorted(kwargs)} (tinytorch "
                        f"checkpoints are safetensors files; pickle options do not apply)")
    if not (map_location is None or isinstance(map_location, (str, dict, backend.device))):
        raise TypeError(f"load: map_location must be None, a device or a dict such as "
                        f"{{'cuda': 'cpu'}}, got {type(map_location).__name__} (functions of "
                        f"storages, as torch.load accepts, are not supported)")
    if hasattr(f, "read") and not isinstance(f, (str, os.PathLike)):
        data = f.read()
        label = getattr(f, "name", repr(f))
    else:
        label = os.fspath(f)
        if not os.path.exists(label):
            raise FileNotFoundError(2, "No such file or directory", label)
        with open(label, "rb") as fh:
            data = fh.read()
    if data[:1] == b"\x80" and not _is_safetensors(data):  # a pickle: whole, or safe globals
        return _unpickle(data, map_location, label, weights_only is not False)
    header = _read_header(data, label)
    raw = _arrays_of(header, data, label)
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise CheckpointError(f"load: {label!r} has a corrupted safetensors header "
                              f"(__metadata__ is not an object)")
    spec = meta.get(_FORMAT_KEY)
    if spec is None:
        order = [k for k in header if k != "__metadata__"]
        return {name: _to_tensor(raw[name], None, map_location, label) for name in order}
    try:
        spec = json.loads(spec)
        tree, checksums = spec["tree"], spec.get("crc32", {})
        if not isinstance(checksums, dict):
            raise TypeError("crc32 is not an object")
    except RecursionError:
        raise CheckpointError(f"load: {label!r} has a structure record nested too deeply "
                              f"to be a checkpoint") from None
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"load: {label!r} has a corrupted tinytorch structure record "
                              f"({e})") from None
    for name, crc in checksums.items():
        if name not in raw:
            raise CheckpointError(f"load: {label!r} is missing tensor {name!r} that its "
                                  f"structure refers to")
        if _crc32(raw[name]) != crc:
            raise CheckpointError(f"load: {label!r} is corrupted: the bytes of tensor "
                                  f"{name!r} do not match their checksum")
    return _decode(tree, raw, map_location, label, 0)


# ----------------------------------------------------------------------------- safe globals
# What a weights-only load may rebuild from a pickle, as PyTorch 2.6+: tinytorch's tensors and
# a few plain containers always; any other class or function (a model's own class, the
# layers inside it) only once the program allowlists it with ``add_safe_globals([...])`` or
# ``with safe_globals([...]):``, the way PyTorch's word_language_model example loads its
# saved model.

_user_safe_globals: list = []


def _always_safe() -> list:
    from collections import OrderedDict as _OrderedDict

    from .nn.parameter import Parameter

    return [rebuild_tensor, Tensor, Parameter, _OrderedDict, set, frozenset, slice, complex,
            backend.dtype, backend.device]


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes and functions in weights-only loads (``torch.load`` default)."""
    _user_safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    """The classes and functions the program allowed with ``add_safe_globals``."""
    return list(_user_safe_globals)


def clear_safe_globals() -> None:
    _user_safe_globals.clear()


class safe_globals:
    """``with safe_globals([MyModel, nn.Linear]): torch.load(path)``: allowed in the block."""

    def __init__(self, safe_globals: list):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self.mark = len(_user_safe_globals)
        _user_safe_globals.extend(self.safe_globals)

    def __exit__(self, *exc_info):
        del _user_safe_globals[self.mark:]


def _global_name(obj) -> str:
    entry = obj[0] if isinstance(obj, tuple) else obj  # PyTorch also takes (obj, "name")
    return f"{entry.__module__}.{entry.__qualname__}"


class _WeightsOnlyUnpickler(pickle.Unpickler):
    """Rebuilds only allowed globals: looked up by name in the allowlist, never imported."""

    def __init__(self, file, label: str):
        super().__init__(file)
        self.label = label
        self.allowed = {_global_name(g): (g[0] if isinstance(g, tuple) else g)
                        for g in _always_safe() + _user_safe_globals}

    def find_class(self, module, name):
        found = self.allowed.get(f"{module}.{name}")
        if found is None:
            raise WeightsOnlyError(
                f"load: weights only load of {self.label!r} failed: unsupported global "
                f"{module}.{name} is not allowed by default. If you trust this file, allow it "
                f"with tinytorch.serialization.add_safe_globals([{name}]) or the "
                f"safe_globals([{name}]) context manager, or load with weights_only=False "
                f"(which can run arbitrary code)")
        return found

    def persistent_load(self, pid):
        raise WeightsOnlyError(f"load: {self.label!r} holds a persistent id; tinytorch "
                                     f"never writes one")


def _is_safetensors(data: bytes) -> bool:
    """A safetensors file: an 8-byte header length that fits, then a JSON object. (Its first
    byte, the length's low byte, can be 0x80, a pickle's first byte.)"""
    if len(data) < 9:
        return False
    (n,) = struct.unpack("<Q", data[:8])
    return 8 + n <= len(data) and data[8:9] == b"{"


def _unpickle(data: bytes, map_location, label: str, weights_only: bool):
    """A pickle that ``save`` wrote: every global allowed (``weights_only=False``) or only
    the safe ones; then ``map_location`` applied to each tensor."""
    import io

    try:
        if weights_only:
            obj = _WeightsOnlyUnpickler(io.BytesIO(data), label).load()
        else:
            obj = pickle.loads(data)
    except WeightsOnlyError:
        raise
    except Exception as e:
        raise CheckpointError(f"load: {label!r} could not be unpickled ({type(e).__name__}: "
                              f"{e})") from e
    if map_location is not None:
        _move_pickled_tensors(obj, map_location, label, set())
    return obj


def _move_pickled_tensors(obj, map_location, label, seen):
    """Apply ``map_location`` to the tensors of unpickled containers and modules, in place."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Tensor):
        target = _target_device(obj.device.type, map_location, label)
        obj._data = backend.move(obj._data, target)
        return
    children = (obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple))
                else vars(obj).values() if hasattr(obj, "__dict__") else ())
    for child in children:
        _move_pickled_tensors(child, map_location, label, seen)


def rebuild_tensor(cls, data: bytes, dtype: str, shape: tuple, device: str,
                   requires_grad: bool):
    """Unpickling a Tensor (``Tensor.__reduce_ex__``): its values on its device. The values
    travel as bytes, a NumPy dtype string and a shape, so a pickle of tensors names no NumPy
    function and the weights-only unpickler has nothing of NumPy's to allow."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise pickle.UnpicklingError(f"rebuild_tensor: {cls!r} is not a Tensor class")
    array = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
    t = cls.__new__(cls)
    Tensor.__init__(t, backend.move(array, backend.to_device(device)),
                    dtype=backend.dtype_of(array))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _arrays_of(header: dict, data: bytes, label: str) -> dict[str, np.ndarray]:
    """Views of each tensor's bytes, after checking that the byte ranges tile the buffer."""
    start = 8 + struct.unpack("<Q", data[:8])[0]
    size = len(data) - start
    spans, arrays = [], {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<")
        shape, offsets = info.get("shape"), info.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)
                and isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(n, int) for n in offsets)):
            raise CheckpointError(f"load: tensor {name!r} in {label!r} has a corrupted "
                                  f"entry (shape {shape!r}, data_offsets {offsets!r})")
        begin, end = offsets
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= begin <= end <= size or end - begin != count * dt.itemsize:
            raise CheckpointError(f"load: {label!r} is truncated or corrupted: tensor {name!r} "
                                  f"(shape {shape}, {info['dtype']}) claims bytes "
                                  f"{begin}..{end} of a {size}-byte data section")
        spans.append((begin, end))
        arrays[name] = np.frombuffer(data, dtype=dt, count=count,
                                     offset=start + begin).reshape(shape)
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            raise CheckpointError(f"load: {label!r} is corrupted: its tensors' byte ranges "
                                  f"overlap or leave gaps")
        position = end
    if position != size:
        raise CheckpointError(f"load: {label!r} is corrupted: {size - position} bytes after "
                              f"the last tensor")
    return arrays


def _read_header(data: bytes, label: str) -> dict:
    """Parse and sanity-check the safetensors header, with errors that name the file."""
    try:
        return _parse_header(data, label)
    except CheckpointError:
        if data[:2] == b"PK":
            raise CheckpointError(
                f"load: {label!r} is not a safetensors file; it looks like a zip checkpoint "
                f"(PyTorch's torch.save format). tinytorch.load never unpickles those: "
                f"convert it in PyTorch with safetensors.torch.save_file(state_dict, path)"
            ) from None
        raise


def _parse_header(data: bytes, label: str) -> dict:
    if len(data) < 8:
        raise CheckpointError(f"load: {label!r} is not a safetensors file (only {len(data)} "
                              f"bytes; truncated or empty)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER_BYTES or 8 + n > len(data):
        raise CheckpointError(f"load: {label!r} is not a safetensors file, or is truncated "
                              f"(its header claims {n} bytes, the file has {len(data) - 8} "
                              f"after the length)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except RecursionError:
        raise CheckpointError(f"load: {label!r} has a header nested too deeply to be a "
                              f"safetensors file") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"load: {label!r} is not a safetensors file or its header is "
                              f"corrupted ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {label!r} has a corrupted safetensors header (not a "
                              f"JSON object)")
    for name, info in header.items():
        if name == "__metadata__":
            continue
        code = info.get("dtype") if isinstance(info, dict) else None
        if code not in _SAFETENSORS_DTYPES:
            hint = " (convert with .float() before saving)" if code == "BF16" else ""
            raise CheckpointError(f"load: tensor {name!r} in {label!r} has dtype {code!r}, "
                                  f"which tinytorch does not support{hint}")
    return header


def _target_device(saved: str, map_location, label: str):
    if map_location is None:
        target = saved
    elif isinstance(map_location, dict):
        target = map_location.get(saved, saved)
    elif isinstance(map_location, (str, backend.device)):
        target = map_location
    else:
        raise TypeError(f"load: map_location must be None, a device or a dict, got "
                        f"{type(map_location).__name__}")
    target = backend.device(target)
    if target.type == "cuda" and not backend.cuda_is_available():
        raise RuntimeError(f"load: {label!r} has tensors saved on cuda but CUDA is not "
                           f"available; pass map_location='cpu'")
    return target


def _to_tensor(arr: np.ndarray, saved_device, map_location, label):
    # safetensors' arrays view the read-only file bytes: copy into ordinary arrays
    arr = np.array(arr, copy=True)
    target = _target_device(saved_device or "cpu", map_location, label)
    return Tensor._make(backend.move(arr, target))


def _decode(node, raw: dict, map_location, label: str, depth: int):
    if not isinstance(node, dict):
        if isinstance(node, list):  # a bare JSON list is not a node save() writes
            raise CheckpointError(f"load: {label!r} has a corrupted tinytorch structure "
                                  f"record (a bare list)")
        return node
    if depth > 2 * MAX_NESTING + 2:  # save() nests at most MAX_NESTING containers
        raise CheckpointError(f"load: {label!r} has a structure record nested more than "
                              f"{MAX_NESTING} levels deep; tinytorch never writes that")
    depth += 1
    try:
        if "tensor" in node:
            t = _to_tensor(raw[node["tensor"]], node.get("device"), map_location, label)
            if node.get("requires_grad"):
                t.requires_grad_(True)
            return t
        if "ndarray" in node:
            arr = np.array(raw[node["ndarray"]], copy=True)
            target = _target_device(node.get("device", "cpu"), map_location, label)
            return backend.move(arr, target)
        if "dict" in node:
            return {k: _decode(v, raw, map_location, label, depth) for k, v in node["dict"]}
        if "odict" in node:
            return OrderedDict((k, _decode(v, raw, map_location, label, depth))
                               for k, v in node["odict"])
        if "list" in node:
            return [_decode(v, raw, map_location, label, depth) for v in node["list"]]
        if "tuple" in node:
            return tuple(_decode(v, raw, map_location, label, depth) for v in node["tuple"])
        if "dtype" in node:
            return backend.to_dtype(node["dtype"])
        if "device_spec" in node:
            return backend.device(node["device_spec"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"load: {label!r} has a corrupted tinytorch structure record "
                              f"({type(e).__name__}: {e})") from None
    raise CheckpointError(f"load: {label!r} has an unknown entry in its structure record: "
                          f"{sorted(node)}")
