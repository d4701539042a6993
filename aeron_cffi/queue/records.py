"""The queue's record formats: what one Aeron message of a ledger or a marks log holds.

Encoders (what we write) and one decoder (what a replay returns), all little-endian:

* ``BATCH``: kind, entry count, the ordinal of the first entry (its number counted
  from the ledger's first entry ever), then per entry its sequence, payload length and
  payload. One write is one batch is one message, so a batch is recorded whole or not
  at all (a message cut short by a crash is dropped by the fragment assembler).
* ``DELETE``: kind, the last deleted sequence (the ledger's tail) and the ordinal of
  the first entry kept; the ledger records it before purging segments.
* ``MARKS``: kind, a consumer's compiled marks (``compile_sequences``) and the ordinal
  of the first (cumulative) one, -1 when it names no entry.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Iterable, Union

from aeron_cffi.queue.errors import QueueError

__all__ = [
    "BATCH_HEADER_LENGTH",
    "ENTRY_HEADER_LENGTH",
    "Batch",
    "Delete",
    "Entry",
    "Marks",
    "Record",
    "decode",
    "encode_batch",
    "encode_delete",
    "encode_marks",
    "encoded_batch_length",
]

_BATCH, _DELETE, _MARKS = 1, 2, 3
_BATCH_HEADER = struct.Struct("<BxxxIQ")
_ENTRY_HEADER = struct.Struct("<QI")
_DELETE_RECORD = struct.Struct("<BxxxxxxxQQ")
_MARKS_HEADER = struct.Struct("<BxxxIq")
BATCH_HEADER_LENGTH = _BATCH_HEADER.size
ENTRY_HEADER_LENGTH = _ENTRY_HEADER.size


@dataclasses.dataclass(frozen=True)
class Entry:
    """One entry of a ledger: ``sequence`` (> 0, increasing) and its ``payload``; ``object``
    is never stored (the seed's handle to a decoded form, kept by cached ledgers)."""

    sequence: int
    payload: bytes
    object: object = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Batch:
    first_ordinal: int
    entries: list[Entry]


@dataclasses.dataclass(frozen=True)
class Delete:
    tail: int
    kept_ordinal: int


@dataclasses.dataclass(frozen=True)
class Marks:
    ordinal: int
    sequences: list[int]


Record = Union[Batch, Delete, Marks]


def encoded_batch_length(payload_lengths: Iterable[int]) -> int:
    return BATCH_HEADER_LENGTH + sum(ENTRY_HEADER_LENGTH + n for n in payload_lengths)


def encode_batch(first_ordinal: int, entries: list[Entry]) -> bytes:
    parts = [_BATCH_HEADER.pack(_BATCH, len(entries), first_ordinal)]
    for entry in entries:
        parts.append(_ENTRY_HEADER.pack(entry.sequence, len(entry.payload)))
        parts.append(entry.payload)
    return b"".join(parts)


def encode_delete(tail: int, kept_ordinal: int) -> bytes:
    return _DELETE_RECORD.pack(_DELETE, tail, kept_ordinal)


def encode_marks(ordinal: int, sequences: list[int]) -> bytes:
    return _MARKS_HEADER.pack(_MARKS, len(sequences), ordinal) + struct.pack(f"<{len(sequences)}Q", *sequences)


def decode(data: bytes) -> Record:
    """The record one message holds; ``QueueError`` for a message no queue wrote."""
    try:
        kind = data[0]
        if kind == _BATCH:
            _, count, first_ordinal = _BATCH_HEADER.unpack_from(data)
            entries, offset = [], BATCH_HEADER_LENGTH
            for _ in range(count):
                sequence, length = _ENTRY_HEADER.unpack_from(data, offset)
                offset += ENTRY_HEADER_LENGTH
                entries.append(Entry(sequence, data[offset:offset + length]))
                offset += length
            if offset != len(data):
                raise QueueError(f"batch record of {len(data)} bytes holds {offset}")
            return Batch(first_ordinal, entries)
        if kind == _DELETE:
            _, tail, kept_ordinal = _DELETE_RECORD.unpack(data)
            return Delete(tail, kept_ordinal)
        if kind == _MARKS:
            _, count, ordinal = _MARKS_HEADER.unpack_from(data)
            return Marks(ordinal, list(struct.unpack_from(f"<{count}Q", data, _MARKS_HEADER.size)))
    except (IndexError, struct.error) as error:
        raise QueueError(f"malformed queue record: {error}") from error
    raise QueueError(f"unknown queue record kind {data[0]}")
