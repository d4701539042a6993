"""Tools tests: the CLI run as a real command against real drivers and Java archives
started by the plugin's fixtures (one aeronmd process and two archives for the session)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from typing import Any

import pytest

from aeron_cffi.archive import AeronArchive, RecordingSignalCode
from aeron_cffi.testing import AeronTestbed, JavaArchive, RecordingSignals, RunningDriver

SEGMENT_FILE_LENGTH = 128 * 1024  # two 64 KiB terms: segment operations need few messages
CLI_TIMEOUT = 60


@dataclasses.dataclass
class Cli:
    """The outcome of one ``python -m aeron_cffi`` run."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)

    def json_lines(self) -> list[Any]:
        assert self.returncode == 0, self.stderr
        return [json.loads(line) for line in self.stdout.splitlines()]

    def error_line(self) -> str:
        """The one line a failing command prints on stderr."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


def cli(*args: Any, stdout_bytes: bool = False) -> Any:
    """Run the CLI in a subprocess, as a user would; returns ``Cli`` (or the raw
    ``CompletedProcess`` with ``stdout_bytes``)."""
    result = subprocess.run([sys.executable, "-m", "aeron_cffi", *map(str, args)], capture_output=True,
                            text=not stdout_bytes, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    if stdout_bytes:
        return result
    return Cli(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def driver(aeron_testbed_session: AeronTestbed) -> RunningDriver:
    """The packaged aeronmd as a process, like the driver a user points the CLI at."""
    return aeron_testbed_session.driver("process")


@pytest.fixture(scope="session")
def source_archive(aeron_testbed_session: AeronTestbed, driver: RunningDriver) -> JavaArchive:
    return aeron_testbed_session.java_archive(driver, recording_events=True, segment_file_length=SEGMENT_FILE_LENGTH)


@pytest.fixture(scope="session")
def replica_archive(aeron_testbed_session: AeronTestbed, driver: RunningDriver) -> JavaArchive:
    return aeron_testbed_session.java_archive(driver, segment_file_length=SEGMENT_FILE_LENGTH)


def archive_options(driver: RunningDriver, archive: JavaArchive) -> list[str]:
    return ["--aeron-dir", driver.dir, "--control-channel", archive.control_request_channel, "--timeout", "10"]


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    """The first truthy ``condition()``; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.0005)
    return value


def offer(publication, data: bytes) -> None:
    wait_for(lambda: publication.offer(data) > 0, what="offer")


@pytest.fixture(scope="session")
def signals() -> RecordingSignals:
    return RecordingSignals()


@pytest.fixture(scope="session")
def source(aeron_testbed_session: AeronTestbed, source_archive: JavaArchive, signals: RecordingSignals) -> AeronArchive:
    """A Python client of the source archive, to make recordings for the CLI to work on."""
    return aeron_testbed_session.archive_client(source_archive, recording_signal_consumer=signals)


def message(index: int) -> bytes:
    return f"message-{index:05d}:".encode() + bytes(range(index % 7, 64 + index % 7))


def record(source: AeronArchive, signals: RecordingSignals, stream_id: int, count: int) -> tuple[int, list[bytes]]:
    """A stopped recording of ``count`` messages on IPC: (recording id, messages)."""
    messages = [message(i) for i in range(count)]
    with source.add_recorded_exclusive_publication("aeron:ipc?term-length=64k", stream_id) as publication:
        recording_id = publish_recorded(source, publication, messages)
        source.stop_recording_exclusive_publication(publication)
    signals.wait_for(source, recording_id, RecordingSignalCode.STOP)
    return recording_id, messages


def publish_recorded(source: AeronArchive, publication, messages: list[bytes]) -> int:
    """Offer ``messages`` on a recorded publication and wait until all are recorded;
    returns the recording id."""
    def found():
        recording_id = source.find_last_matching_recording("aeron:", publication.stream_id, publication.session_id)
        return None if recording_id is None else (recording_id,)

    (recording_id,) = wait_for(found, what="recording")
    for data in messages:
        offer(publication, data)
    wait_for(lambda: source.get_recording_position(recording_id) >= publication.position, what="recorded")
    return recording_id
