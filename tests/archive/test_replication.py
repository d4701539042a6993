"""Replication between two real Java archives on the same driver."""

from __future__ import annotations

import dataclasses

import pytest

from aeron_cffi.archive import ArchiveError, ArchiveErrorCode, RecordingSignalCode, recording_pos

from aeron_cffi.testing import RecordingSignals
from archive_support import (
    connect,
    payload,
    publish,
    record,
    recording_counter,
    replay_all,
    start_archive,
    wait_recorded,
)

IPC = "aeron:ipc?term-length=64k"
MESSAGES = 500
FRAME = 160


@pytest.fixture(scope="module")
def destination_process(aeron_testbed_session, driver_dir):
    archive = start_archive(aeron_testbed_session, driver_dir)
    try:
        yield archive
    finally:
        archive.close()


@pytest.fixture(scope="module")
def destination_signals() -> RecordingSignals:
    return RecordingSignals()


@pytest.fixture(scope="module")
def destination(driver_dir, destination_process, destination_signals):
    with connect(driver_dir, destination_process, recording_signal_consumer=destination_signals) as client:
        yield client


def _same_stream(descriptor):
    """The fields a replica shares with its source."""
    return dataclasses.replace(descriptor, control_session_id=0, correlation_id=0, recording_id=0,
                               start_timestamp=0, stop_timestamp=0)


def _replicate(archive, archive_process, destination, signals, src_id, **params) -> int:
    """Start replicating ``src_id`` into ``destination``; signals start afresh."""
    signals.received.clear()
    return destination.replicate(
        src_id, archive_process.control_request_channel, archive.context.control_request_stream_id, **params
    )


def _await(destination, signals, code: RecordingSignalCode) -> int:
    """The recording id of the destination's first ``code`` signal since ``_replicate``.
    (Replication signals carry the destination recording, not the replication id.)"""
    return signals.wait(destination, lambda s: s.signal == code).recording_id


def test_replicate_makes_an_identical_recording(archive, archive_process, signals, destination,
                                                destination_signals, stream_id):
    messages = [payload(i) for i in range(MESSAGES)]
    src_id, stop = record(archive, signals, stream_id, messages)
    replication_id = _replicate(archive, archive_process, destination, destination_signals, src_id,
                                encoded_credentials=b"user:secret", file_io_max_length=64 * 1024)
    dst_id = _await(destination, destination_signals, RecordingSignalCode.REPLICATE_END)
    _await(destination, destination_signals, RecordingSignalCode.STOP)
    source, replica = archive.list_recording(src_id), destination.list_recording(dst_id)
    assert replica.stop_position == stop
    assert _same_stream(replica) == _same_stream(source)
    with destination.replay(dst_id, "aeron:ipc", 9200) as subscription:
        assert replay_all(subscription, MESSAGES) == messages
    assert destination.try_stop_replication(replication_id) is False  # it already ended


def test_replicate_up_to_a_stop_position_then_extend_the_replica(
        archive, archive_process, signals, destination, destination_signals, stream_id):
    messages = [payload(i) for i in range(MESSAGES)]
    src_id, stop = record(archive, signals, stream_id, messages)
    half = MESSAGES // 2
    _replicate(archive, archive_process, destination, destination_signals, src_id, stop_position=half * FRAME)
    dst_id = _await(destination, destination_signals, RecordingSignalCode.STOP)
    assert destination.get_stop_position(dst_id) == half * FRAME
    # The rest, into the same replica (dst_recording_id).
    _replicate(archive, archive_process, destination, destination_signals, src_id, dst_recording_id=dst_id)
    assert _await(destination, destination_signals, RecordingSignalCode.STOP) == dst_id
    assert destination.get_stop_position(dst_id) == stop
    with destination.replay(dst_id, "aeron:ipc", 9201) as subscription:
        assert replay_all(subscription, MESSAGES) == messages


def test_stop_replication_of_a_live_recording(archive, archive_process, destination, destination_signals,
                                              stream_id):
    with archive.add_recorded_publication(IPC, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        src_id = recording_pos.get_recording_id(archive, counter_id)
        wait_recorded(archive, counter_id, publish(publication, [payload(i) for i in range(10)]))
        replication_id = _replicate(archive, archive_process, destination, destination_signals, src_id,
                                    channel_tag_id=77, subscription_tag_id=78)
        dst_id = _await(destination, destination_signals, RecordingSignalCode.EXTEND)
        assert destination.try_stop_replication(replication_id) is True
        assert _await(destination, destination_signals, RecordingSignalCode.STOP) == dst_id
        archive.stop_recording_publication(publication)
    assert destination.try_stop_replication(replication_id) is False
    with pytest.raises(ArchiveError) as raised:
        destination.stop_replication(replication_id)
    assert raised.value.archive_code is ArchiveErrorCode.UNKNOWN_REPLICATION
