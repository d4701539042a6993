"""Waiting against a deadline, for the library's own modules (the queue, the recovery
log). Tests wait with ``aeron_cffi.testing.waiting.wait_until``, which the library
cannot import."""

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
          error: Callable[[str], Exception] = AeronTimeoutError) -> T:
    """The first truthy ``condition()`` (so never ``None``), polled every ``pause`` s;
    ``error`` (``AeronTimeoutError``, a ``TimeoutError``, unless told) naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout}s waiting for {what}")
        time.sleep(pause)
    return value
