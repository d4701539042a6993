"""Archive plumbing shared by the library's logs kept in recordings (the queue's
``recording_log`` and the recovery log's ``fencing``): wait for the counter the
archive records a session under, stop a recording and wait for its stop position,
and the channel of a publication that extends a stopped recording."""

from __future__ import annotations

from typing import Callable

from aeron_cffi import _waiting
from aeron_cffi.archive import NULL_POSITION, AeronArchive, RecordingDescriptor, recording_pos
from aeron_cffi.channel_uri import ChannelUri
from aeron_cffi.errors import AeronTimeoutError

__all__ = ["extension_channel", "recording_counter", "stop_recording"]


def recording_counter(archive: AeronArchive, session_id: int, what: str, timeout: float,
                      error: Callable[[str], Exception] = AeronTimeoutError) -> int:
    """The id of the archive's position counter recording ``session_id``, once there is one."""
    def lookup() -> list[int] | None:  # a list: counter id 0 is an id too
        counter_id = recording_pos.find_counter_id_by_session_id(archive, session_id)
        return None if counter_id == recording_pos.NULL_COUNTER_ID else [counter_id]

    return _waiting.until(lookup, what, timeout, error=error)[0]


def stop_recording(archive: AeronArchive, recording_id: int, timeout: float,
                   error: Callable[[str], Exception] = AeronTimeoutError) -> int:
    """Stop whatever records into ``recording_id`` (if anything does) and return the
    recording's stop position, once the archive has settled it."""
    archive.try_stop_recording_by_identity(recording_id)
    return _waiting.until(lambda: [p for p in [archive.get_stop_position(recording_id)] if p != NULL_POSITION],
                          f"recording {recording_id} to stop", timeout, error=error)[0]


def extension_channel(descriptor: RecordingDescriptor, position: int) -> str:
    """The channel of an exclusive publication that continues the stopped recording of
    ``descriptor`` at ``position``: its original channel without a session id, with the
    recording's term length, MTU and initial term id, starting at ``position``."""
    with ChannelUri.parse(descriptor.original_channel) as uri:
        if "session-id" in uri:
            del uri["session-id"]
        uri["term-length"] = descriptor.term_buffer_length
        uri["mtu"] = descriptor.mtu_length
        uri.set_initial_position(position, descriptor.initial_term_id, descriptor.term_buffer_length)
        return str(uri)
