"""The main job on an embedded default: record a stream, list the recording, replay it.

Everything is real and local: the C media driver embedded in this process, a Java
archive (io.aeron.archive.Archive from aeron-all) on that driver, the C archive
client through aeron-cffi. All of it lives in a temporary directory that is removed
at the end.

    python examples/record_list_replay.py [--messages N]
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
import time

from aeron_cffi import MediaDriver
from aeron_cffi.archive import AeronArchive, recording_pos
from aeron_cffi.testing import JavaArchive

CHANNEL = "aeron:ipc?term-length=64k"
STREAM_ID = 1001
REPLAY_CHANNEL = "aeron:ipc"
REPLAY_STREAM_ID = 1002
TIMEOUT = 10.0


def wait_until(condition, what: str, poll=lambda: None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        poll()
        time.sleep(0.001)


def record(archive: AeronArchive, messages: list[bytes]) -> int:
    """Publish ``messages`` on a recorded publication; returns the recording id."""
    with archive.add_recorded_publication(CHANNEL, STREAM_ID) as publication:
        wait_until(lambda: recording_pos.find_counter_id_by_session_id(archive, publication.session_id)
                   != recording_pos.NULL_COUNTER_ID, "the recording to start")
        counter_id = recording_pos.find_counter_id_by_session_id(archive, publication.session_id)
        recording_id = recording_pos.get_recording_id(archive, counter_id)
        for message in messages:
            wait_until(lambda: publication.offer(message) > 0, "the publication to accept a message")
        wait_until(lambda: archive.get_recording_position(recording_id) >= publication.position,
                   "the archive to write every message")
        archive.stop_recording_publication(publication)
    return recording_id


def replay(archive: AeronArchive, recording_id: int, count: int) -> list[bytes]:
    """Replay the whole recording and return the messages it delivers."""
    received: list[bytes] = []
    with archive.replay(recording_id, REPLAY_CHANNEL, REPLAY_STREAM_ID, position=0) as subscription:
        wait_until(lambda: len(received) >= count, "the replay",
                   poll=lambda: subscription.poll(lambda data, header: received.append(bytes(data)), 10))
    return received


def main(message_count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="aeron-cffi-demo-") as tmp:
        aeron_dir = pathlib.Path(tmp) / "driver"
        with MediaDriver(dir=str(aeron_dir), threading_mode="SHARED",
                         dir_delete_on_start=True, dir_delete_on_shutdown=True), \
                JavaArchive(aeron_dir, archive_dir=pathlib.Path(tmp) / "archive") as java_archive, \
                AeronArchive.connect(aeron_directory_name=str(aeron_dir),
                                     control_request_channel=java_archive.control_request_channel,
                                     control_response_channel=java_archive.control_response_channel) as archive:
            print(f"embedded C media driver at {aeron_dir}; Java archive id {archive.archive_id}")

            sent = [f"message {i}: recorded by aeron-cffi".encode() for i in range(message_count)]
            recording_id = record(archive, sent)
            print(f"recorded {len(sent)} messages as recording {recording_id}")

            for descriptor in archive.list_recordings():
                print(f"  recording {descriptor.recording_id}: stream {descriptor.stream_id} "
                      f"{descriptor.stripped_channel} positions {descriptor.start_position}.."
                      f"{descriptor.stop_position}")

            received = replay(archive, recording_id, len(sent))
            print(f"replayed {len(received)} messages:")
            for message in received:
                print(f"  {message.decode()}")
            if received != sent:
                raise SystemExit("the replay differs from what was recorded")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10, help="how many messages to record (default 10)")
    main(parser.parse_args().messages)
