"""What the archive reports, as frozen dataclasses copied out of C structs.

The C client hands descriptors and signals to a consumer callback as pointers that
are only valid during the call; these classes copy every field out so they can be
kept, compared and printed.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from aeron_cffi._native import c_text, lib

__all__ = [
    "RecordingDescriptor",
    "RecordingSubscriptionDescriptor",
    "RecordingSignal",
    "RecordingSignalCode",
    "SourceLocation",
]

# Values come from the compiled header, never from literals; tests hold the members
# to the header's constants (as for the client layer's enums).
class RecordingSignalCode(enum.IntEnum):
    """A recording's transition (``aeron_archive_client_recording_signal_t``)."""

    NULL_VALUE = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_NULL_VALUE
    START = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_START
    STOP = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_STOP
    EXTEND = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_EXTEND
    REPLICATE = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_REPLICATE
    MERGE = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_MERGE
    SYNC = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_SYNC
    DELETE = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_DELETE
    REPLICATE_END = lib.AERON_ARCHIVE_CLIENT_RECORDING_SIGNAL_REPLICATE_END


class SourceLocation(enum.IntEnum):
    """Where the recorded stream comes from (``aeron_archive_source_location_t``): LOCAL
    records a publication on the archive's own driver (spy), REMOTE subscribes to the network."""

    LOCAL = lib.AERON_ARCHIVE_SOURCE_LOCATION_LOCAL
    REMOTE = lib.AERON_ARCHIVE_SOURCE_LOCATION_REMOTE


@dataclasses.dataclass(frozen=True)
class RecordingDescriptor:
    """One recording of the catalogue (``aeron_archive_recording_descriptor_t``).

    ``stop_position`` is ``NULL_POSITION`` (-1) while the recording is active.
    """

    control_session_id: int
    correlation_id: int
    recording_id: int
    start_timestamp: int
    stop_timestamp: int
    start_position: int
    stop_position: int
    initial_term_id: int
    segment_file_length: int
    term_buffer_length: int
    mtu_length: int
    session_id: int
    stream_id: int
    stripped_channel: str
    original_channel: str
    source_identity: str

    @classmethod
    def from_c(cls, d: Any) -> "RecordingDescriptor":
        return cls(
            control_session_id=d.control_session_id,
            correlation_id=d.correlation_id,
            recording_id=d.recording_id,
            start_timestamp=d.start_timestamp,
            stop_timestamp=d.stop_timestamp,
            start_position=d.start_position,
            stop_position=d.stop_position,
            initial_term_id=d.initial_term_id,
            segment_file_length=d.segment_file_length,
            term_buffer_length=d.term_buffer_length,
            mtu_length=d.mtu_length,
            session_id=d.session_id,
            stream_id=d.stream_id,
            stripped_channel=c_text(d.stripped_channel, d.stripped_channel_length),
            original_channel=c_text(d.original_channel, d.original_channel_length),
            source_identity=c_text(d.source_identity, d.source_identity_length),
        )


@dataclasses.dataclass(frozen=True)
class RecordingSubscriptionDescriptor:
    """An active recording subscription of the archive
    (``aeron_archive_recording_subscription_descriptor_t``)."""

    control_session_id: int
    correlation_id: int
    subscription_id: int
    stream_id: int
    stripped_channel: str

    @classmethod
    def from_c(cls, d: Any) -> "RecordingSubscriptionDescriptor":
        return cls(
            control_session_id=d.control_session_id,
            correlation_id=d.correlation_id,
            subscription_id=d.subscription_id,
            stream_id=d.stream_id,
            stripped_channel=c_text(d.stripped_channel, d.stripped_channel_length),
        )


@dataclasses.dataclass(frozen=True)
class RecordingSignal:
    """A recording's transition, sent by the archive on the control session
    (``aeron_archive_recording_signal_t``). ``signal`` is a ``RecordingSignalCode``
    (the raw int for a code newer than this binding)."""

    control_session_id: int
    recording_id: int
    subscription_id: int
    position: int
    signal: int

    @classmethod
    def from_c(cls, s: Any) -> "RecordingSignal":
        try:
            code = RecordingSignalCode(s.recording_signal_code)
        except ValueError:
            code = s.recording_signal_code
        return cls(
            control_session_id=s.control_session_id,
            recording_id=s.recording_id,
            subscription_id=s.subscription_id,
            position=s.position,
            signal=code,
        )
