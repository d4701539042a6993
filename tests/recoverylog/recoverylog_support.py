"""Recovery log fixtures: one media driver and one Java archive for the whole session
(a JVM costs seconds), each test on logs of its own (a new recording on its own stream)."""

from __future__ import annotations

import hashlib
import itertools
import os
import pathlib
import subprocess
import sys

import pytest

from aeron_cffi.archive import AeronArchive
from aeron_cffi.recoverylog import FSMHints, Player, RecordedFS, Recorder, create_log, new_random_author
from aeron_cffi.testing import JavaArchive

#: Small terms keep the archive's segment files small, so a test can purge one.
LOG_CHANNEL = "aeron:ipc?term-length=64k|mtu=8k"
SEGMENT_FILE_LENGTH = 128 * 1024
REPO = pathlib.Path(__file__).resolve().parents[2]

_stream_ids = itertools.count(4001)


@pytest.fixture(scope="session")
def log_archive_process(aeron_testbed_session) -> JavaArchive:
    driver = aeron_testbed_session.driver("process")
    return aeron_testbed_session.java_archive(driver, segment_file_length=SEGMENT_FILE_LENGTH)


@pytest.fixture(scope="session")
def log_archive(aeron_testbed_session, log_archive_process) -> AeronArchive:
    return aeron_testbed_session.archive_client(log_archive_process)


def new_log(archive: AeronArchive) -> int:
    """A new, empty recovery log (recording id) on a stream no other test uses."""
    return create_log(archive, next(_stream_ids), LOG_CHANNEL)


def take_over(archive: AeronArchive, hints: FSMHints, directory: pathlib.Path, author: int | None = None) -> Recorder:
    """Play ``hints`` into ``directory`` and hand the log off to a new recorder there."""
    author = author or new_random_author()
    player = Player()
    player.inject_handoff(author)
    player.play(hints, directory, archive)
    return Recorder(player.fsm, author, str(directory), player.appender)


def new_recorded_fs(archive: AeronArchive, directory: pathlib.Path) -> RecordedFS:
    return RecordedFS(take_over(archive, FSMHints(log=new_log(archive)), directory))


def play(archive: AeronArchive, hints: FSMHints, directory: pathlib.Path) -> Player:
    player = Player()
    player.finish_at_write_head()
    player.play(hints, directory, archive)
    return player


def archive_options(process: JavaArchive) -> list[str]:
    """The CLI's options to reach ``process`` through its driver."""
    return ["--aeron-dir", str(process.aeron_dir), "--control-channel", process.control_request_channel,
            "--timeout", "20"]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``aeron-cffi ARGS`` in a new process."""
    return subprocess.run([sys.executable, "-m", "aeron_cffi", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def tree(directory: pathlib.Path) -> dict[str, tuple[str, int]]:
    """Every file under ``directory``: relative path -> (SHA-256, inode)."""
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = pathlib.Path(root, name)
            found[str(path.relative_to(directory))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                       path.stat().st_ino)
    return found
