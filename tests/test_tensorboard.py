"""SummaryWriter's event files: records with their CRC-32C, the Event fields TensorBoard
reads, and (when the ``tensorboard`` package is installed) TensorBoard's own reader."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import tinytorch
from tinytorch.utils.tensorboard import SummaryWriter, crc32c


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value of CRC-32C


def _masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _records(path: Path):
    data, at = path.read_bytes(), 0
    while at < len(data):
        (n,) = struct.unpack_from("<Q", data, at)
        (len_crc,) = struct.unpack_from("<I", data, at + 8)
        assert len_crc == _masked(crc32c(data[at:at + 8]))
        body = data[at + 12:at + 12 + n]
        (body_crc,) = struct.unpack_from("<I", data, at + 12 + n)
        assert body_crc == _masked(crc32c(body))
        yield body
        at += 16 + n


def _fields(msg: bytes):
    """(field number, value) of a protobuf message: varints as ints, fixed64/32 as bytes,
    length-delimited as bytes."""
    at, out = 0, []
    while at < len(msg):
        key, at = _varint(msg, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(msg, at)
        elif wire == 1:
            value, at = msg[at:at + 8], at + 8
        elif wire == 5:
            value, at = msg[at:at + 4], at + 4
        else:
            n, at = _varint(msg, at)
            value, at = msg[at:at + n], at + n
        out.append((field, value))
    return out


def _varint(msg, at):
    shift = value = 0
    while True:
        byte = msg[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _scalars(path: Path):
    points = []
    for body in _records(path):
        event = dict(_fields(body))
        if 5 not in event:
            assert event[3] == b"brain.Event:2"  # the first record: the file version
            continue
        value = dict(_fields(dict(_fields(event[5]))[1]))
        if 2 in value:
            points.append((value[1].decode(), event[2], struct.unpack("<f", value[2])[0]))
    return points


def test_scalars_are_written_as_tensorboard_events(tmp_path):
    with SummaryWriter(tmp_path / "run") as writer:
        for step in range(3):
            writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("lr", tinytorch.tensor(0.25), 10)  # a one-element tensor
        writer.add_scalars("cmp", {"a": 1.5, "b": -2.0}, 4)
        writer.add_text("note", "hello", 1)
    (main,) = (tmp_path / "run").glob("events.out.tfevents.*")
    assert _scalars(main) == [("Loss/train", 0, 1.0), ("Loss/train", 1, 0.5),
                              ("Loss/train", 2, pytest.approx(1 / 3)), ("lr", 10, 0.25)]
    (curve,) = (tmp_path / "run" / "cmp_b").glob("events.out.tfevents.*")
    assert _scalars(curve) == [("cmp", 4, -2.0)]
    with pytest.raises(NotImplementedError, match="add_image"):
        SummaryWriter(tmp_path / "other").add_image("x", None)


def test_tensorboard_reads_them(tmp_path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 2.0, 1)
        writer.add_text("note", "hi", 2)
    events = accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("loss")] == [(1, 2.0)]
    assert events.Tensors("note")[0].tensor_proto.string_val == [b"hi"]
