"""Archive fixtures: one C media driver per session, Java archives per module.

Starting a JVM costs 1-2 s, so an archive is shared by the tests of a module;
tests keep out of each other's way with their own stream ids (``stream_id``).
"""

from __future__ import annotations

import dataclasses
import itertools
import pathlib
import time
from typing import Callable

import pytest

from aeron_cffi._native import lib
from aeron_cffi.archive import AeronArchive, RecordingDescriptor, RecordingSignalCode, recording_pos
from aeron_cffi.testing import AeronTestbed, JavaArchive, RecordingSignals, recording_counter

SEGMENT_FILE_LENGTH = 128 * 1024
TERM_LENGTH = 64 * 1024
WAIT_TIMEOUT = 20.0

_stream_ids = itertools.count(1001)


@pytest.fixture(scope="session")
def driver_dir(aeron_testbed_session) -> pathlib.Path:
    """A C media driver shared by the archive tests (aeronmd: a process, or a container on the
    docker backend); its Aeron directory."""
    return aeron_testbed_session.driver("process", term_buffer_length=TERM_LENGTH,
                                        ipc_term_buffer_length=TERM_LENGTH).dir


def start_archive(testbed: AeronTestbed, driver_dir: pathlib.Path, **kwargs) -> JavaArchive:
    """A Java archive on ``driver_dir`` (a process, or a container on the docker backend)."""
    return testbed.java_archive(driver_dir, segment_file_length=SEGMENT_FILE_LENGTH, **kwargs)


@pytest.fixture(scope="module")
def archive_process(aeron_testbed_session, driver_dir):
    """A Java archive for the module, with recording events on."""
    archive = start_archive(aeron_testbed_session, driver_dir, recording_events=True)
    try:
        yield archive
    finally:
        archive.close()


def wait_for(condition: Callable[[], object], poll: Callable[[], object] | None = None, timeout: float = WAIT_TIMEOUT):
    """Return the first truthy ``condition()``, calling ``poll`` in between; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        if poll is not None:
            poll()
        time.sleep(0.001)


def connect(driver_dir: pathlib.Path, archive_process: JavaArchive, **settings) -> AeronArchive:
    """An archive client on an Aeron client of its own (``connect`` starts it)."""
    if archive_process.recording_events_channel:
        settings.setdefault("recording_events_channel", archive_process.recording_events_channel)
    return AeronArchive.connect(
        aeron_directory_name=str(driver_dir),
        control_request_channel=archive_process.control_request_channel,
        control_response_channel=archive_process.control_response_channel,
        **settings,
    )


@pytest.fixture(scope="module")
def signals() -> RecordingSignals:
    return RecordingSignals()


@pytest.fixture(scope="module")
def archive(driver_dir, archive_process, signals):
    """A connected ``AeronArchive`` shared by the module, collecting recording signals."""
    with connect(driver_dir, archive_process, recording_signal_consumer=signals) as client:
        yield client


@pytest.fixture
def stream_id() -> int:
    """A stream id no other test of the session uses."""
    return next(_stream_ids)


def payload(index: int, size: int = 100) -> bytes:
    """Message ``index`` of a test stream: distinct, recognisable bytes."""
    head = f"message-{index:06d}:".encode()
    return head + bytes((index + i) % 251 for i in range(size - len(head)))


def publish(publication, messages: list[bytes]) -> int:
    """Offer every message, retrying back pressure; returns the final position."""
    position = 0
    for message in messages:
        position = wait_for(lambda: max(publication.offer(message), 0))
    return position


def wait_recorded(archive: AeronArchive, counter_id: int, position: int) -> None:
    """Until the recording counter reached ``position`` (everything offered is on disk)."""
    reader = lib.aeron_counters_reader(archive.aeron.ptr)
    wait_for(lambda: lib.aeron_counters_reader_addr(reader, counter_id)[0] >= position)


def replay_all(subscription, count: int) -> list[bytes]:
    """Poll a replay subscription until ``count`` messages arrived."""
    received: list[bytes] = []
    wait_for(lambda: len(received) >= count, poll=lambda: subscription.poll(lambda data, header: received.append(bytes(data)), 10))
    return received


def entries(descriptors: list[RecordingDescriptor]) -> list[RecordingDescriptor]:
    """Descriptors without the per-request correlation id, to compare listings."""
    return [dataclasses.replace(d, correlation_id=0) for d in descriptors]


def record(archive: AeronArchive, signals: RecordingSignals, stream_id: int, messages: list[bytes],
           channel: str = "aeron:ipc?term-length=64k", exclusive: bool = False) -> tuple[int, int]:
    """Record ``messages`` on a new publication and stop: (recording id, stop position)."""
    if exclusive:
        add, stop = archive.add_recorded_exclusive_publication, archive.stop_recording_exclusive_publication
    else:
        add, stop = archive.add_recorded_publication, archive.stop_recording_publication
    with add(channel, stream_id) as publication:
        counter_id = recording_counter(archive, publication.session_id)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
        position = publish(publication, messages)
        wait_recorded(archive, counter_id, position)
        stop(publication)
    signals.wait_for(archive, recording_id, RecordingSignalCode.STOP)
    return recording_id, position
