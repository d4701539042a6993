"""``Header``: the frame header of the fragment a handler is called with (``aeron_header_t``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from aeron_cffi._native import ffi, lib
from aeron_cffi.errors import ResourceClosedError, check

__all__ = ["Header", "HeaderValues"]


@dataclasses.dataclass(frozen=True)
class HeaderValues:
    """A copy of a fragment's header fields (``aeron_header_values_t``)."""

    frame_length: int
    version: int
    flags: int
    type: int
    term_offset: int
    session_id: int
    stream_id: int
    term_id: int
    reserved_value: int
    initial_term_id: int
    position_bits_to_shift: int


class Header:
    """The header of the fragment being handled; valid only during the handler call.

    One object is reused for every fragment of a poll; afterwards every method raises
    ``ResourceClosedError`` (use ``values()`` to keep a copy).
    """

    __slots__ = ("_ptr",)

    def __init__(self) -> None:
        self._ptr: Any = None

    def _header(self) -> Any:
        ptr = self._ptr
        if ptr is None:
            raise ResourceClosedError("Header is only valid during the fragment handler call")
        return ptr

    def values(self) -> HeaderValues:
        """All header fields (``aeron_header_values``)."""
        values = ffi.new("aeron_header_values_t *")
        check(lib.aeron_header_values(self._header(), values), "aeron_header_values")
        frame = values.frame
        return HeaderValues(frame.frame_length, frame.version, frame.flags, frame.type, frame.term_offset,
                            frame.session_id, frame.stream_id, frame.term_id, frame.reserved_value,
                            values.initial_term_id, values.position_bits_to_shift)

    @property
    def position(self) -> int:
        """Stream position just after this fragment (``aeron_header_position``)."""
        return int(lib.aeron_header_position(self._header()))

    @property
    def position_bits_to_shift(self) -> int:
        """(``aeron_header_position_bits_to_shift``)"""
        return int(lib.aeron_header_position_bits_to_shift(self._header()))

    @property
    def next_term_offset(self) -> int:
        """Term offset of the next frame (``aeron_header_next_term_offset``)."""
        return int(lib.aeron_header_next_term_offset(self._header()))

    @property
    def session_id(self) -> int:
        return self.values().session_id

    @property
    def stream_id(self) -> int:
        return self.values().stream_id

    @property
    def flags(self) -> int:
        return self.values().flags

    @property
    def reserved_value(self) -> int:
        return self.values().reserved_value
