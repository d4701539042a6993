"""What every subcommand shares: exit codes, the one-line error, output, progress, waiting."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import os
import sys
import time
from typing import Any, Callable, Iterable, Sequence

from aeron_cffi.cnc import CncFile, default_path
from aeron_cffi.errors import AeronError


class ExitCode(enum.IntEnum):
    """The CLI's exit status, one per class of failure (documented in docs/tools/cli.md)."""

    OK = 0
    FAILURE = 1  #: any other Aeron error
    USAGE = 2  #: bad command line (argparse)
    NO_DRIVER = 3  #: no media driver in the Aeron directory, or it stopped answering
    ARCHIVE_UNREACHABLE = 4  #: no archive answered on the control channel
    ARCHIVE_ERROR = 5  #: the archive rejected the request (e.g. unknown recording)
    TIMEOUT = 6  #: a replay, replication or wait did not finish in time
    IO_ERROR = 7  #: a file could not be read or written
    INTERRUPTED = 130  #: Ctrl-C during an operation that was not finished


class CliError(Exception):
    """A failure the CLI reports as one line on stderr and ``code`` as exit status."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def one_line(message: str) -> str:
    """Aeron's messages stack causes over several lines; join them into one."""
    return " | ".join(part.strip() for part in str(message).splitlines() if part.strip())


def add_aeron_dir(parser) -> None:
    parser.add_argument("--aeron-dir", "-d", default=os.environ.get("AERON_DIR") or default_path(),
                        help="the media driver's directory (default: $AERON_DIR, else %(default)s)")


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts instead of tables")


def open_cnc(aeron_dir: str, timeout_ms: int) -> CncFile:
    """The driver's CnC file, or ``NO_DRIVER`` if none appears within ``timeout_ms``."""
    try:
        return CncFile(aeron_dir, timeout_ms)
    except AeronError:
        raise CliError(ExitCode.NO_DRIVER,
                       f"no media driver in {aeron_dir} (no CnC file within {timeout_ms} ms)") from None


def stale_driver(cnc: CncFile, aeron_dir: str) -> str | None:
    """Why the driver of ``cnc`` is not running, or None while it heartbeats. A driver
    whose last heartbeat is older than its own client liveness timeout (after which it
    would drop a silent client) has stopped: its directory is what it left behind."""
    age_ms = int(time.time() * 1000) - cnc.to_driver_heartbeat
    if age_ms <= cnc.constants.client_liveness_timeout // 1_000_000:
        return None
    return (f"the media driver in {aeron_dir} is not running "
            f"(pid {cnc.constants.pid}, last heartbeat {age_ms / 1000:.1f}s ago)")


def driver_error_since(aeron_dir: str, since_ms: int) -> str | None:
    """What the driver's latest error logged since ``since_ms`` says happened: the first
    message of its stack (e.g. "port out of range: '99999'"), or None if it logged none."""
    try:
        with CncFile(aeron_dir) as cnc:
            entries = cnc.error_log_read(since_ms)
    except AeronError:
        return None
    if not entries:
        return None
    first_line, *stack = max(entries, key=lambda entry: entry.last_observation_timestamp).error.splitlines()
    messages = [line.split("] ", 1)[1].strip() for line in stack if "] " in line]
    return next((message for message in messages if message), first_line)


def require_driver(aeron_dir: str, timeout_ms: int) -> None:
    """Fail with ``NO_DRIVER`` unless a running driver's CnC file is (or becomes) ready in time."""
    with open_cnc(aeron_dir, timeout_ms) as cnc:
        stopped = stale_driver(cnc, aeron_dir)
    if stopped:
        raise CliError(ExitCode.NO_DRIVER, stopped)


def format_timestamp(epoch_ms: int) -> str:
    """``yyyy-MM-dd HH:mm:ss.SSSZ`` in local time, as Aeron's stat tools print dates."""
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000).astimezone()
    return f"{moment:%Y-%m-%d %H:%M:%S}.{epoch_ms % 1000:03d}{moment:%z}"


def as_json(value: Any) -> Any:
    """Dataclasses (and lists of them) as plain JSON values; enums as their names."""
    if dataclasses.is_dataclass(value):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.name
    return value


def print_json(value: Any) -> None:
    print(json.dumps(as_json(value)), flush=True)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Columns padded to their widest cell; numbers right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    numeric = [all(row[i].lstrip("-").isdigit() for row in rows) and bool(rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    print(line(headers))
    for row in rows:
        print(line(row))


def print_fields(fields: dict[str, Any]) -> None:
    """``name: value`` lines, names aligned."""
    width = max(len(name) for name in fields)
    for name, value in fields.items():
        print(f"{name.ljust(width)}  {value}")


class Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.enabled = sys.stderr.isatty()
        self._last = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = min(100, done * 100 // self.total)
        if percent == self._last:
            return
        self._last = percent
        filled = self.WIDTH * percent // 100
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}% "
                         f"{done:,}/{self.total:,} bytes")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self._last >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def wait_until(done: Callable[[], bool], work: Callable[[], object], timeout: float, what: str,
               progress: Callable[[], object] = lambda: None) -> None:
    """Call ``work`` until ``done()``; ``TIMEOUT`` if ``timeout`` seconds pass without
    ``progress()`` changing (so a long but moving operation is never cut off)."""
    last, deadline = progress(), time.monotonic() + timeout
    while not done():
        if not work():
            time.sleep(0.001)
        now = progress()
        if now != last:
            last, deadline = now, time.monotonic() + timeout
        elif time.monotonic() > deadline:
            raise CliError(ExitCode.TIMEOUT, f"{what}: no progress for {timeout:g}s")


def watch(render: Callable[[], None], interval: float | None, count: int | None, clear: bool) -> None:
    """``render`` once, or every ``interval`` seconds (``count`` times, or until Ctrl-C),
    clearing the terminal first when ``clear`` (as AeronStat does)."""
    if interval is None:
        render()
        return
    shown = 0
    try:
        while count is None or shown < count:
            if shown:
                time.sleep(interval)
            if clear:
                sys.stdout.write("\x1b[2J\x1b[H")
            render()
            sys.stdout.flush()
            shown += 1
    except KeyboardInterrupt:
        pass


def add_watch(parser) -> None:
    parser.add_argument("--watch", type=float, metavar="SECONDS",
                        help="print again every SECONDS until Ctrl-C (JSON: one object per line)")
    parser.add_argument("--count", type=int, metavar="N", help="with --watch: stop after N prints")
    parser.add_argument("--timeout-ms", type=int, default=1000,
                        help="how long to wait for the driver's CnC file (default: %(default)s)")
