"""Shared helpers of the client tests (no fixtures: those are in tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from aeron_cffi.testing import wait_until

DEADLINE_S = 20.0


def offer_all(publication, messages) -> list[int]:
    positions = []
    for message in messages:
        deadline = time.monotonic() + DEADLINE_S
        while (result := publication.offer(message)) < 0:
            assert time.monotonic() < deadline, f"offer stuck at {result!r}"
            time.sleep(0.0005)
        positions.append(result)
    return positions


def receive(subscription, count: int, handler_factory=None) -> list[bytes]:
    received: list[bytes] = []
    handler = handler_factory(received) if handler_factory else (lambda data, header: received.append(data))
    wait_until(lambda: len(received) >= count, f"{count} messages", lambda: subscription.poll(handler, 100))
    return received


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter; the caller asserts on the exit code (0, not a signal)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def connected(aeron, stream_id: int, exclusive: bool = True):
    """An IPC subscription and (exclusive) publication on ``stream_id``, connected."""
    subscription = aeron.add_subscription("aeron:ipc", stream_id)
    add = aeron.add_exclusive_publication if exclusive else aeron.add_publication
    publication = add("aeron:ipc", stream_id)
    wait_until(lambda: publication.is_connected and subscription.is_connected, "connection")
    return subscription, publication
