"""Helpers of the queue suite (imported by its modules; the fixtures are in conftest)."""

from __future__ import annotations

import json
import pathlib
import queue
import subprocess
import sys
import threading

from aeron_cffi.queue import Entry, Ledger, LedgerConfig, WriterConflict
from aeron_cffi.testing import wait_until

_HERE = pathlib.Path(__file__).parent

DRIVER_TERM_LENGTH = 64 * 1024
#: The queue's own publications: a batch is at most 8 KiB (an eighth of the term).
QUEUE_TERM_LENGTH = 64 * 1024
ARCHIVE_SEGMENT_LENGTH = 128 * 1024


class Acks:
    """The results callbacks got, by key: ``acks.ack(key)`` is the callback to pass,
    ``acks.wait(*keys)`` their results once all came."""

    def __init__(self) -> None:
        self.results: dict[object, Exception | None] = {}
        self._lock = threading.Lock()

    def ack(self, key: object):
        def record(error: Exception | None) -> None:
            with self._lock:
                self.results[key] = error
        return record

    def wait(self, *keys: object) -> list[Exception | None]:
        wait_until(lambda: all(key in self.results for key in keys), f"the acks of {keys}")
        return [self.results[key] for key in keys]


def take(consumer, count: int, timeout: float = 30.0) -> list[int]:
    return [consumer.entries.get(timeout=timeout).sequence for _ in range(count)]


def ledger_config(prefix: str, **settings) -> LedgerConfig:
    return LedgerConfig(prefix=prefix, term_length=QUEUE_TERM_LENGTH, **settings)


def open_when_free(archive, config: LedgerConfig) -> Ledger | None:
    """The ledger opened for writing, None while another live writer holds it."""
    try:
        return Ledger(archive, config)
    except WriterConflict:
        return None


def entries(first: int, count: int, size: int = 20) -> list[Entry]:
    """``count`` entries with sequences ``first``.. and recognisable payloads."""
    return [Entry(s, f"entry-{s}:".encode().ljust(size, b".")) for s in range(first, first + count)]


class Child:
    """A ``queue_child.py`` role in a child process; ``lines()`` reads its JSON reports.
    Always ``kill()``ed (SIGKILL, as a crash) or waited for by the test's ``with``."""

    def __init__(self, queue_archive, role: str, prefix: str, *args: object) -> None:
        where = json.dumps({"aeron_dir": str(queue_archive.aeron_dir),
                            "control_request_channel": queue_archive.control_request_channel,
                            "control_response_channel": queue_archive.control_response_channel})
        self.process = subprocess.Popen(
            [sys.executable, str(_HERE / "queue_child.py"), where, role, prefix, *map(str, args)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=_HERE, text=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def read(self, timeout: float = 30.0) -> dict:
        """The child's next report (AssertionError if it exits or says nothing in time)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the child said nothing for {timeout}s") from None
        if line is None:
            raise AssertionError(f"child exited with {self.process.wait()}: {self.process.stderr.read()}")
        return json.loads(line)

    def read_until(self, key: str, timeout: float = 30.0) -> dict:
        while True:
            report = self.read(timeout)
            if key in report:
                return report

    def drain(self) -> list[dict]:
        """Every report left once the child has exited."""
        self.process.wait()
        reports = []
        while (line := self._lines.get(timeout=30)) is not None:
            reports.append(json.loads(line))
        return reports

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout)

    def __enter__(self) -> "Child":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
        self.process.stdout.close()
        self.process.stderr.close()


def describe(queue_archive, prefix: str) -> dict:
    """The ledger ``prefix`` as a new process finds it."""
    with Child(queue_archive, "describe", prefix) as child:
        return child.read(timeout=60)


def queue_cli(queue_archive, *args: object) -> subprocess.CompletedProcess:
    """``aeron-cffi queue ARGS`` against the session's archive, run as a user would."""
    where = ["--aeron-dir", str(queue_archive.aeron_dir), "--control-channel", queue_archive.control_request_channel]
    return subprocess.run([sys.executable, "-m", "aeron_cffi", "queue", *map(str, args), *where],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
