"""``aeron-cffi queue describe`` / ``tail`` against a queue in the session's archive."""

from __future__ import annotations

import json
import subprocess
import sys

from aeron_cffi.cli import ExitCode
from aeron_cffi.queue import Consumer, ConsumerConfig, Entry, Ledger, Table, TableConfig
from aeron_cffi.testing import wait_until

from queue_support import QUEUE_TERM_LENGTH, entries, ledger_config, queue_cli


def test_describe_shows_head_tail_length_and_each_consumers_lag(archive, queue_archive, prefix):
    with Ledger(archive, ledger_config(prefix)) as ledger:
        ledger.write(*entries(1, 10))
        ledger.delete(2)
        table = Table(archive, TableConfig(prefix=prefix, term_length=QUEUE_TERM_LENGTH))
        try:
            with Consumer(ledger, table, ConsumerConfig(name="slow", start=3)):
                pass
            table.set("fast", [8, 10], ledger.ordinal_after(8) - 1)
        finally:
            table.close()
        described = queue_cli(queue_archive, "describe", prefix, "--json")
        assert described.returncode == 0, described.stderr
        found = json.loads(described.stdout)
        assert (found["head"], found["tail"], found["length"]) == (10, 2, 8)
        assert found["recording_id"] == ledger.recording_id
        assert {c["name"]: (c["position"], c["lag"], c["marks"]) for c in found["consumers"]} == {
            "slow": (2, 8, []), "fast": (8, 2, [10])}
        text = queue_cli(queue_archive, "describe", prefix)
        assert text.returncode == 0
        lines = [line.split() for line in text.stdout.splitlines()]
        assert ["head", "10"] in lines and ["tail", "2"] in lines and ["length", "8"] in lines
        assert lines[-3:] == [["CONSUMER", "POSITION", "LAG", "MARKS"], ["fast", "8", "2", "10"], ["slow", "2", "8", "-"]]


def test_tail_prints_entries_from_a_sequence_or_as_they_arrive(archive, queue_archive, prefix):
    with Ledger(archive, ledger_config(prefix)) as ledger:
        ledger.write(Entry(1, b"one"), Entry(2, b"two \xff"))
        printed = queue_cli(queue_archive, "tail", prefix, "--from", 0, "--count", 2)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.splitlines() == ["1  one", "2  two \\xff"]
        as_json = queue_cli(queue_archive, "tail", prefix, "--from", 2, "--count", 1, "--json")
        assert json.loads(as_json.stdout) == {"sequence": 2, "length": 5, "payload": "two \\xff"}
        waited = queue_cli(queue_archive, "tail", prefix, "--count", 1, "--timeout", "0.5")  # nothing new comes
        assert waited.returncode == ExitCode.TIMEOUT
        assert waited.stderr.strip() == f"aeron-cffi queue: waiting for 1 entries of {prefix}: no progress for 0.5s"


def test_an_unknown_queue_is_one_line_and_exit_5(queue_archive):
    for command in ("describe", "tail"):
        result = queue_cli(queue_archive, command, "no-such-queue")
        assert result.returncode == ExitCode.ARCHIVE_ERROR
        assert result.stderr == "aeron-cffi queue: no queue named 'no-such-queue' in this archive\n"


def test_tail_prints_entries_as_they_are_written(archive, queue_archive, prefix):
    with Ledger(archive, ledger_config(prefix)) as ledger:
        ledger.write(Entry(1, b"before"))
        where = ["--aeron-dir", str(queue_archive.aeron_dir), "--control-channel", queue_archive.control_request_channel]
        replays = _replay_sessions(archive)
        with subprocess.Popen([sys.executable, "-m", "aeron_cffi", "queue", "tail", prefix, "--from", "2", "--count", "2",
                               *where], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as tail:
            try:
                wait_until(lambda: tail.poll() is not None or _replay_sessions(archive) > replays,
                           "tail to follow the ledger with a replay")
                ledger.write(Entry(2, b"after"), Entry(3, b"and more"))
                out, err = tail.communicate(timeout=60)
            finally:
                tail.kill()
        assert tail.returncode == 0, err
        assert out.splitlines() == ["2  after", "3  and more"]


def _replay_sessions(archive) -> int:
    """How many replays the archive runs (its "Archive Replay Sessions" counter)."""
    return sum(c.value for c in archive.aeron.counters_reader() if c.label.startswith("Archive Replay Sessions"))
