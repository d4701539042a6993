"""Waiting against a deadline: the one loop behind the library's own waits (the queue,
the recovery log: ``AeronTimeoutError``) and the testing kit's ``wait_until``
(``AssertionError``)."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from aeron_cffi.errors import AeronTimeoutError

__all__ = ["PAUSE_S", "until"]

T = TypeVar("T")

# Waits poll shared-memory counters or the archive; a short sleep keeps the waiting
# thread off a core that the archive needs to make progress.
PAUSE_S = 0.0002


def until(condition: Callable[[], T | None], what: str, timeout: float, pause: float = PAUSE_S,
          error: Callable[[str], Exception] = AeronTimeoutError, work: Callable[[], object] | None = None) -> T:
    """The first truthy ``condition()`` (so never ``None``), polled every ``pause`` s, with
    ``work()`` (a poll, ``do_work``) between tries; ``error`` (``AeronTimeoutError``, a
    ``TimeoutError``, unless told) naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout}s waiting for {what}")
        if work is not None:
            work()
        time.sleep(pause)
    return value
