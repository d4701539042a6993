"""Recording position counters (``aeron_archive_recording_pos_*``).

The archive publishes, per active recording, a counter on its media driver holding
the recorded position, keyed by recording id and session id. These functions find
and read them through a client's counters: pass an ``Aeron``, an ``AeronArchive``,
a ``CountersReader`` or a raw ``aeron_counters_reader_t *``.
"""

from __future__ import annotations

from typing import Any

from aeron_cffi._native import c_text, ffi, lib
from aeron_cffi.client import Aeron
from aeron_cffi.errors import check

__all__ = [
    "NULL_COUNTER_ID",
    "find_counter_id_by_recording_id",
    "find_counter_id_by_session_id",
    "get_recording_id",
    "get_source_identity",
    "is_active",
]

NULL_COUNTER_ID: int = lib.AERON_NULL_COUNTER_ID
_SOURCE_IDENTITY_MAX = 1024


def _on_reader(counters: Any, function: Any, *args: Any) -> Any:
    """``function(reader, *args)`` with the ``aeron_counters_reader_t *`` of ``counters`` (a
    raw pointer, a ``CountersReader``, an ``Aeron`` or an ``AeronArchive``), as a call in
    flight on the object that owns the counters (a close elsewhere unmaps them)."""
    if isinstance(counters, ffi.CData):
        return function(counters, *args)
    aeron = getattr(counters, "aeron", counters)  # an AeronArchive's client
    if isinstance(aeron, Aeron):
        return aeron._in_flight(lambda: function(lib.aeron_counters_reader(aeron._ptr), *args))
    return counters._in_flight(function, counters._ptr, *args)  # a CountersReader


def find_counter_id_by_recording_id(counters: Any, recording_id: int) -> int:
    """The counter of an active recording, ``NULL_COUNTER_ID`` if none
    (``aeron_archive_recording_pos_find_counter_id_by_recording_id``)."""
    return _on_reader(counters, lib.aeron_archive_recording_pos_find_counter_id_by_recording_id, recording_id)


def find_counter_id_by_session_id(counters: Any, session_id: int) -> int:
    """The counter recording the image of ``session_id``, ``NULL_COUNTER_ID`` if none
    (``aeron_archive_recording_pos_find_counter_id_by_session_id``)."""
    return _on_reader(counters, lib.aeron_archive_recording_pos_find_counter_id_by_session_id, session_id)


def get_recording_id(counters: Any, counter_id: int) -> int:
    """The recording id of a recording position counter, ``NULL_COUNTER_ID`` if the
    counter is not one (``aeron_archive_recording_pos_get_recording_id``)."""
    return _on_reader(counters, lib.aeron_archive_recording_pos_get_recording_id, counter_id)


def get_source_identity(counters: Any, counter_id: int) -> str:
    """Where the recorded image comes from (e.g. ``aeron:ipc`` or ``127.0.0.1:port``),
    '' if the counter is not a recording position
    (``aeron_archive_recording_pos_get_source_identity``)."""
    buffer = ffi.new("char[]", _SOURCE_IDENTITY_MAX)
    length = ffi.new("size_t *", _SOURCE_IDENTITY_MAX)
    check(
        _on_reader(counters, lib.aeron_archive_recording_pos_get_source_identity, counter_id, buffer, length),
        "aeron_archive_recording_pos_get_source_identity",
    )
    return c_text(buffer, length[0])


def is_active(counters: Any, counter_id: int, recording_id: int) -> bool:
    """Whether ``counter_id`` is the live position counter of ``recording_id``
    (``aeron_archive_recording_pos_is_active``)."""
    active = ffi.new("bool *")
    check(
        _on_reader(counters, lambda reader: lib.aeron_archive_recording_pos_is_active(active, reader, counter_id, recording_id)),
        "aeron_archive_recording_pos_is_active",
    )
    return bool(active[0])
