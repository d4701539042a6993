"""``aeron-cffi queue describe`` / ``tail`` against a queue in the session's archive."""

from __future__ import annotations

import json

from aeron_cffi.cli import ExitCode
from aeron_cffi.queue import Consumer, ConsumerConfig, Entry, Ledger, Table, TableConfig

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
