"""``RecordedOp`` in protobuf wire format, and Gazette's fixed framing of it.

The message classes are built at import time from a ``FileDescriptorProto`` written
here with the field numbers and types of Gazette's ``recorded_op.proto``, through
``google.protobuf``'s descriptor pool and message factory. That keeps the schema in
our own Python (no ``protoc`` step in the build, no generated module of another
project in the tree) while the protobuf library does every varint and tag.

A frame, as Gazette's fixed framing writes it: the word ``66 33 93 36``, the length of
the encoded message as a little-endian uint32, then the message. One frame (and, for a
write, its data right after it) travels as one Aeron message.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, cast

import google_crc32c
# protobuf ships no type information (types-protobuf is not a dependency).
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # type: ignore[import-untyped]

__all__ = [
    "FRAME_HEADER_LENGTH",
    "FRAME_WORD",
    "FrameError",
    "Property",
    "RecordedOp",
    "decode_message",
    "encode_frame",
    "next_checksum",
]

FRAME_WORD = b"\x66\x33\x93\x36"
FRAME_HEADER_LENGTH = 8
_LENGTH = struct.Struct("<I")

_F = descriptor_pb2.FieldDescriptorProto


def _message(name: str, *fields: tuple[str, int, int, str | None]) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name)
    for field_name, number, field_type, type_name in fields:
        field = message.field.add(name=field_name, number=number, type=field_type, label=_F.LABEL_OPTIONAL)
        if type_name is not None:
            field.type_name = type_name
    return message


def _schema() -> descriptor_pb2.FileDescriptorProto:
    """Gazette's ``recoverylog/recorded_op.proto`` (proto3), the messages a log carries."""
    schema = descriptor_pb2.FileDescriptorProto(name="aeron_cffi/recoverylog/recorded_op.proto",
                                                package="recoverylog", syntax="proto3")
    op = _message(
        "RecordedOp",
        ("seq_no", 1, _F.TYPE_INT64, None),
        ("checksum", 2, _F.TYPE_FIXED32, None),
        ("author", 3, _F.TYPE_FIXED32, None),
        ("create", 4, _F.TYPE_MESSAGE, ".recoverylog.RecordedOp.Create"),
        ("link", 5, _F.TYPE_MESSAGE, ".recoverylog.RecordedOp.Link"),
        ("unlink", 6, _F.TYPE_MESSAGE, ".recoverylog.RecordedOp.Link"),
        ("write", 7, _F.TYPE_MESSAGE, ".recoverylog.RecordedOp.Write"),
        ("property", 8, _F.TYPE_MESSAGE, ".recoverylog.Property"),
        ("first_offset", 9, _F.TYPE_INT64, None),
        ("last_offset", 10, _F.TYPE_INT64, None),
    )
    op.nested_type.extend([
        _message("Create", ("path", 1, _F.TYPE_STRING, None)),
        _message("Link", ("fnode", 1, _F.TYPE_INT64, None), ("path", 2, _F.TYPE_STRING, None)),
        _message("Write", ("fnode", 1, _F.TYPE_INT64, None), ("offset", 2, _F.TYPE_INT64, None),
                 ("length", 3, _F.TYPE_INT64, None)),
    ])
    schema.message_type.extend([
        op,
        _message("Property", ("path", 1, _F.TYPE_STRING, None), ("content", 2, _F.TYPE_STRING, None)),
    ])
    return schema


# A pool of our own, so that another copy of Gazette's schema in the default pool
# (a user's generated module) cannot clash with ours.
_pool = descriptor_pool.DescriptorPool()
_file = _pool.Add(_schema())

if TYPE_CHECKING:
    # What the checker sees of the classes built at run time below: their fields and the
    # few ``google.protobuf.message.Message`` methods the package calls.

    class _Create:
        path: str

    class _Link:
        fnode: int
        path: str

    class _Write:
        fnode: int
        offset: int
        length: int

    class Property:
        path: str
        content: str

        def __init__(self, *, path: str = ..., content: str = ...) -> None: ...
        def HasField(self, field_name: str) -> bool: ...
        def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...
        def ParseFromString(self, serialized: bytes | memoryview) -> int: ...

    class RecordedOp:
        seq_no: int
        checksum: int
        author: int
        create: _Create
        link: _Link
        unlink: _Link
        write: _Write
        property: Property
        first_offset: int
        last_offset: int

        def __init__(self, *, seq_no: int = ..., checksum: int = ..., author: int = ...,
                     first_offset: int = ..., last_offset: int = ...) -> None: ...
        def HasField(self, field_name: str) -> bool: ...
        def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...
        def ParseFromString(self, serialized: bytes | memoryview) -> int: ...
else:
    RecordedOp = message_factory.GetMessageClass(_pool.FindMessageTypeByName("recoverylog.RecordedOp"))
    Property = message_factory.GetMessageClass(_pool.FindMessageTypeByName("recoverylog.Property"))
    RecordedOp.__doc__ = """One file-system operation of a recovery log (Gazette's ``RecordedOp``):
``seq_no``, ``checksum`` (the FSM's checksum before this op), ``author`` and at most one of
``create`` / ``link`` / ``unlink`` / ``write`` / ``property`` (none: a no-op, e.g. a
handoff). ``first_offset`` / ``last_offset`` are never recorded; a player sets them to the
op's recording positions."""


class FrameError(ValueError):
    """A recorded message that is not one well-formed frame (de-synchronised, cut short,
    or not a ``RecordedOp``)."""


def encode_frame(op: RecordedOp) -> bytes:
    """The framed encoding of ``op``: header, then the message (deterministic field order)."""
    encoded = op.SerializeToString(deterministic=True)
    return FRAME_WORD + _LENGTH.pack(len(encoded)) + encoded


def decode_message(message: bytes | memoryview) -> tuple[RecordedOp, memoryview, memoryview]:
    """Split one recorded Aeron message into (op, its encoded bytes, the data after the
    frame). Raises ``FrameError`` when the message does not start with a whole frame."""
    view = memoryview(message)
    if len(view) < FRAME_HEADER_LENGTH or view[:4] != FRAME_WORD:
        raise FrameError("message does not start with the fixed frame word: de-synchronised")
    (length,) = _LENGTH.unpack_from(view, 4)
    end = FRAME_HEADER_LENGTH + length
    if end > len(view):
        raise FrameError(f"frame of {length} bytes is longer than its message ({len(view)} bytes)")
    encoded = view[FRAME_HEADER_LENGTH:end]
    op = RecordedOp()
    try:
        op.ParseFromString(encoded)
    except Exception as error:  # the library's DecodeError, raised from C or Python
        raise FrameError(f"frame does not hold a RecordedOp: {error}") from error
    return op, encoded, view[end:]


def next_checksum(checksum: int, encoded: bytes | memoryview) -> int:
    """The FSM's checksum after an op: CRC-32C (Castagnoli) of ``checksum`` extended over
    the op's encoded message (the frame without its header), as Gazette chains it."""
    return cast(int, google_crc32c.extend(checksum, bytes(encoded)))
