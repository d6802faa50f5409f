"""``tinytorch.utils.tensorboard.SummaryWriter``: scalars and text for TensorBoard.

Programs such as Karpathy's makemore log their losses with PyTorch's ``SummaryWriter``;
this one writes the same event files (TensorBoard's ``events.out.tfevents.*``), read by
``tensorboard --logdir DIR``, with the standard library alone: an event file is a sequence
of records (a little-endian u64 length, its masked CRC-32C, the bytes, their masked
CRC-32C), each record one ``Event`` protocol buffer, encoded here field by field.

Supported: ``add_scalar``, ``add_scalars`` (one sub-directory per curve, as PyTorch),
``add_text``, ``flush``, ``close`` and ``with SummaryWriter(...) as w``. The other
``add_*`` methods (images, histograms, graphs, embeddings...) raise ``NotImplementedError``
naming themselves.
"""

from __future__ import annotations

import os
import socket
import struct
import time

__all__ = ["SummaryWriter"]


# ----------------------------------------------------------------------------- records

def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1  # Castagnoli, reflected
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum TensorBoard's records carry."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord: length, masked CRC of the length, the data, masked CRC of the data."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", _masked(crc32c(length))) + data
            + struct.pack("<I", _masked(crc32c(data))))


# ----------------------------------------------------------------------------- protobuf
# Field numbers from TensorFlow's event.proto / summary.proto / tensor.proto.

def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1  # negative int64 values as two's complement, as protobuf does
    while True:
        low = n & 0x7F
        n >>= 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _bytes_field(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def _event(wall_time: float, step: int = 0, *, file_version: str | None = None,
           summary: bytes | None = None) -> bytes:
    """Event {double wall_time = 1; int64 step = 2; string file_version = 3;
    Summary summary = 5}."""
    out = _key(1, 1) + struct.pack("<d", wall_time) + _key(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if summary is not None:
        out += _bytes_field(5, summary)
    return out


def _scalar_summary(tag: str, value: float) -> bytes:
    """Summary {Value value = 1}, Value {string tag = 1; float simple_value = 2}."""
    value_msg = _bytes_field(1, tag.encode()) + _key(2, 5) + struct.pack("<f", value)
    return _bytes_field(1, value_msg)


def _text_summary(tag: str, text: str) -> bytes:
    """A string tensor with the "text" plugin's metadata, as TensorBoard's text tab reads.
    Value {tag = 1; SummaryMetadata metadata = 9; TensorProto tensor = 8};
    TensorProto {DataType dtype = 1 (DT_STRING = 7); TensorShapeProto shape = 2 (one dim
    of size 1); repeated bytes string_val = 8}."""
    plugin = _bytes_field(1, b"text")  # PluginData {string plugin_name = 1}
    metadata = _bytes_field(1, plugin)  # SummaryMetadata {PluginData plugin_data = 1}
    dim = _bytes_field(2, _key(1, 0) + _varint(1))  # TensorShapeProto {Dim dim = 2 {size = 1}}
    tensor = _key(1, 0) + _varint(7) + _bytes_field(2, dim) + _bytes_field(8, text.encode())
    value_msg = _bytes_field(1, tag.encode()) + _bytes_field(9, metadata) + \
        _bytes_field(8, tensor)
    return _bytes_field(1, value_msg)


def _number(value) -> float:
    """A Python number, NumPy scalar or one-element tensor as a float."""
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


# ----------------------------------------------------------------------------- writer

class _EventFile:
    """One ``events.out.tfevents.*`` file in ``log_dir``, opened on first write."""

    _uid = 0

    def __init__(self, log_dir: str, filename_suffix: str = ""):
        os.makedirs(log_dir, exist_ok=True)
        _EventFile._uid += 1
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{_EventFile._uid}{filename_suffix}")
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self.write(_event(time.time(), file_version="brain.Event:2"))

    def write(self, event: bytes) -> None:
        self._file.write(record(event))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class SummaryWriter:
    """Writes scalars and text for TensorBoard to ``log_dir`` (default
    ``runs/<date>_<host><comment>``), as PyTorch's ``SummaryWriter``."""

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step=None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = ""):
        if log_dir is None:
            stamp = time.strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.filename_suffix = filename_suffix
        self.flush_secs = flush_secs
        self._file = _EventFile(self.log_dir, filename_suffix)
        self._curves: dict[str, _EventFile] = {}  # add_scalars' sub-directories
        self._last_flush = time.time()

    def get_logdir(self) -> str:
        return self.log_dir

    def _write(self, file: _EventFile, summary: bytes, step, walltime) -> None:
        file.write(_event(time.time() if walltime is None else float(walltime),
                          0 if step is None else int(step), summary=summary))
        if time.time() - self._last_flush > self.flush_secs:
            self.flush()

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """One point of the curve ``tag`` at ``global_step``."""
        self._write(self._file, _scalar_summary(tag, _number(scalar_value)), global_step,
                    walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Several curves on one chart: each in ``log_dir/<main_tag>_<tag>``, as PyTorch."""
        for tag, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            file = self._curves.get(path)
            if file is None:
                file = self._curves[path] = _EventFile(path, self.filename_suffix)
            self._write(file, _scalar_summary(main_tag, _number(value)), global_step,
                        walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        self._write(self._file, _text_summary(tag, str(text_string)), global_step, walltime)

    def flush(self) -> None:
        for file in (self._file, *self._curves.values()):
            file.flush()
        self._last_flush = time.time()

    def close(self) -> None:
        for file in (self._file, *self._curves.values()):
            file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __getattr__(self, name):
        if name.startswith("add_"):
            def unsupported(*args, **kwargs):
                raise NotImplementedError(
                    f"SummaryWriter.{name}: tinytorch's SummaryWriter writes scalars and "
                    f"text only (add_scalar, add_scalars, add_text)")
            return unsupported
        raise AttributeError(f"'SummaryWriter' object has no attribute {name!r}")
