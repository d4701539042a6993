"""Recording real streams into the Java archive and reading the catalogue back."""

from __future__ import annotations

import pytest

from aeron_cffi.archive import (
    NULL_POSITION,
    AeronArchive,
    RecordingDescriptor,
    RecordingSignalCode,
    SourceLocation,
    recording_pos,
)
from aeron_cffi.publication import Publication
from aeron_cffi.exclusive_publication import ExclusivePublication
from aeron_cffi.testing import free_udp_port

from archive_support import SEGMENT_FILE_LENGTH, TERM_LENGTH, entries, payload, publish, recording_counter, wait_for, wait_recorded

IPC = "aeron:ipc?term-length=64k"
MESSAGES = 50


def _signal(signals, archive, recording_id, code):
    return signals.wait_for(archive, recording_id, code)


def test_recorded_publication_and_its_descriptor(archive, archive_process, signals, stream_id):
    publication = archive.add_recorded_publication(IPC, stream_id)
    assert isinstance(publication, Publication)
    session_id, constants = publication.session_id, publication.constants
    counter_id = recording_counter(archive, publication.session_id)
    recording_id = recording_pos.get_recording_id(archive, counter_id)
    assert recording_pos.is_active(archive, counter_id, recording_id)
    assert recording_pos.get_source_identity(archive, counter_id) == "aeron:ipc"
    assert recording_pos.find_counter_id_by_recording_id(archive, recording_id) == counter_id
    assert recording_pos.find_counter_id_by_session_id(archive, publication.session_id) == counter_id

    position = publish(publication, [payload(i) for i in range(MESSAGES)])
    wait_recorded(archive, counter_id, position)
    assert archive.get_recording_position(recording_id) == position
    assert archive.get_stop_position(recording_id) == NULL_POSITION
    assert archive.get_max_recorded_position(recording_id) == position
    active = archive.list_recording(recording_id)
    assert active.stop_position == NULL_POSITION

    archive.stop_recording_publication(publication)
    _signal(signals, archive, recording_id, RecordingSignalCode.STOP)
    wait_for(lambda: not recording_pos.is_active(archive, counter_id, recording_id))
    publication.close()

    seen: list[RecordingDescriptor] = []
    descriptor = archive.list_recording(recording_id, seen.append)
    assert seen == [descriptor]
    assert descriptor.control_session_id == archive.control_session_id
    assert descriptor.correlation_id > 0
    assert descriptor.recording_id == recording_id
    assert 0 < descriptor.start_timestamp <= descriptor.stop_timestamp
    assert descriptor.start_position == 0
    assert descriptor.stop_position == position
    assert descriptor.initial_term_id == constants.initial_term_id
    assert descriptor.segment_file_length == SEGMENT_FILE_LENGTH
    assert descriptor.term_buffer_length == TERM_LENGTH
    assert descriptor.mtu_length == constants.max_payload_length + 32
    assert descriptor.session_id == session_id
    assert descriptor.stream_id == stream_id
    # add_recorded_publication records exactly this session
    assert descriptor.stripped_channel == f"aeron:ipc?session-id={session_id}"
    assert descriptor.original_channel == f"{IPC}|session-id={session_id}"
    assert descriptor.source_identity == "aeron:ipc"
    assert archive.get_start_position(recording_id) == 0
    assert archive.get_stop_position(recording_id) == position
    assert archive.get_recording_position(recording_id) == NULL_POSITION

    entry = entries([descriptor])
    assert entries(archive.list_recordings_for_uri("aeron:ipc", stream_id)) == entry
    assert archive.list_recordings_for_uri("aeron:udp", stream_id) == []
    assert entry[0] in entries(archive.list_recordings())
    assert entries(archive.list_recordings(recording_id, 1)) == entry
    assert archive.find_last_matching_recording("aeron:ipc", stream_id, session_id) == recording_id
    assert archive.find_last_matching_recording("aeron:ipc", stream_id, session_id + 1) is None
    assert archive.list_recording(recording_id + 1000) is None


def test_start_recording_and_every_stop(archive, signals, stream_id):
    def record(stop) -> int:
        subscription_id = archive.start_recording(IPC, stream_id, SourceLocation.LOCAL)
        subscriptions = archive.list_recording_subscriptions("aeron:ipc", stream_id, apply_stream_id=True)
        assert [(s.subscription_id, s.stream_id, s.stripped_channel) for s in subscriptions] == [
            (subscription_id, stream_id, "aeron:ipc")
        ]
        with archive.add_publication(IPC, stream_id) as publication:
            counter_id = recording_counter(archive, publication.session_id)
            recording_id = recording_pos.get_recording_id(archive, counter_id)
            wait_recorded(archive, counter_id, publish(publication, [payload(0)]))
            stop(subscription_id, recording_id)
            _signal(signals, archive, recording_id, RecordingSignalCode.STOP)
        assert archive.list_recording_subscriptions("aeron:ipc", stream_id, apply_stream_id=True) == []
        return recording_id

    record(lambda subscription_id, _: archive.stop_recording_subscription(subscription_id))
    record(lambda subscription_id, _: archive.try_stop_recording_subscription(subscription_id) or pytest.fail())
    record(lambda _, __: archive.stop_recording_channel_and_stream(IPC, stream_id))
    record(lambda _, __: archive.try_stop_recording_channel_and_stream(IPC, stream_id) or pytest.fail())
    stopped = record(lambda _, recording_id: archive.try_stop_recording_by_identity(recording_id) or pytest.fail())
    assert archive.try_stop_recording_subscription(123456789) is False
    assert archive.try_stop_recording_channel_and_stream(IPC, stream_id) is False
    assert archive.try_stop_recording_by_identity(stopped) is False


def test_auto_stop_recording_ends_with_the_publication(archive, signals, stream_id):
    archive.start_recording(IPC, stream_id, SourceLocation.LOCAL, auto_stop=True)
    with archive.add_exclusive_publication(IPC, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
        wait_recorded(archive, counter_id, publish(publication, [payload(0)]))
    _signal(signals, archive, recording_id, RecordingSignalCode.STOP)
    assert archive.list_recording_subscriptions("aeron:ipc", stream_id, apply_stream_id=True) == []


def test_extend_recording_continues_at_its_stop_position(archive, signals, stream_id):
    publication = archive.add_recorded_exclusive_publication(IPC, stream_id)
    assert isinstance(publication, ExclusivePublication)
    counter_id = recording_counter(archive, publication.session_id)
    recording_id = recording_pos.get_recording_id(archive, counter_id)
    first = publish(publication, [payload(i) for i in range(10)])
    wait_recorded(archive, counter_id, first)
    archive.stop_recording_exclusive_publication(publication)
    _signal(signals, archive, recording_id, RecordingSignalCode.STOP)
    descriptor = archive.list_recording(recording_id)
    publication.close()

    # A session of its own, so the archive cannot pick up the closed publication
    # while it lingers in the driver.
    extend_channel = (
        f"aeron:ipc?term-length=64k|init-term-id={descriptor.initial_term_id}"
        f"|term-id={descriptor.initial_term_id + first // TERM_LENGTH}|term-offset={first % TERM_LENGTH}"
        f"|session-id={descriptor.session_id + 1}"
    )
    archive.extend_recording(recording_id, extend_channel, stream_id, SourceLocation.LOCAL)
    with archive.add_exclusive_publication(extend_channel, stream_id) as extension:
        assert extension.position == first
        counter_id = recording_counter(archive, extension.session_id)
        _signal(signals, archive, recording_id, RecordingSignalCode.EXTEND)
        second = publish(extension, [payload(i) for i in range(10, 20)])
        wait_recorded(archive, counter_id, second)
        archive.stop_recording_channel_and_stream(extend_channel, stream_id)
    assert archive.get_stop_position(recording_id) == second
    assert archive.get_start_position(recording_id) == 0


def test_segment_file_base_position_matches_segment_boundaries():
    assert AeronArchive.segment_file_base_position(0, 0, TERM_LENGTH, SEGMENT_FILE_LENGTH) == 0
    assert AeronArchive.segment_file_base_position(0, SEGMENT_FILE_LENGTH + 5, TERM_LENGTH, SEGMENT_FILE_LENGTH) == (
        SEGMENT_FILE_LENGTH
    )
    # A recording starting mid-term counts segments from its first term's start.
    assert AeronArchive.segment_file_base_position(
        TERM_LENGTH + 64, 3 * SEGMENT_FILE_LENGTH, TERM_LENGTH, SEGMENT_FILE_LENGTH
    ) == 2 * SEGMENT_FILE_LENGTH + TERM_LENGTH


def test_remote_recording_of_a_udp_stream(archive, signals, stream_id):
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}|term-length=64k"
    subscription_id = archive.start_recording(channel, stream_id, SourceLocation.REMOTE)
    with archive.add_publication(channel, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
        source = recording_pos.get_source_identity(archive, counter_id)
        position = publish(publication, [payload(i) for i in range(20)])
        wait_recorded(archive, counter_id, position)
    archive.stop_recording_subscription(subscription_id)
    _signal(signals, archive, recording_id, RecordingSignalCode.STOP)
    descriptor = archive.list_recording(recording_id)
    assert source.startswith("127.0.0.1:") and descriptor.source_identity == source
    assert descriptor.stripped_channel == channel.split("|")[0]
    assert descriptor.stop_position == position
