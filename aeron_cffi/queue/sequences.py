"""Sequences: 64-bit keys made of a unix timestamp (high 32 bits) and an ordinal (low 32).

As the seed's functions: ``join_sequence``/``split_sequence`` build and take apart,
``generate_sequence`` hands out locally monotonic ones, ``encode_*``/``decode_*``
turn them into sortable text, and ``compile_sequences`` compresses a consumer's marks.
"""

from __future__ import annotations

import datetime
import threading
import time

from aeron_cffi.errors import InvalidArgumentError

__all__ = [
    "ENCODED_SEQUENCE_LENGTH",
    "MAX_SEQUENCE",
    "compile_sequences",
    "decode_sequence",
    "decode_sequences",
    "encode_sequence",
    "encode_sequences",
    "generate_sequence",
    "join_sequence",
    "split_sequence",
]

#: Digits of a non-compact encoded sequence: 2**64 - 1 has 20.
ENCODED_SEQUENCE_LENGTH = 20
MAX_SEQUENCE = (1 << 64) - 1
_MAX_U32 = (1 << 32) - 1
_SEPARATOR = b","


def _check_u32(value: int, what: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= _MAX_U32:
        raise InvalidArgumentError(f"{what} must be an int in 0..2**32-1, not {value!r}")
    return value


def _unix_seconds(ts: datetime.datetime | int | float) -> int:
    if isinstance(ts, datetime.datetime):
        return int(ts.timestamp())
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return int(ts)
    raise InvalidArgumentError(f"timestamp must be a datetime or unix seconds, not {type(ts).__name__}")


def join_sequence(ts: datetime.datetime | int | float, n: int) -> int:
    """The sequence of timestamp ``ts`` (a datetime or unix seconds) and ordinal ``n``."""
    return _check_u32(_unix_seconds(ts), "timestamp") << 32 | _check_u32(n, "ordinal")


def split_sequence(s: int) -> tuple[datetime.datetime, int]:
    """The (UTC timestamp, ordinal) a sequence was joined from."""
    if not isinstance(s, int) or not 0 <= s <= MAX_SEQUENCE:
        raise InvalidArgumentError(f"sequence must be an int in 0..2**64-1, not {s!r}")
    return datetime.datetime.fromtimestamp(s >> 32, datetime.timezone.utc), s & _MAX_U32


class _Generator:
    """The process-wide (second, counter) behind ``generate_sequence``. The second never
    goes back, so a clock stepping backwards cannot repeat a sequence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._second = 0
        self._next = 1

    def take(self, n: int) -> int:
        with self._lock:
            now = max(int(time.time()), self._second)
            if now != self._second:
                self._second, self._next = now, 1
            if self._next + n - 1 > _MAX_U32:  # this second is used up: borrow the next one
                self._second, self._next = self._second + 1, 1
            first = self._next
            self._next += n
            return join_sequence(self._second, first)


_generator = _Generator()


def generate_sequence(n: int = 1) -> int:
    """The first of ``n`` consecutive sequences, monotonic within this process: the
    current second and an ordinal counted from 1 within it."""
    if not isinstance(n, int) or not 1 <= n <= _MAX_U32:
        raise InvalidArgumentError(f"n must be an int in 1..2**32-1, not {n!r}")
    return _generator.take(n)


def encode_sequence(s: int, compact: bool = False) -> bytes:
    """The decimal text of ``s``: zero-padded to ``ENCODED_SEQUENCE_LENGTH`` digits (so
    that encoded sequences sort as the numbers do) unless ``compact``."""
    if not isinstance(s, int) or not 0 <= s <= MAX_SEQUENCE:
        raise InvalidArgumentError(f"sequence must be an int in 0..2**64-1, not {s!r}")
    text = str(s) if compact else f"{s:0{ENCODED_SEQUENCE_LENGTH}d}"
    return text.encode("ascii")


def decode_sequence(key: bytes) -> int:
    """The sequence an ``encode_sequence`` result holds (padded or compact)."""
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise InvalidArgumentError(f"encoded sequence must be bytes, not {type(key).__name__}")
    text = bytes(key)
    if not text.isdigit() or len(text) > ENCODED_SEQUENCE_LENGTH or int(text) > MAX_SEQUENCE:
        raise InvalidArgumentError(f"not an encoded sequence: {text!r}")
    return int(text)


def encode_sequences(sequences: list[int]) -> bytes:
    """Compact encodings of ``sequences`` joined by commas."""
    return _SEPARATOR.join(encode_sequence(s, compact=True) for s in sequences)


def decode_sequences(value: bytes) -> list[int]:
    """The list an ``encode_sequences`` result holds (empty for ``b""``)."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise InvalidArgumentError(f"encoded sequences must be bytes, not {type(value).__name__}")
    text = bytes(value)
    return [decode_sequence(part) for part in text.split(_SEPARATOR)] if text else []


def compile_sequences(table: dict[int, bool]) -> list[int]:
    """Compress a consumer's marks (sequence -> marked) into the list a table stores:
    the last sequence of the leading run of marked ones (``first - 1`` when the first is
    unmarked: everything before it is done), then every later marked sequence.

    ``{1: True, 2: True, 3: False, 4: True}`` -> ``[2, 4]``; ``{1: False, 2: True}`` -> ``[0, 2]``.
    """
    ordered = sorted(table)
    if not ordered:
        return []
    run = 0
    while run < len(ordered) and table[ordered[run]]:
        run += 1
    head = [ordered[run - 1]] if run else [ordered[0] - 1]
    return head + [s for s in ordered[run:] if table[s]]
