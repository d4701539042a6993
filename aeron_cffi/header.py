"""What a fragment handler is called with besides the data: ``Header``, the fragment's frame
header (``aeron_header_t``); and ``FragmentView``, the data itself when a poll is asked
for ``view=True`` (both valid during the handler call only)."""

from __future__ import annotations

import dataclasses
from typing import Any

from aeron_cffi._native import ffi, hot, lib
from aeron_cffi.errors import ResourceClosedError, check

__all__ = ["FragmentView", "Header", "HeaderValues"]

#: A fragment's bytes in the term buffer, handed to ``poll(handler, view=True)``'s handler
#: (``ffibuild/hot_paths.c``): ``len``, indexing and slicing (to ``bytes``), ``bytes(view)``,
#: ``tobytes()`` and ``unpack_from(format, offset=0)``; every use after the handler
#: returned raises ``ResourceClosedError``. No buffer protocol: the extension is built
#: for the 3.10 stable ABI, which has none for types it defines.
FragmentView = hot.FragmentView


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


class Header(hot.HeaderBase):
    """The header of the fragment being handled; valid only during the handler call.

    One object is reused for every fragment of a poll; afterwards every method raises
    ``ResourceClosedError`` (use ``values()`` to keep a copy).

    Where the header is: a poll through ``aeron_cffi._hot`` sets the C base's pointer
    (``_address``); the cffi trampolines (fragment assemblers, bounded polls, peeks) set
    ``_ptr`` to their cffi pointer.
    """

    __slots__ = ()

    def _header(self) -> Any:
        ptr = self._ptr
        if ptr is None:
            address = self._address
            if not address:
                raise ResourceClosedError("Header is only valid during the fragment handler call")
            ptr = ffi.cast("aeron_header_t *", address)
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
