"""Helpers of the fault tests: deadline loops, recognisable messages, child Python
processes and the driver's system counters.

The faults themselves (SIGKILL, packet loss) are real; these helpers only wait for
their consequences, with deadlines generous enough for a loaded 2-core machine.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from aeron_cffi._native import lib
from aeron_cffi.counters import CountersReader
from aeron_cffi.testing import wait_until


#: Deadline for anything that normally takes well under a second.
DEADLINE_S = 30.0
#: Driver settings that make it notice a dead client or a silent publisher in seconds,
#: not the default tens of seconds (a client is gone after 5 s without a keepalive, ten
#: missed keepalives, a publication lingers 1 s, an image 2 s without a frame).
SHORT_TIMEOUTS = {
    "client_liveness_timeout_ns": 5_000_000_000,
    "publication_linger_timeout_ns": 1_000_000_000,
    "image_liveness_timeout_ns": 2_000_000_000,
}


def message(index: int, size: int = 100) -> bytes:
    """Message ``index`` of a stream: ``size`` bytes that name it, so a replayed or
    retransmitted copy shows which one it is and whether any byte changed."""
    head = f"#{index:07d}#".encode()
    return (head * (size // len(head) + 1))[:size]


def offer(publication, data: bytes, timeout: float = DEADLINE_S) -> int:
    """Offer until accepted (back pressure, not connected yet); the new position."""
    return wait_until(lambda: max(publication.offer(data), 0), "accepted offer", timeout=timeout)


def python_command(code: str, *args: object) -> list[str]:
    """A child interpreter running ``code`` (dedented) with ``args`` as ``sys.argv[1:]``."""
    return [sys.executable, "-c", textwrap.dedent(code), *map(str, args)]


def run_python(code: str, *args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a child interpreter to its end; the caller asserts on its exit code, so a
    crash (a signal) fails the test instead of killing pytest."""
    return subprocess.run(python_command(code, *args), capture_output=True, text=True, timeout=timeout)


def system_counters(reader: CountersReader, *names: str) -> dict[str, int]:
    """The driver's system counters by ``AERON_SYSTEM_COUNTER_ID_<name>`` (their ids are fixed)."""
    return {name: reader.value(getattr(lib, f"AERON_SYSTEM_COUNTER_ID_{name}")) for name in names}
