"""Recording events: the archive's own broadcast of recordings starting, progressing
and stopping (the C client has no adapter for it; this is ours).

An archive started with ``aeron.archive.recording.events.enabled=true`` publishes
``RecordingStarted``, ``RecordingProgress`` and ``RecordingStopped`` SBE messages
(schema ``aeron-archive-codecs.xml``, id 101, little-endian) on its recording events
channel. ``RecordingEventsAdapter`` subscribes to that channel and decodes them into
the dataclasses below, following the schema's layout: an 8-byte message header
(blockLength, templateId, schemaId, version as uint16), the fixed fields, then at
``blockLength`` the variable-length ASCII fields, each a uint32 length and its bytes.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any, Callable, Union

__all__ = [
    "RecordingStarted",
    "RecordingProgress",
    "RecordingStopped",
    "RecordingEvent",
    "decode_recording_event",
    "RecordingEventsAdapter",
]

SCHEMA_ID = 101
_HEADER = struct.Struct("<HHHH")
_VAR_LENGTH = struct.Struct("<I")


@dataclasses.dataclass(frozen=True)
class RecordingStarted:
    """A recording started (template 101)."""

    TEMPLATE_ID = 101
    _FIXED = struct.Struct("<qqii")

    recording_id: int
    start_position: int
    session_id: int
    stream_id: int
    channel: str
    source_identity: str


@dataclasses.dataclass(frozen=True)
class RecordingProgress:
    """A recording's position advanced (template 102)."""

    TEMPLATE_ID = 102
    _FIXED = struct.Struct("<qqq")

    recording_id: int
    start_position: int
    position: int


@dataclasses.dataclass(frozen=True)
class RecordingStopped:
    """A recording stopped (template 103)."""

    TEMPLATE_ID = 103
    _FIXED = struct.Struct("<qqq")

    recording_id: int
    start_position: int
    stop_position: int


RecordingEvent = Union[RecordingStarted, RecordingProgress, RecordingStopped]
_BY_TEMPLATE = {cls.TEMPLATE_ID: cls for cls in (RecordingStarted, RecordingProgress, RecordingStopped)}


def _var_ascii(message: bytes, offset: int) -> tuple[str, int]:
    (length,) = _VAR_LENGTH.unpack_from(message, offset)
    start = offset + _VAR_LENGTH.size
    return message[start:start + length].decode("ascii", errors="replace"), start + length


def decode_recording_event(message: bytes) -> RecordingEvent | None:
    """The event in one recording-events message, or None for another schema or
    template (the archive may add messages in later versions)."""
    block_length, template_id, schema_id, _version = _HEADER.unpack_from(message, 0)
    cls = _BY_TEMPLATE.get(template_id)
    if schema_id != SCHEMA_ID or cls is None:
        return None
    fixed = cls._FIXED.unpack_from(message, _HEADER.size)
    if cls is not RecordingStarted:
        return cls(*fixed)
    channel, offset = _var_ascii(message, _HEADER.size + block_length)
    source_identity, _ = _var_ascii(message, offset)
    recording_id, start_position, session_id, stream_id = fixed
    return RecordingStarted(recording_id, start_position, session_id, stream_id, channel, source_identity)


class RecordingEventsAdapter:
    """Subscribes to an archive's recording events and decodes them.

    ``AeronArchive.recording_events()`` makes one on the archive's recording events
    channel; or pass any ``Subscription`` to that channel. ``poll()`` returns the
    events it decoded and also hands each to the matching listener. Closing the
    adapter closes the subscription it owns.
    """

    def __init__(
        self,
        subscription: Any,
        on_started: Callable[[RecordingStarted], object] | None = None,
        on_progress: Callable[[RecordingProgress], object] | None = None,
        on_stopped: Callable[[RecordingStopped], object] | None = None,
    ) -> None:
        self.subscription = subscription
        self._listeners: dict[type, Callable[[Any], object] | None] = {
            RecordingStarted: on_started, RecordingProgress: on_progress, RecordingStopped: on_stopped}

    @property
    def is_connected(self) -> bool:
        """The archive's recording events publication is connected."""
        return bool(self.subscription.is_connected)

    def poll(self, fragment_limit: int = 10) -> list[RecordingEvent]:
        """Decode up to ``fragment_limit`` messages; returns the events, in order."""
        events: list[RecordingEvent] = []

        def on_fragment(data: bytes, header: Any) -> None:
            event = decode_recording_event(data)
            if event is not None:
                events.append(event)
                listener = self._listeners[type(event)]
                if listener is not None:
                    listener(event)

        self.subscription.poll(on_fragment, fragment_limit)
        return events

    def close(self) -> None:
        self.subscription.close()

    def __enter__(self) -> "RecordingEventsAdapter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
