"""Smoke tests of an installed aeron-cffi, run inside a fresh venv by ``test_artefacts.py``
(which copies this file out of the source tree; it is not collected by the suite itself).

They use only what the venv installed: the package, its packaged ``aeronmd``, its
``aeron-cffi`` command and its pytest plugin's fixtures, with the Java archive of the
compiled-in Aeron version.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

import aeron_cffi
from aeron_cffi.archive import recording_pos
from aeron_cffi.executables import aeronmd_path
from aeron_cffi.testing.waiting import recording_counter, wait_until

MESSAGES = [f"message {i}".encode() for i in range(20)]


def test_everything_comes_from_this_venv():
    venv = pathlib.Path(sys.prefix)
    assert pathlib.Path(aeron_cffi.__file__).is_relative_to(venv)
    assert aeronmd_path().is_relative_to(venv)
    version = subprocess.run(["aeron-cffi", "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert version.stdout == f"aeron-cffi {aeron_cffi.__version__} ({aeron_cffi.version_info().full})\n"


def poll_all(subscription, count: int) -> list[bytes]:
    received: list[bytes] = []
    wait_until(lambda: len(received) >= count, f"{count} messages",
               lambda: subscription.poll(lambda data, header: received.append(bytes(data)), 10))
    return received


@pytest.mark.parametrize("aeron_driver", ["process"], indirect=True)
def test_udp_pub_sub_through_the_packaged_driver(aeron_driver, aeron_client, aeron_free_port):
    channel = f"aeron:udp?endpoint=127.0.0.1:{aeron_free_port()}"
    subscription = aeron_client.add_subscription(channel, 1001)
    publication = aeron_client.add_publication(channel, 1001, timeout=10)
    wait_until(lambda: publication.is_connected, "the publication to connect")
    for message in MESSAGES:
        wait_until(lambda: publication.offer(message) > 0, "the publication to take a message")
    assert poll_all(subscription, len(MESSAGES)) == MESSAGES


def test_record_and_replay_on_the_java_archive(aeron_archive):
    with aeron_archive.add_recorded_publication("aeron:ipc?term-length=64k", 1002) as publication:
        recording_id = recording_pos.get_recording_id(aeron_archive,
                                                      recording_counter(aeron_archive, publication.session_id))
        for message in MESSAGES:
            wait_until(lambda: publication.offer(message) > 0, "the publication to take a message")
        wait_until(lambda: aeron_archive.get_recording_position(recording_id) >= publication.position,
                   "the archive to write every message")
        aeron_archive.stop_recording_publication(publication)
    with aeron_archive.replay(recording_id, "aeron:ipc", 1003, position=0) as replay:
        assert poll_all(replay, len(MESSAGES)) == MESSAGES
