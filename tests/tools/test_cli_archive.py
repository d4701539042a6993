"""``aeron-cffi archive ...`` against a real aeronmd and real Java archives."""

from __future__ import annotations

import itertools
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys

import pytest

from aeron_cffi.cli import ExitCode
from aeron_cffi.testing import free_udp_port

from aeron_cffi._native import lib

from tools_support import SEGMENT_FILE_LENGTH, archive_options, cli, message, publish_recorded, record, wait_for

FRAME = 128  # a 78-byte message plus the 32-byte frame header, aligned to 32

_stream_ids = itertools.count(501)


@pytest.fixture
def stream_id() -> int:
    return next(_stream_ids)


@pytest.fixture
def options(driver, source_archive) -> list[str]:
    return archive_options(driver, source_archive)


@pytest.fixture
def recorded(source, signals, stream_id):
    """A stopped recording of 300 messages (about 29 KB of stream)."""
    return record(source, signals, stream_id, 300)


def test_list_filters_by_stream_channel_and_id_range(options, source, signals, stream_id):
    first, _ = record(source, signals, stream_id, 3)
    second, _ = record(source, signals, stream_id, 5)

    by_stream = cli("archive", "list", "--stream", stream_id, "--json", *options).json()
    assert [d["recording_id"] for d in by_stream] == [first, second]
    assert {d["stream_id"] for d in by_stream} == {stream_id}
    assert all(d["stop_position"] > d["start_position"] == 0 for d in by_stream)

    ranged = cli("archive", "list", "--from", second, "--to", second, "--json", *options).json()
    assert [d["recording_id"] for d in ranged] == [second]
    assert cli("archive", "list", "--channel", "aeron:udp", "--stream", stream_id, "--json", *options).json() == []

    table = cli("archive", "list", "--stream", stream_id, *options)
    header, *rows = table.stdout.splitlines()
    assert header.split()[:4] == ["ID", "START", "STOP", "STREAM"]
    assert [int(row.split()[0]) for row in rows] == [first, second]


def test_describe_shows_the_descriptor_and_positions(options, recorded, stream_id):
    recording_id, messages = recorded
    described = cli("archive", "describe", recording_id, "--json", *options).json()
    assert described["recording_id"] == recording_id
    assert described["stream_id"] == stream_id
    assert described["active"] is False
    assert described["max_recorded_position"] == described["stop_position"] > 0
    assert described["segment_file_length"] == SEGMENT_FILE_LENGTH

    text = cli("archive", "describe", recording_id, *options)
    fields = dict(line.split(None, 1) for line in text.stdout.splitlines())
    assert fields["recording_id"] == str(recording_id)
    assert fields["active"] == "False"


def test_replay_writes_every_message_raw_and_length_prefixed(options, recorded, tmp_path):
    recording_id, messages = recorded
    raw = cli("archive", "replay", recording_id, *options, stdout_bytes=True)
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout == b"".join(messages)
    assert raw.stderr == b""  # no progress bar when stderr is not a terminal

    out = tmp_path / "replay.bin"
    summary = cli("archive", "replay", recording_id, "--format", "length-prefixed", "-o", out, "--json",
                  *options).json()
    assert summary["messages"] == len(messages)
    assert summary["bytes"] == sum(map(len, messages))
    data, replayed = out.read_bytes(), []
    while data:
        (length,) = struct.unpack_from("<I", data)
        replayed.append(data[4:4 + length])
        data = data[4 + length:]
    assert replayed == messages


def test_replay_of_part_of_a_recording(options, recorded):
    recording_id, messages = recorded
    frame = FRAME
    part = cli("archive", "replay", recording_id, "--position", 10 * frame, "--length", 5 * frame, *options,
               stdout_bytes=True)
    assert part.returncode == 0, part.stderr
    assert part.stdout == b"".join(messages[10:15])


def test_record_and_stop_a_udp_stream(options, source, stream_id):
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    started = cli("archive", "record", "--channel", channel, "--stream", stream_id, "--remote", "--json",
                  *options).json()
    assert started["subscription_id"] > 0
    with source.aeron.add_publication(channel, stream_id) as publication:
        recording_id = publish_recorded(source, publication, [b"recorded by the CLI"])
        (active,) = cli("archive", "list", "--stream", stream_id, "--json", *options).json()
        assert active["recording_id"] == recording_id
        assert active["stop_position"] == -1
    stopped = cli("archive", "stop", "--subscription-id", started["subscription_id"], "--json", *options).json()
    assert stopped == {"stopped": f"subscription {started['subscription_id']}"}
    wait_for(lambda: cli("archive", "describe", recording_id, "--json", *options).json()["active"] is False)
    replay = cli("archive", "replay", recording_id, *options, stdout_bytes=True)
    assert replay.stdout == b"recorded by the CLI"


def test_stop_by_channel_and_by_recording_id(options, source, stream_id):
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    cli("archive", "record", "--channel", channel, "--stream", stream_id, "--json", *options).json()
    assert cli("archive", "stop", "--channel", channel, "--stream", stream_id, "--json", *options).json() == {
        "stopped": f"{channel} stream {stream_id}"}

    second = stream_id + 1000
    cli("archive", "record", "--channel", channel, "--stream", second, "--remote", "--json", *options).json()
    with source.aeron.add_publication(channel, second) as publication:
        recording_id = publish_recorded(source, publication, [b"x"])
        stopped = cli("archive", "stop", "--recording-id", recording_id, "--json", *options).json()
    assert stopped == {"stopped": f"recording {recording_id}"}
    again = cli("archive", "stop", "--recording-id", recording_id, *options)
    assert again.returncode == ExitCode.ARCHIVE_ERROR
    assert again.error_line() == f"aeron-cffi archive: recording {recording_id} is not active"


def test_truncate_and_purge(options, recorded):
    recording_id, messages = recorded
    truncated = cli("archive", "truncate", recording_id, FRAME * 100, "--json", *options).json()
    assert truncated == {"operation": "truncate", "recording_id": recording_id, "position": FRAME * 100,
                         "deleted_segments": 0}
    assert cli("archive", "describe", recording_id, "--json", *options).json()["stop_position"] == FRAME * 100
    replay = cli("archive", "replay", recording_id, *options, stdout_bytes=True)
    assert replay.stdout == b"".join(messages[:100])

    purged = cli("archive", "purge", recording_id, "--json", *options).json()
    assert purged["deleted_segments"] == 1
    gone = cli("archive", "describe", recording_id, *options)
    assert gone.returncode == ExitCode.ARCHIVE_ERROR
    assert gone.error_line() == f"aeron-cffi archive: unknown recording id {recording_id}"


def test_detach_attach_delete_and_migrate_segments(options, source, signals, stream_id):
    per_segment = SEGMENT_FILE_LENGTH // FRAME
    recording_id, messages = record(source, signals, stream_id, 3 * per_segment)

    detached = cli("archive", "detach", recording_id, SEGMENT_FILE_LENGTH, "--json", *options).json()
    assert detached == {"operation": "detach", "recording_id": recording_id, "position": SEGMENT_FILE_LENGTH}
    assert cli("archive", "describe", recording_id, "--json", *options).json()["start_position"] == (
        SEGMENT_FILE_LENGTH)
    assert cli("archive", "attach", recording_id, "--json", *options).json()["attached_segments"] == 1
    assert cli("archive", "describe", recording_id, "--json", *options).json()["start_position"] == 0

    cli("archive", "detach", recording_id, SEGMENT_FILE_LENGTH, "--json", *options).json()
    deleted = cli("archive", "delete-segments", recording_id, "--json", *options).json()
    assert deleted["deleted_segments"] == 1
    assert cli("archive", "attach", recording_id, "--json", *options).json()["attached_segments"] == 0



def test_migrate_segments_onto_the_recording_that_continues(options, source, signals, stream_id):
    head_id, head = record(source, signals, stream_id, SEGMENT_FILE_LENGTH // FRAME)  # exactly one segment
    described = cli("archive", "describe", head_id, "--json", *options).json()
    assert described["stop_position"] == SEGMENT_FILE_LENGTH
    # A second recording whose stream continues the first one's at its stop position.
    initial = described["initial_term_id"]
    channel = f"aeron:ipc?term-length=64k|init-term-id={initial}|term-id={initial + 2}|term-offset=0"
    tail = [message(i) for i in range(5000, 5010)]
    subscription_id = source.start_recording(channel, stream_id)
    with source.add_exclusive_publication(channel, stream_id) as publication:
        tail_id = publish_recorded(source, publication, tail)
    source.stop_recording_subscription(subscription_id)

    migrated = cli("archive", "migrate", head_id, tail_id, "--json", *options).json()
    assert migrated == {"operation": "migrate", "recording_id": head_id, "dst_recording_id": tail_id,
                        "migrated_segments": 1}
    assert cli("archive", "describe", tail_id, "--json", *options).json()["start_position"] == 0
    replay = cli("archive", "replay", tail_id, *options, stdout_bytes=True)
    assert replay.stdout == b"".join(head + tail)


def test_replicate_to_a_second_archive(driver, options, recorded, replica_archive):
    recording_id, messages = recorded
    replicated = cli("archive", "replicate", recording_id, "--dst-control-channel",
                     replica_archive.control_request_channel, "--json", *options).json()
    assert replicated["src_recording_id"] == recording_id
    assert replicated["signals"][-1] == "REPLICATE_END"
    replica_options = archive_options(driver, replica_archive)
    copy = cli("archive", "describe", replicated["dst_recording_id"], "--json", *replica_options).json()
    original = cli("archive", "describe", recording_id, "--json", *options).json()
    assert (copy["start_position"], copy["stop_position"]) == (original["start_position"], original["stop_position"])
    replay = cli("archive", "replay", replicated["dst_recording_id"], *replica_options, stdout_bytes=True)
    assert replay.stdout == b"".join(messages)


def test_signals_follow_recording_events_until_ctrl_c(driver, options, source, signals, source_archive, stream_id):
    follower = subprocess.Popen(
        [sys.executable, "-m", "aeron_cffi", "archive", "signals", "--events-channel",
         source_archive.recording_events_channel, "--json", *map(str, options)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Events are not kept for late subscribers: wait for the follower's image.
        port = source_archive.recording_events_channel.rsplit(":", 1)[1]
        wait_for(lambda: any(c.type_id == lib.AERON_COUNTER_SUBSCRIPTION_POSITION_TYPE_ID and port in c.label
                             for c in source.aeron.counters_reader()), what="follower subscribed")
        recording_id, _ = record(source, signals, stream_id, 10)
        ours: list[dict] = []
        pending = b""
        while not ours or ours[-1]["event"] != "RecordingStopped":
            assert select.select([follower.stdout], [], [], 20)[0], "no recording event within 20s"
            *lines, pending = (pending + os.read(follower.stdout.fileno(), 65536)).split(b"\n")
            ours += [e for e in map(json.loads, lines) if e["recording_id"] == recording_id]
        follower.send_signal(signal.SIGINT)
        assert follower.wait(20) == 0, follower.stderr.read().decode()
    finally:
        follower.kill()
        follower.wait()
    assert ours[0]["event"] == "RecordingStarted" and ours[0]["stream_id"] == stream_id
    assert {e["event"] for e in ours[1:-1]} <= {"RecordingProgress"}
    assert ours[-1]["stop_position"] > 0


def test_signals_count_and_timeout(driver):
    waited = cli("archive", "signals", "--events-channel", f"aeron:udp?endpoint=localhost:{free_udp_port()}",
                 "--count", "1", "--aeron-dir", driver.dir, "--timeout", "0.5")
    assert waited.returncode == ExitCode.TIMEOUT
    assert waited.error_line() == "aeron-cffi archive: waiting for 1 recording events: no progress for 0.5s"


def test_unknown_recording_is_one_line_and_exit_5(options):
    for command in (["describe", "987654"], ["replay", "987654"], ["purge", "987654"], ["truncate", "987654", "0"]):
        result = cli("archive", *command, *options)
        assert result.returncode == ExitCode.ARCHIVE_ERROR, command
        assert result.stdout == ""
        line = result.error_line()
        assert line.startswith("aeron-cffi archive: ") and "987654" in line, line


def test_unreachable_archive_is_exit_4(driver):
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    result = cli("archive", "list", "--aeron-dir", driver.dir, "--control-channel", channel, "--timeout", "1")
    assert result.returncode == ExitCode.ARCHIVE_UNREACHABLE
    assert result.error_line() == f"aeron-cffi archive: no archive answered on {channel} within 1s"


def test_no_driver_is_exit_3(tmp_path):
    result = cli("archive", "list", "--aeron-dir", tmp_path / "nothing", "--timeout", "0.2")
    assert result.returncode == ExitCode.NO_DRIVER
    assert result.error_line().startswith(f"aeron-cffi archive: no media driver in {tmp_path / 'nothing'}")


def test_usage_errors_are_exit_2(options):
    assert cli("archive", "stop", *options).returncode == ExitCode.USAGE
    half = cli("archive", "stop", "--channel", "aeron:ipc", *options)
    assert half.returncode == ExitCode.USAGE
    assert half.error_line() == "aeron-cffi archive: stop --channel needs --stream"
    assert cli("archive", "describe", "not-a-number", *options).returncode == ExitCode.USAGE
    assert cli("archive").returncode == ExitCode.USAGE


def _stderr_on_a_terminal(*args) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout to a pipe); returns
    (exit status, what the terminal showed)."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "aeron_cffi", *map(str, args)], stdout=subprocess.PIPE,
                                stderr=terminal, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal side is closed and drained
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return result.returncode, shown.decode()


def test_progress_bar_on_a_terminal_only(options, recorded, replica_archive, tmp_path):
    recording_id, messages = recorded
    status, shown = _stderr_on_a_terminal("archive", "replay", recording_id, "-o", tmp_path / "out", *options)
    assert status == 0
    assert f"replay {recording_id} [" in shown and "100%" in shown
    assert (tmp_path / "out").read_bytes() == b"".join(messages)

    status, shown = _stderr_on_a_terminal("archive", "replicate", recording_id, "--dst-control-channel",
                                          replica_archive.control_request_channel, *options)
    assert status == 0
    assert f"replicate {recording_id} [" in shown and "100%" in shown


def test_ctrl_c_during_a_replay_is_exit_130(options, source, stream_id, tmp_path):
    out = tmp_path / "partial.bin"
    with source.add_recorded_publication("aeron:ipc?term-length=64k", stream_id) as publication:
        recording_id = publish_recorded(source, publication, [message(i) for i in range(10)])
        # An active recording replayed further than it goes: the replay waits for more.
        replay = subprocess.Popen([sys.executable, "-m", "aeron_cffi", "archive", "replay", str(recording_id),
                                   "--length", "1000000", "-o", str(out), *map(str, options)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: out.exists() and out.stat().st_size > 0 or replay.poll() is not None)
            replay.send_signal(signal.SIGINT)
            assert replay.wait(20) == ExitCode.INTERRUPTED
        finally:
            replay.kill()
            replay.wait()
        source.stop_recording_publication(publication)
    assert replay.stderr.read() == "aeron-cffi archive: interrupted\n"
