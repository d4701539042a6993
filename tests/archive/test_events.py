"""Recording events from the archive's events channel, decoded by our adapter."""

from __future__ import annotations

from aeron_cffi.archive.recording_events import (
    RecordingEventsAdapter,
    RecordingProgress,
    RecordingStarted,
    RecordingStopped,
    decode_recording_event,
)

from archive_support import payload, record, wait_for


def test_started_progress_and_stopped_events(archive, signals, stream_id):
    started: list[RecordingStarted] = []
    with archive.recording_events(on_started=started.append) as adapter:
        assert isinstance(adapter, RecordingEventsAdapter)
        wait_for(lambda: adapter.is_connected)
        recording_id, stop = record(archive, signals, stream_id, [payload(i) for i in range(300)])
        events = []
        wait_for(lambda: any(isinstance(e, RecordingStopped) and e.recording_id == recording_id for e in events),
                 poll=lambda: events.extend(adapter.poll()))
    mine = [e for e in events if e.recording_id == recording_id]
    first, *progress, last = mine
    descriptor = archive.list_recording(recording_id)
    assert first == RecordingStarted(
        recording_id=recording_id,
        start_position=0,
        session_id=descriptor.session_id,
        stream_id=stream_id,
        channel=descriptor.original_channel,
        source_identity="aeron:ipc",
    )
    assert started == [e for e in events if isinstance(e, RecordingStarted)]
    assert all(isinstance(e, RecordingProgress) and e.start_position == 0 for e in progress)
    positions = [e.position for e in progress]
    assert positions == sorted(positions) and all(p <= stop for p in positions)
    assert last == RecordingStopped(recording_id=recording_id, start_position=0, stop_position=stop)


def test_messages_of_other_schemas_are_ignored():
    other_schema = bytes([8, 0, 101, 0, 7, 0, 1, 0]) + bytes(24)  # schema 7, template 101
    assert decode_recording_event(other_schema) is None
